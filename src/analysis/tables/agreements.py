"""One canonical table of international agreements, whatever the source.

Every source is converted into the columns of :data:`CANONICAL_COLUMNS` by an adapter that
returns an :class:`AdapterResult`: the agreements kept, the rows set aside (with the reason), and
counts such that ``rows_in == kept + set_aside``. Two adapters exist:

- :func:`from_twinnings`: the Wikipedia-derived twinning pairs (default; agreement_type
  ``hermanamiento``; no dates);
- :func:`analysis.rai.read_rai`: a researcher's export of the Registro de Acuerdos
  Interinstitucionales (RAI) of the Secretaría de Relaciones Exteriores.

:func:`load_agreements` picks one with the notebooks' ``registry`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths

CANONICAL_COLUMNS: list[str] = [
    "agreement_id", "level", "inegi_code", "state_code", "mexican_party", "partner_name",
    "partner_country_iso3", "agreement_type", "title", "signed_date", "registered_date", "source", "source_ref",
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
REGISTRIES = ("wikipedia", "rai")


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
    """Check the canonical contract; return the table with its columns in canonical order."""
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




def read_processed_agreements(path: Path | None = None) -> pd.DataFrame:
    """Read data/processed/agreements.csv (written by notebook 01) with codes as strings."""
    path = path or paths.PROCESSED / "agreements.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 01 with `python -m analysis run`.")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
