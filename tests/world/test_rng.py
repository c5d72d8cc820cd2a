"""Random streams: one per subsystem and replication, reproducible anywhere."""

import numpy as np

from samsim.world import STREAMS, spawn_streams


def test_same_seed_and_replication_give_the_same_numbers():
    a = spawn_streams(7, 3)
    b = spawn_streams(7, 3)
    assert set(a) == set(STREAMS)
    for name in STREAMS:
        np.testing.assert_array_equal(a[name].random(5), b[name].random(5))


def test_streams_differ_between_subsystems_replications_and_seeds():
    draws = {
        (seed, rep, name): g.random()
        for seed in (7, 8)
        for rep in (0, 1)
        for name, g in spawn_streams(seed, rep).items()
    }
    assert len(set(draws.values())) == len(draws)


def test_a_stream_does_not_depend_on_how_much_another_drew():
    a = spawn_streams(1, 0)
    b = spawn_streams(1, 0)
    a["radar"].random(1000)
    assert a["kill"].random() == b["kill"].random()
