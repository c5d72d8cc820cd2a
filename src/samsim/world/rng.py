"""Random streams: one numpy Generator per subsystem and replication.

Streams are spawned from ``SeedSequence(seed, spawn_key=(replication,))``, so a
replication draws the same numbers whatever process or order it runs in.
"""

from __future__ import annotations

import numpy as np

STREAMS = ("raids", "radar", "iff", "fdc", "kill", "interceptor", "eoir")


def spawn_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """A named Generator per subsystem for one replication."""
    root = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication),))
    return {
        name: np.random.Generator(np.random.PCG64(child))
        for name, child in zip(STREAMS, root.spawn(len(STREAMS)), strict=True)
    }
