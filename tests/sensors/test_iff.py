"""IFF interrogation: reply probabilities by allegiance; hostiles and false alarms never reply."""

import math

import numpy as np
import pytest

from samsim.sensors import interrogate
from samsim.sensors.iff import CIVIL_REPLY, FRIEND_REPLY, NO_REPLY
from samsim.threats.state import CIVIL, FRIEND, HOSTILE


def test_replies_follow_the_reply_probabilities_by_allegiance():
    allegiance = np.array([HOSTILE, CIVIL, FRIEND], np.int8)
    n = 20_000
    truth = np.repeat(np.array([0, 1, 2, -1]), n)
    reply = interrogate(truth, allegiance, 0.9, 0.7, np.random.default_rng(1))
    hostile, civil, friend, clutter = (reply[truth == k] for k in (0, 1, 2, -1))
    assert np.all(hostile == NO_REPLY) and np.all(clutter == NO_REPLY)
    assert set(np.unique(civil)) == {NO_REPLY, CIVIL_REPLY}
    assert set(np.unique(friend)) == {NO_REPLY, FRIEND_REPLY}
    assert (civil == CIVIL_REPLY).mean() == pytest.approx(0.9, abs=4 * math.sqrt(0.09 / n))
    assert (friend == FRIEND_REPLY).mean() == pytest.approx(0.7, abs=4 * math.sqrt(0.21 / n))


def test_interrogation_draws_one_number_per_detection_whatever_the_answer():
    allegiance = np.array([HOSTILE, CIVIL], np.int8)
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    interrogate(np.array([0, 1, -1]), allegiance, 1.0, 1.0, a)
    interrogate(np.array([1, 1, 1]), allegiance, 0.0, 0.0, b)
    assert a.random() == b.random()
