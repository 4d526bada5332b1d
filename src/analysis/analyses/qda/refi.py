"""REFI-QDA interoperability: codebook exchange (.qdc) and project exchange (.qdpx).

- :func:`write_qdc` writes the codebook as ``CodeBook > Codes > Code`` in the namespace
  ``urn:QDA-XML:codebook:1.0`` (attributes guid, name, isCodable, color as #RRGGBB, a
  Description child, nested codes for the hierarchy) plus one ``Set`` per first-level category.
  ATLAS.ti, NVivo, MAXQDA and QualCoder import it.
- :func:`read_qdc` reads such a file back into a :class:`analysis.qda.Codebook`.
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

import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from analysis.analyses.qda import Code, Codebook, CodebookError, validate_codebook
from analysis.ingest.transcripts import Transcript

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PROJECT = "urn:QDA-XML:project:1.0"
_GUID_NS = uuid.UUID("6b1d8f0e-4c1e-5d0a-9a57-63b2c0f0a001")
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
ORIGIN = "analysis (compendio de paradiplomacia municipal)"


def guid(kind: str, name: str) -> str:
    """A stable GUID for an object of ``kind`` (code, source, selection...) named ``name``."""
    return str(uuid.uuid5(_GUID_NS, f"{kind}:{name}"))


def _code_element(parent: ET.Element, cb: Codebook, code: Code, ns: str) -> None:
    attrs = {"guid": guid("code", cb.path(code.name)), "name": code.name, "isCodable": "true" if code.codable else "false"}
    if code.color:
        attrs["color"] = code.color.upper()
    el = ET.SubElement(parent, f"{{{ns}}}Code", attrs)
    if code.description:
        ET.SubElement(el, f"{{{ns}}}Description").text = code.description
    for child in cb.children(code.name):
        _code_element(el, cb, child, ns)


def _codes_element(parent: ET.Element, cb: Codebook, ns: str) -> None:
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    for code in cb.children(None):
        _code_element(codes, cb, code, ns)


def _sets_element(parent: ET.Element, cb: Codebook, ns: str) -> None:
    sets = ET.SubElement(parent, f"{{{ns}}}Sets")
    for top in cb.children(None):
        members = [c for c in cb.codes if c.name != top.name and cb.top(c.name) == top.name]
        if not members:
            continue
        s = ET.SubElement(sets, f"{{{ns}}}Set", {"guid": guid("set", top.name), "name": top.label or top.name})
        for m in members:
            ET.SubElement(s, f"{{{ns}}}MemberCode", {"targetGUID": guid("code", cb.path(m.name))})


def _write_xml(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def codebook_xml(cb: Codebook) -> bytes:
    """The .qdc document as bytes."""
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": ORIGIN})
    _codes_element(root, cb, NS_CODEBOOK)
    _sets_element(root, cb, NS_CODEBOOK)
    return _write_xml(root, NS_CODEBOOK)


def write_qdc(cb: Codebook, path: Path) -> Path:
    """Write the codebook as a REFI-QDA codebook file (.qdc)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(codebook_xml(cb))
    return path


def read_qdc(path: Path) -> Codebook:
    """Read a REFI-QDA codebook (.qdc, or the CodeBook inside a project.qde) into a Codebook."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise CodebookError(f"{path.name}: not well-formed XML ({exc}).") from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns not in (NS_CODEBOOK, NS_PROJECT):
        raise CodebookError(f"{path.name}: root namespace {ns!r} is not {NS_CODEBOOK!r}.")
    codes_el = root.find(f"{{{ns}}}Codes")
    if codes_el is None:
        codes_el = root.find(f"{{{ns}}}CodeBook/{{{ns}}}Codes")
    if codes_el is None:
        raise CodebookError(f"{path.name}: no Codes element.")
    codes: list[Code] = []

    def walk(el: ET.Element, parent: str | None) -> None:
        for c in el.findall(f"{{{ns}}}Code"):
            for attr in ("guid", "name", "isCodable"):
                if attr not in c.attrib:
                    raise CodebookError(f"{path.name}: a Code lacks the required attribute {attr!r}.")
            desc = c.find(f"{{{ns}}}Description")
            codes.append(Code(name=c.attrib["name"], parent=parent, color=c.attrib.get("color"),
                              codable=c.attrib["isCodable"] == "true",
                              description=(desc.text or "") if desc is not None else ""))
            walk(c, c.attrib["name"])

    walk(codes_el, None)
    return validate_codebook(Codebook(codes, name=path.stem, source=path.name))


def read_codebook_csv(path: Path) -> Codebook:
    """Import a codebook from CSV columns name, path (``parent/child``) and description (optional color)."""
    path = Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"name", "path", "description"} - set(df.columns)
    if missing:
        raise CodebookError(f"{path.name}, line 1: missing column(s) {sorted(missing)}; need name, path, description.")
    codes = []
    for i, row in df.iterrows():
        parts = [p.strip() for p in row["path"].split("/") if p.strip()]
        if not parts or parts[-1] != row["name"].strip():
            raise CodebookError(f"{path.name}, line {int(i) + 2}: path {row['path']!r} "
                                f"must end with the code name {row['name']!r}.")
        codes.append(Code(name=row["name"].strip(), parent=parts[-2] if len(parts) > 1 else None,
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
                ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": guid("code", cb.path(code))})
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
    """Write a REFI-QDA project (.qdpx): project.qde plus sources/*.txt, deterministic bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml, files = project_xml(corpus, codes, cb, memos, name)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for arcname, data in [("project.qde", xml), *((f"sources/{k}", v.encode("utf-8")) for k, v in sorted(files.items()))]:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    tmp.replace(path)
    return path


def codebook_records(cb: Codebook) -> list[tuple[str, str | None, str, str | None, bool]]:
    """(name, parent, description, colour, codable) per code, for round-trip comparisons."""
    return [(c.name, c.parent, c.description, (c.color or "").upper() or None, c.codable) for c in cb.codes]
