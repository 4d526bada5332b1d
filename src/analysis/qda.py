"""Qualitative data analysis engine: codebook, segmentation, automatic coding, frequencies,
co-occurrence, key quotes and memos.

The unit of coding is the *segment*: one sentence (spaCy's dependency parse) inside one speaker
turn. Segment offsets are character positions in the transcript's canonical plain text
(:meth:`analysis.transcripts.Transcript.plain_text`), the same text exported as REFI-QDA source.

Automatic coding matches each code's ``terms`` (spaCy ``PhraseMatcher``) and ``patterns`` (spaCy
``Matcher``) against the token attribute ``NORM``, which this module sets to the token's lemma,
lower-cased and without accents. Only informant turns are coded; interviewer turns are segmented
so that offsets and exports stay complete.

Co-occurrence uses the c-coefficient of ATLAS.ti, ``c = n12 / (n1 + n2 - n12)``, computed over
units (speaker turns by default): with units as the counted objects it equals the Jaccard index
of the two codes' sets of units.
"""

from __future__ import annotations

import gc
import itertools
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from analysis.nlp import load_nlp
from analysis.textnorm import normalise
from analysis.transcripts import Transcript, Turn

SEGMENT_COLUMNS = ["doc_id", "segment_id", "turn", "speaker", "informant_role", "start", "end", "text"]
CODE_COLUMNS = ["doc_id", "segment_id", "speaker", "informant_role", "start", "end", "text", "code", "matched_terms"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class CodebookError(ValueError):
    """An invalid codebook; the message names the code (or the file) and what to fix."""


@dataclass
class Code:
    """One code of the codebook."""

    name: str
    label: str = ""
    parent: str | None = None
    color: str | None = None
    codable: bool = True
    definition: str = ""
    include: str = ""
    exclude: str = ""
    terms: list[str] = field(default_factory=list)
    patterns: list[list[dict]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    description: str = ""

    def __post_init__(self) -> None:
        if not self.description:
            parts = [self.definition.strip()]
            if self.include:
                parts.append(f"Incluir: {self.include.strip()}")
            if self.exclude:
                parts.append(f"Excluir: {self.exclude.strip()}")
            self.description = "\n".join(p for p in parts if p)


@dataclass
class Codebook:
    """An ordered, validated set of codes with their hierarchy."""

    codes: list[Code]
    name: str = "Codebook"
    source: str = ""

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.codes}

    def __getitem__(self, name: str) -> Code:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def children(self, name: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == name]

    def path(self, name: str) -> str:
        """``parent/child`` path of a code."""
        parts, code = [], self.by_name[name]
        while code is not None:
            parts.append(code.name)
            code = self.by_name.get(code.parent) if code.parent else None
        return "/".join(reversed(parts))

    def top(self, name: str) -> str:
        """The first-level ancestor of a code (the code itself when it has no parent)."""
        return self.path(name).split("/")[0]

    def label(self, name: str) -> str:
        return self.by_name[name].label or name

    @property
    def codable(self) -> list[str]:
        return [c.name for c in self.codes if c.codable]

    def table(self) -> pd.DataFrame:
        """One row per code: name, path, label, parent, colour, number of terms and patterns, definition."""
        return pd.DataFrame([{
            "code": c.name, "path": self.path(c.name), "label": c.label, "parent": c.parent or "",
            "color": c.color or "", "codable": c.codable, "n_terms": len(c.terms), "n_patterns": len(c.patterns),
            "definition": c.definition,
        } for c in self.codes])


def _as_list(value: object, code: str, key: str, source: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CodebookError(f"{source}: code {code!r}: '{key}' must be a list.")
    return value


def validate_codebook(cb: Codebook, nlp: Language | None = None) -> Codebook:
    """Check unique names, existing parents, no cycles, colours and that every pattern compiles."""
    src = cb.source or "codebook"
    seen: set[str] = set()
    for c in cb.codes:
        if not isinstance(c.name, str) or not _NAME.match(c.name):
            raise CodebookError(f"{src}: code {c.name!r}: names use lower-case letters, digits and '_' and start with a letter.")
        if c.name in seen:
            raise CodebookError(f"{src}: code {c.name!r} is defined twice; give each code a unique name.")
        seen.add(c.name)
        if c.color is not None and not _COLOR.match(str(c.color)):
            raise CodebookError(f"{src}: code {c.name!r}: colour {c.color!r} is not #RRGGBB.")
        if c.codable and not (c.terms or c.patterns) and nlp is not None:
            pass  # a codable code without terms is coded by hand only; allowed
    for c in cb.codes:
        if c.parent is not None and c.parent not in seen:
            raise CodebookError(f"{src}: code {c.name!r}: parent {c.parent!r} does not exist; define it or fix the name.")
        chain, p = {c.name}, c.parent
        while p is not None:
            if p in chain:
                raise CodebookError(f"{src}: code {c.name!r}: the parent chain loops through {p!r}.")
            chain.add(p)
            p = cb.by_name[p].parent
    if nlp is not None:
        matcher = Matcher(nlp.vocab, validate=True)
        for c in cb.codes:
            for i, pattern in enumerate(c.patterns):
                try:
                    matcher.add(f"{c.name}#{i}", [pattern])
                except Exception as exc:  # spaCy raises ValueError/MatchPatternError with details
                    first = str(exc).strip().splitlines()[0]
                    raise CodebookError(f"{src}: code {c.name!r}: pattern {i + 1} does not compile: {first}") from None
            for term in c.terms:
                if not isinstance(term, str) or not normalise(term):
                    raise CodebookError(f"{src}: code {c.name!r}: term {term!r} is empty or not text.")
    return cb


def codebook_from_dict(data: dict, source: str = "codebook") -> Codebook:
    """Build a codebook from the parsed YAML (top-level keys ``codebook`` and ``codes``)."""
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookError(f"{source}: expected a mapping with a 'codes' list.")
    codes = []
    for i, raw in enumerate(data["codes"], start=1):
        if not isinstance(raw, dict) or "name" not in raw:
            raise CodebookError(f"{source}: entry {i} of 'codes' has no name.")
        name = raw["name"]
        unknown = set(raw) - {"name", "label", "parent", "color", "codable", "definition", "include", "exclude",
                              "terms", "patterns", "examples", "description"}
        if unknown:
            raise CodebookError(f"{source}: code {name!r}: unknown key(s) {sorted(unknown)}.")
        if not raw.get("definition") and not raw.get("description"):
            raise CodebookError(f"{source}: code {name!r} has no definition; every code needs one.")
        codes.append(Code(
            name=name, label=str(raw.get("label", "")), parent=raw.get("parent") or None,
            color=raw.get("color"), codable=bool(raw.get("codable", True)),
            definition=str(raw.get("definition", "")).strip(), include=str(raw.get("include", "")).strip(),
            exclude=str(raw.get("exclude", "")).strip(),
            terms=[str(t) for t in _as_list(raw.get("terms"), name, "terms", source)],
            patterns=_as_list(raw.get("patterns"), name, "patterns", source),
            examples=[str(e) for e in _as_list(raw.get("examples"), name, "examples", source)],
            description=str(raw.get("description", "")).strip(),
        ))
    meta = data.get("codebook") or {}
    return Codebook(codes, name=str(meta.get("name", "Codebook")), source=source)


def load_codebook(path: Path, nlp: Language | None = None) -> Codebook:
    """Load and validate a YAML codebook (patterns are compiled against the Spanish model)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path.name}: invalid YAML: {exc}") from None
    cb = codebook_from_dict(data, source=path.name)
    return validate_codebook(cb, nlp if nlp is not None else load_nlp())


# ----------------------------------------------------------------------------------- coding engine

@lru_cache(maxsize=200_000)
def _norm(lemma: str) -> str:
    return normalise(lemma) or lemma


def set_norms(doc: Doc) -> Doc:
    """Set each token's NORM to its normalised lemma (lower-case, no accents)."""
    for tok in doc:
        tok.norm_ = _norm(tok.lemma_)
    return doc


@dataclass(frozen=True)
class Segment:
    """A sentence inside a speaker turn, with offsets in the transcript's plain text."""

    doc_id: str
    segment_id: str
    turn: int
    speaker: str
    informant_role: str
    start: int
    end: int
    text: str


class Coder:
    """Segments transcripts and codes the segments with a codebook's terms and patterns."""

    def __init__(self, codebook: Codebook, nlp: Language | None = None, batch_size: int = 64) -> None:
        self.codebook = codebook
        self.nlp = nlp if nlp is not None else load_nlp()
        self.batch_size = batch_size
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.matcher = Matcher(self.nlp.vocab)
        for code in codebook.codes:
            if not code.codable:
                continue
            docs = self._term_docs(code.terms)
            if docs:
                self.phrases.add(code.name, docs)
            if code.patterns:
                self.matcher.add(code.name, code.patterns)

    def _term_docs(self, terms: Sequence[str]) -> list[Doc]:
        variants: dict[tuple[str, ...], None] = {}
        for term in terms:
            words = [w for w in (normalise(x) for x in term.split()) if w]
            variants[tuple(" ".join(words).split())] = None
            lemmatised = [_norm(t.lemma_) for t in self.nlp(term) if not (t.is_punct or t.is_space)]
            variants[tuple(" ".join(lemmatised).split())] = None
        docs = []
        for words in variants:
            if words:
                d = Doc(self.nlp.vocab, words=list(words))
                for tok in d:
                    tok.norm_ = tok.text
                docs.append(d)
        return docs

    def _pipe(self, corpus: Iterable[Transcript]) -> Iterator[tuple[Doc, tuple[Transcript, int, int]]]:
        def items() -> Iterator[tuple[str, tuple[Transcript, int, int]]]:
            for t in corpus:
                offsets = t.turn_offsets()
                for i, turn in enumerate(t.turns):
                    yield turn.text, (t, i, offsets[i])
        yield from self.nlp.pipe(items(), as_tuples=True, batch_size=self.batch_size)

    def matches(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(code, token start, token end) of every match in a processed doc (NORM already set)."""
        strings = self.nlp.vocab.strings
        found = [(strings[m], s, e) for m, s, e in self.phrases(doc)]
        found += [(strings[m], s, e) for m, s, e in self.matcher(doc)]
        return found

    def iter_coded(self, corpus: Iterable[Transcript], code_interviewer: bool = False,
                   ) -> Iterator[tuple[Segment, dict[str, list[str]]]]:
        """Stream (segment, {code: matched terms}) for every segment of every turn."""
        for doc, (t, turn_idx, offset) in self._pipe(corpus):
            turn: Turn = t.turns[turn_idx]
            coded = code_interviewer or not turn.is_interviewer
            by_sent: dict[int, dict[str, list[str]]] = {}
            if coded:
                set_norms(doc)
                for code, s, e in self.matches(doc):
                    sent_start = doc[s].sent.start
                    by_sent.setdefault(sent_start, {}).setdefault(code, []).append(doc[s:e].text.lower())
            for k, sent in enumerate(doc.sents, start=1):
                text = sent.text.strip()
                if not text:
                    continue
                start = offset + sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
                seg = Segment(t.id, f"{t.id}-t{turn_idx + 1:03d}-s{k:02d}", turn_idx + 1, turn.speaker,
                              t.informant_role, start, start + len(text), text)
                yield seg, by_sent.get(sent.start, {})

    def code(self, corpus: Iterable[Transcript], code_interviewer: bool = False) -> CodingResult:
        """Segment and code a corpus in memory: the segments table and the segment x code table."""
        seg_rows, code_rows = [], []
        for seg, codes in self.iter_coded(corpus, code_interviewer):
            seg_rows.append(seg.__dict__)
            for code in sorted(codes):
                code_rows.append({**seg.__dict__, "code": code, "matched_terms": "; ".join(sorted(set(codes[code])))})
        segments = pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS)
        coded = pd.DataFrame(code_rows, columns=[*SEGMENT_COLUMNS, "code", "matched_terms"])[CODE_COLUMNS]
        return CodingResult(segments, coded.sort_values(["doc_id", "start", "code"], ignore_index=True))


@dataclass
class CodingResult:
    """Segments (one row per segment) and codings (one row per segment and code)."""

    segments: pd.DataFrame
    codes: pd.DataFrame


def code_corpus(corpus: Iterable[Transcript], codebook: Codebook, batch_size: int = 64) -> CodingResult:
    """Convenience wrapper: segment and code a corpus with a codebook."""
    return Coder(codebook, batch_size=batch_size).code(corpus)


def write_coded_csv(rows: Iterator[tuple[Segment, dict[str, list[str]]]], out: Path,
                    segments_out: Path | None = None) -> dict[str, int]:
    """Stream coded segments to CSV files (codings, and optionally all segments); return counts."""
    import csv

    counts = {"segments": 0, "coded_segments": 0, "codings": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh, \
            (open(segments_out, "w", newline="", encoding="utf-8") if segments_out else _Null()) as sh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CODE_COLUMNS)
        sw = csv.writer(sh, lineterminator="\n") if segments_out else None
        if sw:
            sw.writerow(SEGMENT_COLUMNS)
        for seg, codes in rows:
            counts["segments"] += 1
            counts["coded_segments"] += bool(codes)
            if sw:
                sw.writerow([getattr(seg, c) for c in SEGMENT_COLUMNS])
            for code in sorted(codes):
                counts["codings"] += 1
                w.writerow([seg.doc_id, seg.segment_id, seg.speaker, seg.informant_role, seg.start, seg.end,
                            seg.text, code, "; ".join(sorted(set(codes[code])))])
    return counts


class _Null:
    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# ----------------------------------------------------------------------------------- analysis

def frequencies(codes: pd.DataFrame, codebook: Codebook, by: str = "doc_id") -> pd.DataFrame:
    """Coded segments per code (rows, in codebook order) and value of ``by`` (columns)."""
    order = codebook.codable
    table = pd.crosstab(codes.code, codes[by]).reindex(order, fill_value=0)
    table.index.name, table.columns.name = "code", by
    return table.astype(int)


def code_totals(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per codable code: its category, coded segments, documents and share of informant segments."""
    n_inf = int((segments.speaker != "E").sum()) or 1
    rows = []
    for name in codebook.codable:
        sub = codes[codes.code == name]
        rows.append({"code": name, "label": codebook.label(name), "category": codebook.label(codebook.top(name)),
                     "segments": len(sub), "documents": sub.doc_id.nunique(),
                     "share_pct": round(100 * len(sub) / n_inf, 1)})
    return pd.DataFrame(rows)


def by_role(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, level: str = "category") -> pd.DataFrame:
    """Share (%) of each role's informant segments coded with each category (or code)."""
    key = codes.code.map(codebook.top) if level == "category" else codes.code
    coded = codes.assign(key=key).drop_duplicates(["segment_id", "key"])
    counts = pd.crosstab(coded.key, coded.informant_role)
    n = segments[segments.speaker != "E"].groupby("informant_role").size()
    share = (100 * counts / n.reindex(counts.columns)).round(1)
    if level == "category":
        share.index = [codebook.label(k) for k in share.index]
    share.index.name, share.columns.name = level, "informant_role"
    return share.fillna(0.0)


def cooccurrence(codes: pd.DataFrame, unit: str = "turn") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Co-occurrence counts and c-coefficients between codes over ``unit`` (segment, turn, document).

    ``c = n12 / (n1 + n2 - n12)`` with n counted in units (ATLAS.ti's c-coefficient; the Jaccard
    index of the two codes' sets of units). The diagonal holds n (counts) and 1 (coefficient).
    """
    keys = {"segment": ["segment_id"], "turn": ["doc_id", "turn"], "document": ["doc_id"]}[unit]
    df = codes.copy()
    if unit == "turn":
        df["turn"] = df.segment_id.str.extract(r"-t(\d+)-s\d+$")[0].astype(int)
    df["unit"] = df[keys].astype(str).agg("|".join, axis=1)
    pres = pd.crosstab(df.unit, df.code).clip(upper=1)
    names = sorted(pres.columns)
    pres = pres[names]
    m = pres.to_numpy(dtype=np.int64)
    n12 = m.T @ m
    n = np.diag(n12)
    denom = n[:, None] + n[None, :] - n12
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(denom > 0, n12 / denom, 0.0)
    return (pd.DataFrame(n12, index=names, columns=names),
            pd.DataFrame(c.round(3), index=names, columns=names))


def top_pairs(counts: pd.DataFrame, coef: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The ``k`` code pairs with the highest c-coefficient (ties: more units, then names)."""
    names = list(coef.index)
    rows = [(a, b, int(counts.loc[a, b]), float(coef.loc[a, b])) for i, a in enumerate(names) for b in names[i + 1:]]
    df = pd.DataFrame(rows, columns=["code_a", "code_b", "n", "c"])
    df = df[df.n > 0].sort_values(["c", "n", "code_a", "code_b"], ascending=[False, False, True, True])
    return df.head(k).reset_index(drop=True)


def key_quotes(codes: pd.DataFrame, codebook: Codebook, k: int = 2, min_chars: int = 50,
               max_chars: int = 320) -> pd.DataFrame:
    """Up to ``k`` quotes per code from different documents, best first.

    Ranking: more distinct matched terms, then length within [min_chars, max_chars], then a
    stable order (document, offset). One quote per document per code.
    """
    df = codes.copy()
    df["n_terms"] = df.matched_terms.str.split("; ").map(len)
    df["fits"] = df.text.str.len().between(min_chars, max_chars)
    df = df.sort_values(["code", "fits", "n_terms", "doc_id", "start"], ascending=[True, False, False, True, True])
    best = df.drop_duplicates(["code", "doc_id"]).groupby("code", sort=False).head(k)
    order = {c: i for i, c in enumerate(codebook.codable)}
    best = best.assign(label=best.code.map(codebook.label), _o=best.code.map(order))
    return best.sort_values(["_o", "fits", "n_terms"], ascending=[True, False, False])[
        ["code", "label", "doc_id", "segment_id", "informant_role", "text", "matched_terms"]].reset_index(drop=True)


# ----------------------------------------------------------------------------------- memos

MEMO_COLUMNS = ["memo_id", "code", "doc_id", "segment_id", "author", "date", "text"]


def load_memos(path: Path, codebook: Codebook, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Memos from YAML (a list of memo_id, text and an optional code, doc_id, segment_id, author, date).

    A memo attached to an unknown code or segment is an error naming the memo.
    """
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("memos", []) if isinstance(data, dict) else data
    rows = []
    known_segments = set(segments.segment_id) if segments is not None else None
    known_docs = set(segments.doc_id) if segments is not None else None
    for i, m in enumerate(items, start=1):
        mid = str(m.get("memo_id", f"#{i}"))
        if not str(m.get("text", "")).strip():
            raise ValueError(f"{path.name}: memo {mid}: empty text.")
        code = m.get("code") or ""
        if code and code not in codebook:
            raise ValueError(f"{path.name}: memo {mid}: code {code!r} is not in the codebook.")
        seg, doc = m.get("segment_id") or "", m.get("doc_id") or ""
        if known_docs is not None and doc and doc not in known_docs:
            continue  # memo about a transcript that is not loaded (e.g. demo memos on a real corpus)
        if known_segments is not None and seg and seg not in known_segments:
            raise ValueError(f"{path.name}: memo {mid}: segment {seg!r} is not in the corpus; fix the id.")
        rows.append({"memo_id": mid, "code": code, "doc_id": doc, "segment_id": seg, "author": str(m.get("author", "")),
                     "date": str(m.get("date", "")), "text": " ".join(str(m["text"]).split())})
    return pd.DataFrame(rows, columns=MEMO_COLUMNS)


# ----------------------------------------------------------------------------------- benchmark

def generate_corpus(n_words: int, seed: int = 0, base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """A deterministic synthetic corpus of about ``n_words`` informant words, streamed.

    Sentences of ``base`` (default: the demonstration transcripts) are shuffled into new
    one-turn-per-paragraph transcripts of about 400 words, so memory does not grow with n_words.
    """
    from analysis import paths
    from analysis.transcripts import load_corpus

    base = list(base) if base is not None else load_corpus(paths.INTERVIEWS / "transcripts")
    sentences = [s.strip() + "." for t in base for turn in t.turns if not turn.is_interviewer
                 for s in turn.text.split(". ") if len(s.split()) > 3]
    rng = np.random.default_rng(seed)
    produced, k = 0, 0
    meta = {"informant_role": "generado", "synthetic": True}
    while produced < n_words:
        k += 1
        turns, words = [], 0
        while words < 400 and produced + words < n_words:
            picks = rng.choice(len(sentences), size=4)
            text = " ".join(sentences[i] for i in picks)
            turns.append(Turn("I", text, 0))
            words += len(text.split())
        produced += words
        yield Transcript(id=f"GEN-{k:06d}", meta=meta, turns=tuple(turns), source="generated")


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def bench_coding(n_words: int = 20_000, seed: int = 0, codebook: Path | None = None,
                 batch_size: int = 64, repeats: int = 2) -> dict[str, float]:
    """Words per second of the bare spaCy pass (nlp.pipe) and of segmentation + coding.

    Times are CPU seconds of this process (time.process_time), robust to other load on the
    machine. Both stream the same generated corpus; the runs alternate (bare, coding, ...) and the
    fastest of ``repeats`` is kept for each, which damps noise from other processes. Returns
    bare_wps, coding_wps, overhead_pct (extra time of coding over the bare pass), RSS at start and
    peak RSS during the coding runs (MB), and the counts.
    """
    from analysis import paths

    cb = load_codebook(codebook or paths.INTERVIEWS / "codebook.yml")
    coder = Coder(cb, batch_size=batch_size)
    nlp = coder.nlp
    list(nlp.pipe(["Calentamiento del modelo antes de medir."] * 8))
    gc.collect()

    def texts() -> Iterator[str]:
        for t in generate_corpus(n_words, seed):
            for turn in t.turns:
                yield turn.text

    words = sum(len(x.split()) for x in texts())
    bare, coding = float("inf"), float("inf")
    rss0, peak, n_seg, n_codes = _rss_mb(), 0.0, 0, 0
    for _ in range(repeats):
        t0 = time.process_time()
        for _doc in nlp.pipe(texts(), batch_size=batch_size):
            pass
        bare = min(bare, time.process_time() - t0)
        n_seg = n_codes = 0
        t0 = time.process_time()
        for i, (_seg, codes) in enumerate(coder.iter_coded(generate_corpus(n_words, seed))):
            n_seg += 1
            n_codes += len(codes)
            if i % 2000 == 0:
                peak = max(peak, _rss_mb())
        coding = min(coding, time.process_time() - t0)
    peak = max(peak, _rss_mb())
    return {"words": float(words), "bare_wps": round(words / bare, 1), "coding_wps": round(words / coding, 1),
            "overhead_pct": round(100 * (coding - bare) / bare, 1), "rss_start_mb": round(rss0, 1),
            "rss_peak_mb": round(peak, 1), "segments": float(n_seg), "codings": float(n_codes)}


def chunked(it: Iterable, size: int) -> Iterator[list]:
    """Split an iterable into lists of ``size`` items."""
    it = iter(it)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


# ----------------------------------------------------------------------------------- scale

def generate_chunk(index: int, chunk_words: int, seed: int = 0,
                   base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """Chunk ``index`` of a chunked generated corpus: about ``chunk_words`` words, streamed.

    The chunk depends only on ``(seed, index)`` (its random stream is seeded with both), so a
    worker process can build it from two integers and nothing large crosses process boundaries.
    Transcript ids carry the chunk index (``GEN-<chunk>-<k>``) and are unique across chunks.
    """
    for k, t in enumerate(generate_corpus(chunk_words, seed=_chunk_seed(seed, index), base=base), start=1):
        yield Transcript(id=f"GEN-{index:05d}-{k:04d}", meta=t.meta, turns=t.turns, source=t.source)


def _chunk_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def chunk_sizes(n_words: int, chunk_words: int) -> list[int]:
    """Word budget of each chunk: full chunks of ``chunk_words`` and a last, smaller one."""
    if n_words <= 0 or chunk_words <= 0:
        raise ValueError("n_words and chunk_words must be positive")
    full, rest = divmod(n_words, chunk_words)
    return [chunk_words] * full + ([rest] if rest else [])


def generate_chunked_corpus(n_words: int, seed: int = 0, chunk_words: int = 50_000,
                            base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """The whole chunked corpus in one stream (what :func:`code_corpus_parallel` codes in parallel)."""
    base = list(base) if base is not None else None
    for i, size in enumerate(chunk_sizes(n_words, chunk_words)):
        yield from generate_chunk(i, size, seed, base)


def coded_rows(seg: Segment, codes: dict[str, list[str]]) -> list[tuple]:
    """The CSV rows (CODE_COLUMNS) of one coded segment, one per code in name order."""
    return [(seg.doc_id, seg.segment_id, seg.speaker, seg.informant_role, seg.start, seg.end, seg.text, code,
             "; ".join(sorted(set(codes[code])))) for code in sorted(codes)]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss, kB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _proc_peak_rss_mb(pid: int | None) -> float | None:
    """Peak resident memory of another process (VmHWM in /proc, Linux); None where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


_WORKER: dict[str, object] = {}


def _init_worker(codebook: str | None, batch_size: int, base_dir: str | None) -> None:
    """Pool initializer: load the spaCy model, the codebook and the base sentences once per worker."""
    from analysis import paths
    from analysis.transcripts import load_corpus

    cb = load_codebook(Path(codebook) if codebook else paths.INTERVIEWS / "codebook.yml")
    _WORKER["coder"] = Coder(cb, batch_size=batch_size)
    _WORKER["base"] = load_corpus(Path(base_dir) if base_dir else paths.INTERVIEWS / "transcripts")


def code_chunk(coder: Coder, index: int, chunk_words: int, seed: int,
               base: Sequence[Transcript] | None = None) -> dict[str, object]:
    """Generate and code chunk ``index``; return its counts and coded rows (CODE_COLUMNS tuples).

    This is the unit of work of every parallel back end (a process pool here, a Dask cluster in
    the book): it needs only integers as input and returns plain Python objects.
    """
    words = segments = 0
    rows: list[tuple] = []
    def counted() -> Iterator[Transcript]:
        nonlocal words
        for t in generate_chunk(index, chunk_words, seed, base):
            words += sum(len(turn.text.split()) for turn in t.turns)
            yield t
    for seg, codes in coder.iter_coded(counted()):
        segments += 1
        rows.extend(coded_rows(seg, codes))
    return {"index": index, "words": words, "segments": segments, "rows": rows}


def _work(task: tuple[int, int, int]) -> dict[str, object]:
    import os

    index, chunk_words, seed = task
    out = code_chunk(_WORKER["coder"], index, chunk_words, seed, _WORKER["base"])  # type: ignore[arg-type]
    out.update(pid=os.getpid(), rss_mb=_rss_mb(), peak_rss_mb=_peak_rss_mb())
    return out


def code_corpus_parallel(n_words: int, processes: int, out: Path | None, seed: int, chunk_words: int = 50_000,
                         codebook: Path | None = None, batch_size: int = 64, context: str = "spawn",
                         ) -> dict[str, float]:
    """Code a generated corpus of ``n_words`` words in ``processes`` worker processes, streaming.

    The corpus is split into chunks of ``chunk_words`` words; each worker (spawn or forkserver
    context; the spaCy model and codebook are loaded once per worker by the pool initializer)
    generates chunk *i* from ``(seed, i)`` and codes it. Results arrive in chunk order
    (``imap``) and, when ``out`` is given, their rows are appended to a CSV (CODE_COLUMNS)
    as they arrive; the file is written beside ``out`` and renamed at the end, and is
    byte-identical for the same arguments whatever the number of processes. Memory stays flat:
    the parent holds at most a few chunks' rows, each worker one chunk.

    With ``processes=1`` the chunks are coded in this process (no pool), for comparison.

    Returns words, segments, codings, chunks, wall seconds, words/s and measured memory: the
    parent's peak RSS (ru_maxrss), each worker's peak RSS as reported by the worker with its
    results (and, on Linux, read from /proc before the pool closes, so a worker that received no
    chunk is counted too), their sum, and the total (parent + workers), in MB.
    """
    import contextlib
    import csv
    import multiprocessing as mp
    import os

    if processes < 1:
        raise ValueError("processes must be at least 1")
    if context not in ("spawn", "forkserver"):
        raise ValueError("context must be 'spawn' or 'forkserver' (fork is unsafe with spaCy's threads)")
    tasks = [(i, size, seed) for i, size in enumerate(chunk_sizes(n_words, chunk_words))]
    totals = {"words": 0, "segments": 0, "codings": 0}
    worker_peaks: dict[int, float] = {}
    tmp = out.with_name(out.name + ".part") if out is not None else None

    def consume(results: Iterable[dict[str, object]], writer: Any) -> None:
        for res in results:
            rows: list[tuple] = res["rows"]  # type: ignore[assignment]
            totals["words"] += int(res["words"])  # type: ignore[arg-type]
            totals["segments"] += int(res["segments"])  # type: ignore[arg-type]
            totals["codings"] += len(rows)
            if writer is not None:
                writer.writerows(rows)
            if "pid" in res:
                pid = int(res["pid"])  # type: ignore[arg-type]
                worker_peaks[pid] = max(worker_peaks.get(pid, 0.0), float(res["peak_rss_mb"]))  # type: ignore[arg-type]

    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        writer = None
        if tmp is not None:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            writer = csv.writer(stack.enter_context(open(tmp, "w", newline="", encoding="utf-8")), lineterminator="\n")
            writer.writerow(CODE_COLUMNS)
        if processes == 1:
            from analysis import paths
            from analysis.transcripts import load_corpus

            coder = Coder(load_codebook(codebook or paths.INTERVIEWS / "codebook.yml"), batch_size=batch_size)
            base = load_corpus(paths.INTERVIEWS / "transcripts")
            consume((code_chunk(coder, i, size, s, base) for i, size, s in tasks), writer)
        else:
            pool = stack.enter_context(mp.get_context(context).Pool(
                processes, initializer=_init_worker, initargs=(str(codebook) if codebook else None, batch_size, None)))
            consume(pool.imap(_work, tasks, chunksize=1), writer)
            for child in mp.active_children():  # workers that got no chunk hold the model too
                peak = _proc_peak_rss_mb(child.pid)
                if child.pid is not None and peak is not None:
                    worker_peaks[child.pid] = max(worker_peaks.get(child.pid, 0.0), peak)
    wall = time.perf_counter() - t0
    if tmp is not None and out is not None:
        os.replace(tmp, out)
    parent = _peak_rss_mb()
    workers = sum(worker_peaks.values())
    return {"words": float(totals["words"]), "segments": float(totals["segments"]),
            "codings": float(totals["codings"]), "chunks": float(len(tasks)), "processes": float(processes),
            "wall_s": round(wall, 2), "words_per_s": round(totals["words"] / wall, 1),
            "rss_parent_peak_mb": round(parent, 1), "rss_workers_peak_mb": round(workers, 1),
            "rss_worker_max_mb": round(max(worker_peaks.values(), default=0.0), 1),
            "rss_total_peak_mb": round(parent + workers, 1)}


def code_partition(tasks: Iterable[tuple[int, int]], seed: int, codebook: str | None = None) -> list[dict[str, object]]:
    """Code chunks ``(index, words)`` in this process: one dict (CODE_COLUMNS) per coding.

    The unit of work for other schedulers, e.g. Dask's ``bag.map_partitions``: the model and
    the codebook are loaded once per process and reused by later partitions.
    """
    if "coder" not in _WORKER:
        _init_worker(codebook, 64, None)
    out: list[dict[str, object]] = []
    for index, size in tasks:
        res = code_chunk(_WORKER["coder"], index, size, seed, _WORKER["base"])  # type: ignore[arg-type]
        out.extend(dict(zip(CODE_COLUMNS, row, strict=True)) for row in res["rows"])  # type: ignore[attr-defined]
    return out


def bench_scale(n_words: int, processes: int, seed: int = 0, chunk_words: int = 50_000,
                out: Path | None = None) -> dict[str, float]:
    """Measure :func:`code_corpus_parallel` on a generated corpus (no output file unless ``out``)."""
    return code_corpus_parallel(n_words, processes, out, seed, chunk_words=chunk_words)
