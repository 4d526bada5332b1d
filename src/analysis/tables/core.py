"""The core processed tables every chapter reads, written by notebook 00.

- data/processed/municipalities.csv: one row per municipality of the 2020 census.
- data/processed/twinnings.csv: one row per Wikipedia-derived pair with a Mexican side.
- data/processed/twinnings_review.csv: the pairs that are not matched, with the reason.
- data/processed/set_aside.csv: every input row kept out of a table, with its source and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from analysis.ingest.geometry import load_municipal_boundaries
from analysis.ingest.sources import require
from analysis.tables.municipalities import LoadReport, load_municipalities
from analysis.tables.store import write_csv
from analysis.tables.twinnings import MatchReport, build_twinnings, cross_check_raw


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
