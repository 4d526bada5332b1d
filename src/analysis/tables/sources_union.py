"""Twinning links from two sources: Wikipedia's twin-town lists and Wikidata's P190 graph.

Two tables:

- :func:`build_wikidata_twinnings`: one row per Wikidata edge with exactly one Mexican side,
  the Mexican node resolved to a municipality by the same matcher as the Wikipedia pairs
  (:func:`analysis.tables.twinnings.resolve`: point in polygon, cross-checked with the names of
  municipalities and seats). Before matching, a Wikidata label is reduced to the place's name
  (:func:`place_name`: "Benito Juárez Municipality" -> "Benito Juárez", "Aguascalientes City"
  -> "Aguascalientes", "Tepic, Nayarit" -> "Tepic"), so a city node and its municipality node
  ("Cancun", "Benito Juárez Municipality") resolve to the same municipality. A node whose
  label is a state's name and whose population is closer (in logarithm) to the state's than to
  that of the municipality of the same name is the state (``level = state``; e.g. "Puebla",
  5.8 million inhabitants). The same link reached through two nodes of one place is flagged
  ``duplicate_link``.
- :func:`build_links`: one row per (municipality, foreign city) with its ``provenance``:
  ``wikipedia``, ``wikidata`` or ``both``. A foreign city is identified by its Wikidata QID
  where known, else by :func:`analysis.tables.cities.city_key`. A Wikipedia partner city gets
  a QID (:func:`assign_qids`) when exactly one Wikidata node of the same country has the same
  city key (``key_method = city_key``), or, failing that, when one node of the same country
  lies within ``QID_NEAR_KM`` of it and their names are alike (``coordinates+name``). A city
  key shared by several nodes ("Kansas City", Missouri and Kansas) goes to the nearest of them.

The union is then reviewed by hand (:func:`apply_matching_review`, the curated table
``data/curated/link_matching_review.csv``): every pair of links of one municipality whose foreign
cities may be one city under two keys (same name stem, or within ``QID_NEAR_KM``;
:func:`matching_candidates`: "Guadalajara" and "Guadalajara Province"), and every foreign city
shared by two or more municipalities of one state ("Calexico" for Mexicali in Wikipedia and for
Tijuana in Wikidata), has a reviewed row with a decision (``merge`` into another link of the same
municipality, or ``keep``) and its reason. A candidate without a row, or a row without its link,
is an error that names the file and row.

Only matched municipal links enter the links table; state-level links and unresolved nodes are
counted in the report and kept in the Wikidata table. :func:`agreement_by_state` gives the
overlap per state.

:func:`build_two_sources` builds the three tables and :func:`write_two_sources` writes them
(wikidata_twinnings.csv, twinning_links.csv, twinning_agreement_by_state.csv; notebook 00);
:func:`read_links` reads the links back for the chapters.

May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``, ``analysis.tables.cities``, ``analysis.tables.store``,
``analysis.tables.twinnings``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import paths
from analysis.ingest.sources import require
from analysis.ingest.wikidata import WikidataGraph, country_edges, read_gexf
from analysis.tables.cities import city_key, city_name_key
from analysis.tables.store import read_curated, write_csv
from analysis.tables.twinnings import MatchReport, resolve, state_index
from analysis.util.countries import UnknownCountryError, to_iso3
from analysis.util.spatial import haversine_km
from analysis.util.text import normalise

SOURCE_LABEL = "wikidata_p190"
#: A Wikipedia partner city and a Wikidata node of the same country this close are one city when
#: their folded names are alike (difflib ratio >= ``QID_NAME_RATIO``: "Cusco"/"Cuzco", "Minoh"/"Minō").
#: Containment is not enough: a district ("Seocho (Seoul)") is not its city.
QID_NEAR_KM = 15.0
QID_NAME_RATIO = 0.8
_SUFFIX = re.compile(r"\s+(municipality|city|island)$", re.IGNORECASE)
PROVENANCES = ("wikipedia", "wikidata", "both")
#: The Wikidata copy keeps only cities of more than this many inhabitants (its citation in
#: data/sources.yml); :func:`smallest_population` checks it on the graph itself.
WIKIDATA_MIN_POPULATION = 10_000
LINKS_CSV = "twinning_links.csv"
MATCHING_REVIEW_CSV = paths.CURATED / "link_matching_review.csv"
REVIEW_COLUMNS = ["kind", "inegi_code", "partner_id", "partner_city", "decision", "target_partner_id", "reason",
                  "evidence_url"]
REVIEW_KINDS = ("same_city_two_keys", "shared_partner_same_state")
REVIEW_DECISIONS = ("merge", "keep")

WIKIDATA_COLUMNS = [
    "edge_id", "qid_mx", "mexican_label", "mexican_city", "mexican_lat", "mexican_lon", "mexican_pop",
    "inegi_code", "state_code", "level", "match_method", "match_status", "match_note",
    "qid_foreign", "partner_city", "partner_country", "partner_country_iso3", "partner_lat", "partner_lon",
    "partner_pop", "duplicate_link", "source",
]
LINK_COLUMNS = [
    "inegi_code", "state_code", "partner_id", "partner_key", "partner_qid", "partner_city", "partner_country_iso3",
    "partner_lat", "partner_lon", "partner_pop", "provenance", "key_method", "wikipedia_pair_ids",
    "wikidata_edge_ids",
]


class SourcesUnionError(ValueError):
    """The inputs of the two-source table are inconsistent; the message names the table and row."""


def place_name(label: str, states: dict[str, str]) -> str:
    """The name of the place a Wikidata label designates, for name matching.

    A label that is a state's name ("Mexico City", "Jalisco") stays as it is; a trailing
    ", State" is dropped when it names a state; a trailing "Municipality", "City" or "Island"
    is dropped.
    """
    text = str(label).strip()
    if normalise(text) in states:
        return text
    head, sep, tail = text.rpartition(",")
    if sep and normalise(tail) in states and head.strip():
        text = head.strip()
    stripped = _SUFFIX.sub("", text).strip()
    return stripped or text


def _state_population(municipalities: pd.DataFrame) -> dict[str, float]:
    pop = pd.to_numeric(municipalities.population_2020, errors="coerce")
    sums = pop.groupby(municipalities.state_code.astype(str).str.zfill(2)).sum()
    return {str(k): float(v) for k, v in sums.items()}


def _is_state_node(name: str, pop: float, states: dict[str, str], municipalities: pd.DataFrame,
                   state_pop: dict[str, float]) -> str:
    """The state code when the node named ``name`` with population ``pop`` is that state, else ''."""
    key = normalise(name)
    code = states.get(key, "")
    if not code or not (pop > 0):
        return ""
    same = municipalities[(municipalities.state_code.astype(str).str.zfill(2) == code)
                          & ((municipalities.name.map(normalise) == key)
                             | (municipalities.seat_name.fillna("").map(normalise) == key))]
    if same.empty:
        return code
    muni_pop = float(pd.to_numeric(same.population_2020, errors="coerce").max())
    gap_state = abs(math.log10(pop) - math.log10(max(state_pop.get(code, 1.0), 1.0)))
    gap_muni = abs(math.log10(pop) - math.log10(max(muni_pop, 1.0)))
    return code if gap_state < gap_muni else ""


def _iso3(country: str, where: str) -> str:
    try:
        return to_iso3(country)
    except UnknownCountryError as exc:
        raise SourcesUnionError(f"{where}, field country: {exc}") from None


def build_wikidata_twinnings(graph: WikidataGraph, municipalities: pd.DataFrame, polygons: gpd.GeoDataFrame
                             ) -> tuple[pd.DataFrame, MatchReport]:
    """The Wikidata Mexico-abroad edges resolved to municipalities (``WIKIDATA_COLUMNS``) and the counts."""
    edges, counts = country_edges(graph)
    nodes = graph.nodes.set_index("qid")
    states = state_index(municipalities)
    mx = nodes.loc[edges.qid_mx]
    foreign = nodes.loc[edges.qid_foreign]
    oriented = pd.DataFrame({
        "edge_id": edges.edge_id.to_numpy(), "qid_mx": edges.qid_mx.to_numpy(), "mexican_label": mx.label.to_numpy(),
        "mexican_city": [place_name(lbl, states) for lbl in mx.label],
        "mexican_lat": mx.lat.to_numpy(float), "mexican_lon": mx.lon.to_numpy(float),
        "mexican_pop": mx["pop"].to_numpy(float),
    })
    resolved, _ = resolve(oriented, municipalities, polygons)
    state_pop = _state_population(municipalities)
    overridden = 0
    for i, row in resolved.iterrows():
        if row.level != "municipal":
            continue
        code = _is_state_node(row.mexican_city, row.mexican_pop, states, municipalities, state_pop)
        if code:
            overridden += 1
            resolved.loc[i, ["inegi_code", "state_code", "level", "match_method", "match_status", "match_note"]] = [
                "", code, "state", "state_level", "unmatched",
                f"the node is the state {code}: its population ({row.mexican_pop:,.0f}) is that of the state, "
                "not of the municipality of the same name"]
    resolved["qid_foreign"] = edges.qid_foreign.to_numpy()
    resolved["partner_city"] = foreign.label.to_numpy()
    resolved["partner_country"] = foreign.country.to_numpy()
    resolved["partner_country_iso3"] = [
        _iso3(c, f"{graph.path}, node {q}") for c, q in zip(foreign.country, edges.qid_foreign, strict=True)]
    resolved["partner_lat"] = foreign.lat.to_numpy(float)
    resolved["partner_lon"] = foreign.lon.to_numpy(float)
    resolved["partner_pop"] = foreign["pop"].to_numpy(float)
    ok = resolved.match_status == "matched"
    resolved["duplicate_link"] = ok & resolved.inegi_code.str.cat(resolved.qid_foreign, sep="|").duplicated()
    resolved["source"] = SOURCE_LABEL
    out = resolved.sort_values(["qid_mx", "qid_foreign"], kind="stable").reset_index(drop=True)[WIKIDATA_COLUMNS]
    report = MatchReport(dict(counts))
    for s in ("matched", "ambiguous", "unmatched"):
        report.counts[f"status_{s}"] = int((out.match_status == s).sum())
    for m, n in out.loc[out.match_status == "matched", "match_method"].value_counts().sort_index().items():
        report.counts[f"matched_by_{m}"] = int(n)  # counted after the state override, so they add up
    report.counts["state_nodes_by_population"] = overridden
    report.counts["state_level"] = int((out.level == "state").sum())
    report.counts["duplicate_links_flagged"] = int(out.duplicate_link.sum())
    report.counts["unique_matched_links"] = int(((out.match_status == "matched") & ~out.duplicate_link).sum())
    if sum(report.counts[f"status_{s}"] for s in ("matched", "ambiguous", "unmatched")) != len(edges):
        raise AssertionError("edges lost during matching")  # guard: nothing may be dropped silently
    return out, report


def _names_alike(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= QID_NAME_RATIO


def assign_qids(cities: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """A Wikidata QID for each city of ``cities`` (partner_city, partner_country_iso3, partner_lat, partner_lon).

    Returns ``cities`` with ``partner_qid`` ('' when none) and ``key_method`` (city_key,
    coordinates+name or '').
    """
    iso = []
    for c in nodes.country:
        try:
            iso.append(to_iso3(c) if c else "")
        except UnknownCountryError:
            iso.append("")  # such nodes (e.g. "West Bank") cannot share a country with a partner city
    nodes = nodes.assign(iso3=iso)
    nodes = nodes[nodes.iso3 != ""]
    nodes = nodes.assign(key=[city_key(lbl, i) for lbl, i in zip(nodes.label, nodes.iso3, strict=True)],
                         name_key=nodes.label.map(city_name_key))
    by_key = nodes.groupby("key").qid.apply(list).to_dict()
    by_country = {c: g for c, g in nodes.groupby("iso3")}
    qids, methods = [], []
    for r in cities.itertuples(index=False):
        key = city_key(r.partner_city, r.partner_country_iso3)
        found = by_key.get(key, [])
        if len(found) == 1:
            qids.append(found[0])
            methods.append("city_key")
            continue
        group = by_country.get(r.partner_country_iso3, nodes.iloc[:0])
        pool = group[group.qid.isin(found)] if found else group
        qid = ""
        if len(pool) and not (math.isnan(r.partner_lat) or math.isnan(r.partner_lon)):
            d = haversine_km(r.partner_lat, r.partner_lon, pool.lat.to_numpy(float), pool.lon.to_numpy(float))
            name = city_name_key(r.partner_city)
            near = [(dist, q) for dist, q, nk in zip(d, pool.qid, pool.name_key, strict=True)
                    if dist <= QID_NEAR_KM and (found or _names_alike(name, nk))]
            if near:
                near.sort()
                if len(near) == 1 or near[0][0] < near[1][0]:
                    qid = near[0][1]
        qids.append(qid)
        methods.append("city_key" if qid and found else ("coordinates+name" if qid else ""))
    return cities.assign(partner_qid=qids, key_method=methods)


def wikipedia_links(twinnings: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Matched municipal Wikipedia links, reciprocal duplicates and repeated pairs set aside (counted)."""
    recip = twinnings.reciprocal_duplicate.astype(str).str.strip().str.lower() == "true"
    code = twinnings.inegi_code.fillna("").astype(str).str.strip()
    ok = (twinnings.match_status == "matched") & ~recip & code.str.fullmatch(r"\d{5}")
    links = twinnings.loc[ok, ["pair_id", "partner_city", "partner_country_iso3", "partner_lat", "partner_lon"]].copy()
    links.insert(0, "inegi_code", code[ok])
    links["partner_lat"] = pd.to_numeric(links.partner_lat, errors="coerce")
    links["partner_lon"] = pd.to_numeric(links.partner_lon, errors="coerce")
    counts = {"wikipedia_rows_in": len(twinnings), "wikipedia_rows_matched_municipal_unique": int(ok.sum())}
    return links.reset_index(drop=True), counts


def build_links(twinnings: pd.DataFrame, wikidata: pd.DataFrame, graph: WikidataGraph
                ) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per (municipality, foreign city) over both sources (``LINK_COLUMNS``), and the counts.

    ``twinnings`` is the Wikipedia table (data/processed/twinnings.csv), ``wikidata`` the output
    of :func:`build_wikidata_twinnings`.
    """
    wp, counts = wikipedia_links(twinnings)
    cities = wp[["partner_city", "partner_country_iso3", "partner_lat", "partner_lon"]].drop_duplicates(
        ["partner_city", "partner_country_iso3"]).reset_index(drop=True)
    cities = assign_qids(cities, graph.nodes)
    wp = wp.merge(cities[["partner_city", "partner_country_iso3", "partner_qid", "key_method"]],
                  on=["partner_city", "partner_country_iso3"], how="left", validate="many_to_one")
    wp["partner_key"] = [city_key(c, i) for c, i in zip(wp.partner_city, wp.partner_country_iso3, strict=True)]
    wp["partner_id"] = wp.partner_qid.where(wp.partner_qid != "", wp.partner_key)
    wp["partner_pop"] = np.nan
    wd_ok = (wikidata.match_status == "matched") & (wikidata.level == "municipal") & ~wikidata.duplicate_link.astype(bool)
    wd = wikidata.loc[wd_ok, ["inegi_code", "edge_id", "qid_foreign", "partner_city", "partner_country_iso3",
                              "partner_lat", "partner_lon", "partner_pop"]].rename(columns={"qid_foreign": "partner_qid"})
    wd["partner_key"] = [city_key(c, i) for c, i in zip(wd.partner_city, wd.partner_country_iso3, strict=True)]
    wd["partner_id"] = wd.partner_qid
    counts.update({"wikidata_edges_mexico_abroad": len(wikidata), "wikidata_links_matched_municipal_unique": int(wd_ok.sum()),
                   "wikipedia_partner_cities": len(cities),
                   "wikipedia_partner_cities_with_qid_by_city_key": int((cities.key_method == "city_key").sum()),
                   "wikipedia_partner_cities_with_qid_by_coordinates": int((cities.key_method == "coordinates+name").sum())})
    rows = []
    for (code, pid), g_wp in wp.groupby(["inegi_code", "partner_id"]):
        rows.append(("wikipedia", code, pid, g_wp))
    for (code, pid), g_wd in wd.groupby(["inegi_code", "partner_id"]):
        rows.append(("wikidata", code, pid, g_wd))
    merged: dict[tuple[str, str], dict[str, object]] = {}
    sources: dict[tuple[str, str], set[str]] = {}
    for src, code, pid, g in rows:
        first = g.iloc[0]
        entry = merged.setdefault((code, pid), {
            "inegi_code": code, "state_code": code[:2], "partner_id": pid, "partner_key": first.partner_key,
            "partner_qid": first.partner_qid, "partner_city": first.partner_city,
            "partner_country_iso3": first.partner_country_iso3, "partner_lat": first.partner_lat,
            "partner_lon": first.partner_lon, "partner_pop": np.nan, "key_method": "",
            "wikipedia_pair_ids": "", "wikidata_edge_ids": ""})
        sources.setdefault((code, pid), set()).add(src)
        if src == "wikipedia":
            entry["wikipedia_pair_ids"] = " ".join(sorted(g.pair_id))
            entry["key_method"] = first.key_method
        else:
            entry["wikidata_edge_ids"] = " ".join(sorted(g.edge_id.astype(str)))
            entry["partner_pop"] = first.partner_pop
            entry["partner_lat"], entry["partner_lon"] = first.partner_lat, first.partner_lon
    out = pd.DataFrame(list(merged.values()))
    out["provenance"] = ["both" if len(s) == 2 else next(iter(s)) for s in sources.values()]
    out.loc[out.provenance == "wikidata", "key_method"] = "qid"
    out = out.sort_values(["inegi_code", "partner_id"]).reset_index(drop=True)[LINK_COLUMNS]
    n_wp = int((out.provenance != "wikidata").sum())
    n_wd = int((out.provenance != "wikipedia").sum())
    counts.update({
        "wikipedia_links": n_wp, "wikidata_links": n_wd, "links_total": len(out),
        "links_wikipedia_only": int((out.provenance == "wikipedia").sum()),
        "links_wikidata_only": int((out.provenance == "wikidata").sum()),
        "links_both": int((out.provenance == "both").sum()),
        "municipalities_with_links": int(out.inegi_code.nunique()),
        "municipalities_only_in_wikidata": int(out.groupby("inegi_code").provenance.apply(
            lambda s: set(s) == {"wikidata"}).sum()),
    })
    if counts["links_wikipedia_only"] + counts["links_both"] != n_wp or n_wp + counts["links_wikidata_only"] != len(out):
        raise AssertionError("provenance counts do not reconcile")
    return out, counts


def _stem(name: str) -> str:
    return city_name_key(name).split(" ")[0] if city_name_key(name) else ""


def matching_candidates(links: pd.DataFrame) -> pd.DataFrame:
    """The links the matching review must cover: ``kind``, ``inegi_code``, ``partner_id``, ``partner_city``, ``other``.

    ``same_city_two_keys``: two links of one municipality to foreign cities of one country whose
    names share their first word ("Guadalajara", "Guadalajara Province"; "Rhodes" twice) or that
    lie within ``QID_NEAR_KM`` of each other ("Ramallah", "Ramallah and al-Bireh").
    ``shared_partner_same_state``: a foreign city (one ``partner_id``) linked to two or more
    municipalities of one state ("Calexico": Mexicali and Tijuana).
    """
    rows: list[dict[str, str]] = []
    for code, g in links.groupby("inegi_code"):
        recs = list(g.itertuples(index=False))
        for i, a in enumerate(recs):
            for b in recs[i + 1:]:
                if a.partner_country_iso3 != b.partner_country_iso3:
                    continue
                near = not any(math.isnan(float(v)) for v in (a.partner_lat, a.partner_lon, b.partner_lat, b.partner_lon)) \
                    and float(haversine_km(float(a.partner_lat), float(a.partner_lon),
                                           np.array([float(b.partner_lat)]), np.array([float(b.partner_lon)]))[0]) <= QID_NEAR_KM
                if near or (_stem(a.partner_city) and _stem(a.partner_city) == _stem(b.partner_city)):
                    for x, y in ((a, b), (b, a)):
                        rows.append({"kind": "same_city_two_keys", "inegi_code": str(code), "partner_id": x.partner_id,
                                     "partner_city": x.partner_city, "other": f"{y.partner_city} ({y.partner_id})"})
    for (_state, pid), g in links.groupby(["state_code", "partner_id"]):
        if g.inegi_code.nunique() < 2:
            continue
        for r in g.itertuples(index=False):
            others = ", ".join(sorted(set(g.inegi_code) - {r.inegi_code}))
            rows.append({"kind": "shared_partner_same_state", "inegi_code": r.inegi_code, "partner_id": str(pid),
                         "partner_city": r.partner_city, "other": others})
    out = pd.DataFrame(rows, columns=["kind", "inegi_code", "partner_id", "partner_city", "other"])
    return out.drop_duplicates(["kind", "inegi_code", "partner_id"]).sort_values(
        ["kind", "inegi_code", "partner_id"]).reset_index(drop=True)


def read_matching_review(path: Path | None = None) -> pd.DataFrame:
    """The reviewed matching decisions (``REVIEW_COLUMNS``); a bad row is an error naming the file, row and field."""
    path = path or MATCHING_REVIEW_CSV
    df = read_curated(path, REVIEW_COLUMNS, SourcesUnionError)
    for i, r in df.iterrows():
        where = f"{path}, row {int(str(i)) + 2}"
        if r.kind not in REVIEW_KINDS:
            raise SourcesUnionError(f"{where}, field kind: {r.kind!r} is not one of {list(REVIEW_KINDS)}.")
        if r.decision not in REVIEW_DECISIONS:
            raise SourcesUnionError(f"{where}, field decision: {r.decision!r} is not one of {list(REVIEW_DECISIONS)}.")
        if not re.fullmatch(r"\d{5}", r.inegi_code):
            raise SourcesUnionError(f"{where}, field inegi_code: {r.inegi_code!r} is not a 5-digit INEGI code.")
        if (r.decision == "merge") != bool(r.target_partner_id.strip()):
            raise SourcesUnionError(f"{where}, field target_partner_id: give it exactly when the decision is merge.")
        if not r.reason.strip():
            raise SourcesUnionError(f"{where}, field reason: every decision needs its reason.")
        if r.evidence_url and not r.evidence_url.startswith(("http://", "https://")):
            raise SourcesUnionError(f"{where}, field evidence_url: {r.evidence_url!r} is not a web address.")
    dup = df.duplicated(["kind", "inegi_code", "partner_id"], keep=False)
    if dup.any():
        raise SourcesUnionError(f"{path}: rows {[int(str(i)) + 2 for i in df.index[dup]]} review the same link twice.")
    return df


def apply_matching_review(links: pd.DataFrame, review: pd.DataFrame, path: Path | None = None
                          ) -> tuple[pd.DataFrame, dict[str, int]]:
    """The union after the reviewed decisions, and what changed.

    Every candidate of :func:`matching_candidates` must have a review row and every review row must
    name a link of ``links``. A ``merge`` row folds its link into the target link of the same
    municipality: the target keeps its city and key, gains the source's Wikipedia pair ids and
    Wikidata edge ids, and its provenance becomes ``both`` when the two sources now meet there.
    """
    where = path or MATCHING_REVIEW_CSV
    keys = set(zip(links.inegi_code, links.partner_id, strict=True))
    reviewed = set(zip(review.kind, review.inegi_code, review.partner_id, strict=True))
    cand = matching_candidates(links)
    missing = [f"{k} {c} {p} ({n})" for k, c, p, n in zip(cand.kind, cand.inegi_code, cand.partner_id,
                                                           cand.partner_city, strict=True) if (k, c, p) not in reviewed]
    if missing:
        raise SourcesUnionError(f"{where}: {len(missing)} candidate link(s) without a reviewed row: {missing[:5]}; "
                                "add a row with a decision and its reason.")
    for i, r in review.iterrows():
        if (r.inegi_code, r.partner_id) not in keys:
            raise SourcesUnionError(f"{where}, row {int(str(i)) + 2}: no link {r.inegi_code} {r.partner_id} in the union; "
                                    "correct the row or remove it.")
        if r.decision == "merge" and (r.inegi_code, r.target_partner_id) not in keys:
            raise SourcesUnionError(f"{where}, row {int(str(i)) + 2}, field target_partner_id: no link "
                                    f"{r.inegi_code} {r.target_partner_id} in the union to merge into.")
    out = links.set_index(["inegi_code", "partner_id"], drop=False).copy()
    merges = review[review.decision == "merge"].drop_duplicates(["inegi_code", "partner_id"])
    for r in merges.itertuples(index=False):
        src, dst = out.loc[(r.inegi_code, r.partner_id)], (r.inegi_code, r.target_partner_id)
        for col in ("wikipedia_pair_ids", "wikidata_edge_ids"):
            ids = set(str(out.loc[dst, col]).split()) | set(str(src[col]).split())
            out.loc[dst, col] = " ".join(sorted(i for i in ids if i))
        if math.isnan(float(out.loc[dst, "partner_pop"])) and not math.isnan(float(src.partner_pop)):
            out.loc[dst, "partner_pop"] = src.partner_pop
        out = out.drop(index=(r.inegi_code, r.partner_id))
    wp, wd = out.wikipedia_pair_ids.astype(str) != "", out.wikidata_edge_ids.astype(str) != ""
    out["provenance"] = np.where(wp & wd, "both", np.where(wp, "wikipedia", "wikidata"))
    out = out.reset_index(drop=True).sort_values(["inegi_code", "partner_id"]).reset_index(drop=True)[LINK_COLUMNS]
    counts = {"review_rows": len(review), "review_merged": len(merges), "links_before_review": len(links),
              "links_after_review": len(out),
              "municipalities_before_review": int(links.inegi_code.nunique()),
              "municipalities_after_review": int(out.inegi_code.nunique())}
    for p in PROVENANCES:
        counts[f"{p}_before_review"] = int((links.provenance == p).sum())
        counts[f"{p}_after_review"] = int((out.provenance == p).sum())
    return out, counts


def agreement_by_state(links: pd.DataFrame, municipalities: pd.DataFrame) -> pd.DataFrame:
    """Per state: links in Wikipedia only, Wikidata only and both, and the share found by both (%)."""
    states = municipalities[["state_code", "state_name"]].drop_duplicates().assign(
        state_code=lambda d: d.state_code.astype(str).str.zfill(2))
    counts = links.pivot_table(index="state_code", columns="provenance", values="partner_id", aggfunc="count",
                               fill_value=0).reindex(columns=list(PROVENANCES), fill_value=0)
    out = states.merge(counts.reset_index(), on="state_code", how="left").fillna(
        {p: 0 for p in PROVENANCES})
    for p in PROVENANCES:
        out[p] = out[p].astype(int)
    out = out.rename(columns={"wikipedia": "wikipedia_only", "wikidata": "wikidata_only"})
    out["links_total"] = out.wikipedia_only + out.wikidata_only + out.both
    out["both_pct"] = (100 * out.both / out.links_total.where(out.links_total > 0)).round(1)
    return out.sort_values("state_code").reset_index(drop=True)


@dataclass
class TwoSources:
    """The Wikidata table, the two-source links, the agreement per state and their counts."""

    wikidata: pd.DataFrame
    wikidata_report: MatchReport
    links: pd.DataFrame
    link_counts: dict[str, int]
    agreement: pd.DataFrame
    unreviewed: pd.DataFrame | None = None
    review_counts: dict[str, int] | None = None


def build_two_sources(twinnings: pd.DataFrame, municipalities: pd.DataFrame, polygons: gpd.GeoDataFrame,
                      graph: WikidataGraph | None = None) -> TwoSources:
    """Everything from the Wikipedia table, the municipalities and their polygons (reads the GEXF if not given).

    The links are the union after the matching review (:func:`apply_matching_review`);
    ``unreviewed`` keeps the union before it, for the comparison of chapter 8.
    """
    graph = graph or read_gexf(require("wikidata_hermanamientos"))
    wd, report = build_wikidata_twinnings(graph, municipalities, polygons)
    unreviewed, counts = build_links(twinnings, wd, graph)
    links, review_counts = apply_matching_review(unreviewed, read_matching_review())
    return TwoSources(wd, report, links, counts, agreement_by_state(links, municipalities), unreviewed, review_counts)


def smallest_population(graph: WikidataGraph) -> float:
    """The population of the least populated node of the Wikidata copy (at least ``WIKIDATA_MIN_POPULATION``)."""
    smallest = float(pd.to_numeric(graph.nodes["pop"], errors="coerce").min())
    if not smallest >= WIKIDATA_MIN_POPULATION:
        raise SourcesUnionError(f"{graph.path}: a node has {smallest:,.0f} inhabitants, below the copy's stated "
                                f"cut-off of {WIKIDATA_MIN_POPULATION:,}; check the source and data/sources.yml.")
    return smallest


def read_wikidata_twinnings(path: Path | None = None) -> pd.DataFrame:
    """data/processed/wikidata_twinnings.csv (notebook 00) with its types: codes as text, flags as booleans."""
    path = path or paths.PROCESSED / "wikidata_twinnings.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 00 with `python -m analysis run 00`.")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("mexican_lat", "mexican_lon", "mexican_pop", "partner_lat", "partner_lon", "partner_pop"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    df["duplicate_link"] = df.duplicate_link.str.lower().eq("true")
    return df


def read_links(path: Path | None = None) -> pd.DataFrame:
    """data/processed/twinning_links.csv (written by notebook 00) with codes and ids as strings."""
    path = path or paths.PROCESSED / LINKS_CSV
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 00 with `python -m analysis run 00`.")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("partner_lat", "partner_lon", "partner_pop"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    return df


def write_two_sources(tables: TwoSources) -> list[str]:
    """Write wikidata_twinnings.csv, twinning_links.csv and twinning_agreement_by_state.csv; return their paths."""
    return [write_csv(tables.wikidata, "wikidata_twinnings.csv"), write_csv(tables.links, LINKS_CSV),
            write_csv(tables.agreement, "twinning_agreement_by_state.csv")]
