"""REFI-QDA import under real-world input: xs:boolean values, human-readable code names from other
QDA programs, and hierarchies thousands of codes deep."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analysis.analyses import qda
from analysis.analyses.qda import refi
from analysis.analyses.qda.codebook import identifier_for

NS = "urn:QDA-XML:codebook:1.0"
G = "00000000-0000-0000-0000-0000000000{:02d}"


def _qdc(tmp_path: Path, codes: str, name: str = "otro.qdc") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{NS}" origin="ATLAS.ti">'
                    f"<Codes>{codes}</Codes></CodeBook>\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), (" false ", False), ("0", False)])
def test_is_codable_read_as_xs_boolean(tmp_path: Path, value: str, expected: bool) -> None:
    cb = refi.read_qdc(_qdc(tmp_path, f'<Code guid="{G.format(1)}" name="a" isCodable="{value}"/>'))
    assert cb["a"].codable is expected


def test_is_codable_other_values_are_an_error_naming_the_code(tmp_path: Path) -> None:
    with pytest.raises(qda.CodebookError, match=r"otro\.qdc: <Code name='a'>: isCodable is 'yes'; .* true, false, 1 or 0"):
        refi.read_qdc(_qdc(tmp_path, f'<Code guid="{G.format(1)}" name="a" isCodable="yes"/>'))


FOREIGN = (
    f'<Code guid="{G.format(1)}" name="Canales múltiples" isCodable="1" color="#1f77b4">'
    "<Description>Contactos por varios canales.</Description>"
    f'<Code guid="{G.format(2)}" name="Redes sociales" isCodable="true"/>'
    f'<Code guid="{G.format(3)}" name="Redes  Sociales" isCodable="true"/>'
    f'<Code guid="{G.format(4)}" name="2.º nivel: ¿quién decide?" isCodable="0"/>'
    "</Code>"
    f'<Code guid="{G.format(5)}" name="Barreras" isCodable="false"/>'
)


def test_codebook_from_another_program_with_human_readable_names(tmp_path: Path) -> None:
    cb = refi.read_qdc(_qdc(tmp_path, FOREIGN))
    assert [(c.name, c.label, c.parent) for c in cb.codes] == [
        ("canales_multiples", "Canales múltiples", None),
        ("redes_sociales", "Redes sociales", "canales_multiples"),
        ("redes_sociales_2", "Redes  Sociales", "canales_multiples"),
        ("c_2_o_nivel_quien_decide", "2.º nivel: ¿quién decide?", "canales_multiples"),
        ("barreras", "Barreras", None),
    ]
    assert cb["canales_multiples"].color == "#1f77b4"
    assert cb["canales_multiples"].codable
    assert not cb["c_2_o_nivel_quien_decide"].codable
    assert not cb["barreras"].codable


def test_foreign_codebook_round_trip(tmp_path: Path) -> None:
    first = refi.read_qdc(_qdc(tmp_path, FOREIGN))
    out = refi.write_qdc(first, tmp_path / "exportado.qdc")
    again = refi.read_qdc(out)
    assert refi.codebook_records(again) == refi.codebook_records(first)
    assert refi.write_qdc(again, tmp_path / "otra_vez.qdc").read_bytes() == out.read_bytes()
    assert 'name="Canales múltiples"' in out.read_text(encoding="utf-8")  # the set keeps the readable name


def test_identifier_for() -> None:
    assert identifier_for("Canales múltiples") == "canales_multiples"
    assert identifier_for("Canales multiples", {"canales_multiples", "canales_multiples_2"}) == "canales_multiples_3"
    assert identifier_for("¿?") == "codigo"
    assert identifier_for("3 niveles") == "c_3_niveles"


def test_five_thousand_nested_codes(tmp_path: Path) -> None:
    depth = 5000
    codes = [qda.Code(name=f"c{i}", parent=f"c{i - 1}" if i else None, definition="x") for i in range(depth)]
    cb = qda.validate_codebook(qda.Codebook(codes, source="deep"))
    start = time.perf_counter()
    path = refi.write_qdc(cb, tmp_path / "deep.qdc")
    back = refi.read_qdc(path)
    assert time.perf_counter() - start < 60
    assert len(back.codes) == depth
    assert back["c4999"].parent == "c4998"
    assert back.path("c3").split("/") == ["c0", "c1", "c2", "c3"]


def test_parent_loop_still_detected() -> None:
    codes = [qda.Code(name="a", parent="b", definition="x"), qda.Code(name="b", parent="a", definition="x")]
    with pytest.raises(qda.CodebookError, match=r"code 'a': the parent chain loops through 'a'"):
        qda.validate_codebook(qda.Codebook(codes, source="loop"))


def test_demonstration_qdpx_validates_against_the_refi_qda_project_schema(tmp_path: Path) -> None:
    """project.qde of the demonstration export is valid against the REFI-QDA schema (Project-mrt2019.xsd)."""
    import zipfile

    etree = pytest.importorskip("lxml.etree", reason="lxml is needed to validate against the REFI-QDA schema")
    from analysis import paths
    from analysis.analyses.qda import privacy
    from analysis.ingest.sources import require
    from analysis.ingest.transcripts import load_corpus

    schema = etree.XMLSchema(etree.parse(str(require("refi_xsd"))))
    cb = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    corpus = load_corpus(paths.INTERVIEWS / "transcripts")
    corpus = privacy.pseudonymise_corpus(corpus, privacy.resolve_register(None, corpus))
    res = qda.Coder(cb).code(corpus)
    memos = qda.load_memos(paths.INTERVIEWS / "memos.yml", cb, res.segments)
    qdpx = refi.write_qdpx(corpus, res.codes, cb, tmp_path / "entrevistas.qdpx", memos=memos)
    with zipfile.ZipFile(qdpx) as z:
        doc = etree.fromstring(z.read("project.qde"))
    assert schema.validate(doc), "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])
    # the check can fail: a Code without its required guid is rejected
    code = doc.find(".//{urn:QDA-XML:project:1.0}Code")
    del code.attrib["guid"]
    assert not schema.validate(doc)


def test_codebook_csv_from_another_program(tmp_path: Path) -> None:
    p = tmp_path / "libro.csv"
    p.write_bytes(("name,path,description\nCanales múltiples,Canales múltiples,Varios canales\n"
                   "Redes sociales,Canales múltiples/Redes sociales,Facebook y otras\n").encode("cp1252"))
    cb = refi.read_codebook_csv(p)
    assert [(c.name, c.label, c.parent) for c in cb.codes] == [
        ("canales_multiples", "Canales múltiples", None), ("redes_sociales", "Redes sociales", "canales_multiples")]
    back = refi.read_qdc(refi.write_qdc(cb, tmp_path / "libro.qdc"))
    assert refi.codebook_records(back) == refi.codebook_records(cb)
    assert back["redes_sociales"].label == "Redes sociales"
    p.write_text("name,path,description\nHijo,Falta/Hijo,x\n", encoding="utf-8")
    with pytest.raises(qda.CodebookError, match=r"libro\.csv, line 2: parent 'Falta' is not a code of the file"):
        refi.read_codebook_csv(p)


def test_read_qdc_from_a_project_and_missing_files(tmp_path: Path) -> None:
    import zipfile

    cb = refi.read_qdc(_qdc(tmp_path, FOREIGN))
    qdpx = tmp_path / "p.qdpx"
    with zipfile.ZipFile(qdpx, "w") as z:
        z.writestr("project.qde", f'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes>{FOREIGN}'
                                  "</Codes></CodeBook></Project>")
    assert refi.codebook_records(refi.read_qdc(qdpx)) == refi.codebook_records(cb)
    with pytest.raises(qda.CodebookError, match=r"no_existe\.qdc: file not found"):
        refi.read_qdc(tmp_path / "no_existe.qdc")


def test_exports_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    import pandas as pd

    cb = refi.read_qdc(_qdc(tmp_path, FOREIGN))
    target = tmp_path / "out" / "p.qdpx"
    empty = pd.DataFrame(columns=qda.CODE_COLUMNS)
    refi.write_qdpx([], empty, cb, target)
    before = target.read_bytes()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disco lleno")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disco lleno"):
        refi.write_qdpx([], empty, cb, target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["p.qdpx"]
