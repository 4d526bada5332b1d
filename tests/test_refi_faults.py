"""REFI-QDA files that must be refused, each with a message naming the file and what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import refi
from analysis.cli import main

G = "00000000-0000-4000-8000-0000000000{:02d}"


def _qdc(tmp_path: Path, codes: str) -> Path:
    p = tmp_path / "libro.qdc"
    p.write_text(f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                 f"<Codes>{codes}</Codes></CodeBook>", encoding="utf-8")
    return p


def test_duplicate_code_guids_are_refused(tmp_path: Path) -> None:
    p = _qdc(tmp_path, f'<Code guid="{G.format(1)}" name="A" isCodable="true"/>'
                       f'<Code guid="{G.format(1).upper()}" name="B" isCodable="true"/>')
    with pytest.raises(qda.CodebookError, match=r"libro\.qdc: <Code name='B'>: its guid .* also the guid of code 'a'"):
        refi.read_qdc(p)


def test_empty_codes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(qda.CodebookError, match=r"libro\.qdc: <Codes> holds no <Code>"):
        refi.read_qdc(_qdc(tmp_path, ""))


def test_xml_inside_a_qdpx_is_size_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refi, "MAX_XML_BYTES", 1 << 20)
    p = tmp_path / "bomba.qdpx"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", b'<Project xmlns="urn:QDA-XML:project:1.0" name="x">' + b" " * (4 << 20) + b"</Project>")
    assert p.stat().st_size < 100_000  # a small file that inflates to 4 MiB
    with pytest.raises(qda.CodebookError, match=r"bomba\.qdpx!project\.qde: .* more than the 1 MiB"):
        refi.read_refi(p)


def test_a_damaged_zip_is_reported_as_a_damaged_zip(tmp_path: Path) -> None:
    good = refi.write_qdc(qda.load_codebook(paths.INTERVIEWS / "codebook.yml"), tmp_path / "c.qdc")
    p = tmp_path / "roto.qdpx"
    with zipfile.ZipFile(p, "w") as z:
        z.write(good, "project.qde")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])  # cut in the middle, as an interrupted copy
    with pytest.raises(qda.CodebookError, match=r"roto\.qdpx: a damaged zip archive") as err:
        refi.read_refi(p)
    assert "well-formed" not in str(err.value)


def test_the_compendiums_qdc_given_to_code_says_how_to_convert_it(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    qdc = refi.write_qdc(qda.load_codebook(paths.INTERVIEWS / "codebook.yml"), tmp_path / "codebook.qdc")
    out = tmp_path / "o.csv"
    assert main(["code", str(paths.INTERVIEWS / "transcripts"), "--codebook", str(qdc), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "REFI-QDA" in err
    assert "qda import" in err
    assert "invalid YAML" not in err
    assert not out.exists()


def test_export_refuses_an_empty_codebook_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(qda.CodebookError, match="no codes"):
        refi.write_qdc(qda.Codebook([], source="vacio.yml"), tmp_path / "v.qdc")
    assert not (tmp_path / "v.qdc").exists()


def test_the_project_schema_check_can_fail(tmp_path: Path) -> None:
    """A planted error (a set member in the project form inside a codebook) is reported by validate."""
    cb = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    cb.sets = [qda.CodeSet(name="Demostración", codes=["hermanamiento"])]
    good = refi.write_qdc(cb, tmp_path / "bueno.qdc")
    assert refi.validate(good)[1] == []
    bad = tmp_path / "malo.qdc"
    bad.write_bytes(good.read_bytes().replace(b"<MemberCode guid=", b"<MemberCode targetGUID="))
    kind, errors = refi.validate(bad)
    assert kind == "codebook"
    assert "targetGUID" in errors[0]
