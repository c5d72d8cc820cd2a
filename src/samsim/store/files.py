"""Run outputs on disk: ``summary.json`` and ``events.parquet``, written atomically.

Each file is written to a temporary name in the output directory and renamed
into place only when complete, so a crash never leaves a partial file that
looks finished. The output directory itself is created only once a run has
results to write.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from samsim.world.events import SCHEMA


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` (pretty-printed, NaN as null)."""
    path = Path(out_dir) / "summary.json"
    text = json.dumps(_clean(summary), indent=2, sort_keys=False) + "\n"
    _atomic_write(path, lambda p: p.write_text(text, "utf-8"))
    return path


def write_events(out_dir: Path, tables: list[pa.Table]) -> Path:
    """Write all replications' events as one ``events.parquet``."""
    path = Path(out_dir) / "events.parquet"
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    _atomic_write(path, lambda p: pq.write_table(table, p))
    return path


def read_summary(out_dir: Path) -> dict[str, Any]:
    return json.loads((Path(out_dir) / "summary.json").read_text("utf-8"))
