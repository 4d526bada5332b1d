"""The claims ledger: every numeric or checkable claim of the two seed documents, and what the data say.

data/curated/claims.csv lists the claims (paraphrased, with the value each document states, the
notebook that checks it, the key of a check in ``CHECKS`` when the compendium can compute
something, and the **rule** that decides the status). Each rule carries its history: the commit
that introduced it (``rule_commit``, found with ``git log -S``) and whether it was written before
or after the value it decides was known (``rule_timing``: ``previa`` or ``posterior``). A rule
written after its value was known is **post hoc** and the ledger says so in its note; it is a
reading of the claim, not a test of it. Two claims that are the same check of the same quantity
(``counts_with``: the id of the claim they are counted with) count once in :func:`status_counts`.
Notebook 05 joins it with the computed values and writes data/processed/claims_ledger.csv. A check
whose inputs are missing (for instance a processed table another notebook has not written yet)
leaves the claim ``pending`` with a note naming the missing file, so the ledger can always be built.

Statuses (code in the tables → label in the book):

- ``reproduced`` (reproducido): independent open data give the stated value;
- ``transcribed`` (transcrito): the value agrees with the compendium's transcription of the seed's
  own table, the only source there is; it is not an independent check;
- ``consistent`` (coherente): the open data meet an explicit numeric rule, stated per claim in
  claims.csv (``rule``), for a claim that is qualitative or defines its quantity differently;
- ``contradicted`` (contradicho): the rule fails, or the open data give another value;
- ``not_reproducible`` (no reproducible): no open source can check the claim; ``missing_source``
  names the source that would;
- ``pending`` (pendiente): the check exists, but its input has not been produced yet.

A rule is ``metric op value`` joined by ``and`` / ``or`` (``and`` binds first), with ``op`` one of
``< <= > >= ==``; ``value`` is a number, another metric, ``stated`` (the first number of
value_stated) or ``stated[i]`` (its i-th number). Each check returns the metrics it computed;
``if_rule_holds`` says which status a rule that holds gives (``reproduced``, ``transcribed`` or
``consistent``); a rule that fails gives ``contradicted``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.analyses import casestudy as cs
from analysis.analyses import wording
from analysis.tables import casestudy as cst
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_curated, read_twinnings

CLAIMS_CSV = paths.CURATED / "claims.csv"
CLAIM_COLUMNS = ["claim_id", "document", "claim", "value_stated", "notebook", "check", "rule", "if_rule_holds",
                 "rule_commit", "rule_timing", "counts_with", "status", "missing_source", "evidence", "note"]
LEDGER_COLUMNS = ["claim_id", "document", "claim", "value_stated", "value_computed", "status", "rule_timing",
                  "counts_with", "notebook", "note"]
RULE_TIMINGS = ("previa", "posterior")
DOCUMENTS = ("seed_diapositivas", "seed_tesis")
STATUSES = ("reproduced", "transcribed", "consistent", "contradicted", "not_reproducible", "pending")
STATUS_ES = {
    "reproduced": "reproducido",
    "transcribed": "transcrito",
    "consistent": "coherente",
    "contradicted": "contradicho",
    "not_reproducible": "no reproducible",
    "pending": "pendiente",
}
RULE_OUTCOMES = ("reproduced", "transcribed", "consistent")
LINK_COUNT_COLUMNS = ("links", "n_links", "international_links", "n_pairs", "pairs", "n_twinnings")

#: What each metric a check computes means, for the rules as the book prints them.
METRICS_ES: dict[str, str] = {
    "share_truncated_2": ("participación del municipio de Benito Juárez en la población del estado (censo 2020), "
                          "truncada a dos decimales"),
    "share_rounded_2": "la misma participación redondeada a dos decimales",
    "rows": "filas de la Tabla 1 transcrita",
    "national": "acuerdos con ciudades mexicanas en la Tabla 1 transcrita",
    "international": "acuerdos con ciudades extranjeras en la Tabla 1 transcrita",
    "found_in_wikipedia": "acuerdos internacionales de la Tabla 1 que también figuran en Wikipedia",
    "wikipedia_only": "socios de Benito Juárez en Wikipedia que no están en la Tabla 1",
    "table1_international": "acuerdos internacionales de la Tabla 1",
    "qroo_coverage": ("proporción de municipios de Quintana Roo con al menos un vínculo internacional en la tabla "
                      "por municipio del capítulo 1"),
    "bj_national_rank_share": ("posición de Benito Juárez entre los municipios del país por número de vínculos, "
                               "como fracción del total de municipios"),
    "coverage_share": "proporción de municipios del país con al menos un vínculo internacional",
    "first_year": "año del primer instrumento de la Tabla 1",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": lambda a, b: math.isclose(a, b, rel_tol=0, abs_tol=1e-9),
    "<": operator.lt, ">": operator.gt,
}
_COMPARISON = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|==|<|>)\s*([a-z0-9_.\[\]]+)\s*$")
_OPS_ES = {"<": "menor que", "<=": "menor o igual que", ">": "mayor que", ">=": "mayor o igual que", "==": "igual a"}


class ClaimsDataError(ValueError):
    """The curated claims table fails a check; the message names file, row and field."""


@dataclass(frozen=True)
class Finding:
    """What the compendium computes for one claim: a text for the reader and the metrics a rule reads."""

    value: str
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ""
    pending: bool = False


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
    return Finding("", note="Falta " + ", ".join(needed) + "; se completará cuando el cuaderno que lo escribe se ejecute.",
                   pending=True)


def stated_numbers(text: str) -> list[float]:
    """The numbers in a stated value, in order ('10 nacionales y 9 internacionales' -> [10, 9])."""
    return [float(x.replace(",", "")) for x in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)]


# --------------------------------------------------------------------------- rules


def _operand(token: str, metrics: dict[str, float], stated: list[float], where: str) -> float:
    m = re.fullmatch(r"stated(?:\[(\d+)\])?", token)
    if m:
        i = int(m.group(1) or 0)
        if i >= len(stated):
            raise ClaimsDataError(f"{where}: the rule reads stated[{i}], but value_stated holds {len(stated)} number(s).")
        return stated[i]
    if token in metrics:
        return float(metrics[token])
    try:
        return float(token)
    except ValueError:
        raise ClaimsDataError(f"{where}: {token!r} is not a number, 'stated' or a metric of the check "
                              f"({', '.join(sorted(metrics)) or 'none'}).") from None


def parse_rule(rule: str) -> list[list[tuple[str, str, str]]]:
    """``a < 1 and b == stated or c > d`` -> [[(a, <, 1), (b, ==, stated)], [(c, >, d)]]; a syntax error raises."""
    groups = []
    for alternative in re.split(r"\s+or\s+", rule.strip()):
        group = []
        for part in re.split(r"\s+and\s+", alternative):
            m = _COMPARISON.match(part)
            if not m:
                raise ClaimsDataError(f"rule {rule!r}: {part!r} is not 'metric op value' (op: < <= > >= ==).")
            group.append((m.group(1), m.group(2), m.group(3)))
        groups.append(group)
    return groups


def evaluate_rule(rule: str, metrics: dict[str, float], stated: list[float], where: str = "rule") -> bool:
    """Whether ``rule`` holds for the computed ``metrics`` and the ``stated`` numbers."""
    for group in parse_rule(rule):
        if all(_OPS[op](_operand(left, metrics, stated, where), _operand(right, metrics, stated, where))
               for left, op, right in group):
            return True
    return False


def rule_es(rule: str) -> str:
    """The rule in words, for the book."""
    def term(token: str) -> str:
        if token.startswith("stated"):
            m = re.fullmatch(r"stated(?:\[(\d+)\])?", token)
            i = int(m.group(1) or 0) if m else 0
            return "el valor declarado" if i == 0 and "[" not in token else f"el {i + 1}.º número declarado"
        if token in METRICS_ES:
            return METRICS_ES[token]
        return wording.num(float(token), len(token.split(".")[1]) if "." in token else 0)
    alternatives = [" y ".join(f"{term(a)} es {_OPS_ES[op]} {term(b)}" for a, op, b in group) for group in parse_rule(rule)]
    return "; o bien ".join(alternatives).replace(" a el ", " al ")


# --------------------------------------------------------------------------- checks


def check_bj_population_share(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None:
        return _pending(ev.missing.get("municipalities", "municipalities.csv"))
    shares = cs.population_shares(ev.municipalities)
    muni, metro = shares.iloc[0], shares.iloc[1]
    value = (f"{wording.pct(muni.share_pct, 4)} (municipio de Benito Juárez, censo 2020; redondeado "
             f"{wording.pct(muni.share_rounded_2, 2)}, truncado {wording.pct(muni.share_truncated_2, 2)}); "
             f"con Isla Mujeres {wording.pct(metro.share_rounded_2, 2)}")
    return Finding(value, {"share_truncated_2": float(muni.share_truncated_2), "share_rounded_2": float(muni.share_rounded_2)},
                   "La diapositiva atribuye la cifra a la zona urbana, que el censo municipal no aísla.")


def check_bj_agreements_total(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    n = len(ev.agreements)
    return Finding(f"{n} filas en la Tabla 1 transcrita", {"rows": n})


def check_bj_agreements_scope(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    counts = cs.scope_counts(ev.agreements)
    return Finding(f"{counts['national']} nacionales y {counts['international']} internacionales en la Tabla 1 transcrita",
                   {"national": counts["national"], "international": counts["international"]})


def check_bj_crosscheck(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    table = cs.crosscheck(ev.agreements, ev.twinnings)
    s = cs.crosscheck_summary(table)
    extra = ", ".join(table[table.status == "wikipedia_only"].partner_city)
    value = (f"{s['found_in_wikipedia']} de {s['table1_international']} internacionales también en Wikipedia; "
             f"{s['wikipedia_only']} pares solo en Wikipedia ({extra or 'ninguno'})")
    missing = ", ".join(table[table.status == "table1_only"].partner_city)
    note = "Wikipedia no da fechas." + (f" Sin contraparte en Wikipedia: {missing}." if missing else "")
    return Finding(value, {"found_in_wikipedia": s["found_in_wikipedia"], "table1_international": s["table1_international"],
                           "wikipedia_only": s["wikipedia_only"]}, note)


def national_coverage(ev: Evidence) -> tuple[int, int] | None:
    links = ev.links_by_municipality
    if links is None:
        return None
    col = _link_count_column(links)
    if col is None or "inegi_code" not in links.columns:
        return None
    total = len(ev.municipalities) if ev.municipalities is not None else len(links)
    with_links = int((pd.to_numeric(links[col], errors="coerce").fillna(0) > 0).sum())
    return with_links, total


def check_qroo_municipalities_with_links(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    q = cs.qroo_municipalities(ev.municipalities, ev.twinnings)
    links = ev.links_by_municipality
    col = _link_count_column(links) if links is not None else None
    if links is not None and col is not None and "inegi_code" in links.columns:  # the table the national figure uses
        counts = pd.to_numeric(links.set_index(links.inegi_code.astype(str))[col], errors="coerce").fillna(0)
        n = int((counts.reindex(q.inegi_code.astype(str)).fillna(0) > 0).sum())
    else:
        n = int((q.links > 0).sum())
    value = f"{n} de {len(q)} municipios ({wording.share_pct(n, len(q))}) con al menos un vínculo internacional"
    national = national_coverage(ev)
    if national:
        value += f"; en el país, {wording.share_pct(*national)}"
    return Finding(value, {"qroo_coverage": n / len(q)})


def check_bj_rank_links(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.municipalities is None or ev.twinnings is None:
        return _pending(ev.missing.get("twinnings", "twinnings.csv"))
    links = ev.links_by_municipality
    col = _link_count_column(links) if links is not None else None
    if links is None or col is None:
        return _pending(ev.missing.get("links_by_municipality", "data/processed/links_by_municipality.csv"))
    counts = pd.to_numeric(links.set_index("inegi_code")[col], errors="coerce").fillna(0)
    rank = int(counts.rank(ascending=False, method="min")[cs.BJ_CODE])
    state = counts[counts.index.astype(str).str[:2] == cs.BJ_CODE[:2]]  # the same table, so both ranks count alike
    rank_state = int(state.rank(ascending=False, method="min")[cs.BJ_CODE])
    value = (f"{int(counts[cs.BJ_CODE])} vínculos en la tabla por municipio del capítulo 1: lugar {rank} de "
             f"{len(counts):,} municipios del país (empates al lugar más alto); lugar {rank_state} de {len(state)} en el estado")
    return Finding(value, {"bj_national_rank_share": rank / len(counts)})


def check_bj_first_agreement(_claim: pd.Series, ev: Evidence) -> Finding:
    if ev.agreements is None:
        return _pending(ev.missing.get("agreements", "benito_juarez_hermanamientos.csv"))
    first = int(ev.agreements.year.min())
    return Finding(f"primer instrumento formal de la Tabla 1: {first}", {"first_year": first},
                   "Los datos solo fechan instrumentos formales; no permiten afirmar ni negar una acción exterior anterior.")


def _link_count_column(df: pd.DataFrame) -> str | None:
    return next((c for c in LINK_COUNT_COLUMNS if c in df.columns), None)


def check_national_coverage(_claim: pd.Series, ev: Evidence) -> Finding:
    links = ev.links_by_municipality
    if links is None:
        return _pending(ev.missing.get("links_by_municipality", "data/processed/links_by_municipality.csv"))
    national = national_coverage(ev)
    if national is None:
        return Finding("", note=f"links_by_municipality.csv no tiene inegi_code ni una columna de recuento "
                       f"({', '.join(LINK_COUNT_COLUMNS)}); revise el cuaderno 01.", pending=True)
    with_links, total = national
    share = wording.share_pct(with_links, total, 1)
    value = f"{with_links:,} de {total:,} municipios ({share}) con al menos un vínculo internacional"
    return Finding(value, {"coverage_share": with_links / total})


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
    for idx, row in df[df.counts_with != ""].iterrows():
        other = df[df.claim_id == row.counts_with]
        i = int(str(idx))
        if other.empty:
            raise ClaimsDataError(f"{path}, row {i + 1} (line {i + 2}), field 'counts_with': {row.counts_with!r} is not a claim.")
        if (other.check.iloc[0], other.rule.iloc[0]) != (row.check, row.rule):
            raise ClaimsDataError(f"{path}, row {i + 1} (line {i + 2}), field 'counts_with': {row.claim_id} and "
                                  f"{row.counts_with} do not share check and rule; they are not the same check.")
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
    if row.counts_with and (row.counts_with == row.claim_id or not re.fullmatch(r"C\d{2,}", row.counts_with)):
        raise fail("counts_with", f"{row.counts_with!r}: name another claim (C01, C02, ...) or leave it empty.")
    if row.rule:
        if not row.check:
            raise fail("rule", "a rule needs a check that computes its metrics; fill in 'check'.")
        if not re.fullmatch(r"[0-9a-f]{7,40}", row.rule_commit):
            raise fail("rule_commit", f"{row.rule_commit!r}: give the commit that introduced the rule (git log -S'<rule>').")
        if row.rule_timing not in RULE_TIMINGS:
            raise fail("rule_timing", f"{row.rule_timing!r}: say whether the rule was written before ('previa') or after "
                       "('posterior') its value was known.")
        try:
            parse_rule(row.rule)
        except ClaimsDataError as exc:
            raise fail("rule", str(exc)) from None
        if row.if_rule_holds not in RULE_OUTCOMES:
            raise fail("if_rule_holds", f"{row.if_rule_holds!r}: say which status the rule gives when it holds, "
                       f"one of {RULE_OUTCOMES}.")
        if row.status:
            raise fail("status", "leave it empty: the rule decides the status of this claim.")
        return
    if row.if_rule_holds:
        raise fail("if_rule_holds", "there is no rule; write the rule or leave this field empty.")
    if row.status not in ("not_reproducible", "pending"):
        raise fail("status", f"{row.status!r}: a claim without a rule is 'not_reproducible' or 'pending'.")
    if not row.missing_source.strip():
        raise fail("missing_source", f"name the source that would let the compendium check a {row.status!r} claim.")
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


def grade(claim: pd.Series, finding: Finding) -> str:
    """The status of one claim, given what its check found."""
    if finding.pending:
        return "pending"
    if not claim.rule:
        return str(claim.status)
    where = f"claim {claim.claim_id}, field 'rule'"
    holds = evaluate_rule(claim.rule, finding.metrics, stated_numbers(claim.value_stated), where)
    return str(claim.if_rule_holds) if holds else "contradicted"


def build_ledger(claims: pd.DataFrame, evidence: Evidence) -> pd.DataFrame:
    """One row per claim: the curated columns plus value_computed and the final status.

    The note gathers, in this order, the rule (in words), what is missing, the independent
    published evidence and the curated note.
    """
    rows = []
    for _, claim in claims.iterrows():
        finding = CHECKS[claim.check](claim, evidence) if claim.check else Finding("")
        status = grade(claim, finding)
        parts = []
        if claim.rule:
            parts.append(f"Regla: {STATUS_ES[claim.if_rule_holds]} si {rule_es(claim.rule)}; si no, contradicho.")
            when = ("escrita después de conocer el valor (post hoc)" if claim.rule_timing == "posterior"
                    else "escrita antes de conocer el valor")
            parts.append(f"Regla {when}, commit {claim.rule_commit}.")
        if claim.counts_with:
            parts.append(f"Es la misma comprobación que {claim.counts_with} y se cuenta una sola vez.")
        if claim.missing_source.strip() and status in ("not_reproducible", "pending"):
            parts.append(f"Falta: {claim.missing_source.strip().rstrip('.')}.")
        parts += [finding.note.strip(), claim.note.strip()]
        if claim.evidence.strip():
            parts.append(f"Evidencia publicada: {claim.evidence.strip()}")
        rows.append({"claim_id": claim.claim_id, "document": claim.document, "claim": claim.claim,
                     "value_stated": claim.value_stated, "value_computed": finding.value, "status": status,
                     "rule_timing": claim.rule_timing if claim.rule else "", "counts_with": claim.counts_with,
                     "notebook": claim.notebook, "note": " ".join(p for p in parts if p)})
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS).sort_values("claim_id").reset_index(drop=True)


def status_counts(ledger: pd.DataFrame) -> pd.Series:
    """Number of claims per status, in the order of STATUSES (zeros kept); a claim counted with
    another (``counts_with``) is not counted again."""
    once = ledger[ledger.counts_with.fillna("") == ""] if "counts_with" in ledger else ledger
    return once.status.value_counts().reindex(list(STATUSES), fill_value=0)


def post_hoc_claims(ledger: pd.DataFrame) -> list[str]:
    """Ids of the claims whose rule was written after its value was known."""
    return sorted(ledger.claim_id[ledger.rule_timing == "posterior"])


#: How the book names the source documents (their keys in book/references.bib).
DOCUMENTS_ES = {"seed_diapositivas": "Diapositivas", "seed_tesis": "Tesis (resumen)"}


def _chapter_es(notebook: str) -> str:
    """'05_quintana_roo' -> 'capítulo 5'; anything else is kept as written."""
    m = re.match(r"^(\d{2})_", str(notebook))
    return f"capítulo {int(m.group(1))}" if m else str(notebook)


def ledger_for_display(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger with Spanish headers, status labels and document names, for the book.

    A document without a name in :data:`DOCUMENTS_ES` keeps its key, so nothing is hidden.
    """
    flagged = ledger.status.map(STATUS_ES).where(ledger.rule_timing != "posterior",
                                                 ledger.status.map(STATUS_ES) + " (regla post hoc)")
    out = ledger.drop(columns=["rule_timing", "counts_with"]).assign(status=flagged,
                        document=ledger.document.map(lambda d: DOCUMENTS_ES.get(d, d)),
                        notebook=ledger.notebook.map(_chapter_es))
    names = {"claim_id": "id", "document": "documento", "claim": "afirmación", "value_stated": "valor declarado",
             "value_computed": "valor calculado", "status": "estado", "notebook": "cuaderno", "note": "nota"}
    return out.rename(columns=names)
