"""Municipal covariates (analysis.features.covariates): one test per covariate, the model frame's rules, real data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.features import covariates as cv
from analysis.features.geography import distance_to_us_border_km, us_border_line
from analysis.ingest.conapo import read_iaim2010, read_imm2020
from analysis.tables.schemas import validate_table
from analysis.util import spatial

FIX = Path(__file__).parent / "fixtures" / "conapo"

# A synthetic map: the "United States" north of 31°N, "Mexico" south of it; three municipalities.
# Edges are densified (0.1°) so that the shared edge follows the parallel once projected.
WORLD = gpd.GeoDataFrame({"iso_numeric": ["840", "484", "320"], "name": ["USA", "Mexico", "Guatemala"]},
                         geometry=[b.segmentize(0.1) for b in (box(-110, 31, -100, 35), box(-110, 14, -100, 31),
                                                                box(-100, 10, -95, 14))], crs=spatial.CRS)
BOUNDS = gpd.GeoDataFrame({"inegi_code": ["14039", "23005", "23010"]},
                          geometry=[box(-105.1, 29.9, -104.9, 30.1), box(-105.1, 26.9, -104.9, 27.1),
                                    box(-101.0, 30.95, -100.9, 31.0)], crs=spatial.CRS)
MUNIS = pd.DataFrame({"inegi_code": ["14039", "23005", "23010"], "state_code": ["14", "23", "23"],
                      "population_2020": [1385629, 911503, 41754]})
COAST = pd.DataFrame({"inegi_code": ["14039", "23005", "23010"], "coastal": [False, True, True]})
CAPITALS = pd.DataFrame({"state_code": ["14"], "inegi_code": ["14039"]})


@pytest.fixture
def table() -> pd.DataFrame:
    iaim, _ = read_iaim2010(FIX / "iaim_small.csv")
    df, _ = cv.build_covariates(MUNIS, BOUNDS, WORLD, read_imm2020(FIX / "imm_small.csv"), iaim, CAPITALS, coast=COAST)
    return df.set_index("inegi_code")


def test_population(table):
    assert table.loc["23010", "population_2020"] == 41754
    assert table.loc["23010", "log10_pop"] == pytest.approx(4.620698, abs=1e-6)


def test_capital(table):
    assert table.capital.to_dict() == {"14039": True, "23005": False, "23010": False}


def test_capital_unknown_code_is_an_error():
    with pytest.raises(cv.CovariateError, match=r"\['99999'\] are not municipalities"):
        cv.build_covariates(MUNIS, BOUNDS, WORLD, read_imm2020(FIX / "imm_small.csv"),
                            read_iaim2010(FIX / "iaim_small.csv")[0],
                            pd.DataFrame({"state_code": ["99"], "inegi_code": ["99999"]}), coast=COAST)


def test_coastal_is_the_geography_definition(table):
    assert table.coastal.tolist() == [False, True, True]


def test_northern_border_state(table):
    assert not table.northern_border_state.any()


def test_distance_to_us_border():
    line = us_border_line(WORLD)
    assert line.length / 1000 == pytest.approx(955, rel=0.05)  # 10 degrees of longitude at 31°N
    km = distance_to_us_border_km(BOUNDS, WORLD)
    assert km["14039"] == pytest.approx(111, abs=3)  # one degree of latitude south of the line
    assert km["23005"] == pytest.approx(444, abs=6)
    assert km["23010"] < 5
    with pytest.raises(ValueError, match="iso_numeric 840"):
        us_border_line(WORLD[WORLD.iso_numeric != "840"])


def test_marginalisation(table):
    assert table.loc["23010", "marginalisation_grade_2020"] == "Alto"
    assert table.loc["23010", "marginalisation_index_2020"] == pytest.approx(51.2)
    assert table.loc["14039", "marginalisation_index_2020"] == pytest.approx(61.0)
    assert table.marginalisation_grade_2020.cat.ordered


def test_migration_missing_is_reported_not_imputed(table):
    assert pd.isna(table.loc["23010", "migration_intensity_2010"])
    assert table.migration_missing.to_dict() == {"14039": False, "23005": False, "23010": True}
    assert table.loc["14039", "migration_intensity_2010"] == pytest.approx(1.2)


def test_report_lists_missing_values():
    iaim, _ = read_iaim2010(FIX / "iaim_small.csv")
    _, report = cv.build_covariates(MUNIS, BOUNDS, WORLD, read_imm2020(FIX / "imm_small.csv"), iaim, CAPITALS,
                                    coast=COAST)
    assert report.missing["migration_intensity_2010"] == ["23010"]
    assert report.missing["migration_codes_without_municipality"] == ["16109", "16110"]
    assert any("23010" in line for line in report.lines())
    rows = report.table().set_index("column")
    assert rows.loc["migration_intensity_2010", "n_missing"] == 1
    assert rows.loc["migration_codes_without_municipality", "codes"] == "16109, 16110"


def test_model_frame_rules(table):
    cov = table.reset_index()
    counts = pd.DataFrame({"inegi_code": ["14039", "23005", "23010"], "n_links": [20, 9, 0]})
    ind = cv.model_frame(counts, cov)
    assert len(ind) == 3
    assert ind.attrs["excluded_codes"] == []
    assert ind.set_index("inegi_code").loc["23010", ["migration_intensity_2010", "migration_missing"]].tolist() == [0, 1]
    assert ind.dist_us_border_100km.iloc[0] == pytest.approx(cov.dist_us_border_km.iloc[0] / 100)
    assert "migration_missing" in ind.attrs["terms"]
    assert "Indicador" in ind.attrs["migration_rule"]
    cc = cv.model_frame(counts, cov, migration="complete_case")
    assert list(cc.inegi_code) == ["14039", "23005"]
    assert cc.attrs["excluded_codes"] == ["23010"]
    assert "migration_missing" not in cc.columns
    with pytest.raises(cv.CovariateError, match="no n_links"):
        cv.model_frame(counts.iloc[:2], cov)
    with pytest.raises(cv.CovariateError, match="use one of"):
        cv.model_frame(counts, cov, migration="impute")


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_real_covariates():
    df, report = cv.load_covariates()
    t = df.set_index("inegi_code")
    assert len(df) == 2469
    assert df.inegi_code.is_unique
    assert report.missing["migration_intensity_2010"] == sorted(report.missing["migration_intensity_2010"])
    assert {"23010", "23011"} <= set(report.missing["migration_intensity_2010"])
    assert len(report.missing["migration_intensity_2010"]) == 13
    assert t.loc["02004", "dist_us_border_km"] < 40  # Tijuana
    assert t.loc["23005", "dist_us_border_km"] > 1000  # Benito Juárez (Cancún)
    assert t.loc["23005", "coastal"]
    assert not t.loc["01001", "coastal"]
    assert int(t.capital.sum()) == 32
    means = df.groupby("marginalisation_grade_2020", observed=True).marginalisation_index_2020.mean()
    assert means.is_monotonic_decreasing  # 2020 index: higher means less marginalised


def test_table_passes_its_schema(table):
    validate_table(table.reset_index(), cv.COVARIATES_CSV)


def test_model_frame_with_the_grade_instead_of_the_index(table):
    cov = table.reset_index()
    counts = pd.DataFrame({"inegi_code": ["14039", "23005", "23010"], "n_links": [20, 9, 0]})
    grade = cv.model_frame(counts, cov, marginalisation="grade").set_index("inegi_code")
    assert "marginalisation_index_2020" not in grade.attrs["terms"]
    i = cv.MODEL_TERMS.index("marginalisation_index_2020")
    assert grade.attrs["terms"][i:i + len(cv.GRADE_TERMS)] == cv.GRADE_TERMS
    assert grade.loc["23010", "marginalisation_grade_alto"] == 1  # 23010 is "Alto" in the fixture
    assert grade.loc["23010", cv.GRADE_TERMS].sum() == 1
    reference = cov.set_index("inegi_code").marginalisation_grade_2020 == "Muy bajo"
    assert (grade.loc[reference[reference].index, cv.GRADE_TERMS].sum(axis=1) == 0).all()
    with pytest.raises(cv.CovariateError, match="marginalisation='level'"):
        cv.model_frame(counts, cov, marginalisation="level")


def test_read_covariates_round_trip(table, tmp_path):
    path = tmp_path / "municipal_covariates.csv"
    table.reset_index().to_csv(path, index=False)
    back = cv.read_covariates(path).set_index("inegi_code")
    assert back.loc["23010", "migration_missing"]
    assert pd.isna(back.loc["23010", "migration_intensity_2010"])
    assert back.index.tolist() == ["14039", "23005", "23010"]
    with pytest.raises(cv.CovariateError, match="not found"):
        cv.read_covariates(tmp_path / "absent.csv")
    table.reset_index().drop(columns="coastal").to_csv(path, index=False)
    with pytest.raises(cv.CovariateError, match="coastal"):
        cv.read_covariates(path)
