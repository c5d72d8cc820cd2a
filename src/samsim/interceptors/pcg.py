"""NumPy's PCG64 stream inside compiled kernels: the same numbers, bit for bit.

The engine's fused step (``engine.run``) draws the seeker noise and kill
numbers of the fly-out inside one compiled call. Passing a
``numpy.random.Generator`` into a numba function costs tens of microseconds
per call, so the kernel instead advances a copy of the generator's state held
in a (4,) uint64 array (``state_words``): the PCG64 XSL-RR step of NumPy's
``PCG64``, ``next_double`` as NumPy's ``random()`` and the ziggurat of NumPy's
``standard_normal``. ``set_state_words`` writes the state back to the
Generator, which then continues exactly as if it had made the draws itself
(tests/interceptors/test_pcg.py compares long mixed streams with NumPy's).

The ziggurat tables are NumPy's, as numba ships them
(``numba.np.random._constants``).
"""

from __future__ import annotations

import math

import numpy as np
from numba.np.random._constants import (
    fi_double,
    ki_double,
    wi_double,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)
from numpy.typing import NDArray

from samsim._jit import jit

_MASK32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_MULT_HI = np.uint64(0x2360ED051FC65DA4)
_MULT_LO = np.uint64(0x4385DF649FCCF645)
_KI = np.ascontiguousarray(ki_double, dtype=np.uint64)
_WI = np.ascontiguousarray(wi_double, dtype=np.float64)
_FI = np.ascontiguousarray(fi_double, dtype=np.float64)
_NOR_R = float(ziggurat_nor_r)
_NOR_INV_R = float(ziggurat_nor_inv_r)
_M64 = (1 << 64) - 1


def state_words(rng: np.random.Generator) -> NDArray[np.uint64]:
    """The PCG64 state of ``rng`` as [state_hi, state_lo, inc_hi, inc_lo]."""
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise ValueError(f"rng: a PCG64 generator is needed, not {st['bit_generator']}")
    s, inc = st["state"]["state"], st["state"]["inc"]
    return np.array([s >> 64, s & _M64, inc >> 64, inc & _M64], dtype=np.uint64)


def set_state_words(rng: np.random.Generator, words: NDArray[np.uint64]) -> None:
    """Set ``rng`` to the state held in ``words`` (as from ``state_words``)."""
    st = rng.bit_generator.state
    st["state"]["state"] = (int(words[0]) << 64) | int(words[1])
    st["state"]["inc"] = (int(words[2]) << 64) | int(words[3])
    rng.bit_generator.state = st


@jit
def _mulhi(a, b):  # pragma: no cover - compiled
    """High 64 bits of the 128-bit product of two uint64."""
    a0, a1 = a & _MASK32, a >> _S32
    b0, b1 = b & _MASK32, b >> _S32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> _S32) + (p01 & _MASK32) + (p10 & _MASK32)
    return p11 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32)


@jit
def next_uint64(st):  # pragma: no cover - compiled
    """PCG64 (XSL-RR 128/64): step the 128-bit LCG, then output the new state."""
    hi, lo = st[0], st[1]
    new_lo = lo * _MULT_LO
    new_hi = _mulhi(lo, _MULT_LO) + lo * _MULT_HI + hi * _MULT_LO
    lo2 = new_lo + st[3]
    carry = np.uint64(1) if lo2 < new_lo else np.uint64(0)
    hi2 = new_hi + st[2] + carry
    st[0], st[1] = hi2, lo2
    rot = hi2 >> np.uint64(58)
    x = hi2 ^ lo2
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@jit
def next_double(st):  # pragma: no cover - compiled
    """Uniform on [0, 1) as NumPy's ``Generator.random``."""
    return float(next_uint64(st) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def standard_normal(st):  # pragma: no cover - compiled
    """A standard normal draw as NumPy's ``Generator.standard_normal`` (ziggurat)."""
    while True:
        r = next_uint64(st)
        idx = np.int64(r & np.uint64(0xFF))
        r = r >> np.uint64(8)
        sign = r & np.uint64(1)
        rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = float(rabs) * _WI[idx]
        if sign:
            x = -x
        if rabs < _KI[idx]:
            return x
        if idx == 0:
            while True:
                xx = -_NOR_INV_R * math.log1p(-next_double(st))
                yy = -math.log1p(-next_double(st))
                if yy + yy > xx * xx:
                    if (rabs >> np.uint64(8)) & np.uint64(1):
                        return -(_NOR_R + xx)
                    return _NOR_R + xx
        elif (_FI[idx - 1] - _FI[idx]) * next_double(st) + _FI[idx] < math.exp(-0.5 * x * x):
            return x


@jit
def fill_standard_normal(st, out):  # pragma: no cover - compiled
    """Fill ``out`` (any shape, C order) as ``standard_normal(out.shape)`` would."""
    flat = out.reshape(out.size)
    for i in range(flat.size):
        flat[i] = standard_normal(st)


@jit
def fill_random(st, out):  # pragma: no cover - compiled
    """Fill ``out`` (any shape, C order) as ``random(out.shape)`` would."""
    flat = out.reshape(out.size)
    for i in range(flat.size):
        flat[i] = next_double(st)
