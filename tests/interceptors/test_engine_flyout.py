"""In the engine: the FDC's planned intercept times come true in flight."""

import re

import numpy as np

from samsim.engine import run_replication
from samsim.scenario import load_scenario


def test_planned_time_to_intercept_matches_the_flight_in_single_battery():
    from importlib import resources
    from pathlib import Path

    path = Path(str(resources.files("samsim").joinpath("scenarios/single_battery.yaml")))
    sc, cat = load_scenario(path)
    res = run_replication(sc, cat, 0)
    ev = res.events.to_pandas()
    launches = ev[ev.kind == "launch"]
    engages = ev[ev.kind == "engage"]
    assert len(launches) > 0
    diffs = []
    for _, ln in launches.iterrows():
        eng = engages[(engages.time_s == ln.time_s) & (engages.subject == ln.object)]
        tti = float(re.search(r"tti_s=([\d.]+)", eng.detail.iloc[0]).group(1))
        end = ev[(ev.subject == ln.subject) & ev.kind.isin(["kill", "miss", "self_destruct"])]
        assert len(end) == 1  # every round ends once
        if end.kind.iloc[0] == "kill":
            diffs.append(end.time_s.iloc[0] - ln.time_s - tti)
    assert len(diffs) >= 4
    # Track noise and target manoeuvres move the intercept a little, not by much.
    assert np.median(np.abs(diffs)) < 5.0
    assert res.metrics["kills"] >= 6
