"""What the pipeline tests share: a scratch project root that ``analysis.paths`` points at."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analysis.workflow import pipeline


def scratch_project(root: Path, monkeypatch: pytest.MonkeyPatch, extra_dirs: tuple[str, ...] = ()) -> Path:
    """Folders of a project under ``root``, every pipeline path pointed there, a package file and a one-source manifest."""
    for sub in ("data/raw", "data/processed", "notebooks", "src/analysis", *extra_dirs):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, value in {"ROOT": root, "DATA": root / "data", "RAW": root / "data/raw",
                        "PROCESSED": root / "data/processed", "NOTEBOOKS": root / "notebooks",
                        "PIPELINE_YML": root / "notebooks/pipeline.yml", "FAILED_NOTEBOOKS": root / "notebooks/_failed",
                        "PIPELINE_STATE": root / "data/processed/.pipeline-state.json",
                        "PIPELINE_LOCK": root / "data/processed/.pipeline.lock",
                        "PIPELINE_STAGING": root / "data/processed/.staging",
                        "SOURCES_YML": root / "data/sources.yml", "SRC": root / "src/analysis"}.items():
        monkeypatch.setattr(pipeline.paths, name, value)
    (root / "src/analysis/mod.py").write_text("X = 1\n")
    (root / "data/sources.yml").write_text(yaml.safe_dump({"sources": [
        {"id": "s", "path": "data/raw/s.txt", "url": "file:///x", "sha256": "0" * 64, "bytes": 1,
         "licence": "l", "citation": "c", "description": "d"}]}))
    return root
