"""REFI-QDA interoperability: codebook exchange (.qdc) and project exchange (.qdpx).

- :func:`write_qdc` writes the codebook as ``CodeBook > Codes > Code`` in the namespace
  ``urn:QDA-XML:codebook:1.0`` (attributes guid, name, isCodable, color as #RRGGBB, a
  Description child, nested codes for the hierarchy) plus one ``Set`` per first-level category.
  ATLAS.ti, NVivo, MAXQDA and QualCoder import it.
- :func:`read_qdc` reads such a file back into a :class:`analysis.qda.Codebook`. ``isCodable`` is
  read as the standard's ``xs:boolean`` ("true", "false", "1", "0"); a code name that is not an
  internal identifier (a codebook from another QDA program: "Canales múltiples") becomes the
  code's label, and its identifier is derived from it (``canales_multiples``, with ``_2``, ``_3``
  on collision); such codes are written back under their readable name, so the round trip
  through another program keeps it. Hierarchies of any depth are read and written without recursion limits.
- :func:`write_qdpx` writes a project (zip): ``project.qde`` in ``urn:QDA-XML:project:1.0`` with
  the codebook, one ``TextSource`` per transcript (its plain text under ``sources/``), one
  ``PlainTextSelection`` per coded segment with its ``Coding`` elements, and memos as ``Notes``.
- :func:`read_codebook_csv` imports a codebook from a CSV with name, path and description columns
  (the layout most QDA programs export).

GUIDs are uuid5 of fixed names, so two exports of the same material are byte-identical.
Offsets in selections are character (code point) positions in the source's plain text, start
inclusive and end exclusive.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from analysis.analyses.qda import Code, Codebook, CodebookError, validate_codebook
from analysis.analyses.qda.codebook import identifier_for
from analysis.ingest.transcripts import Transcript
from analysis.util.io import BinaryFileError, atomic_path, decode_text

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PROJECT = "urn:QDA-XML:project:1.0"
_GUID_NS = uuid.UUID("6b1d8f0e-4c1e-5d0a-9a57-63b2c0f0a001")
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
ORIGIN = "analysis (compendio de paradiplomacia municipal)"


def guid(kind: str, name: str) -> str:
    """A stable GUID for an object of ``kind`` (code, source, selection...) named ``name``."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{name}"))


def code_guids(cb: Codebook) -> dict[str, str]:
    """GUID of every code (uuid5 of its path), computed in one pass over the hierarchy."""
    return {code.name: guid("code", path) for code, path in cb.paths()}


def _code_attrs(code: Code, code_guid: str) -> dict[str, str]:
    name = code.label if code.name_from_label and code.label else code.name
    attrs = {"guid": code_guid, "name": name, "isCodable": "true" if code.codable else "false"}
    if code.color:
        attrs["color"] = code.color.upper()
    return attrs


def _codes_element(parent: ET.Element, cb: Codebook, ns: str) -> None:
    """``Codes`` with the hierarchy as nested ``Code`` elements, built without recursion."""
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    element_of: dict[str, ET.Element] = {}
    for code, path in cb.paths():
        container = element_of[code.parent] if code.parent else codes
        el = ET.SubElement(container, f"{{{ns}}}Code", _code_attrs(code, guid("code", path)))
        if code.description:
            ET.SubElement(el, f"{{{ns}}}Description").text = code.description
        element_of[code.name] = el


def _sets_element(parent: ET.Element, cb: Codebook, ns: str) -> None:
    sets = ET.SubElement(parent, f"{{{ns}}}Sets")
    top_of: dict[str, str] = {}
    guids: dict[str, str] = {}
    for code, path in cb.paths():
        top_of[code.name] = top_of[code.parent] if code.parent else code.name
        guids[code.name] = guid("code", path)
    for top in cb.children(None):
        members = [c for c in cb.codes if c.name != top.name and top_of.get(c.name) == top.name]
        if not members:
            continue
        s = ET.SubElement(sets, f"{{{ns}}}Set", {"guid": guid("set", top.name), "name": top.label or top.name})
        for m in members:
            ET.SubElement(s, f"{{{ns}}}MemberCode", {"targetGUID": guids[m.name]})


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


def _write_xml(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    with _depth_allowance(_depth(root)):
        ET.indent(root, space="  ")
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def codebook_xml(cb: Codebook) -> bytes:
    """The .qdc document as bytes."""
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": ORIGIN})
    _codes_element(root, cb, NS_CODEBOOK)
    _sets_element(root, cb, NS_CODEBOOK)
    return _write_xml(root, NS_CODEBOOK)


def write_qdc(cb: Codebook, path: Path) -> Path:
    """Write the codebook as a REFI-QDA codebook file (.qdc), atomically."""
    path = Path(path)
    data = codebook_xml(cb)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def read_qdc(path: Path) -> Codebook:
    """Read a REFI-QDA codebook (.qdc, or the CodeBook inside a project.qde or a .qdpx) into a Codebook."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):  # a whole project (.qdpx): its project.qde holds the codebook
            with zipfile.ZipFile(path) as z:
                if "project.qde" not in z.namelist():
                    raise CodebookError(f"{path.name}: a zip archive without project.qde; not a REFI-QDA project.")
                root = ET.fromstring(z.read("project.qde"))
        else:
            root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise CodebookError(f"{path.name}: not well-formed XML ({exc}).") from None
    except FileNotFoundError:
        raise CodebookError(f"{path}: file not found.") from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns not in (NS_CODEBOOK, NS_PROJECT):
        raise CodebookError(f"{path.name}: root namespace {ns!r} is not {NS_CODEBOOK!r}.")
    codes_el = root.find(f"{{{ns}}}Codes")
    if codes_el is None:
        codes_el = root.find(f"{{{ns}}}CodeBook/{{{ns}}}Codes")
    if codes_el is None:
        raise CodebookError(f"{path.name}: no Codes element.")
    codes: list[Code] = []
    taken: set[str] = set()
    # depth-first, in document order, without recursion (hierarchies may be thousands deep)
    stack: list[tuple[ET.Element, str | None]] = [(c, None) for c in reversed(codes_el.findall(f"{{{ns}}}Code"))]
    while stack:
        c, parent = stack.pop()
        where = f"{path.name}: code {c.attrib.get('name', '?')!r}"
        for attr in ("guid", "name", "isCodable"):
            if attr not in c.attrib:
                raise CodebookError(f"{where}: lacks the required attribute {attr!r}.")
        name, label = _identifier(c.attrib["name"], taken)
        taken.add(name)
        desc = c.find(f"{{{ns}}}Description")
        codes.append(Code(name=name, label=label, name_from_label=bool(label), parent=parent, color=c.attrib.get("color"),
                          codable=xs_boolean(c.attrib["isCodable"], f"{where}: isCodable"),
                          description=(desc.text or "") if desc is not None else ""))
        stack.extend((child, name) for child in reversed(c.findall(f"{{{ns}}}Code")))
    return validate_codebook(Codebook(codes, name=path.stem, source=path.name))


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
    raise CodebookError(f"{where} is {value!r}; the REFI-QDA standard allows true, false, 1 or 0.")


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


def project_xml(corpus: Iterable[Transcript], codes: pd.DataFrame, cb: Codebook,
                memos: pd.DataFrame | None = None, name: str = "Entrevistas") -> tuple[bytes, dict[str, str]]:
    """The project.qde document and the plain-text sources (file name -> text)."""
    ns = NS_PROJECT
    user = guid("user", "codificacion_automatica")
    root = ET.Element(f"{{{ns}}}Project", {"name": name, "origin": ORIGIN, "creatingUserGUID": user})
    users = ET.SubElement(root, f"{{{ns}}}Users")
    ET.SubElement(users, f"{{{ns}}}User", {"guid": user, "name": "codificacion_automatica"})
    book = ET.SubElement(root, f"{{{ns}}}CodeBook")
    _codes_element(book, cb, ns)
    guids = code_guids(cb)
    sources_el = ET.SubElement(root, f"{{{ns}}}Sources")
    files: dict[str, str] = {}
    by_segment = codes.groupby("segment_id", sort=False)
    seg_first = codes.drop_duplicates("segment_id").set_index("segment_id")
    notes_for = _notes_for(memos)
    for t in sorted(corpus, key=lambda x: x.id):
        sguid = guid("source", t.id)
        fname = f"{sguid}.txt"
        files[fname] = t.plain_text()
        src = ET.SubElement(sources_el, f"{{{ns}}}TextSource",
                            {"guid": sguid, "name": t.id, "plainTextPath": f"internal://{fname}", "creatingUser": user})
        desc = ", ".join(f"{k}: {t.meta[k]}" for k in ("informant_role", "organisation_type", "synthetic")
                         if k in t.meta)
        ET.SubElement(src, f"{{{ns}}}Description").text = desc
        seg_ids = seg_first[seg_first.doc_id == t.id].sort_values("start").index
        for sid in seg_ids:
            row = seg_first.loc[sid]
            sel = ET.SubElement(src, f"{{{ns}}}PlainTextSelection",
                                {"guid": guid("selection", sid), "name": sid, "startPosition": str(int(row.start)),
                                 "endPosition": str(int(row.end)), "creatingUser": user})
            for code in sorted(by_segment.get_group(sid).code):
                coding = ET.SubElement(sel, f"{{{ns}}}Coding", {"guid": guid("coding", f"{sid}|{code}"), "creatingUser": user})
                ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": guids[code]})
            for note_guid in notes_for.get(sid, []):
                ET.SubElement(sel, f"{{{ns}}}NoteRef", {"targetGUID": note_guid})
    if memos is not None and len(memos):
        notes = ET.SubElement(root, f"{{{ns}}}Notes")
        for m in memos.itertuples():
            note = ET.SubElement(notes, f"{{{ns}}}Note",
                                 {"guid": guid("note", m.memo_id), "name": m.memo_id, "creatingUser": user})
            target = f"código: {m.code}" if m.code else ""
            ET.SubElement(note, f"{{{ns}}}PlainTextContent").text = (f"[{target}] " if target else "") + m.text
    _sets_element(root, cb, ns)
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
               memos: pd.DataFrame | None = None, name: str = "Entrevistas") -> Path:
    """Write a REFI-QDA project (.qdpx): project.qde plus sources/*.txt, deterministic bytes, atomically
    (a temporary file in the same folder, renamed when complete)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml, files = project_xml(corpus, codes, cb, memos, name)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arcname, data in [("project.qde", xml), *((f"sources/{k}", v.encode("utf-8")) for k, v in sorted(files.items()))]:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return path


def codebook_records(cb: Codebook) -> list[tuple[str, str | None, str, str | None, bool]]:
    """(name, parent, description, colour, codable) per code, for round-trip comparisons."""
    return [(c.name, c.parent, c.description, (c.color or "").upper() or None, c.codable) for c in cb.codes]
