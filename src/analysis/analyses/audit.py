"""The audit of the twinning outcome: a seeded sample of the union checked against outside evidence.

Three pieces, each read from a curated table and checked against the union of the two sources
(``data/processed/twinning_links.csv``, notebook 00):

- **Precision.** :func:`draw_sample` draws, with a fixed seed, ``PER_STRATUM`` links from each
  provenance stratum (Wikipedia only, Wikidata only, both). The draw orders each stratum by the
  SHA-256 of ``seed:link_id`` and takes the first links, so it is reproducible and a change in a
  few links of the union moves only those links. Each sampled link was checked against pages found
  outside Wikipedia and Wikidata (gazettes, council minutes, local press, the partner city's site)
  and given a verdict in ``data/curated/link_audit.csv`` (:func:`read_audit`: confirmed,
  contradicted or no_evidence, with the evidence address, the date it was consulted and how far
  the search went: ``search_scope`` ``pair`` (searched for this pair), ``municipality`` (searched
  for the municipality's sister cities) or ``none`` (not searched individually)). A link is
  ``confirmed`` only when a page outside Wikipedia and Wikidata says the two places are twinned
  (sister cities, hermanamiento); ``contradicted`` only when a page says they are not, or that
  the twinning belongs to another place; missing from a list is ``no_evidence``.
  :func:`precision_by_stratum` gives, per stratum, the share confirmed among the links with a
  verdict (confirmed / (confirmed + contradicted)) and among all audited links, each with a 95 %
  Wilson interval (:func:`wilson`).
- **Recall.** ``data/curated/recall_lists.csv`` holds the twinnings that independent lists give
  (an embassy's list, transparency requests reported in a journal article), one row per twinning
  with its citation; :func:`recall_check` says which of them the union contains.

May import: ``analysis.paths``, ``analysis.tables``.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.analyses import intervals
from analysis.tables.cities import city_key
from analysis.tables.store import read_curated

SEED = 20261207
PER_STRATUM = 40
STRATA = ("wikipedia", "wikidata", "both")
VERDICTS = ("confirmed", "contradicted", "no_evidence")
AUDIT_CSV = paths.CURATED / "link_audit.csv"
RECALL_CSV = paths.CURATED / "recall_lists.csv"
SEARCH_SCOPES = ("pair", "municipality", "none")
AUDIT_COLUMNS = ["link_id", "inegi_code", "municipality", "partner_id", "partner_city", "partner_country_iso3",
                 "provenance", "draw", "verdict", "search_scope", "evidence_url", "consulted", "note"]
RECALL_COLUMNS = ["list_id", "mexican_party", "inegi_code", "level", "partner_city", "partner_country_iso3", "year",
                  "name_in_list", "citation", "url", "consulted"]


class AuditError(ValueError):
    """A curated audit table is malformed or does not match the union; the message names file, row and field."""


def link_id(inegi_code: str, partner_id: str) -> str:
    """The identifier of a link of the union: ``'14039|Q11953'``."""
    return f"{inegi_code}|{partner_id}"


def _draw_key(seed: int, lid: str) -> str:
    return hashlib.sha256(f"{seed}:{lid}".encode()).hexdigest()


def draw_sample(links: pd.DataFrame, seed: int = SEED, per_stratum: int = PER_STRATUM) -> pd.DataFrame:
    """``per_stratum`` links of each provenance, in draw order (``draw`` = 1, 2, ...), with their ``link_id``."""
    out = links.assign(link_id=[link_id(c, p) for c, p in zip(links.inegi_code, links.partner_id, strict=True)])
    out = out.assign(_key=[_draw_key(seed, lid) for lid in out.link_id])
    parts = []
    for stratum in STRATA:
        group = out[out.provenance == stratum].sort_values("_key").head(per_stratum)
        parts.append(group.assign(draw=range(1, len(group) + 1)))
    return pd.concat(parts, ignore_index=True).drop(columns="_key")


def _fail(path: Path, idx: object, field: str, problem: str) -> AuditError:
    return AuditError(f"{path}, row {int(str(idx)) + 2}, field {field}: {problem}")


def _check_date(path: Path, idx: object, field: str, text: str) -> None:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise _fail(path, idx, field, f"{text!r} is not an ISO date (AAAA-MM-DD).") from None


def read_audit(path: Path | None = None) -> pd.DataFrame:
    """``data/curated/link_audit.csv``, validated: verdicts, addresses, dates and a note on every row."""
    path = path or AUDIT_CSV
    df = read_curated(path, AUDIT_COLUMNS, AuditError)
    for i, r in df.iterrows():
        if r.verdict not in VERDICTS:
            raise _fail(path, i, "verdict", f"{r.verdict!r} is not one of {list(VERDICTS)}.")
        if r.search_scope not in SEARCH_SCOPES:
            raise _fail(path, i, "search_scope", f"{r.search_scope!r} is not one of {list(SEARCH_SCOPES)}.")
        if r.provenance not in STRATA:
            raise _fail(path, i, "provenance", f"{r.provenance!r} is not one of {list(STRATA)}.")
        if r.link_id != link_id(r.inegi_code, r.partner_id):
            raise _fail(path, i, "link_id", f"{r.link_id!r} is not inegi_code|partner_id.")
        if r.verdict != "no_evidence" and not r.evidence_url:
            raise _fail(path, i, "evidence_url", f"a {r.verdict} verdict needs the address of its evidence.")
        if r.evidence_url and not re.match(r"https?://", r.evidence_url):
            raise _fail(path, i, "evidence_url", f"{r.evidence_url!r} is not a web address.")
        _check_date(path, i, "consulted", r.consulted)
        if not r.note.strip():
            raise _fail(path, i, "note", "give the reason for the verdict.")
    dup = df.link_id.duplicated()
    if dup.any():
        raise _fail(path, df.index[dup][0], "link_id", f"{df.link_id[dup].iloc[0]!r} is audited twice.")
    return df


def check_audit_sample(audit: pd.DataFrame, links: pd.DataFrame, seed: int = SEED,
                       per_stratum: int = PER_STRATUM, path: Path | None = None) -> None:
    """The audited links must be exactly the seeded sample of the union, with its provenance."""
    path = path or AUDIT_CSV
    sample = draw_sample(links, seed, per_stratum).set_index("link_id")
    extra = sorted(set(audit.link_id) - set(sample.index))
    missing = sorted(set(sample.index) - set(audit.link_id))
    if extra or missing:
        raise AuditError(f"{path}: the audited links are not the sample of the union drawn with seed {seed} "
                         f"({per_stratum} per stratum): not drawn {extra[:5]}, drawn but not audited {missing[:5]}. "
                         "Redraw with analysis.analyses.audit.draw_sample and audit the new links.")
    wrong = audit[audit.provenance.to_numpy() != sample.loc[audit.link_id, "provenance"].to_numpy()]
    if len(wrong):
        raise AuditError(f"{path}: link {wrong.link_id.iloc[0]} has provenance {wrong.provenance.iloc[0]!r} "
                         "but another in the union; redraw the sample.")


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval (95 %) for a proportion ``k / n`` (:func:`analysis.analyses.intervals.wilson`),
    with exact ends at k = 0 and k = n; (nan, nan) when n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    iv = intervals.wilson(k, n)
    return (0.0 if k == 0 else iv.low, 1.0 if k == n else iv.high)


def _share(k: int, n: int) -> dict[str, float]:
    lo, hi = wilson(k, n)
    return {"share": k / n if n else math.nan, "low": lo, "high": hi}


def precision_by_stratum(audit: pd.DataFrame) -> pd.DataFrame:
    """Per stratum and overall: counts of each verdict, precision among decided links and among all, with intervals.

    ``precision`` = confirmed / (confirmed + contradicted) (denominator ``decided``);
    ``confirmed_share`` = confirmed / audited (denominator ``audited``). The overall row is the
    unweighted pool of the sample, not an estimate for the union (the strata are sampled at
    different rates; see :func:`weighted_confirmed_share`).
    """
    rows = []
    for stratum in (*STRATA, "all"):
        g = audit if stratum == "all" else audit[audit.provenance == stratum]
        n = len(g)
        k = int((g.verdict == "confirmed").sum())
        c = int((g.verdict == "contradicted").sum())
        prec, share = _share(k, k + c), _share(k, n)
        rows.append({"stratum": stratum, "audited": n, "confirmed": k, "contradicted": c,
                     "no_evidence": int((g.verdict == "no_evidence").sum()), "decided": k + c,
                     "precision": prec["share"], "precision_low": prec["low"], "precision_high": prec["high"],
                     "confirmed_share": share["share"], "confirmed_low": share["low"], "confirmed_high": share["high"]})
    return pd.DataFrame(rows)


def weighted_confirmed_share(table: pd.DataFrame, stratum_sizes: dict[str, int]) -> float:
    """The share confirmed in the union, weighting each stratum's share by its size in the union."""
    total = sum(stratum_sizes[s] for s in STRATA)
    by = table.set_index("stratum")
    return float(sum(stratum_sizes[s] * by.loc[s, "confirmed_share"] for s in STRATA) / total)


def read_recall_lists(path: Path | None = None) -> pd.DataFrame:
    """``data/curated/recall_lists.csv``: one twinning of an independent list per row, with its citation."""
    path = path or RECALL_CSV
    df = read_curated(path, RECALL_COLUMNS, AuditError)
    for i, r in df.iterrows():
        if r.level not in ("municipal", "state"):
            raise _fail(path, i, "level", f"{r.level!r} is not municipal or state.")
        if r.level == "municipal" and not re.fullmatch(r"\d{5}", r.inegi_code):
            raise _fail(path, i, "inegi_code", f"{r.inegi_code!r} is not a 5-digit INEGI code.")
        if not re.fullmatch(r"[A-Z]{3}", r.partner_country_iso3):
            raise _fail(path, i, "partner_country_iso3", f"{r.partner_country_iso3!r} is not ISO 3166-1 alpha-3.")
        if r.year and not re.fullmatch(r"\d{4}", r.year):
            raise _fail(path, i, "year", f"{r.year!r} is not a year.")
        if not r.citation.strip() or not re.match(r"https?://", r.url):
            raise _fail(path, i, "citation/url", "every row needs its citation and the address of the list.")
        _check_date(path, i, "consulted", r.consulted)
    return df


def recall_check(recall: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Each municipal twinning of the lists with ``in_union``: the union links that municipality to that city.

    A list entry and a link are the same city when their city keys
    (:func:`analysis.tables.cities.city_key`: folded name, aliases, country) are equal; the key of a
    link is taken from its ``partner_key`` and from its ``partner_city``.
    """
    in_union = set(zip(links.inegi_code, links.partner_key, strict=True))
    in_union |= {(c, city_key(n, i)) for c, n, i in zip(links.inegi_code, links.partner_city,
                                                         links.partner_country_iso3, strict=True)}
    muni = recall[recall.level == "municipal"].copy()
    muni["partner_key"] = [city_key(n, i) for n, i in zip(muni.partner_city, muni.partner_country_iso3, strict=True)]
    muni["in_union"] = [(c, k) in in_union for c, k in zip(muni.inegi_code, muni.partner_key, strict=True)]
    return muni.reset_index(drop=True)


def share_text(k: int, n: int, decimals: int = 1) -> str:
    """``k de n (p %; IC 95 %: a % a b %)``, the Wilson interval of ``k / n`` in percent; ``—`` when n = 0."""
    if n == 0:
        return "—"
    lo, hi = wilson(k, n)
    return (f"{k:,} de {n:,} ({100 * k / n:,.{decimals}f} %; IC 95 %: {100 * lo:,.{decimals}f} % "
            f"a {100 * hi:,.{decimals}f} %)")


def recall_by_list(checked: pd.DataFrame) -> pd.DataFrame:
    """Per list and overall: entries, entries in the union and the share, with its Wilson interval."""
    rows = []
    for lid, g in [*checked.groupby("list_id", sort=True), ("all", checked)]:
        k, n = int(g.in_union.sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append({"list_id": lid, "entries": n, "in_union": k, "recall": k / n if n else math.nan,
                     "recall_low": lo, "recall_high": hi})
    return pd.DataFrame(rows)
