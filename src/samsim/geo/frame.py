"""The local frame the engine works in: East-North-Up around a scenario origin.

samsim places positions with WGS-84 (pymap3d) and measures height on a local
sphere that osculates the ellipsoid at the origin (Gaussian mean radius
``sqrt(M N)``). The sphere's centre sits at ``(0, 0, -R)`` in the ENU frame, so

    altitude_m = |p - c| - R

is the height above the surface at any point, however far from the origin. A
sea-skimmer 150 km out at 10 m stays 10 m above the sea instead of sinking
1.8 km below a flat tangent plane. Horizontal positions agree with WGS-84 to a
few metres over a few hundred kilometres (the geodetic point is projected
radially onto the sphere); heights are exact on the sphere by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

from samsim.geo.vec import norm

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)


def gaussian_radius_m(lat_deg: float) -> float:
    """Gaussian mean radius of curvature sqrt(M N) of WGS-84 at a latitude [m]."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    meridian_m = WGS84_A_M * (1.0 - WGS84_E2) / w**1.5
    normal_m = WGS84_A_M / math.sqrt(w)
    return math.sqrt(meridian_m * normal_m)


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """ENU frame at ``(lat0_deg, lon0_deg)`` on the surface, with its local sphere.

    Parameters
    ----------
    lat0_deg, lon0_deg : origin of the frame, WGS-84 degrees
    radius_m : radius of the local sphere, default the Gaussian radius there
    """

    lat0_deg: float
    lon0_deg: float
    radius_m: float

    @classmethod
    def at(cls, lat0_deg: float, lon0_deg: float) -> LocalFrame:
        return cls(float(lat0_deg), float(lon0_deg), gaussian_radius_m(lat0_deg))

    @property
    def centre_m(self) -> NDArray[np.float64]:
        """Centre of the local sphere in ENU [m]."""
        return np.array([0.0, 0.0, -self.radius_m])

    def to_enu(self, lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike = 0.0) -> NDArray:
        """Geodetic positions to ENU [m], shape (..., 3); ``alt_m`` is height above surface."""
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        alt = np.broadcast_to(np.asarray(alt_m, dtype=float), np.broadcast(lat, lon).shape)
        e, n, u = pymap3d.geodetic2enu(
            lat, lon, np.zeros_like(alt), self.lat0_deg, self.lon0_deg, 0.0
        )
        surface = np.stack(np.broadcast_arrays(e, n, u), axis=-1).astype(float)
        return self.lift(surface, alt)

    def lift(self, pos_enu_m: NDArray, alt_m: ArrayLike) -> NDArray:
        """Move points radially so that they stand ``alt_m`` above the local sphere."""
        rel = pos_enu_m - self.centre_m
        length = norm(rel)[..., None]
        return self.centre_m + rel / length * (self.radius_m + np.asarray(alt_m)[..., None])

    def altitude_m(self, pos_enu_m: NDArray) -> NDArray:
        """Height above the local sphere [m] of ENU points (..., 3).

        The squares are summed as (east + up) + north, written out: a reduction
        such as ``np.einsum`` sums in an order that follows the CPU's vector
        width, and compiled kernels that repeat this sum
        (``fire_control.fdc.altitude_order``) must give the same bits everywhere.
        """
        rel = np.asarray(pos_enu_m) - self.centre_m
        e, n, u = rel[..., 0], rel[..., 1], rel[..., 2]
        return np.sqrt((e * e + u * u) + n * n) - self.radius_m

    def up_unit(self, pos_enu_m: NDArray) -> NDArray:
        """Local vertical (unit vector away from the centre) at ENU points (..., 3)."""
        rel = pos_enu_m - self.centre_m
        return rel / norm(rel)[..., None]

    def to_geodetic(self, pos_enu_m: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """ENU points (..., 3) to (lat_deg, lon_deg, alt_m above surface)."""
        pos = np.asarray(pos_enu_m, dtype=float)
        alt = self.altitude_m(pos)
        surface = self.lift(pos, np.zeros_like(alt))
        lat, lon, _ = pymap3d.enu2geodetic(
            surface[..., 0], surface[..., 1], surface[..., 2], self.lat0_deg, self.lon0_deg, 0.0
        )
        return np.asarray(lat), np.asarray(lon), alt

    def ground_distance_m(self, a_enu_m: NDArray, b_enu_m: NDArray) -> NDArray:
        """Great-circle distance along the local sphere between two sets of points [m]."""
        chord = norm(self.up_unit(a_enu_m) - self.up_unit(b_enu_m))
        return 2.0 * self.radius_m * np.arcsin(np.minimum(0.5 * chord, 1.0))

    def local_axes(self, pos_enu_m: NDArray) -> NDArray:
        """Rotation (3, 3) whose rows are the local east, north, up at one point.

        Used to measure azimuth and elevation in a sensor's own level frame,
        which tilts by ground_distance / R against the scenario frame.
        """
        up = self.up_unit(np.asarray(pos_enu_m, dtype=float))
        lat0 = np.radians(self.lat0_deg)
        spin_axis = np.array([0.0, np.cos(lat0), np.sin(lat0)])  # earth's axis in this frame
        east = np.cross(spin_axis, up)
        east = east / np.linalg.norm(east)
        north = np.cross(up, east)
        return np.stack([east, north, up])

    def sites(self, ground_pos_enu_m: ArrayLike, height_m: ArrayLike) -> tuple[NDArray, NDArray]:
        """Positions (n, 3) and level-frame rotations (n, 3, 3) of n sensor sites.

        ``ground_pos_enu_m`` are points on the surface, ``height_m`` (n,) the height
        of each antenna or mast above the sea [m]; empty input gives empty arrays.
        """
        height = np.asarray(height_m, dtype=float).reshape(-1)
        n = height.size
        if n == 0:
            return np.zeros((0, 3)), np.zeros((0, 3, 3))
        pos = self.lift(np.asarray(ground_pos_enu_m, dtype=float).reshape(n, 3), height)
        return pos, np.stack([self.local_axes(p) for p in pos])
