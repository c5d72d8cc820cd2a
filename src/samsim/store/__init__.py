"""Results on disk: run outputs (JSON, Parquet); the DuckDB study store comes with sweeps."""

from samsim.store.files import read_summary, write_events, write_summary

__all__ = ["read_summary", "write_events", "write_summary"]
