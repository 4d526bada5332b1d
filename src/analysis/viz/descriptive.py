"""Figures of the descriptive chapter (01): coverage, size classes, partners, Lorenz curves, maps.

May import: ``analysis.util``, ``analysis.analyses.descriptive``, ``analysis.viz.style``,
matplotlib, seaborn, geopandas and shapely. Analysis modules never import this one.
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
import pycountry
import seaborn as sns
from matplotlib.figure import Figure
from shapely.geometry import MultiLineString

from analysis.analyses.descriptive import gini, lorenz
from analysis.util.spatial import CRS, great_circle_points, split_antimeridian, unwrap_antimeridian
from analysis.viz.style import SEQUENTIAL_CMAP, legend_below, number_es, panel_title, thousands, wrap


def iso3_to_numeric(iso3: str) -> str:
    """ISO 3166-1 numeric code (3 digits) of an alpha-3 code; '' when unknown (e.g. XKX)."""
    country = pycountry.countries.get(alpha_3=iso3)
    return country.numeric if country else ""


def link_lines(agreements: pd.DataFrame, boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Great-circle lines from each Mexican party to its partner country; and how many could not be drawn.

    The Mexican end is the representative point of the municipality (for state-level agreements,
    the mean of the state's municipal points); the partner end is the representative point of the
    country in the world map. Countries absent from the 1:110m map (small islands) are not drawn.
    """
    pts = boundaries.set_index("inegi_code").geometry.representative_point()
    xy = pd.DataFrame({"lon": pts.x, "lat": pts.y})
    state_xy = xy.groupby(xy.index.str[:2]).mean()
    world = world[world.iso_numeric.notna()]
    cpts = world.set_index("iso_numeric").geometry.representative_point()
    cpts = cpts[~cpts.index.duplicated()]
    rows, missing = [], 0
    for a in agreements.itertuples():
        src = xy.loc[a.inegi_code] if a.level == "municipal" else state_xy.loc[a.state_code]
        num = iso3_to_numeric(a.partner_country_iso3)
        if num not in cpts.index:
            missing += 1
            continue
        dst = cpts.loc[num]
        path = great_circle_points(src.lat, src.lon, dst.y, dst.x, n=48)
        rows.append({"agreement_id": a.agreement_id, "level": a.level,
                     "geometry": MultiLineString(split_antimeridian(path))})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS), missing


LINK_CLASSES: tuple[tuple[int, int, str], ...] = (
    (0, 0, "0"), (1, 1, "1"), (2, 3, "2 a 3"), (4, 9, "4 a 9"), (10, 10**9, "10 o más"))


def link_class(n: pd.Series) -> pd.Series:
    """Class label of a number of links (see LINK_CLASSES)."""
    labels = [lab for _, _, lab in LINK_CLASSES]
    out = pd.Series(pd.NA, index=n.index, dtype="object")
    for lo, hi, lab in LINK_CLASSES:
        out[(n >= lo) & (n <= hi)] = lab
    return pd.Categorical(out, categories=labels, ordered=True)


def plot_coverage_by_state(by_state: pd.DataFrame, national_pct: float) -> Figure:
    """Horizontal bars: share of municipalities with at least one link, per state."""
    d = by_state.sort_values(["coverage_pct", "state_name"])
    fig, ax = plt.subplots(figsize=(7, 8))
    ax.barh(d.state_name, d.coverage_pct, color=sns.color_palette()[0])
    ax.axvline(national_pct, color=sns.color_palette()[1], linestyle="--",
               label=f"Promedio nacional ({number_es(national_pct, 1)} %)")
    ax.set(xlabel="Municipios con al menos un vínculo internacional (%)", ylabel="",
           title="Cobertura de vínculos internacionales por entidad")
    ax.set_ylim(-0.6, len(d) - 0.4)
    legend_below(ax)
    return fig


def plot_size_classes(classes: pd.DataFrame) -> Figure:
    """Two panels: coverage (%) and links per 100,000 inhabitants, by population size class."""
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 4.8), layout="tight")  # laid out again at the column's width
    labels = [wrap(lab, 7) for lab in classes.size_class.astype(str)]
    axes[0].bar(labels, classes.coverage_pct, color=sns.color_palette()[0])
    axes[0].set(ylabel="Municipios con vínculo (%)", xlabel=wrap("Tamaño de población (habitantes, 2020)", 24))
    panel_title(axes[0], 0, "Cobertura")
    axes[1].bar(labels, classes.links_per_100k, color=sns.color_palette()[2])
    axes[1].set(ylabel="Vínculos por 100 mil habitantes", xlabel=wrap("Tamaño de población (habitantes, 2020)", 24))
    panel_title(axes[1], 1, "Tasa por población")
    fig.suptitle("Vínculos internacionales por tamaño de municipio")
    return fig


def plot_partners(partners: pd.DataFrame, regions: pd.DataFrame, n: int = 15) -> Figure:
    """Top partner countries and links by M49 sub-region (one panel above the other, so that both
    keep the column's width)."""
    fig, axes = plt.subplots(2, 1, figsize=(7.2, 10.5), layout="tight",
                             gridspec_kw={"height_ratios": [n, max(1, len(regions))]})
    top = partners.head(n).iloc[::-1]
    axes[0].barh([wrap(c, 22) for c in top.country_name_es], top.n_links, color=sns.color_palette()[0])
    axes[0].set(xlabel="Vínculos")
    panel_title(axes[0], 0, f"Los {n} países socios principales")
    reg = regions.iloc[::-1]
    axes[1].barh([wrap(r, 26) for r in reg.subregion_es], reg.n_links, color=sns.color_palette()[3])
    axes[1].set(xlabel="Vínculos")
    panel_title(axes[1], 1, "Por subregión (ONU, M49)")
    for ax in axes:
        thousands(ax, "x")
    return fig


def plot_lorenz(curves: dict[str, pd.Series]) -> Figure:
    """Lorenz curves with the Gini coefficient of each series in the legend."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="Igualdad perfecta")
    for label, values in curves.items():
        x, y = lorenz(values)
        ax.plot(x, y, label=f"{label} (Gini = {number_es(gini(values), 2)})",
                drawstyle="steps-post" if len(x) < 50 else None)
    ax.set(xlabel=wrap("Proporción acumulada de unidades (de menos a más vínculos)", 40),
           ylabel="Proporción acumulada de vínculos", title="Concentración de los vínculos internacionales")
    ax.legend(loc="upper left")  # the upper-left triangle is empty: a Lorenz curve lies below the diagonal
    return fig


def plot_choropleth(boundaries: gpd.GeoDataFrame, by_muni: pd.DataFrame) -> Figure:
    """National municipal map of the number of links, in classes (0, 1, 2-3, 4-9, 10+)."""
    gdf = boundaries.merge(by_muni[["inegi_code", "n_links"]], on="inegi_code", how="left")
    gdf["clase"] = link_class(gdf.n_links.fillna(0))
    fig, ax = plt.subplots(figsize=(10, 6.5))
    colours = ["#eeeeee", *sns.color_palette(SEQUENTIAL_CMAP, len(LINK_CLASSES) - 1)]
    for (_, _, lab), colour in zip(LINK_CLASSES, colours, strict=True):
        part = gdf[gdf.clase == lab]
        if not part.empty:
            part.plot(ax=ax, color=colour, linewidth=0.05, edgecolor="#999999")
        ax.scatter([], [], color=colour, marker="s", label=f"{lab} ({number_es(len(part))})")
    ax.legend(title="Vínculos (número de municipios)", loc="lower left", frameon=True)  # over the Pacific
    ax.set_axis_off()
    ax.set_title("Vínculos internacionales por municipio")
    return fig


def plot_world_links(world: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> Figure:
    """World map with one great-circle line per link (state-level links in another colour)."""
    fig, ax = plt.subplots(figsize=(7.4, 4))
    parts = world.explode(index_parts=False)
    wide = (parts.geometry.bounds.maxx - parts.geometry.bounds.minx) > 300  # rings wrapped across ±180° (Russia, Fiji)
    parts.loc[wide, "geometry"] = parts.geometry[wide].map(unwrap_antimeridian)
    parts.plot(ax=ax, color="#e6e6e6", edgecolor="white", linewidth=0.3)
    palette = sns.color_palette()
    for level, colour, label in (("municipal", palette[0], "Municipal"), ("state", palette[1], "Estatal")):
        part = lines[lines.level == level]
        if not part.empty:
            part.plot(ax=ax, color=colour, linewidth=0.4, alpha=0.35)
        ax.plot([], [], color=colour, label=f"{label} ({number_es(len(part))})")
    ax.set(xlim=(-180, 180), ylim=(-60, 85))
    ax.set_axis_off()
    ax.legend(loc="lower left", title="Vínculos")  # over the South Pacific, where no line goes
    ax.set_title("Vínculos internacionales de gobiernos locales y estatales de México")
    return fig
