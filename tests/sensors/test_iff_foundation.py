"""IFF interrogation: civil transponders reply, hostiles and false alarms never do."""

import math

import numpy as np

from samsim.sensors import interrogate
from samsim.sensors.iff import CIVIL_REPLY, FRIEND_REPLY, NO_REPLY
from samsim.threats import CIVIL, FRIEND, HOSTILE

N = 20_000


def _replies(allegiance_code: int, catalog, seed: int) -> np.ndarray:
    allegiance = np.array([HOSTILE, CIVIL, FRIEND], dtype=np.int8)
    truth = np.full(N, allegiance_code, dtype=np.intp)  # row = allegiance code here
    return interrogate(
        truth,
        allegiance,
        catalog.iff.civil_reply_probability,
        catalog.iff.friend_reply_probability,
        np.random.default_rng(seed),
    )


def test_civil_traffic_replies_about_98_percent(catalog):
    p = catalog.iff.civil_reply_probability
    assert p == 0.98
    reply = _replies(CIVIL, catalog, 1)
    assert set(np.unique(reply)) <= {NO_REPLY, CIVIL_REPLY}
    share = float(np.mean(reply == CIVIL_REPLY))
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / N)


def test_friends_reply_with_mode5(catalog):
    p = catalog.iff.friend_reply_probability
    reply = _replies(FRIEND, catalog, 2)
    assert set(np.unique(reply)) <= {NO_REPLY, FRIEND_REPLY}
    assert abs(float(np.mean(reply == FRIEND_REPLY)) - p) < 4 * math.sqrt(p * (1 - p) / N)


def test_hostiles_never_reply(catalog):
    assert (_replies(HOSTILE, catalog, 3) == NO_REPLY).all()


def test_false_alarms_never_reply():
    truth = np.full(1000, -1, dtype=np.intp)
    reply = interrogate(truth, np.array([CIVIL], np.int8), 1.0, 1.0, np.random.default_rng(0))
    assert (reply == NO_REPLY).all()


def test_reply_codes_follow_each_detection_in_a_mixed_batch():
    allegiance = np.array([HOSTILE, CIVIL, FRIEND], dtype=np.int8)
    truth = np.array([0, 1, 2, -1, 1], dtype=np.intp)
    reply = interrogate(truth, allegiance, 1.0, 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(
        reply, [NO_REPLY, CIVIL_REPLY, FRIEND_REPLY, NO_REPLY, CIVIL_REPLY]
    )
