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

import contextlib
import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from analysis.analyses.qda.codebook import Codebook
from analysis.ingest.transcripts import Transcript, Turn
from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

SEGMENT_COLUMNS = ["doc_id", "segment_id", "turn", "speaker", "informant_role", "start", "end", "text"]
CODE_COLUMNS = ["doc_id", "segment_id", "speaker", "informant_role", "start", "end", "text", "code", "matched_terms"]


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


#: Turns passed to spaCy's ``nlp.pipe`` at a time.
BATCH_SIZE = 64


class Coder:
    """Segments transcripts and codes the segments with a codebook's terms and patterns."""

    def __init__(self, codebook: Codebook, nlp: Language | None = None, batch_size: int = BATCH_SIZE) -> None:
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
        for variant in variants:
            if variant:
                d = Doc(self.nlp.vocab, words=list(variant))
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


def code_corpus(corpus: Iterable[Transcript], codebook: Codebook, batch_size: int = BATCH_SIZE) -> CodingResult:
    """Convenience wrapper: segment and code a corpus with a codebook."""
    return Coder(codebook, batch_size=batch_size).code(corpus)


def write_coded_csv(rows: Iterator[tuple[Segment, dict[str, list[str]]]], out: Path,
                    segments_out: Path | None = None) -> dict[str, int]:
    """Stream coded segments to CSV files (codings, and optionally all segments); return counts."""
    counts = {"segments": 0, "coded_segments": 0, "codings": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(out.open("w", newline="", encoding="utf-8"))
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CODE_COLUMNS)
        sw = (csv.writer(stack.enter_context(segments_out.open("w", newline="", encoding="utf-8")), lineterminator="\n")
              if segments_out else None)
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


def chunked(it: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split an iterable into lists of ``size`` items."""
    it = iter(it)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def coded_rows(seg: Segment, codes: dict[str, list[str]]) -> list[tuple[object, ...]]:
    """The CSV rows (CODE_COLUMNS) of one coded segment, one per code in name order."""
    return [(seg.doc_id, seg.segment_id, seg.speaker, seg.informant_role, seg.start, seg.end, seg.text, code,
             "; ".join(sorted(set(codes[code])))) for code in sorted(codes)]
