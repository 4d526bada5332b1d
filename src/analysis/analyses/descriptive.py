"""Descriptive measures of the agreements table: coverage, rates, size classes, partners, concentration.

Every function takes the canonical agreements table (:mod:`analysis.tables.agreements`) and the
municipality table, so the same chapter runs on the Wikipedia-derived pairs or on a RAI export.
Municipal measures use the rows with ``level == "municipal"``; state-level agreements are counted
apart (they belong to a state government, not to any municipality).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def by_region(partners: pd.DataFrame, level: str = "region_es", regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Links and countries per M49 region (``region_es``) or sub-region (``subregion_es``).

    With ``regions`` (data/curated/country_regions.csv) every region of that table gets a row, with
    zero links and countries when no partner lies in it: a registry subset (one state's export, say)
    may have no partner in a whole region. Shares are of the links in ``partners``; with no links
    at all they are 0.
    """
    g = partners.groupby(level).agg(n_links=("n_links", "sum"), n_countries=("iso3", "size")).reset_index()
    if regions is not None:
        every = pd.DataFrame({level: sorted(set(regions[level]) - {""})})
        g = every.merge(g, on=level, how="left").fillna({"n_links": 0, "n_countries": 0})
        g[["n_links", "n_countries"]] = g[["n_links", "n_countries"]].astype(int)
    total = g.n_links.sum()
    g["share_pct"] = (100 * g.n_links / total).round(2) if total else 0.0
    return g.sort_values(["n_links", level], ascending=[False, True]).reset_index(drop=True)


def region_share_pct(partners: pd.DataFrame, region: str, level: str = "region_es") -> float:
    """Percentage of the links in ``partners`` whose country lies in ``region`` (0 when none does)."""
    total = float(partners.n_links.sum())
    if not total:
        return 0.0
    return float(100 * partners.loc[partners[level] == region, "n_links"].sum() / total)


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


#: The views of the two-source table compared by :func:`by_source`: the provenances each one keeps.
SOURCE_VIEWS: dict[str, tuple[str, ...]] = {
    "two_sources": ("wikipedia", "wikidata", "both"),
    "wikipedia": ("wikipedia", "both"),
    "wikidata": ("wikidata", "both"),
}


def by_source(agreements: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """The chapter's headline municipal figures for the union and for each source on its own.

    ``agreements`` is the canonical table of the two sources (``provenance`` wikipedia, wikidata or
    both). One row per view of ``SOURCE_VIEWS``: municipal links, municipalities with a link,
    coverage (%), links per 100,000 inhabitants, partner countries, Gini among municipalities, the
    share of links held by the 1 % of municipalities with most links and the share with the United
    States (%). State-level agreements are left out (they are the same in every view).
    """
    muni = _municipal(agreements)
    unknown = sorted(set(muni.provenance) - set(SOURCE_VIEWS["two_sources"]))
    if unknown:
        raise ValueError(f"agreements: provenance {unknown} is not one of the two twinning sources; "
                         "run notebook 01 with registry=two_sources.")
    rows = []
    for view, kept in SOURCE_VIEWS.items():
        sub = muni[muni.provenance.isin(kept)]
        by_muni = links_by_municipality(sub, municipalities)
        n = int(by_muni.n_links.sum())
        top = by_muni.n_links.sort_values(ascending=False).head(round(len(by_muni) * 0.01)).sum()
        rows.append({
            "source_view": view, "municipal_links": n, "municipalities_with_link": int(by_muni.has_link.sum()),
            "coverage_pct": round(100 * by_muni.has_link.mean(), 2),
            "links_per_100k": round(n / by_muni.population_2020.sum() * PER, 3),
            "partner_countries": int(sub.partner_country_iso3.nunique()),
            "gini_municipalities": round(gini(by_muni.n_links), 3),
            "top1_pct": round(100 * top / n, 1) if n else float("nan"),
            "usa_pct": round(100 * float((sub.partner_country_iso3 == "USA").mean()), 1) if n else float("nan"),
        })
    return pd.DataFrame(rows)
