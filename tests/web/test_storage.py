"""The web store: a real DuckDB file, reopened."""

from __future__ import annotations

import re

from samsim.web.storage import ID_PATTERN, Store


def test_scenarios_and_runs_survive_a_restart_and_unfinished_runs_are_marked(tmp_path):
    st = Store(tmp_path)
    sc = st.create_scenario("demo", {"name": "demo", "duration_s": 10})
    assert re.fullmatch(ID_PATTERN, sc["id"])
    done = st.create_run(sc["id"], "demo", {"name": "demo"}, 7, 1)
    st.finish_run(done["id"], "done", summary={"leakers": 3}, replay={"air": [1, 2]})
    running = st.create_run(sc["id"], "demo", {"name": "demo"}, 8, 2)
    st.set_progress(running["id"], 0.5, 100.0)
    st.close()

    st = Store(tmp_path)
    assert st.get_scenario(sc["id"])["scenario"] == {"name": "demo", "duration_s": 10}
    run = st.get_run(done["id"])
    assert run["status"] == "done" and run["progress"] == 1.0
    assert run["summary"] == {"leakers": 3} and st.get_replay(done["id"]) == {"air": [1, 2]}
    assert st.get_run(running["id"])["status"] == "interrupted"
    assert st.get_run(running["id"])["progress"] == 0.5
    assert st.run_scenario_data(running["id"]) == {"name": "demo"}
    assert st.delete_scenario(sc["id"]) and not st.delete_scenario(sc["id"])
    assert st.get_run(done["id"]) is not None  # runs keep their scenario snapshot
    st.close()
