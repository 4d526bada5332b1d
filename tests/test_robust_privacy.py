"""Privacy fails closed: spelling variants of a name, names in ids and metadata, empty registers,
the leak check of ``python -m analysis code`` and the streaming scan of zip archives."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import pytest

from analysis.analyses.qda import privacy
from analysis.cli import main
from analysis.ingest.transcripts import load_transcript, parse_transcript

FIX = Path(__file__).parent / "fixtures" / "interviews"
HEADER = "pseudonym,name,aliases\n"


@pytest.fixture(scope="module")
def register() -> privacy.Register:
    return privacy.load_register(FIX / "register.csv")


def _transcript(meta_id: str = "FX-09", role: str = "funcionario_municipal", text: str = "Sin nombres.",
                extra: str = "") -> str:
    return (f"---\nid: {meta_id}\ninformant_role: {role}\norganisation_type: municipio\nmunicipality: \"23005\"\n"
            f"date: 2024-01-15\nlanguage: es\nconsent: true\nsynthetic: false\n{extra}---\n\n"
            f"**E:** Pregunta.\n\n**I1:** {text}\n")


@pytest.mark.parametrize("spelling", [
    unicodedata.normalize("NFD", "Eusebio Ñáñez"),      # decomposed accents (macOS file names, some editors)
    unicodedata.normalize("NFC", "EUSEBIO ÑÁÑEZ"),
    "eusebio nanez",
    "Eusebio_Ñáñez",
    "Eusebio-Ñáñez",
    "Eusebio\u00a0Ñáñez",
])
def test_every_spelling_of_a_name_is_replaced(register: privacy.Register, spelling: str) -> None:
    out = privacy.pseudonymise(f"Habló {spelling}, y luego nadie.", register)
    assert out == "Habló Persona B, y luego nadie."
    assert privacy.find_names(out, register) == []


def test_typographic_apostrophes_match(tmp_path: Path) -> None:
    reg = tmp_path / "r.csv"
    reg.write_text(HEADER + "Persona C,Bernardo O'Higgins,\n", encoding="utf-8")
    r = privacy.load_register(reg)
    for spelling in ("Bernardo O’Higgins", "BERNARDO O'HIGGINS", "Bernardo O\u02bcHiggins"):
        assert privacy.pseudonymise(f"Según {spelling}.", r) == "Según Persona C."


def test_decomposed_register_names_match_composed_text(tmp_path: Path) -> None:
    reg = tmp_path / "r.csv"
    reg.write_text(HEADER + unicodedata.normalize("NFD", "Persona D,Ximena Pérez Chablé,\n"), encoding="utf-8")
    r = privacy.load_register(reg)
    assert privacy.pseudonymise("con Ximena Pérez Chablé ayer", r) == "con Persona D ayer"


def test_names_in_id_role_and_every_metadata_field_are_replaced(register: privacy.Register) -> None:
    t = parse_transcript(_transcript("FX-Zoraida-Quintal", "asesora_de_Eusebio_Ñáñez",
                                     extra="notes:\n  - entrevista con Zoraida Quintal Bacab\n  - ok\n"),
                         source="a.md")
    (out,) = privacy.pseudonymise_corpus([t], register)
    assert out.id == "FX-Persona_A"
    assert out.meta["id"] == "FX-Persona_A"
    assert out.informant_role == "asesora_de_Persona B"
    assert out.meta["notes"] == ["entrevista con Persona A", "ok"]
    assert privacy.names_in_corpus([out], register) == []


def test_ids_colliding_after_pseudonymisation_are_refused(register: privacy.Register) -> None:
    a = parse_transcript(_transcript("FX-Zoraida"), source="a.md")
    b = parse_transcript(_transcript("FX-Zoraida-Quintal"), source="b.md")
    with pytest.raises(privacy.RegisterError, match=r"b\.md and a\.md: their ids become the same") as info:
        privacy.pseudonymise_corpus([a, b], register)
    assert "Zoraida" not in str(info.value)


@pytest.mark.parametrize("content", ["", HEADER, "pseudonym,name\n\n"], ids=["empty-file", "header-only", "blank-row"])
def test_empty_register_is_refused_for_real_transcripts(tmp_path: Path, content: str) -> None:
    reg = tmp_path / "participants.csv"
    reg.write_text(content, encoding="utf-8")
    corpus = [load_transcript(FIX / "corpus" / "FX-01.md")]
    with pytest.raises(privacy.RegisterError, match=r"participants.csv: the participants register (is empty|has no rows)"):
        privacy.resolve_register(reg, corpus)


def _write_corpus(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "FX-09.md").write_text(_transcript(text=text), encoding="utf-8")
    return folder


def test_code_command_refuses_an_empty_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _write_corpus(tmp_path / "c", "Me ayudó Zoraida.")
    reg = tmp_path / "participants.csv"
    reg.write_text(HEADER, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["code", str(corpus), "--register", str(reg), "--out", str(out)]) == 1
    assert "has no rows" in capsys.readouterr().err
    assert not out.exists()


def test_code_command_stops_on_a_leak_and_keeps_previous_output(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # a pseudonym that carries another participant's surname: the output would leak it
    reg = tmp_path / "participants.csv"
    reg.write_text(HEADER + "Vecina de Bacab,Eusebio Ñáñez,\nPersona A,Zoraida Quintal Bacab,Bacab\n", encoding="utf-8")
    corpus = _write_corpus(tmp_path / "c", "Habló Eusebio Ñáñez de los hermanamientos con la SRE.")
    out, seg = tmp_path / "out.csv", tmp_path / "seg.csv"
    out.write_text("previous\n", encoding="utf-8")
    status = main(["code", str(corpus), "--register", str(reg), "--out", str(out), "--segments", str(seg)])
    err = capsys.readouterr().err
    assert status == 1
    assert "1 participant name(s)" in err
    assert str(tmp_path) in err
    assert "Bacab" not in err
    assert "Zoraida" not in err
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert not seg.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "out.csv", "participants.csv"]


def test_code_command_writes_pseudonymised_ids(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.md").write_text(_transcript("FX-Zoraida-Quintal", text="Todo lo hizo Zoraida por WhatsApp."),
                                 encoding="utf-8")
    out, seg = tmp_path / "out.csv", tmp_path / "seg.csv"
    assert main(["code", str(folder), "--register", str(FIX / "register.csv"), "--out", str(out),
                 "--segments", str(seg)]) == 0
    text = out.read_text(encoding="utf-8") + seg.read_text(encoding="utf-8")
    assert "FX-Persona_A-t002-s01" in text
    assert "zoraida" not in text.lower()


def _zip_bomb(path: Path, size: int) -> Path:
    block = b"a" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z, \
            z.open("sources/big.txt", "w", force_zip64=True) as fh:
        for _ in range(size // len(block)):
            fh.write(block)
    return path


def test_leak_scan_streams_zip_members_and_refuses_huge_ones(tmp_path: Path, register: privacy.Register) -> None:
    small = _zip_bomb(tmp_path / "ok.qdpx", 8 << 20)
    assert privacy.find_leaks([small], register, member_limit=16 << 20) == []
    big = _zip_bomb(tmp_path / "big.qdpx", 20 << 20)
    assert big.stat().st_size < 100_000
    with pytest.raises(privacy.LeakScanError, match=r"big\.qdpx!sources/big\.txt: .*more than the 16 MiB"):
        privacy.find_leaks([big], register, member_limit=16 << 20)


def test_leak_scan_finds_a_name_across_chunk_boundaries(tmp_path: Path, register: privacy.Register) -> None:
    f = tmp_path / "out.txt"
    f.write_bytes(b"x " * ((1 << 20) // 2 - 3) + "Eusebio Ñáñez".encode() + b" y")
    assert [n for _, n in privacy.find_leaks([f], register)] == ["Eusebio Ñáñez", "Ñáñez"]


def test_leak_scan_checks_a_named_file_whatever_its_suffix(tmp_path: Path, register: privacy.Register) -> None:
    f = tmp_path / ".out.csv.1234.part"
    f.write_text("Zoraida", encoding="utf-8")
    assert privacy.find_leaks([f], register) == [(str(f), "Zoraida")]


@pytest.mark.parametrize("encoded", ["Chabl&eacute;", "Chabl&#233;", "Chabl\\u00e9", "Chabl%C3%A9"])
def test_leak_scan_decodes_entities_json_escapes_and_percent_encoding(tmp_path: Path, encoded: str) -> None:
    reg = tmp_path / "r.csv"
    reg.write_text(HEADER + "Vecino B,Fermín Chablé,Chablé\n", encoding="utf-8")
    f = tmp_path / "salida.html"
    f.write_text(f"<p>con {encoded} ayer</p>", encoding="utf-8")
    assert [n for _, n in privacy.find_leaks([f], privacy.load_register(reg))] == ["Chablé"]


def test_notebook_leak_cell_stops_the_run(tmp_path: Path, register: privacy.Register,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The leak check of notebook 03 raises when a register name is in data/processed (and prints no name)."""
    import json
    import types

    from analysis import paths
    from analysis.analyses import qda
    from analysis.analyses.qda import refi

    cells = json.loads((paths.NOTEBOOKS / "03_entrevistas.ipynb").read_text(encoding="utf-8"))["cells"]
    (source,) = ["".join(c["source"]) for c in cells if "privacy.find_leaks(privacy.interview_outputs(paths.PROCESSED)"
                 in "".join(c["source"])]
    libro = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    processed = tmp_path / "processed"
    qdc = refi.write_qdc(libro, processed / "qda" / "codebook.qdc")
    scope = {"refi": refi, "privacy": privacy, "libro": libro, "qdc": qdc, "registro": register,
             "paths": types.SimpleNamespace(PROCESSED=processed)}
    exec(compile(source, "celda", "exec"), scope)  # no leak: the cell prints 0
    assert "Nombres del registro en las salidas: 0" in capsys.readouterr().out
    (processed / "interview_segments.csv").write_text("doc_id,text\nFX-01,Lo dijo Zoraida Quintal\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"2 nombre\(s\) del registro de participantes en 1 archivo\(s\)") as info:
        exec(compile(source, "celda", "exec"), scope)
    assert "Zoraida" not in str(info.value)
