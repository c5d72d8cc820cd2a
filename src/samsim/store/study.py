"""The results store of a study: one DuckDB file, written as results arrive, plus Parquet.

Layout of ``DIR/study.duckdb`` (format version `FORMAT_VERSION`):

``samsim_meta(key, value)``
    ``format = samsim-study``, ``format_version``, ``samsim_version``, ``created_utc``.
``study``
    one row: the sweep file and the base scenario, verbatim, with their paths
    and SHA-256 hashes, the seed, replications per point, the stopping rule
    (JSON), whether events are stored, the backend that created it.
``points(point, label, params, scenario_json, scenario_sha256)``
    one row per point; ``params`` is the JSON of the swept values.
``point_params(point, name, path, value, value_num)``
    the same values as a long table (``value`` JSON, ``value_num`` when numeric).
``replications(point, replication, seed, <scalar metrics>, metrics, wall_s, backend, worker,
finished_utc)``
    one row per finished replication, primary key ``(point, replication)``;
    ``metrics`` is the JSON of every metric, by-type breakdowns included.
``breakdowns(point, replication, breakdown, name, value)``
    by-type breakdowns (``leakers_by_type``, ...) as a long table.
``events(point, replication, seq, time_s, kind, subject, object, ...)``
    the event log of every replication, when the study stores events.

A replication's rows in all tables are written in one transaction, so a study
interrupted at any moment holds whole replications only; the primary key
makes a second copy of a replication impossible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

import samsim
from samsim.analysis.summary import BREAKDOWNS, SCALARS

DB_NAME = "study.duckdb"
FORMAT = "samsim-study"
FORMAT_VERSION = 1
INT_METRICS = frozenset(
    {
        "threats",
        "kills",
        "leakers",
        "threats_not_engaged",
        "interceptors_fired",
        "civil_or_friendly_engagements",
        "civil_or_friendly_killed",
    }
)
METRIC_COLUMNS = (*SCALARS, "cost_exchange_ratio")
EXPORT_TABLES = ("points", "point_params", "replications", "breakdowns", "events")


class StoreError(ValueError):
    """A study directory or file that cannot be used; the message says why."""


def to_json(value: Any) -> str:
    return json.dumps(_clean(value), sort_keys=True, separators=(",", ":"))


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _schema_sql() -> list[str]:
    metric_cols = ",\n  ".join(
        f"{m} {'BIGINT' if m in INT_METRICS else 'DOUBLE'}" for m in METRIC_COLUMNS
    )
    return [
        "CREATE TABLE samsim_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        """CREATE TABLE study (
  name VARCHAR NOT NULL, description VARCHAR,
  sweep_path VARCHAR NOT NULL, sweep_yaml VARCHAR NOT NULL, sweep_sha256 VARCHAR NOT NULL,
  base_path VARCHAR NOT NULL, base_yaml VARCHAR NOT NULL, base_sha256 VARCHAR NOT NULL,
  seed UBIGINT NOT NULL, replications INTEGER NOT NULL, common_random_numbers BOOLEAN NOT NULL,
  stop VARCHAR, events BOOLEAN NOT NULL, n_points INTEGER NOT NULL,
  created_backend VARCHAR, created_utc TIMESTAMP NOT NULL)""",
        """CREATE TABLE points (
  point INTEGER PRIMARY KEY, label VARCHAR NOT NULL, params VARCHAR NOT NULL,
  scenario_json VARCHAR NOT NULL, scenario_sha256 VARCHAR NOT NULL)""",
        """CREATE TABLE point_params (
  point INTEGER NOT NULL, name VARCHAR NOT NULL, path VARCHAR NOT NULL,
  value VARCHAR NOT NULL, value_num DOUBLE, PRIMARY KEY (point, path))""",
        f"""CREATE TABLE replications (
  point INTEGER NOT NULL, replication INTEGER NOT NULL, seed UBIGINT NOT NULL,
  {metric_cols},
  metrics VARCHAR NOT NULL, wall_s DOUBLE, backend VARCHAR, worker VARCHAR,
  finished_utc TIMESTAMP NOT NULL,
  PRIMARY KEY (point, replication))""",
        """CREATE TABLE breakdowns (
  point INTEGER NOT NULL, replication INTEGER NOT NULL, breakdown VARCHAR NOT NULL,
  name VARCHAR NOT NULL, value DOUBLE NOT NULL,
  PRIMARY KEY (point, replication, breakdown, name))""",
        """CREATE TABLE events (
  point INTEGER NOT NULL, replication INTEGER NOT NULL, seq INTEGER NOT NULL,
  time_s DOUBLE, kind VARCHAR, subject VARCHAR, object VARCHAR,
  lat_deg DOUBLE, lon_deg DOUBLE, alt_m DOUBLE, east_m DOUBLE, north_m DOUBLE, up_m DOUBLE,
  detail VARCHAR)""",
    ]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Study:
    """An open study store (use `create_study` or `open_study`)."""

    def __init__(self, directory: Path, con: Any, read_only: bool) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.con = con
        self.read_only = read_only

    # -- reading ---------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The ``study`` row as a dict."""
        cur = self.con.execute("SELECT * FROM study")
        cols = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            raise StoreError(f"{self.path}: the study table is empty (corrupt study)")
        return dict(zip(cols, row, strict=True))

    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM samsim_meta").fetchall())

    def points(self) -> list[dict[str, Any]]:
        """One dict per point: point, label, params (dict), scenario_json, scenario_sha256."""
        rows = self.con.execute(
            "SELECT point, label, params, scenario_json, scenario_sha256 FROM points ORDER BY point"
        ).fetchall()
        return [
            {
                "point": p,
                "label": label,
                "params": json.loads(params),
                "scenario_json": sj,
                "scenario_sha256": sh,
            }
            for p, label, params, sj, sh in rows
        ]

    def point_names(self) -> dict[str, str]:
        """Swept path -> display name."""
        return dict(
            self.con.execute(
                "SELECT path, any_value(name) FROM point_params GROUP BY path ORDER BY min(rowid)"
            ).fetchall()
        )

    def completed(self) -> dict[tuple[int, int], dict[str, Any]]:
        """Finished replications: (point, replication) -> metrics (NaN restored)."""
        rows = self.con.execute(
            "SELECT point, replication, metrics FROM replications ORDER BY point, replication"
        ).fetchall()
        return {(p, r): metrics_from_json(m) for p, r, m in rows}

    def replication_rows(self) -> list[tuple]:
        """Everything that defines a replication's outcome (no wall time, worker or time stamp).

        Used to check that two runs of a study gave the same results bit for bit.
        """
        cols = ", ".join(("point", "replication", "seed", *METRIC_COLUMNS, "metrics"))
        return self.con.execute(
            f"SELECT {cols} FROM replications ORDER BY point, replication"
        ).fetchall()

    def count(self, table: str = "replications") -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def events(self, point: int | None = None, replication: int | None = None) -> pd.DataFrame:
        """Stored events (all, or of one point and/or replication), in recorded order."""
        where, args = [], []
        if point is not None:
            where.append("point = ?")
            args.append(int(point))
        if replication is not None:
            where.append("replication = ?")
            args.append(int(replication))
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY point, replication, seq"
        return self.con.execute(sql, args).fetchdf()

    # -- writing ---------------------------------------------------------------

    def add_replication(
        self,
        point: int,
        replication: int,
        seed: int,
        metrics: dict[str, Any],
        *,
        wall_s: float,
        backend: str,
        worker: str,
        events: pa.Table | None = None,
    ) -> bool:
        """Commit one replication (row, breakdowns, events) in one transaction.

        Returns False, writing nothing, when the replication is already stored
        with the same outcome (a task run twice after a lost worker); raises
        `StoreError` when it is stored with a different outcome, which would
        mean the engine is not deterministic.
        """
        metrics_json = to_json(metrics)
        row = [int(point), int(replication), int(seed)]
        for m in METRIC_COLUMNS:
            v = metrics.get(m)
            row.append(None if v is None else (int(v) if m in INT_METRICS else float(v)))
        row += [metrics_json, float(wall_s), backend, worker, _utcnow()]
        marks = ", ".join("?" * len(row))
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            exists = con.execute(
                "SELECT metrics, seed FROM replications WHERE point = ? AND replication = ?",
                [int(point), int(replication)],
            ).fetchone()
            if exists is not None:
                con.execute("ROLLBACK")
                if exists[0] == metrics_json and int(exists[1]) == int(seed):
                    return False
                raise StoreError(
                    f"point {point} replication {replication} is stored with a different "
                    "outcome: the same seed gave different results"
                )
            con.execute(f"INSERT INTO replications VALUES ({marks})", row)
            parts = [
                (int(point), int(replication), key, str(name), float(value))
                for key in BREAKDOWNS
                for name, value in sorted((metrics.get(key) or {}).items())
            ]
            if parts:
                con.executemany("INSERT INTO breakdowns VALUES (?, ?, ?, ?, ?)", parts)
            if events is not None and events.num_rows:
                ev = (
                    events.drop_columns(["replication"])
                    if "replication" in events.column_names
                    else events
                )
                ev = ev.add_column(0, "seq", pa.array(range(ev.num_rows), pa.int32()))
                con.register("_samsim_events", ev)
                try:
                    con.execute(
                        "INSERT INTO events SELECT ?, ?, seq, time_s, kind, subject, object, "
                        "lat_deg, lon_deg, alt_m, east_m, north_m, up_m, detail "
                        "FROM _samsim_events",
                        [int(point), int(replication)],
                    )
                finally:
                    con.unregister("_samsim_events")
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("ROLLBACK")
            raise
        return True

    def export_parquet(self, tables: Sequence[str] = EXPORT_TABLES) -> list[Path]:
        """Write ``DIR/<table>.parquet`` for each table (atomically: temporary name, rename)."""
        written = []
        for table in tables:
            if table == "events" and not self.count("events"):
                continue
            final = self.directory / f"{table}.parquet"
            fd, tmp = tempfile.mkstemp(prefix=f".{table}.", suffix=".parquet", dir=self.directory)
            os.close(fd)
            try:
                order = "point, replication, seq" if table == "events" else "ALL"
                self.con.execute(
                    f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{_sql_str(tmp)}' "
                    "(FORMAT PARQUET)"
                )
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(final)
        return written

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_str(text: str) -> str:
    return str(text).replace("'", "''")


def metrics_from_json(text: str) -> dict[str, Any]:
    m = json.loads(text)
    for k in ("cost_exchange_ratio", *SCALARS):
        if k in m and m[k] is None:
            m[k] = math.nan
    return m


def _connect(path: Path, read_only: bool, *, sandbox: bool = False) -> Any:
    import duckdb

    config = {"enable_external_access": False} if sandbox else {}
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(
                f"{path}: the study is open in another process (a sweep still running?): "
                f"{text.splitlines()[0]}"
            ) from None
        raise StoreError(
            f"{path}: not a readable DuckDB database (corrupt, truncated or not a samsim "
            f"study): {text.splitlines()[0] if text else type(exc).__name__}"
        ) from None


def open_study(directory: str | Path, *, read_only: bool = True, sandbox: bool = False) -> Study:
    """Open the study in ``directory`` and check that it is one this samsim can read.

    ``sandbox`` forbids the connection any file access beyond the database
    (for user-supplied SQL).

    Raises
    ------
    StoreError
        no study there; the file is corrupt, foreign (a DuckDB database that
        is not a samsim study) or of another format version; or it is locked
        by a running sweep.
    """
    import duckdb

    d = Path(directory)
    path = d / DB_NAME
    if not d.is_dir():
        raise StoreError(f"{d}: no such study directory")
    if not path.is_file():
        raise StoreError(f"{d}: no study here ({DB_NAME} is missing)")
    con = _connect(path, read_only, sandbox=sandbox)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if "samsim_meta" not in tables:
            raise StoreError(
                f"{path}: a DuckDB database but not a samsim study (no samsim_meta table)"
            )
        meta = dict(con.execute("SELECT key, value FROM samsim_meta").fetchall())
        if meta.get("format") != FORMAT:
            raise StoreError(f"{path}: not a samsim study (format {meta.get('format')!r})")
        version = meta.get("format_version")
        if version != str(FORMAT_VERSION):
            raise StoreError(
                f"{path}: study format version {version}, this samsim "
                f"({samsim.__version__}) reads version {FORMAT_VERSION}"
            )
        missing = {"study", "points", "point_params", "replications", "breakdowns", "events"}
        missing -= tables
        if missing:
            raise StoreError(
                f"{path}: incomplete samsim study (missing {', '.join(sorted(missing))})"
            )
        return Study(d, con, read_only)
    except StoreError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{path}: cannot read the study ({str(exc).splitlines()[0]})") from None


def create_study(directory: str | Path, plan: Any, *, events: bool, backend: str) -> Study:
    """Create ``DIR/study.duckdb`` for a validated `samsim.sweep.SweepPlan`.

    The whole definition (sweep file, base scenario, every point's complete
    scenario and hash) is written in one transaction before any replication
    runs. Raises `StoreError` when the directory already holds a study.
    """
    import duckdb

    d = Path(directory)
    path = d / DB_NAME
    if path.exists() or Path(str(path) + ".wal").exists():
        raise StoreError(
            f"{d} already holds a study; resume it with --resume or choose another --out"
        )
    d.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN TRANSACTION")
        for sql in _schema_sql():
            con.execute(sql)
        now = _utcnow()
        con.executemany(
            "INSERT INTO samsim_meta VALUES (?, ?)",
            [
                ("format", FORMAT),
                ("format_version", str(FORMAT_VERSION)),
                ("samsim_version", samsim.__version__),
                ("created_utc", now.isoformat()),
            ],
        )
        spec = plan.spec
        con.execute(
            "INSERT INTO study VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                spec.name,
                spec.description,
                plan.sweep_path,
                plan.sweep_text,
                plan.sweep_sha256,
                plan.base_path,
                plan.base_text,
                plan.base_sha256,
                int(plan.seed),
                int(spec.replications),
                bool(spec.common_random_numbers),
                None if spec.stop is None else spec.stop.model_dump_json(),
                bool(events),
                len(plan.points),
                backend,
                now,
            ],
        )
        con.executemany(
            "INSERT INTO points VALUES (?, ?, ?, ?, ?)",
            [
                (
                    pt.index,
                    pt.label,
                    to_json(pt.params),
                    pt.scenario.model_dump_json(),
                    pt.sha256,
                )
                for pt in plan.points
            ],
        )
        params = [
            (
                pt.index,
                plan.names[path],
                path,
                to_json(value),
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None,
            )
            for pt in plan.points
            for path, value in pt.params.items()
        ]
        if params:
            con.executemany("INSERT INTO point_params VALUES (?, ?, ?, ?, ?)", params)
        con.execute("COMMIT")
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        raise
    return Study(d, con, read_only=False)
