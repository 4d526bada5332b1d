"""Every path the compendium uses, as pathlib constants, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path

ROOT: Path = Path(os.environ.get("ANALYSIS_ROOT", Path(__file__).resolve().parents[2]))
DATA: Path = ROOT / "data"
SOURCES_YML: Path = DATA / "sources.yml"
RAW: Path = DATA / "raw"
PROCESSED: Path = DATA / "processed"
CURATED: Path = DATA / "curated"
FIGURES: Path = PROCESSED / "figures"
NOTEBOOKS: Path = ROOT / "notebooks"
PIPELINE_YML: Path = NOTEBOOKS / "pipeline.yml"
FAILED_NOTEBOOKS: Path = NOTEBOOKS / "_failed"
PIPELINE_STATE: Path = PROCESSED / ".pipeline-state.json"
#: Held (fcntl.flock) by the one `python -m analysis run` allowed at a time; holds its PID.
PIPELINE_LOCK: Path = PROCESSED / ".pipeline.lock"
#: One folder per notebook being executed: the previous outputs, restored if the run does not succeed.
PIPELINE_STAGING: Path = PROCESSED / ".staging"
INTERVIEWS: Path = ROOT / "interviews"
BOOK: Path = ROOT / "book"
BOOK_BUILD: Path = BOOK / "_build" / "html"
SRC: Path = ROOT / "src" / "analysis"

#: Default location of the offline mirror of the public data sources.
DEFAULT_MIRROR: Path = ROOT.parent / "shared" / "data"
#: Environment variable that overrides the mirror location.
MIRROR_ENV = "ANALYSIS_DATA_MIRROR"


def mirror_dir() -> Path | None:
    """Return the mirror folder to use, or None when there is none.

    The environment variable ``ANALYSIS_DATA_MIRROR`` wins; an empty value disables the mirror.
    """
    env = os.environ.get(MIRROR_ENV)
    if env is not None:
        return Path(env) if env.strip() else None
    return DEFAULT_MIRROR if DEFAULT_MIRROR.is_dir() else None
