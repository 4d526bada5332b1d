"""Interview transcripts: Markdown with YAML front matter and one paragraph per speaker turn.

The format (documented in interviews/README.md)::

    ---
    id: ENT-01
    informant_role: director_asuntos_internacionales
    organisation_type: municipio
    municipality: "23005"        # INEGI code, 5 digits, quoted
    date: 2023-05-12
    language: es
    consent: true
    synthetic: true
    ---
    # Any Markdown heading (ignored)

    **E:** Question of the interviewer.

    **I1:** Answer of the first informant, which may
    continue on the next lines until a blank line.

A turn is a paragraph that starts with ``**LABEL:**``; ``E`` is the interviewer, any other label
(``I``, ``I1``, ``I2``...) an informant. Every problem raises :class:`TranscriptError` naming the
file and the line. A transcript whose ``consent`` is not ``true`` is refused.

Each transcript has a canonical plain text (``SPEAKER: text`` per turn, a blank line between
turns); segment offsets and the REFI-QDA sources refer to it.

Files are read as UTF-8 (with or without BOM), UTF-16/UTF-32 (byte-order mark) or, failing
those, Windows-1252/Latin-1, with a note saying which encoding was chosen. A folder is read for
``*.md`` and ``*.markdown`` files whatever the case of the suffix; every other file is reported
as skipped. A turn longer than :data:`MAX_TURN_CHARS` characters is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from analysis.util.io import (
    BinaryFileError,
    CsvFormatError,
    decode_text,
    encoding_note,
    read_csv_records,
    sniff_encoding,
)

#: Front-matter fields every transcript must declare.
REQUIRED_FIELDS: tuple[str, ...] = (
    "id", "informant_role", "organisation_type", "municipality", "date", "language", "consent", "synthetic",
)
#: Speaker labels that belong to the interviewer (their turns are segmented but not coded).
INTERVIEWER_LABELS: frozenset[str] = frozenset({"E"})

_TURN = re.compile(r"^\*\*([A-Z][A-Z0-9]{0,3}):\*\*\s*(.*)$")
_INEGI = re.compile(r"^\d{5}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: Suffixes of transcript files in a folder (compared in lower case).
TRANSCRIPT_SUFFIXES: tuple[str, ...] = (".md", ".markdown")
#: Longest speaker turn accepted (characters); split longer turns into several.
MAX_TURN_CHARS: int = 1_000_000
_LOG = logging.getLogger(__name__)
_ORG_TYPES = frozenset({"municipio", "gobierno_estatal", "gobierno_federal", "academia", "osc", "empresa", "otro"})


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates as text (validated here, with a clear message) and refuses
    aliases (``*name``): front matter never needs them, and nested aliases can expand exponentially."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in the front matter",
                                              event.start_mark)
        return super().compose_node(parent, index)


#: Deepest nesting of lists and mappings accepted in the front matter.
MAX_META_DEPTH = 4


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class TranscriptError(ValueError):
    """A transcript that cannot be loaded; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Turn:
    """One speaker turn: the label, the text (lines joined by spaces) and its first line in the file."""

    speaker: str
    text: str
    line: int

    @property
    def is_interviewer(self) -> bool:
        return self.speaker in INTERVIEWER_LABELS


@dataclass(frozen=True)
class Transcript:
    """A validated transcript: metadata from the front matter and the speaker turns."""

    id: str
    meta: dict[str, object]
    turns: tuple[Turn, ...]
    source: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def informant_role(self) -> str:
        return str(self.meta.get("informant_role", ""))

    def turn_offsets(self) -> list[int]:
        """Character offset, in :meth:`plain_text`, where each turn's text starts."""
        offsets, pos = [], 0
        for t in self.turns:
            prefix = f"{t.speaker}: " if t.speaker else ""
            offsets.append(pos + len(prefix))
            pos += len(prefix) + len(t.text) + 2
        return offsets

    def plain_text(self) -> str:
        """The canonical plain text: ``SPEAKER: text`` per turn, separated by blank lines."""
        return "".join((f"{t.speaker}: " if t.speaker else "") + t.text + "\n\n" for t in self.turns)

    def with_turns(self, turns: Iterable[Turn]) -> Transcript:
        return replace(self, turns=tuple(turns))


def _fail(source: str, line: int, what: str, fix: str) -> TranscriptError:
    return TranscriptError(f"{source}, line {line}: {what}. {fix}")


def _split_front_matter(text: str, source: str) -> tuple[dict[str, object], int, list[str]]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise _fail(source, 1, "missing YAML front matter", "Start the file with a line '---', the fields, and '---'.")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise _fail(source, 1, "the front matter is not closed", "Add a line '---' after the last field.") from None
    try:
        meta = yaml.load("\n".join(lines[1:end]), Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 2
        raise _fail(source, line, f"invalid YAML in the front matter ({getattr(exc, 'problem', exc)})",
                    "Fix the YAML syntax.") from None
    if not isinstance(meta, dict):
        raise _fail(source, 2, "the front matter is not a mapping of fields", "Write one 'field: value' per line.")
    stack: list[tuple[object, int]] = [(meta, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_META_DEPTH:
            raise _fail(source, 2, f"the front matter nests lists or mappings more than {MAX_META_DEPTH} levels deep",
                        "Keep the fields flat (field: value, or a short list).")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return meta, end + 1, lines


def _field_line(lines: list[str], name: str, default: int) -> int:
    for i, line in enumerate(lines[:default], start=1):
        if line.startswith(f"{name}:"):
            return i
    return 1


def validate_meta(meta: dict[str, object], source: str, lines: list[str] | None = None) -> dict[str, object]:
    """Check the front-matter fields; return a normalised copy (date as ISO string)."""
    lines = lines or []
    n = len(lines)

    def where(name: str) -> int:
        return _field_line(lines, name, n)

    missing = [f for f in REQUIRED_FIELDS if f not in meta]
    if missing:
        raise _fail(source, 1, f"front matter lacks the field(s) {', '.join(missing)}", "Add them (see interviews/README.md).")
    out = dict(meta)
    if meta["consent"] is not True:
        raise _fail(source, where("consent"), f"consent is {meta['consent']!r}, not true: the transcript is refused",
                    "Load only interviews with recorded informed consent (consent: true); keep the others out of the corpus.")
    if not isinstance(meta["synthetic"], bool):
        raise _fail(source, where("synthetic"), "synthetic must be true or false", "Write synthetic: true or synthetic: false.")
    if not isinstance(meta["id"], str) or not _ID.match(meta["id"]):
        raise _fail(source, where("id"), f"invalid id {meta['id']!r}", "Use letters, digits, '-' and '_' (e.g. ENT-01).")
    code = meta["municipality"]
    if not isinstance(code, str) or not _INEGI.match(code) or not 1 <= int(code[:2]) <= 32:
        raise _fail(source, where("municipality"), f"municipality {code!r} is not a 5-digit INEGI code",
                    "Write the INEGI code as a quoted string of 5 digits, state 01-32 first (e.g. \"23005\").")
    date = meta["date"]
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            date = None
    if not isinstance(date, dt.date):
        raise _fail(source, where("date"), f"date {meta['date']!r} is not an ISO 8601 date", "Write it as YYYY-MM-DD.")
    out["date"] = date.isoformat()
    for name in ("informant_role", "language"):
        value = meta[name]
        if not isinstance(value, str) or not value.strip():
            raise _fail(source, where(name), f"{name} is empty", f"Give {name} a value.")
    if meta["organisation_type"] not in _ORG_TYPES:
        raise _fail(source, where("organisation_type"), f"unknown organisation_type {meta['organisation_type']!r}",
                    f"Use one of {', '.join(sorted(_ORG_TYPES))}.")
    return out


def parse_transcript(text: str, source: str = "<text>") -> Transcript:
    """Parse and validate one transcript given as text; ``source`` names it in error messages."""
    meta, body_start, lines = _split_front_matter(text, source)
    meta = validate_meta(meta, source, lines[:body_start])
    turns: list[Turn] = []
    current: list[str] | None = None
    speaker, start = "", 0
    for number, raw in enumerate(lines[body_start:], start=body_start + 1):
        line = raw.strip()
        if not line:
            if current is not None:
                turns.append(Turn(speaker, " ".join(current), start))
                current = None
            continue
        m = _TURN.match(line)
        if m:
            if current is not None:
                turns.append(Turn(speaker, " ".join(current), start))
            speaker, start, current = m.group(1), number, [m.group(2)] if m.group(2) else []
        elif current is not None:
            current.append(line)
        elif line.startswith(("#", "<!--", ">")):
            continue
        else:
            raise _fail(source, number, "a paragraph without speaker",
                        "Start every turn with a speaker label such as **E:** or **I1:** (headings '#' are allowed).")
    if current is not None:
        turns.append(Turn(speaker, " ".join(current), start))
    empty = [t for t in turns if not t.text.strip()]
    if empty:
        raise _fail(source, empty[0].line, "a turn without text", "Write the turn's text after the label.")
    _check_length(turns, source)
    if not any(not t.is_interviewer for t in turns):
        raise _fail(source, body_start + 1, "no informant turns", "Label informant turns **I:** or **I1:**, **I2:** ...")
    return Transcript(id=str(meta["id"]), meta=meta, turns=tuple(turns), source=source)


def _check_length(turns: Iterable[Turn], source: str) -> None:
    for t in turns:
        if len(t.text) > MAX_TURN_CHARS:
            raise _fail(source, t.line, f"a turn of {len(t.text):,} characters, more than the limit of {MAX_TURN_CHARS:,}",
                        "Split it into several turns (one paragraph per turn).")


def _report(report: Callable[[str], None] | None) -> Callable[[str], None]:
    return report if report is not None else _LOG.warning


def load_transcript(path: Path, report: Callable[[str], None] | None = None) -> Transcript:
    """Load one transcript file (UTF-8, UTF-16 with BOM, or Windows-1252 with a note to ``report``)."""
    path = Path(path)
    try:
        text, enc = decode_text(path.read_bytes(), path.name)
    except (BinaryFileError, UnicodeError) as exc:
        raise TranscriptError(f"{exc}".replace("export it as CSV UTF-8 (or plain text)",
                                               "save the transcript as Markdown text (UTF-8)")) from None
    note = encoding_note(path.name, enc)
    if note:
        _report(report)(note)
    return parse_transcript(text, source=path.name)


def _is_transcript(f: Path) -> bool:
    return f.is_file() and f.suffix.lower() in TRANSCRIPT_SUFFIXES and not f.name.startswith(".") \
        and f.stem.lower() != "readme"


def iter_corpus(input_path: Path, report: Callable[[str], None] | None = None) -> Iterator[Transcript]:
    """Yield transcripts from a folder of ``*.md``/``*.markdown`` files (sorted), one such file, or a CSV
    with ``id`` and ``text`` columns.

    CSV rows become one-turn transcripts (speaker ``I``); other columns are kept as metadata.
    Notes (files skipped in a folder, the encoding chosen for a file that is not UTF-8) go to
    ``report`` (default: a logged warning).
    """
    input_path = Path(input_path)
    say = _report(report)
    if input_path.is_dir():
        entries = sorted(input_path.iterdir())
        files = [f for f in entries if _is_transcript(f)]
        skipped = [f.name + ("/" if f.is_dir() else "") for f in entries
                   if f not in files and f.stem.lower() != "readme"]
        if skipped:
            shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
            say(f"note: {input_path}: {len(skipped)} file(s) skipped, not transcripts (*.md, *.markdown): {shown}.")
        if not files:
            raise TranscriptError(f"{input_path}: no transcript files (*.md, *.markdown) found. "
                                  "Put transcripts there or fix the path.")
        seen: dict[str, str] = {}
        for f in files:
            t = load_transcript(f, say)
            if t.id in seen:
                raise TranscriptError(f"{f.name}, line 1: its id is also used by {seen[t.id]} (the id is not printed: "
                                      "it may hold a name). Give each transcript its own id.")
            seen[t.id] = f.name
            yield t
    elif input_path.is_file() and input_path.suffix.lower() == ".csv":
        yield from _iter_csv(input_path, say)
    elif input_path.is_file() and input_path.suffix.lower() in TRANSCRIPT_SUFFIXES:
        yield load_transcript(input_path, say)
    elif input_path.is_file():
        try:
            sniff_encoding(input_path)
        except BinaryFileError as exc:
            raise TranscriptError(f"{exc}".replace("(or plain text)", "with id and text columns")) from None
        except UnicodeError:
            pass
        raise TranscriptError(f"{input_path}: expected a folder of transcripts or a .csv file with id and text columns.")
    else:
        raise TranscriptError(f"{input_path} does not exist; give a folder of transcripts or a CSV file.")


_TRUE = {"true", "1", "yes", "si", "sí"}


def _iter_csv(path: Path, say: Callable[[str], None]) -> Iterator[Transcript]:
    """Stream the rows of a transcripts CSV (strict parsing; memory does not grow with the file)."""
    try:
        enc = sniff_encoding(path)
    except BinaryFileError as exc:
        raise TranscriptError(f"{exc}".replace("(or plain text)", "with id and text columns")) from None
    note = encoding_note(path.name, enc)
    if note:
        say(note)
    with path.open(encoding=enc, newline="") as fh:
        records = read_csv_records(fh, path.name)
        try:
            _, header = next(records)
        except StopIteration:
            raise TranscriptError(f"{path.name}: the file is empty; expected a header with id and text.") from None
        except CsvFormatError as exc:
            raise TranscriptError(str(exc)) from None
        header = [h.strip() for h in header]
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            raise TranscriptError(f"{path.name}, line 1: column(s) {twice} appear more than once in the header; "
                                  "give every column its own name.")
        missing = {"id", "text"} - set(header)
        if missing:
            raise TranscriptError(f"{path.name}, line 1: missing column(s) {sorted(missing)}. The CSV needs id and text.")
        seen: dict[str, int] = {}
        while True:
            try:
                line, fields = next(records)
            except StopIteration:
                if not seen:
                    raise TranscriptError(f"{path.name}: no data rows after the header; nothing to code.") from None
                return
            except CsvFormatError as exc:
                raise TranscriptError(str(exc)) from None
            if not any(x.strip() for x in fields):
                continue
            if len(fields) > len(header):
                raise TranscriptError(f"{path.name}, line {line}: {len(fields)} fields, the header has {len(header)}; "
                                      "quote texts containing commas.")
            row = dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=True))
            if row.get("consent", "true").strip().lower() not in _TRUE:
                raise TranscriptError(f"{path.name}, line {line}: consent is not true; the row is refused. "
                                      "Remove rows without informed consent.")
            if not row["id"].strip() or not row["text"].strip():
                raise TranscriptError(f"{path.name}, line {line}: empty id or text. Fill both or remove the row.")
            if row["id"].strip() in seen:
                raise TranscriptError(f"{path.name}, line {line}: the id is also used on line "
                                      f"{seen[row['id'].strip()]} (not printed: it may hold a name). "
                                      "Give each row its own id.")
            seen[row["id"].strip()] = line
            meta: dict[str, object] = {k: v for k, v in row.items() if k != "text"}
            meta["synthetic"] = str(row.get("synthetic", "false")).strip().lower() in {"true", "1"}
            meta.setdefault("informant_role", "")
            text = " ".join(row["text"].split())
            turn = Turn("I", text, line)
            _check_length([turn], path.name)
            yield Transcript(id=row["id"].strip(), meta=meta, turns=(turn,), source=path.name)


def load_corpus(input_path: Path) -> list[Transcript]:
    """All transcripts of a folder or CSV (see :func:`iter_corpus`)."""
    return list(iter_corpus(input_path))


def corpus_table(corpus: Iterable[Transcript]) -> pd.DataFrame:
    """One row per transcript: metadata, number of turns and of informant words."""
    rows = []
    for t in corpus:
        words = sum(len(x.text.split()) for x in t.turns if not x.is_interviewer)
        rows.append({
            "doc_id": t.id, "informant_role": t.informant_role, "organisation_type": t.meta.get("organisation_type", ""),
            "municipality": t.meta.get("municipality", ""), "date": t.meta.get("date", ""),
            "synthetic": t.synthetic, "turns": len(t.turns), "informant_words": words,
        })
    return pd.DataFrame(rows).sort_values("doc_id", ignore_index=True)
