"""Results on disk: run outputs (JSON, Parquet) and the DuckDB study store of sweeps."""

from samsim.store.files import read_summary, write_events, write_summary
from samsim.store.study import (
    DB_NAME,
    FORMAT_VERSION,
    StoreError,
    Study,
    create_study,
    open_study,
)

__all__ = [
    "DB_NAME",
    "FORMAT_VERSION",
    "StoreError",
    "Study",
    "create_study",
    "open_study",
    "read_summary",
    "write_events",
    "write_summary",
]
