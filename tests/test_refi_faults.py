"""REFI-QDA files that must be refused, each with a message naming the file and what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
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


def test_sdg_suggestions_export_as_a_valid_project_with_the_three_candidates(tmp_path: Path) -> None:
    segments = pd.DataFrame({"doc_id": ["23005_2021-2024"] * 3, "segment_id": ["s1", "s2", "s3"],
                             "text": ["Rehabilitar el centro histórico.", "Transporte público accesible.", "Sin tema."]})
    classified = pd.DataFrame({"top_target": ["11.4", "11.2", ""], "targets": ["11.4;11.3;8.9", "11.2;9.1;3.6", "1.1;1.2;1.3"],
                               "target_score_1": [0.5, 0.4, 0.05], "target_score_2": [0.2, 0.1, 0.04],
                               "target_score_3": [0.1, 0.05, 0.01]})
    sources, codings, cb = refi.sdg_target_suggestions(segments, classified)
    out = refi.write_qdpx(sources, codings, cb, tmp_path / "ods.qdpx", coder="motor_ods")
    assert refi.validate(out)[1] == []
    f = refi.read_refi(out)
    assert sorted(f.codings.code_name) == ["Meta 11.2", "Meta 11.4"]  # the abstention has no coding
    text = f.texts[f.sources.source_guid.iloc[0]]
    first = f.codings.sort_values("start").iloc[0]
    assert text[first.start:first.end] == "Rehabilitar el centro histórico."
    with zipfile.ZipFile(out) as z:
        qde = z.read("project.qde").decode()
    assert "Metas candidatas: 11.4 (0.500); 11.3 (0.200); 8.9 (0.100)" in qde
    assert "Metas candidatas: 1.1 (0.050)" in qde  # the abstained segment keeps its candidates


def test_the_project_schema_check_catches_a_planted_error(tmp_path: Path) -> None:
    cb = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    good = refi.write_qdpx([], pd.DataFrame(columns=["doc_id", "start", "end", "code"]), cb, tmp_path / "p.qdpx")
    assert refi.validate(good)[1] == []
    with zipfile.ZipFile(good) as z:
        qde = z.read("project.qde")
    bad = tmp_path / "malo.qdpx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("project.qde", qde.replace(b"<CodeBook>", b"<CodeBook><Sources/>", 1))
    assert any("Sources" in e for e in refi.validate(bad)[1])
