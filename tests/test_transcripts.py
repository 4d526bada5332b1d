"""Transcript format: parsing, canonical plain text and the errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.ingest.transcripts import TranscriptError, corpus_table, load_corpus, load_transcript, parse_transcript

FIX = Path(__file__).parent / "fixtures" / "interviews"


def test_parses_turns_and_metadata() -> None:
    t = load_transcript(FIX / "corpus" / "FX-01.md")
    assert t.id == "FX-01"
    assert t.meta["date"] == "2024-01-15"
    assert t.synthetic is False
    assert [x.speaker for x in t.turns] == ["E", "I1", "E", "I1"]
    assert t.turns[3].text.endswith("Después pasamos al correo institucional.")  # continuation line joined
    assert t.turns[1].line == 15


def test_plain_text_offsets_point_at_each_turn() -> None:
    for t in load_corpus(paths.INTERVIEWS / "transcripts"):
        text = t.plain_text()
        for turn, off in zip(t.turns, t.turn_offsets(), strict=True):
            assert text[off:off + len(turn.text)] == turn.text


@pytest.mark.parametrize(("name", "line", "fragment"), [
    ("no_front_matter.md", 1, "missing YAML front matter"),
    ("bad_date.md", 6, "not an ISO 8601 date"),
    ("bad_inegi.md", 5, "not a 5-digit INEGI code"),
    ("no_speaker.md", 13, "paragraph without speaker"),
    ("no_consent.md", 8, "refused"),
])
def test_bad_files_name_file_and_line(name: str, line: int, fragment: str) -> None:
    with pytest.raises(TranscriptError) as err:
        load_transcript(FIX / "bad" / name)
    msg = str(err.value)
    assert msg.startswith(f"{name}, line {line}:")
    assert fragment in msg


def test_duplicate_ids_in_a_folder(tmp_path: Path) -> None:
    src = (FIX / "corpus" / "FX-01.md").read_text(encoding="utf-8")
    (tmp_path / "a.md").write_text(src, encoding="utf-8")
    (tmp_path / "b.md").write_text(src, encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"b.md, line 1: its id is also used by a.md"):
        load_corpus(tmp_path)


def test_csv_input_and_consent_column(tmp_path: Path) -> None:
    good = tmp_path / "t.csv"
    good.write_text("id,text,informant_role\nX1,Hola  mundo.,osc\nX2,Otra cosa.,osc\n", encoding="utf-8")
    corpus = load_corpus(good)
    assert [t.id for t in corpus] == ["X1", "X2"]
    assert corpus[0].turns[0].text == "Hola mundo."
    bad = tmp_path / "b.csv"
    bad.write_text("id,text,consent\nX1,Hola.,true\nX2,Otra.,false\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"b.csv, line 3: consent"):
        load_corpus(bad)


def test_demo_set_is_synthetic_and_marked() -> None:
    corpus = load_corpus(paths.INTERVIEWS / "transcripts")
    table = corpus_table(corpus)
    assert len(corpus) >= 10
    assert table.synthetic.all()
    for f in sorted((paths.INTERVIEWS / "transcripts").glob("*.md")):
        assert "sintética" in f.read_text(encoding="utf-8")


def test_string_without_turns() -> None:
    text = "---\nid: A\ninformant_role: x\norganisation_type: osc\nmunicipality: '23005'\ndate: 2024-01-01\n" \
           "language: es\nconsent: true\nsynthetic: true\n---\n**E:** Solo pregunta.\n"
    with pytest.raises(TranscriptError, match=r"no informant turns"):
        parse_transcript(text, "x.md")
