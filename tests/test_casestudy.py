"""Tests of analysis.casestudy: Table 1 of Benito Juárez, shares, the state's municipalities, cross-check."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import casestudy as cs
from analysis.tables import casestudy as cst
from analysis.tables.cities import city_name_key
from analysis.util import spatial
from analysis.util.text import normalise

FIX = Path(__file__).parent / "fixtures" / "casestudy"
PROCESSED_MUNIS = paths.PROCESSED / "municipalities.csv"
PROCESSED_TWINS = paths.PROCESSED / "twinnings.csv"
needs_processed = pytest.mark.skipif(not (PROCESSED_MUNIS.exists() and PROCESSED_TWINS.exists()),
                                     reason="data/processed not built (run notebook 00)")

EXPECTED_CODES = {
    "Oaxaca de Juárez": "20067", "San Pedro Tlaquepaque": "14098", "Puebla": "21114", "Tijuana": "02004",
    "Taxco de Alarcón": "12055", "Valle de Bravo": "15110", "Tuxtla Gutiérrez": "07101",
    "Santiago de Querétaro": "22014", "Ensenada": "02001", "Mérida": "31050",
}


def fixture_munis() -> pd.DataFrame:
    return pd.read_csv(FIX / "municipalities.csv", dtype={"inegi_code": str, "state_code": str})


def fixture_twins() -> pd.DataFrame:
    return pd.read_csv(FIX / "twinnings.csv", dtype={"inegi_code": str, "state_code": str}, keep_default_na=False,
                       na_values={"partner_lat": [""], "partner_lon": [""]})


def mutate(tmp_path: Path, row: int, field: str, value: str) -> Path:
    df = pd.read_csv(FIX / "agreements_ok.csv", dtype=str, keep_default_na=False)
    df.loc[row, field] = value
    target = tmp_path / "agreements.csv"
    df.to_csv(target, index=False)
    return target


# --------------------------------------------------------------------------- the curated Table 1


def test_curated_table_has_19_agreements_10_national_9_international() -> None:
    agreements = cst.read_agreements()
    assert len(agreements) == 19
    assert cs.scope_counts(agreements) == {"total": 19, "national": 10, "international": 9}
    assert agreements.year.min() == 1985
    assert agreements.year.max() == 2021


def test_curated_codes_are_the_expected_ones() -> None:
    national = cst.read_agreements().query("scope == 'national'")
    assert dict(zip(national.partner_city, national.inegi_code_partner, strict=True)) == EXPECTED_CODES


def test_mar_del_plata_keeps_the_slides_spelling() -> None:
    row = cst.read_agreements().set_index("partner_city").loc["Mar del Plata"]
    assert row.as_written.startswith("Mar de Plata")
    assert row.country_iso3 == "ARG"


@needs_processed
def test_partner_codes_name_the_right_census_municipality() -> None:
    munis = pd.read_csv(PROCESSED_MUNIS, dtype={"inegi_code": str, "state_code": str}).set_index("inegi_code")
    agreements = cst.read_agreements()
    cst.check_partner_codes(agreements, munis.reset_index())
    for _, row in agreements.query("scope == 'national'").iterrows():
        census = munis.loc[row.inegi_code_partner]
        names = {normalise(census["name"]), normalise(census.seat_name)}
        assert normalise(row.partner_city) in names, (row.partner_city, names)
        assert normalise(census.state_name) == normalise(row.region)


@needs_processed
def test_foreign_coordinates_agree_with_the_geocoded_wikipedia_points() -> None:
    from analysis.tables.store import read_twinnings

    table = cs.crosscheck(cst.read_agreements(), read_twinnings())
    both = table[table.status == "both"]
    assert len(both) == 9
    assert (both.coord_diff_km < 25).all(), both[["partner_city", "coord_diff_km"]]


@pytest.mark.slow
@needs_processed
def test_mexican_partner_coordinates_fall_in_their_municipality() -> None:
    import geopandas as gpd

    from analysis.ingest.geometry import load_municipal_boundaries

    national = cst.read_agreements().query("scope == 'national'")
    points = gpd.GeoDataFrame(national, geometry=gpd.points_from_xy(national.partner_lon, national.partner_lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, load_municipal_boundaries(), predicate="within")
    assert dict(zip(joined.partner_city, joined.inegi_code, strict=True)) == EXPECTED_CODES


# --------------------------------------------------------------------------- validation errors


def test_fixture_reads_and_types() -> None:
    a = cst.read_agreements(FIX / "agreements_ok.csv")
    assert a.number.tolist() == [1, 2, 3, 4]
    assert a.month.isna().tolist() == [True, True, False, False]
    assert a.partner_lat.dtype == float


@pytest.mark.parametrize(
    ("row", "field", "value", "message"),
    [
        (1, "scope", "abroad", "field 'scope'"),
        (2, "scope", "international", "contradicts country MEX"),
        (2, "inegi_code_partner", "2067", "not a 5-digit INEGI code"),
        (0, "inegi_code_partner", "01001", "given for a partner abroad"),
        (3, "month", "13", "field 'month'"),
        (0, "partner_lat", "north", "not a number"),
        (1, "country_iso3", "XXX", "not an ISO 3166-1"),
        (1, "source_citation", "", "field 'source_citation': empty"),
        (2, "number", "5", "numbers must run 1..4"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path: Path, row: int, field: str, value: str, message: str) -> None:
    path = mutate(tmp_path, row, field, value)
    with pytest.raises(cst.CaseStudyDataError) as err:
        cst.read_agreements(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert f"row {row + 1} (line {row + 2})" in str(err.value)


def test_unknown_partner_code_is_reported() -> None:
    a = cst.read_agreements(FIX / "agreements_ok.csv")
    munis = fixture_munis().query("inegi_code != '20067'")
    with pytest.raises(cst.CaseStudyDataError, match=r"row 3 .*20067"):
        cst.check_partner_codes(a, munis)


def test_missing_column_is_reported(tmp_path: Path) -> None:
    df = pd.read_csv(FIX / "agreements_ok.csv", dtype=str).drop(columns=["scope"])
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(cst.CaseStudyDataError, match="missing column"):
        cst.read_agreements(tmp_path / "a.csv")


def test_timeline_reads_and_rejects_bad_precision() -> None:
    timeline = cst.read_timeline()
    assert timeline.date.is_monotonic_increasing
    assert {"1971-08-10", "2013-05", "2020-11"} <= set(timeline.date)
    with pytest.raises(cst.CaseStudyDataError, match="does not match precision"):
        cst.read_timeline(FIX / "timeline_bad_precision.csv")


# --------------------------------------------------------------------------- derived tables


def test_distance_and_decade() -> None:
    a = cs.enrich_agreements(cst.read_agreements(FIX / "agreements_ok.csv"))
    assert a.decade.tolist() == [1980, 2000, 1990, 2010]
    # Cancún to Sanya crosses the Pacific: more than 14,000 km; Antigua Guatemala is under 1,000 km.
    dist = a.set_index("partner_city").distance_km
    assert dist["Sanya"] > 14_000
    assert dist["Antigua Guatemala"] < 1_000
    assert dist["Mar del Plata"] == pytest.approx(7257, abs=5)


def test_cumulative_timeline_ends_at_total_and_never_decreases() -> None:
    a = cst.read_agreements(FIX / "agreements_ok.csv")
    cum = cs.cumulative_by_year(a, 1985, 2021)
    assert len(cum) == 37
    assert cum.total.is_monotonic_increasing
    assert cum.iloc[-1][["national", "international", "total"]].tolist() == [1, 3, 4]
    assert cum.set_index("year").loc[1987, "international"] == 1


def test_truncate_is_not_rounding() -> None:
    assert cs.truncate(49.0587) == 49.05
    assert round(49.0587, 2) == 49.06
    assert cs.truncate(50.27970) == 50.27
    assert cs.truncate(12.3) == 12.3


def test_population_shares_from_fixture() -> None:
    shares = cs.population_shares(fixture_munis()).set_index("codes")
    total = 22686 + 911503 + 923796
    assert shares.loc["23005", "state_population_2020"] == total == 1_857_985
    assert shares.loc["23005", "share_pct"] == round(100 * 911503 / total, 4) == 49.0587
    assert shares.loc["23005", "share_truncated_2"] == 49.05
    assert shares.loc["23005", "share_rounded_2"] == 49.06
    assert shares.loc["23005;23003", "share_rounded_2"] == 50.28


@needs_processed
def test_population_share_from_census() -> None:
    munis = pd.read_csv(PROCESSED_MUNIS, dtype={"inegi_code": str, "state_code": str})
    shares = cs.population_shares(munis).set_index("codes")
    assert shares.loc["23005", "population_2020"] == 911_503
    assert shares.loc["23005", "state_population_2020"] == 1_857_985
    assert shares.loc["23005", "share_pct"] == 49.0587
    assert shares.loc["23005;23003", "share_pct"] == 50.2797


def test_links_count_only_matched_non_duplicates() -> None:
    kept = cs.international_links(fixture_twins())
    assert sorted(kept.pair_id) == ["T1", "T2", "T3", "T4"]


def test_qroo_municipalities_handles_later_municipalities() -> None:
    q = cs.qroo_municipalities(fixture_munis(), fixture_twins()).set_index("inegi_code")
    assert len(q) == 3
    assert q.loc["23005", "links"] == 3
    assert q.loc["23005", "links_per_100k"] == round(1e5 * 3 / 911503, 3)
    assert q.loc["23005", "growth_1990_2020_pct"] == round(100 * (911503 / 176765 - 1), 1)
    assert not q.loc["23011", "existed_1990"]
    assert math.isnan(q.loc["23011", "growth_1990_2020_pct"])
    assert q.loc["23011", "first_census_year"] == 2010
    assert q.loc["23003", "links"] == 0  # its only pair is ambiguous


def test_crosscheck_uses_aliases_and_explains_absences() -> None:
    table = cs.crosscheck(cst.read_agreements(FIX / "agreements_ok.csv"), fixture_twins())
    status = dict(zip(table.partner_city, table.status, strict=True))
    assert status == {"Mar del Plata": "both", "Antigua Guatemala": "both", "Oaxaca de Juárez": "not_comparable",
                      "Sanya": "table1_only", "Medellín": "wikipedia_only"}
    reason = table.set_index("partner_city").loc["Medellín", "possible_reason"]
    assert "Puerto Morelos" in reason
    summary = cs.crosscheck_summary(table)
    assert summary == {"table1_international": 3, "found_in_wikipedia": 2, "table1_only": 1,
                       "wikipedia_only": 1, "not_comparable": 1}


def test_partner_key_folds_spelling_variants() -> None:
    assert city_name_key("Mar de Plata") == city_name_key("Mar del Plata")
    assert city_name_key("La Antigua") == city_name_key("Antigua Guatemala")
    assert city_name_key("Mérida") != city_name_key("Medellín")


def test_split_antimeridian() -> None:
    pts = [(170.0, 10.0), (179.0, 11.0), (-179.0, 12.0), (-170.0, 13.0)]
    assert spatial.split_antimeridian(pts) == [[(170.0, 10.0), (179.0, 11.0)], [(-179.0, 12.0), (-170.0, 13.0)]]
    assert spatial.split_antimeridian(pts[:2]) == [pts[:2]]


def test_crosscheck_against_both_sources_matches_by_name_or_by_place() -> None:
    links = pd.DataFrame({
        "inegi_code": ["23005", "23005", "23005", "23011"],
        "partner_id": ["Q52593", "Q214067", "medellin|COL", "Q1"],
        "partner_city": ["Mar del Plata", "Santiago de los Caballeros", "Medellín", "Sanya"],  # another name, same place
        "partner_country_iso3": ["ARG", "GTM", "COL", "CHN"],
        "partner_lat": [-38.0, 14.5611, 6.25, 18.25], "partner_lon": [-57.55, -90.7344, -75.56, 109.5],
        "provenance": ["both", "wikidata", "wikipedia", "wikidata"],
    })
    table = cs.crosscheck_sources(cst.read_agreements(FIX / "agreements_ok.csv"), links)
    status = dict(zip(table.partner_city, table.status, strict=True))
    assert status == {"Mar del Plata": "both", "Antigua Guatemala": "wikidata", "Sanya": "none", "": "sources_only"}
    extra = table[table.status == "sources_only"]
    assert extra.source_name.tolist() == ["Medellín"]  # Sanya is another municipality's partner
    assert extra.provenance.tolist() == ["wikipedia"]
    summary = cs.crosscheck_sources_summary(table)
    assert summary["table1_international"] == 3
    assert (summary["in_both"], summary["only_wikidata"], summary["in_neither"]) == (1, 1, 1)
    assert summary["in_either"] == 2
    assert summary["in_wikidata"] == 2
    assert summary["sources_only"] == 1
    far = links.assign(partner_lat=links.partner_lat + 2)  # without the place, the other name does not match
    assert "Antigua Guatemala" not in set(cs.crosscheck_sources(cst.read_agreements(FIX / "agreements_ok.csv"), far)
                                          .query("status == 'wikidata'").partner_city)
