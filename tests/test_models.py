"""Count models on simulated data with known coefficients; coastal flags on toy geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
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
        assert terms == md.COVARIATES  # exp(const) is not a rate ratio: never published


def test_hurdle_is_fitted_as_two_converging_parts(fits: dict[str, md.Fit], frame: pd.DataFrame) -> None:
    h = fits["hurdle"]
    assert h.converged
    assert set(h.parts) == {"zero", "count"}
    assert h.result.llf == pytest.approx(h.parts["zero"].result.llf + h.parts["count"].result.llf)
    assert len(h.parts["count"].frame) == int((frame.n_links > 0).sum())
    comp = md.comparison_table(fits).set_index("model")
    assert comp.loc["hurdle", "n_params"] == len(h.parts["zero"].result.params) + len(h.parts["count"].result.params)


def test_predicted_frequencies_sum_close_to_n(fits: dict[str, md.Fit], frame: pd.DataFrame) -> None:
    ymax = int(frame.n_links.max())
    for fit in fits.values():
        expected = md.predicted_frequencies(fit, ymax + 50)
        assert expected.sum() == pytest.approx(len(frame), rel=0.02)


def test_jackknife_gives_t_intervals_wider_than_cr1_and_a_row_per_state(fits: dict[str, md.Fit]) -> None:
    table, loo = md.estimate_with_jackknife(fits["nb2"])
    assert set(table.ci_method) == {md.CI_CR3}
    assert loo.state_code.nunique() == 30
    assert len(loo) == 30 * (len(md.COVARIATES) + 2)  # const, covariates, alpha
    jk = md.jackknife_intervals(fits["nb2"], loo).set_index("param")
    # by hand: (G-1)/G * sum of squared deviations of the leave-one-out coefficients, t(G-1) critical value
    c = loo[loo.param == "capital"].coef.to_numpy()
    se = np.sqrt(29 / 30 * ((c - c.mean()) ** 2).sum())
    assert jk.loc["capital", "se_cr3"] == pytest.approx(se)
    b = np.log(table.set_index("term").loc["capital", "irr"])
    assert table.set_index("term").loc["capital", "ci_high"] == pytest.approx(np.exp(b + stats.t.ppf(0.975, 29) * se))
    assert (table.ci_low <= table.irr).all()
    assert (table.irr <= table.ci_high).all()


def test_separation_is_detected_and_resolved_by_the_stated_rule(frame: pd.DataFrame) -> None:
    df = frame.copy()
    df["migration_missing"] = 0
    df.loc[df.index[:40], "migration_missing"] = 1
    df.loc[df.index[:40], "n_links"] = 0  # no municipality with the indicator has a link: separation
    grades = pd.Series(np.random.default_rng(3).integers(0, 5, len(df)), index=df.index)  # 0: the reference
    for k, t in enumerate(md.GRADE_ORDER, start=1):
        df[t] = (grades == k).astype(int)
    df.loc[df.marginalisation_grade_muy_alto == 1, "n_links"] = 0  # an empty category
    terms = [*md.COVARIATES, "migration_missing", *md.GRADE_ORDER]
    assert set(md.separated_terms(df, terms)) == {"migration_missing", "marginalisation_grade_muy_alto"}
    sep = md.resolve_separation(df, terms)
    assert "migration_missing" not in sep.terms
    assert sep.dropped_rows == 40
    assert "marginalisation_grade_alto_o_muy_alto" in sep.terms
    assert "marginalisation_grade_muy_alto" not in sep.terms
    assert md.separated_terms(sep.frame, sep.terms) == []
    fit = md.fit_models(sep.frame, covariates=sep.terms, models=("nb2",))["nb2"]
    irr = md.irr_table(fit)
    assert fit.converged
    assert (irr.irr > 1e-3).all()
    assert (irr.ci_high / irr.ci_low < 1e4).all()
    # the same data without the rule give the artefact the rule prevents
    raw = md.irr_table(md.fit_models(df, covariates=terms[:-4] + md.GRADE_ORDER[:3] + ["marginalisation_grade_muy_alto"],
                                     models=("nb2",))["nb2"])
    assert (raw.irr < 1e-3).any() or (raw.converged == False).any()  # noqa: E712


def test_logit_separation_by_a_level_that_always_has_a_link(frame: pd.DataFrame) -> None:
    df = frame.copy()
    df.loc[df.capital == 1, "n_links"] = df.loc[df.capital == 1, "n_links"].clip(lower=1)
    assert "capital" in md.separated_terms(df, md.COVARIATES, "binary")
    assert "capital" not in md.separated_terms(df, md.COVARIATES, "count")
    h = md.fit_hurdle(df, md.COVARIATES)
    assert h.converged
    assert "capital" not in h.parts["zero"].terms
    assert h.parts["zero"].notes


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
        irr = md.irr_table(fits[name])
        assert irr.irr.isna().all()
        assert set(irr.ci_method) == {md.CI_NONE}


def test_all_zero_counts_fail_cleanly(frame: pd.DataFrame) -> None:
    fits = md.fit_models(frame.assign(n_links=0), models=("nb2", "hurdle"))
    assert list(fits) == ["nb2", "hurdle"]
    assert not fits["hurdle"].converged
    assert fits["hurdle"].warnings


def test_an_unconverged_fit_publishes_nothing(frame: pd.DataFrame) -> None:
    fit = md.fit_models(frame, models=("nb2",))["nb2"]
    failed = md.Fit("nb2", fit.result, False, ["ConvergenceWarning: planted"], fit.terms, frame=frame)
    comp = md.comparison_table({"nb2": failed})
    assert comp[["loglik", "aic", "bic", "n_params"]].isna().all(axis=None)
    irr = md.irr_table(failed)
    assert irr.irr.isna().all()
    assert irr.ci_low.isna().all()
    assert set(irr.ci_method) == {md.CI_NONE}


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


def test_a_term_without_a_cr3_interval_is_not_worded_as_a_finding() -> None:
    est = _estimates({"nb2": {"log10_pop": (6.1, 3.2, 11.4), "capital": (3.4, float("nan"), float("nan"))}})
    text = md.covariate_sentences(est)
    assert "no se distingue" not in text["capital"]
    assert "veces mayor" not in text["capital"]
    assert md.NO_CR3 in text["capital"]
    assert "3.40" in text["capital"]
    assert "veces mayor" in text["log10_pop"]


def test_robustness_rule_ignores_a_bound_that_moves_at_the_edge_of_one() -> None:
    est = _estimates({
        "nb2": {"log10_pop": (6.1, 3.2, 11.4), "dist_us_border_100km": (1.189, 0.999, 1.415),
                "capital": (3.4, 1.9, 6.2)},
        "nb2_sin_cdmx": {"log10_pop": (6.0, 3.1, 11.0), "dist_us_border_100km": (1.190, 1.001, 1.413),
                         "capital": (1.2, 0.6, 2.4)},
    }).assign(ci_method=md.CI_CR3)
    table = md.robustness_table(est, "nb2", ["nb2_sin_cdmx"])
    rows = table.set_index(["model", "term"])
    # 0.999 -> 1.001: both at the edge of 1, the estimate barely moves: no change reported
    assert not rows.loc[("nb2_sin_cdmx", "dist_us_border_100km"), "change_reported"]
    assert rows.loc[("nb2_sin_cdmx", "dist_us_border_100km"), "side"] == "edge"
    # the capital's interval crosses 1 and its estimate moves by more than half the half-width: reported
    assert rows.loc[("nb2_sin_cdmx", "capital"), "side_changed"]
    assert rows.loc[("nb2_sin_cdmx", "capital"), "change_reported"]
    assert md.holding_terms(table) == ["log10_pop"]
    text = md.robustness_paragraph(table)
    assert "la capitalidad cambia de lado respecto de 1" in text
    assert "distancia" not in text.split("regla:")[-1]


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
    assert set(irr.index) == set(md.MAIN_TERMS)
    assert irr.loc["marginalisation_index_2020", "ci_low"] < np.exp(0.3) < irr.loc["marginalisation_index_2020", "ci_high"]
    assert set(irr.se_type) == {"cluster"}
