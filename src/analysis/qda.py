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
