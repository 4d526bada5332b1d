"""Two cold runs give byte-identical results, and a run killed mid-notebook damages nothing.

The first run is the one `make test` (or `make book`) just made in the project tree. The second
is a cold run of the whole pipeline in a temporary copy of the project (ANALYSIS_ROOT points the
package and the notebooks at it). Every processed CSV and every executed notebook must be equal
byte for byte, which is also what keeps `git status` clean after a rerun.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_second_cold_run_is_byte_identical(tmp_path: Path) -> None:
    steps = load_pipeline()
    outputs = [o for s in steps for o in s.outputs if o.endswith(".csv")]
    missing = [o for o in outputs if not (paths.ROOT / o).exists()]
    assert not missing, f"run the pipeline first (`python -m analysis run`); missing {missing}"
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


@pytest.mark.slow
def test_killed_run_leaves_previous_results_intact(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    copy_project(root)
    first = run_pipeline(root, "00")
    out, _ = first.communicate(timeout=600)
    assert first.returncode == 0, out
    nb = root / "notebooks" / "00_datos.ipynb"
    before = nb.read_bytes()
    csv = root / "data" / "processed" / "municipalities.csv"
    csv_before = csv.read_bytes()
    victim = run_pipeline(root, "00", "--force")
    time.sleep(6)  # the kernel is executing the notebook by now
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert nb.read_bytes() == before, "a killed run altered the last good executed notebook"
    assert csv.read_bytes() == csv_before
    assert not [p for p in (root / "notebooks").iterdir() if p.name.endswith(".tmp")]
    again = run_pipeline(root, "00")
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out


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
