"""The Quintana Roo case study: Benito Juárez (Cancún) and the other ten municipalities of the state.

Reads the curated Table 1 of the seed slides (data/curated/benito_juarez_hermanamientos.csv) and
the institutional timeline (data/curated/qroo_timeline.csv), validates them with errors that name
the file, the row and the field, and derives the tables of chapter 05: the agreements with their
great-circle distance from Cancún, the cumulative timeline, the population shares behind the
slides' 49.05 % figure, the state's municipalities with their Wikipedia-derived links, the
cross-check of Table 1 against the Wikipedia-derived pairs (:func:`crosscheck`) and against both
twinning sources, Wikipedia and Wikidata (:func:`crosscheck_sources`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.tables.casestudy import SCOPES
from analysis.tables.cities import city_name_key
from analysis.util.countries import iso3_name_es
from analysis.util.spatial import haversine_km

BJ_CODE = "23005"
ISLA_MUJERES_CODE = "23003"
QROO_STATE = "23"
#: Cancún, seat of Benito Juárez (approximate urban centre, WGS 84).
CANCUN_LAT, CANCUN_LON = 21.1619, -86.8515


SCOPE_ES = {"national": "nacional", "international": "internacional"}


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
    return float(math.trunc(round(value * factor, 9)) / factor)


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


def qroo_municipalities(municipalities: pd.DataFrame, twinnings: pd.DataFrame, state: str = QROO_STATE,
                        link_counts: pd.Series | None = None) -> pd.DataFrame:
    """One row per municipality of the state: population, growth, links and links per 100,000.

    ``link_counts`` (inegi_code -> links) gives the links of every chapter's table (chapter 1's
    links_by_municipality.csv, the union of both sources), so that one municipality has one count
    in the whole book; without it the links are the Wikipedia pairs of ``twinnings``.
    """
    m = municipalities[municipalities.state_code == state].copy()
    census = ["pop_1990", "pop_1995", "pop_2000", "pop_2005", "pop_2010"]
    first_col = m[census].notna().idxmax(axis=1).where(m[census].notna().any(axis=1))
    m["first_census_year"] = first_col.str[-4:].astype("Int64")
    m["pop_first_census"] = [m.loc[i, c] if isinstance(c, str) else np.nan for i, c in first_col.items()]
    m["existed_1990"] = m.pop_1990.notna()
    m["growth_1990_2020_pct"] = np.round(100 * (m.population_2020 / m.pop_1990 - 1), 1)
    m["growth_since_first_census_pct"] = np.round(100 * (m.population_2020 / m.pop_first_census - 1), 1)
    links = international_links(twinnings).groupby("inegi_code").size() if link_counts is None else link_counts
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


def _table1_name_from_entry(as_written: str) -> str:
    return as_written.split(",")[0].strip()


def crosscheck(agreements: pd.DataFrame, twinnings: pd.DataFrame, code: str = BJ_CODE) -> pd.DataFrame:
    """Compare Table 1 with the Wikipedia-derived pairs of one municipality.

    status: both | table1_only | wikipedia_only | not_comparable (Mexican partners: the
    Wikipedia-derived list keeps only pairs with exactly one Mexican side).
    """
    links = international_links(twinnings)
    wiki = links[links.inegi_code == code].copy()
    wiki["key"] = wiki.partner_city.map(city_name_key)
    others = links[(links.state_code == code[:2]) & (links.inegi_code != code)].copy()
    others["key"] = others.partner_city.map(city_name_key)
    used: set[str] = set()
    rows = []
    for _, a in agreements.sort_values("number").iterrows():
        base = {"number": a.number, "table1_name": _table1_name_from_entry(a.as_written), "partner_city": a.partner_city,
                "country_iso3": a.country_iso3, "year": a.year, "scope": a.scope}
        if a.scope == "national":
            rows.append(base | {"pair_id": "", "wikipedia_name": "", "coord_diff_km": np.nan, "status": "not_comparable",
                                "possible_reason": "La lista derivada de Wikipedia solo conserva pares con un lado mexicano."})
            continue
        keys = {city_name_key(a.partner_city), city_name_key(base["table1_name"])}
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


#: A Table 1 partner and a link of the two-source table are the same city when their name keys
#: agree or, in the same country, their points lie this close (km): Wikidata's English labels
#: ("Kunming", "Havana") need not spell the city as Table 1 does.
SAME_CITY_KM = 30.0
SOURCES_STATUS = ("both", "wikipedia", "wikidata", "none", "sources_only")


def crosscheck_sources(agreements: pd.DataFrame, links: pd.DataFrame, code: str = BJ_CODE) -> pd.DataFrame:
    """Table 1's international agreements against the two-source links of one municipality.

    ``links`` is data/processed/twinning_links.csv. One row per international agreement of
    Table 1 (``status``: ``both``, ``wikipedia``, ``wikidata`` = the source(s) that record it, or
    ``none``), then one row per link of the municipality that no agreement of Table 1 matches
    (``sources_only``, with its provenance). Each link matches at most one agreement.
    """
    own = links[links.inegi_code.astype(str) == code].copy()
    own["key"] = own.partner_city.map(city_name_key)
    used: set[str] = set()
    rows = []
    for _, a in agreements[agreements.scope == "international"].sort_values("number").iterrows():
        keys = {city_name_key(a.partner_city), city_name_key(_table1_name_from_entry(a.as_written))}
        pool = own[(own.partner_country_iso3 == a.country_iso3) & ~own.partner_id.isin(used)]
        dist = haversine_km(a.partner_lat, a.partner_lon, pool.partner_lat.to_numpy(float), pool.partner_lon.to_numpy(float))
        hit = pool[pool.key.isin(keys) | (np.nan_to_num(dist, nan=np.inf) <= SAME_CITY_KM)]
        base = {"number": a.number, "partner_city": a.partner_city, "country_iso3": a.country_iso3, "year": a.year}
        if hit.empty:
            rows.append(base | {"partner_id": "", "source_name": "", "provenance": "", "status": "none"})
            continue
        link = hit.sort_values("partner_id").iloc[0]
        used.add(link.partner_id)
        rows.append(base | {"partner_id": link.partner_id, "source_name": link.partner_city,
                            "provenance": link.provenance, "status": link.provenance})
    for _, link in own[~own.partner_id.isin(used)].sort_values("partner_id").iterrows():
        rows.append({"number": pd.NA, "partner_city": "", "country_iso3": link.partner_country_iso3, "year": pd.NA,
                     "partner_id": link.partner_id, "source_name": link.partner_city, "provenance": link.provenance,
                     "status": "sources_only"})
    out = pd.DataFrame(rows, columns=["number", "partner_city", "country_iso3", "year", "partner_id", "source_name",
                                      "provenance", "status"])
    out["number"] = out.number.astype("Int64")
    out["year"] = out.year.astype("Int64")
    return out


def crosscheck_sources_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts of :func:`crosscheck_sources`: Table 1 agreements by the source(s) that record them, and links outside it."""
    t1 = table[table.status != "sources_only"]
    extra = table[table.status == "sources_only"]
    return {
        "table1_international": len(t1),
        "in_both": int((t1.status == "both").sum()),
        "only_wikipedia": int((t1.status == "wikipedia").sum()),
        "only_wikidata": int((t1.status == "wikidata").sum()),
        "in_wikipedia": int(t1.status.isin(["both", "wikipedia"]).sum()),
        "in_wikidata": int(t1.status.isin(["both", "wikidata"]).sum()),
        "in_either": int(t1.status.isin(["both", "wikipedia", "wikidata"]).sum()),
        "in_neither": int((t1.status == "none").sum()),
        "sources_only": len(extra),
        "sources_only_wikidata": int(extra.provenance.isin(["wikidata", "both"]).sum()),
        "sources_only_wikipedia": int(extra.provenance.isin(["wikipedia", "both"]).sum()),
    }


def _absent_reason(pair: pd.Series, others: pd.DataFrame) -> str:
    same = others[(others.key == city_name_key(pair.partner_city)) & (others.partner_country_iso3 == pair.partner_country_iso3)]
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
