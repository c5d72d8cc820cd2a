"""Run outputs: JSON without NaN, Parquet with the event schema, atomic writes."""

import json
import math

import pyarrow.parquet as pq

from samsim.store import read_summary, write_events, write_summary
from samsim.world.events import SCHEMA


def test_summary_json_turns_nan_into_null(tmp_path):
    path = write_summary(tmp_path / "out", {"a": math.nan, "b": [1.0, math.inf], "c": {"d": 2}})
    text = path.read_text("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": {"d": 2}}
    assert read_summary(tmp_path / "out")["c"] == {"d": 2}
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["summary.json"]  # no temp files


def test_no_events_still_write_the_schema(tmp_path):
    path = write_events(tmp_path, [])
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA)
