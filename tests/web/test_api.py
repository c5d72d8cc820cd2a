"""The HTTP API over real HTTP against ``samsim serve`` in a subprocess.

Bad requests get a 4xx with a JSON message, never a 500; client paths read
nothing; a run's results are those of ``samsim run`` for the same seed.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time

import pytest
from web_helpers import PASSWD_MARKERS, assert_4xx_json, sse_events

from samsim.cli.commands import reference_scenario
from samsim.engine import run_replication
from samsim.scenario import ScenarioError, parse_yaml, scenario_from_data

TRAVERSAL = "../../etc/passwd"


def small_data(duration_s: float = 500.0) -> dict:
    data = parse_yaml(reference_scenario("single_battery").read_text())
    data["duration_s"] = duration_s
    return data


def test_openapi_documents_every_operation(client):
    spec = client.get("/openapi.json").json()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    for op in [
        ("GET", "/api/scenarios"),
        ("POST", "/api/scenarios"),
        ("GET", "/api/scenarios/{scenario_id}"),
        ("PUT", "/api/scenarios/{scenario_id}"),
        ("DELETE", "/api/scenarios/{scenario_id}"),
        ("POST", "/api/validate"),
        ("POST", "/api/runs"),
        ("GET", "/api/runs/{run_id}"),
        ("GET", "/api/runs/{run_id}/progress"),
        ("POST", "/api/runs/{run_id}/cancel"),
        ("GET", "/api/runs/{run_id}/replay"),
        ("GET", "/api/runs/{run_id}/export.czml"),
        ("GET", "/api/runs/{run_id}/export.kml"),
        ("GET", "/api/scenarios/{scenario_id}/export.yaml"),
        ("GET", "/api/basemap"),
    ]:
        assert op in ops, op
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("description") or op.get("summary"), (method, path)


def test_scenario_crud_from_yaml_and_json(client):
    text = reference_scenario("single_battery").read_text()
    r = client.post("/api/scenarios", json={"yaml": text})
    assert r.status_code == 201, r.text
    created = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    assert created["scenario"] == parse_yaml(text)
    sid = created["id"]
    data = small_data()
    data["name"] = "renamed"
    r = client.put(f"/api/scenarios/{sid}", json={"scenario": data})
    assert r.status_code == 200 and r.json()["name"] == "renamed"
    assert client.get(f"/api/scenarios/{sid}").json()["scenario"]["duration_s"] == 500.0
    assert sid in [s["id"] for s in client.get("/api/scenarios").json()]
    r = client.post("/api/scenarios", json={"scenario": data})
    assert r.status_code == 201 and r.json()["id"] != sid
    assert client.delete(f"/api/scenarios/{sid}").status_code == 204
    assert_4xx_json(client.get(f"/api/scenarios/{sid}"), 404)
    assert_4xx_json(client.delete(f"/api/scenarios/{sid}"), 404)


def test_validate_reports_the_same_problems_as_samsim_validate(client):
    data = small_data()
    data["raids"][0]["target"] = "nowhere"
    data["batteries"][0]["launchers"][1]["loadout"] = {"amraam": 9}
    data["assets"][0]["lat_deg"] = 95
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(data)
    expected = [{"path": p.path, "message": p.message} for p in exc.value.problems]
    r = client.post("/api/validate", json={"scenario": data})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is False
    assert body["problems"] == expected
    assert any(p["path"] == "assets[0].lat_deg" for p in body["problems"])
    # cross-checks (after the models pass)
    data["assets"][0]["lat_deg"] = 25.0
    body = client.post("/api/validate", json={"scenario": data}).json()
    paths = {p["path"] for p in body["problems"]}
    assert paths == {"raids[0].target", "batteries[0].launchers[1].loadout"}
    # storing an invalid scenario is refused with the same problems
    body = assert_4xx_json(client.post("/api/scenarios", json={"scenario": data}), 422)
    assert {p["path"] for p in body["problems"]} == paths


def test_validate_gives_coverage_limited_by_the_horizon(client):
    from samsim.geo import radar_horizon_m

    data = small_data()
    low = client.post("/api/validate?target_alt_m=10", json={"scenario": data}).json()
    high = client.post("/api/validate?target_alt_m=10000", json={"scenario": data}).json()
    assert low["valid"] and high["valid"]
    r_low, r_high = low["coverage"]["radars"][0], high["coverage"]["radars"][0]
    # a 60 m site plus the mast against a 10 m target: the horizon binds
    assert r_low["range_m"] == pytest.approx(
        float(radar_horizon_m(r_low["antenna_m"], 10.0)), rel=1e-9
    )
    assert r_low["range_m"] < r_low["instrumented_m"]
    # against a 10 km target the instrumented range binds
    assert r_high["range_m"] == r_high["instrumented_m"]
    launchers = low["coverage"]["launchers"]
    assert [ln["max_range_m"] > 0 for ln in launchers] == [True, True]


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda d: d.update(terrain={"dem_path": TRAVERSAL}), "terrain.dem_path"),
        (
            lambda d: d.update(terrain={"dem_path": "/etc/passwd", "cell_m": 200}),
            "terrain.dem_path",
        ),
        (
            lambda d: d.update(catalog={"radars": {"sentinel": {"pattern_file": TRAVERSAL}}}),
            "catalog.radars.sentinel.pattern_file",
        ),
        (lambda d: d.update(output_dir=TRAVERSAL), "output_dir"),
        (lambda d: d["assets"][0].update(url="file:///etc/passwd"), "assets[0].url"),
    ],
)
def test_scenarios_naming_files_are_refused(client, mutate, path):
    data = small_data()
    mutate(data)
    for method, url in [("POST", "/api/scenarios"), ("POST", "/api/convert")]:
        body = assert_4xx_json(client.request(method, url, json={"scenario": data}), 422)
        assert [p["path"] for p in body["problems"]] == [path]
        assert "does not read files named by a client" in body["problems"][0]["message"]
    body = client.post("/api/validate", json={"scenario": data}).json()
    assert body["valid"] is False and body["problems"][0]["path"] == path


def test_traversal_strings_anywhere_read_nothing(client):
    for url in [
        f"/api/scenarios/{TRAVERSAL}",
        "/api/scenarios/..%2F..%2Fetc%2Fpasswd",
        "/api/scenarios/%2e%2e%2f%2e%2e%2fetc%2fpasswd/export.yaml",
        f"/api/runs/{TRAVERSAL}/replay",
        "/api/runs/..%2F..%2Fetc%2Fpasswd/export.kml",
        f"/api/reference-scenarios/{TRAVERSAL}/copy",
        "/api/reference-scenarios/..%2F..%2Fetc%2Fpasswd/copy",
        "/static/../../../../etc/passwd",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/vendor/../../../../../etc/passwd",
    ]:
        for method in ("GET", "POST"):
            resp = client.request(method, url)
            assert 400 <= resp.status_code < 500, (method, url, resp.status_code)
            for text in PASSWD_MARKERS:
                assert text not in resp.text
    # in names (refused by the name pattern) and in free text (kept as text, never opened)
    data = small_data()
    data["name"] = TRAVERSAL
    body = assert_4xx_json(client.post("/api/scenarios", json={"scenario": data}), 422)
    assert body["problems"][0]["path"] == "name"
    data = small_data()
    data["description"] = TRAVERSAL
    r = client.post("/api/scenarios", json={"scenario": data})
    assert r.status_code == 201
    assert r.json()["scenario"]["description"] == TRAVERSAL
    r = client.post("/api/runs", json={"scenario_id": TRAVERSAL})
    assert_4xx_json(r, 422)
    evil = f"!!python/object/apply:os.system ['cat {TRAVERSAL}']"
    r = client.post("/api/scenarios", json={"yaml": evil})
    assert_4xx_json(r, 422)
    r = client.post("/api/scenarios", json={"yaml": TRAVERSAL})
    assert_4xx_json(r, 422)


def test_oversized_bodies_get_413(client, server):
    big = {"yaml": "x" * 2_000_000}
    body = assert_4xx_json(client.post("/api/scenarios", json=big), 413)
    assert "larger than" in body["detail"]

    def chunks():
        for _ in range(40):
            yield b"y" * 50_000

    r = client.post("/api/validate", content=chunks(), headers={"content-type": "application/json"})
    assert_4xx_json(r, 413)
    assert client.get("/api/health").status_code == 200


def test_scenario_size_limits_give_422_with_the_field(client):
    limits = client.get("/api/limits").json()
    data = small_data()
    data["duration_s"] = limits["max_duration_s"] + 1
    body = assert_4xx_json(client.post("/api/scenarios", json={"scenario": data}), 422)
    assert [p["path"] for p in body["problems"]] == ["duration_s"]
    data = small_data()
    data["raids"][0]["count"] = limits["max_threats"] + 1
    body = assert_4xx_json(client.post("/api/scenarios", json={"scenario": data}), 422)
    assert [p["path"] for p in body["problems"]] == ["raids"]
    data = small_data()
    data["step_s"] = 0.01
    data["duration_s"] = 14_000
    body = assert_4xx_json(client.post("/api/scenarios", json={"scenario": data}), 422)
    assert [p["path"] for p in body["problems"]] == ["step_s"]
    sid = client.post("/api/scenarios", json={"scenario": small_data()}).json()["id"]
    r = client.post("/api/runs", json={"scenario_id": sid, "replications": 10_000})
    body = assert_4xx_json(r, 422)
    assert body["problems"][0]["path"] == "replications"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"text"',
        b"null",
        b'{"yaml": 5}',
        b'{"yaml": "a: 1", "scenario": {}}',
        b"{}",
        b'{"scenario": {"name": "x", "duration_s": NaN, "assets": []}}',
        b'{"scenario": {"name": "x", "duration_s": Infinity}}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"scenario": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}",
        b'{"yaml": "' + b"[" * 5_000 + b'"}',
        b'{"yaml": "name: [unclosed"}',
        b'{"yaml": "- a list\\n- not a mapping"}',
        b'{"yaml": "when: 2024-01-01\\nname: x"}',
        b'{"yaml": "1: numeric key"}',
        b'{"yaml": "name: caf\\u00e9\\u0000"}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_bodies_get_4xx_with_a_message(client, content):
    for url in ("/api/scenarios", "/api/validate", "/api/convert"):
        r = client.post(url, content=content, headers={"content-type": "application/json"})
        if url == "/api/validate" and r.status_code == 200:
            assert r.json()["valid"] is False
            continue
        assert_4xx_json(r)


def test_yaml_alias_bombs_are_refused_quickly(client):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 10):
        prev = f"*a{k - 1}"
        lines.append(f"a{k}: &a{k} [{', '.join([prev] * 10)}]")
    bomb = "\n".join(lines) + "\nname: bomb\n"
    t0 = time.perf_counter()
    body = assert_4xx_json(client.post("/api/scenarios", json={"yaml": bomb}), 422)
    assert time.perf_counter() - t0 < 5.0
    assert "more than" in body["problems"][0]["message"]


def test_bad_ids_and_parameters(client):
    assert_4xx_json(client.get("/api/scenarios/not-an-id"), 422)
    assert_4xx_json(client.get("/api/scenarios/" + "0" * 32), 404)
    assert_4xx_json(client.get("/api/runs/" + "f" * 32), 404)
    assert_4xx_json(client.get("/api/runs/" + "f" * 32 + "/progress"), 404)
    assert_4xx_json(client.post("/api/runs/" + "f" * 32 + "/cancel"), 404)
    assert_4xx_json(client.post("/api/runs", json={"scenario_id": "0" * 32}), 404)
    assert_4xx_json(client.post("/api/runs", json={"scenario_id": "0" * 32, "seed": -1}), 422)
    assert_4xx_json(client.get("/api/basemap?lon_min=10&lon_max=5"), 422)
    assert_4xx_json(client.get("/api/basemap?lon_min=0&lon_max=100"), 422)
    assert_4xx_json(client.get("/api/basemap?lat_min=nan"), 422)
    assert_4xx_json(client.post("/api/validate?target_alt_m=-5", json={"scenario": {}}), 422)
    assert_4xx_json(client.get("/api/nothing-here"), 404)
    assert_4xx_json(client.put("/api/health"), 405)


def test_basemap_shows_northern_taiwan_and_yonaguni(client):
    gj = client.get("/api/basemap?lon_min=118&lat_min=23&lon_max=124&lat_max=27").json()
    rings = [f["geometry"]["coordinates"][0] for f in gj["features"]]

    def contains(lon, lat):
        # ray casting over all rings
        inside = False
        for ring in rings:
            for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside

    assert contains(121.51, 25.04)  # Taipei
    assert contains(123.0, 24.455)  # Yonaguni
    assert contains(118.9, 25.0)  # the mainland coast near Quanzhou
    assert not contains(120.3, 24.8)  # the strait
    for ring in rings:
        for lon, lat in ring:
            assert 118 <= lon <= 124 and 23 <= lat <= 27


def _progress_events(server, run_id: str, timeout_s: float = 240.0) -> list[dict]:
    return sse_events(server, f"/api/runs/{run_id}/progress", timeout_s)


def test_a_run_reports_progress_and_gives_the_results_of_samsim_run(client, server):
    data = small_data(700.0)
    sid = client.post("/api/scenarios", json={"scenario": data}).json()["id"]
    r = client.post("/api/runs", json={"scenario_id": sid, "seed": 11})
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "queued" and run["seed"] == 11
    # the API answers quickly while the worker simulates
    latencies = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            t0 = time.perf_counter()
            assert client.get("/api/health").status_code == 200
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        events = _progress_events(server, run["id"])
    finally:
        done.set()
        poller.join()
    assert events[-1]["status"] == "done" and events[-1]["progress"] == 1.0
    fractions = [e["progress"] for e in events]
    assert fractions == sorted(fractions)
    assert max(latencies) < 2.0, latencies
    final = client.get(f"/api/runs/{run['id']}").json()
    sc, cat = scenario_from_data(data)
    expected = run_replication(sc, cat, 0, 11).metrics
    summary = final["summary"]
    for key in ("threats", "kills", "leakers", "interceptors_fired", "cost_defence"):
        assert summary[key]["mean"] == pytest.approx(expected[key]), key
    replay = client.get(f"/api/runs/{run['id']}/replay").json()
    assert replay["seed"] == 11 and replay["metrics"]["leakers"] == expected["leakers"]
    czml = client.get(f"/api/runs/{run['id']}/export.czml")
    assert czml.status_code == 200 and json.loads(czml.text)[0]["id"] == "document"
    kml = client.get(f"/api/runs/{run['id']}/export.kml")
    assert kml.status_code == 200 and "<gx:Track" in kml.text
    y = client.get(f"/api/runs/{run['id']}/scenario.yaml")
    assert parse_yaml(y.text) == data
    assert_4xx_json(client.post(f"/api/runs/{run['id']}/cancel"), 409)


def test_a_run_can_be_cancelled(client, server):
    data = parse_yaml(reference_scenario("taiwan_north").read_text())
    sid = client.post("/api/scenarios", json={"scenario": data}).json()["id"]
    run = client.post("/api/runs", json={"scenario_id": sid, "replications": 8}).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        cur = client.get(f"/api/runs/{run['id']}").json()
        if cur["status"] == "running" and cur["progress"] > 0:
            break
        time.sleep(0.2)
    r = client.post(f"/api/runs/{run['id']}/cancel")
    assert r.status_code == 202
    events = _progress_events(server, run["id"], timeout_s=60)
    assert events[-1]["status"] == "cancelled"
    assert events[-1]["progress"] < 1.0
    assert_4xx_json(client.get(f"/api/runs/{run['id']}/replay"), 409)
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204


def test_serve_refuses_a_store_held_by_another_server(server, tmp_path):
    from typer.testing import CliRunner

    from samsim.cli import app

    result = CliRunner().invoke(
        app, ["serve", "--port", "1", "--data", str(server.data_dir)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "--data: cannot open the store" in result.output
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = CliRunner().invoke(app, ["serve", "--data", str(not_a_dir)])
    assert result.exit_code == 2
    assert "is not a directory" in result.output
    result = CliRunner().invoke(app, ["serve", "--host", "example.org"])
    assert result.exit_code == 2
    assert "not an IP address" in result.output


def _worker_pids(server_pid: int) -> list[int]:
    """Worker processes the server spawned (children running multiprocessing's spawn_main)."""
    import os
    from pathlib import Path

    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    assert os.getpid() not in pids
    return pids


def test_a_killed_worker_fails_its_run_and_the_server_recovers(client, server):
    import os
    import signal

    data = parse_yaml(reference_scenario("taiwan_north").read_text())
    sid = client.post("/api/scenarios", json={"scenario": data}).json()["id"]
    run = client.post("/api/runs", json={"scenario_id": sid}).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if client.get(f"/api/runs/{run['id']}").json()["progress"] > 0:
            break
        time.sleep(0.2)
    pids = _worker_pids(server.proc.pid)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    events = _progress_events(server, run["id"], timeout_s=60)
    assert events[-1]["status"] == "failed"
    assert "worker failed" in events[-1]["message"]
    # the next run gets a fresh pool
    sid = client.post("/api/scenarios", json={"scenario": small_data(200.0)}).json()["id"]
    nxt = client.post("/api/runs", json={"scenario_id": sid})
    assert nxt.status_code == 202
    assert _progress_events(server, nxt.json()["id"])[-1]["status"] == "done"
