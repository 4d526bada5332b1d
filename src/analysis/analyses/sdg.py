"""Dictionary-based coding of Spanish texts against the 17 Sustainable Development Goals (ODS).

The dictionary (data/curated/ods_diccionario.yml) lists, per goal, weighted patterns of one or more
words and exclusion patterns. Texts are lemmatised with the shared spaCy pipeline (tagger and
lemmatiser only; parser and NER are switched off) and every word is compared by its accent-free
surface form *and* its lemma, so "residuos" matches "residuo" and "educativas" matches "educativo".
A word ending in ``*`` in a pattern is a prefix. Function words are ignored on both sides and one
extra content word may sit between two pattern words ("agua potable" matches "agua no potable").

Scoring: every match adds its weight to its goal; a match wholly inside a longer match is dropped
(so "violencia de género" counts for goal 5 and not also "violencia" for goal 16); exclusion patterns
cancel the words they cover for their goal. The top goal is the highest score; ties go to the goal
with the strongest single match, then to the longest match, then to the lower goal number. Any
signal yields an answer; a text without any match gets no goal and zero scores.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.ingest.plans import segment_body
from analysis.ingest.sources import require
from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

GOALS: tuple[int, ...] = tuple(range(1, 18))
SCORE_COLUMNS: tuple[str, ...] = tuple(f"score_{g}" for g in GOALS)
DICTIONARY_PATH: Path = paths.CURATED / "ods_diccionario.yml"
VALIDATION_PATH: Path = paths.CURATED / "ods_validacion.csv"
#: Pipeline components not needed for lemmas (spaCy's Spanish lemmatiser needs the morphologizer).
DISABLE: tuple[str, ...] = ("parser", "ner")
BATCH_SIZE = 256
#: A goal is listed in ``sdgs`` when its score reaches this share of the top score (and MIN_SCORE).
RELATIVE_THRESHOLD = 0.5
MIN_SCORE = 1.0
MAX_GAP = 1
#: Share of a goal's weaker matches added to its strongest one.
SECONDARY_SHARE = 0.5

STOPWORDS: frozenset[str] = frozenset(
    (
        "a", "al", "ante", "con", "contra", "de", "del", "desde", "durante", "e", "el", "en", "entre", "hacia", "hasta",
        "la", "las", "le", "les", "lo", "los", "mediante", "o", "para", "por", "que", "se", "segun", "sin", "so",
        "sobre", "su", "sus", "tras", "u", "un", "una", "unas", "unos", "y", "ya", "como", "cual", "cuales", "este",
        "esta", "estos", "estas", "ese", "esa", "esos", "esas", "aquel", "aquella", "nuestro", "nuestra", "nuestros",
        "nuestras", "mas", "muy", "asi", "todo", "toda", "todos", "todas", "otro", "otra", "otros", "otras", "cada",
        "ser", "es", "son", "sea", "sean", "fue", "han", "ha", "haber"
    )
)


class DictionaryError(ValueError):
    """The ODS dictionary file is malformed; the message names the file, goal and pattern."""


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern: per word either a set of exact forms or a prefix."""

    goal: int
    text: str
    weight: float
    words: tuple[tuple[str, frozenset[str]], ...]  # ("exact", forms) or ("prefix", {prefix})
    exclude: bool = False

    def word_matches(self, j: int, token: tuple[str, str]) -> bool:
        kind, forms = self.words[j]
        if kind == "exact":
            return token[0] in forms or token[1] in forms
        (prefix,) = forms
        return token[0].startswith(prefix) or token[1].startswith(prefix)


@dataclass
class Dictionary:
    """Compiled dictionary with an index on each pattern's first word."""

    patterns: list[Pattern]
    titles: dict[int, str] = field(default_factory=dict)
    first_exact: dict[str, list[Pattern]] = field(default_factory=dict)
    first_prefix: dict[str, list[Pattern]] = field(default_factory=dict)
    prefix_lengths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        exact: dict[str, list[Pattern]] = defaultdict(list)
        prefix: dict[str, list[Pattern]] = defaultdict(list)
        for p in self.patterns:
            kind, forms = p.words[0]
            for f in forms:
                (exact if kind == "exact" else prefix)[f].append(p)
        self.first_exact, self.first_prefix = dict(exact), dict(prefix)
        self.prefix_lengths = tuple(sorted({len(k) for k in prefix}))


def content_tokens(doc: Iterable) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(accent-free surface, accent-free lemma) of the content words of a spaCy Doc."""
    out: list[tuple[str, str]] = []
    for tok in doc:
        if tok.is_punct or tok.is_space:
            continue
        surface = normalise(tok.text)
        if not surface:
            continue
        parts = surface.split()
        if len(parts) > 1:  # "público-privadas" -> two words
            out.extend((w, w) for w in parts if w not in STOPWORDS)
        elif surface not in STOPWORDS:
            out.append((surface, normalise(tok.lemma_) or surface))
    return out


def _compile_patterns(entries: list[tuple[int, str, float, bool]], source: str) -> list[Pattern]:
    nlp = load_nlp(DISABLE)
    texts = [e[1].replace("*", " ") for e in entries]
    compiled: list[Pattern] = []
    for (goal, raw, weight, exclude), doc in zip(entries, nlp.pipe(texts, batch_size=BATCH_SIZE), strict=True):
        starred = {normalise(w.rstrip("*")) for w in raw.split() if w.endswith("*")}
        words: list[tuple[str, frozenset[str]]] = []
        for surface, lemma in content_tokens(doc):
            if surface in starred:
                words.append(("prefix", frozenset({surface})))
            else:
                words.append(("exact", frozenset({surface, lemma})))
        if not words:
            raise DictionaryError(f"{source}: goal {goal}, pattern {raw!r} has no content word; remove it.")
        compiled.append(Pattern(goal, raw, weight, tuple(words), exclude))
    return compiled


def _goal_number(key: object, source: str) -> int:
    """The goal a key under 'objetivos:' names (1-17), or a DictionaryError naming the key."""
    text = str(key).strip() if isinstance(key, int | str) and not isinstance(key, bool) else ""
    if not text.isdigit():
        raise DictionaryError(f"{source}: goal key {key!r} is not a goal number 1-17 under 'objetivos:'; "
                              "write each goal as its number (1:, 2:, ... 17:).")
    goal = int(text)
    if goal not in GOALS:
        raise DictionaryError(f"{source}: goal {goal} is not one of the 17 SDGs (1-17); remove it or fix its number.")
    return goal


def _yaml_word(value: object) -> str:
    """How a non-text YAML key was written (null, true...), for messages."""
    words: dict[object, str] = {None: "null", True: "true", False: "false"}
    return words.get(value, str(value))


def _term_text(term: object, goal: int, source: str, what: str) -> str:
    """A pattern as text; None, booleans and empty strings are errors naming the goal."""
    if term is None or isinstance(term, bool) or not isinstance(term, str | int | float):
        raise DictionaryError(f"{source}: goal {goal}: {what} {_yaml_word(term)!r} ({term!r}) is not text; write the "
                              "words of the term (quote it if YAML reads it as another type) or remove it.")
    text = str(term)
    if not text.strip():
        raise DictionaryError(f"{source}: goal {goal}: an empty term; remove it or write its words.")
    return text


def _entries_from_yaml(doc: dict, source: str) -> tuple[list[tuple[int, str, float, bool]], dict[int, str]]:  # type: ignore[type-arg]
    goals = doc.get("objetivos") if isinstance(doc, dict) else None
    if not isinstance(goals, dict):
        raise DictionaryError(f"{source}: expected a mapping 'objetivos:' with the goals 1-17.")
    numbered = {_goal_number(k, source): spec for k, spec in goals.items()}
    missing = sorted(set(GOALS) - set(numbered))
    if missing:
        raise DictionaryError(f"{source}: goals {missing} are missing under 'objetivos:'.")
    entries: list[tuple[int, str, float, bool]] = []
    titles: dict[int, str] = {}
    for goal, spec in numbered.items():
        if not isinstance(spec, dict):
            raise DictionaryError(f"{source}: goal {goal}: expected a mapping with 'terminos:' (term: weight), "
                                  f"'titulo:' and 'excluir:', got a {type(spec).__name__}.")
        titles[goal] = str(spec.get("titulo", goal))
        terms = spec.get("terminos") or {}
        if not isinstance(terms, dict):
            raise DictionaryError(f"{source}: goal {goal}: 'terminos' must map each term to its weight "
                                  f"(pobreza: 3), got a {type(terms).__name__}.")
        for pattern, weight in terms.items():
            text = _term_text(pattern, goal, source, "term")
            try:
                w = float(weight)
            except (TypeError, ValueError) as exc:
                raise DictionaryError(f"{source}: goal {goal}, pattern {text!r}: weight {weight!r} is not a number.") from exc
            if not (w > 0 and math.isfinite(w)):
                raise DictionaryError(f"{source}: goal {goal}, pattern {text!r}: weight must be positive.")
            entries.append((goal, text, w, False))
        excluded = spec.get("excluir") or []
        if not isinstance(excluded, list):
            raise DictionaryError(f"{source}: goal {goal}: 'excluir' must be a list of expressions, "
                                  f"got a {type(excluded).__name__}.")
        for p in excluded:
            if p is None or isinstance(p, bool) or not isinstance(p, str | int | float):
                raise DictionaryError(f"{source}: goal {goal}: 'excluir' entry {p!r} is not text; write the expression "
                                      "or remove the entry.")
            entries.append((goal, _term_text(p, goal, source, "'excluir' entry"), 0.0, True))
    if not any(not exclude for _, _, _, exclude in entries):
        raise DictionaryError(f"{source}: no term under any goal ('terminos:' is empty everywhere); nothing could be "
                              "classified. Add terms or use the compendium's dictionary.")
    return entries, titles


def check_goals(d: Dictionary) -> None:
    """Every pattern of a dictionary scores one of the 17 goals (a DictionaryError names any other)."""
    for p in d.patterns:
        if p.goal not in GOALS:
            raise DictionaryError(f"the ODS dictionary has goal {p.goal} (pattern {p.text!r}), which is not one of the "
                                  "17 SDGs (1-17); remove it or fix its number.")


@lru_cache(maxsize=4)
def load_sdg_dictionary(path: Path = DICTIONARY_PATH) -> Dictionary:
    """Read and compile the ODS dictionary (cached per path)."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DictionaryError(f"{path}: ODS dictionary not found; restore it from git.") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"{path}: not valid YAML ({exc}).") from exc
    except IsADirectoryError as exc:
        raise DictionaryError(f"{path}: is a folder; give the ODS dictionary's YAML file.") from exc
    entries, titles = _entries_from_yaml(doc, str(path))
    return Dictionary(_compile_patterns(entries, str(path)), titles)


def title_dictionary(titles: dict[str, str]) -> Dictionary:
    """Baseline dictionary: every content word of each goal's official title and short title, weight 1.

    ``titles`` is the Open SDG translation file as a mapping ("1-title", "1-short", ...).
    """
    entries: list[tuple[int, str, float, bool]] = []
    for goal in GOALS:
        words = f"{titles.get(f'{goal}-short', '')} {titles.get(f'{goal}-title', '')}".split()
        seen: set[str] = set()
        for w in words:
            n = normalise(w)
            if n and n not in STOPWORDS and n not in seen and not n.isdigit():
                seen.add(n)
                entries.append((goal, n, 1.0, False))
    return Dictionary(_compile_patterns(entries, "titles"), {g: titles.get(f"{g}-short", "") for g in GOALS})


def load_titles() -> dict[str, str]:
    """Official Spanish goal titles (source ``ods_titulos``)."""
    return {str(k): str(v) for k, v in yaml.safe_load(require("ods_titulos").read_text(encoding="utf-8")).items()}


def _match_at(p: Pattern, tokens: list[tuple[str, str]], start: int) -> tuple[int, ...] | None:
    """Positions of the matched words if ``p`` matches starting at ``start``, else None."""
    pos = [start]
    for j in range(1, len(p.words)):
        for nxt in range(pos[-1] + 1, min(pos[-1] + 2 + MAX_GAP, len(tokens))):
            if p.word_matches(j, tokens[nxt]):
                pos.append(nxt)
                break
        else:
            return None
    return tuple(pos)


def find_matches(tokens: list[tuple[str, str]], d: Dictionary) -> list[tuple[tuple[int, ...], Pattern]]:
    """All (matched positions, pattern) in a token list, exclusions included."""
    found: list[tuple[tuple[int, ...], Pattern]] = []
    for i, tok in enumerate(tokens):
        cands: dict[int, Pattern] = {}
        for key in dict.fromkeys((tok[0], tok[1])):  # insertion order, not hash order: same result every run
            for p in d.first_exact.get(key, ()):
                cands[id(p)] = p
            for n in d.prefix_lengths:
                if len(key) >= n:
                    for p in d.first_prefix.get(key[:n], ()):
                        cands[id(p)] = p
        for p in cands.values():
            where = _match_at(p, tokens, i)
            if where is not None:
                found.append((where, p))
    return found


def kept_matches(tokens: list[tuple[str, str]], d: Dictionary) -> list[tuple[set[int], Pattern]]:
    """The matches that count: exclusions applied, matches inside a longer one dropped."""
    matches = find_matches(tokens, d)
    excluded: dict[int, set[int]] = defaultdict(set)
    for span, p in matches:
        if p.exclude:
            excluded[p.goal].update(range(span[0], span[-1] + 1))
    positive = [(set(w), p) for w, p in matches if not p.exclude and not (set(w) & excluded[p.goal])]
    positive.sort(key=lambda m: (-len(m[0]), -m[1].weight, min(m[0])))
    kept: list[tuple[set[int], Pattern]] = []
    for where, p in positive:
        if any(where <= kw and (len(kw) > len(where) or kp.goal == p.goal) for kw, kp in kept):
            continue  # inside a longer match, or the same words already counted for this goal
        kept.append((where, p))
    return kept


def score_tokens(tokens: list[tuple[str, str]], d: Dictionary) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
    """Goal scores and, per goal, (strongest single weight, longest match) for tie-breaking.

    A goal's score is its strongest match plus half the weight of its other matches, so that one
    specific term outweighs a pile of loosely related words.
    """
    return score_matches(kept_matches(tokens, d))


def score_matches(kept: list[tuple[set[int], Pattern]]) -> tuple[dict[int, float], dict[int, tuple[float, int]]]:
    """Goal scores and tie-break strengths from the kept matches (see ``score_tokens``)."""
    weights: dict[int, list[float]] = defaultdict(list)
    strength: dict[int, tuple[float, int]] = {}
    for where, p in kept:
        weights[p.goal].append(p.weight)
        strength[p.goal] = max(strength.get(p.goal, (0.0, 0)), (p.weight, len(where)))
    scores = {g: max(ws) + SECONDARY_SHARE * (sum(ws) - max(ws)) for g, ws in weights.items()}
    return scores, strength


def rank_goals(scores: dict[int, float], strength: dict[int, tuple[float, int]]) -> list[int]:
    """Goals with a positive score, strongest first (ties: single weight, match length, goal number)."""
    pos = [g for g in GOALS if scores.get(g, 0) > 0]
    return sorted(pos, key=lambda g: (-round(scores[g], 9), -strength[g][0], -strength[g][1], g))


def detected_goals(scores: dict[int, float], ranked: list[int]) -> list[int]:
    """The top goal plus every goal reaching MIN_SCORE and RELATIVE_THRESHOLD x the top score."""
    if not ranked:
        return []
    top = scores[ranked[0]]
    return [ranked[0]] + [g for g in ranked[1:] if scores[g] >= MIN_SCORE and scores[g] >= RELATIVE_THRESHOLD * top]


def _missing(value: object) -> bool:
    """None, pandas' NA or a float NaN (an empty cell)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def classify_texts(
    texts: Sequence[str], dictionary: Dictionary | None = None, batch_size: int = BATCH_SIZE
) -> pd.DataFrame:
    """One row per text: ``top_sdg`` (Int64, <NA> without signal), ``sdgs`` ("5;16"), score_1..score_17."""
    d = dictionary or load_sdg_dictionary()
    check_goals(d)
    nlp = load_nlp(DISABLE)
    clean = ["" if _missing(t) else str(t) for t in texts]
    rows = []
    for doc in nlp.pipe(clean, batch_size=batch_size):
        scores, strength = score_tokens(content_tokens(doc), d)
        ranked = rank_goals(scores, strength)
        row: dict[str, object] = {
            "top_sdg": ranked[0] if ranked else pd.NA,
            "sdgs": ";".join(str(g) for g in detected_goals(scores, ranked)),
        }
        row.update({f"score_{g}": round(scores.get(g, 0.0), 3) for g in GOALS})
        rows.append(row)
    out = pd.DataFrame(rows, columns=["top_sdg", "sdgs", *SCORE_COLUMNS])
    out["top_sdg"] = out["top_sdg"].astype("Int64")
    return out


# --- validation ---------------------------------------------------------------------------------


def parse_goals(value: object) -> set[int]:
    """'5;16' -> {5, 16}; empty or missing -> empty set."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return set()
    return {int(x) for x in str(value).replace(",", ";").split(";") if x.strip()}


def read_validation(path: Path = VALIDATION_PATH) -> pd.DataFrame:
    """The labelled validation sentences (id, text, sdgs, note) plus ``batch`` (A: tuning, B: held back)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = [c for c in ("id", "text", "sdgs", "note") if c not in df.columns]
    if bad:
        raise ValueError(f"{path}: missing columns {bad}; expected id, text, sdgs, note.")
    for n, row in df.iterrows():
        goals = parse_goals(row.sdgs)
        if not goals or not goals <= set(GOALS):
            raise ValueError(f"{path}: row {n + 2} (id {row.id}): sdgs {row.sdgs!r} must list goals 1-17.")
    df["batch"] = df["id"].str[0]
    return df


def evaluate(gold: Sequence[object], top: Sequence[object], predicted: Sequence[object]) -> tuple[dict[str, float], pd.DataFrame]:
    """Top-1 accuracy (top goal among the gold goals; no answer is wrong), coverage, macro-F1 and
    per-goal precision/recall/F1 of the detected goal sets against the gold sets."""
    g_sets = [parse_goals(x) for x in gold]
    p_sets = [parse_goals(x) for x in predicted]
    tops = [None if (_missing(t) or t == "") else int(str(t)) for t in top]
    n = len(g_sets)
    acc = sum(1 for t, g in zip(tops, g_sets, strict=True) if t is not None and t in g) / n if n else float("nan")
    rows = []
    for goal in GOALS:
        tp = sum(1 for g, p in zip(g_sets, p_sets, strict=True) if goal in g and goal in p)
        fp = sum(1 for g, p in zip(g_sets, p_sets, strict=True) if goal not in g and goal in p)
        fn = sum(1 for g, p in zip(g_sets, p_sets, strict=True) if goal in g and goal not in p)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"sdg": goal, "support": tp + fn, "precision": prec, "recall": rec, "f1": f1})
    per_goal = pd.DataFrame(rows)
    summary = {
        "n": float(n),
        "top1_accuracy": acc,
        "coverage": sum(t is not None for t in tops) / n if n else float("nan"),
        "macro_f1": float(per_goal.f1.mean()),
    }
    return summary, per_goal


def validate(df: pd.DataFrame, dictionary: Dictionary | None = None) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Classify the validation texts and evaluate; returns (summary, per-goal table, predictions)."""
    pred = classify_texts(df["text"].tolist(), dictionary)
    summary, per_goal = evaluate(df["sdgs"].tolist(), pred["top_sdg"].tolist(), pred["sdgs"].tolist())
    return summary, per_goal, pred


# --- plans: segment scores, shares and international cooperation ----------------------------------


def classify_segments(segments: pd.DataFrame, dictionary: Dictionary | None = None) -> pd.DataFrame:
    """Scores of every plan segment (heading labels and numbers removed before coding)."""
    bodies = [segment_body(t) for t in segments["text"]]
    res = classify_texts(bodies, dictionary)
    keys = segments[["segment_id", "plan_id", "inegi_code", "eje", "level"]].reset_index(drop=True)
    return pd.concat([keys, res], axis=1)


def goal_shares(scores: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Share of segments of each group in which each goal is detected (rows: groups, columns: 1..17)."""
    by = [by] if isinstance(by, str) else by
    flags = pd.DataFrame({g: [g in parse_goals(s) for s in scores["sdgs"]] for g in GOALS}, index=scores.index)
    return flags.groupby([scores[c] for c in by]).mean().round(4)


def load_cooperation_patterns(path: Path = DICTIONARY_PATH) -> dict[str, tuple[str, list[re.Pattern[str]]]]:
    """Category -> (Spanish title, compiled regular expressions) for international cooperation."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    spec = doc.get("cooperacion_internacional")
    if not isinstance(spec, dict) or not spec:
        raise DictionaryError(f"{path}: expected a mapping 'cooperacion_internacional:' with pattern categories.")
    out: dict[str, tuple[str, list[re.Pattern[str]]]] = {}
    for cat, entry in spec.items():
        try:
            out[str(cat)] = (str(entry.get("titulo", cat)), [re.compile(p) for p in entry["patrones"]])
        except (re.error, KeyError, TypeError) as exc:
            raise DictionaryError(f"{path}: cooperation category {cat!r}: {exc}.") from exc
    return out


def code_cooperation(segments: pd.DataFrame, path: Path = DICTIONARY_PATH) -> pd.DataFrame:
    """Per segment, the number of mentions of each international-cooperation category."""
    pats = load_cooperation_patterns(path)
    norm = [normalise(t) for t in segments["text"]]
    out = segments[["segment_id", "plan_id", "inegi_code"]].reset_index(drop=True).copy()
    for cat, (_, rxs) in pats.items():
        out[cat] = [sum(len(rx.findall(t)) for rx in rxs) for t in norm]
    return out


def cooperation_by_plan(coded: pd.DataFrame) -> pd.DataFrame:
    """Mentions per plan and category, plus the number of segments with any mention."""
    cats = [c for c in coded.columns if c not in ("segment_id", "plan_id", "inegi_code")]
    per = coded.groupby(["plan_id", "inegi_code"])[cats].sum()
    per["segments_with_mentions"] = (coded[cats].sum(axis=1) > 0).groupby([coded.plan_id, coded.inegi_code]).sum()
    per["total_mentions"] = per[cats].sum(axis=1)
    return per.reset_index().sort_values("plan_id").reset_index(drop=True)


def validation_table(val: pd.DataFrame, titles: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary metrics per batch (A: tuning, B: held back, all) for the dictionary and the title-only
    baseline, and the per-goal precision/recall of the dictionary on every batch (long format)."""
    methods = {"diccionario": load_sdg_dictionary(), "solo_titulos": title_dictionary(titles)}
    batches = {"A": val[val.batch == "A"], "B": val[val.batch == "B"], "todos": val}
    rows, goals = [], []
    for method, d in methods.items():
        pred = classify_texts(val["text"].tolist(), d)
        pred.index = val.index
        for batch, sub in batches.items():
            p = pred.loc[sub.index]
            summary, per_goal = evaluate(sub["sdgs"].tolist(), p["top_sdg"].tolist(), p["sdgs"].tolist())
            rows.append({"batch": batch, "method": method} | summary)
            if method == "diccionario":
                goals.append(per_goal.assign(batch=batch))
    summary_df = pd.DataFrame(rows)
    summary_df["n"] = summary_df["n"].astype(int)
    per_goal_df = pd.concat(goals, ignore_index=True)[["batch", "sdg", "support", "precision", "recall", "f1"]]
    return summary_df, per_goal_df
