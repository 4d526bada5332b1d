"""The notebook pipeline: executes in order, skips what is up to date, fails loudly and safely."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import paths
from analysis.workflow import pipeline
from analysis.workflow.pipeline import PipelineError


def notebook(path: Path, *cells: str, params: str = "value = 1") -> None:
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell(params, metadata={"tags": ["parameters"]}),
                             *[new_code_cell(c) for c in cells]])
    nbformat.write(nb, path)


@pytest.fixture
def project(temp_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (temp_root / "src" / "analysis").mkdir(parents=True)
    (temp_root / "src" / "analysis" / "mod.py").write_text("X = 1\n")
    monkeypatch.setattr(pipeline.paths, "SRC", temp_root / "src" / "analysis")
    monkeypatch.setattr(pipeline.paths, "PIPELINE_LOCK", temp_root / "data/processed/.pipeline.lock")
    monkeypatch.setattr(pipeline.paths, "PIPELINE_STAGING", temp_root / "data/processed/.staging")
    (temp_root / "data" / "sources.yml").write_text(yaml.safe_dump({"sources": [
        {"id": "s", "path": "data/raw/s.txt", "url": "file:///x", "sha256": "0" * 64, "bytes": 1,
         "licence": "l", "citation": "c", "description": "d"}]}))
    nbdir = temp_root / "notebooks"
    notebook(nbdir / "a.ipynb", "from pathlib import Path\nPath('../data/processed/a.txt').write_text(str(value))",
             "print('a wrote', value)")
    notebook(nbdir / "b.ipynb", "from pathlib import Path\nx = Path('../data/processed/a.txt').read_text()\n"
             "Path('../data/processed/b.txt').write_text(x * 2)", params="")
    (nbdir / "pipeline.yml").write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "a.ipynb", "parameters": {"value": 1}, "outputs": ["data/processed/a.txt"]},
        {"notebook": "b.ipynb", "inputs": ["data/processed/a.txt"], "outputs": ["data/processed/b.txt"]},
    ]}))
    return temp_root


def test_runs_in_order_then_skips_then_reruns_what_changed(project: Path) -> None:
    log: list[str] = []
    assert pipeline.run(log=log.append) == {"a.ipynb": "executed", "b.ipynb": "executed"}
    assert (project / "data/processed/b.txt").read_text() == "11"
    first = (project / "notebooks/a.ipynb").read_bytes()
    assert b"a wrote 1" in first
    assert b"papermill" not in first

    assert pipeline.run(log=log.append) == {"a.ipynb": "skipped", "b.ipynb": "skipped"}
    assert any("skip  a.ipynb: up to date" in line for line in log)
    assert (project / "notebooks/a.ipynb").read_bytes() == first  # nothing rewritten

    assert pipeline.run(overrides={"value": 2}, log=log.append) == {"a.ipynb": "executed", "b.ipynb": "executed"}
    assert any("its parameters changed" in line for line in log)
    assert any("an input file changed" in line for line in log)
    assert (project / "data/processed/b.txt").read_text() == "22"

    (project / "src/analysis/mod.py").write_text("X = 2\n")
    assert pipeline.run(overrides={"value": 2}, log=log.append) == {"a.ipynb": "executed", "b.ipynb": "executed"}
    assert any("the package code changed" in line for line in log)

    (project / "data/processed/b.txt").unlink()
    assert pipeline.run(overrides={"value": 2}, log=log.append) == {"a.ipynb": "skipped", "b.ipynb": "executed"}
    assert any("output(s) missing: data/processed/b.txt" in line for line in log)


def test_rerun_with_force_is_byte_identical(project: Path) -> None:
    pipeline.run(log=lambda _: None)
    before = (project / "notebooks/a.ipynb").read_bytes()
    pipeline.run(force=True, log=lambda _: None)
    assert (project / "notebooks/a.ipynb").read_bytes() == before


def test_failing_notebook_is_named_and_the_good_one_kept(project: Path) -> None:
    pipeline.run(log=lambda _: None)
    good = (project / "notebooks/b.ipynb").read_bytes()
    nb = nbformat.read(project / "notebooks/b.ipynb", as_version=4)
    bad = new_code_cell("raise ValueError('boom in b')")
    bad.pop("id")
    nb.cells.append(bad)
    nbformat.write(nb, project / "notebooks/b.ipynb")
    edited = (project / "notebooks/b.ipynb").read_bytes()
    with pytest.raises(PipelineError, match=r"b.ipynb failed in cell \[\d+\] with ValueError: boom in b"):
        pipeline.run(log=lambda _: None)
    assert (project / "notebooks/b.ipynb").read_bytes() == edited != good
    assert (project / "notebooks/_failed/b.ipynb").exists()
    # the next run, once fixed, completes
    nb.cells[-1].source = "print('fixed')"
    nbformat.write(nb, project / "notebooks/b.ipynb")
    assert pipeline.run(log=lambda _: None)["b.ipynb"] == "executed"


def test_pipeline_file_errors(project: Path) -> None:
    (project / "notebooks/pipeline.yml").write_text(yaml.safe_dump({"notebooks": [{"notebook": "zzz.ipynb"}]}))
    with pytest.raises(PipelineError, match=r"notebook .*zzz.ipynb does not exist"):
        pipeline.load_pipeline()
    (project / "notebooks/pipeline.yml").write_text(yaml.safe_dump({"notebooks": [{"notebook": "a.ipynb", "colour": 1}]}))
    with pytest.raises(PipelineError, match=r"unknown field\(s\) \['colour'\]"):
        pipeline.load_pipeline()
    with pytest.raises(PipelineError, match="must be written name=value"):
        pipeline.parse_overrides(["value"])
    assert pipeline.parse_overrides(["n=3", "flag=true", "s=rai"]) == {"n": 3, "flag": True, "s": "rai"}


@pytest.mark.usefixtures("project")
def test_unknown_notebook_selection() -> None:
    with pytest.raises(PipelineError, match=r"Unknown notebook\(s\) \['zz'\]"):
        pipeline.run(only=["zz"], log=lambda _: None)


def test_source_digest_ignores_outputs() -> None:
    nb = new_notebook(cells=[new_code_cell("print(1)")])
    d1 = pipeline.notebook_source_digest(nb)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    assert pipeline.notebook_source_digest(nb) == d1
    nb.cells[0].source = "print(2)"
    assert pipeline.notebook_source_digest(nb) != d1


def test_stream_chunks_are_merged_whatever_the_timing() -> None:
    out = nbformat.v4.new_output
    split = [out("stream", name="stdout", text="a\n"), out("stream", name="stdout", text="b\n"),
             out("stream", name="stderr", text="w\n"), out("stream", name="stdout", text="c\n")]
    merged = pipeline.coalesce_streams(split)
    assert [(o["name"], o["text"]) for o in merged] == [("stdout", "a\nb\n"), ("stderr", "w\n"), ("stdout", "c\n")]
    whole = pipeline.coalesce_streams([out("stream", name="stdout", text="a\nb\n")])
    assert whole[0]["text"] == merged[0]["text"]


def test_clean_notebook_hides_papermill_injected_parameters() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("top = 10", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("top = 5", metadata={"tags": ["injected-parameters"]})]
    out = pipeline.clean_notebook(nb)
    assert out.cells[0].metadata["tags"] == ["parameters"]
    assert out.cells[1].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert pipeline.clean_notebook(out).cells[1].metadata["tags"] == ["injected-parameters", "remove-cell"]


FIGURE_CALL = re.compile(r"""save_figure\(\s*\w+\s*,\s*["']([\w-]+)["']|nombre\s*=\s*["']([\w-]+)["']""")


def figures_written(source: str) -> set[str]:
    """Names of the figures a notebook's code saves (``save_figure(fig, "x")``, ``mostrar(..., nombre="x")``)."""
    return {a or b for a, b in FIGURE_CALL.findall(source)}


def figures_declared(outputs: list[str]) -> dict[str, set[str]]:
    """figure name -> the formats pipeline.yml declares for it under data/processed/figures/."""
    found: dict[str, set[str]] = {}
    for out in outputs:
        path = Path(out)
        if path.parent.as_posix() == "data/processed/figures":
            found.setdefault(path.stem, set()).add(path.suffix)
    return found


def test_every_saved_figure_is_a_declared_output_in_both_formats() -> None:
    """save_figure writes PNG and SVG; both must be declared, or a failed run could leave one stale."""
    spec = yaml.safe_load((paths.ROOT / "notebooks" / "pipeline.yml").read_text(encoding="utf-8"))
    problems = []
    for entry in spec["notebooks"]:
        nb = nbformat.read(paths.ROOT / "notebooks" / entry["notebook"], as_version=4)
        written = figures_written("\n".join(c.source for c in nb.cells if c.cell_type == "code"))
        declared = figures_declared(entry.get("outputs", []))
        for name in sorted(written):
            if declared.get(name) != {".png", ".svg"}:
                problems.append(f"{entry['notebook']}: figure {name!r} declared as {sorted(declared.get(name, []))}")
        problems += [f"{entry['notebook']}: declares figure {n!r} that its code does not save"
                     for n in sorted(set(declared) - written)]
    assert not problems, "\n".join(problems)


def test_the_figure_rule_can_fail() -> None:
    source = 'fig = f()\n_ = plots.save_figure(fig, "01_mapa")\nplots.mostrar(g, "Un mapa de México.", nombre="02_b")'
    assert figures_written(source) == {"01_mapa", "02_b"}
    assert figures_declared(["data/processed/figures/01_mapa.svg", "data/processed/x.csv"]) == {"01_mapa": {".svg"}}
