"""Municipal profiles: the features the partner finder uses to say which municipalities look alike.

One row per municipality (``PROFILE_COLUMNS``):

- ``log10_population``: log10 of the 2020 census population.
- ``region``: one of five regions of Mexico (``REGIONS``), a convention of this compendium that
  groups contiguous states: noroeste (BC, BCS, Chihuahua, Durango, Sinaloa, Sonora), noreste
  (Coahuila, Nuevo León, San Luis Potosí, Tamaulipas), occidente (Aguascalientes, Colima,
  Jalisco, Michoacán, Nayarit, Zacatecas), centro (Ciudad de México, Guanajuato, Hidalgo,
  México, Morelos, Puebla, Querétaro, Tlaxcala) and sur-sureste (Campeche, Chiapas, Guerrero,
  Oaxaca, Quintana Roo, Tabasco, Veracruz, Yucatán).
- ``northern_border_state``: the state touches the United States (BC, Son, Chih, Coah, NL, Tamps).
- ``coastal``, ``us_border``, ``south_border``: derived from the municipal polygons. The union of
  all municipal polygons is Mexico; the exterior of that union (holes excluded) is either sea
  coast or a land border. A stretch of the exterior is land border when it lies within
  ``BORDER_TOLERANCE_KM`` of the United States (``us_border``) or of Guatemala or Belize
  (``south_border``) on the 1:110m world map and farther than ``COAST_TOLERANCE_KM`` from that
  map's sea (the map is coarse, hence the tolerances); every other stretch is coast. A
  municipality is coastal (or on a border) when at least ``MIN_SHARE_KM`` of that stretch lies on
  its boundary. Tijuana, Matamoros or Othón P. Blanco are thus both coastal and border
  municipalities.
- ``lat``, ``lon``: a point inside the municipality (for distances between municipalities).

No tourism indicator can be derived from the public sources the compendium holds (censuses,
catalogue, boundaries, twinnings): there are no hotel, visitor or employment-by-sector figures.
Coastal location is not a tourism indicator and is not used as one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, MultiLineString, box
from shapely.ops import unary_union

from analysis import paths

#: state_code -> region (five regions; see the module docstring).
REGIONS: dict[str, str] = {
    **dict.fromkeys(["02", "03", "08", "10", "25", "26"], "noroeste"),
    **dict.fromkeys(["05", "19", "24", "28"], "noreste"),
    **dict.fromkeys(["01", "06", "14", "16", "18", "32"], "occidente"),
    **dict.fromkeys(["09", "11", "13", "15", "17", "21", "22", "29"], "centro"),
    **dict.fromkeys(["04", "07", "12", "20", "23", "27", "30", "31"], "sur-sureste"),
}
#: States that share a land border with the United States.
NORTHERN_BORDER_STATES: frozenset[str] = frozenset({"02", "05", "08", "19", "26", "28"})
COAST_TOLERANCE_KM = 12.0
MIN_SHARE_KM = 1.0
BORDER_TOLERANCE_KM = 25.0
#: ISO numeric codes of the countries with a land border with Mexico: USA, Guatemala, Belize.
_NEIGHBOURS = frozenset({"840", "320", "084"})
PROFILE_COLUMNS = [
    "inegi_code", "state_code", "region", "population_2020", "log10_population", "northern_border_state",
    "coastal", "us_border", "south_border", "lat", "lon",
]
PROFILES_CSV = "municipal_profiles.csv"
_METRIC_CRS = "EPSG:6372"


class ProfileError(ValueError):
    """The profile table is missing or malformed."""


def region_of(state_code: str) -> str | None:
    """The region of a 2-digit state code, or None for an unknown code."""
    return REGIONS.get(str(state_code).zfill(2))


def _exterior_lines(geom: object) -> MultiLineString:
    """Exterior rings (no holes) of a polygon or multipolygon, as lines."""
    parts = getattr(geom, "geoms", [geom])
    return MultiLineString([LineString(p.exterior.coords) for p in parts])


def coast_and_borders(boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per municipality: coastal, us_border, south_border (bools) and km of each on its boundary."""
    munis = boundaries.to_crs(_METRIC_CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        national = unary_union(munis.geometry.values)
        exterior = _exterior_lines(national)
        frame = box(-125, 5, -80, 40)
        world = world.to_crs("EPSG:4326")
        land = world.clip(frame).geometry.union_all()
        sea = gpd.GeoSeries([frame.difference(land)], crs="EPSG:4326").to_crs(_METRIC_CRS).iloc[0]
        sea_zone = sea.buffer(COAST_TOLERANCE_KM * 1000)
        neighbours = world[world.iso_numeric.astype(str).str.zfill(3).isin(_NEIGHBOURS)].to_crs(_METRIC_CRS)
        near = {
            side: neighbours[neighbours.iso_numeric.astype(str).str.zfill(3).isin(codes)].geometry.union_all()
            .buffer(BORDER_TOLERANCE_KM * 1000)
            for side, codes in (("us", {"840"}), ("south", {"320", "084"}))
        }
        us_line = exterior.intersection(near["us"]).difference(sea_zone)
        south_line = exterior.intersection(near["south"]).difference(sea_zone)
        coast = exterior.difference(us_line).difference(south_line)
        rows = []
        for code, geom in zip(munis.inegi_code, munis.geometry, strict=True):
            ring = geom.buffer(100)  # 100 m: shared arcs of the topology, robust to rounding
            km = [ring.intersection(line).length / 1000 if ring.intersects(line) else 0.0
                  for line in (coast, us_line, south_line)]
            rows.append({"inegi_code": code, "coast_km": km[0], "us_border_km": km[1], "south_border_km": km[2]})
    out = pd.DataFrame(rows)
    out["coastal"] = out.coast_km >= MIN_SHARE_KM
    out["us_border"] = out.us_border_km >= MIN_SHARE_KM
    out["south_border"] = out.south_border_km >= MIN_SHARE_KM
    return out


def build_profiles(
    municipalities: pd.DataFrame, boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame
) -> pd.DataFrame:
    """The profile table (``PROFILE_COLUMNS``), one row per municipality, sorted by code.

    A municipality without a polygon keeps its census features; its geometric ones stay empty
    (the partner finder then explains its fallback).
    """
    m = municipalities[["inegi_code", "state_code", "population_2020"]].copy()
    m["state_code"] = m.state_code.astype(str).str.zfill(2)
    m["region"] = m.state_code.map(REGIONS)
    pop = pd.to_numeric(m.population_2020, errors="coerce")
    m["log10_population"] = np.log10(pop.where(pop > 0)).round(6)
    m["northern_border_state"] = m.state_code.isin(NORTHERN_BORDER_STATES)
    geo = coast_and_borders(boundaries, world)
    pts = boundaries.to_crs(_METRIC_CRS).representative_point().to_crs("EPSG:4326")
    geo["lat"] = pts.y.round(5).to_numpy()
    geo["lon"] = pts.x.round(5).to_numpy()
    out = m.merge(geo[["inegi_code", "coastal", "us_border", "south_border", "lat", "lon"]], on="inegi_code", how="left")
    for col in ("coastal", "us_border", "south_border"):
        out[col] = out[col].astype("boolean")
    return out[PROFILE_COLUMNS].sort_values("inegi_code").reset_index(drop=True)


def load_profiles() -> pd.DataFrame:
    """Build the profiles from the processed municipality table and the raw geometry (about 15 s)."""
    from analysis.geo import load_municipal_boundaries, load_world
    from analysis.municipalities import read_processed

    return build_profiles(read_processed(), load_municipal_boundaries(), load_world())


def read_profiles(path: Path | None = None) -> pd.DataFrame:
    """Read data/processed/municipal_profiles.csv (written by notebook 06) with typed columns."""
    path = path or paths.PROCESSED / PROFILES_CSV
    if not path.exists():
        raise ProfileError(f"{path} not found; run notebook 06 (`python -m analysis run`) or use load_profiles().")
    df = pd.read_csv(path, dtype={"inegi_code": str, "state_code": str, "region": str})
    missing = [c for c in PROFILE_COLUMNS if c not in df.columns]
    if missing:
        raise ProfileError(f"{path}: missing column(s) {missing}; rebuild it with notebook 06.")
    for col in ("northern_border_state", "coastal", "us_border", "south_border"):
        df[col] = df[col].map({True: True, False: False, "True": True, "False": False}).astype("boolean")
    return df[PROFILE_COLUMNS]


def profiles_or_build() -> pd.DataFrame:
    """The processed profile table when present, else built in memory from the sources."""
    try:
        return read_profiles()
    except ProfileError:
        return load_profiles()
