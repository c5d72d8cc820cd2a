"""numba's njit with on-disk caching, used for the few per-entity kernels where
array expressions spend more time in call overhead than in arithmetic
(measured in docs/benchmarks.md)."""

from __future__ import annotations

from numba import njit

jit = njit(cache=True, fastmath=False, nogil=True)

__all__ = ["jit"]
