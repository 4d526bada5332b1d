"""The book's interactive maps (see :mod:`analysis.viz.webmap`), built from the processed tables.

Each map opens framed on its data (not on the whole base layer), names in its legend what is
coloured and what each symbol is, and speaks Spanish in its tooltips (country names from
:func:`analysis.util.countries.iso3_name_es`). Polygons and lines that cross the 180° meridian are
cut there, so no band or stray line crosses the map.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pycountry
from shapely.geometry import LineString, MultiLineString, Point

from analysis.ingest.geometry import load_world
from analysis.util.countries import iso3_name_es
from analysis.util.spatial import CRS, great_circle_points, split_antimeridian, unwrap_antimeridian
from analysis.viz.webmap import add_base, add_lines, add_points, add_view, choropleth, write_map

WIKI = "Hermanamientos: colaboradores de Wikipedia (CC BY-SA 4.0)"
UNION = "Hermanamientos: colaboradores de Wikipedia (CC BY-SA 4.0) y de Wikidata (CC0)"
INEGI = "Población y límites: INEGI"
BENITO_JUAREZ = "23005"
#: Natural Earth has no ISO numeric code for these; their Spanish names.
UNCODED_ES = {"Kosovo": "Kosovo", "N. Cyprus": "Chipre del Norte", "Somaliland": "Somalilandia"}


def country_name_es(iso_numeric: object, name: str) -> str:
    """Spanish name of a Natural Earth country from its ISO numeric code (its own name if it has none)."""
    if pd.notna(iso_numeric):
        country = pycountry.countries.get(numeric=str(iso_numeric).split(".")[0].zfill(3))
        if country is not None:
            return iso3_name_es(country.alpha_3)
    return UNCODED_ES.get(name, name)


def iso3_of(iso_numeric: object) -> str | None:
    if pd.isna(iso_numeric):
        return None
    country = pycountry.countries.get(numeric=str(iso_numeric).split(".")[0].zfill(3))
    return country.alpha_3 if country is not None else None


def links_by_municipality_map(boundaries: gpd.GeoDataFrame, by_muni: pd.DataFrame, credit: str = WIKI) -> Path:
    """National choropleth of international links per municipality (hover: name, state, values).

    ``credit`` names the source of ``by_muni`` (:data:`UNION` for the two-source table)."""
    g = boundaries.merge(by_muni, on="inegi_code", how="left")
    spec = choropleth(
        g, "n_links",
        {"name": "Municipio", "state_name": "Entidad", "inegi_code": "Clave INEGI", "population_2020": "Población 2020",
         "n_links": "Vínculos internacionales", "links_per_100k": "Vínculos por 100 mil hab."},
        title="Vínculos internacionales por municipio",
        legend_title="Vínculos internacionales del municipio", zero_label="ninguno",
        attribution=f"{credit}. {INEGI}", simplify=0.01,
    )
    return write_map(spec, "vinculos_municipios")


def matched_links(twinnings: pd.DataFrame) -> pd.DataFrame:
    """Matched municipal-or-state links, each counted once, with both ends geocoded."""
    tw = twinnings[(twinnings.match_status == "matched") & ~twinnings.reciprocal_duplicate.astype(bool)]
    return tw.dropna(subset=["mexican_lat", "mexican_lon", "partner_lat", "partner_lon"])


def world_links_map(twinnings: pd.DataFrame, world: gpd.GeoDataFrame) -> Path:
    """Countries coloured by their number of links with Mexican municipalities; great-circle lines
    from each Mexican city to its partner city; the view frames the cities, not Antarctica."""
    tw = matched_links(twinnings)
    tw = tw.assign(pais=tw.partner_country_iso3.map(iso3_name_es))
    lines = gpd.GeoDataFrame(
        {"tip": [f"{r.mexican_city} – {r.partner_city} ({r.pais})" for r in tw.itertuples()]},
        geometry=[MultiLineString([LineString(p) for p in split_antimeridian(
                      great_circle_points(r.mexican_lat, r.mexican_lon, r.partner_lat, r.partner_lon, n=32))])
                  for r in tw.itertuples()],
        crs=CRS,
    )
    partners = tw.drop_duplicates(["partner_city", "partner_country_iso3"])
    points = gpd.GeoDataFrame(
        {"tip": [f"{r.partner_city} ({r.pais})" for r in partners.itertuples()]},
        geometry=[Point(r.partner_lon, r.partner_lat) for r in partners.itertuples()], crs=CRS,
    )
    mexican = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in zip(tw.mexican_lon, tw.mexican_lat, strict=True)],
                               crs=CRS)
    per_country = tw.partner_country_iso3.value_counts()
    base = world_base(world)
    base["vinculos"] = base.iso3.map(per_country).fillna(0).astype(int)
    base.loc[base.iso3 == "MEX", "vinculos"] = 0
    spec = choropleth(base, "vinculos", {"pais": "País", "vinculos": "Vínculos con municipios mexicanos"},
                      title="Ciudades socias de los municipios mexicanos",
                      legend_title="Vínculos con municipios mexicanos, por país", zero_label="ninguno (o México)",
                      attribution=f"{WIKI}. Países: Natural Earth", simplify=0, digits=3)
    add_lines(spec, lines, "tip", legend_label=f"vínculo (arco de círculo máximo), {len(lines):,} en total")
    add_points(spec, points, "tip", legend_label=f"ciudad socia, {len(points):,} en total")
    add_view(spec, "Todos los vínculos", mexican, points, pad=0.03)
    return write_map(spec, "vinculos_mundo")


def union_link_ends(links: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> tuple[pd.DataFrame, int]:
    """The union's municipal links with both ends placed: the municipality at a point inside its
    polygon (``representative_point``), the partner city at its coordinates. Returns the links that
    can be drawn and how many cannot (partner city without coordinates)."""
    points = boundaries.set_index("inegi_code").geometry.representative_point()
    out = links.assign(mexican_lon=links.inegi_code.map(points.x), mexican_lat=links.inegi_code.map(points.y))
    drawable = out.dropna(subset=["mexican_lat", "mexican_lon", "partner_lat", "partner_lon"])
    return drawable.reset_index(drop=True), len(out) - len(drawable)


def union_world_links_map(links: pd.DataFrame, boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame,
                          names: pd.Series) -> tuple[Path, int, int]:
    """The world map of the union of both sources: every municipal link whose partner city has
    coordinates, as a great-circle line from the municipality to the city; countries coloured by
    all the union's municipal links (drawn or not). Returns (path, links drawn, links not drawn).
    ``names`` maps inegi_code to the municipality's name for the tooltips."""
    tw, not_drawn = union_link_ends(links, boundaries)
    tw = tw.assign(pais=tw.partner_country_iso3.map(iso3_name_es), municipio=tw.inegi_code.map(names))
    lines = gpd.GeoDataFrame(
        {"tip": [f"{r.municipio} – {r.partner_city} ({r.pais})" for r in tw.itertuples()]},
        geometry=[MultiLineString([LineString(p) for p in split_antimeridian(
                      great_circle_points(r.mexican_lat, r.mexican_lon, r.partner_lat, r.partner_lon, n=32))])
                  for r in tw.itertuples()],
        crs=CRS,
    )
    partners = tw.drop_duplicates("partner_id")
    points = gpd.GeoDataFrame(
        {"tip": [f"{r.partner_city} ({r.pais})" for r in partners.itertuples()]},
        geometry=[Point(r.partner_lon, r.partner_lat) for r in partners.itertuples()], crs=CRS,
    )
    mexican = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in zip(tw.mexican_lon, tw.mexican_lat, strict=True)],
                               crs=CRS)
    base = world_base(world)
    base["vinculos"] = base.iso3.map(links.partner_country_iso3.value_counts()).fillna(0).astype(int)
    base.loc[base.iso3 == "MEX", "vinculos"] = 0
    spec = choropleth(base, "vinculos", {"pais": "País", "vinculos": "Vínculos con municipios mexicanos"},
                      title="Ciudades socias de los municipios mexicanos (Wikipedia y Wikidata)",
                      legend_title="Vínculos municipales de la unión, por país", zero_label="ninguno (o México)",
                      attribution=f"{UNION}. Países: Natural Earth", simplify=0, digits=3)
    add_lines(spec, lines, "tip", legend_label=f"vínculo (arco de círculo máximo), {len(lines):,} dibujados")
    add_points(spec, points, "tip", legend_label=f"ciudad socia, {len(points):,} en total")
    add_view(spec, "Todos los vínculos", mexican, points, pad=0.03)
    return write_map(spec, "vinculos_mundo"), len(lines), not_drawn


def world_base(world: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The world's countries without Antarctica, cut at 180°, with their Spanish names (``pais``)."""
    base = world[world["name"] != "Antarctica"].copy()
    base["geometry"] = base.geometry.map(unwrap_antimeridian)
    base["iso3"] = base.iso_numeric.map(iso3_of)
    base["pais"] = [country_name_es(n, name) for n, name in zip(base.iso_numeric, base["name"], strict=True)]
    return base


def quintana_roo_map(qroo: gpd.GeoDataFrame, table: pd.DataFrame, bj_agreements: pd.DataFrame,
                     world: gpd.GeoDataFrame | None = None) -> Path:
    """Quintana Roo's municipalities (hover: population, links) and Benito Juárez's Table 1 partners.

    Two views: the state (opening view) and one that frames every partner city of Benito Juárez,
    most of which lie far from Quintana Roo, over the world's countries (``world``, Natural Earth
    1:110m, loaded when not given). Lines join Benito Juárez to each partner.
    """
    g = qroo[["inegi_code", "geometry"]].merge(table, on="inegi_code", how="left")
    spec = choropleth(
        g, "population_2020",
        {"name": "Municipio", "population_2020": "Población 2020", "share_state_pct": "% de la población estatal",
         "links": "Vínculos internacionales (Wikipedia)", "links_per_100k": "Vínculos por 100 mil hab."},
        title="Municipios de Quintana Roo", legend_title="Población del municipio, 2020",
        attribution=f"{INEGI}. {WIKI}. Límites: CONABIO", simplify=0.002,
        decimals_by_column={"share_state_pct": 1, "links_per_100k": 2},
    )
    pts = bj_agreements.dropna(subset=["partner_lat", "partner_lon"])
    country = pts["country_name_es"] if "country_name_es" in pts else pts["country_iso3"].map(iso3_name_es)
    points = gpd.GeoDataFrame(
        {"tip": [f"{city}, {c} (desde {int(year)})" if pd.notna(year) else f"{city}, {c}"
                 for city, c, year in zip(pts.partner_city, country, pts.year, strict=True)]},
        geometry=[Point(r.partner_lon, r.partner_lat) for r in pts.itertuples()], crs=CRS,
    )
    base = world_base(load_world() if world is None else world)
    add_base(spec, base, "pais")
    bj = g.loc[g.inegi_code == BENITO_JUAREZ, "geometry"]
    if len(bj):
        origin = bj.iloc[0].representative_point()
        lines = gpd.GeoDataFrame(
            {"tip": points["tip"].to_numpy()},
            geometry=[MultiLineString([LineString(p) for p in split_antimeridian(
                great_circle_points(origin.y, origin.x, pt.y, pt.x, n=32))]) for pt in points.geometry],
            crs=CRS,
        )
        add_lines(spec, lines, "tip", legend_label="hermanamiento (desde Benito Juárez)")
    add_points(spec, points, "tip", legend_label=f"ciudad hermana de Benito Juárez ({len(points)})")
    spec["legend_position"] = "bottomleft"
    minx, miny, maxx, _ = qroo.total_bounds
    room = gpd.GeoDataFrame(geometry=[Point(minx - 1.6 * (maxx - minx), miny)], crs=CRS)  # room for the legend
    add_view(spec, "Quintana Roo", qroo, room, pad=0.03)
    add_view(spec, f"Los {len(points)} socios de Benito Juárez", qroo, points, pad=0.05)
    return write_map(spec, "quintana_roo")
