"""Municipal profiles: the features the partner finder uses to say which municipalities look alike.

One row per municipality (``PROFILE_COLUMNS``):

- ``log10_population``: log10 of the 2020 census population.
- ``region``, ``northern_border_state``, ``coastal``, ``us_border``, ``south_border``: the single
  definitions of :mod:`analysis.features.geography` (every chapter uses the same ones).
- ``lat``, ``lon``: a point inside the municipality (for distances between municipalities).

No tourism indicator can be derived from the public sources the compendium holds (censuses,
catalogue, boundaries, twinnings): there are no hotel, visitor or employment-by-sector figures.
Coastal location is not a tourism indicator and is not used as one.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import paths
from analysis.features.geography import NORTHERN_BORDER_STATES, REGIONS, coast_and_borders
from analysis.ingest.geometry import load_municipal_boundaries, load_world
from analysis.tables.municipalities import read_processed
from analysis.util.spatial import CRS, MEXICO_METRIC_CRS

PROFILE_COLUMNS = [
    "inegi_code", "state_code", "region", "population_2020", "log10_population", "northern_border_state",
    "coastal", "us_border", "south_border", "lat", "lon",
]
PROFILES_CSV = "municipal_profiles.csv"


class ProfileError(ValueError):
    """The profile table is missing or malformed."""


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
    pts = boundaries.to_crs(MEXICO_METRIC_CRS).representative_point().to_crs(CRS)
    geo["lat"] = pts.y.round(5).to_numpy()
    geo["lon"] = pts.x.round(5).to_numpy()
    out = m.merge(geo[["inegi_code", "coastal", "us_border", "south_border", "lat", "lon"]], on="inegi_code", how="left")
    for col in ("coastal", "us_border", "south_border"):
        out[col] = out[col].astype("boolean")
    return out[PROFILE_COLUMNS].sort_values("inegi_code").reset_index(drop=True)


def load_profiles() -> pd.DataFrame:
    """Build the profiles from the processed municipality table and the raw geometry (about 15 s)."""
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
