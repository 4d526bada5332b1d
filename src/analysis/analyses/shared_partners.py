"""Foreign partners that the twinning list attributes to several municipalities of one state.

Owns: :func:`shared_partners`, which finds them, and :func:`read_review` / :func:`check_reviewed`,
which compare them with the reviewed list ``data/curated/shared_partner_review.csv``. A partner
shared by neighbouring municipalities (Isla Mujeres and Benito Juárez share Mission and Mar del
Plata) may be one agreement of the metropolitan area listed twice, or two agreements; the data do
not decide, so such pairs are kept and flagged, and a chapter reports them. A shared partner that
is not in the reviewed list is an error: a person must look at it first.

Layer 4. May import: ``analysis.paths``, ``analysis.tables``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.tables.cities import city_name_key
from analysis.tables.store import read_curated

REVIEW_CSV = paths.CURATED / "shared_partner_review.csv"
REVIEW_COLUMNS = ["partner_key", "partner_city", "country_iso3", "inegi_codes", "pair_ids", "in_table1_of", "decision",
                  "reason"]
DECISIONS = ("conservar y señalar", "apartar")


class SharedPartnerError(ValueError):
    """The reviewed list is malformed or misses a shared partner; the message names file, row and field."""


def shared_partners(links: pd.DataFrame, state: str) -> pd.DataFrame:
    """Partners (city key + country) linked to two or more municipalities of ``state``.

    ``links`` are matched, non-duplicate international pairs (``casestudy.international_links``).
    """
    df = links[links.state_code == state].copy()
    df["partner_key"] = df.partner_city.map(city_name_key)
    grouped = df.groupby(["partner_key", "partner_country_iso3"]).agg(
        partner_city=("partner_city", "first"),
        inegi_codes=("inegi_code", lambda s: ";".join(sorted(set(s)))),
        pair_ids=("pair_id", lambda s: ";".join(sorted(s))),
        n_municipalities=("inegi_code", "nunique"),
    ).reset_index()
    out = grouped[grouped.n_municipalities > 1].rename(columns={"partner_country_iso3": "country_iso3"})
    return out.sort_values("partner_key").reset_index(drop=True)


def read_review(path: Path | None = None) -> pd.DataFrame:
    """The reviewed list of shared partners, validated."""
    path = path or REVIEW_CSV
    df = read_curated(path, REVIEW_COLUMNS, SharedPartnerError)
    for i, row in enumerate(df.itertuples(index=False), start=2):
        if row.decision not in DECISIONS:
            raise SharedPartnerError(f"{path}, line {i}, field decision: {row.decision!r} is not one of {DECISIONS}.")
        if not row.reason.strip():
            raise SharedPartnerError(f"{path}, line {i}, field reason: say why the decision was taken.")
    return df


def check_reviewed(found: pd.DataFrame, review: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    """``found`` joined with its review; a shared partner without a review row (same key, country, codes) raises."""
    path = path or REVIEW_CSV
    keys = ["partner_key", "country_iso3", "inegi_codes"]
    merged = found.merge(review.drop(columns=["partner_city", "pair_ids"]), on=keys, how="left", indicator=True)
    new = merged[merged._merge == "left_only"]
    if not new.empty:
        listed = "; ".join(f"{r.partner_city} ({r.country_iso3}) en {r.inegi_codes}" for r in new.itertuples())
        raise SharedPartnerError(f"{path}: shared partner(s) not reviewed: {listed}. Add a row with the decision and the reason.")
    return merged.drop(columns="_merge")
