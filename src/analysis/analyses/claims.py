"""The claims ledger: every numeric or checkable claim of the two seed documents, and what the data say.

data/curated/claims.csv lists the claims (paraphrased, with the value each document states, the
notebook that checks it and, when the compendium can compute something, the key of a check in
``CHECKS``). Notebook 05 joins it with the computed values and writes
data/processed/claims_ledger.csv. A check whose inputs are missing (for instance a processed
table another notebook has not written yet) leaves the claim ``pending`` with a note naming the
missing file, so the ledger can always be built.

Statuses:
- reproduced: the open data give the stated value (same quantity, to the stated precision);
- consistent: the open data agree with the claim, but the quantity is defined differently or the
  claim is qualitative;
- contradicted: the open data give a different value;
- not_reproducible: no open data can check the claim (the note says why);
- pending: the check exists but its inputs have not been produced yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.analyses import casestudy as cs
from analysis.tables import casestudy as cst
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_curated, read_twinnings

CLAIMS_CSV = paths.CURATED / "claims.csv"
CLAIM_COLUMNS = ["claim_id", "document", "claim", "value_stated", "notebook", "check", "status", "note"]
LEDGER_COLUMNS = ["claim_id", "document", "claim", "value_stated", "value_computed", "status", "notebook", "note"]
DOCUMENTS = ("seed_diapositivas", "seed_tesis")
STATUSES = ("reproduced", "consistent", "contradicted", "not_reproducible", "pending")
STATUS_ES = {
    "reproduced": "reproducida",
    "consistent": "coherente",
    "contradicted": "contradicha",
    "not_reproducible": "no reproducible con datos abiertos",
    "pending": "pendiente",
}
#: Share of municipalities with at least one link below which "limited" interaction is consistent.
LIMITED_COVERAGE_THRESHOLD = 0.25
LINK_COUNT_COLUMNS = ("links", "n_links", "international_links", "n_pairs", "pairs", "n_twinnings")


class ClaimsDataError(ValueError):
    """The curated claims table fails a check; the message names file, row and field."""


@dataclass(frozen=True)
class Finding:
    """What the compendium computes for one claim."""

    value: str
    status: str
    note: str = ""


@dataclass
class Evidence:
    """The tables the checks read; a table is None when its file does not exist (yet)."""

    municipalities: pd.DataFrame | None = None
    twinnings: pd.DataFrame | None = None
    agreements: pd.DataFrame | None = None
    links_by_municipality: pd.DataFrame | None = None
    missing: dict[str, str] = field(default_factory=dict)


Check = Callable[[pd.Series, Evidence], Finding]


def _pending(*needed: str) -> Finding:
    return Finding("", "pending", "Falta " + ", ".join(needed) + "; se completará cuando el cuaderno que lo escribe se ejecute.")


def _fmt(x: float, decimals: int = 2) -> str:
    """Spanish-style number: thousands with a thin space, decimal comma."""
    text = f"{x:,.{decimals}f}".replace(",", "\u2009").replace(".", ",")
    return text


def _first_number(text: str) -> float:
    found = re.search(r"\d+(?:[.,]\d+)?", text)
    if not found:
        raise ClaimsDataError(f"value_stated {text!r} holds no number, but its check needs one.")
    return float(found.group().replace(",", "."))


# --------------------------------------------------------------------------- checks


def check_bj_population_share(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None:
        return _pending(ev.missing.get("municipalities", "municipalities.csv"))
    shares = cs.population_shares(ev.municipalities)
    muni, metro = shares.iloc[0], shares.iloc[1]
    stated = _first_number(claim.value_stated)
    value = (f"{_fmt(muni.share_pct, 4)} % (municipio de Benito Juárez, censo 2020; redondeado {_fmt(muni.share_rounded_2)} %, "
             f"truncado {_fmt(muni.share_truncated_2)} %); con Isla Mujeres {_fmt(metro.share_rounded_2)} %")
    if stated in (muni.share_truncated_2, muni.share_rounded_2):
        how = "truncada" if stated == muni.share_truncated_2 else "redondeada"
        return Finding(value, "consistent", f"La cifra es la participación del municipio {how} a dos decimales; "
                       "la diapositiva la atribuye a la zona urbana, que el censo municipal no aísla.")
    return Finding(value, "contradicted", f"La cifra declarada ({stated}) no coincide con la participación del municipio.")


def check_bj_agreements_total(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    n = len(ev.agreements)
    status = "reproduced" if n == int(_first_number(claim.value_stated)) else "contradicted"
    return Finding(f"{n} filas en la Tabla 1", status)


def check_bj_agreements_scope(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    counts = cs.scope_counts(ev.agreements)
    stated = [int(x) for x in re.findall(r"\d+", claim.value_stated)[:2]]
    computed = [counts["national"], counts["international"]]
    status = "reproduced" if stated == computed else "contradicted"
    return Finding(f"{computed[0]} nacionales y {computed[1]} internacionales", status)


def check_bj_crosscheck(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    table = cs.crosscheck(ev.agreements, ev.twinnings)
    s = cs.crosscheck_summary(table)
    extra = ", ".join(table[table.status == "wikipedia_only"].partner_city)
    value = (f"{s['found_in_wikipedia']} de {s['table1_international']} internacionales también en Wikipedia; "
             f"{s['wikipedia_only']} pares solo en Wikipedia ({extra or 'ninguno'})")
    if s["found_in_wikipedia"] == s["table1_international"]:
        return Finding(value, "consistent", "Wikipedia corrobora los acuerdos internacionales de la Tabla 1 pero no sus fechas.")
    missing = ", ".join(table[table.status == "table1_only"].partner_city)
    return Finding(value, "contradicted", f"Sin contraparte en Wikipedia: {missing}.")


def check_qroo_municipalities_with_links(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    q = cs.qroo_municipalities(ev.municipalities, ev.twinnings)
    n = int((q.links > 0).sum())
    status = "consistent" if n > 0 else "contradicted"
    return Finding(f"{n} de {len(q)} municipios con al menos un vínculo internacional", status)


def check_bj_rank_links(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    q = cs.qroo_municipalities(ev.municipalities, ev.twinnings).set_index("inegi_code")
    rank = int(q.links.rank(ascending=False, method="min")[cs.BJ_CODE])
    rank_pc = int(q.links_per_100k.rank(ascending=False, method="min")[cs.BJ_CODE])
    bj = q.loc[cs.BJ_CODE]
    value = (f"{bj.links} vínculos en Wikipedia ({rank}.º de {len(q)} en el estado; {rank_pc}.º por habitante, "
             f"{_fmt(bj.links_per_100k)} por 100 000 hab.)")
    status = "consistent" if rank <= 3 else "contradicted"
    return Finding(value, status, "Afirmación cualitativa: se juzga por la posición en número absoluto de vínculos.")


def check_bj_first_agreement(claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    first = int(ev.agreements.year.min())
    stated = int(_first_number(claim.value_stated))
    return Finding(f"primer instrumento formal de la Tabla 1: {first} ({first - stated} años después de {stated})",
                   "not_reproducible",
                   "Los datos solo fechan instrumentos formales; no permiten afirmar ni negar una acción exterior anterior.")


def _link_count_column(df: pd.DataFrame) -> str | None:
    return next((c for c in LINK_COUNT_COLUMNS if c in df.columns), None)


def check_national_coverage(claim: pd.Series, ev: Evidence) -> Finding:
    links = ev.links_by_municipality
    if links is None:
        return _pending(ev.missing.get("links_by_municipality", "data/processed/links_by_municipality.csv"))
    col = _link_count_column(links)
    if col is None or "inegi_code" not in links.columns:
        return Finding("", "pending", f"links_by_municipality.csv no tiene inegi_code ni una columna de recuento "
                       f"({', '.join(LINK_COUNT_COLUMNS)}); revise el cuaderno 01.")
    total = len(ev.municipalities) if ev.municipalities is not None else len(links)
    with_links = int((pd.to_numeric(links[col], errors="coerce").fillna(0) > 0).sum())
    share = with_links / total
    status = "consistent" if share < LIMITED_COVERAGE_THRESHOLD else "contradicted"
    value = f"{with_links:,} de {total:,} municipios ({_fmt(100 * share, 1)} %) con al menos un vínculo internacional"
    return Finding(value, status, f"Criterio: interacción limitada si menos del {LIMITED_COVERAGE_THRESHOLD:.0%} de los "
                   "municipios tiene algún vínculo (lista derivada de Wikipedia).")


CHECKS: dict[str, Check] = {
    "bj_population_share": check_bj_population_share,
    "bj_agreements_total": check_bj_agreements_total,
    "bj_agreements_scope": check_bj_agreements_scope,
    "bj_crosscheck": check_bj_crosscheck,
    "qroo_municipalities_with_links": check_qroo_municipalities_with_links,
    "bj_rank_links": check_bj_rank_links,
    "bj_first_agreement": check_bj_first_agreement,
    "national_coverage": check_national_coverage,
}


# --------------------------------------------------------------------------- reading, evidence, ledger


def read_claims(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the curated claims table."""
    path = path or CLAIMS_CSV
    df = read_curated(path, CLAIM_COLUMNS, ClaimsDataError)
    for idx, row in df.iterrows():
        _validate_claim(path, int(idx), row)
    dup = df.claim_id[df.claim_id.duplicated()]
    if not dup.empty:
        i = int(dup.index[0])
        raise ClaimsDataError(f"{path}, row {i + 1} (line {i + 2}), field 'claim_id': {dup.iloc[0]!r} is repeated.")
    return df


def _validate_claim(path: Path, idx: int, row: pd.Series) -> None:
    def fail(field_name: str, problem: str) -> ClaimsDataError:
        return ClaimsDataError(f"{path}, row {idx + 1} (line {idx + 2}), field '{field_name}': {problem}")

    if not re.fullmatch(r"C\d{2,}", row.claim_id):
        raise fail("claim_id", f"{row.claim_id!r} does not look like C01, C02, ...")
    if row.document not in DOCUMENTS:
        raise fail("document", f"{row.document!r} is not one of {DOCUMENTS}.")
    for name in ("claim", "value_stated"):
        if not row[name].strip():
            raise fail(name, "empty; write the claim (paraphrased) and the value the document states.")
    if not re.fullmatch(r"\d{2}_[a-z0-9_]+", row.notebook):
        raise fail("notebook", f"{row.notebook!r} is not a notebook name such as 05_quintana_roo.")
    if row.check and row.check not in CHECKS:
        raise fail("check", f"{row.check!r} is not a known check; known: {sorted(CHECKS)}.")
    if row.check and row.status:
        raise fail("status", "leave it empty: the status of a checked claim is computed.")
    if not row.check and row.status not in ("not_reproducible", "pending"):
        raise fail("status", f"{row.status!r}: a claim without a check is 'not_reproducible' or 'pending'.")
    if row.status == "not_reproducible" and not row.note.strip():
        raise fail("note", "say why the claim cannot be reproduced from open data.")


def load_evidence(processed: Path | None = None) -> Evidence:
    """Read every table a check may use; missing files are recorded, not fatal."""
    processed = processed or paths.PROCESSED
    ev = Evidence()
    loaders: dict[str, tuple[Path, Callable[[], pd.DataFrame]]] = {
        "municipalities": (processed / "municipalities.csv", lambda: read_processed(processed / "municipalities.csv")),
        "twinnings": (processed / "twinnings.csv",
                      read_twinnings if processed == paths.PROCESSED else lambda: _read_twinnings_at(processed)),
        "agreements": (cst.AGREEMENTS_CSV, cst.read_agreements),
        "links_by_municipality": (processed / "links_by_municipality.csv",
                                  lambda: pd.read_csv(processed / "links_by_municipality.csv", dtype={"inegi_code": str})),
    }
    for name, (file, loader) in loaders.items():
        if file.exists():
            setattr(ev, name, loader())
        else:
            ev.missing[name] = str(file.relative_to(paths.ROOT)) if file.is_relative_to(paths.ROOT) else file.name
    return ev


def _read_twinnings_at(folder: Path) -> pd.DataFrame:
    coords = {c: [""] for c in ("mexican_lat", "mexican_lon", "partner_lat", "partner_lon")}
    return pd.read_csv(folder / "twinnings.csv", dtype={"inegi_code": str, "state_code": str}, keep_default_na=False,
                       na_values=coords)


def build_ledger(claims: pd.DataFrame, evidence: Evidence) -> pd.DataFrame:
    """One row per claim: the curated columns plus value_computed and the final status."""
    rows = []
    for _, claim in claims.iterrows():
        finding = CHECKS[claim.check](claim, evidence) if claim.check else Finding("", claim.status)
        note = " ".join(x for x in (claim.note.strip(), finding.note.strip()) if x)
        rows.append({"claim_id": claim.claim_id, "document": claim.document, "claim": claim.claim,
                     "value_stated": claim.value_stated, "value_computed": finding.value, "status": finding.status,
                     "notebook": claim.notebook, "note": note})
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS).sort_values("claim_id").reset_index(drop=True)


def status_counts(ledger: pd.DataFrame) -> pd.Series:
    """Number of claims per status, in the order of STATUSES (zeros kept)."""
    return ledger.status.value_counts().reindex(list(STATUSES), fill_value=0)


def ledger_for_display(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger with Spanish headers and status labels, for the book."""
    out = ledger.assign(status=ledger.status.map(STATUS_ES))
    names = {"claim_id": "id", "document": "documento", "claim": "afirmación", "value_stated": "valor declarado",
             "value_computed": "valor calculado", "status": "estado", "notebook": "cuaderno", "note": "nota"}
    return out.rename(columns=names)
