"""One canonical table of international agreements, whatever the source.

Every source is converted into the columns of :data:`CANONICAL_COLUMNS` by an adapter that
returns an :class:`AdapterResult`: the agreements kept, the rows set aside (with the reason), and
counts such that ``rows_in == kept + set_aside``. Two adapters exist:

- :func:`from_twinnings`: the Wikipedia-derived twinning pairs (default; agreement_type
  ``hermanamiento``; no dates);
- :func:`analysis.rai.read_rai`: a researcher's export of the Registro de Acuerdos
  Interinstitucionales (RAI) of the Secretaría de Relaciones Exteriores;
- :func:`from_links`: the union of the two twinning sources, Wikipedia and Wikidata
  (data/processed/twinning_links.csv, one row per municipality and foreign city, with its
  provenance) plus the Wikipedia pairs whose Mexican side is a state government.

Every table carries ``partner_id``, the one key of the foreign city (its Wikidata QID where the
two-source table knows it, else :func:`analysis.tables.cities.city_key`), and ``provenance``:
``wikipedia``, ``wikidata`` or ``both`` for the twinning sources, ``rai`` for the registry.

:func:`analysis.tables.registry.load_agreements` picks one with the notebooks' ``registry`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.tables.cities import city_key

CANONICAL_COLUMNS: list[str] = [
    "agreement_id", "level", "inegi_code", "state_code", "mexican_party", "partner_name",
    "partner_country_iso3", "agreement_type", "title", "signed_date", "registered_date", "source", "source_ref",
    "partner_id", "provenance",
]
REVIEW_COLUMNS: list[str] = ["source", "source_ref", "mexican_party", "partner_name", "reason"]
LEVELS = ("municipal", "state")

#: Agreement types (codes stored in the table) and their Spanish labels for figures and tables.
AGREEMENT_TYPES: dict[str, str] = {
    "hermanamiento": "Hermanamiento",
    "cooperacion_tecnica": "Cooperación técnica",
    "educativa": "Educativa",
    "cultural": "Cultural",
    "economica_turistica": "Económica / turística",
    "ambiental": "Ambiental",
    "otra": "Otra",
}
REGISTRIES = ("two_sources", "wikipedia", "rai")
#: Provenance of a row of the canonical table by the source label of the adapters that have one.
SOURCE_PROVENANCE: dict[str, str] = {"wikipedia_twincities": "wikipedia", "rai": "rai"}
#: Source labels of the two twinning sources (the ``source`` column of the union).
WIKIPEDIA_SOURCE, WIKIDATA_SOURCE = "wikipedia_twincities", "wikidata_p190"
PROVENANCES = ("wikipedia", "wikidata", "both", "rai")


class AgreementDataError(ValueError):
    """A source cannot be converted into the canonical agreements table."""


@dataclass
class AdapterResult:
    """Agreements kept, rows set aside with reasons, and counts that add up."""

    agreements: pd.DataFrame
    review: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Raise if a row was lost: rows_in must equal kept + set_aside."""
        n_in, kept, aside = self.counts["rows_in"], len(self.agreements), len(self.review)
        if n_in != kept + aside:
            raise AgreementDataError(f"{n_in} rows came in but {kept} were kept and {aside} set aside.")

    def summary(self) -> pd.DataFrame:
        """Counts plus the reasons for setting rows aside, as a small table."""
        rows = [{"concepto": k, "n": v} for k, v in self.counts.items()]
        if not self.review.empty:
            reasons = self.review.reason.str.split(":").str[0].value_counts().sort_index()
            rows += [{"concepto": f"apartado: {r}", "n": int(n)} for r, n in reasons.items()]
        return pd.DataFrame(rows)


def validate_canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Check the canonical contract; return the table with its columns in canonical order.

    A table without ``partner_id`` gets the city key of (partner_name, partner_country_iso3); one
    without ``provenance`` gets it from its ``source`` (``SOURCE_PROVENANCE``).
    """
    df = df.copy()
    if "partner_id" not in df.columns and {"partner_name", "partner_country_iso3"} <= set(df.columns):
        df["partner_id"] = [city_key(n, i) for n, i in zip(df.partner_name, df.partner_country_iso3, strict=True)]
    if "provenance" not in df.columns and "source" in df.columns:
        df["provenance"] = df.source.map(SOURCE_PROVENANCE).fillna("")
    missing = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if missing:
        raise AgreementDataError(f"Agreements table lacks column(s) {missing}.")
    problems = []
    if df.agreement_id.duplicated().any():
        problems.append(f"duplicated agreement_id {df.agreement_id[df.agreement_id.duplicated()].iloc[0]!r}")
    if not df.level.isin(LEVELS).all():
        problems.append(f"level values outside {LEVELS}")
    muni = df.level == "municipal"
    if not df.loc[muni, "inegi_code"].str.fullmatch(r"\d{5}").all():
        problems.append("municipal rows without a 5-digit inegi_code")
    if (df.loc[~muni, "inegi_code"] != "").any():
        problems.append("state rows with an inegi_code")
    if not df.partner_country_iso3.str.fullmatch(r"[A-Z]{3}").all():
        problems.append("partner_country_iso3 values that are not 3 capital letters")
    if not df.agreement_type.isin(list(AGREEMENT_TYPES)).all():
        problems.append(f"agreement_type values outside {list(AGREEMENT_TYPES)}")
    if not df.provenance.isin(PROVENANCES).all():
        problems.append(f"provenance values outside {PROVENANCES}")
    if problems:
        raise AgreementDataError("Agreements table failed its checks: " + "; ".join(problems) + ".")
    return df[CANONICAL_COLUMNS].sort_values("agreement_id").reset_index(drop=True)


def _review_rows(df: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "source": df.source, "source_ref": df.pair_id, "mexican_party": df.mexican_city,
        "partner_name": df.partner_city + ", " + df.partner_country, "reason": reason,
    })


def from_twinnings(tw: pd.DataFrame) -> AdapterResult:
    """Wikipedia-derived pairs -> canonical agreements (type hermanamiento, no dates).

    Kept: matched municipal pairs and state-level pairs (level ``state``, empty inegi_code), each
    link once (rows flagged ``reciprocal_duplicate`` are set aside). Set aside: reciprocal
    duplicates and ambiguous or unmatched municipal pairs, with their matcher note.
    """
    dup = tw.reciprocal_duplicate.astype(str).str.lower() == "true"
    state = tw.level == "state"
    keep = ~dup & ((tw.match_status == "matched") & (tw.level == "municipal") | state)
    out = pd.DataFrame({
        "agreement_id": tw.pair_id, "level": tw.level,
        "inegi_code": tw.inegi_code.where(~state, ""), "state_code": tw.state_code,
        "mexican_party": tw.mexican_city, "partner_name": tw.partner_city,
        "partner_country_iso3": tw.partner_country_iso3, "agreement_type": "hermanamiento", "title": "",
        "signed_date": "", "registered_date": "", "source": tw.source, "source_ref": "source_row " + tw.source_row.astype(str),
    })[keep]
    reason = pd.Series("", index=tw.index)
    reason[dup] = "reciprocal duplicate: the same link listed on the partner country's page"
    rest = ~keep & ~dup
    reason[rest] = tw.match_status[rest] + ": " + tw.match_note[rest]
    review = _review_rows(tw[~keep], reason[~keep]).sort_values("source_ref").reset_index(drop=True)
    counts = {
        "rows_in": len(tw), "kept": int(keep.sum()), "kept_municipal": int((keep & ~state).sum()),
        "kept_state": int((keep & state).sum()), "set_aside": int((~keep).sum()),
        "set_aside_reciprocal_duplicate": int(dup.sum()),
        "set_aside_ambiguous": int((rest & (tw.match_status == "ambiguous")).sum()),
        "set_aside_unmatched": int((rest & (tw.match_status == "unmatched")).sum()),
    }
    result = AdapterResult(validate_canonical(out), review[REVIEW_COLUMNS], counts)
    result.check()
    return result


def from_links(links: pd.DataFrame, tw: pd.DataFrame) -> AdapterResult:
    """The two twinning sources -> canonical agreements (type hermanamiento, no dates).

    ``links`` is data/processed/twinning_links.csv (one row per municipality and foreign city,
    already merged across Wikipedia and Wikidata, :mod:`analysis.tables.sources_union`); each
    becomes one municipal agreement whose ``partner_id`` is the links' key (QID where known) and
    whose ``provenance`` says which source records it. ``tw`` is the Wikipedia table
    (twinnings.csv): its state-level pairs are kept as in :func:`from_twinnings`. Wikidata's
    state-level edges stay out (they are counted in wikidata_twinnings.csv). What each source set
    aside is in twinnings_review.csv and wikidata_twinnings.csv; here nothing is set aside, so
    ``rows_in`` counts the rows of the two tables that enter.
    """
    need = {"inegi_code", "state_code", "partner_id", "partner_city", "partner_country_iso3", "provenance",
            "wikipedia_pair_ids", "wikidata_edge_ids"}
    missing = sorted(need - set(links.columns))
    if missing:
        raise AgreementDataError(f"twinning_links.csv lacks column(s) {missing}; re-run notebook 00.")
    bad = links[~links.provenance.isin(["wikipedia", "wikidata", "both"])]
    if not bad.empty:
        raise AgreementDataError(f"twinning_links.csv, row {int(bad.index[0]) + 2}, field provenance: "
                                 f"{bad.provenance.iloc[0]!r} is not wikipedia, wikidata or both.")
    source = links.provenance.map({"wikipedia": WIKIPEDIA_SOURCE, "wikidata": WIKIDATA_SOURCE,
                                   "both": f"{WIKIPEDIA_SOURCE}+{WIKIDATA_SOURCE}"})
    refs = [" ".join(p for p in (f"wikipedia {a}".strip() if a else "", f"wikidata {b}".strip() if b else "") if p)
            for a, b in zip(links.wikipedia_pair_ids.fillna(""), links.wikidata_edge_ids.fillna(""), strict=True)]
    municipal = pd.DataFrame({
        "agreement_id": "L-" + links.inegi_code.astype(str) + "-" + links.partner_id.astype(str),
        "level": "municipal", "inegi_code": links.inegi_code.astype(str),
        "state_code": links.state_code.astype(str).str.zfill(2), "mexican_party": "",
        "partner_name": links.partner_city, "partner_country_iso3": links.partner_country_iso3,
        "agreement_type": "hermanamiento", "title": "", "signed_date": "", "registered_date": "",
        "source": source, "source_ref": refs, "partner_id": links.partner_id.astype(str),
        "provenance": links.provenance,
    })
    wiki = from_twinnings(tw)
    state = wiki.agreements[wiki.agreements.level == "state"]
    out = validate_canonical(pd.concat([municipal, state], ignore_index=True))
    counts = {"rows_in": len(out), "kept": len(out), "kept_municipal": int((out.level == "municipal").sum()),
              "kept_state": int((out.level == "state").sum()), "set_aside": 0}
    for p in ("wikipedia", "wikidata", "both"):
        counts[f"kept_municipal_{p}"] = int(((out.level == "municipal") & (out.provenance == p)).sum())
    notes = ["Vínculos municipales: la unión de Wikipedia y Wikidata (twinning_links.csv); vínculos estatales: "
             "los pares de Wikipedia cuyo lado mexicano es un gobierno estatal. Lo que cada fuente apartó está en "
             "twinnings_review.csv y wikidata_twinnings.csv."]
    result = AdapterResult(out, pd.DataFrame(columns=REVIEW_COLUMNS), counts, notes)
    result.check()
    return result




def read_processed_agreements(path: Path | None = None) -> pd.DataFrame:
    """Read data/processed/agreements.csv (written by notebook 01) with codes as strings."""
    path = path or paths.PROCESSED / "agreements.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 01 with `python -m analysis run`.")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
