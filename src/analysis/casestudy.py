"""The Quintana Roo case study: Benito Juárez (Cancún) and the other ten municipalities of the state.

Reads the curated Table 1 of the seed slides (data/curated/benito_juarez_hermanamientos.csv) and
the institutional timeline (data/curated/qroo_timeline.csv), validates them with errors that name
the file, the row and the field, and derives the tables of chapter 05: the agreements with their
great-circle distance from Cancún, the cumulative timeline, the population shares behind the
slides' 49.05 % figure, the state's municipalities with their Wikipedia-derived links, and the
cross-check of Table 1 against the Wikipedia-derived pairs.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pycountry
import shapely
import shapely.affinity
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from shapely.geometry.base import BaseGeometry

from analysis import paths
from analysis.countries import iso3_name_es
from analysis.datasets import read_curated
from analysis.geo import great_circle_points, haversine_km, split_antimeridian
from analysis.plots import SEQUENTIAL_CMAP
from analysis.textnorm import normalise

BJ_CODE = "23005"
ISLA_MUJERES_CODE = "23003"
QROO_STATE = "23"
#: Cancún, seat of Benito Juárez (approximate urban centre, WGS 84).
CANCUN_LAT, CANCUN_LON = 21.1619, -86.8515

AGREEMENTS_CSV = paths.CURATED / "benito_juarez_hermanamientos.csv"
TIMELINE_CSV = paths.CURATED / "qroo_timeline.csv"

AGREEMENT_COLUMNS = [
    "number", "as_written", "partner_city", "region", "country_iso3", "year", "month", "scope",
    "partner_lat", "partner_lon", "coord_source", "inegi_code_partner", "source_citation",
]
TIMELINE_COLUMNS = ["date", "date_precision", "event", "source", "note"]
SCOPES = ("national", "international")
SCOPE_ES = {"national": "nacional", "international": "internacional"}

#: Spelling variants seen in Table 1 or in Wikipedia -> one normalised name per city.
PARTNER_ALIASES: dict[str, str] = {
    "mar de plata": "mar del plata",
    "la antigua": "antigua guatemala",
    "antigua": "antigua guatemala",
    "la antigua guatemala": "antigua guatemala",
    "puebla de los angeles": "puebla",
    "heroica puebla de zaragoza": "puebla",
    "taxco": "taxco de alarcon",
    "queretaro": "santiago de queretaro",
}


class CaseStudyDataError(ValueError):
    """A curated case-study table fails a check; the message names file, row and field."""


# --------------------------------------------------------------------------- reading and validation


def _read_curated(path: Path, columns: list[str]) -> pd.DataFrame:
    return read_curated(path, columns, CaseStudyDataError)


def _fail(path: Path, idx: int, field: str, problem: str) -> CaseStudyDataError:
    # idx is 0-based over data rows; line 1 of the file is the header.
    return CaseStudyDataError(f"{path}, row {idx + 1} (line {idx + 2}), field '{field}': {problem}")


def _number(path: Path, idx: int, field: str, text: str, lo: float, hi: float, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise _fail(path, idx, field, f"{text!r} is not {kind}; correct the value.") from None
    if not lo <= value <= hi:
        raise _fail(path, idx, field, f"{value} outside [{lo}, {hi}]; correct the value.")
    return value


def _validate_agreement_row(path: Path, idx: int, row: pd.Series) -> None:
    for field in ("partner_city", "as_written", "country_iso3", "scope", "year", "coord_source", "source_citation"):
        if not row[field].strip():
            raise _fail(path, idx, field, "empty; every agreement needs it.")
    if row.scope not in SCOPES:
        raise _fail(path, idx, "scope", f"{row.scope!r} is not one of {SCOPES}.")
    if pycountry.countries.get(alpha_3=row.country_iso3) is None:
        raise _fail(path, idx, "country_iso3", f"{row.country_iso3!r} is not an ISO 3166-1 alpha-3 code.")
    if (row.country_iso3 == "MEX") != (row.scope == "national"):
        raise _fail(path, idx, "scope", f"scope {row.scope!r} contradicts country {row.country_iso3}.")
    _number(path, idx, "year", row.year, 1900, 2100, integer=True)
    if row.month:
        _number(path, idx, "month", row.month, 1, 12, integer=True)
    _number(path, idx, "partner_lat", row.partner_lat, -90, 90)
    _number(path, idx, "partner_lon", row.partner_lon, -180, 180)
    code = row.inegi_code_partner
    if row.scope == "national" and not (len(code) == 5 and code.isdigit()):
        raise _fail(path, idx, "inegi_code_partner", f"{code!r} is not a 5-digit INEGI code (keep leading zeros).")
    if row.scope == "international" and code:
        raise _fail(path, idx, "inegi_code_partner", f"{code!r} given for a partner abroad; leave it empty.")


def read_agreements(path: Path | None = None) -> pd.DataFrame:
    """Read and validate Table 1 (one row per agreement); typed columns, sorted by number."""
    path = path or AGREEMENTS_CSV
    df = _read_curated(path, AGREEMENT_COLUMNS)
    if df.empty:
        raise CaseStudyDataError(f"{path}: no rows; Table 1 lists the agreements.")
    for idx, row in df.iterrows():
        _validate_agreement_row(path, int(idx), row)
    numbers = [int(_number(path, i, "number", v, 1, 10_000, integer=True)) for i, v in enumerate(df.number)]
    if numbers != list(range(1, len(df) + 1)):
        bad = next(i for i, n in enumerate(numbers) if n != i + 1)
        raise _fail(path, bad, "number", f"expected {bad + 1}: numbers must run 1..{len(df)} in order, without gaps.")
    out = df.copy()
    out["number"] = numbers
    out["year"] = out.year.astype(int)
    out["month"] = pd.to_numeric(out.month.replace("", np.nan)).astype("Int64")
    out["partner_lat"] = out.partner_lat.astype(float)
    out["partner_lon"] = out.partner_lon.astype(float)
    return out


def check_partner_codes(agreements: pd.DataFrame, municipalities: pd.DataFrame, path: Path | None = None) -> None:
    """Raise if a Mexican partner's INEGI code is not a municipality of the 2020 census."""
    path = path or AGREEMENTS_CSV
    known = set(municipalities.inegi_code)
    for idx, row in agreements.reset_index(drop=True).iterrows():
        if row.scope == "national" and row.inegi_code_partner not in known:
            raise _fail(path, int(idx), "inegi_code_partner",
                        f"{row.inegi_code_partner} ({row.partner_city}) is not in data/processed/municipalities.csv.")


def read_timeline(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the institutional timeline (ISO 8601 dates of day, month or year precision)."""
    path = path or TIMELINE_CSV
    df = _read_curated(path, TIMELINE_COLUMNS)
    lengths = {"day": 10, "month": 7, "year": 4}
    for idx, row in df.iterrows():
        i = int(idx)
        if row.date_precision not in lengths:
            raise _fail(path, i, "date_precision", f"{row.date_precision!r} is not one of {list(lengths)}.")
        if len(row.date) != lengths[row.date_precision]:
            raise _fail(path, i, "date", f"{row.date!r} does not match precision {row.date_precision!r}.")
        full = row.date + {"day": "", "month": "-01", "year": "-01-01"}[row.date_precision]
        try:
            pd.Timestamp(full)
        except ValueError:
            raise _fail(path, i, "date", f"{row.date!r} is not an ISO 8601 date.") from None
        for field in ("event", "source"):
            if not row[field].strip():
                raise _fail(path, i, field, "empty; every event needs a description and a source.")
    out = df.copy()
    out["year"] = out.date.str[:4].astype(int)
    return out.sort_values("date", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the agreements


def enrich_agreements(agreements: pd.DataFrame) -> pd.DataFrame:
    """Add the country's Spanish name, the decade and the great-circle distance from Cancún (km)."""
    out = agreements.copy()
    out["country_name_es"] = out.country_iso3.map(iso3_name_es)
    out["decade"] = (out.year // 10 * 10).astype(int)
    out["distance_km"] = np.round(haversine_km(CANCUN_LAT, CANCUN_LON, out.partner_lat, out.partner_lon), 1)
    cols = ["number", "partner_city", "region", "country_iso3", "country_name_es", "year", "month", "decade",
            "scope", "partner_lat", "partner_lon", "distance_km", "inegi_code_partner", "as_written",
            "coord_source", "source_citation"]
    return out[cols]


def scope_counts(agreements: pd.DataFrame) -> dict[str, int]:
    """Number of agreements in all and per scope."""
    counts = agreements.scope.value_counts()
    return {"total": len(agreements), **{s: int(counts.get(s, 0)) for s in SCOPES}}


def cumulative_by_year(agreements: pd.DataFrame, start: int = 1985, end: int = 2021) -> pd.DataFrame:
    """Cumulative number of agreements per year and scope (one row per year from start to end)."""
    years = range(start, end + 1)
    table = pd.crosstab(agreements.year, agreements.scope).reindex(index=years, columns=list(SCOPES), fill_value=0)
    out = table.cumsum()
    out["total"] = out.sum(axis=1)
    out.index.name = "year"
    return out.reset_index()


def per_decade(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements signed per decade and scope."""
    table = pd.crosstab(agreements.decade, agreements.scope).reindex(columns=list(SCOPES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index.name = "decade"
    return table.reset_index()


def partner_countries(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements per partner country, most first (ties by ISO code)."""
    out = (agreements.groupby(["country_iso3", "country_name_es"]).size().rename("agreements").reset_index()
           .sort_values(["agreements", "country_iso3"], ascending=[False, True]))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- population


def truncate(value: float, decimals: int = 2) -> float:
    """Truncate towards zero to ``decimals`` places (49.0587 -> 49.05)."""
    factor = 10**decimals
    return math.trunc(round(value * factor, 9)) / factor


def population_shares(municipalities: pd.DataFrame, state: str = QROO_STATE) -> pd.DataFrame:
    """Benito Juárez's and the Cancún metropolitan area's share of the state's 2020 population."""
    state_rows = municipalities[municipalities.state_code == state]
    total = int(state_rows.population_2020.sum())
    pop = state_rows.set_index("inegi_code").population_2020
    variants = [
        ("municipio de Benito Juárez", [BJ_CODE]),
        ("zona metropolitana: Benito Juárez + Isla Mujeres", [BJ_CODE, ISLA_MUJERES_CODE]),
    ]
    rows = []
    for label, codes in variants:
        num = int(pop.loc[codes].sum())
        share = 100 * num / total
        rows.append({"variant": label, "codes": ";".join(codes), "population_2020": num, "state_population_2020": total,
                     "share_pct": round(share, 4), "share_rounded_2": round(share, 2), "share_truncated_2": truncate(share)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the state's municipalities


def international_links(twinnings: pd.DataFrame) -> pd.DataFrame:
    """Wikipedia-derived pairs kept for counting: matched, municipal side resolved, not a reciprocal duplicate."""
    dup = twinnings.reciprocal_duplicate.astype(str).str.lower() == "true"
    keep = (twinnings.match_status == "matched") & ~dup & (twinnings.inegi_code.astype(str) != "")
    return twinnings[keep]


def qroo_municipalities(municipalities: pd.DataFrame, twinnings: pd.DataFrame, state: str = QROO_STATE) -> pd.DataFrame:
    """One row per municipality of the state: population, growth, links and links per 100,000."""
    m = municipalities[municipalities.state_code == state].copy()
    census = ["pop_1990", "pop_1995", "pop_2000", "pop_2005", "pop_2010"]
    first_col = m[census].notna().idxmax(axis=1).where(m[census].notna().any(axis=1))
    m["first_census_year"] = first_col.str[-4:].astype("Int64")
    m["pop_first_census"] = [m.at[i, c] if isinstance(c, str) else np.nan for i, c in first_col.items()]
    m["existed_1990"] = m.pop_1990.notna()
    m["growth_1990_2020_pct"] = np.round(100 * (m.population_2020 / m.pop_1990 - 1), 1)
    m["growth_since_first_census_pct"] = np.round(100 * (m.population_2020 / m.pop_first_census - 1), 1)
    links = international_links(twinnings).groupby("inegi_code").size()
    m["links"] = m.inegi_code.map(links).fillna(0).astype(int)
    m["links_per_100k"] = np.round(1e5 * m.links / m.population_2020, 3)
    m["share_state_pct"] = np.round(100 * m.population_2020 / m.population_2020.sum(), 2)
    cols = ["inegi_code", "name", "seat_name", "population_2020", "share_state_pct", "pop_1990", "existed_1990",
            "growth_1990_2020_pct", "first_census_year", "pop_first_census", "growth_since_first_census_pct",
            "links", "links_per_100k"]
    out = m[cols].sort_values("inegi_code").reset_index(drop=True)
    out["pop_1990"] = out.pop_1990.astype("Int64")
    out["pop_first_census"] = out.pop_first_census.astype("Int64")
    return out


# --------------------------------------------------------------------------- cross-check with Wikipedia


def partner_key(name: str) -> str:
    """Normalised partner name with spelling variants folded by PARTNER_ALIASES."""
    key = normalise(name)
    return PARTNER_ALIASES.get(key, key)


def _table1_name_from_entry(as_written: str) -> str:
    return as_written.split(",")[0].strip()


def crosscheck(agreements: pd.DataFrame, twinnings: pd.DataFrame, code: str = BJ_CODE) -> pd.DataFrame:
    """Compare Table 1 with the Wikipedia-derived pairs of one municipality.

    status: both | table1_only | wikipedia_only | not_comparable (Mexican partners: the
    Wikipedia-derived list keeps only pairs with exactly one Mexican side).
    """
    links = international_links(twinnings)
    wiki = links[links.inegi_code == code].copy()
    wiki["key"] = wiki.partner_city.map(partner_key)
    others = links[(links.state_code == code[:2]) & (links.inegi_code != code)].copy()
    others["key"] = others.partner_city.map(partner_key)
    used: set[str] = set()
    rows = []
    for _, a in agreements.sort_values("number").iterrows():
        base = {"number": a.number, "table1_name": _table1_name_from_entry(a.as_written), "partner_city": a.partner_city,
                "country_iso3": a.country_iso3, "year": a.year, "scope": a.scope}
        if a.scope == "national":
            rows.append(base | {"pair_id": "", "wikipedia_name": "", "coord_diff_km": np.nan, "status": "not_comparable",
                                "possible_reason": "La lista derivada de Wikipedia solo conserva pares con un lado mexicano."})
            continue
        keys = {partner_key(a.partner_city), partner_key(base["table1_name"])}
        hit = wiki[wiki.key.isin(keys) & (wiki.partner_country_iso3 == a.country_iso3) & ~wiki.pair_id.isin(used)]
        if hit.empty:
            rows.append(base | {"pair_id": "", "wikipedia_name": "", "coord_diff_km": np.nan, "status": "table1_only",
                                "possible_reason": "Wikipedia no lo registra: lista incompleta o acuerdo poco difundido."})
            continue
        w = hit.sort_values("pair_id").iloc[0]
        used.add(w.pair_id)
        diff = round(float(haversine_km(a.partner_lat, a.partner_lon, w.partner_lat, w.partner_lon)), 1)
        rows.append(base | {"pair_id": w.pair_id, "wikipedia_name": w.partner_city, "coord_diff_km": diff, "status": "both",
                            "possible_reason": ""})
    for _, w in wiki[~wiki.pair_id.isin(used)].sort_values("pair_id").iterrows():
        rows.append({"number": pd.NA, "table1_name": "", "partner_city": w.partner_city, "country_iso3": w.partner_country_iso3,
                     "year": pd.NA, "scope": "international", "pair_id": w.pair_id, "wikipedia_name": w.partner_city,
                     "coord_diff_km": np.nan, "status": "wikipedia_only", "possible_reason": _absent_reason(w, others)})
    out = pd.DataFrame(rows)
    out["number"] = out.number.astype("Int64")
    out["year"] = out.year.astype("Int64")
    return out


def _absent_reason(pair: pd.Series, others: pd.DataFrame) -> str:
    same = others[(others.key == partner_key(pair.partner_city)) & (others.partner_country_iso3 == pair.partner_country_iso3)]
    generic = ("Posibles razones: acuerdo firmado después del corte de la Tabla 1 (2022), vínculo informal o declarado "
               "solo por la ciudad extranjera, o error de la lista (Wikipedia no da fechas).")
    if same.empty:
        return generic
    names = ", ".join(sorted(set(same.mexican_city)))
    return (f"El mismo socio figura para {names} en Wikipedia: posible atribución a un municipio vecino "
            f"o confusión entre ambos. {generic}")


def crosscheck_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts of the cross-check: international agreements found, missing, and Wikipedia-only pairs."""
    intl = table[table.scope == "international"]
    return {
        "table1_international": int((intl.status != "wikipedia_only").sum()),
        "found_in_wikipedia": int((intl.status == "both").sum()),
        "table1_only": int((intl.status == "table1_only").sum()),
        "wikipedia_only": int((intl.status == "wikipedia_only").sum()),
        "not_comparable": int((table.status == "not_comparable").sum()),
    }


# --------------------------------------------------------------------------- figures (Spanish labels)

SCOPE_COLOURS = {"national": "#0072B2", "international": "#D55E00"}  # Okabe-Ito: blue, vermillion


def _scope_legend(ax: Axes, **kwargs: object) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([0], [0], color=c, lw=2, label=SCOPE_ES[s]) for s, c in SCOPE_COLOURS.items()]
    ax.legend(handles=handles, title="Alcance", **kwargs)


def plot_cumulative(cumulative: pd.DataFrame) -> Figure:
    """Step chart of the cumulative agreements per scope and in all."""
    fig, ax = plt.subplots()
    for scope, colour in SCOPE_COLOURS.items():
        ax.step(cumulative.year, cumulative[scope], where="post", color=colour, lw=2, label=SCOPE_ES[scope])
    ax.step(cumulative.year, cumulative.total, where="post", color="0.3", lw=1.5, ls="--", label="total")
    ax.set(title="Hermanamientos acumulados de Benito Juárez, 1985-2021", xlabel="Año", ylabel="Acuerdos acumulados")
    ax.legend(title="Alcance", loc="upper left")
    return fig


def plot_per_decade(decades: pd.DataFrame) -> Figure:
    """Stacked bars of agreements per decade and scope."""
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{d}s" for d in decades.decade]
    bottom = np.zeros(len(decades))
    for scope, colour in SCOPE_COLOURS.items():
        ax.bar(labels, decades[scope], bottom=bottom, color=colour, label=SCOPE_ES[scope])
        bottom += decades[scope].to_numpy()
    ax.set(title="Hermanamientos por década de firma", xlabel="Década", ylabel="Acuerdos")
    ax.legend(title="Alcance")
    return fig


def plot_distances(agreements: pd.DataFrame) -> Figure:
    """Horizontal bars: great-circle distance from Cancún to each partner."""
    data = agreements.sort_values("distance_km")
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.barh(data.partner_city, data.distance_km, color=data.scope.map(SCOPE_COLOURS))
    ax.set(title="Distancia ortodrómica desde Cancún a cada ciudad hermana", xlabel="Distancia (km)", ylabel="")
    _scope_legend(ax, loc="lower right")
    return fig


def _draw_links(ax: Axes, agreements: pd.DataFrame, n: int = 96) -> None:
    for _, row in agreements.iterrows():
        pts = great_circle_points(CANCUN_LAT, CANCUN_LON, row.partner_lat, row.partner_lon, n=n)
        for segment in split_antimeridian(pts):
            xs, ys = zip(*segment, strict=True)
            ax.plot(xs, ys, color=SCOPE_COLOURS[row.scope], lw=1.2, alpha=0.85)
        ax.plot(row.partner_lon, row.partner_lat, "o", ms=4, color=SCOPE_COLOURS[row.scope])
    ax.plot(CANCUN_LON, CANCUN_LAT, "*", ms=12, color="black", zorder=5)


def _shift_west_longitudes(xy: np.ndarray) -> np.ndarray:
    return np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]), xy[:, 1]])


def unwrap_antimeridian(geom: BaseGeometry) -> BaseGeometry:
    """Cut a geometry whose rings jump across the 180° meridian into parts on each side of it."""
    minx, _, maxx, _ = geom.bounds
    if maxx - minx < 180:
        return geom
    parts = list(getattr(geom, "geoms", [geom]))
    pieces = []
    for part in parts:
        if part.bounds[2] - part.bounds[0] < 180:
            pieces.append(part)
            continue
        shifted = shapely.transform(part, _shift_west_longitudes)
        shifted = shapely.make_valid(shifted)
        pieces.append(shifted.intersection(shapely.box(0, -90, 180, 90)))
        pieces.append(shapely.affinity.translate(shifted.intersection(shapely.box(180, -90, 360, 90)), xoff=-360))
    return shapely.unary_union([p for p in pieces if not p.is_empty])


def plot_links_world(agreements: pd.DataFrame, world: gpd.GeoDataFrame) -> Figure:
    """World map with great circles from Cancún to each partner."""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    world = world.assign(geometry=world.geometry.map(unwrap_antimeridian))
    world.plot(ax=ax, color="0.9", edgecolor="0.6", linewidth=0.3)
    _draw_links(ax, agreements)
    ax.set(title="Ciudades hermanas de Benito Juárez (Tabla 1): vínculos desde Cancún", xlabel="Longitud", ylabel="Latitud",
           xlim=(-180, 180), ylim=(-60, 85))
    _scope_legend(ax, loc="lower left")
    return fig


def plot_links_mexico(agreements: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> Figure:
    """Map of Mexico: the partner municipalities shaded, links from Cancún drawn."""
    national = agreements[agreements.scope == "national"]
    fig, ax = plt.subplots(figsize=(10, 6.5))
    boundaries.plot(ax=ax, color="0.93", edgecolor="0.75", linewidth=0.1)
    boundaries[boundaries.inegi_code.isin(national.inegi_code_partner)].plot(ax=ax, color=SCOPE_COLOURS["national"], alpha=0.6)
    boundaries[boundaries.inegi_code == BJ_CODE].plot(ax=ax, color="black")
    _draw_links(ax, national, n=32)
    for _, row in national.iterrows():
        ax.annotate(row.partner_city, (row.partner_lon, row.partner_lat), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set(title="Hermanamientos nacionales de Benito Juárez", xlabel="Longitud", ylabel="Latitud",
           xlim=(-118, -86), ylim=(14, 33))
    return fig


#: Label anchors (lon, lat) outside the coast for the small municipalities of the north-east.
LABEL_ANCHORS = {"23003": (-86.35, 21.45), "23005": (-86.35, 21.1), "23011": (-86.35, 20.8), "23001": (-86.35, 20.45)}
#: Label positions inside the state where the default point makes neighbouring labels overlap.
LABEL_INSIDE = {"23006": (-88.85, 20.05), "23002": (-88.0, 19.45)}


def _label_municipalities(ax: Axes, qroo: gpd.GeoDataFrame) -> None:
    for _, row in qroo.iterrows():
        p = row.geometry.representative_point()
        anchor = LABEL_ANCHORS.get(row.inegi_code)
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0}
        if anchor:
            ax.annotate(row["name"], (p.x, p.y), xytext=anchor, ha="left", va="center", fontsize=6.5, bbox=box,
                        arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.6})
        else:
            x, y = LABEL_INSIDE.get(row.inegi_code, (p.x, p.y))
            ax.annotate(row["name"], (x, y), ha="center", fontsize=6.5, bbox=box)


def plot_qroo_choropleth(qroo: gpd.GeoDataFrame) -> Figure:
    """Three choropleths of the state's municipalities: population 2020, links and links per 100,000."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 6.5))
    panels = [("population_2020", "Población 2020 (miles)", 1e-3), ("links", "Vínculos internacionales", 1.0),
              ("links_per_100k", "Vínculos por 100 000 hab.", 1.0)]
    for ax, (col, title, scale) in zip(axes, panels, strict=True):
        qroo.assign(value=qroo[col] * scale).plot(column="value", ax=ax, cmap=SEQUENTIAL_CMAP, edgecolor="white",
                                                  linewidth=0.6, legend=True,
                                                  legend_kwds={"shrink": 0.5, "orientation": "horizontal", "pad": 0.08})
        _label_municipalities(ax, qroo)
        ax.set(title=title, xlim=(-89.6, -85.3))
        ax.set_aspect("equal")
        ax.set_axis_off()
    fig.suptitle("Municipios de Quintana Roo", fontweight="bold")
    return fig


def plot_timeline(timeline: pd.DataFrame) -> Figure:
    """Institutional timeline: one row per event, a dot at its date and the label beside it."""
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(timeline) + 1.2))
    years = timeline.date.map(_decimal_year).to_numpy()
    ys = -np.arange(len(timeline))
    ax.scatter(years, ys, color="#009E73", s=40, zorder=3)
    mid = (years.min() + years.max()) / 2
    for x, y, d, e in zip(years, ys, timeline.date, timeline.event, strict=True):
        left = x < mid
        ax.annotate(f"{d}: {textwrap.shorten(e, 80, placeholder='…')}", (x, y), xytext=(8 if left else -8, 0),
                    textcoords="offset points", ha="left" if left else "right", va="center", fontsize=8)
    ax.set(title="Cronología institucional de Benito Juárez y de su acción exterior", xlabel="Año",
           xlim=(years.min() - 2, years.max() + 2), ylim=(ys.min() - 0.8, 0.8))
    ax.get_yaxis().set_visible(False)
    ax.grid(False, axis="y")
    return fig


def _decimal_year(date: str) -> float:
    parts = [int(p) for p in date.split("-")]
    year, month, day = [*parts, 7, 1][:3] if len(parts) == 1 else [*parts, 15][:3]
    return year + (month - 1) / 12 + (day - 1) / 365
