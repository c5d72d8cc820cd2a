"""Identification of tracks and what the rules of engagement allow.

Identification states (codes in ``tracks.ident``):

- ``pending``: still inside the FDC's IFF reply window; never engaged.
- ``friend`` / ``civil``: the track answered an IFF interrogation (Mode 5, or a
  civil transponder); sticky, never engaged whatever the weapons status.
- ``unknown``: silent through the reply window.
- ``suspect``: unknown and closing on a defended asset (range to the nearest
  asset shrinking, within ``SUSPECT_RANGE_M``), or on a course that threatens
  one (threat evaluation) but still far from it in time.
- ``hostile``: silent and committed: on a course that reaches a defended asset
  within the doctrine's ``hostile_time_s``, or faster than any civil aircraft.

Identification only escalates (unknown -> suspect -> hostile) until an IFF
reply overrides it. What each weapons status allows (``ENGAGEABLE_IDS``):
hold nothing; tight hostile only; free anything identified that is not friend
or civil (hostile, suspect, unknown). Kinematic classification guesses the
threat category the planner needs for Pk and doctrine; a decoy is by design
indistinguishable from its host.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit

PENDING, UNKNOWN, HOSTILE, CIVIL_ID, FRIEND_ID, SUSPECT = 0, 1, 2, 3, 4, 5
ID_NAMES = ("pending", "unknown", "hostile", "civil", "friend", "suspect")

HOSTILE_SPEED_MPS = 350.0
SUSPECT_RANGE_M = 60_000.0

# Weapons status -> identification states that may be engaged.
ENGAGEABLE_IDS = {
    "free": (UNKNOWN, SUSPECT, HOSTILE),
    "tight": (HOSTILE,),
    "hold": (),
}

# Confidence that a track in each state is a real threat, for threat evaluation
# (index by identification code; notional weights, documented in the README).
ID_CONFIDENCE = np.array([0.0, 0.3, 1.0, 0.0, 0.0, 0.6])


def identify(
    current: NDArray[np.int8],
    interrogations: NDArray,
    civil_replies: NDArray,
    friend_replies: NDArray,
    reply_window: int,
    inbound: NDArray[np.bool_],
    speed_mps: NDArray,
    closing: NDArray[np.bool_] | None = None,
    committed: NDArray[np.bool_] | None = None,
) -> NDArray[np.int8]:
    """New identification states (k,) for tracks from their IFF record and kinematics.

    Parameters
    ----------
    current : (k,) identification codes now
    interrogations, civil_replies, friend_replies : (k,) IFF counts of each track
    reply_window : interrogations without a reply before a track is unknown
    inbound : (k,) on a course that threatens a defended asset
    speed_mps : (k,) track speed [m/s]
    closing : (k,) closing on a defended asset within ``SUSPECT_RANGE_M``;
        None: never suspect
    committed : (k,) inbound and due at the asset within the doctrine's hostile
        time; None: every inbound track is committed
    """
    current = np.asarray(current)
    ident = current.copy()
    inbound = np.asarray(inbound, dtype=np.bool_)
    _identify_kernel(
        ident,
        np.asarray(interrogations),
        np.asarray(civil_replies),
        np.asarray(friend_replies),
        int(reply_window),
        inbound,
        np.asarray(speed_mps, dtype=np.float64),
        closing is not None,
        inbound if closing is None else np.asarray(closing, dtype=np.bool_),
        inbound if committed is None else np.asarray(committed, dtype=np.bool_),
    )
    return ident


@jit
def identify_one(
    c, interrogations, civil, friend, window, use_closing, closing, inbound, committed, speed
):  # pragma: no cover - compiled
    """``identify`` of one track: its new code from its code ``c`` now."""
    if c == PENDING and civil == 0 and friend == 0 and interrogations >= window:
        c = UNKNOWN
    if use_closing and c == UNKNOWN and (closing or inbound):
        c = SUSPECT
    hostile_act = committed or speed > HOSTILE_SPEED_MPS
    if (c == UNKNOWN or c == SUSPECT) and hostile_act:  # noqa: SIM109 (compiled)
        c = HOSTILE
    if civil > 0:
        c = CIVIL_ID
    if friend > 0:
        c = FRIEND_ID
    return c


@jit
def _identify_kernel(
    ident, interrogations, civil, friend, window, inbound, speed, use_closing, closing, committed
):  # pragma: no cover - compiled
    """``identify`` per track, in place on ``ident`` (a few dozen tracks per look)."""
    for i in range(ident.shape[0]):
        ident[i] = identify_one(
            ident[i],
            interrogations[i],
            civil[i],
            friend[i],
            window,
            use_closing,
            closing[i],
            inbound[i],
            committed[i],
            speed[i],
        )


def may_engage(ident: NDArray[np.int8], weapons_status: str) -> NDArray[np.bool_]:
    """(k,) True where the rules of engagement allow firing at a track."""
    return ENGAGEABLE_TABLE[weapons_status][ident]


def _allowed(ids: tuple[int, ...]) -> NDArray[np.bool_]:
    allowed = np.zeros(len(ID_CONFIDENCE), dtype=bool)  # one entry per identification code
    allowed[list(ids)] = True
    return allowed


# Weapons status -> (identification codes,) True where it may be engaged.
ENGAGEABLE_TABLE = {status: _allowed(ids) for status, ids in ENGAGEABLE_IDS.items()}


def classify(speed_mps: NDArray, alt_m: NDArray) -> NDArray[np.int8]:
    """Threat category code (threats.CATEGORIES order) guessed from speed and height."""
    from samsim.threats.state import CATEGORY_CODE

    speed_mps = np.asarray(speed_mps, dtype=np.float64)
    alt_m = np.asarray(alt_m, dtype=np.float64)
    if alt_m.shape != speed_mps.shape:
        alt_m = np.full(speed_mps.shape, alt_m)
    cat = np.empty(len(speed_mps), dtype=np.int8)
    _classify_kernel(
        speed_mps,
        alt_m,
        CATEGORY_CODE["aircraft"],
        CATEGORY_CODE["cruise_missile"],
        CATEGORY_CODE["drone"],
        CATEGORY_CODE["ballistic"],
        cat,
    )
    return cat


@jit
def classify_one(speed, alt, aircraft, cruise, drone, ballistic):  # pragma: no cover
    """``classify`` of one track: the last rule that holds wins."""
    c = aircraft
    if speed >= 90.0 and alt < 1500.0:
        c = cruise
    if speed < 90.0:
        c = drone
    if speed > 1200.0 or alt > 25_000.0:
        c = ballistic
    return c


@jit
def _classify_kernel(speed, alt, aircraft, cruise, drone, ballistic, cat):  # pragma: no cover
    for i in range(speed.shape[0]):
        cat[i] = classify_one(speed[i], alt[i], aircraft, cruise, drone, ballistic)
