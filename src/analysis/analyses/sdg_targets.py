"""Alignment of Spanish texts with the 169 targets (metas) of the SDGs: explainable, and able to abstain.

Knowledge: the official Spanish texts of the 169 targets (source ``ods_metas``; keys like ``11-2-title``
and ``17-a-title``), lemmatised with the shared spaCy pipeline, plus a short link vocabulary per target
in the words of Mexican municipal planning (section ``metas:`` of data/curated/ods_diccionario.yml).
Nothing else about the targets is used (no word vectors, no indicator texts).

Scoring of one text, after the single spaCy pass that the goal dictionary also uses:

1. *Lexical evidence* of each target: BM25 over content lemmas (stop words and the boilerplate of the
   official texts out, see ``BOILERPLATE``) between the text and the target's official text plus its
   link vocabulary. The lemmas that match are the evidence.
2. *Dictionary evidence* of each goal: the score of the ODS dictionary (``analysis.analyses.sdg``).
3. The combined score of a target is ``dictionary score of its goal + LEXICAL_WEIGHT x lexical``
   (on the dictionary's scale): the dictionary boosts every target of the goals it detects, the
   official texts choose among them and can still point to a goal the dictionary missed.

The best target gives the best goal (``top_sdg``); ``targets`` lists the three best targets. When the
best combined score is below the threshold (``DEFAULT_THRESHOLD``, calibrated with
``calibrate_threshold``: the highest threshold that keeps ``KEEP_SHARE`` of the correct answers of
the tuning batch A of data/curated/ods_validacion.csv) the text gets no goal and no target: the coder
abstains. The three candidate targets and their scores are still
reported, so that an abstention can be inspected.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import paths
from analysis.analyses.sdg import (
    BATCH_SIZE,
    DICTIONARY_PATH,
    DISABLE,
    GOALS,
    RELATIVE_THRESHOLD,
    SCORE_COLUMNS,
    STOPWORDS,
    Dictionary,
    DictionaryError,
    Pattern,
    check_goals,
    content_tokens,
    kept_matches,
    load_sdg_dictionary,
    parse_goals,
    read_validation,
    score_matches,
)
from analysis.ingest.plans import segment_body
from analysis.ingest.sources import require
from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

TARGETS_SOURCE = "ods_metas"
TARGET_KEY = re.compile(r"^(?P<goal>\d{1,2})-(?P<num>\d{1,2}|[a-z])-title$")
TARGET_CODE = re.compile(r"^(?P<goal>\d{1,2})\.(?P<num>\d{1,2}|[a-z])$")
N_TARGETS = 169
#: BM25 constants (the usual defaults; not tuned).
K1 = 1.2
B = 0.75
#: Weight of the BM25 score of the official texts, added to the goal dictionary's score (chosen with
#: ``choose_lexical_weight`` on batch A and leave-one-target-out; the test suite recomputes it).
LEXICAL_WEIGHT = 0.1
#: Share of the correct answers of the tuning batch A that the threshold must keep.
KEEP_SHARE = 0.95
#: Minimum combined score of the best target for an answer (``calibrate_on_tuning``; the test suite
#: recomputes it).
DEFAULT_THRESHOLD = 3.9
TOP_K = 3
TARGET_COLUMNS: tuple[str, ...] = ("top_target", "targets", "target_score_1", "target_score_2", "target_score_3")
#: Words of the official texts that say where, when and how strongly, not what: they would match any
#: plan ("de aquí a 2030", "países menos adelantados", "pequeños Estados insulares").
BOILERPLATE: frozenset[str] = frozenset(
    (
        "aqui", "ano", "pais", "adelantado", "insular", "estado", "mundo", "mundial", "particular", "incluido",
        "incluso", "fin", "especial", "medida", "mediante", "todo", "nivel", "forma", "cabo", "menos", "mas",
        "mitad", "al", "menos", "plano", "ambito", "conforme", "arreglo", "acuerdo", "respecto", "caso",
    )
)
STATED = re.compile(
    r"alineaci[oó]n\s+(?:con\s+(?:los\s+|el\s+)?)?(?:ODS|Agenda\s+2030)\s*:\s*(?:metas?\s*)?"
    r"(?P<codes>\d{1,2}\.(?:\d{1,2}|[a-z])(?:\s*(?:,|;|y)\s*(?:meta\s*)?\d{1,2}\.(?:\d{1,2}|[a-z]))*)\.?",
    re.IGNORECASE,
)


class TargetsError(ValueError):
    """The official target texts are missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Target:
    """One SDG target: its code ("11.2"), goal and official Spanish text."""

    code: str
    goal: int
    text: str


def target_order(code: str) -> tuple[int, int, int]:
    """Sort key: goal, then numbered targets (1.1 .. 1.5) before lettered ones (1.a, 1.b)."""
    m = TARGET_CODE.match(code)
    if m is None:
        raise ValueError(f"{code!r} is not a target code like '11.2' or '17.a'.")
    num = m.group("num")
    return (int(m.group("goal")), 0 if num.isdigit() else 1, int(num) if num.isdigit() else ord(num))


def load_targets(path: Path | None = None) -> list[Target]:
    """The 169 targets from the official Spanish texts (source ``ods_metas``), in target order."""
    path = Path(path) if path is not None else require(TARGETS_SOURCE)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TargetsError(f"{path}: file of target texts not found; run `python -m analysis data fetch`.") from exc
    except yaml.YAMLError as exc:
        raise TargetsError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(doc, dict):
        raise TargetsError(f"{path}: expected a mapping of keys like '11-2-title' to texts.")
    out: list[Target] = []
    for key, text in doc.items():
        m = TARGET_KEY.match(str(key))
        if m is None:
            continue  # other keys of the translation file are not targets
        if not isinstance(text, str) or not text.strip():
            raise TargetsError(f"{path}: key {key!r} has no text; restore the file (its checksum is in data/sources.yml).")
        goal = int(m.group("goal"))
        if goal not in GOALS:
            raise TargetsError(f"{path}: key {key!r} names goal {goal}; goals are 1-17.")
        out.append(Target(f"{goal}.{m.group('num')}", goal, " ".join(text.split())))
    if len(out) != N_TARGETS:
        raise TargetsError(f"{path}: {len(out)} target texts found, expected {N_TARGETS}; restore the file.")
    return sorted(out, key=lambda t: target_order(t.code))


#: Parts of speech that say what a text is about; verbs say what is done ("construir", "ampliar") and
#: would match any target that happens to use the same verb.
TERM_POS: frozenset[str] = frozenset(("NOUN", "PROPN", "ADJ"))

#: A lemmatised text: (surface, lemma) content tokens for the goal dictionary, topic lemmas for BM25.
Parsed = tuple[list[tuple[str, str]], list[str]]


def doc_terms(doc: Iterable) -> list[str]:  # type: ignore[type-arg]
    """Topic lemmas of a spaCy Doc: nouns, proper nouns and adjectives, accent-free, without stop words,
    boilerplate and numbers."""
    out: list[str] = []
    for tok in doc:
        if tok.pos_ not in TERM_POS:
            continue
        for w in (normalise(tok.lemma_) or normalise(tok.text)).split():
            if w not in STOPWORDS and w not in BOILERPLATE and not w.isdigit() and len(w) > 1:
                out.append(w)
    return out


@dataclass
class TargetIndex:
    """BM25 postings over the lemmatised target texts (optionally without some targets)."""

    targets: list[Target]
    terms: list[list[str]]
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    goal_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @classmethod
    def build(cls, targets: list[Target], terms: list[list[str]], exclude: frozenset[int] = frozenset()) -> TargetIndex:
        keep = [i for i in range(len(targets)) if i not in exclude]
        n = len(keep)
        df: dict[str, int] = defaultdict(int)
        for i in keep:
            for w in set(terms[i]):
                df[w] += 1
        avgdl = sum(len(terms[i]) for i in keep) / n
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i in keep:
            tf: dict[str, int] = defaultdict(int)
            for w in terms[i]:
                tf[w] += 1
            norm = K1 * (1 - B + B * len(terms[i]) / avgdl)
            for w, f in tf.items():
                idf = math.log((n - df[w] + 0.5) / (df[w] + 0.5) + 1)
                postings[w].append((i, idf * f * (K1 + 1) / (f + norm)))
        active = np.zeros(len(targets), dtype=bool)
        active[keep] = True
        return cls(targets, terms, dict(postings), np.array([t.goal for t in targets]), active)

    def lexical(self, query: list[str]) -> tuple[np.ndarray, dict[int, list[tuple[str, float]]]]:
        """BM25 score of every target for a query (each distinct lemma once) and the matched lemmas."""
        scores = np.zeros(len(self.targets))
        matched: dict[int, list[tuple[str, float]]] = defaultdict(list)
        for w in dict.fromkeys(query):
            for i, s in self.postings.get(w, ()):
                scores[i] += s
                matched[i].append((w, s))
        return scores, matched


def load_bridge(path: Path = DICTIONARY_PATH, codes: set[str] | None = None) -> dict[str, list[str]]:
    """The link vocabulary per target (section ``metas:`` of the ODS dictionary): target -> phrases.

    It says in the words of Mexican municipal planning what a target says in the words of the United
    Nations; its lemmas are added to the target's official text. A missing section is an empty map.
    """
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise DictionaryError(f"{path}: ODS dictionary not found; restore it from git.") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"{path}: not a valid YAML text file ({exc}).") from exc
    if not isinstance(doc, dict):
        raise DictionaryError(f"{path}: expected a mapping with 'objetivos:' and 'metas:', got a {type(doc).__name__}.")
    spec = doc.get("metas") or {}
    if not isinstance(spec, dict):
        raise DictionaryError(f"{path}: 'metas:' must map target codes ('11.2') to lists of phrases.")
    out: dict[str, list[str]] = {}
    for code, phrases in spec.items():
        code = str(code)
        if TARGET_CODE.match(code) is None or (codes is not None and code not in codes):
            raise DictionaryError(f"{path}: 'metas:' entry {code!r} is not one of the 169 targets "
                                  "(write it quoted, as '11.2' or '17.a').")
        if not isinstance(phrases, list) or not all(isinstance(x, str) and x.strip() for x in phrases):
            raise DictionaryError(f"{path}: 'metas:' entry {code!r} must be a list of non-empty phrases.")
        out[code] = [str(x) for x in phrases]
    return out


@lru_cache(maxsize=4)
def target_terms(
    path: Path | None = None, bridge_path: Path | None = DICTIONARY_PATH
) -> tuple[tuple[Target, ...], tuple[tuple[str, ...], ...]]:
    """The targets and the content lemmas of their official texts plus their link vocabulary (cached).

    ``bridge_path=None`` leaves the link vocabulary out (official texts only).
    """
    targets = load_targets(path)
    bridge = load_bridge(bridge_path, {t.code for t in targets}) if bridge_path is not None else {}
    nlp = load_nlp(DISABLE)
    texts = [t.text + ". " + ". ".join(bridge.get(t.code, [])) for t in targets]
    docs = nlp.pipe(texts, batch_size=BATCH_SIZE)
    return tuple(targets), tuple(tuple(doc_terms(doc)) for doc in docs)


@lru_cache(maxsize=4)
def load_target_index(path: Path | None = None, bridge_path: Path | None = DICTIONARY_PATH) -> TargetIndex:
    """The index over all 169 targets (cached)."""
    targets, terms = target_terms(path, bridge_path)
    return TargetIndex.build(list(targets), [list(t) for t in terms])


# --- scoring ---------------------------------------------------------------------------------------


@dataclass
class Scored:
    """Everything computed for one text, before the threshold is applied."""

    goal_scores: dict[int, float]
    kept: list[tuple[set[int], Pattern]]
    lexical: np.ndarray
    combined: np.ndarray
    matched: dict[int, list[tuple[str, float]]]
    order: np.ndarray  # target indices, best first (active targets with a positive combined score)


def lemmatise(texts: Sequence[object], batch_size: int = BATCH_SIZE) -> list[Parsed]:
    """Content tokens and topic lemmas of every text (one spaCy pass; missing texts become empty)."""
    clean = ["" if t is None or t is pd.NA or (isinstance(t, float) and math.isnan(t)) else str(t) for t in texts]
    return [(content_tokens(doc), doc_terms(doc)) for doc in load_nlp(DISABLE).pipe(clean, batch_size=batch_size)]


def score_one(parsed: Parsed, d: Dictionary, index: TargetIndex, lexical_weight: float = LEXICAL_WEIGHT) -> Scored:
    tokens, terms = parsed
    kept = kept_matches(tokens, d)
    goal_scores, _ = score_matches(kept)
    lex, matched = index.lexical(terms)
    dvec = np.zeros(max(GOALS) + 1)
    for g, s in goal_scores.items():
        dvec[g] = s
    combined = np.where(index.active, dvec[index.goal_of] + lexical_weight * lex, 0.0)
    positions = np.arange(len(combined))
    # best first: combined score, then lexical evidence, then target order (numbered before lettered)
    order = np.lexsort((positions, -np.round(lex, 9), -np.round(combined, 9)))
    order = order[combined[order] > 0]
    return Scored(goal_scores, kept, lex, combined, matched, order)


def evidence_text(s: Scored, i: int, index: TargetIndex, max_words: int = 6) -> str:
    """Readable evidence of target ``i``: matched lemmas (BM25 share) and the goal's dictionary matches."""
    t = index.targets[i]
    words = sorted(s.matched.get(i, []), key=lambda m: -m[1])[:max_words]
    parts = []
    if words:
        parts.append(f"meta {t.code}: " + ", ".join(f"{w} ({v:.1f})" for w, v in words))
    pats = sorted({p.text for _, p in s.kept if p.goal == t.goal})
    if pats:
        parts.append(f"diccionario ODS {t.goal}: " + ", ".join(f"«{p}»" for p in pats))
    return "; ".join(parts)


def decide(s: Scored, index: TargetIndex, threshold: float = DEFAULT_THRESHOLD) -> dict[str, object]:
    """The output row of one scored text: goal, goals, dictionary scores, targets and evidence."""
    top = s.order[:TOP_K]
    best = float(s.combined[top[0]]) if len(top) else 0.0
    answer = len(top) > 0 and best >= threshold
    goal_best: dict[int, float] = {}
    for i in s.order:
        goal_best.setdefault(int(index.goal_of[i]), float(s.combined[i]))
    row: dict[str, object] = {}
    if answer:
        g_top = int(index.goal_of[top[0]])
        others = [g for g, v in goal_best.items() if g != g_top and v >= threshold and v >= RELATIVE_THRESHOLD * best]
        row["top_sdg"], row["sdgs"] = g_top, ";".join(str(g) for g in [g_top, *others])
    else:
        row["top_sdg"], row["sdgs"] = pd.NA, ""
    row.update({f"score_{g}": round(s.goal_scores.get(g, 0.0), 3) for g in GOALS})
    row["top_target"] = index.targets[top[0]].code if answer else ""
    row["targets"] = ";".join(index.targets[i].code for i in top)
    for k in range(TOP_K):
        row[f"target_score_{k + 1}"] = round(float(s.combined[top[k]]), 3) if k < len(top) else math.nan
    row["evidence"] = evidence_text(s, int(top[0]), index) if len(top) else ""
    return row


OUTPUT_COLUMNS: tuple[str, ...] = ("top_sdg", "sdgs", *SCORE_COLUMNS, *TARGET_COLUMNS, "evidence")


def classify_targets(
    texts: Sequence[object],
    dictionary: Dictionary | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    index: TargetIndex | None = None,
    lexical_weight: float = LEXICAL_WEIGHT,
    batch_size: int = BATCH_SIZE,
) -> pd.DataFrame:
    """One row per text: ``top_sdg`` (Int64, <NA> on abstention), ``sdgs``, ``score_1..17`` (goal
    dictionary), ``top_target`` ("11.2", empty on abstention), ``targets`` (three best candidates,
    "11.2;11.6;11.b"), ``target_score_1..3`` (combined scores) and ``evidence``."""
    if not math.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative number, got {threshold!r}.")
    d = dictionary or load_sdg_dictionary()
    check_goals(d)
    idx = index or load_target_index()
    rows = [decide(score_one(toks, d, idx, lexical_weight), idx, threshold) for toks in lemmatise(texts, batch_size)]
    out = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
    out["top_sdg"] = out["top_sdg"].astype("Int64")
    return out


# --- plans: stated alignment ---------------------------------------------------------------------


def split_stated(text: str) -> tuple[str, list[str]]:
    """Remove "Alineación ODS: meta 11.2, 11.6" statements from a text; return (rest, stated targets)."""
    codes: list[str] = []

    def grab(m: re.Match[str]) -> str:
        codes.extend(c.lower() for c in re.findall(r"\d{1,2}\.(?:\d{1,2}|[a-zA-Z])", m.group("codes")))
        return " "

    rest = " ".join(STATED.sub(grab, text).split())
    return rest, list(dict.fromkeys(codes))


def strip_stated(segments: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A copy of the plan segments without their stated-alignment statements, and the stated targets
    of each segment ("11.2;11.6", empty when none). The statements are removed before any coding, so
    that "Alineación ODS" does not count as a mention of the SDGs."""
    out = segments.copy()
    texts, stated = [], []
    for t in segments["text"]:
        rest, codes = split_stated(str(t))
        texts.append(rest)
        stated.append(";".join(codes))
    out["text"] = texts
    return out, stated


def classify_plan_targets(
    segments: pd.DataFrame, dictionary: Dictionary | None = None, threshold: float = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Target alignment of every plan segment (heading label and stated alignment removed first).

    Columns: segment_id, plan_id, inegi_code, eje, level, stated_targets, then the columns of
    ``classify_targets`` except the 17 goal scores.
    """
    clean, stated = strip_stated(segments)
    bodies = [segment_body(t) for t in clean["text"]]
    res = classify_targets(bodies, dictionary, threshold)
    keys = segments[["segment_id", "plan_id", "inegi_code", "eje", "level"]].reset_index(drop=True)
    keys["stated_targets"] = stated
    cols = ["top_sdg", "top_target", "targets", "target_score_1", "target_score_2", "target_score_3", "evidence"]
    return pd.concat([keys, res[cols]], axis=1)


def stated_vs_suggested(aligned: pd.DataFrame) -> pd.DataFrame:
    """Segments that state a target: stated targets, the suggestion, and whether they agree
    (``same_target``: the suggested target is among the stated; ``same_goal``: its goal is among the
    stated goals; ``in_top3``: a stated target is among the three candidates)."""
    sub = aligned[aligned["stated_targets"] != ""].copy()
    stated = [set(x.split(";")) for x in sub["stated_targets"]]
    cands = [set(x.split(";")) if x else set() for x in sub["targets"]]
    sub["same_target"] = [t in s for t, s in zip(sub["top_target"], stated, strict=True)]
    sub["same_goal"] = [bool(t) and t.split(".")[0] in {c.split(".")[0] for c in s}
                        for t, s in zip(sub["top_target"], stated, strict=True)]
    sub["in_top3"] = [bool(s & c) for s, c in zip(stated, cands, strict=True)]
    return sub.reset_index(drop=True)


def targets_by_group(aligned: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Segments per group and suggested target (abstentions left out), most frequent first."""
    by = [by] if isinstance(by, str) else list(by)
    sub = aligned[aligned["top_target"] != ""]
    counts = sub.groupby([*by, "top_target"]).size().rename("segments").reset_index()
    counts["_order"] = [target_order(t) for t in counts["top_target"]]
    counts = counts.sort_values([*by, "segments", "_order"], ascending=[True] * len(by) + [False, True], kind="stable")
    return counts.drop(columns="_order").reset_index(drop=True)


# --- calibration and validation -------------------------------------------------------------------


def calibrate_threshold(
    best_scores: Sequence[float], correct: Sequence[bool], keep: float = KEEP_SHARE
) -> tuple[float, pd.DataFrame]:
    """The highest threshold that still keeps ``keep`` of the correct answers.

    The tuning sentences all have a goal (there are no "no target" sentences to learn from), so the
    threshold is set from the scores of the correct answers: below the threshold lie the weakest
    ``1 - keep`` of them. Returns the threshold (rounded down to 0.01) and the curve (threshold,
    answered share, accuracy among answered, share of the correct answers kept).
    """
    s = np.asarray(best_scores, dtype=float)
    c = np.asarray(correct, dtype=bool)
    if len(s) != len(c) or not c.any():
        raise ValueError("calibrate_threshold needs as many scores as correctness flags and at least one correct answer.")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}.")
    right = np.sort(s[c])
    # the largest t with share(right >= t) >= keep: the score at position floor((1 - keep) * n)
    t = float(math.floor(right[math.floor((1 - keep) * len(right) + 1e-9)] * 100) / 100)
    rows = []
    for x in sorted({0.0, t, *np.round(np.quantile(s, np.linspace(0, 1, 21)), 2).tolist()}):
        ans = s >= x
        rows.append({"threshold": x, "answered": float(ans.mean()),
                     "accuracy_answered": float((ans & c).sum() / ans.sum()) if ans.any() else math.nan,
                     "correct_kept": float((ans & c).sum() / c.sum())})
    return t, pd.DataFrame(rows)


def score_texts(
    texts: Sequence[object], dictionary: Dictionary | None = None, index: TargetIndex | None = None,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> tuple[list[Scored], TargetIndex]:
    """Score texts once (no threshold), to evaluate several thresholds on the same pass."""
    d = dictionary or load_sdg_dictionary()
    check_goals(d)
    idx = index or load_target_index()
    return [score_one(toks, d, idx, lexical_weight) for toks in lemmatise(texts)], idx


def best_score(s: Scored) -> float:
    return float(s.combined[s.order[0]]) if len(s.order) else 0.0


def calibrate_on_tuning(lexical_weight: float = LEXICAL_WEIGHT) -> tuple[float, pd.DataFrame]:
    """Calibrate the threshold on batch A of data/curated/ods_validacion.csv (goal-level correctness)."""
    from_val = _tuning_batch()
    scored, idx = score_texts(from_val["text"].tolist(), lexical_weight=lexical_weight)
    correct = [len(s.order) > 0 and int(idx.goal_of[s.order[0]]) in parse_goals(g)
               for s, g in zip(scored, from_val["sdgs"], strict=True)]
    return calibrate_threshold([best_score(s) for s in scored], correct)


def _tuning_batch() -> pd.DataFrame:
    val = read_validation()
    return val[val.batch == "A"].reset_index(drop=True)


def top_goals(s: Scored, index: TargetIndex, k: int = TOP_K) -> list[int]:
    """The ``k`` best distinct goals, in the order of their best target."""
    out: list[int] = []
    for i in s.order:
        g = int(index.goal_of[i])
        if g not in out:
            out.append(g)
            if len(out) == k:
                break
    return out


def leave_one_target_out(
    dictionary: Dictionary | None = None, lexical_weight: float = LEXICAL_WEIGHT, threshold: float = DEFAULT_THRESHOLD,
    tokens: list[Parsed] | None = None,
) -> pd.DataFrame:
    """Classify each official target text with a knowledge base that excludes that target.

    One row per target: ``target``, ``goal``, ``pred_goal`` (<NA> on abstention), ``best_score``,
    ``top3_goals`` and ``goal_ok`` / ``top3_ok`` (the true goal is the answer / among the three best goals;
    an abstention is wrong for ``goal_ok``).
    """
    d = dictionary or load_sdg_dictionary()
    targets, terms = target_terms()
    toks = tokens if tokens is not None else lemmatise([t.text for t in targets])
    rows = []
    for i, t in enumerate(targets):
        idx = TargetIndex.build(list(targets), [list(x) for x in terms], frozenset({i}))
        s = score_one(toks[i], d, idx, lexical_weight)
        best = best_score(s)
        goals3 = top_goals(s, idx)
        answered = best >= threshold and best > 0
        rows.append({"target": t.code, "goal": t.goal, "pred_goal": goals3[0] if answered else pd.NA,
                     "best_score": round(best, 3), "top3_goals": ";".join(map(str, goals3)),
                     "goal_ok": answered and goals3[0] == t.goal, "top3_ok": t.goal in goals3})
    out = pd.DataFrame(rows)
    out["pred_goal"] = out["pred_goal"].astype("Int64")
    return out


def loto_summary(loto: pd.DataFrame) -> dict[str, float]:
    n = len(loto)
    answered = loto.pred_goal.notna()
    return {"n": float(n), "goal_accuracy": float(loto.goal_ok.mean()),
            "goal_accuracy_answered": float(loto.goal_ok[answered].mean()) if answered.any() else math.nan,
            "top3_goal_accuracy": float(loto.top3_ok.mean()), "abstention": float(1 - answered.mean())}


def choose_lexical_weight(grid: Sequence[float] = (0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0)) -> tuple[float, pd.DataFrame]:
    """Lexical weight with the best mean of goal accuracy on batch A and leave-one-target-out accuracy
    (no threshold); ties go to the largest weight (most say for the official texts)."""
    tune = _tuning_batch()
    d = load_sdg_dictionary()
    idx = load_target_index()
    toks_a = lemmatise(tune["text"].tolist())
    targets, _ = target_terms()
    toks_t = lemmatise([t.text for t in targets])
    rows = []
    for w in grid:
        scored = [score_one(t, d, idx, w) for t in toks_a]
        acc_a = float(np.mean([len(x.order) > 0 and int(idx.goal_of[x.order[0]]) in parse_goals(g)
                               for x, g in zip(scored, tune["sdgs"], strict=True)]))
        lo = leave_one_target_out(d, w, 0.0, toks_t)
        rows.append({"lexical_weight": w, "tuning_A_goal_accuracy": acc_a, "loto_goal_accuracy": float(lo.goal_ok.mean())})
    curve = pd.DataFrame(rows)
    curve["mean"] = (curve.tuning_A_goal_accuracy + curve.loto_goal_accuracy) / 2
    top = curve["mean"].round(9).max()
    best = curve.loc[curve["mean"].round(9) == top, "lexical_weight"].max()
    return float(best), curve


# --- the frozen in-domain set ----------------------------------------------------------------------

FROZEN_PATH: Path = paths.CURATED / "ods_metas_validacion.csv"
#: SHA-256 of the frozen set: it may not change (see data/curated/ods_metas_validacion.md).
FROZEN_SHA256 = "86d53d11fd02d0ff34401bedf301b1bb99ff1e807a572fbcd0d264d1fa4aeee6"
FROZEN_COLUMNS = ("sentence_id", "kind", "text", "target", "goal", "note")


def read_target_validation(path: Path = FROZEN_PATH) -> pd.DataFrame:
    """The frozen set of plan-like sentences labelled with their target (empty target: no target).

    Checks every row: unique ids, a target code that exists among the 169 official targets, and a
    goal equal to the target's prefix; the error names the file, line and field.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: frozen validation set not found; restore it from git.")
    if path.resolve() == FROZEN_PATH.resolve() and hashlib.sha256(path.read_bytes()).hexdigest() != FROZEN_SHA256:
        raise ValueError(f"{path}: the frozen set has changed since it was frozen (SHA-256 differs); "
                         "restore it from git (git checkout -- data/curated/ods_metas_validacion.csv).")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in FROZEN_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {', '.join(FROZEN_COLUMNS)}.")
    codes = {t.code for t in target_terms()[0]}
    dup = df.sentence_id[df.sentence_id.duplicated()].tolist()
    if dup:
        raise ValueError(f"{path}: sentence_id {dup[0]!r} appears more than once; ids must be unique.")
    for n, row in df.iterrows():
        line = int(n) + 2
        if not row.text.strip():
            raise ValueError(f"{path}: line {line} (id {row.sentence_id}): field 'text' is empty.")
        if row.target and row.target not in codes:
            raise ValueError(f"{path}: line {line} (id {row.sentence_id}): field 'target' {row.target!r} "
                             "is not one of the 169 targets.")
        if row.target.split(".")[0] != row.goal:
            raise ValueError(f"{path}: line {line} (id {row.sentence_id}): field 'goal' {row.goal!r} "
                             f"does not match target {row.target!r}.")
    return df


def evaluate_targets(gold: pd.DataFrame, pred: pd.DataFrame) -> tuple[dict[str, float], pd.DataFrame]:
    """Scores of a target classification against the frozen set (rows aligned).

    Summary: target and goal accuracy over the sentences that have a target (an abstention is wrong),
    the same among the answered ones, the abstention rate on those sentences and on the sentences
    without a target (there abstaining is right), top-3 target accuracy, and the sentences of other
    goals (or without a target) assigned to goals 17 and 8. Per goal: n, answered, goal and target
    accuracy, and how many sentences of other goals it received (``assigned_from_other``).
    """
    g_goal = gold["goal"].astype(str).tolist()
    g_target = gold["target"].astype(str).tolist()
    p_goal = ["" if pd.isna(x) else str(int(x)) for x in pred["top_sdg"]]
    p_target = [str(x) if isinstance(x, str) else "" for x in pred["top_target"]]
    cands = [str(x).split(";") if isinstance(x, str) and x else [] for x in pred["targets"]]
    has = np.array([bool(g) for g in g_goal])
    ans = np.array([bool(p) for p in p_goal])
    goal_ok = np.array([bool(g) and g == p for g, p in zip(g_goal, p_goal, strict=True)])
    target_ok = np.array([bool(g) and g == p for g, p in zip(g_target, p_target, strict=True)])
    top3_ok = np.array([bool(g) and g in c for g, c in zip(g_target, cands, strict=True)])
    n = int(has.sum())

    def share(x: np.ndarray, mask: np.ndarray) -> float:
        return float(x[mask].mean()) if mask.any() else math.nan

    summary = {
        "n": float(len(gold)), "n_with_target": float(n), "n_without_target": float((~has).sum()),
        "target_accuracy": share(target_ok, has), "goal_accuracy": share(goal_ok, has),
        "target_accuracy_answered": share(target_ok, has & ans), "goal_accuracy_answered": share(goal_ok, has & ans),
        "top3_target_accuracy": share(top3_ok, has), "abstention_with_target": share(~ans, has),
        "abstention_without_target": share(~ans, ~has),
        "other_to_17": float(sum(1 for g, p in zip(g_goal, p_goal, strict=True) if p == "17" and g != "17")),
        "other_to_8": float(sum(1 for g, p in zip(g_goal, p_goal, strict=True) if p == "8" and g != "8")),
    }
    rows = []
    for goal in GOALS:
        m = np.array([g == str(goal) for g in g_goal])
        rows.append({"sdg": goal, "n": int(m.sum()), "answered": int((m & ans).sum()),
                     "goal_accuracy": share(goal_ok, m), "target_accuracy": share(target_ok, m),
                     "assigned_from_other": sum(1 for g, p in zip(g_goal, p_goal, strict=True)
                                                if p == str(goal) and g != str(goal))})
    return summary, pd.DataFrame(rows)
