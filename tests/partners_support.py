"""Small tables for the partner finder's tests: the fixture network and a six-place Wikidata graph."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.analyses.partners import foreign as fo
from analysis.features.profiles import read_profiles
from analysis.ingest.wikidata import GraphReport, WikidataGraph
from analysis.tables.cities import city_key

FIX = Path(__file__).parent / "fixtures" / "partners"
REGIONS = pd.DataFrame({"iso3": ["USA", "ESP", "GTM", "FRA", "NOR", "CUB"],
                        "region_es": ["Américas", "Europa", "Américas", "Europa", "Europa", "Américas"],
                        "subregion_es": ["América septentrional", "Europa meridional", "América Latina y el Caribe",
                                         "Europa occidental", "Europa septentrional", "América Latina y el Caribe"]})


def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tw = pd.read_csv(FIX / "twinnings.csv", dtype={"inegi_code": str}, keep_default_na=False,
                     na_values={"partner_lat": [""], "partner_lon": [""]})
    munis = pd.read_csv(FIX / "municipalities.csv", dtype={"inegi_code": str, "state_code": str})
    return tw, munis, read_profiles(FIX / "profiles.csv")


def small_graph(extra: pd.DataFrame | None = None) -> WikidataGraph:
    """Foreign places and one Mexican one; Paris twins only abroad, Oslo with nobody Mexican."""
    nodes = pd.DataFrame({
        "qid": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"],
        "label": ["Laredo", "Mission", "Paris", "Oslo", "Cancun", "Ramallah"],
        "country": ["United States of America", "United States of America", "France", "Norway", "Mexico", "West Bank"],
        "lat": [27.5, 26.2, 48.85, 59.9, 21.16, 31.9], "lon": [-99.5, -98.3, 2.35, 10.75, -86.85, 35.2],
        "pop": [260000.0, 85000.0, 2100000.0, 700000.0, 890000.0, 38000.0], "degree": [3.0, 1, 2, 1, 1, 1],
    })
    if extra is not None:
        nodes = pd.concat([nodes, extra], ignore_index=True)
    edges = pd.DataFrame({"edge_id": ["0", "1", "2", "3"], "qid_a": ["Q1", "Q3", "Q3", "Q5"],
                          "qid_b": ["Q3", "Q4", "Q6", "Q1"]})
    return WikidataGraph(Path("small.gexf"), nodes, edges, GraphReport({}))


def foreign_links(tw: pd.DataFrame) -> pd.DataFrame:
    links = tw[(tw.match_status == "matched") & ~tw.reciprocal_duplicate.astype(bool)].copy()
    qids = {"Laredo": "Q1", "Mission": "Q2"}
    links["partner_id"] = [qids.get(c, city_key(c, i)) for c, i in zip(links.partner_city, links.partner_country_iso3,
                                                                       strict=True)]
    return links.drop_duplicates(["inegi_code", "partner_id"])


def covariates(munis: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"inegi_code": munis.inegi_code, "northern_border_state": munis.state_code == "02",
                         "migration_intensity_2010": [1.0, 2.0, 3.0, 4.0, 0.5, 0.6, 1.5, float("nan")]})


def make_finder(links: pd.DataFrame | None = None, graph: WikidataGraph | None = None, **kw: object) -> fo.ForeignFinder:
    tw, munis, prof = tables()
    links = foreign_links(tw) if links is None else links
    cities, _ = fo.candidate_cities(links, graph or small_graph())
    return fo.ForeignFinder(links, cities, munis, prof, covariates(munis), REGIONS, k=2, negatives=3, **kw)  # type: ignore[arg-type]
