"""Descriptive measures of the agreements table: coverage, rates, size classes, partners, concentration.

Every function takes the canonical agreements table (:mod:`analysis.agreements`) and the
municipality table, so the same chapter runs on the Wikipedia-derived pairs or on a RAI export.
Municipal measures use the rows with ``level == "municipal"``; state-level agreements are counted
apart (they belong to a state government, not to any municipality).
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pycountry
import seaborn as sns
import shapely
import shapely.ops
from shapely.geometry import MultiLineString, box

from analysis.geo import CRS, great_circle_points, split_antimeridian
from analysis.plots import SEQUENTIAL_CMAP

#: Population size classes (2020 census), lower bound inclusive: [0, 15 000), [15 000, 50 000) ...
SIZE_BINS: tuple[float, ...] = (0, 15_000, 50_000, 100_000, 500_000, np.inf)
SIZE_LABELS: tuple[str, ...] = ("< 15 mil", "15 a 50 mil", "50 a 100 mil", "100 a 500 mil", "500 mil o más")
PER = 100_000


def size_class(population: pd.Series) -> pd.Series:
    """Ordered categorical of population size classes (see SIZE_BINS)."""
    return pd.cut(population, bins=list(SIZE_BINS), labels=list(SIZE_LABELS), right=False)


def _municipal(agreements: pd.DataFrame) -> pd.DataFrame:
    return agreements[agreements.level == "municipal"]


def links_by_municipality(agreements: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """One row per municipality: links, distinct partner countries, links per 100,000 inhabitants."""
    muni = _municipal(agreements)
    unknown = sorted(set(muni.inegi_code) - set(municipalities.inegi_code))
    if unknown:
        raise ValueError(f"Agreements name municipalities absent from the 2020 frame: {unknown[:5]}.")
    grouped = muni.groupby("inegi_code").agg(n_links=("agreement_id", "size"),
                                             n_partner_countries=("partner_country_iso3", "nunique"))
    cols = ["inegi_code", "state_code", "state_name", "name", "population_2020"]
    out = municipalities[cols].merge(grouped, on="inegi_code", how="left")
    out[["n_links", "n_partner_countries"]] = out[["n_links", "n_partner_countries"]].fillna(0).astype(int)
    out["has_link"] = out.n_links > 0
    out["size_class"] = size_class(out.population_2020)
    out["links_per_100k"] = (out.n_links / out.population_2020 * PER).round(4)
    return out.sort_values("inegi_code").reset_index(drop=True)


def links_by_state(agreements: pd.DataFrame, by_muni: pd.DataFrame) -> pd.DataFrame:
    """One row per state: coverage of its municipalities, municipal and state-level links, rates."""
    g = by_muni.groupby(["state_code", "state_name"], as_index=False).agg(
        n_municipalities=("inegi_code", "size"), n_with_link=("has_link", "sum"),
        n_links_municipal=("n_links", "sum"), population_2020=("population_2020", "sum"))
    state_links = agreements[agreements.level == "state"].groupby("state_code").size()
    g["n_links_state"] = g.state_code.map(state_links).fillna(0).astype(int)
    g["coverage_pct"] = (100 * g.n_with_link / g.n_municipalities).round(2)
    g["links_per_100k"] = (g.n_links_municipal / g.population_2020 * PER).round(4)
    g["n_links_total"] = g.n_links_municipal + g.n_links_state
    return g.sort_values("state_code").reset_index(drop=True)


def national_summary(by_muni: pd.DataFrame, agreements: pd.DataFrame) -> dict[str, float]:
    """Headline numbers: municipalities, coverage share, links, rate per 100,000."""
    n_links = int(by_muni.n_links.sum())
    return {
        "municipalities": len(by_muni),
        "municipalities_with_link": int(by_muni.has_link.sum()),
        "coverage_pct": round(100 * by_muni.has_link.mean(), 2),
        "municipal_links": n_links,
        "state_links": int((agreements.level == "state").sum()),
        "links_per_100k": round(n_links / by_muni.population_2020.sum() * PER, 3),
        "partner_countries": int(agreements.partner_country_iso3.nunique()),
    }


def by_size_class(by_muni: pd.DataFrame) -> pd.DataFrame:
    """Coverage and links per size class (classes in SIZE_LABELS order, empty classes kept)."""
    g = by_muni.groupby("size_class", observed=False).agg(
        n_municipalities=("inegi_code", "size"), n_with_link=("has_link", "sum"), n_links=("n_links", "sum"),
        population_2020=("population_2020", "sum")).reset_index()
    g["coverage_pct"] = (100 * g.n_with_link / g.n_municipalities.where(g.n_municipalities > 0)).round(2)
    g["links_per_100k"] = (g.n_links / g.population_2020.where(g.population_2020 > 0) * PER).round(3)
    g["mean_links"] = (g.n_links / g.n_municipalities.where(g.n_municipalities > 0)).round(3)
    return g


def partner_countries(agreements: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Links per partner country with its UN M49 region; a country missing from ``regions`` is an error."""
    missing = sorted(set(agreements.partner_country_iso3) - set(regions.iso3))
    if missing:
        raise ValueError(f"Partner countries {missing} are missing from data/curated/country_regions.csv; add them.")
    g = agreements.groupby("partner_country_iso3").agg(
        n_links=("agreement_id", "size"),
        n_links_municipal=("level", lambda s: int((s == "municipal").sum())),
        n_mexican_municipalities=("inegi_code", lambda s: s[s != ""].nunique())).reset_index()
    g = g.rename(columns={"partner_country_iso3": "iso3"}).merge(
        regions[["iso3", "country_name_es", "region_es", "subregion_es"]], on="iso3", how="left")
    g["share_pct"] = (100 * g.n_links / g.n_links.sum()).round(2)
    return g.sort_values(["n_links", "iso3"], ascending=[False, True]).reset_index(drop=True)


def by_region(partners: pd.DataFrame, level: str = "region_es") -> pd.DataFrame:
    """Links and countries per M49 region (``region_es``) or sub-region (``subregion_es``)."""
    g = partners.groupby(level).agg(n_links=("n_links", "sum"), n_countries=("iso3", "size")).reset_index()
    g["share_pct"] = (100 * g.n_links / g.n_links.sum()).round(2)
    return g.sort_values(["n_links", level], ascending=[False, True]).reset_index(drop=True)


def lorenz(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve: cumulative share of units (x) and of the total (y), both starting at 0."""
    v = np.sort(np.asarray(values, dtype=float))
    if (v < 0).any() or v.sum() == 0:
        raise ValueError("Lorenz curve needs non-negative values with a positive total.")
    x = np.arange(len(v) + 1) / len(v)
    y = np.concatenate([[0.0], np.cumsum(v) / v.sum()])
    return x, y


def gini(values: pd.Series | np.ndarray) -> float:
    """Gini coefficient (0 = equal, 1 = all in one unit), as the area between diagonal and Lorenz curve."""
    x, y = lorenz(values)
    return float(1 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])))


def top_municipalities(by_muni: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The n municipalities with most links (ties broken by INEGI code)."""
    cols = ["inegi_code", "name", "state_name", "population_2020", "n_links", "n_partner_countries", "links_per_100k"]
    return by_muni.sort_values(["n_links", "inegi_code"], ascending=[False, True]).head(n)[cols].reset_index(drop=True)


def iso3_to_numeric(iso3: str) -> str:
    """ISO 3166-1 numeric code (3 digits) of an alpha-3 code; '' when unknown (e.g. XKX)."""
    country = pycountry.countries.get(alpha_3=iso3)
    return country.numeric if country else ""


# --- Geometry for maps -------------------------------------------------------------------------

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


def _unwrap_antimeridian(geom: object) -> object:
    """Shift western longitudes by 360° and cut at 180°: a wrapped polygon drawn without a stray band."""
    shifted = shapely.ops.transform(lambda x, y: (np.where(np.asarray(x) < 0, np.asarray(x) + 360, x), y), geom)
    return shapely.make_valid(shifted).intersection(box(-180, -90, 180, 90))


# --- Figures (Spanish labels; the caller saves and displays) -----------------------------------

LINK_CLASSES: tuple[tuple[int, int, str], ...] = (
    (0, 0, "0"), (1, 1, "1"), (2, 3, "2 a 3"), (4, 9, "4 a 9"), (10, 10**9, "10 o más"))


def link_class(n: pd.Series) -> pd.Series:
    """Class label of a number of links (see LINK_CLASSES)."""
    labels = [lab for _, _, lab in LINK_CLASSES]
    out = pd.Series(pd.NA, index=n.index, dtype="object")
    for lo, hi, lab in LINK_CLASSES:
        out[(n >= lo) & (n <= hi)] = lab
    return pd.Categorical(out, categories=labels, ordered=True)


def plot_coverage_by_state(by_state: pd.DataFrame, national_pct: float) -> plt.Figure:
    """Horizontal bars: share of municipalities with at least one link, per state."""
    d = by_state.sort_values(["coverage_pct", "state_name"])
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.barh(d.state_name, d.coverage_pct, color=sns.color_palette()[0])
    ax.axvline(national_pct, color=sns.color_palette()[1], linestyle="--", label=f"Nacional ({national_pct:.1f} %)")
    ax.set(xlabel="Municipios con al menos un vínculo internacional (%)", ylabel="",
           title="Cobertura de vínculos internacionales por entidad")
    ax.legend(loc="lower right")
    return fig


def plot_size_classes(classes: pd.DataFrame) -> plt.Figure:
    """Two panels: coverage (%) and links per 100,000 inhabitants, by population size class."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    labels = classes.size_class.astype(str)
    axes[0].bar(labels, classes.coverage_pct, color=sns.color_palette()[0])
    axes[0].set(ylabel="Municipios con vínculo (%)", xlabel="Tamaño de población (habitantes, 2020)",
                title="Cobertura")
    axes[1].bar(labels, classes.links_per_100k, color=sns.color_palette()[2])
    axes[1].set(ylabel="Vínculos por 100 000 habitantes", xlabel="Tamaño de población (habitantes, 2020)",
                title="Tasa por población")
    for ax in axes:
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle("Vínculos internacionales por tamaño de municipio")
    fig.tight_layout()
    return fig


def plot_partners(partners: pd.DataFrame, regions: pd.DataFrame, n: int = 15) -> plt.Figure:
    """Top partner countries and links by M49 sub-region."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    top = partners.head(n).iloc[::-1]
    axes[0].barh(top.country_name_es, top.n_links, color=sns.color_palette()[0])
    axes[0].set(xlabel="Vínculos", title=f"Los {n} países socios principales")
    reg = regions.iloc[::-1]
    axes[1].barh(reg.subregion_es, reg.n_links, color=sns.color_palette()[3])
    axes[1].set(xlabel="Vínculos", title="Por subregión (ONU, M49)")
    fig.tight_layout()
    return fig


def plot_lorenz(curves: dict[str, pd.Series]) -> plt.Figure:
    """Lorenz curves with the Gini coefficient of each series in the legend."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="Igualdad perfecta")
    for label, values in curves.items():
        x, y = lorenz(values)
        ax.plot(x, y, label=f"{label} (Gini = {gini(values):.2f})", drawstyle="steps-post" if len(x) < 50 else None)
    ax.set(xlabel="Proporción acumulada de unidades (de menos a más vínculos)",
           ylabel="Proporción acumulada de vínculos", title="Concentración de los vínculos internacionales")
    ax.legend(loc="upper left")
    return fig


def plot_choropleth(boundaries: gpd.GeoDataFrame, by_muni: pd.DataFrame) -> plt.Figure:
    """National municipal map of the number of links, in classes (0, 1, 2-3, 4-9, 10+)."""
    gdf = boundaries.merge(by_muni[["inegi_code", "n_links"]], on="inegi_code", how="left")
    gdf["clase"] = link_class(gdf.n_links.fillna(0))
    fig, ax = plt.subplots(figsize=(10, 6.5))
    colours = ["#eeeeee", *sns.color_palette(SEQUENTIAL_CMAP, len(LINK_CLASSES) - 1)]
    for (_, _, lab), colour in zip(LINK_CLASSES, colours, strict=True):
        part = gdf[gdf.clase == lab]
        if not part.empty:
            part.plot(ax=ax, color=colour, linewidth=0.05, edgecolor="#999999")
        ax.scatter([], [], color=colour, marker="s", label=f"{lab} ({len(part)})")
    ax.legend(title="Vínculos (municipios)", loc="lower left", frameon=True)
    ax.set_axis_off()
    ax.set_title("Vínculos internacionales por municipio")
    return fig


def plot_world_links(world: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> plt.Figure:
    """World map with one great-circle line per link (state-level links in another colour)."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    parts = world.explode(index_parts=False)
    wide = (parts.geometry.bounds.maxx - parts.geometry.bounds.minx) > 300  # rings wrapped across ±180° (Russia, Fiji)
    parts.loc[wide, "geometry"] = parts.geometry[wide].map(_unwrap_antimeridian)
    parts.plot(ax=ax, color="#e6e6e6", edgecolor="white", linewidth=0.3)
    palette = sns.color_palette()
    for level, colour, label in (("municipal", palette[0], "Municipal"), ("state", palette[1], "Estatal")):
        part = lines[lines.level == level]
        if not part.empty:
            part.plot(ax=ax, color=colour, linewidth=0.4, alpha=0.35)
        ax.plot([], [], color=colour, label=f"{label} ({len(part)})")
    ax.set(xlim=(-180, 180), ylim=(-60, 85))
    ax.set_axis_off()
    ax.legend(loc="lower left", title="Vínculos")
    ax.set_title("Vínculos internacionales de gobiernos locales y estatales de México")
    return fig
