"""Descriptive measures on a small hand-made table (results computed by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.analyses import descriptive as ds
from analysis.util.spatial import split_antimeridian


@pytest.fixture
def munis() -> pd.DataFrame:
    return pd.DataFrame({
        "inegi_code": ["01001", "01002", "02001", "02002"], "state_code": ["01", "01", "02", "02"],
        "state_name": ["A", "A", "B", "B"], "name": ["a1", "a2", "b1", "b2"],
        "population_2020": [600_000, 10_000, 100_000, 50_000],
    })


@pytest.fixture
def agreements() -> pd.DataFrame:
    return pd.DataFrame({
        "agreement_id": ["1", "2", "3", "4", "5"], "level": ["municipal"] * 4 + ["state"],
        "inegi_code": ["01001", "01001", "01001", "02001", ""], "state_code": ["01", "01", "01", "02", "02"],
        "partner_country_iso3": ["USA", "USA", "ESP", "CUB", "CHN"],
    })


def test_links_by_municipality(munis: pd.DataFrame, agreements: pd.DataFrame) -> None:
    bm = ds.links_by_municipality(agreements, munis)
    assert bm.n_links.tolist() == [3, 0, 1, 0]
    assert bm.n_partner_countries.tolist() == [2, 0, 1, 0]
    assert bm.links_per_100k.tolist() == [0.5, 0.0, 1.0, 0.0]
    assert bm.size_class.astype(str).tolist() == ["500 mil o más", "< 15 mil", "100 a 500 mil", "50 a 100 mil"]


def test_unknown_municipality_is_an_error(munis: pd.DataFrame, agreements: pd.DataFrame) -> None:
    bad = agreements.copy()
    bad.loc[0, "inegi_code"] = "99999"
    with pytest.raises(ValueError, match="99999"):
        ds.links_by_municipality(bad, munis)


def test_state_and_national(munis: pd.DataFrame, agreements: pd.DataFrame) -> None:
    bm = ds.links_by_municipality(agreements, munis)
    bs = ds.links_by_state(agreements, bm)
    assert bs.coverage_pct.tolist() == [50.0, 50.0]
    assert bs.n_links_state.tolist() == [0, 1]
    assert bs.n_links_total.tolist() == [3, 2]
    nat = ds.national_summary(bm, agreements)
    assert nat["coverage_pct"] == 50.0
    assert nat["municipal_links"] == 4
    assert nat["state_links"] == 1
    assert nat["links_per_100k"] == round(4 / 760_000 * 100_000, 3)


def test_size_class_bounds_are_lower_inclusive() -> None:
    got = ds.size_class(pd.Series([14_999, 15_000, 49_999, 50_000, 500_000])).astype(str).tolist()
    assert got == ["< 15 mil", "15 a 50 mil", "15 a 50 mil", "50 a 100 mil", "500 mil o más"]


def test_gini_and_lorenz() -> None:
    assert ds.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert ds.gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n - 1) / n for one unit holding everything
    assert ds.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    x, y = ds.lorenz(np.array([3, 1]))
    assert x.tolist() == [0, 0.5, 1]
    assert y.tolist() == [0, 0.25, 1]
    with pytest.raises(ValueError, match="non-negative values with a positive total"):
        ds.gini([0, 0])


def test_partner_countries_need_regions(agreements: pd.DataFrame) -> None:
    regions = pd.DataFrame({"iso3": ["USA", "ESP", "CUB", "CHN"], "country_name_es": ["EE. UU.", "España", "Cuba", "China"],
                            "region_es": ["Américas", "Europa", "Américas", "Asia"],
                            "subregion_es": ["América septentrional", "Europa meridional", "ALC", "Asia oriental"]})
    p = ds.partner_countries(agreements, regions)
    assert p.iso3.tolist() == ["USA", "CHN", "CUB", "ESP"]
    assert p.n_links.tolist() == [2, 1, 1, 1]
    assert ds.by_region(p).set_index("region_es").n_links.to_dict() == {"Américas": 3, "Asia": 1, "Europa": 1}
    with pytest.raises(ValueError, match="CHN"):
        ds.partner_countries(agreements, regions[regions.iso3 != "CHN"])


def test_antimeridian_split() -> None:
    parts = split_antimeridian([(170.0, 0.0), (179.0, 1.0), (-179.0, 2.0), (-170.0, 3.0)])
    assert parts == [[(170.0, 0.0), (179.0, 1.0)], [(-179.0, 2.0), (-170.0, 3.0)]]


def test_curated_regions_cover_every_country_once() -> None:
    from analysis import paths

    regions = pd.read_csv(paths.CURATED / "country_regions.csv", dtype=str, keep_default_na=False)
    assert regions.iso3.is_unique
    assert regions.iso3.str.fullmatch(r"[A-Z]{3}").all()
    assert set(regions.region_es) == {"África", "Américas", "Asia", "Europa", "Oceanía"}
    assert regions.source.str.contains("M49").all()
    assert {"USA", "ESP", "CUB", "CHN", "GTM", "MEX"} <= set(regions.iso3)


def test_curated_capitals() -> None:
    from analysis import paths

    caps = pd.read_csv(paths.CURATED / "state_capitals.csv", dtype=str)
    assert len(caps) == 32
    assert caps.state_code.is_unique
    assert (caps.inegi_code.str[:2] == caps.state_code).all()
    assert caps.source.str.len().gt(0).all()


def test_by_source_counts_each_view(munis: pd.DataFrame, agreements: pd.DataFrame) -> None:
    two = agreements.assign(provenance=["wikipedia", "both", "wikidata", "wikidata", "wikipedia"])
    out = ds.by_source(two, munis).set_index("source_view")
    assert out.loc["two_sources", "municipal_links"] == 4  # the state-level row is left out
    assert out.loc["wikipedia", "municipal_links"] == 2  # wikipedia + both
    assert out.loc["wikidata", "municipal_links"] == 3  # wikidata + both
    assert out.loc["wikipedia", "municipalities_with_link"] == 1
    assert out.loc["wikidata", "municipalities_with_link"] == 2
    assert out.loc["wikidata", "coverage_pct"] == 50.0
    assert out.loc["wikipedia", "usa_pct"] == 100.0
    assert out.loc["wikidata", "partner_countries"] == 3


def test_by_source_refuses_a_single_registry(munis: pd.DataFrame, agreements: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="registry=two_sources"):
        ds.by_source(agreements.assign(provenance="rai"), munis)


def test_a_registry_subset_without_partners_in_a_region_gives_zero_not_a_key_error() -> None:
    # an RAI export of one state may have no partner in the Americas: that region is 0, not a KeyError
    regions = pd.DataFrame({"iso3": ["USA", "ESP", "JPN"], "country_name_es": ["Estados Unidos", "España", "Japón"],
                            "region_es": ["Américas", "Europa", "Asia"], "subregion_es": ["Norte", "Sur", "Este"]})
    agreements = pd.DataFrame({"agreement_id": ["a", "b", "c"], "level": ["municipal"] * 3,
                               "partner_country_iso3": ["ESP", "ESP", "JPN"], "inegi_code": ["01001", "01002", "01001"]})
    partners = ds.partner_countries(agreements, regions)
    table = ds.by_region(partners, "region_es", regions).set_index("region_es")
    assert table.loc["Américas", "n_links"] == 0
    assert table.loc["Américas", "share_pct"] == 0
    assert table.share_pct.sum() == pytest.approx(100)
    assert ds.region_share_pct(partners, "Américas") == 0.0
    assert ds.region_share_pct(partners, "Europa") == pytest.approx(200 / 3)
    empty = ds.partner_countries(agreements.iloc[:0], regions)
    assert ds.region_share_pct(empty, "Américas") == 0.0
    assert (ds.by_region(empty, "region_es", regions).n_links == 0).all()
