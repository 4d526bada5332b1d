"""Inter-coder reliability at segment level: two codings (automatic vs human gold, or two coders).

A coding is a mapping segment_id -> set of codes. For each code both coders make a binary
decision per segment (present/absent). Reported:

- percent agreement per code and, per segment, exact agreement of the whole code set;
- Cohen's kappa per code (undefined, NaN, when both coders never or always use the code);
- Krippendorff's alpha (nominal) per code and pooled over all segment x code decisions, with a
  seeded bootstrap 95% interval that resamples segments (all of a segment's decisions together);
- a disagreement table (segment, text, codes only in A, codes only in B) for review.

Gold files (interviews/gold/*.csv) have one row per segment: doc_id, segment_id, text, codes
(separated by ``;``, empty for none), coder. The text must match the segmenter's text, which
guards against a change of segmentation silently misaligning the gold standard.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd

from analysis.analyses.qda import Codebook
from analysis.util.text import normalise

GOLD_COLUMNS = ["doc_id", "segment_id", "text", "codes", "coder"]
Coding = dict[str, frozenset[str]]


class GoldError(ValueError):
    """A gold file that does not fit the codebook or the segments; names the file and line."""


def load_gold(source: Path, codebook: Codebook, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read one gold CSV or every ``*.csv`` of a folder; validate codes and (if given) segments.

    With ``segments``, rows of transcripts that are not in the segmented corpus are set aside;
    their number is in ``gold.attrs["set_aside"]``.
    """
    source = Path(source)
    files = sorted(source.glob("*.csv")) if source.is_dir() else [source]
    frames = []
    set_aside = 0
    seg_text = segments.set_index("segment_id").text if segments is not None else None
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        missing = set(GOLD_COLUMNS) - set(df.columns)
        if missing:
            raise GoldError(f"{f.name}, line 1: missing column(s) {sorted(missing)}; expected {GOLD_COLUMNS}.")
        if segments is not None:
            loaded = df.doc_id.isin(set(segments.doc_id))
            set_aside += int((~loaded).sum())
            df = df[loaded]
        for i, row in df.iterrows():
            line = int(i) + 2
            for code in _split(row["codes"]):
                if code not in codebook:
                    raise GoldError(f"{f.name}, line {line}: code {code!r} is not in the codebook; fix the name.")
            if seg_text is not None:
                if row["segment_id"] not in seg_text.index:
                    raise GoldError(f"{f.name}, line {line}: segment {row['segment_id']} is not in the segmented corpus; "
                                    "the transcripts or the segmentation changed: recode this segment.")
                if normalise(seg_text[row["segment_id"]])[:60] != normalise(row["text"])[:60]:
                    raise GoldError(f"{f.name}, line {line}: the text of {row['segment_id']} differs from the segment; "
                                    "the segmentation changed: recode this segment.")
        frames.append(df[GOLD_COLUMNS].assign(file=f.name))
    if not frames and not source.is_dir():
        raise GoldError(f"{source}: no gold file here; give a gold CSV or a folder of them.")
    gold = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*GOLD_COLUMNS, "file"])
    gold.attrs["set_aside"] = set_aside
    dup = gold[gold.duplicated(["segment_id", "coder"])]
    if len(dup):
        first = dup.iloc[0]
        raise GoldError(f"{first.file}: segment {first.segment_id} is coded twice by coder {first.coder!r}; keep one row.")
    return gold


def _split(codes: str) -> list[str]:
    return sorted({c.strip() for c in str(codes).split(";") if c.strip()})


def gold_coding(gold: pd.DataFrame, coder: str | None = None) -> Coding:
    """segment_id -> set of codes from a gold table (optionally only one coder's rows)."""
    sub = gold if coder is None else gold[gold.coder == coder]
    return {r.segment_id: frozenset(_split(r.codes)) for r in sub.itertuples()}


def auto_coding(codes: pd.DataFrame, segment_ids: Iterable[str]) -> Coding:
    """segment_id -> set of codes from the automatic coding table, for the given segments."""
    grouped = codes.groupby("segment_id").code.agg(frozenset).to_dict()
    return {s: grouped.get(s, frozenset()) for s in segment_ids}


def _matrix(a: Coding, b: Coding, units: list[str], codes: list[str]) -> np.ndarray:
    """Array (2 coders, n units, n codes) of 0/1 decisions."""
    out = np.zeros((2, len(units), len(codes)), dtype=np.int8)
    index = {c: j for j, c in enumerate(codes)}
    for k, coding in enumerate((a, b)):
        for i, u in enumerate(units):
            for c in coding.get(u, ()):
                if c in index:
                    out[k, i, index[c]] = 1
    return out


def cohen_kappa(x: np.ndarray, y: np.ndarray) -> float:
    """Cohen's kappa for two binary vectors; NaN when chance agreement is 1 (no variation)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    po = float(np.mean(x == y))
    pe = float(x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean()))
    return float("nan") if pe >= 1 else (po - pe) / (1 - pe)


def alpha_nominal(a: np.ndarray, b: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) for two coders' decisions (flattened); NaN without variation."""
    data = np.vstack([np.ravel(a), np.ravel(b)]).astype(float)
    if len(np.unique(data)) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@dataclass
class ReliabilityReport:
    """Per-code table, overall figures and the disagreements."""

    per_code: pd.DataFrame
    overall: dict[str, float]
    disagreements: pd.DataFrame


def compare(a: Coding, b: Coding, codes: list[str], texts: dict[str, str] | None = None,
            seed: int = 0, n_boot: int = 1000, names: tuple[str, str] = ("auto", "gold")) -> ReliabilityReport:
    """Compare two codings over the segments they share (``codes``: the codes to assess)."""
    units = sorted(set(a) & set(b))
    if not units:
        raise ValueError("The two codings share no segments; check the segment ids.")
    m = _matrix(a, b, units, codes)
    rows = []
    for j, code in enumerate(codes):
        x, y = m[0, :, j], m[1, :, j]
        rows.append({"code": code, f"n_{names[0]}": int(x.sum()), f"n_{names[1]}": int(y.sum()),
                     "both": int((x & y).sum()), "agreement_pct": round(100 * float(np.mean(x == y)), 1),
                     "kappa": round(cohen_kappa(x, y), 3), "alpha": round(alpha_nominal(x, y), 3)})
    per_code = pd.DataFrame(rows)
    low, high, used = bootstrap_alpha(m, seed=seed, n_boot=n_boot)
    exact = float(np.mean([(m[0, i] == m[1, i]).all() for i in range(len(units))]))
    overall = {
        "segments": float(len(units)), "codes": float(len(codes)),
        "exact_agreement_pct": round(100 * exact, 1),
        "decision_agreement_pct": round(100 * float(np.mean(m[0] == m[1])), 1),
        "mean_kappa": round(float(np.nanmean(per_code.kappa)), 3),
        "alpha": round(alpha_nominal(m[0], m[1]), 3), "alpha_low": round(low, 3), "alpha_high": round(high, 3),
        "bootstrap_samples": float(used),
    }
    dis = []
    for i, u in enumerate(units):
        only_a = [codes[j] for j in np.flatnonzero(m[0, i] & ~m[1, i].astype(bool))]
        only_b = [codes[j] for j in np.flatnonzero(m[1, i] & ~m[0, i].astype(bool))]
        if only_a or only_b:
            dis.append({"segment_id": u, "text": (texts or {}).get(u, ""), f"only_{names[0]}": "; ".join(only_a),
                        f"only_{names[1]}": "; ".join(only_b)})
    disagreements = pd.DataFrame(dis, columns=["segment_id", "text", f"only_{names[0]}", f"only_{names[1]}"])
    return ReliabilityReport(per_code, overall, disagreements)


def bootstrap_alpha(m: np.ndarray, seed: int = 0, n_boot: int = 1000) -> tuple[float, float, int]:
    """Percentile 95% interval of the pooled alpha, resampling segments with replacement (seeded)."""
    rng = np.random.default_rng(seed)
    n = m.shape[1]
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        v = alpha_nominal(m[0, idx], m[1, idx])
        if not np.isnan(v):
            values.append(v)
    if not values:
        return float("nan"), float("nan"), 0
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi), len(values)


def evaluate(codes: pd.DataFrame, segments: pd.DataFrame, gold: pd.DataFrame, code_names: list[str],
             seed: int = 0, n_boot: int = 1000) -> ReliabilityReport | None:
    """Automatic coding vs the gold coding on the gold segments; None when there is no gold for this corpus."""
    if gold.empty:
        return None
    auto = auto_coding(codes, gold.segment_id)
    texts = segments.set_index("segment_id").text.to_dict()
    return compare(auto, gold_coding(gold), code_names, texts=texts, seed=seed, n_boot=n_boot)
