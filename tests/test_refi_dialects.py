"""REFI-QDA files as each QDA program writes them: import, re-export schema-valid, GUIDs and Sets kept,
one row per Coding of text (fixtures in tests/fixtures/refi/, one per program and version)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

from analysis.analyses.qda import refi
from analysis.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "refi"
#: fixture -> (program, number of Sets of codes it carries, whether non-text codings are reported)
CODEBOOKS = {"atlasti9.qdc": ("ATLAS.ti 9", 2), "nvivo12mac.qdc": ("NVivo 12 Mac", 0), "taguette.qdc": ("Taguette", 0)}
PROJECTS = {
    "atlasti23": ("ATLAS.ti 23", "Estudio municipal.qde", 1, "image"),
    "maxqda24": ("MAXQDA 24", "project.qde", 1, "audio"),
    "nvivo12win": ("NVivo 12 Windows", "project.qde", 0, "PDF"),
    "qualcoder4": ("QualCoder 4", "project.qde", 0, None),
    "refi15_spec": ("REFI-QDA 1.5 example", "Project.qde", 0, None),
}


def build_qdpx(name: str, tmp_path: Path) -> Path:
    """Zip a fixture folder the way the program does: its .qde and sources/*.txt."""
    folder = FIXTURES / name
    out = tmp_path / f"{name}.qdpx"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder).as_posix())
    return out


def raw_xml(path: Path) -> ET.Element:
    """The document read independently of the module under test (namespace dropped)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            data = z.read(next(n for n in z.namelist() if n.endswith(".qde")))
    else:
        data = path.read_bytes()
    root = ET.fromstring(data)
    for el in root.iter():
        el.tag = el.tag.split("}")[-1]
    return root


def file_guids(root: ET.Element) -> tuple[set[str], set[str]]:
    codes = {c.attrib["guid"].strip().lower() for c in root.iter("Code")}
    sets = {s.attrib["guid"].strip().lower() for s in root.iter("Set")
            if s.find("MemberCode") is not None or s.find("MemberSource") is None}
    return codes, sets


def text_codings(root: ET.Element) -> int:
    return sum(len(sel.findall("Coding")) for sel in root.iter("PlainTextSelection"))


def assert_round_trip(f: refi.RefiFile, path: Path, tmp_path: Path) -> None:
    codes, sets = file_guids(raw_xml(path))
    got_codes, got_sets = refi.exchange_records(f.codebook)
    assert {c[0] for c in got_codes} == codes  # every GUID of the file is kept
    assert {s[0] for s in got_sets} == sets
    for suffix, writer in ((".qdc", lambda p: refi.write_qdc(f.codebook, p)),
                           (".qdpx", lambda p: refi.write_qdpx([], pd.DataFrame(columns=["doc_id", "start", "end", "code"]),
                                                               f.codebook, p))):
        out = writer(tmp_path / f"again{suffix}")
        _, errors = refi.validate(out)
        assert errors == [], errors
        again = refi.read_refi(out)
        assert refi.exchange_records(again.codebook) == (got_codes, got_sets)
        assert [again.codebook.path(c.name) for c in again.codebook.codes] == \
            [f.codebook.path(c.name) for c in f.codebook.codes]


@pytest.mark.parametrize("name", sorted(CODEBOOKS))
def test_codebook_dialects_import_and_reexport(name: str, tmp_path: Path) -> None:
    path = FIXTURES / name
    f = refi.read_refi(path)
    assert f.kind == "codebook"
    assert len(f.codebook.sets) == CODEBOOKS[name][1]
    assert_round_trip(f, path, tmp_path)


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_project_dialects_import_codings_and_reexport(name: str, tmp_path: Path) -> None:
    _, member, n_sets, other = PROJECTS[name]
    path = build_qdpx(name, tmp_path)
    f = refi.read_refi(path)
    assert (f.kind, f.member) == ("project", member)
    assert len(f.codebook.sets) == n_sets
    root = raw_xml(path)
    assert len(f.codings) == text_codings(root)  # one row per Coding of a text selection
    assert set(f.codings.code_guid.str.lower()) <= {c.attrib["guid"].lower() for c in root.iter("Code")}
    texts = {g: t for g, t in f.texts.items()}
    for r in f.codings.itertuples():  # positions fall inside the source's text
        assert 0 <= r.start < r.end <= len(texts[r.source_guid])
    if other:
        assert any(other in n and "not carried" in n for n in f.notes), f.notes
    assert_round_trip(f, path, tmp_path)


def test_atlasti_sets_keep_members_and_drop_only_sources(tmp_path: Path) -> None:
    f = refi.read_refi(build_qdpx("atlasti23", tmp_path))
    by_name = {s.name: s for s in f.codebook.sets}
    assert by_name["Paradiplomacia"].codes == ["hermanamiento", "cooperacion_tecnica"]
    assert "Entrevistas de 2023" not in by_name  # a document group is not a set of codes: reported, not carried
    assert any("Entrevistas de 2023" in n and "not carried" in n for n in f.notes)


def test_nvivo_two_coders_and_pdf_representation(tmp_path: Path) -> None:
    f = refi.read_refi(build_qdpx("nvivo12win", tmp_path))
    assert sorted(f.codings.coder.unique()) == ["Coder 1", "Coder 2"]
    assert "Plan municipal" in set(f.codings.source_name)  # the PDF's text representation is carried


def test_nvivo_mac_bom_spaces_and_labels() -> None:
    cb = refi.read_qdc(FIXTURES / "nvivo12mac.qdc")
    top = cb.codes[0]
    assert (top.name, top.label, top.codable, top.guid) == ("motivaciones", "Motivaciones", False,
                                                              "6A0C2D1E-3B4F-4C5D-8E9F-0A1B2C3D4E01")
    assert cb.path("turismo") == "motivaciones/turismo"


def test_three_digit_colour_is_kept(tmp_path: Path) -> None:
    f = refi.read_refi(build_qdpx("refi15_spec", tmp_path))
    assert f.codebook.codes[0].color == "#ff0"
    assert 'color="#ff0"' in refi.codebook_xml(f.codebook).decode()


def test_empty_project_imports(tmp_path: Path) -> None:
    p = tmp_path / "vacio.qdpx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("vacio.qde", '<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="vacío"/>')
    f = refi.read_refi(p)
    assert (len(f.codebook.codes), len(f.codings)) == (0, 0)


def test_cli_import_reports_and_writes_codings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qdpx = build_qdpx("atlasti23", tmp_path)
    out, cod = tmp_path / "libro.yml", tmp_path / "codificaciones.csv"
    assert main(["qda", "import", str(qdpx), "--out", str(out), "--codings", str(cod)]) == 0
    said = capsys.readouterr().out
    assert "not carried: 1 coding(s) of image selections" in said
    rows = pd.read_csv(cod)
    assert list(rows.columns) == refi.CODING_COLUMNS
    assert len(rows) == 3
    # the YAML codebook goes back out with the same GUIDs and Sets, valid
    back = tmp_path / "de_vuelta.qdc"
    assert main(["qda", "export", "--codebook", str(out), "--out", str(back)]) == 0
    assert main(["qda", "validate", str(back)]) == 0
    first = refi.read_refi(qdpx).codebook
    assert refi.exchange_records(refi.read_qdc(back)) == refi.exchange_records(first)


def test_cli_validate_prints_errors_for_an_invalid_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qda", "validate", str(FIXTURES / "taguette.qdc")]) == 1  # its empty <Sets/> is not valid
    assert "Sets" in capsys.readouterr().err
    assert main(["qda", "validate", str(FIXTURES / "atlasti9.qdc")]) == 1  # a dialect namespace
    assert "dialect" in capsys.readouterr().err


@pytest.mark.build
@pytest.mark.parametrize("name", ["codebook.qdc", "entrevistas.qdpx", "revision_demostracion.qdpx"])
def test_the_pipelines_refi_exports_are_schema_valid(name: str) -> None:
    """What chapter 3 exports validates against the schema of its kind (a planted error is caught:
    tests/test_refi_faults.py::test_the_project_schema_check_can_fail)."""
    from analysis import paths

    path = paths.PROCESSED / "qda" / name
    if not path.exists():
        pytest.skip(f"{path} not written yet; run `python -m analysis run 03`")
    kind, errors = refi.validate(path)
    assert kind == ("codebook" if name.endswith(".qdc") else "project")
    assert errors == []
