"""Runs are atomic and bound to the state: a notebook that fails, dies or is interrupted leaves the
previous outputs byte for byte and the state as it was; outputs and files named by parameters are
fingerprinted; one run at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pipeline_support import scratch_project

from analysis.workflow import pipeline
from analysis.workflow.pipeline import PipelineError

SRC = Path(pipeline.__file__).resolve().parents[2]

A_CODE = """\
import os, time
from pathlib import Path
out = Path('../data/processed')
(out / 'a1.txt').write_text(f'first {value}\\n' * 3)
if value == 'fail':
    raise ValueError('boom in a')
if value == 'die':
    os.kill(os.getpid(), 9)
if value == 'hang':  # keeps writing until the test releases it (it never does)
    while not (out.parent / 'release').exists():
        (out / 'a1.txt').write_text('late write\\n')
        time.sleep(0.1)
(out / 'a2.txt').write_text(f'second {value}\\n')
"""


def notebook(path: Path, *cells: str, params: str = "") -> None:
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell(params, metadata={"tags": ["parameters"]}),
                             *[new_code_cell(c) for c in cells]])
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4
    nbformat.write(nb, path)


def make_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny project: a writes a1.txt and a2.txt (parameter value), b reads a1.txt and writes b.txt;
    c reads the file its parameter data_path points to."""
    scratch_project(root, monkeypatch, ("inputs",))
    (root / "inputs/table.csv").write_text("x\n1\n2\n")
    nbdir = root / "notebooks"
    notebook(nbdir / "a.ipynb", A_CODE, params="value = 1")
    notebook(nbdir / "b.ipynb", "from pathlib import Path\nx = Path('../data/processed/a1.txt').read_text()\n"
             "Path('../data/processed/b.txt').write_text(x.upper())")
    notebook(nbdir / "c.ipynb", "from pathlib import Path\nrows = Path('..', data_path).read_text().splitlines()\n"
             "Path('../data/processed/c.txt').write_text(str(len(rows)))", params="data_path = 'inputs/table.csv'")
    (nbdir / "pipeline.yml").write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "a.ipynb", "parameters": {"value": 1},
         "outputs": ["data/processed/a1.txt", "data/processed/a2.txt"]},
        {"notebook": "b.ipynb", "inputs": ["data/processed/a1.txt"], "outputs": ["data/processed/b.txt"]},
        {"notebook": "c.ipynb", "parameters": {"data_path": "inputs/table.csv"}, "outputs": ["data/processed/c.txt"]},
    ]}, sort_keys=False))
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path / "project", monkeypatch)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the project except the lock (outputs, notebooks, state)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".pipeline.lock" and "_failed" not in p.parts}


def quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- failures roll back


@pytest.mark.parametrize(("value", "message"), [("fail", r"failed in cell \[\d+\] with ValueError: boom in a"),
                                                ("die", r"kernel may have died")])
def test_failed_notebook_restores_outputs_and_state(project: Path, value: str, message: str) -> None:
    pipeline.run(log=quiet)
    before = snapshot(project)
    log: list[str] = []
    with pytest.raises(PipelineError, match=message) as err:
        pipeline.run(overrides={"value": value}, log=log.append)
    assert snapshot(project) == before  # outputs, notebooks and state byte-identical
    assert err.value.results == {"a.ipynb": "failed", "b.ipynb": "not run", "c.ipynb": "skipped"}
    assert "previous outputs were restored" in str(err.value)
    assert not (project / "data/processed/.staging").exists()
    # the defaults are what the restored outputs were made with: up to date, rightly
    assert pipeline.run(log=quiet) == {"a.ipynb": "skipped", "b.ipynb": "skipped", "c.ipynb": "skipped"}
    # the failed parameters are not recorded as done: the same request executes again
    with pytest.raises(PipelineError):
        pipeline.run(only=["a"], overrides={"value": value}, log=quiet)
    assert snapshot(project) == before


def test_failure_on_first_run_removes_partial_outputs(project: Path) -> None:
    with pytest.raises(PipelineError, match="boom in a"):
        pipeline.run(only=["a"], overrides={"value": "fail"}, log=quiet)
    assert not (project / "data/processed/a1.txt").exists()  # written before the error, then removed
    assert not (project / "data/processed/.pipeline-state.json").exists()  # no state entry was written
    log: list[str] = []
    assert pipeline.run(only=["a"], log=log.append) == {"a.ipynb": "executed"}
    assert any("never executed here" in line for line in log)


# --------------------------------------------------------------------------- fingerprints


def test_truncated_or_edited_output_forces_a_rerun(project: Path) -> None:
    pipeline.run(log=quiet)
    good = (project / "data/processed/a1.txt").read_bytes()
    (project / "data/processed/a1.txt").write_bytes(good[:5])  # truncated
    log: list[str] = []
    assert pipeline.run(log=log.append) == {"a.ipynb": "executed", "b.ipynb": "skipped", "c.ipynb": "skipped"}
    assert any("an output changed since the last run: data/processed/a1.txt" in line for line in log)
    assert (project / "data/processed/a1.txt").read_bytes() == good
    (project / "data/processed/b.txt").write_text("edited by hand")
    log.clear()
    assert pipeline.run(log=log.append)["b.ipynb"] == "executed"
    assert any("an output changed since the last run: data/processed/b.txt" in line for line in log)


def test_file_named_by_a_parameter_edited_in_place_forces_a_rerun(project: Path) -> None:
    pipeline.run(log=quiet)
    assert (project / "data/processed/c.txt").read_text() == "3"
    (project / "inputs/table.csv").write_text("x\n1\n2\n3\n")  # same path, new content
    log: list[str] = []
    assert pipeline.run(log=log.append)["c.ipynb"] == "executed"
    assert any("a file or folder a parameter points to changed" in line for line in log)
    assert (project / "data/processed/c.txt").read_text() == "4"


def test_unselected_producer_with_stale_output_blocks_its_readers(project: Path) -> None:
    pipeline.run(log=quiet)
    (project / "data/processed/a1.txt").write_text("")  # e.g. left empty by some other process
    with pytest.raises(PipelineError, match=r"b.ipynb reads data/processed/a1.txt, written by a.ipynb, but it changed"):
        pipeline.run(only=["b"], log=quiet)


# --------------------------------------------------------------------------- parameters


def test_parameter_errors_are_raised_before_anything_runs(project: Path) -> None:
    with pytest.raises(PipelineError, match=r"Unknown parameter\(s\) \['valu'\].*a.ipynb: value"):
        pipeline.run(overrides={"valu": 2}, log=quiet)
    with pytest.raises(PipelineError, match=r"Unknown parameter\(s\) \['value'\].*c.ipynb: data_path"):
        pipeline.run(only=["c"], overrides={"value": 2}, log=quiet)
    assert not (project / "data/processed/.pipeline-state.json").exists()  # nothing executed


def registry_project(root: Path) -> None:
    nbdir = root / "notebooks"
    code = "from pathlib import Path\nPath('../data/processed/{0}.txt').write_text(registry + ':' + rai_path)"
    notebook(nbdir / "r1.ipynb", code.format("r1"), params="registry = 'wikipedia'\nrai_path = ''")
    notebook(nbdir / "r2.ipynb", code.format("r2"), params="registry = 'wikipedia'\nrai_path = ''")
    (root / "inputs/export.csv").write_text("header\n")
    params = {"registry": "wikipedia", "rai_path": ""}
    (nbdir / "pipeline.yml").write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "r1.ipynb", "parameters": params, "outputs": ["data/processed/r1.txt"]},
        {"notebook": "r2.ipynb", "parameters": params, "match_parameters": {"registry": "r1.ipynb"},
         "inputs": ["data/processed/r1.txt"], "outputs": ["data/processed/r2.txt"]},
    ]}, sort_keys=False))


def test_registry_parameters_are_validated(project: Path) -> None:
    registry_project(project)
    with pytest.raises(PipelineError, match=r"rai_path='inputs/export.csv' is given but registry='wikipedia'"):
        pipeline.run(overrides={"rai_path": "inputs/export.csv"}, log=quiet)
    with pytest.raises(PipelineError, match=r"registry=rai needs -p rai_path"):
        pipeline.run(overrides={"registry": "rai"}, log=quiet)
    with pytest.raises(PipelineError,
                       match=r"registry='sre' is not a registry; use one of \['two_sources', 'wikipedia', 'rai'\]"):
        pipeline.run(overrides={"registry": "sre"}, log=quiet)
    with pytest.raises(PipelineError, match=r"rai_path='inputs/nope.csv': no such file"):
        pipeline.run(overrides={"registry": "rai", "rai_path": "inputs/nope.csv"}, log=quiet)
    with pytest.raises(PipelineError, match=r"no successful run of r1.ipynb is recorded"):
        pipeline.run(only=["r2"], log=quiet)
    assert not (project / "data/processed/.pipeline-state.json").exists()  # nothing executed so far

    pipeline.run(only=["r1"], log=quiet)
    with pytest.raises(PipelineError, match=r"r2.ipynb: registry='rai', but r1.ipynb was run with registry='wikipedia'"):
        pipeline.run(only=["r2"], overrides={"registry": "rai", "rai_path": "inputs/export.csv"}, log=quiet)
    # both together: consistent, and the export is passed as an absolute path
    assert pipeline.run(overrides={"registry": "rai", "rai_path": "inputs/export.csv"}, log=quiet) == {
        "r1.ipynb": "executed", "r2.ipynb": "executed"}
    assert (project / "data/processed/r2.txt").read_text() == f"rai:{project / 'inputs/export.csv'}"
    # editing the export in place (same path) reruns
    (project / "inputs/export.csv").write_text("header\nrow\n")
    log: list[str] = []
    assert pipeline.run(overrides={"registry": "rai", "rai_path": "inputs/export.csv"}, log=log.append)["r1.ipynb"] == "executed"
    assert any("r1.ipynb: a file or folder a parameter points to changed" in line for line in log)


def test_pipeline_file_rejects_two_writers_and_readers_listed_first(project: Path) -> None:
    yml = project / "notebooks/pipeline.yml"
    yml.write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "a.ipynb", "outputs": ["data/processed/x.txt"]},
        {"notebook": "b.ipynb", "outputs": ["data/processed/x.txt"]}]}))
    with pytest.raises(PipelineError, match=r"declared as output of both a.ipynb and b.ipynb"):
        pipeline.load_pipeline()
    yml.write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "b.ipynb", "inputs": ["data/processed/x.txt"]},
        {"notebook": "a.ipynb", "outputs": ["data/processed/x.txt"]}]}))
    with pytest.raises(PipelineError, match=r"b.ipynb reads \['data/processed/x.txt'\], written by a.ipynb, which is listed"):
        pipeline.load_pipeline()


# --------------------------------------------------------------------------- the lock


def test_second_run_gets_the_lock_message_or_waits(project: Path) -> None:
    lock = project / "data/processed/.pipeline.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, str(os.getpid()).encode())\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[1]))\n"), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(pipeline.PipelineBusy, match=rf"pid {holder.pid}; lock file {lock}"):
            pipeline.run(log=quiet)
        assert not (project / "data/processed/.pipeline-state.json").exists()
        # waiting long enough: runs once the holder is gone
        assert pipeline.run(log=quiet, wait=120)["a.ipynb"] == "executed"
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------- killed or interrupted pipeline


def start_pipeline(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ANALYSIS_ROOT": str(root), "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-m", "analysis", "run", *args], env=env, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_hanging(root: Path, proc: subprocess.Popen[str]) -> None:
    target = root / "data/processed/a1.txt"
    deadline = time.monotonic() + 180
    while not (target.exists() and target.read_text() == "late write\n"):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the notebook never started"
        time.sleep(0.2)


@pytest.mark.slow
def test_interrupted_pipeline_restores_at_once(project: Path) -> None:
    pipeline.run(log=quiet)
    before = snapshot(project)
    proc = start_pipeline(project, "a", "-p", "value=hang")
    wait_until_hanging(project, proc)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "previous outputs restored" in err
    time.sleep(1.5)  # the kernel is gone: nothing writes any more
    assert snapshot(project) == before
    assert not (project / "data/processed/.staging").exists()


@pytest.mark.slow
def test_killed_pipeline_is_detected_and_restored_by_the_next_run(project: Path) -> None:
    pipeline.run(log=quiet)
    before = snapshot(project)
    proc = start_pipeline(project, "a", "-p", "value=hang")
    wait_until_hanging(project, proc)
    other = start_pipeline(project)  # an overlapping run is told who holds the lock
    _, err = other.communicate(timeout=120)
    assert other.returncode == 1
    assert f"pid {proc.pid}; lock file" in err
    assert ".pipeline.lock" in err
    proc.kill()  # SIGKILL: no chance to clean up
    proc.communicate()
    assert (project / "data/processed/.staging/a").exists()
    log: list[str] = []
    result = pipeline.run(log=log.append, wait=120)  # waits while the orphaned papermill stops its kernel
    assert any("restore a.ipynb: a run" in line and "was interrupted" in line for line in log)
    assert result == {"a.ipynb": "skipped", "b.ipynb": "skipped", "c.ipynb": "skipped"}
    time.sleep(1.5)
    assert snapshot(project) == before


def test_recovery_restores_rolls_forward_or_drops_by_what_the_state_says(project: Path) -> None:
    out = project / "data/processed"
    (out / "a1.txt").write_text("partial")
    staging = out / ".staging"
    for name in ("a", "b"):
        (staging / name / "backup/data/processed").mkdir(parents=True)
    (staging / "a/backup/data/processed/a1.txt").write_text("previous a1")
    (staging / "a/manifest.json").write_text(json.dumps({"notebook": "a.ipynb", "run": "r-interrupted", "pid": 1,
                                                         "items": {"data/processed/a1.txt": "saved",
                                                                   "data/processed/a2.txt": "absent"}}))
    (out / "a2.txt").write_text("new file of the interrupted run")
    (staging / "b/manifest.json").write_text(json.dumps({"notebook": "b.ipynb", "run": "r-committed", "pid": 1,
                                                         "items": {"data/processed/b.txt": "absent"}}))
    (out / "b.txt").write_text("committed b")
    nb = nbformat.read(project / "notebooks/b.ipynb", as_version=4)
    nb.cells[0].source = "# b, executed"
    nbformat.write(nb, staging / "b/executed.ipynb")
    (staging / "c/backup").mkdir(parents=True)  # no manifest: the backup never completed
    state = {"a.ipynb": {"run": "r-before"}, "b.ipynb": {"run": "r-committed"}}
    log: list[str] = []
    pipeline.recover(pipeline.load_pipeline(), state, log.append)
    assert (out / "a1.txt").read_text() == "previous a1"
    assert not (out / "a2.txt").exists()  # rolled back
    assert (out / "b.txt").read_text() == "committed b"  # committed: kept, and the notebook put in place
    assert nbformat.read(project / "notebooks/b.ipynb", as_version=4).cells[0].source == "# b, executed"
    assert not staging.exists()
    assert len(log) == 3
    assert any(line.startswith("restore a.ipynb") for line in log)


def test_which_parameter_values_are_files(project: Path) -> None:
    assert pipeline.parameter_path("inputs/table.csv") == project / "inputs/table.csv"
    assert pipeline.parameter_path(str(project / "inputs")) == project / "inputs"
    assert pipeline.parameter_path("wikipedia") is None  # a word, not a path
    assert pipeline.parameter_path(".") is None
    assert pipeline.parameter_path("..") is None  # the project itself
    assert pipeline.parameter_path(3) is None
    assert pipeline.parameter_path("") is None
