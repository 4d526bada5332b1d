"""The interview codebook: codes, categories, definitions, terms and patterns; loaded and validated.

Code names are identifiers (lower case, digits, ``_``); :func:`identifier_for` derives one from a
human-readable name such as "Canales múltiples" (-> ``canales_multiples``), used when importing
codebooks exported by other QDA programs. Hierarchies of any depth are walked iteratively.

May import: ``analysis.util``, spaCy (to check that patterns compile), yaml.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from spacy.language import Language
from spacy.matcher import Matcher

from analysis.util.io import BinaryFileError, decode_text
from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")  # REFI-QDA's RGBType: #RRGGBB or #RGB
_GUID = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                   r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$")


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
    patterns: list[list[dict[str, Any]]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    description: str = ""
    #: True when ``name`` was derived from ``label`` (a code imported from another QDA program);
    #: REFI-QDA exports then write ``label`` as the code's name.
    name_from_label: bool = False
    #: The code's REFI-QDA GUID when it came from (or must travel back to) a QDA program; empty for a
    #: code created here, which gets a stable GUID derived from its name on export.
    guid: str = ""

    def __post_init__(self) -> None:
        if not self.description:
            parts = [self.definition.strip()]
            if self.include:
                parts.append(f"Incluir: {self.include.strip()}")
            if self.exclude:
                parts.append(f"Excluir: {self.exclude.strip()}")
            self.description = "\n".join(p for p in parts if p)


@dataclass
class CodeSet:
    """A REFI-QDA Set of codes (an ATLAS.ti code group, a MAXQDA code set): a named list of code names."""

    name: str
    guid: str = ""
    description: str = ""
    codes: list[str] = field(default_factory=list)


@dataclass
class Codebook:
    """An ordered, validated set of codes with their hierarchy (and the Sets of codes it carries)."""

    codes: list[Code]
    name: str = "Codebook"
    source: str = ""
    sets: list[CodeSet] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.codes}
        self._children: dict[str | None, list[Code]] = {}
        for c in self.codes:
            self._children.setdefault(c.parent, []).append(c)

    def __getitem__(self, name: str) -> Code:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def children(self, name: str | None) -> list[Code]:
        return list(self._children.get(name, []))

    def path(self, name: str) -> str:
        """``parent/child`` path of a code (a parent chain that loops stops at the repeated code)."""
        parts: list[str] = []
        code: Code | None = self.by_name[name]
        while code is not None and len(parts) <= len(self.codes):
            parts.append(code.name)
            code = self.by_name.get(code.parent) if code.parent else None
        return "/".join(reversed(parts))

    def paths(self) -> Iterator[tuple[Code, str]]:
        """(code, ``parent/child`` path) in depth-first order, without recursion; only the paths of
        codes still waiting on the stack are kept, so deep hierarchies cost linear memory."""
        stack: list[tuple[Code, str]] = [(c, c.name) for c in reversed(self.children(None))]
        while stack:
            code, path = stack.pop()
            yield code, path
            stack.extend((c, f"{path}/{c.name}") for c in reversed(self._children.get(code.name, [])))

    def walk(self) -> list[tuple[Code, int]]:
        """(code, depth) in depth-first order from the first-level codes, without recursion."""
        out: list[tuple[Code, int]] = []
        stack = [(c, 0) for c in reversed(self.children(None))]
        while stack:
            code, depth = stack.pop()
            out.append((code, depth))
            stack.extend((c, depth + 1) for c in reversed(self._children.get(code.name, [])))
        return out

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


def identifier_for(name: str, taken: set[str] | None = None) -> str:
    """An internal code identifier for a human-readable code name: lower case, without accents,
    words joined by ``_`` ("Canales múltiples" -> ``canales_multiples``); a leading digit gets the
    prefix ``c_``; a name with no Latin letter or digit becomes ``codigo``. When the result is in
    ``taken``, the first free suffix ``_2``, ``_3``... is added."""
    base = normalise(name).replace(" ", "_") or "codigo"
    if not base[0].isalpha():
        base = f"c_{base}"
    taken = taken if taken is not None else set()
    out, n = base, 1
    while out in taken:
        n += 1
        out = f"{base}_{n}"
    return out


def _as_list(value: object, code: str, key: str, source: str) -> list[Any]:
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
            raise CodebookError(f"{src}: code {c.name!r}: colour {c.color!r} is not #RRGGBB (or #RGB).")
        if c.guid and not _GUID.match(c.guid):
            raise CodebookError(f"{src}: code {c.name!r}: guid {c.guid!r} is not a GUID "
                                "(8-4-4-4-12 hexadecimal digits); fix it or remove the guid line.")
        if c.codable and not (c.terms or c.patterns) and nlp is not None:
            pass  # a codable code without terms is coded by hand only; allowed
    for c in cb.codes:
        if c.parent is not None and c.parent not in seen:
            raise CodebookError(f"{src}: code {c.name!r}: parent {c.parent!r} does not exist; define it or fix the name.")
    _check_guids_and_sets(cb, src, seen)
    state: dict[str, int] = {}  # 1: on the chain being followed, 2: its chain reaches the top
    for c in cb.codes:
        chain: list[str] = []
        p: str | None = c.name
        while p is not None and state.get(p) != 2:
            if state.get(p) == 1:
                raise CodebookError(f"{src}: code {c.name!r}: the parent chain loops through {p!r}.")
            state[p] = 1
            chain.append(p)
            p = cb.by_name[p].parent
        for name in chain:
            state[name] = 2
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


def _check_guids_and_sets(cb: Codebook, src: str, names: set[str]) -> None:
    """GUIDs unique across codes and Sets (case-insensitive, braces ignored); Set members are codes."""
    owner: dict[str, str] = {}
    things = [(c.guid, f"code {c.name!r}") for c in cb.codes] + [(s.guid, f"set {s.name!r}") for s in cb.sets]
    for g, what in things:
        if not g:
            continue
        key = g.strip("{}").lower()
        if key in owner:
            raise CodebookError(f"{src}: {what} has the GUID {g} of {owner[key]}; every code and set needs its own "
                                "GUID (remove the guid line of one of them: a new one is derived on export).")
        owner[key] = what
    for s in cb.sets:
        if s.guid and not _GUID.match(s.guid):
            raise CodebookError(f"{src}: set {s.name!r}: guid {s.guid!r} is not a GUID; fix it or remove it.")
        for m in s.codes:
            if m not in names:
                raise CodebookError(f"{src}: set {s.name!r}: member {m!r} is not a code of the codebook; fix the name.")


def codebook_from_dict(data: dict[str, Any], source: str = "codebook") -> Codebook:
    """Build a codebook from the parsed YAML (top-level keys ``codebook`` and ``codes``)."""
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookError(f"{source}: expected a mapping with a 'codes' list.")
    codes = []
    for i, raw in enumerate(data["codes"], start=1):
        if not isinstance(raw, dict) or "name" not in raw:
            raise CodebookError(f"{source}: entry {i} of 'codes' has no name.")
        name = raw["name"]
        unknown = set(raw) - {"name", "label", "parent", "color", "codable", "definition", "include", "exclude",
                              "terms", "patterns", "examples", "description", "guid"}
        if unknown:
            raise CodebookError(f"{source}: code {name!r}: unknown key(s) {sorted(unknown)}.")
        if not raw.get("definition") and not raw.get("description") and not raw.get("guid"):
            # a code imported from a QDA program (it has a guid) may come without a description
            raise CodebookError(f"{source}: code {name!r} has no definition; every code needs one.")
        codes.append(Code(
            name=name, label=str(raw.get("label", "")), parent=raw.get("parent") or None,
            color=raw.get("color"), codable=bool(raw.get("codable", True)),
            definition=str(raw.get("definition", "")).strip(), include=str(raw.get("include", "")).strip(),
            exclude=str(raw.get("exclude", "")).strip(),
            terms=[_term(t, name, source) for t in _as_list(raw.get("terms"), name, "terms", source)],
            patterns=_as_list(raw.get("patterns"), name, "patterns", source),
            examples=[str(e) for e in _as_list(raw.get("examples"), name, "examples", source)],
            description=str(raw.get("description", "")).strip(), guid=str(raw.get("guid") or "").strip(),
            name_from_label=bool(raw.get("guid")) and bool(raw.get("label")),
        ))
    if not codes:
        raise CodebookError(f"{source}: no codes under 'codes:'; the codebook is empty.")
    meta = data.get("codebook") or {}
    return Codebook(codes, name=str(meta.get("name", "Codebook")), source=source,
                    sets=_sets_from_dict(data.get("sets"), source))


def _sets_from_dict(raw_sets: object, source: str) -> list[CodeSet]:
    if raw_sets is None:
        return []
    if not isinstance(raw_sets, list):
        raise CodebookError(f"{source}: 'sets' must be a list of sets (name, guid, description, codes).")
    out = []
    for i, raw in enumerate(raw_sets, start=1):
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            raise CodebookError(f"{source}: entry {i} of 'sets' has no name.")
        unknown = set(raw) - {"name", "guid", "description", "codes"}
        if unknown:
            raise CodebookError(f"{source}: set {raw['name']!r}: unknown key(s) {sorted(unknown)}.")
        out.append(CodeSet(name=str(raw["name"]).strip(), guid=str(raw.get("guid") or "").strip(),
                           description=str(raw.get("description") or "").strip(),
                           codes=[str(c) for c in _as_list(raw.get("codes"), str(raw["name"]), "codes", source)]))
    return out


def codebook_to_dict(cb: Codebook) -> dict[str, Any]:
    """The codebook in the layout of interviews/codebook.yml (only the keys a code uses), Sets last."""
    codes: list[dict[str, Any]] = []
    for c in cb.codes:
        entry: dict[str, Any] = {"name": c.name}
        if c.label:
            entry["label"] = c.label
        if c.guid:
            entry["guid"] = c.guid
        if c.parent:
            entry["parent"] = c.parent
        if c.color:
            entry["color"] = c.color
        if not c.codable:
            entry["codable"] = False
        for key in ("definition", "include", "exclude"):
            if getattr(c, key):
                entry[key] = getattr(c, key)
        if c.description and not c.definition:
            entry["description"] = c.description
        for key in ("terms", "patterns", "examples"):
            if getattr(c, key):
                entry[key] = getattr(c, key)
        codes.append(entry)
    out: dict[str, Any] = {"codebook": {"name": cb.name}, "codes": codes}
    if cb.sets:
        out["sets"] = [{k: v for k, v in (("name", s.name), ("guid", s.guid), ("description", s.description),
                                          ("codes", s.codes)) if v} for s in cb.sets]
    return out


def _is_refi_file(path: Path) -> bool:
    """A REFI-QDA codebook or project: by its suffix, the QDA-XML namespace, or a zip holding a .qde."""
    if path.suffix.lower() in (".qdc", ".qdpx", ".qde"):
        return True
    head = path.read_bytes()[:4096]
    if b"QDA-XML" in head or b"Q\x00D\x00A\x00-\x00X\x00M\x00L" in head:
        return True
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as z:
            return any(n.lower().endswith(".qde") for n in z.namelist())
    return False


def _term(value: object, code: object, source: str) -> str:
    """A term as text; YAML's null, true/false, lists and mappings are not terms (str(None) would be "None")."""
    if value is None or isinstance(value, bool | list | dict) or not str(value).strip():
        raise CodebookError(f"{source}: code {code!r}: term {value!r} is empty or not text; write the words "
                            "(quoted if YAML reads them as another value, e.g. 'null') or remove it.")
    return str(value)


def load_codebook(path: Path, nlp: Language | None = None) -> Codebook:
    """Load and validate a YAML codebook (patterns are compiled against the Spanish model)."""
    path = Path(path)
    if not path.is_file():
        raise CodebookError(f"{path}: codebook not found" + (" (it is a folder)" if path.is_dir() else "")
                            + "; give the YAML codebook with --codebook (default interviews/codebook.yml).")
    if _is_refi_file(path):
        raise CodebookError(f"{path}: this is a REFI-QDA file (a .qdc codebook or .qdpx project), not the YAML codebook "
                            f"this command reads. Convert it first: python -m analysis qda import {path} "
                            f"--out {path.with_suffix('.yml').name}, then pass the .yml with --codebook.")
    try:
        text, _ = decode_text(path.read_bytes(), path.name)
        data = yaml.safe_load(text)
    except (BinaryFileError, UnicodeError) as exc:
        message = str(exc).replace("export it as CSV UTF-8 (or plain text)", "save the codebook as YAML text")
        raise CodebookError(message) from None
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path.name}: invalid YAML: {exc}") from None
    cb = codebook_from_dict(data, source=path.name)
    return validate_codebook(cb, nlp if nlp is not None else load_nlp())
