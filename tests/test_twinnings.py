"""Twinning-pair matching on a synthetic map (every method and status) and on the real data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.ingest import geometry as geo
from analysis.tables.twinnings import TwinningDataError, build_twinnings, read_pairs
from analysis.util import spatial
from analysis.util.countries import UnknownCountryError, to_iso3
from analysis.util.text import normalise

# Three municipalities on a small synthetic map near Cancún (1 degree ~ 100 km).
MUNIS = pd.DataFrame(
    {
        "inegi_code": ["23005", "23003", "31050", "09015"],
        "state_code": ["23", "23", "31", "09"],
        "state_name": ["Quintana Roo", "Quintana Roo", "Yucatán", "Ciudad de México"],
        "name": ["Benito Juárez", "Isla Mujeres", "Mérida", "Cuauhtémoc"],
        "catalogue_name": ["Benito Juárez", "Isla Mujeres", "Mérida", "Cuauhtémoc"],
        "seat_name": ["Cancún", "Isla Mujeres", "Mérida", ""],
    }
)
POLYS = gpd.GeoDataFrame(
    {"inegi_code": ["23005", "23003", "31050", "09015"]},
    geometry=[box(-87.2, 20.8, -86.8, 21.2), box(-86.79, 21.0, -86.7, 21.2), box(-90, 20.5, -89.3, 21.3),
              box(-99.2, 19.4, -99.1, 19.5)],
    crs=spatial.CRS,
)

HEADER = "city1,country1,lat1,lng1,city2,country2,lat2,lng2\n"
ROWS = [
    "Cancún,Mexico,21.1,-87.0,Wichita,United States,37.69,-97.34",  # 2: seat name + point
    "Mar del Plata,Argentina,-38,-57.55,Benito Juárez,Mexico,21.0,-86.9",  # 3: reversed order
    "Isla Mujeres,Mexico,21.3,-86.72,Almirante Brown,Argentina,-34.8,-58.39",  # 4: offshore point
    "Zona Hotelera,Mexico,21.05,-86.85,Sanya,China,18.25,109.5",  # 5: name unknown, point decides
    "Mérida,Mexico,40.0,-3.0,Valladolid,Spain,41.65,-4.72",  # 6: namesake abroad, unique name
    "Mérida,Mexico,21.0,-86.9,Sanya,China,18.25,109.5",  # 7: point in another state, far -> ambiguous
    "Mexico City,Mexico,19.43,-99.13,Madrid,Spain,40.4,-3.7",  # 8: a state, not a municipality
    "Atlantis,Mexico,10.0,-120.0,Lyon,France,45.76,4.83",  # 9: unknown and nowhere
    "Lyon,France,45.76,4.83,Madrid,Spain,40.4,-3.7",  # 10: no Mexican side
    "Wichita,United States,37.69,-97.34,Cancún,Mexico,21.1,-87.0",  # 11: same link, other page
]


@pytest.fixture
def pairs_file(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def by_row(df: pd.DataFrame) -> dict[int, pd.Series]:
    return {int(r.source_row): r for _, r in df.iterrows()}


def test_every_pair_gets_a_status_and_nothing_is_lost(pairs_file: Path) -> None:
    df, report = build_twinnings(pairs_file, MUNIS, POLYS)
    rows = by_row(df)
    assert report.counts["pairs_in_file"] == 10
    assert report.counts["pairs_without_mexican_side"] == 1
    assert len(df) == report.counts["pairs_with_one_mexican_side"] == 9
    expected = {
        2: ("23005", "point_in_polygon+name", "matched"),
        3: ("23005", "point_in_polygon+name", "matched"),
        4: ("23003", "nearest_polygon+name", "matched"),
        5: ("23005", "point_in_polygon", "matched"),
        6: ("31050", "name", "matched"),
        7: ("", "point_in_polygon_vs_name", "ambiguous"),
        8: ("", "state_level", "unmatched"),
        9: ("", "", "unmatched"),
        11: ("23005", "point_in_polygon+name", "matched"),
    }
    for line, (code, method, status) in expected.items():
        got = rows[line]
        assert (got.inegi_code, got.match_method, got.match_status) == (code, method, status), f"row {line}"
    assert rows[3].partner_city == "Mar del Plata"
    assert rows[3].partner_country_iso3 == "ARG"
    assert rows[8].level == "state"
    assert rows[8].state_code == "09"
    assert bool(rows[11].reciprocal_duplicate)
    assert not bool(rows[2].reciprocal_duplicate)
    assert all(rows[line].match_note for line in (4, 5, 6, 7, 8, 9))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("city1,country1,city2,country2\nA,Mexico,B,Spain\n", r"missing column\(s\) \['lat1', 'lng1', 'lat2', 'lng2'\]"),
        (HEADER + "Cancún,Mexico,21.1,-87.0,Wichita\n", "line 2: wrong number of fields"),
        (HEADER + "Cancún,Mexico,abc,-87.0,Wichita,United States,37.69,-97.34\n", "line 2, field lat1: 'abc' is not a number"),
        (HEADER + "Cancún,Mexico,121.1,-87.0,Wichita,United States,37.69,-97.34\n", r"line 2, field lat1: 121.1 is outside ±90"),
    ],
)
def test_bad_pair_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TwinningDataError, match=message):
        read_pairs(path)


def test_latin1_file_is_rejected_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "Cancún,Mexico,21.1,-87.0,Wichita,United States,37.69,-97.34\n").encode("latin-1"))
    with pytest.raises(TwinningDataError, match="not UTF-8"):
        read_pairs(path)


def test_unknown_country_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "Cancún,Mexico,21.1,-87.0,Wichita,Atlantis,37.69,-97.34\n", encoding="utf-8")
    with pytest.raises(TwinningDataError, match=r"line 2, field country: Country 'Atlantis'"):
        build_twinnings(path, MUNIS, POLYS)


def test_country_names_map_to_iso3() -> None:
    assert [to_iso3(n) for n in ("United States", "Russia", "South Korea", "England", "Republic of Ireland")] == [
        "USA", "RUS", "KOR", "GBR", "IRL"]
    with pytest.raises(UnknownCountryError, match="add it to OVERRIDES"):
        to_iso3("Narnia")


def test_normalise() -> None:
    assert normalise("  Benito JUÁREZ ") == "benito juarez"
    assert normalise("San Pedro Tlaquepaque, Jalisco") == "san pedro tlaquepaque jalisco"
    assert normalise("Ñuu Savi") == "nuu savi"


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_real_pairs_are_resolved() -> None:
    from analysis.tables.core import build_core

    core = build_core()
    tw, counts = core.twinnings, core.twinning_report.counts
    assert counts["pairs_with_one_mexican_side"] == len(tw) == 626
    assert counts["status_matched"] + counts["status_ambiguous"] + counts["status_unmatched"] == 626
    assert counts["status_matched"] / 626 > 0.9
    assert counts["raw_mexican_pairs_missing_from_geocoded"] == 0
    bj = tw[tw.inegi_code == "23005"]
    assert {"Medellín", "Naperville"} <= set(bj.partner_city)
    isla = tw[(tw.mexican_city == "Isla Mujeres")]
    assert set(isla.inegi_code) == {"23003"}
    assert set(tw.loc[tw.mexican_city == "Mexico City", "match_method"]) == {"state_level"}
    assert tw.partner_country_iso3.str.fullmatch(r"[A-Z]{3}").all()


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_real_geometry() -> None:
    munis = geo.load_municipal_boundaries()
    assert len(munis) == 2469
    assert str(munis.crs) == spatial.CRS
    assert munis.geometry.is_valid.all()
    qroo = geo.load_quintana_roo()
    assert sorted(qroo.inegi_code) == [f"230{i:02d}" for i in range(1, 12)]
    world = geo.load_world()
    assert len(world) > 150
    assert "Mexico" in set(world.name)


def test_haversine_and_great_circle() -> None:
    # Cancún to Mérida is about 280 km
    d = float(spatial.haversine_km(21.1619, -86.8515, 20.9674, -89.5926))
    assert 270 < d < 290
    pts = spatial.great_circle_points(21.16, -86.85, 37.69, -97.34, n=10)
    assert len(pts) == 11
    assert pts[0] == pytest.approx((-86.85, 21.16))
    assert pts[-1] == pytest.approx((-97.34, 37.69))


def test_unwrap_rdata_structures() -> None:
    import numpy as np

    raw = {np.str_("type"): np.array(["Topology"]), "arcs": [[np.array([0]), np.array([1])]], "x": np.array([1.5, 2.5])}
    assert geo._unwrap(raw) == {"type": "Topology", "arcs": [[0, 1]], "x": [1.5, 2.5]}
