"""The interview coder measured on text it has never seen: the frozen passages of interviews/validation.

Each passage becomes a one-turn synthetic transcript; the codes the coder assigns to any of its
segments are compared with the codes written for it before any codebook change. Reported per code:
passages expected, passages coded, true positives, recall and precision; and in all, micro-averaged
recall and precision and the share of passages whose set of codes is exactly right. This measures
the method, not the actors: the passages are synthetic.

May import: ``analysis.paths``, ``analysis.ingest.transcripts``, ``analysis.analyses.qda``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.analyses.qda.codebook import Codebook
from analysis.analyses.qda.coder import Coder
from analysis.ingest.sources import sha256_file
from analysis.ingest.transcripts import Transcript, Turn

PASSAGES_CSV: Path = paths.INTERVIEWS / "validation" / "pasajes_congelados.csv"
#: SHA-256 of the frozen file: a changed file stops the measurement (the set is never tuned on).
PASSAGES_SHA256 = "1d69bf07c5b63ef20a2e4f62320fd7b6553185e5c43100a906881e30882d5f31"
COLUMNS = ["passage_id", "text", "codes", "note"]


class PassageError(ValueError):
    """The frozen passages file is missing, changed or malformed; the message says which and where."""


def read_passages(path: Path | None = None, sha256: str | None = PASSAGES_SHA256) -> pd.DataFrame:
    """The frozen passages, checked: unchanged file (when ``sha256`` is given), unique ids, known columns."""
    path = path or PASSAGES_CSV
    if not path.exists():
        raise PassageError(f"{path}: not found; it is the frozen set of interview passages kept in git.")
    if sha256 is not None and sha256_file(path) != sha256:
        raise PassageError(f"{path}: the frozen passages changed (SHA-256 differs); restore the file from git. "
                           "The set is never edited after it was frozen.")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise PassageError(f"{path}: missing column(s) {missing}.")
    dup = df.passage_id[df.passage_id.duplicated()].tolist()
    if dup:
        raise PassageError(f"{path}: passage_id {dup[0]!r} appears more than once.")
    for i, row in enumerate(df.itertuples(index=False), start=2):
        if not str(row.text).strip():
            raise PassageError(f"{path}, line {i}: empty text for {row.passage_id}.")
    return df


def _expected(codes: str) -> set[str]:
    return {c.strip() for c in codes.split(";") if c.strip()}


def code_passages(passages: pd.DataFrame, codebook: Codebook) -> dict[str, set[str]]:
    """passage_id -> the set of codes the coder assigns to any segment of the passage."""
    unknown = sorted({c for codes in passages.codes for c in _expected(codes)} - set(codebook.codable))
    if unknown:
        raise PassageError(f"expected codes not in the codebook: {unknown}; the passages and the codebook disagree.")
    corpus = [Transcript(id=str(r.passage_id), meta={"informant_role": "validacion", "synthetic": True},
                         turns=(Turn("I", str(r.text), 1),), source=str(PASSAGES_CSV))
              for r in passages.itertuples(index=False)]
    found: dict[str, set[str]] = {str(pid): set() for pid in passages.passage_id}
    for seg, codes in Coder(codebook).iter_coded(corpus):
        found[seg.doc_id] |= set(codes)
    return found


def evaluate_passages(passages: pd.DataFrame, found: dict[str, set[str]],
                      codes: list[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-code table (expected, coded, true positives, recall, precision) and the overall figures."""
    expected = {str(r.passage_id): _expected(str(r.codes)) for r in passages.itertuples(index=False)}
    rows = []
    for code in codes:
        exp = {p for p, s in expected.items() if code in s}
        got = {p for p, s in found.items() if code in s}
        tp = len(exp & got)
        rows.append({"code": code, "expected": len(exp), "coded": len(got), "true_positives": tp,
                     "recall": tp / len(exp) if exp else float("nan"),
                     "precision": tp / len(got) if got else float("nan")})
    table = pd.DataFrame(rows)
    tp, exp_n, got_n = table.true_positives.sum(), table.expected.sum(), table.coded.sum()
    exact = sum(1 for p in expected if expected[p] == found.get(p, set()))
    summary = {"passages": float(len(expected)), "recall": tp / exp_n if exp_n else float("nan"),
               "precision": tp / got_n if got_n else float("nan"),
               "exact_share": exact / len(expected) if expected else float("nan"),
               "passages_without_code": float(sum(1 for s in expected.values() if not s)),
               "false_codes_on_empty": float(sum(len(found.get(p, set())) for p, s in expected.items() if not s))}
    return table, summary
