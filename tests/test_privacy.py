"""Privacy: pseudonymisation, register validation, and no register name in the chapter's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy, refi, reliability
from analysis.ingest.transcripts import load_corpus
from analysis.tables.store import write_csv
from analysis.workflow.pipeline import load_pipeline

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


def _executed_chapter() -> tuple[Path, dict[str, object], list[Path]]:
    """Notebook 03 as the pipeline last executed it: its path, the parameters it ran with (its injected
    parameters cell) and the files it wrote (its outputs in notebooks/pipeline.yml)."""
    nb_path = paths.NOTEBOOKS / "03_entrevistas.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        pytest.fail(f"{nb_path} has no injected parameters cell: run `make run` so that the pipeline executes it.")
    params: dict[str, object] = {}
    exec("".join(cells[0]["source"]), {}, params)  # the cell only assigns literals
    step = next(s for s in load_pipeline() if s.notebook == nb_path.name)
    outputs = [paths.ROOT / o for o in step.outputs]
    missing = [str(o.relative_to(paths.ROOT)) for o in outputs if not o.exists()]
    if missing:
        pytest.fail(f"outputs of {nb_path.name} missing: {missing}; run `make run` before this test.")
    return nb_path, params, outputs


def test_executed_chapter_leaks_no_name_it_read() -> None:
    """The pipeline's execution of notebook 03 is checked, not a new one: the transcripts it read name
    people of the register it used (so the check can find something), and neither the executed
    notebook nor any file it wrote names one of them."""
    nb_path, params, outputs = _executed_chapter()
    corpus = load_corpus(paths.ROOT / str(params["transcripts_dir"]))
    register = privacy.resolve_register(paths.ROOT / str(params["register_path"]), corpus)
    named = privacy.names_in_corpus(corpus, register)
    assert named, "the transcripts name nobody of the register: a clean result would prove nothing"
    assert privacy.find_leaks([*outputs, nb_path], register) == []


def test_leak_check_reads_the_executed_notebook(tmp_path: Path) -> None:
    """A register name that reached a cell's output of the executed chapter would be found."""
    nb_path, params, _ = _executed_chapter()
    corpus = load_corpus(paths.ROOT / str(params["transcripts_dir"]))
    register = privacy.resolve_register(paths.ROOT / str(params["register_path"]), corpus)
    _, name = privacy.names_in_corpus(corpus, register)[0]
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and c.get("outputs"))
    code["outputs"].append({"output_type": "stream", "name": "stdout", "text": [f"Entrevista con {name.upper()}\n"]})
    leaked = tmp_path / nb_path.name
    leaked.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    assert any(where.startswith(str(leaked)) for where, _ in privacy.find_leaks([leaked], register))


def test_published_book_and_outputs_name_no_participant() -> None:
    """The built book, the executed chapter and data/processed carry no name from the register in use."""
    html = paths.BOOK / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("no built book: run `make book-html` (make test does) before this test")
    register = privacy.load_register(paths.INTERVIEWS / "participants.example.csv")
    assert register.names, "the example register should list names to look for"
    leaks = privacy.find_leaks([html, paths.PROCESSED, paths.NOTEBOOKS / "03_entrevistas.ipynb"], register)
    assert leaks == [], f"register names found: {leaks[:10]}"
