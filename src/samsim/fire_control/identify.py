"""Identification of tracks and what the rules of engagement allow.

A track that ever answers an IFF interrogation is friend (Mode 5) or civil
(transponder) for good. One that stays silent through the FDC's reply window
becomes unknown, and unknown becomes hostile when it behaves like a threat:
inbound to a defended asset, or faster than any civil aircraft at low level.
Kinematic classification guesses the threat category the planner needs for Pk
and doctrine; a decoy is by design indistinguishable from its host.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

PENDING, UNKNOWN, HOSTILE, CIVIL_ID, FRIEND_ID = 0, 1, 2, 3, 4
ID_NAMES = ("pending", "unknown", "hostile", "civil", "friend")

HOSTILE_SPEED_MPS = 350.0

# Weapons status -> identification states that may be engaged.
ENGAGEABLE_IDS = {
    "free": (UNKNOWN, HOSTILE),
    "tight": (HOSTILE,),
    "hold": (),
}


def identify(
    current: NDArray[np.int8],
    interrogations: NDArray,
    civil_replies: NDArray,
    friend_replies: NDArray,
    reply_window: int,
    inbound: NDArray[np.bool_],
    speed_mps: NDArray,
) -> NDArray[np.int8]:
    """New identification states (k,) for tracks from their IFF record and kinematics."""
    ident = current.copy()
    silent = (civil_replies == 0) & (friend_replies == 0)
    ident[(ident == PENDING) & silent & (interrogations >= reply_window)] = UNKNOWN
    ident[(ident == UNKNOWN) & (inbound | (speed_mps > HOSTILE_SPEED_MPS))] = HOSTILE
    ident[civil_replies > 0] = CIVIL_ID
    ident[friend_replies > 0] = FRIEND_ID
    return ident


def may_engage(ident: NDArray[np.int8], weapons_status: str) -> NDArray[np.bool_]:
    """(k,) True where the rules of engagement allow firing at a track."""
    return np.isin(ident, ENGAGEABLE_IDS[weapons_status])


def classify(speed_mps: NDArray, alt_m: NDArray) -> NDArray[np.int8]:
    """Threat category code (threats.CATEGORIES order) guessed from speed and height."""
    from samsim.threats.state import CATEGORY_CODE

    cat = np.full(len(speed_mps), CATEGORY_CODE["aircraft"], dtype=np.int8)
    cat[(speed_mps >= 90.0) & (alt_m < 1500.0)] = CATEGORY_CODE["cruise_missile"]
    cat[speed_mps < 90.0] = CATEGORY_CODE["drone"]
    cat[(speed_mps > 1200.0) | (alt_m > 25_000.0)] = CATEGORY_CODE["ballistic"]
    return cat
