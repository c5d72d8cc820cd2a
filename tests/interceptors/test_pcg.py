"""The compiled PCG64 stream (interceptors.pcg) against NumPy's own Generator."""

import numpy as np

from samsim.interceptors import pcg


def _pair(seed):
    make = lambda: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))  # noqa: E731
    return make(), make()


def test_raw_outputs_match_numpy():
    g, ref = _pair(11)
    words = pcg.state_words(g)
    mine = np.array([pcg.next_uint64(words) for _ in range(1000)], dtype=np.uint64)
    assert np.array_equal(mine, ref.bit_generator.random_raw(1000))


def test_mixed_normal_and_uniform_blocks_match_numpy_and_hand_back_the_state():
    """Blocks shaped as the fly-out draws them (rounds x sub-steps x 3 normals, then
    rounds x sub-steps uniforms), then the Generator continues as NumPy's would."""
    g, ref = _pair(2026)
    words = pcg.state_words(g)
    sizes = np.random.default_rng(3)
    for _ in range(2000):
        rounds, subs = int(sizes.integers(1, 10)), int(sizes.choice([1, 4, 12]))
        noise = np.empty((rounds, subs, 3))
        draw = np.empty((rounds, subs))
        pcg.fill_standard_normal(words, noise)
        pcg.fill_random(words, draw)
        assert np.array_equal(noise, ref.standard_normal((rounds, subs, 3)))
        assert np.array_equal(draw, ref.random((rounds, subs)))
    pcg.set_state_words(g, words)
    assert np.array_equal(g.random(5), ref.random(5))
    assert g.bit_generator.state == ref.bit_generator.state


def test_long_normal_stream_including_the_tails_matches_numpy():
    g, ref = _pair(7)
    words = pcg.state_words(g)
    out = np.empty(1_000_000)
    pcg.fill_standard_normal(words, out)
    expected = ref.standard_normal(out.size)
    assert np.abs(expected).max() > 3.66  # the ziggurat's tail branch was taken
    assert np.array_equal(out, expected)


def test_other_bit_generators_are_refused():
    import pytest

    with pytest.raises(ValueError, match="rng"):
        pcg.state_words(np.random.Generator(np.random.MT19937(1)))
