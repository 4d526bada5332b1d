"""Commands never destroy input and read what researchers actually have: encodings, workbooks
given as CSV, broken quotes, huge fields, upper-case suffixes, outputs equal to inputs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.ingest.transcripts import MAX_TURN_CHARS, TranscriptError, load_corpus
from analysis.util import io as uio

FIX = Path(__file__).parent / "fixtures" / "interviews"
REGISTER = FIX / "register.csv"
TEXT = "Ampliar la red de agua potable y drenaje"


def _xlsx(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return path


# ------------------------------------------------------------------------------ sdg classify

def test_sdg_names_an_excel_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _xlsx(tmp_path / "datos.csv")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv")]) == 1
    err = capsys.readouterr().err
    assert "is an Excel workbook (XLSX), not a CSV; export it as CSV UTF-8" in err
    assert "--text-col" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_sdg_reads_utf16_bom_and_cp1252(tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(f"id,text\nÑ1,“{TEXT}” — Othón\n".encode(encoding))
    out = tmp_path / "o.csv"
    assert main(["sdg", "classify", str(src), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("Ñ1,6,")
    if encoding == "utf-16":
        assert "UTF-16 (byte-order mark)" in err
    if encoding == "cp1252":
        assert "read it as cp1252" in err


def test_sdg_unclosed_quote_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f'id,text\n1,{TEXT}\n2,"sin cerrar\n3,{TEXT}\n', encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["sdg", "classify", str(src), "--out", str(out)]) == 1
    assert "in.csv: line 3: a quoted field is never closed" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_sdg_fields_over_128_kib_are_read_and_over_the_limit_refused(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    big = (TEXT + ". ") * (200_000 // len(TEXT))
    src.write_text(f'id,text\n1,"{big}"\n', encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["sdg", "classify", str(src), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("1,6,")
    with pytest.raises(uio.CsvFormatError, match=r"x\.csv: the record starting at line 2 has a field longer than"):
        list(uio.read_csv_records('id,text\n1,"' + "a" * (uio.CSV_FIELD_LIMIT + 1) + '"\n', "x.csv"))


def test_sdg_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    content = f"id,text\n1,{TEXT}\n"
    src.write_text(content, encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "." / "in.csv")]) == 1
    assert "is the same file as the input" in capsys.readouterr().err
    assert src.read_text(encoding="utf-8") == content


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    old = os.umask(0o022)
    try:
        assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv")]) == 0
        assert main(["code", str(FIX / "corpus"), "--register", str(REGISTER), "--out", str(tmp_path / "c.csv")]) == 0
    finally:
        os.umask(old)
    for name in ("o.csv", "c.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "in.csv", "o.csv"]


# ------------------------------------------------------------------------------ code

@pytest.mark.parametrize(("extra", "message"), [
    (["--batch-size", "0"], "must be at least 1"),
    (["--batch-size", "-3"], "must be at least 1"),
    (["--batch-size", "x"], "is not a whole number"),
])
def test_code_validates_numeric_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                                        message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["code", str(FIX / "corpus"), "--register", str(REGISTER), "--out", str(tmp_path / "o.csv"), *extra])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_code_refuses_outputs_equal_to_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_in = tmp_path / "t.csv"
    content = "id,text\nX1,Hermanamiento con Zoraida.\n"
    csv_in.write_text(content, encoding="utf-8")
    base = ["code", str(csv_in), "--register", str(REGISTER)]
    assert main([*base, "--out", str(csv_in)]) == 1
    assert "is the same file as the input" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "o.csv"), "--segments", str(tmp_path / "o.csv")]) == 1
    assert "--segments" in capsys.readouterr().err
    assert main([*base, "--out", str(REGISTER)]) == 1
    assert "same file as --register" in capsys.readouterr().err
    assert csv_in.read_text(encoding="utf-8") == content
    assert not (tmp_path / "o.csv").exists()


def test_code_failure_midway_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_in = tmp_path / "t.csv"
    csv_in.write_text('id,text\nX1,Hermanamiento.\nX2,"sin cerrar\n', encoding="utf-8")
    out = tmp_path / "o.csv"
    out.write_text("previous\n", encoding="utf-8")
    assert main(["code", str(csv_in), "--register", str(REGISTER), "--out", str(out)]) == 1
    assert "t.csv: line 3: a quoted field is never closed" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "t.csv"]


def test_code_names_an_excel_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _xlsx(tmp_path / "entrevistas.xlsx")
    assert main(["code", str(src), "--register", str(REGISTER), "--out", str(tmp_path / "o.csv")]) == 1
    assert "is an Excel workbook (XLSX)" in capsys.readouterr().err


# ------------------------------------------------------------------------------ transcripts

def test_transcript_suffixes_any_case_and_skipped_files_reported(tmp_path: Path) -> None:
    src = (FIX / "corpus" / "FX-01.md").read_text(encoding="utf-8")
    (tmp_path / "a.MD").write_text(src, encoding="utf-8")
    (tmp_path / "b.markdown").write_text(src.replace("id: FX-01", "id: FX-02"), encoding="utf-16")
    (tmp_path / "c.Markdown").write_bytes(src.replace("id: FX-01", "id: FX-03").encode("cp1252"))
    (tmp_path / "notas.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "README.md").write_text("# Léame\n", encoding="utf-8")
    notes: list[str] = []
    from analysis.ingest.transcripts import iter_corpus

    corpus = list(iter_corpus(tmp_path, report=notes.append))
    assert [t.id for t in corpus] == ["FX-01", "FX-02", "FX-03"]
    assert all("Zoraida Quintal Bacab" in t.plain_text() for t in corpus)
    assert any("1 file(s) skipped" in n and "notas.docx" in n for n in notes)
    assert any("b.markdown is UTF-16" in n for n in notes)
    assert any("c.Markdown" in n and "cp1252" in n for n in notes)


def test_overlong_turn_is_refused(tmp_path: Path) -> None:
    src = (FIX / "corpus" / "FX-01.md").read_text(encoding="utf-8")
    (tmp_path / "a.md").write_text(src + "\n**I1:** " + "palabra " * (MAX_TURN_CHARS // 8 + 1) + "\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"a\.md, line \d+: a turn of 1,000,00\d characters, more than the limit"):
        load_corpus(tmp_path)


def test_binary_transcript_is_named(tmp_path: Path) -> None:
    _xlsx(tmp_path / "a.md")
    with pytest.raises(TranscriptError, match=r"a\.md: is an Excel workbook \(XLSX\)"):
        load_corpus(tmp_path)


def test_verified_copies_get_ordinary_permissions(tmp_path: Path) -> None:
    import hashlib
    import io

    from analysis.ingest.sources import copy_verified

    data = b"contenido verificado\n"
    target = tmp_path / "raw" / "x.csv"
    old = os.umask(0o022)
    try:
        copy_verified(target, hashlib.sha256(data).hexdigest(), lambda: io.BytesIO(data), "x", "prueba", "")
    finally:
        os.umask(old)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_sdg_unwritable_output_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    blocker = tmp_path / "archivo"
    blocker.write_text("", encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(blocker / "o.csv")]) == 1
    assert "cannot write the output" in capsys.readouterr().err


def test_transcript_csv_duplicate_ids_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,text\nX1,"Uno,\ncon salto"\nX1,Dos\n', encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"t\.csv, line 4: the id is also used on line 2"):
        load_corpus(path)
    path.write_text("id,text\n\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"t\.csv: no data rows after the header"):
        load_corpus(path)


@pytest.mark.parametrize(("front", "message"), [
    ("tags: &t [a, b]\nmore: *t\n", r"line 11: invalid YAML .*aliases \(\*name\) are not allowed"),
    ("notes: [[[[[x]]]]]\n", r"line 2: the front matter nests lists or mappings more than 4 levels deep"),
])
def test_front_matter_aliases_and_deep_nesting_refused(tmp_path: Path, front: str, message: str) -> None:
    src = (FIX / "corpus" / "FX-01.md").read_text(encoding="utf-8").replace("synthetic: false\n", f"synthetic: false\n{front}")
    (tmp_path / "a.md").write_text(src, encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"a\.md, " + message):
        load_corpus(tmp_path)


def test_duplicate_header_columns_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f"id,id,text\n1,2,{TEXT}\n", encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv")]) == 1
    assert "column 'id' appears 2 times in the header" in capsys.readouterr().err
    with pytest.raises(TranscriptError, match=r"in\.csv, line 1: column\(s\) \['id'\] appear more than once"):
        load_corpus(src)


def test_sdg_text_over_a_million_characters_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"' + "agua potable " * 80_000 + '"\n', encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv")]) == 1
    assert "line 2: the text has 1,040,000 characters, more than the 1,000,000" in capsys.readouterr().err


def test_code_names_a_missing_or_binary_codebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["code", str(FIX / "corpus"), "--register", str(REGISTER), "--out", str(tmp_path / "o.csv")]
    assert main([*base, "--codebook", str(tmp_path / "no.yml")]) == 1
    assert "no.yml: codebook not found" in capsys.readouterr().err
    assert main([*base, "--codebook", str(_xlsx(tmp_path / "libro.yml"))]) == 1
    assert "libro.yml: is an Excel workbook (XLSX), not a text file; save the codebook as YAML text" in capsys.readouterr().err


def test_a_single_transcript_file_is_read() -> None:
    assert [t.id for t in load_corpus(FIX / "corpus" / "FX-01.md")] == ["FX-01"]
