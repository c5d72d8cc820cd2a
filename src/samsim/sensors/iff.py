"""IFF interrogation: civil transponders and friendly Mode-5 replies.

Each radar detection of a real object is interrogated once; civil traffic
replies with the catalog civil probability, friends with the friend
probability, hostiles and false alarms never.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim.threats.state import CIVIL, FRIEND

NO_REPLY, CIVIL_REPLY, FRIEND_REPLY = 0, 1, 2


def interrogate(
    truth_idx: NDArray[np.intp],
    allegiance: NDArray[np.int8],
    p_civil: float,
    p_friend: float,
    rng: np.random.Generator,
) -> NDArray[np.int8]:
    """Reply code per detection (NO_REPLY, CIVIL_REPLY or FRIEND_REPLY)."""
    draw = rng.random(len(truth_idx))
    real = truth_idx >= 0
    alle = np.where(real, allegiance[np.maximum(truth_idx, 0)], -1)
    reply = np.full(len(truth_idx), NO_REPLY, dtype=np.int8)
    reply[(alle == CIVIL) & (draw < p_civil)] = CIVIL_REPLY
    reply[(alle == FRIEND) & (draw < p_friend)] = FRIEND_REPLY
    return reply
