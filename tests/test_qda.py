"""Codebook validation, segmentation offsets, automatic coding and the derived tables."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.ingest.transcripts import load_corpus, parse_transcript
from analysis.workflow import scale

FIX = Path(__file__).parent / "fixtures" / "interviews"
HEAD = ("---\nid: T1\ninformant_role: osc\norganisation_type: osc\nmunicipality: '23005'\ndate: 2024-01-01\n"
        "language: es\nconsent: true\nsynthetic: true\n---\n")


@pytest.fixture(scope="module")
def codebook() -> qda.Codebook:
    return qda.load_codebook(paths.INTERVIEWS / "codebook.yml")


@pytest.fixture(scope="module")
def coder(codebook: qda.Codebook) -> qda.Coder:
    return qda.Coder(codebook)


def _cb(codes: list[dict]) -> qda.Codebook:
    from analysis.util.nlp import load_nlp

    return qda.validate_codebook(qda.codebook_from_dict({"codes": codes}, "cb.yml"), load_nlp())


@pytest.mark.parametrize(("codes", "message"), [
    ([{"name": "a", "definition": "x"}, {"name": "a", "definition": "y"}], "code 'a' is defined twice"),
    ([{"name": "a", "definition": "x", "parent": "zzz"}], "code 'a': parent 'zzz' does not exist"),
    ([{"name": "a", "definition": "x", "patterns": [[{"NORM": {"NOPE": 1}}]]}], "code 'a': pattern 1 does not compile"),
    ([{"name": "a", "definition": "x", "color": "red"}], "code 'a': colour 'red'"),
    ([{"name": "a"}], "code 'a' has no definition"),
    ([{"name": "a", "definition": "x", "parent": "b"}, {"name": "b", "definition": "y", "parent": "a"}], "loops"),
])
def test_codebook_errors_name_the_code(codes: list[dict], message: str) -> None:
    with pytest.raises(qda.CodebookError, match=message):
        _cb(codes)


def test_codebook_hierarchy(codebook: qda.Codebook) -> None:
    assert codebook.path("costo_percibido") == "barreras/costo_percibido"
    assert {c.name for c in codebook.children(None)} == {"interdependencia", "paradiplomacia", "barreras", "impulsores", "tic"}
    assert "barreras" not in codebook.codable


def test_segments_offsets_and_codes(coder: qda.Coder) -> None:
    t = parse_transcript(HEAD + "**E:** ¿Y la Secretaria de Relaciones Exteriores?\n\n"
                         "**I1:** No sabíamos cómo registrar el acuerdo ante la Secretaria de Relaciones Exteriores. "
                         "Los turistas llegan en crucero.\n", "t.md")
    res = coder.code([t])
    text = t.plain_text()
    for s in res.segments.itertuples():
        assert text[s.start:s.end] == s.text
    assert list(res.segments.speaker) == ["E", "I1", "I1"]
    got = res.codes.groupby("segment_id").code.apply(set).to_dict()
    assert "T1-t001-s01" not in got  # interviewer turns are not coded
    assert {"informacion_procedimiento", "procedimiento_sre"} <= got["T1-t002-s01"]  # accent-insensitive match
    assert got["T1-t002-s02"] == {"turismo"}


def test_every_code_is_exercised_by_the_demo_set(coder: qda.Coder, codebook: qda.Codebook) -> None:
    res = coder.code(load_corpus(paths.INTERVIEWS / "transcripts"))
    assert set(codebook.codable) <= set(res.codes.code)


def test_cooccurrence_coefficient_by_hand() -> None:
    rows = [("D", f"D-t00{t}-s01", c) for t, c in [(1, "a"), (2, "a"), (3, "a"), (2, "b"), (3, "b"), (4, "b")]]
    codes = pd.DataFrame(rows, columns=["doc_id", "segment_id", "code"])
    counts, coef = qda.cooccurrence(codes, unit="turn")
    assert counts.loc["a", "b"] == 2
    assert counts.loc["a", "a"] == 3
    assert coef.loc["a", "b"] == pytest.approx(2 / 4)
    assert qda.top_pairs(counts, coef, k=1).iloc[0][["code_a", "code_b"]].tolist() == ["a", "b"]


def test_key_quotes_one_per_document(coder: qda.Coder, codebook: qda.Codebook) -> None:
    res = coder.code(load_corpus(paths.INTERVIEWS / "transcripts"))
    quotes = qda.key_quotes(res.codes, codebook, k=2)
    assert not quotes.duplicated(["code", "doc_id"]).any()
    assert quotes.groupby("code").size().max() <= 2


def test_memos_validate_codes(codebook: qda.Codebook, tmp_path: Path) -> None:
    memos = qda.load_memos(paths.INTERVIEWS / "memos.yml", codebook)
    assert set(memos.code) <= set(codebook.by_name)
    bad = tmp_path / "m.yml"
    bad.write_text("memos:\n  - memo_id: X\n    code: nope\n    text: hola\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"memo X: code 'nope'"):
        qda.load_memos(bad, codebook)


def test_streaming_is_lazy(coder: qda.Coder) -> None:
    first = list(itertools.islice(coder.iter_coded(scale.generate_corpus(10**9, seed=1)), 5))
    assert len(first) == 5


def test_bench_coding_small() -> None:
    out = scale.bench_coding(800, repeats=1)
    assert out["words"] >= 800
    assert out["bare_wps"] > 0
    assert out["coding_wps"] > 0
    assert out["segments"] > 0


def test_cli_code(tmp_path: Path) -> None:
    out, segs = tmp_path / "codes.csv", tmp_path / "segs.csv"
    cmd = [sys.executable, "-m", "analysis", "code", str(FIX / "corpus"), "--out", str(out), "--segments", str(segs),
           "--register", str(FIX / "register.csv")]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    codes = pd.read_csv(out)
    assert list(codes.columns) == qda.CODE_COLUMNS
    assert "hermanamiento" in set(codes.code)
    assert len(pd.read_csv(segs)) == 10
    assert "Zoraida" not in out.read_text(encoding="utf-8") + segs.read_text(encoding="utf-8")
    # real transcripts without a register are refused
    done = subprocess.run([*cmd[:-2], "--register", str(tmp_path / "missing.csv")], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "no participants register" in done.stderr
