"""Count models on simulated data with known coefficients; coastal flags on toy geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.analyses import models as md
from analysis.features import geography


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 1500
    df = pd.DataFrame({"inegi_code": [f"{i:05d}" for i in range(n)], "state_code": [f"{1 + i % 30:02d}" for i in range(n)]})
    df["log10_pop"] = rng.uniform(3, 6, n)
    df["border_state"] = (rng.random(n) < 0.2).astype(int)
    df["capital"] = (rng.random(n) < 0.05).astype(int)
    df["coastal"] = (rng.random(n) < 0.1).astype(int)
    mu = np.exp(-6 + 1.2 * df.log10_pop + 0.7 * df.capital + 0.4 * df.coastal)
    alpha = 1.5
    df["n_links"] = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return df


@pytest.fixture(scope="module")
def fits(frame: pd.DataFrame) -> dict[str, md.Fit]:
    return md.fit_models(frame)


def test_nb2_recovers_known_irrs(fits: dict[str, md.Fit]) -> None:
    irr = md.irr_table(fits["nb2"]).set_index("term")
    assert fits["nb2"].converged
    assert irr.loc["log10_pop", "ci_low"] < np.exp(1.2) < irr.loc["log10_pop", "ci_high"]
    assert irr.loc["capital", "ci_low"] < np.exp(0.7) < irr.loc["capital", "ci_high"]
    assert irr.loc["border_state", "ci_low"] < 1 < irr.loc["border_state", "ci_high"]
    assert set(irr.se_type) == {"cluster"}
    assert "alpha" not in irr.index


def test_comparison_and_tests(fits: dict[str, md.Fit]) -> None:
    comp = md.comparison_with_tests(fits)
    models = comp.set_index("model")
    assert models.loc["nb2", "aic"] < models.loc["poisson", "aic"]  # data are overdispersed
    assert models.loc["test_lr_poisson_vs_nb2", "p_value"] < 1e-6
    assert list(comp.model[:4]) == ["poisson", "nb2", "zinb", "hurdle"]
    lr = md.lr_test_poisson_nb2(fits)
    assert lr["lr"] == pytest.approx(2 * (fits["nb2"].result.llf - fits["poisson"].result.llf), abs=1e-3)


def test_vuong_sign_and_degenerate_case(fits: dict[str, md.Fit]) -> None:
    assert md.vuong_test(fits["nb2"], fits["poisson"])["vuong_raw"] > 0  # NB2 fits overdispersed data better
    assert md.vuong_test(fits["poisson"], fits["nb2"])["vuong_raw"] < 0
    assert np.isnan(md.vuong_test(fits["nb2"], fits["nb2"])["vuong_raw"])  # 0/0: undefined, not an error


def test_zinb_and_hurdle_name_their_count_terms(fits: dict[str, md.Fit]) -> None:
    for name in ("zinb", "hurdle"):
        terms = md.irr_table(fits[name]).term.tolist()
        assert terms == ["const", *md.COVARIATES]


def test_predicted_frequencies_sum_close_to_n(fits: dict[str, md.Fit], frame: pd.DataFrame) -> None:
    ymax = int(frame.n_links.max())
    for fit in fits.values():
        expected = md.predicted_frequencies(fit, ymax + 50)
        assert expected.sum() == pytest.approx(len(frame), rel=0.02)


def test_drop_top_share(frame: pd.DataFrame) -> None:
    out = md.drop_top_share(frame, 0.01)
    assert len(out) == len(frame) - 15
    assert out.n_links.max() <= frame.n_links.sort_values().iloc[-16]


def test_model_frame_derives_covariates() -> None:
    by_muni = pd.DataFrame({"inegi_code": ["02004", "14039", "20001"], "state_code": ["02", "14", "20"],
                            "name": ["a", "b", "c"], "population_2020": [1000, 100_000, 10], "n_links": [1, 2, 0]})
    caps = pd.DataFrame({"inegi_code": ["14039"]})
    coastal = pd.Series([True, False, False], index=["02004", "14039", "20001"])
    f = md.model_frame(by_muni, caps, coastal)
    assert f.border_state.tolist() == [1, 0, 0]
    assert f.capital.tolist() == [0, 1, 0]
    assert f.coastal.tolist() == [1, 0, 0]
    assert f.log10_pop.tolist() == pytest.approx([3, 5, 1])
    with pytest.raises(ValueError, match="coastal flag"):
        md.model_frame(by_muni, caps, coastal.iloc[:2])


def test_coastal_flags_is_the_profiles_coast() -> None:
    # one definition: the models' coastal covariate is the ``coastal`` column of coast_and_borders
    inner = gpd.GeoDataFrame({"inegi_code": [f"{i:05d}" for i in range(9)]},
                             geometry=[box(-100 + x, 20 + y, -99 + x, 21 + y) for y in range(3) for x in range(3)],
                             crs="EPSG:4326")
    world = gpd.GeoDataFrame({"iso_numeric": ["840"]}, geometry=[box(-110, 15, -100, 25)], crs="EPSG:4326")
    flags = geography.coastal_flags(inner, world)
    full = geography.coast_and_borders(inner, world).set_index("inegi_code").coastal
    assert flags.to_dict() == full.to_dict()
    assert not flags["00004"]  # the centre cell touches no outline
    assert flags["00005"]  # east and south edges face the sea
    assert flags["00001"]
    assert flags.dtype == bool
    assert len(flags) == 9


def test_failed_fits_are_reported_not_hidden(frame: pd.DataFrame) -> None:
    degenerate = frame.assign(n_links=0)
    degenerate.loc[0, "n_links"] = 1
    fits = md.fit_models(degenerate)
    comp = md.comparison_table(fits)
    assert not comp.converged.all()
    failed = comp[~comp.converged]
    assert (failed.warnings.str.len() > 0).all()
    for name in failed.model:
        if fits[name].result is None:
            assert md.irr_table(fits[name]).empty


def test_all_zero_counts_fail_cleanly(frame: pd.DataFrame) -> None:
    fits = md.fit_models(frame.assign(n_links=0), models=("nb2", "hurdle"))
    assert list(fits) == ["nb2", "hurdle"]
    assert not fits["hurdle"].converged
    assert fits["hurdle"].warnings


def _estimates(rows: dict[str, dict[str, tuple[float, float, float]]]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "term": t, "irr": v[0], "ci_low": v[1], "ci_high": v[2]}
                         for m, terms in rows.items() for t, v in terms.items()])


def test_sentences_cover_the_main_specification_and_skip_the_missing_indicator() -> None:
    est = _estimates({
        "nb2": {"log10_pop": (6.1, 3.2, 11.4), "marginalisation_index_2020": (1.36, 1.2, 1.54),
                "migration_intensity_2010": (1.08, 0.99, 1.17), "migration_missing": (0.63, 0.31, 1.3)},
        "nb2_caso_completo": {"log10_pop": (6.0, 3.1, 11.0), "marginalisation_index_2020": (1.3, 0.95, 1.5),
                              "migration_intensity_2010": (1.1, 1.01, 1.2)},
        "nb2_grado": {"log10_pop": (5.9, 3.0, 11.1), "migration_intensity_2010": (1.07, 0.98, 1.16)},
    })
    text = md.covariate_sentences(est)
    assert list(text) == ["log10_pop", "marginalisation_index_2020", "migration_intensity_2010"]
    assert "menos marginación" in text["marginalisation_index_2020"]
    assert "se asocia con una tasa 1.36 veces mayor" in text["marginalisation_index_2020"]
    assert "no se distingue de 1" in text["migration_intensity_2010"]
    robust = md.robustness_sentences(est)
    assert set(robust) == {"nb2_caso_completo", "nb2_grado"}
    assert "el índice de marginación pasa de 1.36 a 1.30 (IC 95 %: 0.95 a 1.50): ya no se distingue de 1" in robust[
        "nb2_caso_completo"]
    assert "índice de marginación" not in robust["nb2_grado"]  # the grade fit has no index: nothing to compare
    assert "pasa a distinguirse de 1 (mayor)" in robust["nb2_caso_completo"]
    # above 1 in every fit that has it: only the population (the index crosses 1 in the complete-case fit)
    assert md.robust_terms(est) == ["log10_pop"]


def test_best_model_skips_fits_that_did_not_converge() -> None:
    comp = pd.DataFrame({"model": ["poisson", "nb2", "zinb", "hurdle", "test_lr_poisson_vs_nb2"],
                         "aic": [10.0, 8.0, 7.0, 5.0, float("nan")], "bic": [11.0, 9.0, 8.5, 6.0, float("nan")],
                         "converged": [True, True, True, False, float("nan")]})
    assert md.best_model(comp, "bic") == "zinb"
    comp.loc[3, "converged"] = True
    assert md.best_model(comp, "aic") == "hurdle"
    comp["converged"] = False
    with pytest.raises(ValueError, match="no model converged"):
        md.best_model(comp)


def test_main_specification_fits_with_clustered_errors() -> None:
    rng = np.random.default_rng(11)
    n = 1200
    df = pd.DataFrame({"inegi_code": [f"{i:05d}" for i in range(n)], "state_code": [f"{1 + i % 30:02d}" for i in range(n)]})
    for term in md.MAIN_TERMS:
        df[term] = rng.normal(size=n)
    df["migration_missing"] = (rng.random(n) < 0.01).astype(int)
    mu = np.exp(-2 + 0.8 * df.log10_pop + 0.3 * df.marginalisation_index_2020)
    df["n_links"] = rng.negative_binomial(1, 1 / (1 + mu))
    fit = md.fit_models(df, covariates=md.MAIN_TERMS, models=("nb2",))["nb2"]
    irr = md.irr_table(fit).set_index("term")
    assert fit.converged
    assert set(irr.index) == {"const", *md.MAIN_TERMS}
    assert irr.loc["marginalisation_index_2020", "ci_low"] < np.exp(0.3) < irr.loc["marginalisation_index_2020", "ci_high"]
    assert set(irr.se_type) == {"cluster"}
