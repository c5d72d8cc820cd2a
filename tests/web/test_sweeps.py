"""Sweeps over real HTTP against ``samsim serve`` in a subprocess.

A sweep started over the API gives, replication for replication, the stored
metrics of ``samsim sweep`` on the equivalent sweep file (same seeds); it can
be cancelled; bad sweep bodies get 422 naming the request field, and nothing
is created for them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from web_helpers import assert_4xx_json, sse_events

from samsim.cli.commands import reference_scenario
from samsim.report import point_summaries
from samsim.scenario import parse_yaml
from samsim.store import open_study
from samsim.sweep import load_sweep
from samsim.web.checks import NO_CLIENT_PATHS
from samsim.web.sweeps import NO_BASE_PATH

TRAVERSAL = "../../etc/passwd"
SWEEP = {
    "name": "drones_2_4",
    "description": "single_battery, shortened, with 2 or 4 drones",
    "seed": 2024,
    "replications": 2,
    "set": {"duration_s": 300},
    "grid": [{"path": "raids[0].count", "name": "drones", "values": [2, 4]}],
}
# Sweeps that last seconds, so that progress can be seen within replications and a
# worker killed in the middle of one (the engine runs single_battery's first 300 s in
# about 0.05 CPU s, taiwan_north's 1,900 s in about 1 s).
LONG_SWEEP = {
    "name": "drones_12_14",
    "description": "taiwan_north with 12 or 14 drones in its first raid",
    "seed": 2024,
    "replications": 2,
    "set": {"duration_s": 1900},
    "grid": [{"path": "raids[0].count", "name": "drones", "values": [12, 14]}],
}
LONG_SWEEP_FILE = yaml.safe_dump({**LONG_SWEEP, "base": "taiwan_north.yaml"}, sort_keys=False)
JSON = {"content-type": "application/json"}
METRICS = ("threats", "leakers", "kills", "interceptors_fired", "cost_exchange_ratio", "p_no_leak")


def sweep_events(server, sweep_id: str, timeout_s: float = 300.0) -> list[dict]:
    return sse_events(server, f"/api/sweeps/{sweep_id}/progress", timeout_s)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


@pytest.fixture(scope="module")
def scenario_id(client) -> str:
    data = parse_yaml(reference_scenario("single_battery").read_text())
    return client.post("/api/scenarios", json={"scenario": data}).json()["id"]


@pytest.fixture(scope="module")
def long_scenario_id(client) -> str:
    data = parse_yaml(_long_yaml())
    return client.post("/api/scenarios", json={"scenario": data}).json()["id"]


def test_a_sweep_runs_and_stores_what_samsim_sweep_stores(
    client, server, long_scenario_id, tmp_path
):
    r = client.post("/api/sweeps", json={"scenario_id": long_scenario_id, "sweep": LONG_SWEEP})
    assert r.status_code == 202, r.text
    sweep = r.json()
    assert sweep["status"] in ("queued", "running")
    assert (sweep["n_points"], sweep["total"], sweep["seed"]) == (2, 4, 2024)
    study_dir = server.data_dir / "sweeps" / sweep["id"]
    assert Path(sweep["study_path"]) == study_dir / "study.duckdb"

    # the command line on the equivalent file, in parallel with the server's workers
    (tmp_path / "taiwan_north.yaml").write_text(_long_yaml())
    (tmp_path / "sweep.yaml").write_text(LONG_SWEEP_FILE)
    cli = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("samsim")),
            "sweep",
            str(tmp_path / "sweep.yaml"),
            "--out",
            str(tmp_path / "cli"),
            "--workers",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    latencies: list[float] = []
    stored: list[int] = []
    done = threading.Event()

    errors: list[str] = []

    def poll():  # the API answers, and partial results read while replications are written
        with httpx.Client(base_url=server.url, timeout=30) as c:
            while not done.is_set():
                t0 = time.perf_counter()
                health = c.get("/api/health")
                latencies.append(time.perf_counter() - t0)
                r = c.get(f"/api/sweeps/{sweep['id']}/results")
                if health.status_code != 200 or r.status_code != 200:
                    errors.append(f"{health.status_code} {r.status_code} {r.text[:200]}")
                else:
                    stored.append(sum(p["n"] for p in r.json()["points"]))
                time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        events = sweep_events(server, sweep["id"])
    finally:
        done.set()
        poller.join()
    assert events[-1] == {"status": "done", "progress": 1.0, "done": 4, "total": 4, "message": ""}
    fractions = [e["progress"] for e in events]
    assert fractions == sorted(fractions)
    assert len({f for f in fractions if 0 < f < 1}) >= 3, fractions  # moves within replications
    assert not errors, errors
    assert max(latencies) < 2.0, latencies
    assert stored == sorted(stored) and len(set(stored)) >= 3, stored
    output, _ = cli.communicate(timeout=300)
    assert cli.returncode == 0, output

    # the same points, seeds and metrics, replication for replication
    with open_study(tmp_path / "cli") as cli_study, open_study(study_dir) as web_study:
        assert web_study.info()["name"] == LONG_SWEEP["name"]
        assert [p["scenario_sha256"] for p in web_study.points()] == [
            p["scenario_sha256"] for p in cli_study.points()
        ]
        rows = web_study.replication_rows()
        assert len(rows) == 4
        assert rows == cli_study.replication_rows()
        expected = point_summaries(cli_study)
    assert len({row[-1] for row in rows}) > 1  # the points do differ

    res = client.get(f"/api/sweeps/{sweep['id']}/results").json()
    assert res["status"] == "done" and res["axes"][0]["name"] == "drones"
    assert [p["params"] for p in res["points"]] == [{"raids[0].count": 12}, {"raids[0].count": 14}]
    threats = [p["threats"]["mean"] for p in res["points"]]
    assert threats[1] - threats[0] == 2  # two more drones in the first raid
    for got, exp in zip(res["points"], expected, strict=True):
        assert got["n"] == exp["n"] == 2
        for m in METRICS:
            for k in ("mean", "ci_low", "ci_high", "n"):
                assert _same(got[m][k], exp["summary"][m][k]), (got["point"], m, k)

    # the report (written in a worker), the files as run, and the study for the CLI
    rep = client.get(f"/api/sweeps/{sweep['id']}/report.html", timeout=300)
    assert rep.status_code == 200, rep.text[:300]
    assert rep.headers["content-type"].startswith("text/html")
    assert LONG_SWEEP["name"] in rep.text and rep.text.count("data:image/png;base64,") >= 4
    assert "<script" not in rep.text
    (tmp_path / "dl").mkdir()
    for name in ("sweep.yaml", "base.yaml"):
        r = client.get(f"/api/sweeps/{sweep['id']}/{name}")
        assert r.status_code == 200
        (tmp_path / "dl" / name).write_text(r.text)
    assert yaml.safe_load((tmp_path / "dl" / "sweep.yaml").read_text())["base"] == "base.yaml"
    again = load_sweep(tmp_path / "dl" / "sweep.yaml")
    with open_study(study_dir) as web_study:
        assert [p.sha256 for p in again.points] == [
            p["scenario_sha256"] for p in web_study.points()
        ]
    assert {"points.parquet", "replications.parquet"} <= {p.name for p in study_dir.iterdir()}
    assert sweep["id"] in [s["id"] for s in client.get("/api/sweeps").json()]
    assert_4xx_json(client.post(f"/api/sweeps/{sweep['id']}/cancel"), 409)


def test_a_sweep_can_be_cancelled(client, server):
    data = parse_yaml(reference_scenario("taiwan_north").read_text())
    body = {
        "scenario": data,
        "sweep": {
            "name": "to_cancel",
            "replications": 4,  # about 8 s: the cancel lands while it runs
            "grid": [{"path": "doctrine.shots_per_target.drone", "values": [1, 2]}],
        },
    }
    sweep = client.post("/api/sweeps", json=body).json()
    assert sweep["scenario_id"] is None and sweep["scenario_name"] == "taiwan_north"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cur = client.get(f"/api/sweeps/{sweep['id']}").json()
        if cur["status"] == "running" and cur["progress"] > 0:
            break
        time.sleep(0.2)
    assert cur["status"] == "running", cur
    t0 = time.perf_counter()
    r = client.post(f"/api/sweeps/{sweep['id']}/cancel")
    assert r.status_code == 202, r.text
    events = sweep_events(server, sweep["id"], timeout_s=60)
    cancel_s = time.perf_counter() - t0
    final = events[-1]
    assert final["status"] == "cancelled" and final["message"] == "cancelled by the user"
    assert final["done"] < final["total"] == 8 and final["progress"] < 1.0
    assert cancel_s < 15.0, cancel_s  # a replication stops at its next step, not at its end
    res = client.get(f"/api/sweeps/{sweep['id']}/results").json()
    assert sum(p["n"] for p in res["points"]) == final["done"]
    assert_4xx_json(client.post(f"/api/sweeps/{sweep['id']}/cancel"), 409)
    if final["done"] == 0:
        body = assert_4xx_json(client.get(f"/api/sweeps/{sweep['id']}/report.html"), 409)
        assert "no stored replications" in body["detail"]
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 204
    assert_4xx_json(client.get(f"/api/sweeps/{sweep['id']}"), 404)
    assert not (server.data_dir / "sweeps" / sweep["id"]).exists()
    # the workers are free again: a small sweep still runs to its end
    small = dict(SWEEP, name="after_cancel", replications=1, grid=[])
    nxt = client.post("/api/sweeps", json={"scenario_yaml": _small_yaml(), "sweep": small})
    assert nxt.status_code == 202, nxt.text
    assert sweep_events(server, nxt.json()["id"])[-1]["status"] == "done"


def _worker_pids(server_pid: int) -> list[int]:
    """Worker processes the server spawned (children running multiprocessing's spawn_main)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


def _busy(pids: list[int]) -> list[int]:
    """Those of ``pids`` that use CPU time (a replication in progress)."""

    def cpu(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return -1
        return int(fields[11]) + int(fields[12])  # utime + stime, clock ticks

    before = {pid: cpu(pid) for pid in pids}
    time.sleep(0.5)
    return [pid for pid in pids if cpu(pid) > before[pid] >= 0]


def test_a_killed_worker_is_replaced_and_the_sweep_completes_unchanged(client, server):
    import os
    import signal

    from samsim.engine import run_replication
    from samsim.scenario import scenario_from_data
    from samsim.sweep import replication_seed

    sweep = dict(LONG_SWEEP, name="worker_killed", replications=1)
    started = client.post("/api/sweeps", json={"scenario_yaml": _long_yaml(), "sweep": sweep})
    assert started.status_code == 202, started.text
    sid = started.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cur = client.get(f"/api/sweeps/{sid}").json()
        if cur["progress"] > 0 and cur["done"] == 0:
            break
        time.sleep(0.1)
    pids = _busy(_worker_pids(server.proc.pid))
    # The sweep's worker is busy. A fresh-clone CI run once found a second busy
    # worker of this server here (cause not found; in a fresh environment every
    # worker compiles numba's kernels on first use). Kill every busy one: the
    # sweep's is among them, and the sweep must still complete unchanged.
    assert pids, "no busy sweep worker"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    events = sweep_events(server, sid)
    assert events[-1]["status"] == "done" and events[-1]["done"] == 2, events[-1]
    assert _worker_pids(server.proc.pid) != pids  # a new worker took over
    # the results are those of the engine for each replication's seed
    res = client.get(f"/api/sweeps/{sid}/results").json()
    data = parse_yaml(_long_yaml()) | LONG_SWEEP["set"]
    for point in res["points"]:
        data["raids"][0]["count"] = point["params"]["raids[0].count"]
        sc, cat = scenario_from_data(data)
        seed = replication_seed(LONG_SWEEP["seed"], point["point"], 0)
        expected = run_replication(sc, cat, 0, seed).metrics
        for key in ("threats", "kills", "leakers", "interceptors_fired"):
            assert point[key]["mean"] == expected[key], (point["point"], key)
    log = server.log_path.read_text()
    assert "sweep worker pool broken" in log and "resubmitting" in log


def _small_yaml() -> str:
    return reference_scenario("single_battery").read_text()


def _long_yaml() -> str:
    return reference_scenario("taiwan_north").read_text()


def _body(**sweep_changes) -> dict:
    sweep = json.loads(json.dumps(SWEEP))
    for key, value in sweep_changes.items():
        if value is None:
            sweep.pop(key, None)
        else:
            sweep[key] = value
    return {"sweep": sweep}


BAD_SWEEPS = [
    # (changes to SWEEP, field path, part of the message)
    ({"base": TRAVERSAL}, "sweep.base", NO_BASE_PATH),
    ({"set": {"terrain.dem_path": "/etc/passwd"}}, "sweep.set.terrain.dem_path", NO_CLIENT_PATHS),
    (
        {"grid": [{"path": "terrain", "values": [{"dem_path": TRAVERSAL, "cell_m": 100}]}]},
        "sweep.grid[0].values[0].dem_path",
        NO_CLIENT_PATHS,
    ),
    (
        {"grid": [{"path": "catalog.radars.sentinel.pattern_file", "values": [TRAVERSAL]}]},
        "sweep.grid[0].path",
        NO_CLIENT_PATHS,
    ),
    ({"grids": []}, "sweep.grids", "unknown key"),
    ({"name": TRAVERSAL}, "sweep.name", "pattern"),
    ({"replications": 0}, "sweep.replications", "greater than or equal to 1"),
    ({"grid": [{"path": "raids[x].count", "values": [1]}]}, "sweep.grid[0].path", "pattern"),
    (
        {"grid": [{"path": "raids[7].count", "values": [1]}]},
        "sweep.grid[0].values[0]",
        "no index 7",
    ),
    (
        {"grid": [{"path": "raids[0].count", "values": [2, 0]}]},
        "sweep.grid[0].values[1]",
        "point 1 (raids[0].count=0): raids[0].count: Input should be greater than or equal to 1",
    ),
    (
        {"points": [{"doctrine.weapons_status": "loose"}]},
        "sweep.points[0].doctrine.weapons_status",
        "Input should be 'free', 'tight' or 'hold'",
    ),
    ({"set": {"duration_s": 20_000}}, "sweep.set.duration_s", "exceeds the server's limit"),
    (
        {"grid": [{"path": "raids[0].count", "values": list(range(1, 202))}]},
        "sweep.grid",
        "201 points, more than the server's limit of 200",
    ),
    ({"replications": 2_501}, "sweep.replications", "5002 replications, more than"),
    (
        {"set": {"duration_s": 14_000}, "replications": 300},
        "sweep.replications",
        "simulate 2,333 h, more than the server's limit of 2,000 h",
    ),
    (
        {"stop": {"metric": "leakers", "half_width": 0.1, "max_replications": 3_000}},
        "sweep.stop.max_replications",
        "6000 replications, more than",
    ),
]


@pytest.mark.parametrize("changes, path, message", BAD_SWEEPS, ids=[b[1] for b in BAD_SWEEPS])
def test_bad_sweeps_get_422_naming_the_field(client, scenario_id, changes, path, message):
    before = len(client.get("/api/sweeps").json())
    body = _body(**changes) | {"scenario_id": scenario_id}
    r = client.post("/api/sweeps", json=body)
    problems = assert_4xx_json(r, 422)["problems"]
    assert path in [p["path"] for p in problems], problems
    assert any(message in p["message"] for p in problems if p["path"] == path), problems
    assert len(client.get("/api/sweeps").json()) == before


def test_bad_sweep_requests_get_4xx_with_the_field(client, scenario_id):
    def problems(body, status=422):
        return assert_4xx_json(client.post("/api/sweeps", json=body), status)["problems"]

    sweep = SWEEP
    assert problems({"sweep": sweep})[0]["path"] == "scenario_id"  # no base scenario
    assert problems({"scenario_id": scenario_id})[0]["path"] == "sweep"
    two = {"scenario_id": scenario_id, "scenario_yaml": _small_yaml(), "sweep": sweep}
    assert problems(two)[0]["path"] == "scenario_yaml"
    assert problems({"scenario_id": TRAVERSAL, "sweep": sweep})[0]["path"] == "scenario_id"
    problems({"scenario_id": "0" * 32, "sweep": sweep}, 404)
    # a base scenario given inline is checked like a stored one, its paths prefixed
    data = parse_yaml(_small_yaml())
    data["raids"][0]["count"] = 0
    assert problems({"scenario": data, "sweep": sweep})[0]["path"] == "scenario.raids[0].count"
    text = _small_yaml() + f"terrain: {{dem_path: {TRAVERSAL}}}\n"
    ps = problems({"scenario_yaml": text, "sweep": sweep})
    assert ps[0]["path"] == "scenario_yaml.terrain.dem_path"
    assert problems({"scenario_yaml": "name: [", "sweep": sweep})[0]["path"] == "scenario_yaml"
    # the sweep as YAML text: the same checks, paths under sweep_yaml
    base = {"scenario_id": scenario_id}
    text = yaml.safe_dump({**SWEEP, "base": TRAVERSAL})
    ps = problems(base | {"sweep_yaml": text})
    assert [p["path"] for p in ps] == ["sweep_yaml.base"]
    assert problems(base | {"sweep_yaml": "grid: ["})[0]["path"] == "sweep_yaml"
    assert problems(base | {"sweep_yaml": "- a\n- b"})[0]["path"] == "sweep_yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 10)]
    t0 = time.perf_counter()
    ps = problems(base | {"sweep_yaml": "\n".join(lines) + "\nname: bomb\n"})
    assert ps[0]["path"] == "sweep_yaml" and "more than" in ps[0]["message"]
    assert time.perf_counter() - t0 < 60.0  # refused by counting, not by expanding 10**10 nodes
    # numbers must be finite; a body that is not JSON is refused too
    raw = json.dumps({"scenario_id": scenario_id, "sweep": SWEEP}).replace("300", "NaN")
    r = client.post("/api/sweeps", content=raw, headers=JSON)
    ps = assert_4xx_json(r, 422)["problems"]
    assert [p["path"] for p in ps] == ["sweep.set.duration_s"]
    # a lone surrogate (valid JSON, not Unicode) quoted back in a message must not break it
    sweep = dict(SWEEP, grid=[], points=[{"description": "\ud800"}])
    raw = json.dumps({"scenario_id": scenario_id, "sweep": sweep})
    r = client.post("/api/sweeps", content=raw, headers=JSON)
    assert [p["path"] for p in assert_4xx_json(r, 422)["problems"]] == ["sweep"]
    for content in (b"{not json", b"[]", b"null", b'{"sweep": 5}', b"\xff\xfe"):
        r = client.post(
            "/api/sweeps", content=content, headers={"content-type": "application/json"}
        )
        assert_4xx_json(r)
    assert_4xx_json(client.post("/api/sweeps", json={"sweep_yaml": "x" * 2_000_000}), 413)
    # ids: pattern first, then existence; client paths in URLs read nothing
    for url in (
        "/api/sweeps/not-an-id",
        f"/api/sweeps/{TRAVERSAL}/results",
        "/api/sweeps/..%2F..%2Fetc%2Fpasswd/report.html",
        "/api/sweeps/%2e%2e%2f%2e%2e%2fetc%2fpasswd/base.yaml",
    ):
        assert_4xx_json(client.get(url))
    for suffix in ("", "/results", "/progress", "/report.html", "/sweep.yaml", "/base.yaml"):
        assert_4xx_json(client.get(f"/api/sweeps/{'f' * 32}{suffix}"), 404)
    assert_4xx_json(client.post(f"/api/sweeps/{'f' * 32}/cancel"), 404)
    assert_4xx_json(client.delete(f"/api/sweeps/{'f' * 32}"), 404)


@pytest.mark.browser
def test_browser_defines_runs_and_reads_a_one_axis_sweep(page, client, artifacts):
    t0 = time.perf_counter()
    page.select_option("#reference-select", "single_battery")
    page.click("#load-reference")
    page.wait_for_selector("#validity.ok", timeout=30_000)
    page.click('.tabs button[data-tab="sweep"]')
    page.fill("#sweep-path-1", "raids[0].count")
    page.dispatch_event("#sweep-path-1", "input")
    assert "raids[0].count is now 6" in page.text_content("#sweep-current")
    page.fill("#sweep-values-1", "2, 4")
    page.fill("#sweep-replications", "1")
    page.fill("#sweep-duration", "300")
    page.fill("#sweep-seed", "5")
    # a bad value is refused with the field named, before anything runs
    page.fill("#sweep-values-1", "2, 0")
    page.click("#sweep-button")
    page.wait_for_selector("#sweep-problems li")
    problems = page.locator("#sweep-problems li").all_text_contents()
    assert any(p.startswith("sweep.grid[0].values[1]:") for p in problems), problems
    page.fill("#sweep-values-1", "2, 4")
    page.click("#sweep-button")
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen.add(int(page.get_attribute("#sweep-progress", "aria-valuenow")))
        if page.get_attribute("#sweep-message", "data-status") == "done":
            break
        time.sleep(0.2)
    assert page.get_attribute("#sweep-message", "data-status") == "done", sorted(seen)
    assert page.text_content("#sweep-progress-text") == "100 %"
    page.wait_for_function("document.getElementById('chart-sweep').dataset.points === '2'")
    page.screenshot(path=str(artifacts / "sweep-done.png"))
    rows = page.locator("#sweep-table tr[data-point]")
    assert rows.count() == 2
    sweep = client.get("/api/sweeps").json()[0]
    assert (sweep["status"], sweep["seed"], sweep["total"]) == ("done", 5, 2)
    res = client.get(f"/api/sweeps/{sweep['id']}/results").json()
    for k, point in enumerate(res["points"]):
        row = rows.nth(k)
        assert row.locator("td").first.text_content() == str(point["params"]["raids[0].count"])
        assert row.locator('td[data-metric="n"]').text_content() == "1"
        for metric in ("leakers", "kills", "interceptors_fired"):
            cell = row.locator(f'td[data-metric="{metric}"]').text_content()
            assert cell == f"{point[metric]['mean']:.2f}", (metric, cell, point[metric])
    assert page.get_attribute("#sweep-report", "href").endswith(f"{sweep['id']}/report.html")
    assert "disabled" not in page.get_attribute("#sweep-report", "class")
    print(f"\nbrowser sweep test: {time.perf_counter() - t0:.1f} s")
