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


def alpha_binary(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha (nominal) of two coders' 0/1 decisions along the last axis, vectorised:
    ``1 - (N - 1) * d / (n0 * n1)`` with N = 2 x decisions, d the disagreements and n0, n1 the zeros and
    ones of both coders together (no missing values). NaN without variation. Equals :func:`alpha_nominal`."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n_total = 2 * x.shape[-1]
    ones = x.sum(axis=-1) + y.sum(axis=-1)
    zeros = n_total - ones
    d = (x != y).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 - (n_total - 1) * d / (zeros * ones)
    return np.where((zeros * ones) > 0, out, np.nan)


def kappa_binary(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cohen's kappa of two coders' 0/1 decisions along the last axis, vectorised; NaN when chance agreement is 1."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    po = (x == y).mean(axis=-1)
    px, py = x.mean(axis=-1), y.mean(axis=-1)
    pe = px * py + (1 - px) * (1 - py)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


@dataclass
class ReliabilityReport:
    """Per-code table, overall figures and the disagreements. Every kappa, alpha and agreement rate has a
    percentile 95 % interval from a seeded bootstrap that resamples segments (``*_low``, ``*_high``)."""

    per_code: pd.DataFrame
    overall: dict[str, float]
    disagreements: pd.DataFrame


def _interval(values: np.ndarray) -> tuple[float, float]:
    """Percentile 95 % interval over the finite bootstrap values (NaN when none)."""
    v = values[np.isfinite(values)]
    if not len(v):
        return float("nan"), float("nan")
    lo, hi = np.percentile(v, [2.5, 97.5])
    return float(lo), float(hi)


def compare(a: Coding, b: Coding, codes: list[str], texts: dict[str, str] | None = None,
            seed: int = 0, n_boot: int = 1000, names: tuple[str, str] = ("auto", "gold")) -> ReliabilityReport:
    """Compare two codings over the segments they share (``codes``: the codes to assess).

    Intervals: percentile 95 % from ``n_boot`` bootstrap samples of the segments (each segment keeps all its
    decisions), seeded; a statistic undefined in a sample (no variation) is left out of that sample's values."""
    units = sorted(set(a) & set(b))
    if not units:
        raise ValueError("The two codings share no segments; check the segment ids.")
    m = _matrix(a, b, units, codes)
    x, y = m[0].T.astype(float), m[1].T.astype(float)  # (codes, units)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(units), size=(n_boot, len(units)))
    bx, by = x[:, idx], y[:, idx]  # (codes, boot, units)
    boot_kappa, boot_alpha = kappa_binary(bx, by), alpha_binary(bx, by)
    boot_agree = 100 * (bx == by).mean(axis=-1)
    kappas, alphas = kappa_binary(x, y), alpha_binary(x, y)
    rows = []
    for j, code in enumerate(codes):
        k_lo, k_hi = _interval(boot_kappa[j])
        a_lo, a_hi = _interval(boot_alpha[j])
        p_lo, p_hi = _interval(boot_agree[j])
        rows.append({"code": code, f"n_{names[0]}": int(x[j].sum()), f"n_{names[1]}": int(y[j].sum()),
                     "both": int((x[j] * y[j]).sum()), "agreement_pct": round(100 * float(np.mean(x[j] == y[j])), 1),
                     "agreement_low": round(p_lo, 1), "agreement_high": round(p_hi, 1),
                     "kappa": round(float(kappas[j]), 3), "kappa_low": round(k_lo, 3), "kappa_high": round(k_hi, 3),
                     "alpha": round(float(alphas[j]), 3), "alpha_low": round(a_lo, 3), "alpha_high": round(a_hi, 3)})
    per_code = pd.DataFrame(rows)
    # pooled over every segment x code decision; the same bootstrap samples of segments
    pooled = alpha_binary(x.reshape(1, -1), y.reshape(1, -1))[0]
    boot_pooled = alpha_binary(bx.transpose(1, 0, 2).reshape(n_boot, -1), by.transpose(1, 0, 2).reshape(n_boot, -1))
    low, high = _interval(boot_pooled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boot_mean_kappa = np.nanmean(boot_kappa, axis=0)
    exact_units = (x == y).all(axis=0)
    boot_exact = 100 * (bx == by).all(axis=0).mean(axis=-1)
    boot_decision = 100 * (bx == by).mean(axis=(0, 2))
    mk_lo, mk_hi = _interval(boot_mean_kappa)
    ex_lo, ex_hi = _interval(boot_exact)
    de_lo, de_hi = _interval(boot_decision)
    overall = {
        "segments": float(len(units)), "codes": float(len(codes)),
        "exact_agreement_pct": round(100 * float(exact_units.mean()), 1),
        "exact_agreement_low": round(ex_lo, 1), "exact_agreement_high": round(ex_hi, 1),
        "decision_agreement_pct": round(100 * float(np.mean(x == y)), 1),
        "decision_agreement_low": round(de_lo, 1), "decision_agreement_high": round(de_hi, 1),
        "mean_kappa": round(float(np.nanmean(kappas)) if np.isfinite(kappas).any() else float("nan"), 3),
        "mean_kappa_low": round(mk_lo, 3), "mean_kappa_high": round(mk_hi, 3),
        "alpha": round(float(pooled), 3), "alpha_low": round(low, 3), "alpha_high": round(high, 3),
        "bootstrap_samples": float(int(np.isfinite(boot_pooled).sum())),
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
    idx = rng.integers(0, n, size=(n_boot, n))
    values = alpha_binary(m[0][idx].reshape(n_boot, -1), m[1][idx].reshape(n_boot, -1))
    lo, hi = _interval(values)
    return lo, hi, int(np.isfinite(values).sum())


def evaluate(codes: pd.DataFrame, segments: pd.DataFrame, gold: pd.DataFrame, code_names: list[str],
             seed: int = 0, n_boot: int = 1000) -> ReliabilityReport | None:
    """Automatic coding vs the gold coding on the gold segments; None when there is no gold for this corpus."""
    if gold.empty:
        return None
    auto = auto_coding(codes, gold.segment_id)
    texts = segments.set_index("segment_id").text.to_dict()
    return compare(auto, gold_coding(gold), code_names, texts=texts, seed=seed, n_boot=n_boot)


# ----------------------------------------------------------------------------- codings from a QDA program

def gold_as_codings(gold: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """The gold table as codings with character positions (doc_id, segment_id, start, end, code, coder):
    what a researcher's project holds once each gold segment is coded in a QDA program."""
    pos = segments.set_index("segment_id")[["start", "end"]]
    rows = [{"doc_id": r.doc_id, "segment_id": r.segment_id, "start": int(pos.loc[r.segment_id, "start"]),
             "end": int(pos.loc[r.segment_id, "end"]), "code": c, "coder": r.coder}
            for r in gold.itertuples() for c in _split(r.codes)]
    return pd.DataFrame(rows, columns=["doc_id", "segment_id", "start", "end", "code", "coder"])


def project_codings(codings: pd.DataFrame, segments: pd.DataFrame, min_overlap: float = 0.5) -> dict[str, Coding]:
    """coder -> segment coding, from the codings of a REFI-QDA project (``refi.CODING_COLUMNS``: source_name,
    start, end, code, coder) and the segmented corpus.

    A segment receives a code from a coder when one of the coder's selections with that code overlaps it by
    at least ``min_overlap`` of the shorter of the two (selections in a QDA program rarely follow sentence
    boundaries exactly). The units are the informants' segments of every source the project codes: a
    segment a coder left uncoded counts as "no code", as in the program."""
    if not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}.")
    docs = set(codings.source_name)
    units = segments[segments.doc_id.isin(docs) & (segments.speaker != "E")]
    by_doc = {d: g for d, g in units.groupby("doc_id")}
    out: dict[str, dict[str, set[str]]] = {}
    for coder in sorted(set(codings.coder.astype(str))):
        out[coder] = {s: set() for s in units.segment_id}
    for r in codings.itertuples():
        segs = by_doc.get(r.source_name)
        if segs is None:
            continue
        start, end = int(r.start), int(r.end)
        overlap = (np.minimum(segs.end.to_numpy(), end) - np.maximum(segs.start.to_numpy(), start)).clip(min=0)
        shorter = np.minimum(segs.end.to_numpy() - segs.start.to_numpy(), end - start).clip(min=1)
        for sid in segs.segment_id.to_numpy()[overlap >= min_overlap * shorter]:
            out[str(r.coder)][sid].add(str(r.code))
    return {coder: {s: frozenset(c) for s, c in coding.items()} for coder, coding in out.items()}


def agreement_from_project(codings: pd.DataFrame, segments: pd.DataFrame, engine: pd.DataFrame, codes: list[str],
                           seed: int = 0, n_boot: int = 1000, engine_name: str = "motor") -> pd.DataFrame:
    """Per code, the agreement of every person of a REFI-QDA project with the engine, and of every pair of
    people, on the informants' segments of the sources the project codes (see :func:`project_codings`).

    One row per (pair, code) plus a row ``code == "(todas)"`` with the pooled alpha and the mean kappa, each with
    its bootstrap interval over segments. Columns: coder_a, coder_b, code, segments, agreement_pct, kappa,
    alpha and their ``_low``/``_high`` bounds."""
    people = project_codings(codings, segments)
    if not people:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    units = next(iter(people.values())).keys()
    pairs = [(p, engine_name, people[p], auto_coding(engine, units)) for p in people]
    names = sorted(people)
    pairs += [(a, b, people[a], people[b]) for i, a in enumerate(names) for b in names[i + 1:]]
    frames = []
    for a_name, b_name, a, b in pairs:
        rep = compare(a, b, codes, seed=seed, n_boot=n_boot, names=("a", "b"))
        per = rep.per_code.assign(coder_a=a_name, coder_b=b_name, segments=int(rep.overall["segments"]))
        o = rep.overall
        pooled = {"coder_a": a_name, "coder_b": b_name, "code": "(todas)", "segments": int(o["segments"]),
                  "agreement_pct": o["decision_agreement_pct"], "agreement_low": o["decision_agreement_low"],
                  "agreement_high": o["decision_agreement_high"], "kappa": o["mean_kappa"],
                  "kappa_low": o["mean_kappa_low"], "kappa_high": o["mean_kappa_high"], "alpha": o["alpha"],
                  "alpha_low": o["alpha_low"], "alpha_high": o["alpha_high"]}
        frames.append(pd.concat([per[AGREEMENT_COLUMNS], pd.DataFrame([pooled])[AGREEMENT_COLUMNS]], ignore_index=True))
    return pd.concat(frames, ignore_index=True)


AGREEMENT_COLUMNS = ["coder_a", "coder_b", "code", "segments", "agreement_pct", "agreement_low", "agreement_high",
                     "kappa", "kappa_low", "kappa_high", "alpha", "alpha_low", "alpha_high"]


def with_intervals(df: pd.DataFrame, stats: dict[str, int]) -> pd.DataFrame:
    """Each statistic column as text "estimate [low; high]" (its bounds ``<base>_low``/``<base>_high`` dropped,
    where ``base`` is the column without a ``_pct`` suffix), for tables; ``stats``: column -> decimals.
    An undefined value reads "—"."""
    out = df.copy()
    for s, d in stats.items():
        base = s.removesuffix("_pct")
        low, high = f"{base}_low", f"{base}_high"
        values = []
        for est, lo, hi in zip(out[s], out[low], out[high], strict=True):
            if pd.isna(est):
                values.append("—")
            else:
                interval = "" if pd.isna(lo) or pd.isna(hi) else f" [{lo:.{d}f}; {hi:.{d}f}]"
                values.append(f"{est:.{d}f}{interval}")
        out[s] = values
        out = out.drop(columns=[low, high])
    return out
