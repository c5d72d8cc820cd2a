"""Whether a scenario's terrain has any relief, decided once per Terrain object.

``Terrain.is_flat`` scans the whole height grid; the flight and seeker models
ask every step, so the answer is remembered for the few Terrain objects a
process holds (compared by identity).
"""

from __future__ import annotations

from samsim.geo.terrain import Terrain

_SEEN: list[tuple[Terrain, bool]] = []


def relief(terrain: Terrain | None) -> Terrain | None:
    """The terrain if it has any relief, else None."""
    if terrain is None:
        return None
    for seen, flat in _SEEN:
        if seen is terrain:
            return None if flat else terrain
    flat = terrain.is_flat
    _SEEN.append((terrain, flat))
    del _SEEN[:-8]
    return None if flat else terrain
