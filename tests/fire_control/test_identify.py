"""Identification and rules of engagement: civil and friendly tracks are never engaged."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from samsim.fire_control import classify, identify, may_engage
from samsim.fire_control.identify import CIVIL_ID, FRIEND_ID, HOSTILE, PENDING, UNKNOWN
from samsim.threats import CATEGORY_CODE

STATUSES = ("free", "tight", "hold")
WINDOW = 3


def _one(current=PENDING, interrogations=0, civil=0, friend=0, inbound=False, speed=100.0):
    return int(
        identify(
            np.array([current], np.int8),
            np.array([interrogations]),
            np.array([civil]),
            np.array([friend]),
            WINDOW,
            np.array([inbound]),
            np.array([speed]),
        )[0]
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            arrays(np.int8, n, elements=st.integers(0, 4)),
            arrays(np.int64, n, elements=st.integers(0, 20)),
            arrays(np.int64, n, elements=st.integers(0, 5)),
            arrays(np.int64, n, elements=st.integers(0, 5)),
            arrays(np.bool_, n),
            arrays(np.float64, n, elements=st.floats(0, 3000)),
        )
    )
)
def test_a_track_with_a_civil_reply_is_civil_and_never_engageable(args):
    current, interrogations, civil, friend, inbound, speed = args
    civil = np.minimum(civil, interrogations)
    ident = identify(current, interrogations, civil, friend * (civil == 0), WINDOW, inbound, speed)
    replied = civil > 0
    assert (ident[replied] == CIVIL_ID).all()
    for status in STATUSES:
        assert not may_engage(ident[replied], status).any()
        assert not may_engage(ident[friend * (civil == 0) > 0], status).any()


def test_identification_is_sticky_once_civil():
    # even an inbound fast track that was held hostile becomes civil when it replies
    assert _one(HOSTILE, 5, civil=1, inbound=True, speed=900.0) == CIVIL_ID
    assert _one(UNKNOWN, 5, friend=2, inbound=True) == FRIEND_ID


def test_silent_track_becomes_unknown_after_the_reply_window_then_hostile_if_inbound():
    assert _one(PENDING, WINDOW - 1) == PENDING
    assert _one(PENDING, WINDOW) == UNKNOWN
    assert _one(UNKNOWN, WINDOW, inbound=True) == HOSTILE
    assert _one(UNKNOWN, WINDOW, speed=400.0) == HOSTILE  # faster than civil traffic
    assert _one(UNKNOWN, WINDOW, speed=200.0) == UNKNOWN


def test_rules_of_engagement_per_weapons_status():
    ids = np.array([PENDING, UNKNOWN, HOSTILE, CIVIL_ID, FRIEND_ID], np.int8)
    np.testing.assert_array_equal(may_engage(ids, "free"), [False, True, True, False, False])
    np.testing.assert_array_equal(may_engage(ids, "tight"), [False, False, True, False, False])
    assert not may_engage(ids, "hold").any()


def test_kinematic_classification():
    speed = np.array([50.0, 250.0, 250.0, 2000.0, 100.0])
    alt = np.array([800.0, 30.0, 6000.0, 40_000.0, 30_000.0])
    expected = ["drone", "cruise_missile", "aircraft", "ballistic", "ballistic"]
    np.testing.assert_array_equal(classify(speed, alt), [CATEGORY_CODE[c] for c in expected])
