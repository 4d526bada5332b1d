"""Tests of the municipal profiles (analysis.profiles): regions, border and coast from geometry."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.features import geography
from analysis.features import profiles as pf

FIX = Path(__file__).parent / "fixtures" / "partners"


def test_every_state_has_one_of_five_regions():
    assert sorted(geography.REGIONS) == [f"{i:02d}" for i in range(1, 33)]
    assert set(geography.REGIONS.values()) == {"noroeste", "noreste", "occidente", "centro", "sur-sureste"}
    assert geography.region_of("23") == "sur-sureste"
    assert geography.region_of("2") == "noroeste"
    assert geography.region_of("40") is None
    assert set(geography.REGIONS) >= geography.NORTHERN_BORDER_STATES


@pytest.fixture
def grid() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 3x3 grid of 1-degree 'municipalities' (01001 top-left ... 01009 bottom-right) under a 'USA'."""
    cells = [(f"01{r * 3 + c + 1:03d}", box(-107 + c, 30 - r, -106 + c, 31 - r)) for r in range(3) for c in range(3)]
    munis = gpd.GeoDataFrame({"inegi_code": [c for c, _ in cells]}, geometry=[g for _, g in cells], crs="EPSG:4326")
    world = gpd.GeoDataFrame({"iso_numeric": ["840", "484"], "name": ["USA", "Mexico"]},
                             geometry=[box(-112, 31, -99, 35), box(-107, 28, -104, 31)], crs="EPSG:4326")
    return munis, world


def test_coast_and_borders_on_synthetic_grid(grid):
    out = pf.coast_and_borders(*grid).set_index("inegi_code")
    assert not out.loc["01005", ["coastal", "us_border", "south_border"]].any()  # the centre is inland
    assert out.loc["01002", "us_border"]  # top middle: border only
    assert not out.loc["01002", "coastal"]
    assert out.loc["01001", "us_border"]  # top-left corner: both
    assert out.loc["01001", "coastal"]
    assert out.loc["01008", "coastal"]  # bottom middle: coast
    assert not out.loc["01008", "us_border"]
    assert not out.south_border.any()
    assert out.loc["01002", "us_border_km"] == pytest.approx(95, abs=8)  # about one degree of longitude


def test_build_profiles_features_and_missing_polygon(grid):
    munis, world = grid
    table = pd.DataFrame({"inegi_code": [*munis.inegi_code, "01010"], "state_code": "01",
                          "population_2020": [1000] * 9 + [0]})
    prof = pf.build_profiles(table, munis, world)
    assert list(prof.columns) == pf.PROFILE_COLUMNS
    assert len(prof) == 10
    assert prof.inegi_code.is_monotonic_increasing
    assert prof.log10_population.iloc[0] == pytest.approx(3.0)
    assert np.isnan(prof.log10_population.iloc[9])  # population 0: no logarithm
    assert pd.isna(prof.coastal.iloc[9])  # no polygon: geometric features empty
    assert np.isnan(prof.lat.iloc[9])
    assert (prof.region == "occidente").all()
    assert not prof.northern_border_state.any()


def test_read_profiles_types_and_errors(tmp_path):
    prof = pf.read_profiles(FIX / "profiles.csv")
    assert prof.inegi_code.iloc[0] == "01001"
    assert prof.coastal.dtype == "boolean"
    assert bool(prof.loc[prof.inegi_code == "02001", "us_border"].iloc[0])
    with pytest.raises(pf.ProfileError, match="not found"):
        pf.read_profiles(tmp_path / "none.csv")
    prof.drop(columns="region").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(pf.ProfileError, match="region"):
        pf.read_profiles(tmp_path / "bad.csv")
