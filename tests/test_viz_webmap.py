"""The Leaflet web maps: legends that describe what is coloured, views framed on the data, Spanish
tooltips, no polygon or line across the 180° meridian."""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from analysis.viz import bookmaps, webmap


def map_data(path) -> dict:
    page = path.read_text(encoding="utf-8")
    return json.loads(re.search(r"const data = (\{.*?\});\n", page, re.S).group(1))


def test_count_breaks_are_integers_and_legend_shows_only_classes_present() -> None:
    vals = pd.Series([0, 0, 1, 1, 2, 3, 5, 8, 40, np.nan], dtype=float)
    breaks = webmap.class_breaks(vals)
    assert breaks == sorted(breaks) and all(b == int(b) for b in breaks)
    labels = webmap.class_labels(breaks, integer=True)
    assert labels[0] == "1" and labels[-1].endswith("40")
    rows = webmap._legend("Vínculos", breaks, 0, True, True, True, "ninguno")
    assert "ninguno" in rows[1] and "sin dato" in rows[-1]
    assert not any("0.0" in r or "hasta 0" in r for r in rows)
    # no zeros, no missing values: neither class is shown
    rows = webmap._legend("Población", [10.0, 20.0], 0, True, False, False, "0", minimum=3)
    assert not any("sin dato" in r or ">0<" in r for r in rows) and "3 a 10" in rows[1]


def test_colours_spread_over_the_palette_and_zero_differs_from_missing() -> None:
    breaks = [1.0, 2.0, 5.0]
    assert webmap.colour_for(5.0, breaks) == webmap.PALETTE[-1]  # the top class is the darkest
    assert webmap.colour_for(0.0, breaks) == webmap.ZERO != webmap.NO_DATA == webmap.colour_for(float("nan"), breaks)


def test_numbers_use_the_mexican_format() -> None:
    assert webmap.number_es(1234567.891, 1) == "1,234,567.9"
    assert webmap._fmt(911503.0) == "911,503" and webmap._fmt(float("nan")) == "—"


def test_bounds_frame_the_given_layers_only() -> None:
    near = gpd.GeoDataFrame(geometry=[Point(-87, 18), Point(-86, 21)], crs="EPSG:4326")
    (south, west), (north, east) = webmap.bounds_of(near, pad=0)
    assert (south, west, north, east) == (18, -87, 21, -86)
    with pytest.raises(ValueError, match="empty"):
        webmap.bounds_of(near.iloc[0:0])


def test_world_base_cuts_polygons_at_the_antimeridian_and_names_countries_in_spanish() -> None:
    fiji_like = Polygon([(178, -17), (179.99, -17), (179.99, -16), (178, -16)]).union(
        Polygon([(-180, -17), (-179, -17), (-179, -16), (-180, -16)]))
    wrapped = Polygon([(178, -17), (-179, -17), (-179, -16), (178, -16)])  # a ring that jumps over 180°
    world = gpd.GeoDataFrame({"iso_numeric": ["242", "242", "10", None], "name": ["Fiji", "Fiji", "Antarctica", "Kosovo"]},
                             geometry=[fiji_like, wrapped, Point(0, -80).buffer(5), Point(21, 42.6).buffer(0.5)],
                             crs="EPSG:4326")
    base = bookmaps.world_base(world)
    assert "Antarctica" not in set(base["name"])
    assert all(max(abs(g.bounds[2] - g.bounds[0]) for g in getattr(geom, "geoms", [geom])) < 180
               for geom in base.geometry)
    assert list(base.pais) == ["Fiyi", "Fiyi", "Kosovo"]


@pytest.fixture
def maps_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(webmap, "MAPS_DIR", tmp_path)
    return tmp_path


def test_quintana_roo_map_has_a_view_with_every_partner(maps_dir) -> None:
    qroo = gpd.GeoDataFrame({"inegi_code": ["23005", "23001"]},
                            geometry=[Point(-86.9, 21.1).buffer(0.2), Point(-88.3, 18.5).buffer(0.5)], crs="EPSG:4326")
    table = pd.DataFrame({"inegi_code": ["23005", "23001"], "name": ["Benito Juárez", "Othón P. Blanco"],
                          "population_2020": [911503, 233648], "share_state_pct": [49.1, 12.6], "links": [3, 0],
                          "links_per_100k": [0.33, 0.0]})
    agreements = pd.DataFrame({"partner_city": ["Wichita", "Kitakyushu"], "country_iso3": ["USA", "JPN"],
                               "country_name_es": ["Estados Unidos", "Japón"], "year": [1985, 2001],
                               "partner_lat": [37.69, 33.88], "partner_lon": [-97.33, 130.88]})
    world = gpd.GeoDataFrame({"iso_numeric": ["840"], "name": ["United States of America"]},
                             geometry=[Polygon([(-125, 25), (-67, 25), (-67, 49), (-125, 49)])], crs="EPSG:4326")
    data = map_data(bookmaps.quintana_roo_map(qroo, table, agreements, world=world))
    labels = [v["label"] for v in data["views"]]
    assert labels[0] == "Quintana Roo" and "2 socios" in labels[1]
    (_south, west), (north, east) = data["views"][1]["bounds"]
    assert west < -97.33 and east > 130.88 and north > 37.69  # the second view holds every partner
    page = json.dumps(data, ensure_ascii=False)
    assert "Kitakyushu, Japón (desde 2001)" in page and "JPN" not in page
    assert "Población del municipio, 2020" in data["legend"] and "ciudad hermana de Benito Juárez (2)" in data["legend"]
    assert "sin dato" not in data["legend"]


def test_world_map_speaks_spanish_and_frames_the_cities(maps_dir) -> None:
    twinnings = pd.DataFrame({
        "match_status": ["matched", "matched", "matched", "unmatched"],
        "reciprocal_duplicate": [False, False, True, False],
        "mexican_city": ["Guadalajara", "Acapulco", "Guadalajara", "X"],
        "mexican_lat": [20.67, 16.86, 20.67, 0.0], "mexican_lon": [-103.35, -99.89, -103.35, 0.0],
        "partner_city": ["Old Havana (Havana)", "Suva", "Old Havana (Havana)", "Y"],
        "partner_country_iso3": ["CUB", "FJI", "CUB", "CUB"],
        "partner_lat": [23.14, -18.14, 23.14, 1.0], "partner_lon": [-82.36, 178.44, -82.36, 1.0],
    })
    world = gpd.GeoDataFrame(
        {"iso_numeric": ["192", "242", "10", "484"], "name": ["Cuba", "Fiji", "Antarctica", "Mexico"]},
        geometry=[Point(-79, 21.5).buffer(1), Polygon([(178, -17), (-179, -17), (-179, -16), (178, -16)]),
                  Point(0, -80).buffer(5), Point(-102, 23).buffer(5)], crs="EPSG:4326")
    data = map_data(bookmaps.world_links_map(twinnings, world))
    page = json.dumps(data, ensure_ascii=False)
    assert "Old Havana (Havana) (Cuba)" in page and "(CUB)" not in page and "Fiyi" in page
    assert "2 en total" in data["legend"]  # the duplicate and the unmatched pair are not drawn
    assert "0.0" not in data["legend"] and "hasta 0" not in data["legend"]
    (south, _west), (north, _east) = data["views"][0]["bounds"]
    assert south > -60 and north < 40  # framed on the cities, not on Antarctica
    for layer in data["layers"]:
        for feature in layer["geojson"]["features"]:
            geom = feature["geometry"]
            coords = np.array([c for ring in _rings(geom) for c in ring])
            if geom["type"] in {"Polygon", "MultiPolygon"}:
                for ring in _rings(geom):
                    xs = [c[0] for c in ring]
                    assert max(xs) - min(xs) < 180, feature["properties"]["_tip"]
            if geom["type"] == "MultiLineString":  # no segment jumps across the map
                for part in geom["coordinates"]:
                    assert all(abs(b[0] - a[0]) < 180 for a, b in itertools.pairwise(part))
            assert len(coords)


def _rings(geom: dict) -> list:
    if geom["type"] == "Polygon":
        return geom["coordinates"]
    if geom["type"] == "MultiPolygon":
        return [ring for poly in geom["coordinates"] for ring in poly]
    if geom["type"] == "MultiLineString":
        return geom["coordinates"]
    if geom["type"] == "LineString":
        return [geom["coordinates"]]
    return [[geom["coordinates"]]]
