"""Shared fixtures: the real verified data (skipped only when it cannot be fetched) and temp roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.ingest.sources import DataError, require

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def real_data() -> None:
    """Make sure the verified raw data is present (`make test` fetches it first)."""
    try:
        for sid in ("censo2020", "censos1990_2010", "catalogo_municipios", "geo_municipios", "twincities_geocoded"):
            require(sid)
    except DataError as exc:
        pytest.fail(f"real data not ready: {exc}")


@pytest.fixture()
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point analysis.paths at a temporary project root (data/, notebooks/ inside it)."""
    root = tmp_path / "project"
    for sub in ("data/raw", "data/processed", "notebooks"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "DATA", root / "data")
    monkeypatch.setattr(paths, "RAW", root / "data" / "raw")
    monkeypatch.setattr(paths, "PROCESSED", root / "data" / "processed")
    monkeypatch.setattr(paths, "NOTEBOOKS", root / "notebooks")
    monkeypatch.setattr(paths, "PIPELINE_YML", root / "notebooks" / "pipeline.yml")
    monkeypatch.setattr(paths, "FAILED_NOTEBOOKS", root / "notebooks" / "_failed")
    monkeypatch.setattr(paths, "PIPELINE_STATE", root / "data" / "processed" / ".pipeline-state.json")
    monkeypatch.setattr(paths, "SOURCES_YML", root / "data" / "sources.yml")
    return root
