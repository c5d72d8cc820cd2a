"""The web application in headless Chromium (Debian's), driven by Playwright.

Screenshots and downloads go to tests/artifacts/web/<test name>/ (printed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from samsim.scenario import load_scenario

pytestmark = pytest.mark.browser

SEED = 7
SHORT_DURATION_S = 1600  # taiwan_north without its last 300 s: CMs and most SRBMs still leak


def shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"))


def load_reference(page, name: str) -> None:
    page.select_option("#reference-select", name)
    page.click("#load-reference")
    page.wait_for_selector("#validity.ok", timeout=30_000)
    page.wait_for_function(
        "document.body.dataset.basemap && "
        "document.querySelectorAll('.leaflet-overlay-pane path').length > 40",
        timeout=30_000,
    )


def drag(page, selector: str, dx: float, dy: float) -> None:
    box = page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def set_field(page, path: str, value: str) -> None:
    field = page.locator(f'.form [data-path="{path}"]')
    field.fill(value)
    field.dispatch_event("change")


def test_taiwan_north_load_move_launcher_run_and_replay(page, server, artifacts, tmp_path):
    t_start = time.perf_counter()
    load_reference(page, "taiwan_north")
    shot(page, artifacts, "01-taiwan_north-loaded")
    # the map shows every site and raid launch point of the scenario
    assert page.locator(".leaflet-marker-icon.mk-launcher").count() == 9
    assert page.locator(".leaflet-marker-icon.mk-radar").count() == 3
    assert page.locator(".leaflet-marker-icon.mk-raid").count() == 8

    marker = '.leaflet-marker-icon[title="launcher fu_taoyuan/ln_1"]'
    drag(page, marker, -70, 45)
    page.wait_for_selector('[data-path="batteries[2].launchers[0].lat_deg"]')
    lat = float(page.input_value('[data-path="batteries[2].launchers[0].lat_deg"]'))
    lon = float(page.input_value('[data-path="batteries[2].launchers[0].lon_deg"]'))
    assert lat < 25.09 - 0.01 and lon < 121.19 - 0.01, (lat, lon)  # moved south-west
    set_field(page, "duration_s", str(SHORT_DURATION_S))
    page.wait_for_selector("#validity.ok")
    shot(page, artifacts, "02-launcher-moved")

    page.click("#save-scenario")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('saved')")
    with page.expect_download() as dl:
        page.click("#export-yaml")
    saved = artifacts / "taiwan_north_edited.yaml"
    dl.value.save_as(str(saved))
    data = yaml.safe_load(saved.read_text())
    ln = data["batteries"][2]["launchers"][0]
    assert (ln["lat_deg"], ln["lon_deg"]) == (lat, lon)
    assert data["duration_s"] == SHORT_DURATION_S
    load_scenario(saved)  # the command line's loader accepts the file unchanged

    # `samsim run` on the saved file, same seed, in parallel with the browser's run
    cli_out = tmp_path / "cli"
    samsim = Path(sys.executable).with_name("samsim")
    cli = subprocess.Popen(
        [str(samsim), "run", str(saved), "--seed", str(SEED), "--out", str(cli_out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    page.click('.tabs button[data-tab="run"]')
    page.fill("#run-seed", str(SEED))
    page.click("#run-button")
    seen = set()
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        value = int(page.get_attribute("#progress", "aria-valuenow"))
        seen.add(value)
        if 30 <= value < 100 and not (artifacts / "03-progress.png").exists():
            shot(page, artifacts, "03-progress")
        if value == 100:
            break
        time.sleep(0.25)
    assert 100 in seen, f"progress never reached 100 %: {sorted(seen)}"
    assert len([v for v in seen if 0 < v < 100]) >= 3, sorted(seen)
    assert page.text_content("#progress-text") == "100 %"
    page.wait_for_selector("#tab-results.active", timeout=60_000)
    assert page.text_content("#replay-duration") == str(SHORT_DURATION_S)

    page.locator("#scrubber").focus()
    page.keyboard.press("End")
    page.wait_for_function(
        f"document.getElementById('replay-time').textContent === '{SHORT_DURATION_S}'"
    )
    leakers_web = int(page.text_content("#leaker-count"))
    shot(page, artifacts, "05-replay-end")

    output, _ = cli.communicate(timeout=400)
    assert cli.returncode == 0, output
    summary = json.loads((cli_out / "summary.json").read_text())
    assert summary["seed"] == SEED
    assert leakers_web == summary["leakers"]["mean"], (leakers_web, summary["leakers"])
    assert leakers_web > 0
    assert int(page.text_content("#kill-count")) == summary["kills"]["mean"]
    assert int(page.text_content("#fired-count")) == summary["interceptors_fired"]["mean"]

    # mid-raid: threats and interceptors in the air with their altitude, radar tracks
    page.evaluate(
        "(() => { const s = document.getElementById('scrubber'); s.value = '1040';"
        " s.dispatchEvent(new Event('input')); })()"
    )
    labels = page.locator(".leaflet-tooltip.alt-label")
    assert labels.count() > 5
    assert any(t.endswith((" m", " km")) for t in labels.all_text_contents())
    assert page.locator(".leaflet-overlay-pane path[stroke='#9b3fd0']").count() > 0
    assert "Radar tracks:" in page.text_content("#track-note")
    shot(page, artifacts, "06-replay-mid-raid")
    # charts and exports are there
    assert page.get_attribute("#export-czml", "href").endswith("/export.czml")
    with page.expect_download() as dl:
        page.click("#export-kml")
    kml_path = artifacts / "replay.kml"
    dl.value.save_as(str(kml_path))
    assert "<gx:Track" in kml_path.read_text()
    print(f"\nbrowser taiwan_north test: {time.perf_counter() - t_start:.1f} s")


def test_edit_forms_show_problems_and_place_entities(page, server, artifacts, client, tmp_path):
    load_reference(page, "single_battery")
    page.click('.leaflet-marker-icon[title^="raid drones"]')
    set_field(page, "raids[0].count", "many")
    page.wait_for_selector("#validity.bad")
    problems = page.locator("#problems li").all_text_contents()
    assert any(p.startswith("raids[0].count:") for p in problems), problems
    assert "bad" in page.get_attribute('.form [data-path="raids[0].count"]', "class")
    shot(page, artifacts, "01-problem-shown")
    # saving an invalid scenario is refused with the same problems
    page.click("#save-scenario")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('not saved')")
    set_field(page, "raids[0].count", "3")
    page.wait_for_selector("#validity.ok")

    # place a new asset, move the raid's launch point, save, and read it back over the API
    page.click('.add-buttons button[data-add="asset"]')
    page.mouse.click(500, 300)
    page.wait_for_function(
        "document.getElementById('validity').textContent.startsWith('valid: 2 assets')"
    )
    drag(page, '.leaflet-marker-icon[title^="raid drones"]', 0, -60)
    page.wait_for_selector("#validity.ok")
    page.click("#save-scenario")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('saved')")
    stored = [s for s in client.get("/api/scenarios").json() if s["name"] == "single_battery"]
    data = client.get(f"/api/scenarios/{stored[0]['id']}").json()["scenario"]
    assert len(data["assets"]) == 2 and data["assets"][1]["name"] == "asset_1"
    assert data["raids"][0]["count"] == 3
    assert data["raids"][0]["launch"]["lat_deg"] > 25.10 + 0.01
    shot(page, artifacts, "02-asset-placed")

    # importing a file that names a DEM is refused with the reason, naming the field
    bad = tmp_path / "with_dem.yaml"
    text = yaml.safe_dump({**data, "terrain": {"dem_path": "../../etc/passwd"}})
    bad.write_text(text)
    page.set_input_files("#import-file", str(bad))
    page.wait_for_function("document.getElementById('status').textContent.includes('not imported')")
    problems = page.locator("#problems li").all_text_contents()
    assert any(
        p.startswith("terrain.dem_path:") and "does not read files" in p for p in problems
    ), problems
    shot(page, artifacts, "03-dem-path-refused")
