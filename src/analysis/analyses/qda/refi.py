"""REFI-QDA interoperability: codebook exchange (.qdc) and project exchange (.qdpx), in both directions.

Reading (:func:`read_refi`, :func:`read_qdc`) accepts what the programs researchers use write:

- the codebook namespaces ``urn:QDA-XML:codebook:1.0`` (the standard; QualCoder, Taguette, MAXQDA,
  NVivo for Windows), ``…:1:0`` (NVivo for Mac) and ``…:0:4`` (ATLAS.ti 9 and 23), and the same
  variants of ``urn:QDA-XML:project:…``;
- a ``.qdpx`` whose project file has any ``*.qde`` name (``project.qde``, the specification's
  ``Project.qde``, or the project's own name as newer ATLAS.ti writes it);
- a byte-order mark, three-digit colours (``#ff0``), spaces around attribute values, an empty project.

Every code keeps its GUID, name, hierarchy, colour, description and ``isCodable``; the file's Sets are
kept as they are (none is invented). From a project, every ``Coding`` of a text selection becomes one
row of :data:`CODING_COLUMNS`; what cannot be carried (image, audio, video or PDF-area selections,
codings of codes not in the codebook) is counted in :attr:`RefiFile.notes`, never dropped silently.
A codebook with two codes (or sets) of the same GUID, or a ``<Codes>`` without any code, is refused;
the XML inside a ``.qdpx`` is read up to :data:`MAX_XML_BYTES`, and a damaged zip is reported as such.

Writing (:func:`write_qdc`, :func:`write_qdpx`) produces files valid against the REFI-QDA schemas
(:func:`validate`): the Codebook 1.0 schema for ``.qdc`` (``MemberCode guid=`` in its Sets), the
Project schema for ``.qdpx`` (``MemberCode targetGUID=``); no empty ``Sets`` or ``Sources``. A code
keeps the GUID it came with; a code created here gets a stable GUID (uuid5 of its identifier), so two
exports of the same material are byte-identical. Offsets in selections are character (code point)
positions in the source's plain text, start inclusive and end exclusive.

The Codebook schema (``schemas/Codebook.xsd``) is section 5.2 of the REFI-QDA 1.5 specification, from
QualCoder's copy (provenance and the repairs of its PDF extraction in the file's header); the Project
schema is the data source ``refi_xsd`` (data/sources.yml).

:func:`read_codebook_csv` imports a codebook from a CSV with name, path and description columns.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
from lxml import etree

from analysis.analyses.qda import Code, Codebook, CodebookError, CodeSet, validate_codebook
from analysis.analyses.qda.codebook import identifier_for
from analysis.ingest.sources import DataError, require
from analysis.ingest.transcripts import Transcript, Turn
from analysis.util.io import BinaryFileError, atomic_path, decode_text

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PROJECT = "urn:QDA-XML:project:1.0"
#: Namespaces read as the codebook (first: the standard's) and as the project schema.
CODEBOOK_NAMESPACES = (NS_CODEBOOK, "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4")
PROJECT_NAMESPACES = (NS_PROJECT, "urn:QDA-XML:project:1:0", "urn:QDA-XML:project:0:4")
#: Largest XML document (a .qdc, or the .qde inside a .qdpx) and source text read, uncompressed (64 MiB).
MAX_XML_BYTES: int = 64 * 1024 * 1024
CODEBOOK_XSD: Path = Path(__file__).with_name("schemas") / "Codebook.xsd"
CODING_COLUMNS = ["source_name", "source_guid", "selection_guid", "start", "end", "code_guid", "code_name", "code",
                  "coder", "coder_guid"]
ENGINE_CODER = "codificacion_automatica"
_GUID_NS = uuid.UUID("6b1d8f0e-4c1e-5d0a-9a57-63b2c0f0a001")
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_OTHER_SOURCES = {"PictureSource": "image", "AudioSource": "audio", "VideoSource": "video", "PDFSource": "PDF"}
ORIGIN = "analysis (compendio de paradiplomacia municipal)"


#: The dialects the reader is tested against (tests/fixtures/refi/, one fixture per row), for the book.
DIALECTS: tuple[dict[str, str], ...] = (
    {"programa": "ATLAS.ti 9 (9.0.19)", "archivo": ".qdc",
     "rasgo": "espacio de nombres codebook:0:4; grupos de códigos como conjuntos"},
    {"programa": "ATLAS.ti 23 (23.4.0)", "archivo": ".qdpx",
     "rasgo": "espacio de nombres project:0:4; el .qde lleva el nombre del proyecto; "
              "selecciones de imagen (se informan, no se importan)"},
    {"programa": "MAXQDA 24", "archivo": ".qdpx",
     "rasgo": "tres niveles de códigos; un conjunto de códigos; selecciones de audio (se informan)"},
    {"programa": "NVivo 12 para Windows", "archivo": ".qdpx",
     "rasgo": "dos codificadores; PDF con representación de texto (se importa) y áreas (se informan)"},
    {"programa": "NVivo 12 para Mac", "archivo": ".qdc",
     "rasgo": "espacio de nombres codebook:1:0; marca de orden de bytes; espacios en los atributos"},
    {"programa": "QualCoder 4", "archivo": ".qdpx",
     "rasgo": "GUID en minúsculas; notas y casos"},
    {"programa": "Taguette 1.4 y 1.5", "archivo": ".qdc",
     "rasgo": "códigos planos; un <Sets/> vacío (se lee; no se vuelve a escribir)"},
    {"programa": "Ejemplo de la especificación REFI-QDA 1.5", "archivo": ".qdpx",
     "rasgo": "Project.qde con mayúscula; texto dentro del XML; color de tres dígitos"},
)


class RefiError(CodebookError):
    """A REFI-QDA file that cannot be read or written; the message names the file and the element."""


def guid(kind: str, name: str) -> str:
    """A stable GUID for an object of ``kind`` (code, source, selection...) named ``name``."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{name}"))


def code_guid(code: Code) -> str:
    """The code's own GUID (kept from the file it came from), else a stable one derived from its identifier."""
    return code.guid or guid("code", code.name)


def code_guids(cb: Codebook) -> dict[str, str]:
    """GUID of every code, by code name."""
    return {c.name: code_guid(c) for c in cb.codes}


def set_guid(s: CodeSet) -> str:
    return s.guid or guid("set", s.name)


# ----------------------------------------------------------------------------------------- reading

@dataclass
class RefiFile:
    """What a .qdc or .qdpx holds: the codebook, the sources and codings of a project, and notes on
    anything that could not be carried."""

    path: Path
    kind: str  # "codebook" or "project"
    namespace: str
    member: str  # the .qde inside a .qdpx ("" for a .qdc or a bare .qde)
    codebook: Codebook
    sources: pd.DataFrame  # source_guid, source_name, kind, text_chars
    codings: pd.DataFrame  # CODING_COLUMNS
    texts: dict[str, str] = field(default_factory=dict)  # source_guid -> plain text (when the file has it)
    notes: list[str] = field(default_factory=list)
    origin: str = ""


def _damaged(path: Path, exc: BaseException) -> RefiError:
    return RefiError(f"{path.name}: a damaged zip archive ({exc}); a .qdpx is a zip file: export the project again "
                     "from the QDA program (or copy the file again: it may be truncated).")


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int) -> bytes:
    if info.file_size > limit:
        raise RefiError(f"{where}: {info.file_size:,} bytes uncompressed, more than the {limit // (1024 * 1024)} MiB "
                        "this reader accepts; split the project or check that the file is what it claims to be.")
    with z.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:  # the zip's header understated the size
        raise RefiError(f"{where}: more than {limit // (1024 * 1024)} MiB uncompressed; refused.")
    return data


def _open_document(path: Path) -> tuple[bytes, str, dict[str, bytes]]:
    """(XML bytes, name of the .qde member or "", plain-text sources by member name) of a .qdc/.qde/.qdpx."""
    if not path.exists():
        raise RefiError(f"{path}: file not found.")
    if path.is_dir():
        raise RefiError(f"{path}: is a folder; give a .qdc or .qdpx file.")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:2] != b"PK" and path.suffix.lower() != ".qdpx":
        if path.stat().st_size > MAX_XML_BYTES:
            raise RefiError(f"{path.name}: more than {MAX_XML_BYTES // (1024 * 1024)} MiB; refused.")
        return path.read_bytes(), "", {}
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            qde = [i for i in infos if i.filename.lower().endswith(".qde")]
            if len(qde) > 1:
                top = [i for i in qde if "/" not in i.filename]
                qde = top if len(top) == 1 else qde
            if not qde:
                raise RefiError(f"{path.name}: a zip archive without a .qde project file; not a REFI-QDA project "
                                "(export it again as a REFI-QDA project, .qdpx).")
            if len(qde) > 1:
                raise RefiError(f"{path.name}: several .qde project files ({', '.join(i.filename for i in qde)}); "
                                "a .qdpx holds one project.")
            xml = _read_capped(z, qde[0], f"{path.name}!{qde[0].filename}", MAX_XML_BYTES)
            texts = {i.filename: _read_capped(z, i, f"{path.name}!{i.filename}", MAX_XML_BYTES)
                     for i in infos if i.filename.lower().endswith(".txt")}
            return xml, qde[0].filename, texts
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise _damaged(path, exc) from None


def _parse(data: bytes, where: str) -> ET.Element:
    head = data[:4096]
    if b"<!ENTITY" in head or b"<\x00!\x00E\x00N\x00T\x00" in head:
        raise RefiError(f"{where}: declares XML entities, which REFI-QDA files never need; refused.")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise RefiError(f"{where}: not well-formed XML ({exc}); the file is damaged or not a REFI-QDA file: "
                        "export it again.") from None


def _strip_namespace(root: ET.Element, where: str) -> tuple[str, str]:
    """Check the root's namespace; drop it from every tag of that namespace. Returns (kind, namespace)."""
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    local = root.tag.split("}")[-1]
    if ns in CODEBOOK_NAMESPACES and local == "CodeBook":
        kind = "codebook"
    elif ns in PROJECT_NAMESPACES and local == "Project":
        kind = "project"
    else:
        raise RefiError(f"{where}: root element <{local}> in namespace {ns!r} is not a REFI-QDA codebook "
                        f"({NS_CODEBOOK!r}) or project ({NS_PROJECT!r}); give a .qdc or .qdpx file.")
    prefix = "{" + ns + "}"
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(prefix):
            el.tag = el.tag[len(prefix):]
    return kind, ns


def _a(el: ET.Element, name: str) -> str:
    """An attribute, surrounding spaces removed ("" when absent)."""
    return (el.attrib.get(name) or "").strip()


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def _identifier(name: str, taken: set[str]) -> tuple[str, str]:
    """(internal identifier, label) for a code name read from a REFI-QDA file."""
    if _IDENTIFIER.match(name) and name not in taken:
        return name, ""
    return identifier_for(name, taken), name.strip()


def xs_boolean(value: str, where: str) -> bool:
    """An ``xs:boolean`` as the XML Schema defines it: "true"/"1" or "false"/"0" (surrounding spaces allowed)."""
    v = value.strip()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise RefiError(f"{where} is {value!r}; the REFI-QDA standard allows true, false, 1 or 0.")


def _key(g: str) -> str:
    return g.strip().strip("{}").lower()


def _read_codes(codes_el: ET.Element, where: str) -> tuple[list[Code], dict[str, str]]:
    """Codes in document order (depth first, without recursion) and code GUID (normalised) -> identifier."""
    top = codes_el.findall("Code")
    if not top:
        raise RefiError(f"{where}: <Codes> holds no <Code>; the REFI-QDA schema needs at least one. Export the "
                        "codebook again, or remove the empty <Codes> element.")
    codes: list[Code] = []
    taken: set[str] = set()
    by_guid: dict[str, str] = {}
    stack: list[tuple[ET.Element, str | None]] = [(c, None) for c in reversed(top)]
    while stack:
        c, parent = stack.pop()
        here = f"{where}: <Code name={_a(c, 'name')!r}>"
        for attr in ("guid", "name", "isCodable"):
            if not _a(c, attr):
                raise RefiError(f"{here} lacks the required attribute {attr!r}; export the codebook again.")
        g = _a(c, "guid")
        if _key(g) in by_guid:
            raise RefiError(f"{here}: its guid {g} is also the guid of code {by_guid[_key(g)]!r}; every code needs "
                            "its own GUID. Fix the file in the program that wrote it (merge or re-create one code).")
        color = _a(c, "color") or None
        if color is not None and not _COLOR.match(color):
            raise RefiError(f"{here}: color {color!r} is not #RRGGBB or #RGB; fix or remove the colour.")
        name, label = _identifier(_a(c, "name"), taken)
        taken.add(name)
        by_guid[_key(g)] = name
        desc = c.find("Description")
        codes.append(Code(name=name, label=label, name_from_label=bool(label), parent=parent, color=color, guid=g,
                          codable=xs_boolean(c.attrib["isCodable"], f"{here}: isCodable"),
                          description=((desc.text or "").strip() if desc is not None else "")))
        stack.extend((child, name) for child in reversed(c.findall("Code")))
    return codes, by_guid


def _read_sets(root: ET.Element, by_guid: dict[str, str], where: str, notes: list[str]) -> list[CodeSet]:
    sets_el = root.find("Sets")
    out: list[CodeSet] = []
    if sets_el is None:
        return out
    seen = set(by_guid)
    for s in sets_el.findall("Set"):
        name, g = _a(s, "name"), _a(s, "guid")
        if not name or not g:
            raise RefiError(f"{where}: a <Set> lacks its name or guid; export the file again.")
        if _key(g) in seen:
            raise RefiError(f"{where}: <Set name={name!r}> has the guid {g} of another code or set; every set "
                            "needs its own GUID.")
        seen.add(_key(g))
        members: list[str] = []
        for m in s.findall("MemberCode"):
            target = _a(m, "guid") or _a(m, "targetGUID")
            if _key(target) in by_guid:
                members.append(by_guid[_key(target)])
            else:
                notes.append(f"set {name!r}: a member ({target or 'without guid'}) is not a code of the codebook; "
                             "not carried")
        others = len(s.findall("MemberSource")) + len(s.findall("MemberNote"))
        if others and not s.findall("MemberCode"):
            notes.append(f"set {name!r}: a set of {others} source(s) or note(s), not of codes; not carried")
            continue
        if others:
            notes.append(f"set {name!r}: {others} member source(s) or note(s) not carried (the codebook keeps codes)")
        desc = s.find("Description")
        out.append(CodeSet(name=name, guid=g, codes=members,
                           description=(desc.text or "").strip() if desc is not None else ""))
    return out


def read_refi(path: Path) -> RefiFile:
    """Read a REFI-QDA codebook (.qdc) or project (.qdpx, or a bare .qde) from any of the programs above."""
    path = Path(path)
    data, member, texts = _open_document(path)
    where = f"{path.name}!{member}" if member else path.name
    root = _parse(data, where)
    kind, ns = _strip_namespace(root, where)
    notes: list[str] = []
    book = root if kind == "codebook" else root.find("CodeBook")
    codes: list[Code] = []
    by_guid: dict[str, str] = {}
    if book is not None:
        codes_el = book.find("Codes")
        if codes_el is None:
            raise RefiError(f"{where}: <CodeBook> without <Codes>; the REFI-QDA schema needs it. Export the file again.")
        codes, by_guid = _read_codes(codes_el, where)
    sets = _read_sets(root, by_guid, where, notes)
    cb = Codebook(codes, name=_a(root, "name") or path.stem, source=path.name, sets=sets)
    try:
        validate_codebook(cb)
    except CodebookError as exc:
        raise RefiError(str(exc)) from None
    empty = pd.DataFrame(columns=CODING_COLUMNS)
    out = RefiFile(path, kind, ns, member, cb, pd.DataFrame(columns=["source_guid", "source_name", "kind", "text_chars"]),
                   empty, notes=notes, origin=_a(root, "origin"))
    if kind == "project":
        _read_project(root, out, by_guid, texts, where)
    return out


def read_qdc(path: Path) -> Codebook:
    """The codebook of a REFI-QDA codebook (.qdc) or project (.qdpx, .qde) file."""
    return read_refi(path).codebook


def _source_text(src: ET.Element, texts: dict[str, bytes], where: str) -> str | None:
    content = src.find("PlainTextContent")
    if content is not None:
        return content.text or ""
    ref = _a(src, "plainTextPath")
    if ref.startswith("internal://"):
        name = ref[len("internal://"):]
        for member, raw in texts.items():
            if member == f"sources/{name}" or member.endswith("/" + name) or member == name:
                try:
                    return decode_text(raw, f"{where} {member}")[0]
                except (BinaryFileError, UnicodeError):
                    return None
    return None


def _read_project(root: ET.Element, out: RefiFile, by_guid: dict[str, str], texts: dict[str, bytes],
                  where: str) -> None:
    users = {_key(_a(u, "guid")): _a(u, "name") or _a(u, "guid") for u in root.iterfind("Users/User")}
    names = {c.name: (c.label or c.name) for c in out.codebook.codes}
    rows: list[dict[str, object]] = []
    sources: list[dict[str, object]] = []
    skipped: dict[str, int] = {}
    unknown_code = no_ref = 0

    def codings_of(el: ET.Element, sel_user: str) -> Iterator[tuple[str, str]]:
        nonlocal unknown_code, no_ref
        for coding in el.findall("Coding"):
            ref = coding.find("CodeRef")
            target = _a(ref, "targetGUID") if ref is not None else ""
            if not target:
                no_ref += 1
                continue
            if _key(target) not in by_guid:
                unknown_code += 1
                continue
            yield target, _a(coding, "creatingUser") or sel_user

    def text_source(src: ET.Element, sname: str, sguid: str) -> None:
        text = _source_text(src, texts, where)
        if text is not None:
            out.texts[sguid] = text
        sources.append({"source_guid": sguid, "source_name": sname, "kind": "text",
                        "text_chars": len(text) if text is not None else -1})
        for sel in src.findall("PlainTextSelection"):
            try:
                start, end = int(_a(sel, "startPosition")), int(_a(sel, "endPosition"))
            except ValueError:
                raise RefiError(f"{where}: <PlainTextSelection guid={_a(sel, 'guid')!r}> of source {sname!r}: "
                                "startPosition and endPosition must be whole numbers.") from None
            for target, user in codings_of(sel, _a(sel, "creatingUser")):
                code = by_guid[_key(target)]
                rows.append({"source_name": sname, "source_guid": sguid, "selection_guid": _a(sel, "guid"),
                             "start": start, "end": end, "code_guid": target, "code_name": names[code], "code": code,
                             "coder": users.get(_key(user), user), "coder_guid": user})
        for target, user in codings_of(src, _a(src, "creatingUser")):  # the whole source coded
            code = by_guid[_key(target)]
            rows.append({"source_name": sname, "source_guid": sguid, "selection_guid": "", "start": 0,
                         "end": len(text) if text is not None else -1, "code_guid": target,
                         "code_name": names[code], "code": code, "coder": users.get(_key(user), user),
                         "coder_guid": user})

    for src in root.iterfind("Sources/*"):
        sname, sguid = _a(src, "name"), _a(src, "guid")
        if src.tag == "TextSource":
            text_source(src, sname, sguid)
            continue
        kind = _OTHER_SOURCES.get(src.tag, src.tag)
        representation = src.find("Representation") if src.tag == "PDFSource" else None
        if representation is not None:  # a PDF's text representation carries text selections
            text_source(representation, sname, sguid)
        else:
            sources.append({"source_guid": sguid, "source_name": sname, "kind": kind, "text_chars": -1})
        n = sum(len(sel.findall("Coding")) for sel in src.iter() if sel.tag.endswith("Selection")
                and sel.tag != "PlainTextSelection")
        if n:
            skipped[kind] = skipped.get(kind, 0) + n
    for kind, n in sorted(skipped.items()):
        out.notes.append(f"{n} coding(s) of {kind} selections not carried (their positions are not text offsets)")
    if unknown_code:
        out.notes.append(f"{unknown_code} coding(s) of codes that are not in the file's codebook not carried")
    if no_ref:
        out.notes.append(f"{no_ref} coding(s) without a CodeRef not carried")
    out.sources = pd.DataFrame(sources, columns=["source_guid", "source_name", "kind", "text_chars"])
    out.codings = pd.DataFrame(rows, columns=CODING_COLUMNS)


# ----------------------------------------------------------------------------------------- writing

def _code_attrs(code: Code) -> dict[str, str]:
    name = code.label if code.name_from_label and code.label else code.name
    attrs = {"guid": code_guid(code), "name": name, "isCodable": "true" if code.codable else "false"}
    if code.color:
        attrs["color"] = code.color
    return attrs


def _codes_element(parent: ET.Element, cb: Codebook, ns: str) -> None:
    """``Codes`` with the hierarchy as nested ``Code`` elements, built without recursion."""
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    element_of: dict[str, ET.Element] = {}
    for code, _ in cb.paths():
        container = element_of[code.parent] if code.parent else codes
        el = ET.SubElement(container, f"{{{ns}}}Code", _code_attrs(code))
        if code.description:
            ET.SubElement(el, f"{{{ns}}}Description").text = code.description
        element_of[code.name] = el


def _sets_element(parent: ET.Element, cb: Codebook, ns: str, member_attr: str) -> None:
    """The codebook's own Sets (none invented; no empty ``Sets``). ``member_attr``: ``guid`` in a codebook,
    ``targetGUID`` in a project, as each schema requires."""
    if not cb.sets:
        return
    guids = code_guids(cb)
    sets = ET.SubElement(parent, f"{{{ns}}}Sets")
    for s in cb.sets:
        el = ET.SubElement(sets, f"{{{ns}}}Set", {"guid": set_guid(s), "name": s.name})
        if s.description:
            ET.SubElement(el, f"{{{ns}}}Description").text = s.description
        for m in s.codes:
            ET.SubElement(el, f"{{{ns}}}MemberCode", {member_attr: guids[m]})


@contextlib.contextmanager
def _depth_allowance(depth: int) -> Iterator[None]:
    """Let ElementTree's (recursive) indenting and serialising handle ``depth`` nested elements."""
    old = sys.getrecursionlimit()
    needed = 4 * depth + 1000
    if needed > old:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _depth(root: ET.Element) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in el)
    return deepest


_INDENT_DEPTH = 64  # deeper documents are written without indentation (it would grow with the square of the depth)


def _write_xml(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    depth = _depth(root)
    with _depth_allowance(depth):
        if depth <= _INDENT_DEPTH:
            ET.indent(root, space="  ")
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def codebook_xml(cb: Codebook) -> bytes:
    """The .qdc document as bytes (valid against the Codebook 1.0 schema)."""
    if not cb.codes:
        raise RefiError(f"{cb.source or cb.name}: the codebook has no codes; a REFI-QDA codebook needs at least one.")
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": ORIGIN})
    _codes_element(root, cb, NS_CODEBOOK)
    _sets_element(root, cb, NS_CODEBOOK, "guid")
    return _write_xml(root, NS_CODEBOOK)


def write_qdc(cb: Codebook, path: Path) -> Path:
    """Write the codebook as a REFI-QDA codebook file (.qdc), atomically."""
    path = Path(path)
    data = codebook_xml(cb)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _as_codings(codes: pd.DataFrame, coder: str) -> pd.DataFrame:
    """Codings to write: doc_id, start, end, code, coder (and segment_id, note when given). Accepts the engine's
    segment x code table or the rows of :data:`CODING_COLUMNS` (source_name is the transcript id)."""
    df = codes.copy()
    if "doc_id" not in df.columns and "source_name" in df.columns:
        df["doc_id"] = df["source_name"]
    missing = {"doc_id", "start", "end", "code"} - set(df.columns)
    if missing:
        raise RefiError(f"codings: missing column(s) {sorted(missing)}; give the table written by `code` or by "
                        "`qda import --codings`.")
    if "coder" not in df.columns:
        df["coder"] = coder
    df["coder"] = df["coder"].fillna(coder).astype(str).replace("", coder)
    df["start"], df["end"] = df["start"].astype(int), df["end"].astype(int)
    return df


def project_xml(corpus: Iterable[Transcript], codes: pd.DataFrame, cb: Codebook,
                memos: pd.DataFrame | None = None, name: str = "Entrevistas",
                coder: str = ENGINE_CODER) -> tuple[bytes, dict[str, str]]:
    """The project.qde document and the plain-text sources (file name -> text).

    ``codes``: one row per coding (doc_id, start, end, code; optional segment_id, coder and note: a note
    becomes a ``Note`` attached to its selection, e.g. the candidates a reviewer should consider).
    """
    ns = NS_PROJECT
    corpus = sorted(corpus, key=lambda x: x.id)
    df = _as_codings(codes, coder)
    unknown = sorted(set(df.code) - set(cb.by_name) - {""})  # "": a selection with a note and no coding
    if unknown:
        raise RefiError(f"codings: code(s) {unknown[:5]} are not in the codebook {cb.source or cb.name}; "
                        "export with the codebook the codings were made with.")
    ids = {t.id for t in corpus}
    orphans = sorted(set(df.doc_id) - ids)
    if orphans:
        raise RefiError(f"codings: {len(orphans)} source(s) coded but not among the transcripts given; "
                        "give the transcripts the codings refer to.")
    coders = sorted(set(df.coder)) or [coder]
    user_of = {c: guid("user", c) for c in coders}
    first = coder if coder in user_of else coders[0]
    root = ET.Element(f"{{{ns}}}Project", {"name": name, "origin": ORIGIN, "creatingUserGUID": guid("user", first)})
    users = ET.SubElement(root, f"{{{ns}}}Users")
    for c in sorted(set(coders) | {first}):
        ET.SubElement(users, f"{{{ns}}}User", {"guid": guid("user", c), "name": c})
    if cb.codes:
        _codes_element(ET.SubElement(root, f"{{{ns}}}CodeBook"), cb, ns)
    guids = code_guids(cb)
    files: dict[str, str] = {}
    notes_for = _notes_for(memos)
    note_rows: list[tuple[str, str, str]] = []  # (guid, name, text)
    if corpus:
        sources_el = ET.SubElement(root, f"{{{ns}}}Sources")
        by_doc = {d: g for d, g in df.groupby("doc_id", sort=False)}
        for t in corpus:
            sguid = guid("source", t.id)
            fname = f"{sguid}.txt"
            files[fname] = t.plain_text()
            src = ET.SubElement(sources_el, f"{{{ns}}}TextSource",
                                {"guid": sguid, "name": t.id, "plainTextPath": f"internal://{fname}",
                                 "creatingUser": guid("user", first)})
            desc = ", ".join(f"{k}: {t.meta[k]}" for k in ("informant_role", "organisation_type", "synthetic")
                             if k in t.meta)
            if desc:
                ET.SubElement(src, f"{{{ns}}}Description").text = desc
            doc = by_doc.get(t.id)
            if doc is None:
                continue
            for (start, end), sel_rows in doc.sort_values(["start", "end"]).groupby(["start", "end"], sort=False):
                sid = str(sel_rows.segment_id.iloc[0]) if "segment_id" in sel_rows.columns else f"{t.id}:{start}-{end}"
                sel = ET.SubElement(src, f"{{{ns}}}PlainTextSelection",
                                    {"guid": guid("selection", f"{t.id}|{start}|{end}"), "name": sid,
                                     "startPosition": str(int(start)), "endPosition": str(int(end)),
                                     "creatingUser": guid("user", str(sel_rows.coder.iloc[0]))})
                coded = sel_rows[sel_rows.code != ""]
                for r in coded.sort_values(["code", "coder"]).drop_duplicates(["code", "coder"]).itertuples():
                    coding = ET.SubElement(sel, f"{{{ns}}}Coding",
                                           {"guid": guid("coding", f"{t.id}|{start}|{end}|{r.code}|{r.coder}"),
                                            "creatingUser": guid("user", str(r.coder))})
                    ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": guids[str(r.code)]})
                note_refs = list(notes_for.get(sid, []))
                if "note" in sel_rows.columns:
                    text = "\n".join(dict.fromkeys(str(x) for x in sel_rows.note if str(x).strip()))
                    if text:
                        ng = guid("note", f"{t.id}|{start}|{end}")
                        note_rows.append((ng, f"{sid}: candidatos", text))
                        note_refs.append(ng)
                for note_guid in note_refs:
                    ET.SubElement(sel, f"{{{ns}}}NoteRef", {"targetGUID": note_guid})
    if (memos is not None and len(memos)) or note_rows:
        notes = ET.SubElement(root, f"{{{ns}}}Notes")
        for m in (memos.itertuples() if memos is not None else []):
            note = ET.SubElement(notes, f"{{{ns}}}Note",
                                 {"guid": guid("note", m.memo_id), "name": m.memo_id, "creatingUser": guid("user", first)})
            target = f"código: {m.code}" if m.code else ""
            ET.SubElement(note, f"{{{ns}}}PlainTextContent").text = (f"[{target}] " if target else "") + m.text
        for ng, nname, text in note_rows:
            note = ET.SubElement(notes, f"{{{ns}}}Note", {"guid": ng, "name": nname, "creatingUser": guid("user", first)})
            ET.SubElement(note, f"{{{ns}}}PlainTextContent").text = text
    _sets_element(root, cb, ns, "targetGUID")
    return _write_xml(root, ns), files


def _notes_for(memos: pd.DataFrame | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if memos is None:
        return out
    for m in memos.itertuples():
        if m.segment_id:
            out.setdefault(m.segment_id, []).append(guid("note", m.memo_id))
    return out


def write_qdpx(corpus: Iterable[Transcript], codes: pd.DataFrame, cb: Codebook, path: Path,
               memos: pd.DataFrame | None = None, name: str = "Entrevistas", coder: str = ENGINE_CODER) -> Path:
    """Write a REFI-QDA project (.qdpx): project.qde plus sources/*.txt, deterministic bytes, atomically
    (a temporary file in the same folder, renamed when complete)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml, files = project_xml(corpus, codes, cb, memos, name, coder)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arcname, data in [("project.qde", xml), *((f"sources/{k}", v.encode("utf-8")) for k, v in sorted(files.items()))]:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return path


# ----------------------------------------------------------------------------------------- validation

def validate(path: Path, project_xsd: Path | None = None) -> tuple[str, list[str]]:
    """(kind, errors) of a .qdc or .qdpx checked against the official schema of its kind: the Codebook 1.0
    schema (:data:`CODEBOOK_XSD`) or the Project schema (``project_xsd``, default the source ``refi_xsd``).
    A file in another namespace than the standard's is reported as such (the schema names one)."""
    path = Path(path)
    data, member, _ = _open_document(path)
    where = f"{path.name}!{member}" if member else path.name
    root = _parse(data, where)
    kind, ns = _strip_namespace(root, where)
    if kind == "codebook":
        xsd = CODEBOOK_XSD
    else:
        if project_xsd is None:
            try:
                project_xsd = require("refi_xsd")
            except DataError as exc:
                raise RefiError(str(exc)) from None
        xsd = project_xsd
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    doc = etree.fromstring(data, parser)
    errors = []
    if ns not in (NS_CODEBOOK, NS_PROJECT):
        errors.append(f"{where}: namespace {ns!r} is a dialect; the schema's is "
                      f"{NS_CODEBOOK if kind == 'codebook' else NS_PROJECT!r}.")
    if not schema.validate(doc):
        errors += [f"{where}, line {e.line}: {e.message}" for e in schema.error_log]
    return kind, errors


# ----------------------------------------------------------------------------------------- CSV and comparison

def read_codebook_csv(path: Path) -> Codebook:
    """Import a codebook from CSV columns name, path (``parent/child``) and description (optional color).

    The file may be UTF-8, UTF-16 (byte-order mark) or Windows-1252; readable code names
    ("Canales múltiples") get a derived identifier and keep the name as label, as in :func:`read_qdc`.
    """
    path = Path(path)
    try:
        text, _ = decode_text(path.read_bytes(), path.name)
    except FileNotFoundError:
        raise CodebookError(f"{path}: file not found.") from None
    except (BinaryFileError, UnicodeError) as exc:
        raise CodebookError(str(exc)) from None
    if not text.strip():
        raise CodebookError(f"{path.name}: the file is empty; expected columns name, path, description.")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise CodebookError(f"{path.name}: not a valid CSV ({str(exc).strip()}).") from None
    missing = {"name", "path", "description"} - set(df.columns)
    if missing:
        raise CodebookError(f"{path.name}, line 1: missing column(s) {sorted(missing)}; need name, path, description.")
    rows: list[tuple[int, list[str], pd.Series]] = []
    id_of: dict[str, tuple[str, str]] = {}  # path -> (identifier, label)
    taken: set[str] = set()
    for i, row in df.iterrows():
        line = int(i) + 2
        parts = [p.strip() for p in row["path"].split("/") if p.strip()]
        if not parts or parts[-1] != row["name"].strip():
            raise CodebookError(f"{path.name}, line {line}: path {row['path']!r} "
                                f"must end with the code name {row['name']!r}.")
        key = "/".join(parts)
        if key in id_of:
            raise CodebookError(f"{path.name}, line {line}: the code {key!r} is listed twice.")
        ident, label = _identifier(parts[-1], taken)
        taken.add(ident)
        id_of[key] = (ident, label)
        rows.append((line, parts, row))
    codes = []
    for line, parts, row in rows:
        ident, label = id_of["/".join(parts)]
        parent = None
        if len(parts) > 1:
            parent_key = "/".join(parts[:-1])
            if parent_key not in id_of:
                raise CodebookError(f"{path.name}, line {line}: parent {parent_key!r} is not a code of the file; "
                                    "add a row for it.")
            parent = id_of[parent_key][0]
        codes.append(Code(name=ident, label=label, name_from_label=bool(label), parent=parent,
                          color=row.get("color") or None, description=row["description"].strip(),
                          definition=row["description"].strip()))
    return validate_codebook(Codebook(codes, name=path.stem, source=path.name))


def codebook_records(cb: Codebook) -> list[tuple[str, str | None, str, str | None, bool]]:
    """(name, parent, description, colour, codable) per code, for round-trip comparisons."""
    return [(c.name, c.parent, c.description, (c.color or "").upper() or None, c.codable) for c in cb.codes]


def exchange_records(cb: Codebook) -> tuple[list[tuple[str, str, str | None, str, str | None, bool]],
                                             list[tuple[str, str, str, tuple[str, ...]]]]:
    """What travels through REFI-QDA, GUIDs included: per code (guid, name as written, parent's guid,
    description, colour, codable) and per set (guid, name, description, member guids)."""
    guids = code_guids(cb)
    codes = [(guids[c.name].lower(), _code_attrs(c)["name"], guids[c.parent].lower() if c.parent else None,
              c.description, (c.color or "").lower() or None, c.codable) for c in cb.codes]
    sets = [(set_guid(s).lower(), s.name, s.description, tuple(guids[m].lower() for m in s.codes)) for s in cb.sets]
    return codes, sets


# ----------------------------------------------------------------------------------------- SDG suggestions

def sdg_target_suggestions(segments: pd.DataFrame, classified: pd.DataFrame,
                           coder: str = "motor_ods") -> tuple[list[Transcript], pd.DataFrame, Codebook]:
    """The SDG engine's suggestions as a project to review in a QDA program: one text source per document
    (``segments``: doc_id, segment_id, text, in reading order), one selection per segment with its best target
    coded (``classified``, aligned row by row with ``segments``: top_target, targets "11.2;11.6;11.b" and
    target_score_1..3) and a note listing the three candidate targets with their scores. Codes: one per goal
    ("ODS 11", not codable) with the candidate targets below it ("Meta 11.2"). A segment where the engine
    abstains keeps its selection and the note of its candidates, without a coding, so a reviewer can choose.

    Returns (sources, codings, codebook) for :func:`write_qdpx`."""
    if len(segments) != len(classified):
        raise RefiError(f"SDG suggestions: {len(segments)} segments but {len(classified)} classified rows; "
                        "give the classification of exactly these segments, in the same order.")
    seg = segments.reset_index(drop=True)
    cls = classified.reset_index(drop=True)
    targets: set[str] = set()
    for r in cls.itertuples():
        targets.update(t.strip() for t in str(r.targets or "").split(";") if t.strip())
        if str(r.top_target or "").strip():
            targets.add(str(r.top_target).strip())

    def goal_of(t: str) -> int:
        return int(t.split(".")[0])

    codes: list[Code] = []
    for goal in sorted({goal_of(t) for t in targets}):
        codes.append(Code(name=f"ods_{goal}", label=f"ODS {goal}", name_from_label=True, codable=False,
                          description=f"Objetivo de Desarrollo Sostenible {goal}."))
        for t in sorted((t for t in targets if goal_of(t) == goal), key=lambda x: [p.zfill(3) for p in x.split(".")]):
            codes.append(Code(name=identifier_for(f"meta {t}"), label=f"Meta {t}", name_from_label=True,
                              parent=f"ods_{goal}", description=f"Meta {t} de los ODS."))
    cb = validate_codebook(Codebook(codes, name="Sugerencias ODS", source="sugerencias ODS"))
    sources: list[Transcript] = []
    rows: list[dict[str, object]] = []
    for doc, part in seg.groupby("doc_id", sort=False):
        turns = tuple(Turn("", " ".join(str(x).split()), i + 1) for i, x in enumerate(part.text))
        plan = Transcript(id=str(doc), meta={"synthetic": False}, turns=turns, source=str(doc))
        sources.append(plan)
        for (k, s), turn, start in zip(part.iterrows(), turns, plan.turn_offsets(), strict=True):
            r = cls.loc[k]
            end = start + len(turn.text)
            cands = [c.strip() for c in str(r.targets or "").split(";") if c.strip()]
            scores = [r.get(f"target_score_{i}", "") for i in (1, 2, 3)]
            note = "Metas candidatas: " + "; ".join(
                f"{c} ({float(sc):.3f})" if str(sc).strip() not in ("", "nan") else c
                for c, sc in zip(cands, scores, strict=False)) if cands else ""
            top = str(r.top_target or "").strip()
            if top or note:  # an abstention keeps its selection and the note of its candidates, without a coding
                rows.append({"doc_id": doc, "segment_id": s.segment_id, "start": start, "end": end,
                             "code": identifier_for(f"meta {top}") if top else "", "coder": coder, "note": note})
    return sources, pd.DataFrame(rows, columns=["doc_id", "segment_id", "start", "end", "code", "coder", "note"]), cb
