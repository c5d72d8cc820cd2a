"""The web application's own store: scenarios and runs in one DuckDB file.

One connection per server process, guarded by a lock (the API is the only
writer; worker processes return results to it). Scenario data and run results
are JSON text; a replay is gzip-compressed JSON. Ids are server-generated
UUID hex strings. The layout is small on purpose so that it can move into the
shared Monte Carlo store later: ``scenarios(id, name, data, created, updated)``
and ``runs(id, scenario_id, scenario_name, scenario_data, seed, replications,
status, progress, sim_time_s, message, created, finished, summary, replay)``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import duckdb

__all__ = ["ID_PATTERN", "Store", "new_id"]

ID_PATTERN = r"^[0-9a-f]{32}$"
RUN_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    data VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,
    updated TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    scenario_id VARCHAR,
    scenario_name VARCHAR NOT NULL,
    scenario_data VARCHAR NOT NULL,
    seed BIGINT NOT NULL,
    replications INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    progress DOUBLE NOT NULL,
    sim_time_s DOUBLE NOT NULL,
    message VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,
    finished TIMESTAMP,
    summary VARCHAR,
    replay BLOB
);
"""


def new_id() -> str:
    """A fresh server-side id (32 lowercase hex digits)."""
    return uuid.uuid4().hex


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat(timespec="seconds") + "Z"


class Store:
    """Scenarios and runs of the web application in ``<data_dir>/samsim-web.duckdb``."""

    FILE_NAME = "samsim-web.duckdb"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / self.FILE_NAME
        self._con = duckdb.connect(str(self.path))
        self._lock = threading.Lock()
        with self._lock:
            self._con.execute(_SCHEMA)
            # Runs that were in progress when the server stopped will never finish.
            self._con.execute(
                "UPDATE runs SET status = 'interrupted', message = 'server stopped during the run'"
                " WHERE status IN ('queued', 'running')"
            )

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _q(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    # Scenarios -------------------------------------------------------------

    def count_scenarios(self) -> int:
        return int(self._q("SELECT count(*) FROM scenarios")[0][0])

    def create_scenario(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        sid, now = new_id(), _now()
        self._q(
            "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?)", [sid, name, json.dumps(data), now, now]
        )
        return self.get_scenario(sid)  # type: ignore[return-value]

    def update_scenario(self, sid: str, name: str, data: dict[str, Any]) -> dict[str, Any] | None:
        rows = self._q(
            "UPDATE scenarios SET name = ?, data = ?, updated = ? WHERE id = ? RETURNING id",
            [name, json.dumps(data), _now(), sid],
        )
        return self.get_scenario(sid) if rows else None

    def delete_scenario(self, sid: str) -> bool:
        return bool(self._q("DELETE FROM scenarios WHERE id = ? RETURNING id", [sid]))

    def get_scenario(self, sid: str) -> dict[str, Any] | None:
        rows = self._q("SELECT id, name, data, created, updated FROM scenarios WHERE id = ?", [sid])
        if not rows:
            return None
        r = rows[0]
        return {
            "id": r[0],
            "name": r[1],
            "scenario": json.loads(r[2]),
            "created": _iso(r[3]),
            "updated": _iso(r[4]),
        }

    def list_scenarios(self) -> list[dict[str, Any]]:
        rows = self._q("SELECT id, name, created, updated FROM scenarios ORDER BY updated DESC")
        return [
            {"id": r[0], "name": r[1], "created": _iso(r[2]), "updated": _iso(r[3])} for r in rows
        ]

    # Runs --------------------------------------------------------------------

    def count_runs(self, states: tuple[str, ...] = RUN_STATES) -> int:
        marks = ",".join("?" * len(states))
        return int(
            self._q(f"SELECT count(*) FROM runs WHERE status IN ({marks})", list(states))[0][0]
        )

    def create_run(
        self,
        scenario_id: str,
        scenario_name: str,
        scenario_data: dict[str, Any],
        seed: int,
        replications: int,
    ) -> dict[str, Any]:
        rid = new_id()
        self._q(
            "INSERT INTO runs (id, scenario_id, scenario_name, scenario_data, seed, replications,"
            " status, progress, sim_time_s, message, created)"
            " VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, 0, '', ?)",
            [
                rid,
                scenario_id,
                scenario_name,
                json.dumps(scenario_data),
                seed,
                replications,
                _now(),
            ],
        )
        return self.get_run(rid)  # type: ignore[return-value]

    def set_progress(self, rid: str, progress: float, sim_time_s: float) -> None:
        self._q(
            "UPDATE runs SET status = 'running', progress = ?, sim_time_s = ?"
            " WHERE id = ? AND status IN ('queued', 'running')",
            [float(progress), float(sim_time_s), rid],
        )

    def finish_run(
        self,
        rid: str,
        status: str,
        message: str = "",
        summary: dict[str, Any] | None = None,
        replay: dict[str, Any] | None = None,
    ) -> None:
        blob = None if replay is None else gzip.compress(json.dumps(replay).encode(), 5)
        progress_sql = "1.0" if status == "done" else "progress"
        self._q(
            f"UPDATE runs SET status = ?, message = ?, finished = ?, progress = {progress_sql},"
            " summary = ?, replay = ? WHERE id = ?",
            [
                status,
                message,
                _now(),
                None if summary is None else json.dumps(summary),
                blob,
                rid,
            ],
        )

    def get_run(self, rid: str) -> dict[str, Any] | None:
        rows = self._q(
            "SELECT id, scenario_id, scenario_name, seed, replications, status, progress,"
            " sim_time_s, message, created, finished, summary, replay IS NOT NULL"
            " FROM runs WHERE id = ?",
            [rid],
        )
        if not rows:
            return None
        r = rows[0]
        return {
            "id": r[0],
            "scenario_id": r[1],
            "scenario_name": r[2],
            "seed": int(r[3]),
            "replications": int(r[4]),
            "status": r[5],
            "progress": float(r[6]),
            "sim_time_s": float(r[7]),
            "message": r[8],
            "created": _iso(r[9]),
            "finished": _iso(r[10]),
            "summary": None if r[11] is None else json.loads(r[11]),
            "has_replay": bool(r[12]),
        }

    def run_scenario_data(self, rid: str) -> dict[str, Any] | None:
        rows = self._q("SELECT scenario_data FROM runs WHERE id = ?", [rid])
        return json.loads(rows[0][0]) if rows else None

    def get_replay_gzip(self, rid: str) -> bytes | None:
        """The replay as stored: gzip-compressed JSON."""
        rows = self._q("SELECT replay FROM runs WHERE id = ?", [rid])
        if not rows or rows[0][0] is None:
            return None
        return bytes(rows[0][0])

    def get_replay(self, rid: str) -> dict[str, Any] | None:
        blob = self.get_replay_gzip(rid)
        return None if blob is None else json.loads(gzip.decompress(blob))

    def list_runs(self) -> list[dict[str, Any]]:
        ids = [r[0] for r in self._q("SELECT id FROM runs ORDER BY created DESC LIMIT 200")]
        return [run for rid in ids if (run := self.get_run(rid)) is not None]

    def delete_run(self, rid: str) -> bool:
        return bool(self._q("DELETE FROM runs WHERE id = ? RETURNING id", [rid]))
