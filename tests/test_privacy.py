"""Privacy: pseudonymisation, register validation, and no register name in the chapter's outputs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy, refi, reliability
from analysis.ingest.transcripts import load_corpus
from analysis.tables.store import write_csv

FIX = Path(__file__).parent / "fixtures" / "interviews"


@pytest.fixture(scope="module")
def register() -> privacy.Register:
    return privacy.load_register(FIX / "register.csv")


def test_pseudonymise_accent_case_and_word_boundaries(register: privacy.Register) -> None:
    text = "Hablé con ZORAIDA QUINTAL BACAB, con Eusebio Nanez y con el señor Ñañez; no con Zoraidas ni Ñáñezco."
    out = privacy.pseudonymise(text, register)
    assert out == "Hablé con Persona A, con Persona B y con el señor Persona B; no con Zoraidas ni Ñáñezco."


def test_longest_name_first(register: privacy.Register) -> None:
    assert privacy.pseudonymise("Zoraida Quintal Bacab y Zoraida", register) == "Persona A y Persona A"


def test_register_errors(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("pseudonym,nombre\nA,Juan\n", encoding="utf-8")
    with pytest.raises(privacy.RegisterError, match=r"missing column"):
        privacy.load_register(p)
    p.write_text("pseudonym,name,aliases\nA,Juan Pérez,Juan\nB,Juan López,Juan\n", encoding="utf-8")
    with pytest.raises(privacy.RegisterError, match=r"r.csv, line 3: 'Juan' is also listed for 'A'"):
        privacy.load_register(p)


def test_real_corpus_needs_a_register(tmp_path: Path) -> None:
    corpus = load_corpus(FIX / "corpus")
    with pytest.raises(privacy.RegisterError, match=r"no participants register"):
        privacy.resolve_register(tmp_path / "missing.csv", corpus)


def _chapter_outputs(corpus_dir: Path, register_path: Path, out: Path, pseudonymise: bool = True) -> privacy.Register:
    """The chapter's logic (load, pseudonymise, code, reliability, export) writing into ``out``."""
    corpus = load_corpus(corpus_dir)
    register = privacy.resolve_register(register_path, corpus)
    if pseudonymise:
        corpus = privacy.pseudonymise_corpus(corpus, register)
    cb = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    res = qda.Coder(cb).code(corpus)
    write_csv(res.segments, "interview_segments.csv")
    write_csv(res.codes, "interview_codes.csv")
    if pseudonymise:  # the gold file holds pseudonymised text
        gold = reliability.load_gold(FIX / "gold", cb, res.segments)
        rep = reliability.evaluate(res.codes, res.segments, gold, cb.codable, seed=1, n_boot=20)
        assert rep is not None
        write_csv(rep.disagreements, "interview_disagreements.csv")
    refi.write_qdc(cb, out / "qda" / "codebook.qdc")
    refi.write_qdpx(corpus, res.codes, cb, out / "qda" / "entrevistas.qdpx")
    return register


def test_no_register_name_in_processed_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "data" / "processed")
    register = _chapter_outputs(FIX / "corpus", FIX / "register.csv", paths.PROCESSED)
    assert (paths.PROCESSED / "interview_codes.csv").exists()
    assert privacy.find_leaks([paths.PROCESSED], register) == []


def test_leak_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "data" / "processed")
    register = _chapter_outputs(FIX / "corpus", FIX / "register.csv", paths.PROCESSED, pseudonymise=False)
    leaks = privacy.find_leaks([paths.PROCESSED], register)
    assert {n for _, n in leaks} >= {"Zoraida", "Zoraida Quintal"}
    assert any(where.endswith(".qdpx!sources/" + refi.guid("source", "FX-01") + ".txt") for where, _ in leaks)


@pytest.mark.slow
def test_notebook_with_fixture_register_leaks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run notebook 03 on the fixture corpus in a scratch project root and scan everything it wrote."""
    import papermill

    monkeypatch.setenv("ANALYSIS_ROOT", str(tmp_path))
    (tmp_path / "data").mkdir()
    shutil.copy(paths.DATA / "dictionary.yml", tmp_path / "data" / "dictionary.yml")  # the tables' schemas
    (tmp_path / "interviews" / "validation").mkdir(parents=True)
    shutil.copy(paths.INTERVIEWS / "validation" / "pasajes_congelados.csv",
                tmp_path / "interviews" / "validation" / "pasajes_congelados.csv")  # the frozen passages
    nb = tmp_path / "03_entrevistas.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "03_entrevistas.ipynb"), str(nb), cwd=str(tmp_path), progress_bar=False,
        parameters={"transcripts_dir": str(FIX / "corpus"), "register_path": str(FIX / "register.csv"),
                    "gold_dir": str(FIX / "gold"), "codebook": str(paths.INTERVIEWS / "codebook.yml"),
                    "memos_path": str(paths.INTERVIEWS / "memos.yml"), "n_boot": 20},
    )
    register = privacy.load_register(FIX / "register.csv")
    assert (tmp_path / "data" / "processed" / "qda" / "entrevistas.qdpx").exists()
    assert privacy.find_leaks([tmp_path / "data" / "processed", nb], register) == []
    assert os.environ["ANALYSIS_ROOT"] == str(tmp_path)


def test_published_book_and_outputs_name_no_participant() -> None:
    """The built book, the executed chapter and data/processed carry no name from the register in use."""
    html = paths.BOOK / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("no built book: run `make book-html` (make test does) before this test")
    register = privacy.load_register(paths.INTERVIEWS / "participants.example.csv")
    assert register.names, "the example register should list names to look for"
    leaks = privacy.find_leaks([html, paths.PROCESSED, paths.NOTEBOOKS / "03_entrevistas.ipynb"], register)
    assert leaks == [], f"register names found: {leaks[:10]}"
