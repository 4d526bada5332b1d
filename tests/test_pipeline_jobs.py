"""``run -j N``: notebooks that do not depend on each other run at the same time, in the order the
declared inputs and outputs impose, with results byte-identical to ``-j 1``; a failure stops its
dependants only."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pipeline_support import scratch_project

from analysis.workflow import pipeline
from analysis.workflow.pipeline import PipelineError

# Each notebook records when it started and ended (not a declared output) and writes its output from
# its inputs. With PIPE_TEST_OVERLAP set, a waits (up to 5 min) until c has started: only a run that
# executes independent notebooks at the same time gets past it. With PIPE_TEST_FAIL=b, b fails.
PRELUDE = """\
import json, os, time
from pathlib import Path
out = Path('../data/processed')
(out / 'times').mkdir(exist_ok=True)
started = time.time()
"""
EPILOGUE = """\
_ = (out / 'times' / f'{name}.json').write_text(json.dumps({'start': started, 'end': time.time()}))
"""
BODIES = {
    "a": "if os.environ.get('PIPE_TEST_OVERLAP'):\n"
         "    deadline = time.time() + 300\n"
         "    while not (out / 'times' / 'c.started').exists() and time.time() < deadline:\n"
         "        time.sleep(0.05)\n"
         "(out / 'a.txt').write_text('a' * 10)\n",
    "b": "if os.environ.get('PIPE_TEST_FAIL') == 'b':\n    raise RuntimeError('b breaks')\n"
         "(out / 'b.txt').write_text((out / 'a.txt').read_text() + 'b')\n",
    "c": "(out / 'times' / 'c.started').write_text('')\n(out / 'c.txt').write_text('c' * 3)\n",
    "d": "(out / 'd.txt').write_text((out / 'b.txt').read_text() + (out / 'c.txt').read_text())\n",
}
SPEC = [  # a -> b -> d <- c; a and c are independent
    {"notebook": "a.ipynb", "outputs": ["data/processed/a.txt"]},
    {"notebook": "b.ipynb", "inputs": ["data/processed/a.txt"], "outputs": ["data/processed/b.txt"]},
    {"notebook": "c.ipynb", "outputs": ["data/processed/c.txt"]},
    {"notebook": "d.ipynb", "inputs": ["data/processed/b.txt", "data/processed/c.txt"], "outputs": ["data/processed/d.txt"]},
]


def make_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    scratch_project(root, monkeypatch, ())
    for name, body in BODIES.items():
        nb = new_notebook(cells=[new_markdown_cell(f"# {name}"), new_code_cell("", metadata={"tags": ["parameters"]}),
                                 new_code_cell(PRELUDE + f"name = {name!r}\n" + body + EPILOGUE),
                                 new_code_cell(f"print('{name} listo')")])
        for cell in nb.cells:
            cell.pop("id", None)
        nb.nbformat_minor = 4
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    (root / "notebooks/pipeline.yml").write_text(yaml.safe_dump({"notebooks": SPEC}, sort_keys=False))
    return root


def results_of(root: Path) -> dict[str, bytes]:
    """What a run produces and commits: declared outputs and executed notebooks."""
    files = [root / o for s in SPEC for o in s["outputs"]] + sorted((root / "notebooks").glob("*.ipynb"))
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def times(root: Path) -> dict[str, dict[str, float]]:
    return {p.stem: json.loads(p.read_text()) for p in (root / "data/processed/times").glob("*.json")}


def test_dependencies_follow_declared_inputs_and_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "p", monkeypatch)
    deps = pipeline.dependencies(pipeline.load_pipeline())
    assert deps == {"a.ipynb": [], "b.ipynb": ["a.ipynb"], "c.ipynb": [], "d.ipynb": ["b.ipynb", "c.ipynb"]}


def test_parallel_run_orders_by_dependencies_and_matches_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = make_project(tmp_path / "serial", monkeypatch)
    assert pipeline.run(jobs=1, log=lambda _: None) == dict.fromkeys(["a.ipynb", "b.ipynb", "c.ipynb", "d.ipynb"], "executed")
    expected = results_of(serial)

    parallel = make_project(tmp_path / "parallel", monkeypatch)
    monkeypatch.setenv("PIPE_TEST_OVERLAP", "1")  # a only finishes once c has started: proves they overlap
    assert pipeline.run(jobs=2, log=lambda _: None) == dict.fromkeys(["a.ipynb", "b.ipynb", "c.ipynb", "d.ipynb"], "executed")
    t = times(parallel)
    assert t["c"]["start"] < t["a"]["end"]  # independent notebooks ran at the same time
    assert t["b"]["start"] >= t["a"]["end"]  # b waited for a, which writes its input
    assert t["d"]["start"] >= max(t["b"]["end"], t["c"]["end"])
    assert results_of(parallel) == expected  # byte-identical to -j 1
    assert (parallel / "data/processed/d.txt").read_text() == "a" * 10 + "b" + "c" * 3


def test_failure_stops_dependants_not_independent_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "p", monkeypatch)
    monkeypatch.setenv("PIPE_TEST_FAIL", "b")
    with pytest.raises(PipelineError, match=r"b.ipynb failed in cell \[\d+\] with RuntimeError: b breaks") as err:
        pipeline.run(jobs=2, log=lambda _: None)
    assert err.value.results == {"a.ipynb": "executed", "b.ipynb": "failed", "c.ipynb": "executed", "d.ipynb": "not run"}
    assert "Not run because a notebook they depend on failed: d.ipynb" in str(err.value)
    assert not (root / "data/processed/b.txt").exists()
    assert not (root / "data/processed/d.txt").exists()
    monkeypatch.delenv("PIPE_TEST_FAIL")
    assert pipeline.run(jobs=2, log=lambda _: None) == {"a.ipynb": "skipped", "b.ipynb": "executed",
                                                        "c.ipynb": "skipped", "d.ipynb": "executed"}
