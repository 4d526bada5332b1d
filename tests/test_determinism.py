"""Two executions give byte-identical results, and a run killed mid-notebook damages nothing.

How the two executions are obtained without running the pipeline a third time in `make test`:

1. The first is the pipeline's own run (`make run`, before pytest), which writes the executed
   notebooks into notebooks/ and the processed tables into data/processed. Those executed
   notebooks must be byte-identical to the committed ones (`git status` clean), which were made by
   an earlier run: that compares two executions of every notebook, file for file.
2. The second is nbval's execution of every notebook (`make test` passes the nbval options), which
   compares the checked cells with the executed notebooks and writes every processed table again,
   in place. tests/conftest.py takes the checksums of the tables before nbval starts; the last
   test of the session checks that each table was rewritten, and rewritten identically.

Without nbval in the session (e.g. `pytest tests/test_determinism.py`), that last test makes the
second execution itself: a cold run of the whole pipeline in a scratch copy of the project.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from analysis import paths
from analysis.workflow.pipeline import load_pipeline

COPY = ["notebooks", "data/sources.yml", "data/curated", "data/dictionary.yml", "data/rai_mapping.yml", "interviews",
        "book/benchmarks.csv"]


def copy_project(dest: Path) -> None:
    for rel in COPY:
        src = paths.ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("_failed", ".ipynb_checkpoints", "private",
                                                                            "register"))
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    shutil.copytree(paths.RAW, dest / "data" / "raw")
    (dest / "data" / "processed").mkdir(parents=True)


def run_pipeline(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ANALYSIS_ROOT": str(root), "ANALYSIS_DATA_MIRROR": ""}
    return subprocess.Popen([sys.executable, "-m", "analysis", "run", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_second_execution_gives_byte_identical_tables(first_execution: object, tmp_path: Path) -> None:
    steps = load_pipeline()
    outputs = [o for s in steps for o in s.outputs if o.endswith(".csv")]
    missing = [o for o in outputs if not (paths.ROOT / o).exists()]
    assert not missing, f"run the pipeline first (`python -m analysis run`); missing {missing}"
    snap = first_execution
    if snap is not None:  # nbval has just executed the notebooks again, in place (see the module docstring)
        not_run = sorted({s.notebook for s in steps} - snap.notebooks)
        assert not not_run, f"nbval did not execute {not_run} in this session; run `make test`"
        unknown = [o for o in outputs if o not in snap.files]
        assert not unknown, f"tables missing before nbval's execution: {unknown}"
        stale = [o for o in outputs if (paths.ROOT / o).stat().st_mtime_ns == snap.files[o][1]]
        assert not stale, f"nbval's execution did not rewrite {stale} (a notebook failed before writing it?)"
        differ = [o for o in outputs if sha256(paths.ROOT / o) != snap.files[o][0]]
        assert not differ, f"processed tables differ between the pipeline's run and nbval's execution: {differ}"
        return
    root = tmp_path / "copy"
    copy_project(root)
    proc = run_pipeline(root, "--force")
    out, _ = proc.communicate(timeout=3000)
    assert proc.returncode == 0, out
    differ = [o for o in outputs if (root / o).read_bytes() != (paths.ROOT / o).read_bytes()]
    assert not differ, f"processed tables differ between two cold runs: {differ}"
    notebooks = [s.notebook for s in steps
                 if (root / "notebooks" / s.notebook).read_bytes() != (paths.NOTEBOOKS / s.notebook).read_bytes()]
    assert not notebooks, f"executed notebooks differ between two runs (volatile output?): {notebooks}"


def small_project(root: Path) -> None:
    """A one-notebook project for the real `python -m analysis run`: it marks its start, pauses, writes a table."""
    for sub in ("notebooks", "data/processed", "src/analysis"):
        (root / sub).mkdir(parents=True)
    shutil.copy2(paths.SOURCES_YML, root / "data" / "sources.yml")
    nb = new_notebook(cells=[
        new_code_cell("pause = 0", metadata={"tags": ["parameters"]}),
        new_code_cell("import time\nfrom pathlib import Path\nPath('../data/processed/started').write_text('1')"),
        new_code_cell("time.sleep(pause)"),
        new_code_cell("Path('../data/processed/result.csv').write_text(f'pause\\n{pause}\\n')"),
    ])
    nbformat.write(nb, root / "notebooks" / "pause.ipynb")
    (root / "notebooks" / "pipeline.yml").write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "pause.ipynb", "parameters": {"pause": 0}, "outputs": ["data/processed/result.csv"]}]}))


@pytest.mark.notebook
def test_killed_run_leaves_previous_results_intact(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    small_project(root)
    first = run_pipeline(root)
    out, _ = first.communicate(timeout=600)
    assert first.returncode == 0, out
    nb = root / "notebooks" / "pause.ipynb"
    before = nb.read_bytes()
    csv = root / "data" / "processed" / "result.csv"
    csv_before = csv.read_bytes()
    started = root / "data" / "processed" / "started"
    started.unlink()
    victim = run_pipeline(root, "--force", "-p", "pause=60")
    deadline = time.monotonic() + 300
    while not started.exists():  # the kernel is executing the notebook once its first cell has run
        assert victim.poll() is None, f"the run ended before it could be killed: {victim.communicate()[0]}"
        assert time.monotonic() < deadline, "the notebook did not start within 300 s"
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert nb.read_bytes() == before, "a killed run altered the last good executed notebook"
    assert csv.read_bytes() == csv_before, "a killed run altered an output of the last good run"
    assert not [p for p in (root / "notebooks").iterdir() if p.name.endswith(".tmp")]
    again = run_pipeline(root)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out
    assert "skip  pause.ipynb" in out, f"after the killed run the last good run should still count as up to date:\n{out}"


@pytest.mark.build
def test_rerun_leaves_the_committed_notebooks_unchanged() -> None:
    """After `python -m analysis run`, the executed notebooks equal the committed ones (git status clean)."""
    if not (paths.ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    proc = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=paths.ROOT, capture_output=True,
                          text=True, check=True)
    changed = [line for line in proc.stdout.splitlines() if not line.startswith("??")]
    assert not changed, (
        "executing the notebooks changed committed files (volatile output, or executed notebooks not committed "
        f"after a change): {changed}"
    )
