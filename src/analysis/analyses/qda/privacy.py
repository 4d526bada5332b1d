"""Pseudonymisation of interview material with a participants register kept outside git.

The register (default interviews/register/participants.csv, git-ignored) is a CSV with columns
``pseudonym``, ``name`` and ``aliases`` (several separated by ``|``); other columns (``doc_id``,
``note``) are kept but not used. Every name and alias is replaced by its pseudonym in the text,
matching whole words, ignoring case and accents ("Fermin Chable" matches "Fermín Chablé").
Longer names are replaced first, so "don Fermín Chablé" does not leave a stray surname behind.

:func:`find_leaks` scans output files (CSV, XML, HTML, zip archives such as .qdpx) for any
register name, the check that guards data/processed and the book.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.ingest.transcripts import Transcript, Turn
from analysis.util.text import normalise

DEFAULT_REGISTER: Path = paths.INTERVIEWS / "register" / "participants.csv"
EXAMPLE_REGISTER: Path = paths.INTERVIEWS / "participants.example.csv"
_MIN_NAME = 3


class RegisterError(ValueError):
    """A register that cannot be used; the message names the file and the row."""


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
    """Read and validate a participants register."""
    path = Path(path)
    if not path.exists():
        raise RegisterError(f"{path}: the participants register does not exist. Create it (see interviews/README.md) "
                            "or pass its location with register_path.")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
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
                raise RegisterError(f"{path.name}, line {line}: name or alias {n!r} is too short to replace safely.")
            if key in owner and owner[key] != pseudo:
                raise RegisterError(f"{path.name}, line {line}: {n!r} is also listed for {owner[key]!r}; "
                                    "names must be unambiguous.")
            owner[key] = pseudo
            entries.append((n, pseudo))
    return Register(tuple(entries), source=path.name)


def resolve_register(register_path: Path | None, corpus: Iterable[Transcript]) -> Register:
    """The register to use: the given file if it exists; for an all-synthetic corpus the fictional
    example register; otherwise an error (real transcripts are never analysed without a register)."""
    corpus = list(corpus)
    if register_path is not None and Path(register_path).exists():
        return load_register(Path(register_path))
    if corpus and all(t.synthetic for t in corpus):
        return load_register(EXAMPLE_REGISTER)
    real = [t.id for t in corpus if not t.synthetic]
    raise RegisterError(f"{register_path}: no participants register, and the corpus has real transcripts "
                        f"({', '.join(real[:5])}). "
                        "Create the register (interviews/register/participants.csv) before any analysis.")


def _name_regex(name: str) -> str:
    parts = []
    for ch in _strip_accents(name.casefold()):
        if ch.isspace():
            parts.append(r"\s+")
        elif ch.isalpha():
            variants = {ch, ch.upper()} | {c for c in "áàâäãéèêëíìîïóòôöõúùûüñçÁÉÍÓÚÜÑ" if _strip_accents(c).lower() == ch}
            parts.append("[" + "".join(sorted(re.escape(v) for v in variants)) + "]")
        else:
            parts.append(re.escape(ch))
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def pseudonymise(text: str, register: Register) -> str:
    """Replace every register name and alias in ``text`` by its pseudonym (longest names first)."""
    if not register.entries:
        return text
    pseudos = sorted({p for _, p in register.entries})
    slot = {p: f"\x00{i}\x00" for i, p in enumerate(pseudos)}
    for name, pseudo in sorted(register.entries, key=lambda e: (-len(normalise(e[0])), e[0])):
        text = re.sub(_name_regex(name), slot[pseudo], text, flags=re.IGNORECASE)
    for pseudo, token in slot.items():
        text = text.replace(token, pseudo)
    return text


def pseudonymise_corpus(corpus: Iterable[Transcript], register: Register) -> list[Transcript]:
    """Pseudonymise every turn of every transcript (metadata fields holding text too)."""
    out = []
    for t in corpus:
        turns = [Turn(x.speaker, pseudonymise(x.text, register), x.line) for x in t.turns]
        meta = {k: pseudonymise(v, register) if isinstance(v, str) else v for k, v in t.meta.items()}
        out.append(Transcript(id=t.id, meta=meta, turns=tuple(turns), source=t.source))
    return out


def _name_patterns(register: Register) -> dict[str, re.Pattern[str]]:
    return {n: re.compile(r"(?<![a-z0-9])" + re.escape(normalise(n)) + r"(?![a-z0-9])") for n in register.names}


def find_names(text: str, register: Register) -> list[str]:
    """Register names or aliases present in ``text`` (accent- and case-blind, whole words)."""
    norm = normalise(text)
    return [n for n, pat in _name_patterns(register).items() if pat.search(norm)]


def names_in_corpus(corpus: Iterable[Transcript], register: Register) -> list[tuple[str, str]]:
    """(transcript id, name) for every register name still present in a corpus."""
    return [(t.id, n) for t in corpus for n in find_names(t.plain_text(), register)]


def _texts(path: Path) -> Iterable[tuple[str, str]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for member in z.namelist():
                yield f"{path}!{member}", z.read(member).decode("utf-8", errors="replace")
    else:
        yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def find_leaks(targets: Iterable[Path], register: Register,
               suffixes: tuple[str, ...] = (".csv", ".txt", ".md", ".html", ".xml", ".qdc", ".qdpx", ".qde",
                                            ".json", ".svg", ".yml", ".ipynb", ".js")) -> list[tuple[str, str]]:
    """(file, name) for every register name or alias found in the files under ``targets``."""
    patterns = _name_patterns(register)
    leaks = []
    for target in targets:
        target = Path(target)
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for f in files:
            if f.suffix.lower() not in suffixes:
                continue
            for where, text in _texts(f):
                norm = normalise(text)
                leaks += [(where, n) for n, pat in patterns.items() if pat.search(norm)]
    return leaks
