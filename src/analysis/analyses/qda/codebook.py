"""The interview codebook: codes, categories, definitions, terms and patterns; loaded and validated.

May import: ``analysis.util``, spaCy (to check that patterns compile), yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from spacy.language import Language
from spacy.matcher import Matcher

from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

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
