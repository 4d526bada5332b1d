"""Spherical helpers shared by every layer: the CRS, great-circle distances and paths, the 180° meridian.

Owns: the compendium's coordinate reference systems and the pure functions on longitude/latitude.
May import: numpy, shapely. Nothing from ``analysis``.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

#: Every GeoDataFrame of the compendium is in WGS 84 longitude/latitude.
CRS = "EPSG:4326"
#: Mexico ITRF2008 / LCC, metres; used for areas and buffer distances in Mexico.
MEXICO_METRIC_CRS = "EPSG:6372"
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km on a sphere of radius 6,371.0088 km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def great_circle_points(lat1: float, lon1: float, lat2: float, lon2: float, n: int = 64) -> list[tuple[float, float]]:
    """Points (lon, lat) along the great circle between two places, for drawing links on maps."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    d = 2 * math.asin(math.sqrt(math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2))
    if d == 0:
        return [(lon1, lat1)]
    out = []
    for i in range(n + 1):
        f = i / n
        a = math.sin((1 - f) * d) / math.sin(d)
        b = math.sin(f * d) / math.sin(d)
        x = a * math.cos(p1) * math.cos(l1) + b * math.cos(p2) * math.cos(l2)
        y = a * math.cos(p1) * math.sin(l1) + b * math.cos(p2) * math.sin(l2)
        z = a * math.sin(p1) + b * math.sin(p2)
        out.append((math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))))
    return out


def split_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Cut a (lon, lat) path where it jumps across the ±180° meridian, so maps draw no stray lines.

    Parts of a single point (nothing to draw) are dropped.
    """
    parts: list[list[tuple[float, float]]] = [[points[0]]]
    for prev, cur in pairwise(points):
        if abs(cur[0] - prev[0]) > 180:
            parts.append([])
        parts[-1].append(cur)
    return [part for part in parts if len(part) > 1]


def _shift_west_longitudes(xy: np.ndarray) -> np.ndarray:
    return np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]])


def unwrap_antimeridian(geom: BaseGeometry) -> BaseGeometry:
    """Cut a geometry whose rings jump across the 180° meridian into parts on each side of it.

    Parts narrower than 180° are kept as they are; a wrapped part is shifted to 0..360° longitude,
    cut at 180° and its eastern half moved back by -360°, so a map draws no band across the world.
    """
    minx, _, maxx, _ = geom.bounds
    if maxx - minx < 180:
        return geom
    pieces = []
    for part in getattr(geom, "geoms", [geom]):
        if part.bounds[2] - part.bounds[0] < 180:
            pieces.append(part)
            continue
        shifted = shapely.make_valid(shapely.transform(part, _shift_west_longitudes))
        pieces.append(shifted.intersection(shapely.box(0, -90, 180, 90)))
        pieces.append(shapely.affinity.translate(shifted.intersection(shapely.box(180, -90, 360, 90)), xoff=-360))
    return shapely.unary_union([p for p in pieces if not p.is_empty])
