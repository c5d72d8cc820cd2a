"""Small vector helpers over (..., 3) arrays, cheaper than np.cross / np.linalg.norm
on the short arrays the engine handles every step."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def cross(a: NDArray, b: NDArray) -> NDArray:
    """Cross product over the last axis (length 3)."""
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)


def dot(a: NDArray, b: NDArray) -> NDArray:
    """Dot product over the last axis."""
    return np.einsum("...i,...i->...", a, b)


def norm(a: NDArray) -> NDArray:
    """Euclidean norm over the last axis."""
    return np.sqrt(np.einsum("...i,...i->...", a, a))
