"""The core processed tables every chapter reads, written by notebook 00.

- data/processed/municipalities.csv: one row per municipality of the 2020 census.
- data/processed/twinnings.csv: one row per Wikipedia-derived pair with a Mexican side.
- data/processed/twinnings_review.csv: the pairs that are not matched, with the reason.
- data/processed/set_aside.csv: every input row kept out of a table, with its source and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis import paths
from analysis.geo import load_municipal_boundaries
from analysis.municipalities import LoadReport, load_municipalities
from analysis.sources import require
from analysis.twinnings import MatchReport, build_twinnings, cross_check_raw


@dataclass
class CoreTables:
    """The core tables in memory plus the reports that account for every input row."""

    municipalities: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    twinnings: pd.DataFrame
    municipality_report: LoadReport
    twinning_report: MatchReport


def build_core() -> CoreTables:
    """Load and validate the municipalities, boundaries and twinning pairs from data/raw."""
    munis, mreport = load_municipalities()
    bounds = load_municipal_boundaries()
    missing = sorted(set(munis.inegi_code) - set(bounds.inegi_code))
    if missing:
        raise ValueError(f"Municipal boundaries lack {len(missing)} census municipalities, e.g. {missing[:5]}.")
    tw, treport = build_twinnings(require("twincities_geocoded"), munis, bounds)
    treport.counts.update(cross_check_raw(require("twincities_raw"), tw))
    return CoreTables(munis, bounds, tw, mreport, treport)


def write_csv(df: pd.DataFrame, name: str) -> str:
    """Write a processed table deterministically (UTF-8, LF, no index); return its relative path."""
    paths.PROCESSED.mkdir(parents=True, exist_ok=True)
    target = paths.PROCESSED / name
    tmp = target.with_suffix(target.suffix + ".tmp")
    df.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")
    tmp.replace(target)
    return str(target.relative_to(paths.ROOT))


def write_core(core: CoreTables) -> list[str]:
    """Write the core processed tables; return their paths."""
    review = core.twinnings[core.twinnings.match_status != "matched"]
    set_aside = pd.DataFrame(core.municipality_report.set_aside, columns=["source", "inegi_code", "name", "reason"])
    return [
        write_csv(core.municipalities, "municipalities.csv"),
        write_csv(core.twinnings, "twinnings.csv"),
        write_csv(review, "twinnings_review.csv"),
        write_csv(set_aside, "set_aside.csv"),
    ]


def read_curated(path: Path, columns: list[str], error: type[Exception] = ValueError) -> pd.DataFrame:
    """Read a hand-entered table of data/curated as text; a missing file or column is a clear error."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; it is a curated table kept in git (data/curated).")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise error(f"{path}: missing column(s) {missing}; expected {columns}.")
    return df


def read_twinnings() -> pd.DataFrame:
    """Read data/processed/twinnings.csv with codes as strings."""
    path = paths.PROCESSED / "twinnings.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 00 with `python -m analysis run`.")
    return pd.read_csv(path, dtype={"inegi_code": str, "state_code": str}, keep_default_na=False,
                       na_values={"mexican_lat": [""], "mexican_lon": [""], "partner_lat": [""], "partner_lon": [""]})
