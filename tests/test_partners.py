"""Tests of the partner finder (analysis.partners) and its command (analysis.cli.partners)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from partners_support import foreign_links, small_graph

from analysis.analyses import partners as pt
from analysis.analyses.partners import foreign as fo
from analysis.features.covariates import load_covariates
from analysis.features.profiles import read_profiles
from analysis.ingest.geometry import load_municipal_boundaries
from analysis.ingest.sources import require
from analysis.ingest.wikidata import read_gexf
from analysis.tables.cities import city_key
from analysis.tables.municipalities import read_processed
from analysis.tables.sources_union import build_two_sources
from analysis.tables.store import read_twinnings

FIX = Path(__file__).parent / "fixtures" / "partners"


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tw = pd.read_csv(FIX / "twinnings.csv", dtype={"inegi_code": str}, keep_default_na=False,
                     na_values={"partner_lat": [""], "partner_lon": [""]})
    munis = pd.read_csv(FIX / "municipalities.csv", dtype={"inegi_code": str, "state_code": str})
    return tw, munis, read_profiles(FIX / "profiles.csv")


@pytest.fixture
def index(tables) -> pt.PartnerIndex:
    return pt.PartnerIndex.build(*tables)


def test_network_links_accounts_for_every_row(tables):
    links, counts = pt.network_links(tables[0])
    assert counts["rows_in"] == 15
    assert counts["set_aside_not_matched"] == 1
    assert counts["set_aside_reciprocal_duplicate"] == 1
    assert counts["links_kept"] == len(links) == 13
    assert city_key(" Áncora ", "esp") == "ancora|ESP"


def test_network_component_recommends_partner_of_municipality_with_shared_partners(tables):
    index = pt.PartnerIndex.build(*tables, weights=pt.Weights(1.0, 0.0, 0.0))
    rec = index.recommend("01001", top=3)
    first = rec.table.iloc[0]
    assert first.partner_city == "Zed"
    assert first.network == pytest.approx(1.0)
    assert "Beta (Ags.)" in first.reason
    assert "comparte socios" in first.reason
    assert rec.existing == ["Xville", "Ysla", "Áncora"]


def test_existing_partners_never_recommended_and_scores_decompose(index):
    rec = index.recommend("01002", top=20)
    assert not set(rec.table.partner_city) & {"Xville", "Ysla", "Zed"}
    parts = rec.table[list(pt.COMPONENTS)].sum(axis=1)
    assert np.allclose(parts, rec.table.score, atol=2e-4)
    assert rec.table.score.is_monotonic_decreasing
    assert list(rec.table["rank"]) == list(range(1, len(rec.table) + 1))


def test_ties_are_broken_by_name(tables):
    index = pt.PartnerIndex.build(*tables, weights=pt.Weights(0.0, 0.0, 1.0))
    table = index.recommend("23002", top=10).table
    singles = table[table.mexican_links == 1].partner_city.tolist()
    assert singles == sorted(singles, key=lambda s: s.casefold().replace("á", "a"))
    assert table.partner_city.iloc[0] == "Laredo"  # four links: the most popular


def test_municipality_without_links_gets_profile_based_list(index):
    rec = index.recommend("23002", top=10)
    assert rec.method == "mezcla"
    assert rec.n_links == 0
    assert (rec.table.network == 0).all()
    assert rec.table.profile.max() > 0
    assert "no tiene hermanamientos" in rec.note
    assert len(rec.table) == len(index.partners)


def test_country_filter_and_unknown_country(index):
    table = index.recommend("23002", top=10, country="esp").table
    assert set(table.partner_country_iso3) == {"ESP"}
    assert len(table) == 3
    with pytest.raises(pt.UnknownCountryError, match="XYZ"):
        index.recommend("23002", country="XYZ")
    with pytest.raises(pt.PartnerError, match="at least 1"):
        index.recommend("23002", top=0)


def test_missing_profile_falls_back_to_regional_popularity(index):
    rec = index.recommend("23003", top=5)
    assert rec.method == "popularidad regional"
    assert "log10_population" in rec.note
    assert "sur-sureste" in rec.note
    # the region's municipalities (23001) twin with Laredo and Quetzaltenango only
    assert set(rec.table.partner_city) == {"Laredo", "Quetzaltenango"}
    assert "de la región sur-sureste" in rec.table.reason.iloc[0]


@pytest.mark.parametrize(("query", "code"), [("23001", "23001"), ("1001", "01001"), ("epsilon", "23002"),
                                             ("CANCÚN", "23001"), ("Benito Juarez, Quintana Roo", "23001"),
                                             ("benito juárez, cdmx", "09014")])
def test_resolve(index, query, code):
    assert index.resolve(query) == code


def test_resolve_ambiguous_and_unknown(index):
    with pytest.raises(pt.AmbiguousMunicipalityError) as amb:
        index.resolve("Benito Juarez")
    assert [c for c, _ in amb.value.candidates] == ["09014", "23001"]
    assert "cabecera Cancún" in amb.value.candidates[1][1]
    with pytest.raises(pt.UnknownMunicipalityError) as unk:
        index.resolve("Alfx")
    assert "01001" in [c for c, _ in unk.value.suggestions]
    with pytest.raises(pt.UnknownMunicipalityError) as code:
        index.resolve("01009")
    assert "01001" in [c for c, _ in code.value.suggestions]


def test_profile_similarity_identity_and_order(tables):
    prof = tables[2].set_index("inegi_code")
    sims = pt.profile_similarity(prof.loc["01001"], prof.loc[["01001", "01002", "02001"]])
    assert sims[0] == pytest.approx(1.0)
    assert sims[0] > sims[1] > sims[2]


def test_metrics_by_hand():
    m = pt.metrics(np.array([1.0, 11.0, math.inf, 4.0]), top=10)
    assert m["hit"] == pytest.approx(0.5)
    assert m["mrr"] == pytest.approx((1 + 1 / 11 + 0 + 0.25) / 4)


def test_weight_grid_covers_simplex():
    grid = pt.weight_grid(0.5)
    assert len(grid) == 6
    assert all(abs(w.as_array().sum() - 1) < 1e-9 for w in grid)
    assert pt.Weights(0.0, 0.0, 1.0) in grid


def test_leave_one_link_out_hides_links(index):
    loo = pt.leave_one_link_out(index, ks=(2,), seed=1)
    # municipalities with two or more links: 01001 (3), 01002 (3), 02001 (2), 02002 (2), 23001 (2)
    assert len(loo) == 12
    zed = loo[(loo.inegi_code == "01002") & (loo.partner == index.partners.index[index.partners.partner_city == "Zed"][0])]
    assert not zed.in_network.iloc[0]  # Zed's only link is the hidden one
    ranks = pt.blend_ranks(index, loo, pt.Weights(0.0, 0.0, 1.0), 2)
    assert np.isinf(ranks[~loo.in_network.to_numpy()]).all()
    laredo = index.partners.index[index.partners.partner_city == "Laredo"][0]
    hide = (loo.partner == laredo).to_numpy()
    assert (ranks[hide] == 1).all()  # Laredo keeps three links: still the most popular


def test_evaluation_is_deterministic_and_intervals_cover(index):
    a = pt.evaluate(index, seed=7, ks=(2,), step=0.5, n_boot=200)
    b = pt.evaluate(index, seed=7, ks=(2,), step=0.5, n_boot=200)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    s = a.summary.set_index("method")
    for m in ("modelo", "popularidad", "aleatorio"):
        assert s.loc[m, "hit_low"] <= s.loc[m, "hit_at_10"] <= s.loc[m, "hit_high"]
    assert set(a.ranks.fold) == {0, 1}


def test_examples_table(index):
    ex = pt.recommendation_examples(index, ["23002", "23003"], top=2)
    assert list(ex.inegi_code) == ["23002", "23002", "23003", "23003"]
    assert list(ex.method) == ["mezcla", "mezcla", "popularidad regional", "popularidad regional"]


# --- the finder that uses the foreign side (analysis.analyses.partners.foreign) -----------------------

REGIONS = pd.DataFrame({"iso3": ["USA", "ESP", "GTM", "FRA", "NOR"],
                        "region_es": ["Américas", "Europa", "Américas", "Europa", "Europa"],
                        "subregion_es": ["América septentrional", "Europa meridional", "América Latina y el Caribe",
                                         "Europa occidental", "Europa septentrional"]})


@pytest.fixture
def finder(tables) -> fo.ForeignFinder:
    tw, munis, prof = tables
    links = foreign_links(tw)
    cities, _ = fo.candidate_cities(links, small_graph())
    cov = pd.DataFrame({"inegi_code": munis.inegi_code, "northern_border_state": munis.state_code == "02",
                        "migration_intensity_2010": [1.0, 2.0, 3.0, 4.0, 0.5, 0.6, 1.5, float("nan")]})
    return fo.ForeignFinder(links, cities, munis, prof, cov, REGIONS, k=2, negatives=3)


def test_candidate_cities_use_both_sources_and_count_what_is_set_aside(tables):
    cities, counts = fo.candidate_cities(foreign_links(tables[0]), small_graph())
    by = cities.set_index("partner_id")
    assert "Q5" not in by.index  # Mexican places are never candidates
    assert "Q6" not in by.index
    assert counts["wikidata_nodes_without_iso3_set_aside"] == 1  # "West Bank"
    assert by.loc["Q3", "foreign_links"] == 3  # Laredo, Oslo, Ramallah; the Cancun edge is Mexican
    assert by.loc["Q1", "foreign_links"] == 1  # Paris only
    assert not by.loc["ysla|ESP", "in_wikidata"]
    assert by.loc["Q1", "in_wikidata"]
    assert counts["candidates"] == len(cities) == counts["candidates_only_in_links"] + 4


def test_fit_logistic_recovers_the_direction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(-1 + 2 * X[:, 0] - X[:, 1])))).astype(float)
    beta = fo.fit_logistic(X, y, penalty=1.0)
    assert beta[0] == pytest.approx(-1, abs=0.2)
    assert beta[1] == pytest.approx(2, abs=0.25)
    assert beta[2] == pytest.approx(-1, abs=0.2)


def test_fit_logistic_stays_finite_on_separable_data():
    X = np.r_[np.linspace(-3, -1, 50), np.linspace(1, 3, 50)][:, None]
    y = np.r_[np.zeros(50), np.ones(50)]
    beta = fo.fit_logistic(X, y, penalty=1.0)
    assert np.isfinite(beta).all()
    assert beta[1] > 1


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_foreign_finder_on_real_data():
    graph = read_gexf(require("wikidata_hermanamientos"))
    munis = read_processed()
    two = build_two_sources(read_twinnings(), munis, load_municipal_boundaries(), graph)
    finder, counts = fo.build_foreign_finder(two.links, graph, munis, read_profiles(), load_covariates()[0])
    assert counts["candidates"] == len(finder.cities)
    for code in ("23010", "23005"):
        rec = finder.recommend(code)
        assert len(rec.table) == 10
        assert rec.table.reason.str.len().min() > 10
        assert not set(rec.table.partner_city) & set(rec.existing)
    assert finder.recommend("23010").n_links == 0


def test_foreign_recommendations_in_one_country(finder):
    rec = finder.recommend("23002", top=10, country="usa")
    assert len(rec.table) >= 1
    assert set(rec.table.partner_country_iso3) == {"USA"}
    with pytest.raises(pt.UnknownCountryError, match="'XYZ'"):
        finder.recommend("23002", country="XYZ")


@pytest.mark.parametrize(("query", "code"), [("epsilon", "23002"), ("CANCÚN", "23001"),
                                             ("Benito Juarez, Quintana Roo", "23001"), ("benito juárez, cdmx", "09014")])
def test_both_finders_resolve_names_alike(finder, index, query, code):
    assert finder.resolve(query) == index.resolve(query) == code


def test_the_foreign_finder_lists_the_candidates_of_an_ambiguous_name(finder):
    with pytest.raises(pt.AmbiguousMunicipalityError) as amb:
        finder.resolve("Benito Juarez")
    assert [c for c, _ in amb.value.candidates] == ["09014", "23001"]


