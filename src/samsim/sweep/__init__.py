"""Replications and sweeps: local worker processes (Dask comes with the Monte Carlo issue)."""

from samsim.sweep.local import run_replications

__all__ = ["run_replications"]
