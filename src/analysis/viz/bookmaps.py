"""The book's interactive maps (see :mod:`analysis.webmap`), built from the processed tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiLineString, Point

from analysis.util.spatial import CRS, great_circle_points, split_antimeridian
from analysis.viz.webmap import add_lines, add_points, choropleth, write_map

WIKI = "Hermanamientos: colaboradores de Wikipedia (CC BY-SA 4.0)"
INEGI = "Población y límites: INEGI"


def links_by_municipality_map(boundaries: gpd.GeoDataFrame, by_muni: pd.DataFrame) -> Path:
    """National choropleth of international links per municipality (hover: name, state, values)."""
    g = boundaries.merge(by_muni, on="inegi_code", how="left")
    spec = choropleth(
        g, "n_links",
        {"name": "Municipio", "state_name": "Entidad", "inegi_code": "Clave INEGI", "population_2020": "Población 2020",
         "n_links": "Vínculos internacionales", "links_per_100k": "Vínculos por 100 mil hab."},
        title="Vínculos internacionales por municipio", legend_title="Vínculos", attribution=f"{WIKI}. {INEGI}",
        fmt=",.0f", simplify=0.01,
    )
    return write_map(spec, "vinculos_municipios")


def world_links_map(twinnings: pd.DataFrame, world: gpd.GeoDataFrame) -> Path:
    """Great-circle lines from each Mexican city to its partner city, over the world's countries."""
    tw = twinnings[(twinnings.match_status == "matched") & ~twinnings.reciprocal_duplicate.astype(bool)]
    tw = tw.dropna(subset=["mexican_lat", "mexican_lon", "partner_lat", "partner_lon"])
    lines = gpd.GeoDataFrame(
        {"tip": [f"{r.mexican_city} – {r.partner_city} ({r.partner_country_iso3})" for r in tw.itertuples()]},
        geometry=[MultiLineString([LineString(p) for p in split_antimeridian(
                      great_circle_points(r.mexican_lat, r.mexican_lon, r.partner_lat, r.partner_lon, n=32))])
                  for r in tw.itertuples()],
        crs=CRS,
    )
    partners = tw.drop_duplicates(["partner_city", "partner_country_iso3"])
    points = gpd.GeoDataFrame(
        {"tip": [f"{r.partner_city} ({r.partner_country_iso3})" for r in partners.itertuples()]},
        geometry=[Point(r.partner_lon, r.partner_lat) for r in partners.itertuples()], crs=CRS,
    )
    base = world.assign(zero=0.0, pais=world["name"])
    spec = choropleth(base, "zero", {"pais": "País"}, title="Ciudades socias de los municipios mexicanos",
                      legend_title=f"{len(lines):,} vínculos", attribution=f"{WIKI}. Países: Natural Earth", simplify=0)
    add_lines(spec, lines, "tip")
    add_points(spec, points, "tip")
    return write_map(spec, "vinculos_mundo")


def quintana_roo_map(qroo: gpd.GeoDataFrame, table: pd.DataFrame, bj_agreements: pd.DataFrame) -> Path:
    """Quintana Roo's municipalities (hover: population, links) and Benito Juárez's Table 1 partners."""
    g = qroo[["inegi_code", "geometry"]].merge(table, on="inegi_code", how="left")
    spec = choropleth(
        g, "population_2020",
        {"name": "Municipio", "population_2020": "Población 2020", "share_state_pct": "% de la población estatal",
         "links": "Vínculos internacionales (Wikipedia)", "links_per_100k": "Vínculos por 100 mil hab."},
        title="Municipios de Quintana Roo", legend_title="Población 2020", attribution=f"{INEGI}. {WIKI}. Límites: CONABIO",
        fmt=",.0f", simplify=0.002,
    )
    pts = bj_agreements.dropna(subset=["partner_lat", "partner_lon"])
    points = gpd.GeoDataFrame(
        {"tip": [f"{r.partner_city} ({r.country_iso3}), desde {int(r.year)}" for r in pts.itertuples()]},
        geometry=[Point(r.partner_lon, r.partner_lat) for r in pts.itertuples()], crs=CRS,
    )
    add_points(spec, points, "tip")
    return write_map(spec, "quintana_roo")
