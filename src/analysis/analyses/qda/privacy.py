"""Pseudonymisation of interview material with a participants register kept outside git.

The register (default interviews/register/participants.csv, git-ignored) is a CSV with columns
``pseudonym``, ``name`` and ``aliases`` (several separated by ``|``); other columns (``doc_id``,
``note``) are kept but not used. Every name and alias is replaced by its pseudonym in the text,
matching whole words and ignoring case, accents (composed or decomposed, NFC or NFD), the kind of
apostrophe (' or ’) and the separator between the parts of a name (space, hyphen, underscore,
dot): "Fermin Chable", "FERMÍN CHABLÉ" and "Fermín_Chablé" all match "Fermín Chablé". Longer names
are replaced first, so "don Fermín Chablé" does not leave a stray surname behind.

Transcript ids (which become ``doc_id`` and ``segment_id``), the informant role and every metadata
field are pseudonymised too. A register that is empty (no file content, or a header without
rows) is refused for real transcripts: privacy fails closed.

:func:`find_leaks` scans output files (CSV, XML, HTML, zip archives such as .qdpx) for any
register name, the check that guards data/processed and the book; character references, JSON
escapes and percent-encoding are decoded first, so "Chabl&eacute;" or "Chabl\\u00e9" is found too. Files are read in chunks and
zip members are streamed, each up to :data:`MAX_MEMBER_BYTES` uncompressed bytes; a larger member
cannot be checked and raises :class:`LeakScanError`.
"""

from __future__ import annotations

import codecs
import html
import io
import re
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from analysis import paths
from analysis.ingest.transcripts import Transcript, Turn
from analysis.util.io import BinaryFileError, decode_text
from analysis.util.text import normalise

DEFAULT_REGISTER: Path = paths.INTERVIEWS / "register" / "participants.csv"
EXAMPLE_REGISTER: Path = paths.INTERVIEWS / "participants.example.csv"
_MIN_NAME = 3
#: Largest uncompressed zip member the leak scanner reads (64 MiB); larger members are refused.
MAX_MEMBER_BYTES: int = 64 * 1024 * 1024
_CHUNK = 1 << 20


class RegisterError(ValueError):
    """A register that cannot be used; the message names the file and the row."""


class LeakScanError(RuntimeError):
    """An output that cannot be scanned for leaks (too large, unreadable); it must not be published."""


@dataclass(frozen=True)
class Register:
    """Names (and aliases) mapped to pseudonyms; ``source`` says which file it came from."""

    entries: tuple[tuple[str, str], ...]  # (name or alias, pseudonym)
    source: str = ""

    @property
    def names(self) -> list[str]:
        return sorted({n for n, _ in self.entries})

    def __len__(self) -> int:
        return len({p for _, p in self.entries})


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def load_register(path: Path) -> Register:
    """Read and validate a participants register (UTF-8, UTF-16 or Windows-1252).

    An empty file raises :class:`RegisterError`; a header without rows gives an empty register,
    which :func:`require_usable` refuses for real transcripts.
    """
    path = Path(path)
    if not path.exists():
        raise RegisterError(f"{path}: the participants register does not exist. Create it (see interviews/README.md) "
                            "or pass its location with register_path.")
    if path.is_dir():
        raise RegisterError(f"{path}: is a folder; the participants register is a CSV file.")
    try:
        text, _ = decode_text(path.read_bytes(), path)
    except (BinaryFileError, UnicodeError) as exc:
        raise RegisterError(f"{exc} (participants register)") from None
    if not text.strip():
        raise RegisterError(f"{path}: the participants register is empty; it needs a header "
                            "(pseudonym,name,aliases) and one row per person.")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RegisterError(f"{path.name}: not a valid CSV ({str(exc).strip()}); fix the quoting.") from None
    missing = {"pseudonym", "name"} - set(df.columns)
    if missing:
        raise RegisterError(f"{path.name}, line 1: missing column(s) {sorted(missing)}; "
                            "the register needs pseudonym, name, aliases.")
    entries: list[tuple[str, str]] = []
    owner: dict[str, str] = {}
    for i, row in df.iterrows():
        line = int(i) + 2
        pseudo, name = row["pseudonym"].strip(), row["name"].strip()
        if not pseudo or not name:
            raise RegisterError(f"{path.name}, line {line}: empty pseudonym or name; fill both.")
        aliases = [a.strip() for a in row.get("aliases", "").split("|") if a.strip()]
        for n in [name, *aliases]:
            key = normalise(n)
            if len(key) < _MIN_NAME:
                raise RegisterError(f"{path.name}, line {line}: a name or alias is too short to replace safely "
                                    f"(fewer than {_MIN_NAME} letters); write it in full.")
            if key in owner and owner[key] != pseudo:
                raise RegisterError(f"{path.name}, line {line}: {n!r} is also listed for {owner[key]!r}; "
                                    "names must be unambiguous.")
            owner[key] = pseudo
            entries.append((n, pseudo))
    return Register(tuple(entries), source=path.name)


def require_usable(register: Register, corpus: Iterable[Transcript]) -> Register:
    """Refuse an empty register when the corpus holds real (non-synthetic) transcripts."""
    if register.entries:
        return register
    real = [t for t in corpus if not t.synthetic]
    if real:
        where = register.source or "the participants register"
        raise RegisterError(f"{where}: the participants register has no rows, and the corpus has "
                            f"{len(real)} real transcript(s) (first: {real[0].source or 'a CSV row'}). "
                            "Fill the register (one row per person named in the interviews) before any analysis.")
    return register


def resolve_register(register_path: Path | None, corpus: Iterable[Transcript]) -> Register:
    """The register to use: the given file if it exists; for an all-synthetic corpus the fictional
    example register; otherwise an error (real transcripts are never analysed without a register,
    nor with an empty one)."""
    corpus = list(corpus)
    if register_path is not None and Path(register_path).exists():
        return require_usable(load_register(Path(register_path)), corpus)
    if corpus and all(t.synthetic for t in corpus):
        return load_register(EXAMPLE_REGISTER)
    real = [t.source or "a CSV row" for t in corpus if not t.synthetic]
    raise RegisterError(f"{register_path}: no participants register, and the corpus has real transcripts "
                        f"({', '.join(real[:5])}). "
                        "Create the register (interviews/register/participants.csv) before any analysis.")


# ------------------------------------------------------------------------------ pseudonymisation

_APOSTROPHES = "'\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032"
_COMBINING = "[\u0300-\u036f]*"
_SEPARATOR = r"[\s\-_.\u2010\u2011\u2012\u2013\u00a0]+"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"


def _letter_variants() -> dict[str, set[str]]:
    """Every precomposed Latin letter, grouped by its base letter without accents (lower case)."""
    out: dict[str, set[str]] = {}
    for cp in range(0x00C0, 0x0250):
        ch = chr(cp)
        if not ch.isalpha():
            continue
        base = _strip_accents(ch).casefold()
        if len(base) == 1 and base.isascii():
            out.setdefault(base, set()).update({ch, ch.lower(), ch.upper()})
    return out


_VARIANTS = _letter_variants()


def _name_regex(name: str) -> str:
    """A pattern for ``name`` in free text: any case, accents composed or decomposed, any apostrophe,
    any separator between its parts, whole words (no letter just before or after)."""
    parts: list[str] = []
    pending_sep = False
    for ch in _strip_accents(unicodedata.normalize("NFC", name).casefold()):
        if ch.isspace() or ch in "-_.\u2010\u2011\u2012\u2013\u00a0":
            pending_sep = bool(parts)
            continue
        if pending_sep:
            parts.append(_SEPARATOR)
            pending_sep = False
        if ch in _APOSTROPHES:
            parts.append("[" + re.escape(_APOSTROPHES) + "]")
        elif ch.isalpha():
            variants = {ch, ch.upper()} | _VARIANTS.get(ch, set())
            parts.append("[" + "".join(sorted(re.escape(v) for v in variants)) + "]" + _COMBINING)
        else:
            parts.append(re.escape(ch) + _COMBINING)
    return _NOT_LETTER_BEFORE + "".join(parts) + _NOT_LETTER_AFTER


def _compiled(register: Register) -> list[tuple[re.Pattern[str], str]]:
    order = sorted(register.entries, key=lambda e: (-len(normalise(e[0])), e[0]))
    return [(re.compile(_name_regex(n), flags=re.IGNORECASE), p) for n, p in order]


def _replace(text: str, compiled: list[tuple[re.Pattern[str], str]]) -> str:
    if not text:
        return text
    taken = bytearray(len(text))
    spans: list[tuple[int, int, str]] = []
    for pattern, pseudo in compiled:
        for m in pattern.finditer(text):
            a, b = m.span()
            if any(taken[a:b]):
                continue
            taken[a:b] = b"\x01" * (b - a)
            spans.append((a, b, pseudo))
    if not spans:
        return text
    out, pos = [], 0
    for a, b, pseudo in sorted(spans):
        out.append(text[pos:a])
        out.append(pseudo)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def pseudonymise(text: str, register: Register) -> str:
    """Replace every register name and alias in ``text`` by its pseudonym (longest names first)."""
    if not register.entries:
        return text
    return _replace(text, _compiled(register))


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def pseudonymise_id(identifier: str, register: Register) -> str:
    """An identifier with every register name replaced by its pseudonym, kept to letters, digits, '-' and '_'
    (spaces of the pseudonym become '_': "ENT-Fermin-Chable" -> "ENT-Vecino_B")."""
    out = pseudonymise(identifier, register)
    return out if out == identifier else _ID_UNSAFE.sub("_", out)


def _pseudonymise_value(value: object, compiled: list[tuple[re.Pattern[str], str]]) -> object:
    if isinstance(value, str):
        return _replace(value, compiled)
    if isinstance(value, dict):
        return {_pseudonymise_value(k, compiled): _pseudonymise_value(v, compiled) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_pseudonymise_value(v, compiled) for v in value)
    return value


def _pseudonymise_one(t: Transcript, register: Register, compiled: list[tuple[re.Pattern[str], str]]) -> Transcript:
    turns = tuple(Turn(x.speaker, _replace(x.text, compiled), x.line) for x in t.turns)
    meta = {k: _pseudonymise_value(v, compiled) for k, v in t.meta.items()}
    new_id = pseudonymise_id(t.id, register) if register.entries else t.id
    if "id" in meta:
        meta["id"] = new_id
    return Transcript(id=new_id, meta=meta, turns=turns, source=t.source)


def iter_pseudonymised(corpus: Iterable[Transcript], register: Register) -> Iterator[Transcript]:
    """Pseudonymise a stream of transcripts: every turn, the id (so doc_id and segment_id), the
    informant role and every metadata field (text inside lists and mappings too).

    Two transcripts whose ids become equal once pseudonymised raise :class:`RegisterError`
    naming their files (never the ids, which hold the names).
    """
    compiled = _compiled(register) if register.entries else []
    seen: dict[str, str] = {}
    for t in corpus:
        out = _pseudonymise_one(t, register, compiled)
        if out.id in seen and out.id != t.id:
            raise RegisterError(f"{t.source or 'a CSV row'} and {seen[out.id]}: their ids become the same once the "
                                "names are replaced by pseudonyms; give the transcripts ids without personal names "
                                "(e.g. ENT-01, ENT-02).")
        seen.setdefault(out.id, t.source or "a CSV row")
        yield out


def pseudonymise_corpus(corpus: Iterable[Transcript], register: Register) -> list[Transcript]:
    """Pseudonymise every transcript of a corpus (see :func:`iter_pseudonymised`)."""
    return list(iter_pseudonymised(corpus, register))


# ------------------------------------------------------------------------------ leak checks

def _name_patterns(register: Register) -> dict[str, re.Pattern[str]]:
    """Patterns over :func:`normalise`-d text (lower case, no accents, punctuation as spaces)."""
    return {n: re.compile(r"(?<![a-z])" + re.escape(normalise(n)) + r"(?![a-z])") for n in register.names}


def find_names(text: str, register: Register) -> list[str]:
    """Register names or aliases present in ``text`` (accent- and case-blind, whole words)."""
    norm = normalise(unicodedata.normalize("NFC", text))
    return [n for n, pat in _name_patterns(register).items() if pat.search(norm)]


def names_in_corpus(corpus: Iterable[Transcript], register: Register) -> list[tuple[str, str]]:
    """(transcript id, name) for every register name still present in a corpus: turns, id and metadata."""
    out = []
    for t in corpus:
        meta = " ".join(f"{k} {v}" for k, v in t.meta.items())
        out += [(t.id, n) for n in find_names(f"{t.id}\n{meta}\n{t.plain_text()}", register)]
    return out


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unescape(text: str) -> str:
    """Text as a reader would see it: HTML/XML character references (``Chabl&eacute;``, ``&#233;``),
    JSON escapes (``Chabl\\u00e9``, as in notebooks) and URL percent-encoding (``Chabl%C3%A9``) decoded."""
    if "&" in text:
        text = html.unescape(text)
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    if "%" in text:
        text = _PERCENT.sub(lambda m: urllib.parse.unquote(m[0]), text)
    return text


_NON_ALNUM_ASCII = re.compile(r"[^0-9a-z]+")


def _normalise_fast(text: str) -> str:
    """:func:`normalise` with a fast path for plain ASCII text (most of a CSV or an HTML page)."""
    if text.isascii():
        return _NON_ALNUM_ASCII.sub(" ", text.lower())
    return normalise(text)


def _scan_stream(stream: IO[bytes], patterns: dict[str, re.Pattern[str]], where: str,
                 limit: int | None) -> set[str]:
    """Names found in a byte stream read in chunks (a tail overlaps chunks so no name is cut)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    keep = max((len(n) for n in patterns), default=0) * 4 + 64
    keys = sorted({normalise(n) for n in patterns}, key=len, reverse=True)
    any_name = re.compile("|".join(re.escape(k) for k in keys))  # literal prefilter: fast scan, no boundaries
    found: set[str] = set()
    tail, total = "", 0
    while True:
        raw = stream.read(_CHUNK)
        total += len(raw)
        if limit is not None and total > limit:
            raise LeakScanError(f"{where}: more than {limit // (1024 * 1024)} MiB uncompressed; too large to check "
                                "for participant names, so it is refused. Split the export or check its content.")
        text = tail + decoder.decode(raw, final=not raw)
        norm = _normalise_fast(_unescape(text))
        if any_name.search(norm):  # one fast pass; whole-word matching per name only when a name occurs at all
            found.update(n for n, pat in patterns.items() if n not in found and pat.search(norm))
        if not raw:
            return found
        tail = text[-keep:]


def _scan_file(path: Path, patterns: dict[str, re.Pattern[str]], member_limit: int) -> list[tuple[str, str]]:
    leaks: list[tuple[str, str]] = []
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if info.is_dir():
                        continue
                    where = f"{path}!{info.filename}"
                    if info.file_size > member_limit:
                        raise LeakScanError(f"{where}: {info.file_size:,} bytes uncompressed, more than the "
                                            f"{member_limit // (1024 * 1024)} MiB a member may have to be checked "
                                            "for participant names; refused.")
                    with z.open(info) as member:
                        leaks += [(where, n) for n in sorted(_scan_stream(member, patterns, where, member_limit))]
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
            if isinstance(exc, LeakScanError):
                raise
            raise LeakScanError(f"{path}: a damaged or encrypted archive cannot be checked for participant names "
                                f"({exc}); refused.") from None
    else:
        with path.open("rb") as fh:
            leaks += [(str(path), n) for n in sorted(_scan_stream(fh, patterns, str(path), None))]
    return leaks


def find_leaks(targets: Iterable[Path], register: Register,
               suffixes: tuple[str, ...] = (".csv", ".txt", ".md", ".html", ".xml", ".qdc", ".qdpx", ".qde",
                                            ".json", ".svg", ".yml", ".ipynb", ".js"),
               member_limit: int = MAX_MEMBER_BYTES) -> list[tuple[str, str]]:
    """(file, name) for every register name or alias found in the files under ``targets``.

    Folders are searched for files with one of ``suffixes``; a file named directly is always
    scanned, whatever its suffix. Zip archives are scanned member by member (streamed, each at
    most ``member_limit`` bytes uncompressed, else :class:`LeakScanError`).
    """
    patterns = _name_patterns(register)
    leaks: list[tuple[str, str]] = []
    if not patterns:
        return leaks
    for target in targets:
        target = Path(target)
        if target.is_dir():
            files = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        else:
            files = [target]
        for f in files:
            leaks += _scan_file(f, patterns, member_limit)
    return leaks


# ------------------------------------------------------------------------------ where interview material goes

#: Outputs of chapter 3 below data/processed that can hold interview material (and nothing else is
#: scanned there: census tables never hold it, and the pipeline's own backups under ``.staging/`` are
#: copies of earlier outputs that the runner restores or drops, not publications).
INTERVIEW_OUTPUTS: tuple[str, ...] = ("interview_*.csv", "qda/*", "figures/entrevistas_*", "results_03.csv")


def interview_outputs(processed: Path) -> list[Path]:
    """The files under ``processed`` where interview material can go (see :data:`INTERVIEW_OUTPUTS`)."""
    processed = Path(processed)
    return sorted({p for pattern in INTERVIEW_OUTPUTS for p in processed.glob(pattern) if p.is_file()})


def notebook_register(register_path: Path | None) -> Register:
    """The register an interview notebook ran with: the file when it exists, else the fictional example
    (the one the demonstration corpus is pseudonymised with)."""
    if register_path is not None and Path(register_path).is_file():
        return load_register(Path(register_path))
    return load_register(EXAMPLE_REGISTER)


def guard_notebook(notebook: Path, register_path: Path | None) -> None:
    """Scan an executed notebook (outputs, sources, error tracebacks) for every register name and alias,
    with the normalisation of :func:`find_leaks`. On a leak the file is deleted and
    :class:`LeakScanError` is raised; the message counts the names and never prints them."""
    notebook = Path(notebook)
    if not notebook.exists():
        return
    try:
        leaks = find_leaks([notebook], notebook_register(register_path))
    except (RegisterError, LeakScanError):
        notebook.unlink(missing_ok=True)
        raise
    if leaks:
        notebook.unlink(missing_ok=True)
        raise LeakScanError(f"{notebook.name}: {len(leaks)} participant name(s) or alias(es) from the register in the "
                            "executed notebook; it was removed and nothing from this run is kept. Pseudonymise before "
                            "anything is displayed, or add the missing alias to the register (the names are not "
                            "printed here).")
