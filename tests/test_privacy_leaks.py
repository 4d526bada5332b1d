"""Nothing identifying in an executed interview notebook, its failed copy or the outputs scanned for names;
the scan looks only where interview material can go and matches names as whole words."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.analyses.qda import privacy
from analysis.workflow import pipeline
from tests.pipeline_support import scratch_project

NAME = "Fermín Chablé"


def _register(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "participants.csv"
    p.write_text("pseudonym,name,aliases\nVecino B,Fermín Chablé,don Fermín|Ana\n", encoding="utf-8")
    return p


def _notebook(path: Path, text: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("tabla(resumen)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


def test_guard_removes_an_executed_notebook_with_a_name(tmp_path: Path) -> None:
    reg = _register(tmp_path / "register")
    nb = _notebook(tmp_path / "03.ipynb", "informant_role: asesora de FERMIN CHABLE\n")
    with pytest.raises(privacy.LeakScanError) as err:
        privacy.guard_notebook(nb, reg)
    assert not nb.exists()
    assert "Chabl" not in str(err.value)
    assert "Ferm" not in str(err.value)
    clean = _notebook(tmp_path / "ok.ipynb", "informant_role: Vecino B\n")
    privacy.guard_notebook(clean, reg)
    assert clean.exists()


def test_a_failed_run_holding_a_name_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = scratch_project(tmp_path / "p", monkeypatch)
    reg = _register(root / "interviews" / "register")
    out = _notebook(tmp_path / "out.ipynb", f"IndexError after showing {NAME}\n")
    error = tmp_path / "error.json"
    error.write_text(json.dumps({"exec_count": 18, "ename": "IndexError", "evalue": f"no row for {NAME}"}))
    log = tmp_path / "child.log"
    log.write_text(f"Traceback ... {NAME}\n")
    step = pipeline.Step("03_entrevistas.ipynb")
    exc = pipeline.Runner()._failure(step, 3, out, error, log, {"register_path": str(reg.relative_to(root))})
    assert not (root / "notebooks" / "_failed" / "03_entrevistas.ipynb").exists()
    assert "Chabl" not in str(exc)
    assert "not kept" in str(exc)


def test_scan_covers_interview_outputs_only(tmp_path: Path) -> None:
    reg = privacy.load_register(_register(tmp_path / "register"))
    processed = tmp_path / "processed"
    (processed / "qda").mkdir(parents=True)
    (processed / ".staging" / "03_entrevistas" / "backup" / "data" / "processed").mkdir(parents=True)
    (processed / "census_localities.csv").write_text("locality\nSanta Ana Maya\n", encoding="utf-8")
    (processed / ".staging" / "03_entrevistas" / "backup" / "data" / "processed" / "interview_codes.csv").write_text(
        f"text\n{NAME}\n", encoding="utf-8")
    (processed / "interview_codes.csv").write_text("text\nVecino B dijo que sí\n", encoding="utf-8")
    (processed / "qda" / "codebook.qdc").write_text("<CodeBook/>", encoding="utf-8")
    scanned = privacy.interview_outputs(processed)
    assert {p.name for p in scanned} == {"interview_codes.csv", "codebook.qdc"}
    assert privacy.find_leaks(scanned, reg) == []
    (processed / "interview_codes.csv").write_text(f"text\n{NAME}\n", encoding="utf-8")
    assert privacy.find_leaks(privacy.interview_outputs(processed), reg) != []


def test_aliases_match_whole_words_only(tmp_path: Path) -> None:
    reg = privacy.load_register(_register(tmp_path / "register"))
    assert privacy.find_names("Anabel y Mariana hablaron con la Santanera", reg) == []
    assert privacy.find_names("Habló Ana.", reg) == ["Ana"]


def test_chapter_3_pseudonymises_before_anything_is_displayed() -> None:
    nb = nbformat.read(paths.NOTEBOOKS / "03_entrevistas.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"
            and not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    first_pseudonymised = next(i for i, s in enumerate(code) if "pseudonymise_corpus(" in s)
    first_shown = next(i for i, s in enumerate(code) if "tabla(" in s or "print(" in s or "display(" in s)
    assert first_pseudonymised <= first_shown
    cell = code[first_pseudonymised]
    assert cell.index("pseudonymise_corpus(") < min(cell.index(k) for k in ("tabla(", "print(", "display(") if k in cell)


def test_chapter_3_figure_cell_survives_a_corpus_where_no_codes_share_a_turn() -> None:
    """A small corpus (two transcripts) can have no co-occurring pair; the cell describing the figure must
    say so instead of failing with IndexError."""
    import types

    import pandas as pd

    from analysis.analyses import qda

    nb = nbformat.read(paths.NOTEBOOKS / "03_entrevistas.ipynb", as_version=4)
    (source,) = [c.source for c in nb.cells if c.cell_type == "code" and "plot_cooccurrence" in c.source]
    shown: list[str] = []
    scope = {"conteos": pd.DataFrame(), "coef": pd.DataFrame(), "nombres": {}, "demo": True,
             "plots": types.SimpleNamespace(mostrar=lambda _fig, text, **_k: shown.append(text)),
             "vqda": types.SimpleNamespace(plot_cooccurrence=lambda *_a, **_k: None)}
    scope["qda"] = types.SimpleNamespace(top_pairs=lambda *_a, **_k: pd.DataFrame(columns=["code_a", "code_b", "n", "c"]),
                                         top_pair_phrase=getattr(qda, "top_pair_phrase", None))
    exec(compile(source, "celda", "exec"), scope)
    assert "ningún par" in shown[0]


def test_the_pipeline_guards_an_interview_notebook_that_succeeded(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted name in a cell's output of a notebook with a register_path parameter stops the run."""
    root = scratch_project(tmp_path / "p", monkeypatch)
    reg = _register(root / "interviews" / "register")
    out = _notebook(tmp_path / "out.ipynb", f"role: asesora de {NAME.upper()}\n")
    with pytest.raises(privacy.LeakScanError):
        pipeline._guard_names(out, {"register_path": str(reg.relative_to(root))})
    assert not out.exists()
    other = _notebook(tmp_path / "other.ipynb", f"{NAME}\n")
    pipeline._guard_names(other, {"plans_dir": "x"})  # not an interview notebook: not its business
    assert other.exists()
