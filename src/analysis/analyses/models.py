"""Count models of international links per municipality: covariates, fits, comparisons, IRRs.

Covariates (all derived from data in the compendium):

- ``log10_pop``: log10 of the 2020 census population (an IRR is the change for a tenfold population);
- ``border_state``: the municipality lies in a northern border state
  (:data:`analysis.features.geography.NORTHERN_BORDER_STATES`);
- ``capital``: the municipality is the seat of its state's capital (data/curated/state_capitals.csv);
- ``coastal``: at least 1 km of sea coast on the municipal boundary, the single definition of
  :func:`analysis.features.geography.coast_and_borders` (chapter 06 uses the same).

Those four are the prior specification (``COVARIATES``). The main specification
(``MAIN_TERMS``, :data:`analysis.features.covariates.MODEL_TERMS`) adds the distance to the US
border (per 100 km), CONAPO's 2020 marginalisation index (a higher index means LESS
marginalisation), the 2010 migration intensity and its missing-value indicator; the frame comes
from :func:`analysis.features.covariates.model_frame`, which states the missing-value rule.

Models: Poisson, NB2, zero-inflated NB2 (logit inflation on log10_pop) and a hurdle model
(Poisson zero part, i.e. a complementary log-log binary model for "any link"; truncated NB2 count
part). Convergence is reported, never hidden.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP
from statsmodels.discrete.truncated_model import HurdleCountModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from analysis.analyses import wording
from analysis.features.covariates import MODEL_TERMS
from analysis.features.geography import NORTHERN_BORDER_STATES

#: The prior specification: population, northern border state, state capital, coast.
COVARIATES: list[str] = ["log10_pop", "border_state", "capital", "coastal"]
#: The main specification: the prior one plus distance to the US border, marginalisation and migration.
MAIN_TERMS: list[str] = list(MODEL_TERMS)
TERM_LABELS: dict[str, str] = {
    "const": "Constante", "log10_pop": "Población (×10)", "border_state": "Estado fronterizo del norte",
    "capital": "Capital estatal", "coastal": "Municipio costero", "alpha": "Dispersión (alfa)",
    "dist_us_border_100km": "Distancia a la frontera con EE. UU. (100 km)",
    "marginalisation_index_2020": "Índice de marginación 2020 (mayor: menos marginación)",
    "migration_intensity_2010": "Intensidad migratoria a EE. UU. 2010",
    "migration_missing": "Sin índice migratorio 2010 (indicador)",
    "marginalisation_grade_bajo": "Grado de marginación bajo (frente a muy bajo)",
    "marginalisation_grade_medio": "Grado de marginación medio (frente a muy bajo)",
    "marginalisation_grade_alto": "Grado de marginación alto (frente a muy bajo)",
    "marginalisation_grade_muy_alto": "Grado de marginación muy alto (frente a muy bajo)",
}
#: How a sentence names the change each covariate measures ("<phrase> <irr_phrase>").
TERM_PHRASES: dict[str, str] = {
    "log10_pop": "Multiplicar la población por diez", "border_state": "Pertenecer a un estado de la frontera norte",
    "capital": "Ser capital estatal", "coastal": "Tener costa",
    "dist_us_border_100km": "Estar cien kilómetros más lejos de la frontera con Estados Unidos",
    "marginalisation_index_2020": ("Un punto más en el índice de marginación 2020 de CONAPO (un índice mayor indica "
                                   "menos marginación)"),
    "migration_intensity_2010": "Un punto más en el índice de intensidad migratoria a Estados Unidos de 2010",
}
#: How a sentence names the ratio of each covariate ("la razón de <noun>").
TERM_NOUNS: dict[str, str] = {
    "log10_pop": "la población (×10)", "border_state": "la frontera norte", "capital": "la capitalidad",
    "coastal": "la costa", "dist_us_border_100km": "la distancia a la frontera con Estados Unidos",
    "marginalisation_index_2020": "el índice de marginación", "migration_intensity_2010": "la intensidad migratoria",
}
#: The robustness re-estimates of the main NB2 and how the book names them.
ROBUSTNESS_LABELS: dict[str, str] = {
    "nb2_sin_cdmx": "Sin las alcaldías de la Ciudad de México",
    "nb2_sin_top1pct": "Sin el 1 % de municipios con más vínculos",
    "nb2_caso_completo": "Sin los municipios que no tienen índice de intensidad migratoria 2010 (caso completo)",
    "nb2_grado": "Con el grado de marginación en lugar del índice",
    "nb2_wikipedia": "Con los vínculos de Wikipedia solamente",
    "nb2_wikidata": "Con los vínculos de Wikidata solamente",
}


def model_frame(by_muni: pd.DataFrame, capitals: pd.DataFrame, coastal: pd.Series) -> pd.DataFrame:
    """One row per municipality: n_links, covariates and state_code (the cluster)."""
    df = by_muni[["inegi_code", "state_code", "name", "population_2020", "n_links"]].copy()
    if (df.population_2020 <= 0).any():
        raise ValueError("Municipalities with population 0 cannot enter a model on log population.")
    df["log10_pop"] = np.log10(df.population_2020)
    df["border_state"] = df.state_code.isin(NORTHERN_BORDER_STATES).astype(int)
    df["capital"] = df.inegi_code.isin(set(capitals.inegi_code)).astype(int)
    missing = sorted(set(df.inegi_code) - set(coastal.index))
    if missing:
        raise ValueError(f"No coastal flag for municipalities {missing[:5]}.")
    df["coastal"] = df.inegi_code.map(coastal).astype(int)
    return df.reset_index(drop=True)


@dataclass
class Fit:
    """A fitted model, whether it converged, and the warnings it raised."""

    name: str
    #: The statsmodels results object (``None`` when the fit failed); statsmodels ships no types.
    result: Any
    converged: bool
    warnings: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def _fit(name: str, build: Callable[[], Any], terms: list[str], **kwargs: object) -> Fit:
    """Build and fit one model; a failure (singular matrix, degenerate data) is returned as a failed Fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", HessianInversionWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = build().fit(disp=0, **kwargs)
            for attr in ("llf", "aic", "bic", "bse", "pvalues"):  # cached now, so later reads stay quiet
                getattr(result, attr)
        except (np.linalg.LinAlgError, ValueError) as exc:  # reported, not hidden: the fit failed
            return Fit(name, None, False, [f"{type(exc).__name__}: {exc}"], terms)
    converged = bool(result.mle_retvals.get("converged", True)) if hasattr(result, "mle_retvals") else True
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught
                   if issubclass(w.category, ConvergenceWarning | HessianInversionWarning)})
    return Fit(name, result, converged and not any("Convergence" in m for m in msgs), msgs, terms)


MODELS: tuple[str, ...] = ("poisson", "nb2", "zinb", "hurdle")


def fit_models(df: pd.DataFrame, covariates: list[str] | None = None, cluster: bool = True,
               models: tuple[str, ...] = MODELS) -> dict[str, Fit]:
    """Fit Poisson, NB2, ZINB and hurdle models (or those in ``models``); clustered by state where supported."""
    covs = covariates or COVARIATES
    y, X = df.n_links.to_numpy(), sm.add_constant(df[covs].astype(float))
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": df.state_code.astype(int).to_numpy()}} if cluster else {}
    infl = sm.add_constant(df[["log10_pop"]].astype(float))
    terms = list(X.columns)
    specs: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
        "poisson": (lambda: sm.Poisson(y, X), {"maxiter": 200, **cov}),
        "nb2": (lambda: sm.NegativeBinomial(y, X, loglike_method="nb2"), {"maxiter": 500, **cov}),
        "zinb": (lambda: ZeroInflatedNegativeBinomialP(y, X, exog_infl=infl, p=2),
                 {"maxiter": 2000, "method": "bfgs", **cov}),
        # statsmodels supports no clustered covariance for the hurdle model: model-based errors
        "hurdle": (lambda: HurdleCountModel(y, X, dist="negbin", zerodist="poisson"), {"maxiter": 2000}),
    }
    return {name: _fit(name, specs[name][0], terms, **specs[name][1]) for name in models}


def comparison_table(fits: dict[str, Fit]) -> pd.DataFrame:
    """Log-likelihood, parameters, AIC, BIC and convergence per model."""
    nan = float("nan")
    rows = [{"model": k, "loglik": round(float(f.result.llf), 3) if f.result else nan,
             "n_params": len(f.result.params) if f.result else nan,
             "aic": round(float(f.result.aic), 3) if f.result else nan,
             "bic": round(float(f.result.bic), 3) if f.result else nan, "converged": f.converged,
             "warnings": "; ".join(f.warnings)} for k, f in fits.items()]
    return pd.DataFrame(rows)


def lr_test_poisson_nb2(fits: dict[str, Fit]) -> dict[str, float]:
    """LR test of alpha = 0 (Poisson inside NB2); the p-value is halved because alpha = 0 is a boundary."""
    if fits["nb2"].result is None or fits["poisson"].result is None:
        return {"lr": float("nan"), "df": 1, "p_value": float("nan")}
    lr = 2 * (fits["nb2"].result.llf - fits["poisson"].result.llf)
    return {"lr": round(float(lr), 3), "df": 1, "p_value": float(0.5 * stats.chi2.sf(lr, 1))}


def _loglikeobs(fit: Fit) -> np.ndarray:
    return np.asarray(fit.result.model.loglikeobs(np.asarray(fit.result.params)))


def vuong_test(fit_a: Fit, fit_b: Fit) -> dict[str, float]:
    """Vuong's statistic for non-nested models (positive favours ``fit_a``), raw and BIC-corrected.

    p-values are one-sided for the sign observed (P(Z > |V|)). NaN when a fit failed or both models
    give identical pointwise log-likelihoods (the statistic is 0/0). For zero-inflated against plain
    models the test is known to be imperfect (Wilson, 2015); read it with AIC/BIC and the rootogram.
    """
    undefined = {"vuong_raw": float("nan"), "p_value_raw": float("nan"), "vuong_bic": float("nan"),
                 "p_value_bic": float("nan")}
    if fit_a.result is None or fit_b.result is None:
        return undefined
    m = _loglikeobs(fit_a) - _loglikeobs(fit_b)
    n = len(m)
    if not np.std(m) > 0:  # identical pointwise fits (e.g. no zero inflation estimated): the test is undefined
        return undefined
    k_diff = len(fit_a.result.params) - len(fit_b.result.params)
    out = {}
    for label, adj in (("raw", 0.0), ("bic", k_diff * np.log(n) / 2)):
        v = (m.sum() - adj) / (np.sqrt(n) * m.std(ddof=1))
        out[f"vuong_{label}"] = round(float(v), 3)
        out[f"p_value_{label}"] = float(stats.norm.sf(abs(v)))
    return out


def _param_names(fit: Fit) -> list[str]:
    """Parameter names with the model's parts spelled out: 'inflate_'/'zero_' prefixes, 'alpha'."""
    res = fit.result
    n = len(np.asarray(res.params))
    if fit.name == "hurdle":  # statsmodels names them zm_x1..., x1...; restore the covariate names
        return [f"zero_{t}" for t in fit.terms] + fit.terms + ["alpha"] * (n - 2 * len(fit.terms))
    if fit.name == "zinb":
        return list(res.model.exog_names)
    return fit.terms + ["alpha"] * (n - len(fit.terms))


def _exp(value: float) -> float:
    """exp() that saturates instead of overflowing (a failed or degenerate fit can give huge coefficients)."""
    return float(np.exp(np.clip(value, -700.0, 700.0)))


def irr_table(fit: Fit, model_label: str | None = None) -> pd.DataFrame:
    """Incidence-rate ratios with 95 % intervals for the count part (inflation/zero parts and alpha left out)."""
    res = fit.result
    rows: list[dict[str, object]] = []
    if res is None:
        return pd.DataFrame(rows, columns=["model", "term", "irr", "ci_low", "ci_high", "p_value", "se_type"])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = np.asarray(res.conf_int())
    for name, b, (lo, hi), p in zip(_param_names(fit), np.asarray(res.params), ci, np.asarray(res.pvalues), strict=True):
        if name in fit.terms:
            rows.append({"model": model_label or fit.name, "term": name, "irr": _exp(b),
                         "ci_low": _exp(lo), "ci_high": _exp(hi), "p_value": float(p),
                         "se_type": getattr(res, "cov_type", "nonrobust")})
    return pd.DataFrame(rows)


def predicted_frequencies(fit: Fit, max_count: int) -> np.ndarray:
    """Expected number of municipalities with 0..max_count links under a fitted model."""
    res = fit.result
    if fit.name in {"poisson", "nb2"}:
        probs = res.model.get_distribution(np.asarray(res.params)).pmf(np.arange(max_count + 1)[:, None]).T
    else:
        probs = res.predict(which="prob", y_values=np.arange(max_count + 1))
    out: np.ndarray = np.asarray(probs).sum(axis=0)
    return out


def drop_top_share(df: pd.DataFrame, share: float = 0.01) -> pd.DataFrame:
    """The frame without the ``share`` of municipalities with most links (ties broken by INEGI code)."""
    n = round(len(df) * share)
    top = df.sort_values(["n_links", "inegi_code"], ascending=[False, True]).head(n).index
    return df.drop(index=top)


def robust_terms(estimates: pd.DataFrame, base: str = "nb2", variants: list[str] | None = None) -> list[str]:
    """The worded terms whose interval lies above 1 in ``base`` and in every variant that has them."""
    variants = variants if variants is not None else [v for v in ROBUSTNESS_LABELS if v in set(estimates.model)]
    out = []
    for term in _terms_of(estimates, base):
        fits = [base, *(v for v in variants if term in set(estimates.term[estimates.model == v]))]
        if all(wording.irr_side(*estimate(estimates, m, term)[1:]) == "above" for m in fits):
            out.append(term)
    return out


def best_model(comparison: pd.DataFrame, criterion: str = "bic") -> str:
    """The converged model of ``MODELS`` with the lowest ``criterion`` (aic or bic) in a comparison table."""
    fits = comparison[comparison.model.isin(MODELS) & comparison.converged.astype(bool)]
    if fits.empty:
        raise ValueError("no model converged; nothing to choose.")
    return str(fits.loc[fits[criterion].astype(float).idxmin(), "model"])


def comparison_with_tests(fits: dict[str, Fit]) -> pd.DataFrame:
    """The comparison table plus two rows for the LR (Poisson vs NB2) and Vuong (ZINB vs NB2) tests."""
    table = comparison_table(fits)
    lr = lr_test_poisson_nb2(fits)
    vu = vuong_test(fits["zinb"], fits["nb2"])
    tests = pd.DataFrame([
        {"model": "test_lr_poisson_vs_nb2", "statistic": lr["lr"], "p_value": lr["p_value"]},
        {"model": "test_vuong_zinb_vs_nb2", "statistic": vu["vuong_raw"], "p_value": vu["p_value_raw"]},
        {"model": "test_vuong_zinb_vs_nb2_bic", "statistic": vu["vuong_bic"], "p_value": vu["p_value_bic"]},
    ])
    out = pd.concat([table, tests], ignore_index=True)
    out["n_params"] = out.n_params.astype("Int64")
    return out


def estimate(estimates: pd.DataFrame, model: str, term: str) -> tuple[float, float, float]:
    row = estimates[(estimates.model == model) & (estimates.term == term)]
    if len(row) != 1:
        raise ValueError(f"model_estimates has {len(row)} rows for model {model!r} and term {term!r}; expected one.")
    r = row.iloc[0]
    return float(r.irr), float(r.ci_low), float(r.ci_high)


def _terms_of(estimates: pd.DataFrame, model: str) -> list[str]:
    """The worded terms (``TERM_PHRASES`` order) that ``estimates`` holds for ``model``."""
    present = set(estimates.term[estimates.model == model])
    if not present:
        raise ValueError(f"model_estimates has no rows for model {model!r}.")
    return [t for t in TERM_PHRASES if t in present]


def covariate_sentences(estimates: pd.DataFrame, model: str = "nb2", terms: list[str] | None = None) -> dict[str, str]:
    """term -> "<Multiplicar la población por diez> <se asocia con ...|no se distingue de 1 ...>" for ``model``.

    ``terms`` defaults to every worded term (``TERM_PHRASES``) the model has; the missing-value
    indicator of migration is a device of the missing-value rule and is not worded. The wording
    follows the 95 % interval (:func:`analysis.analyses.wording.irr_phrase`).
    """
    terms = terms if terms is not None else _terms_of(estimates, model)
    return {term: f"{TERM_PHRASES[term]} {wording.irr_phrase(*estimate(estimates, model, term))}"
            for term in terms}


def robustness_sentences(estimates: pd.DataFrame, base: str = "nb2",
                         variants: dict[str, str] | None = None) -> dict[str, str]:
    """variant -> one sentence saying, for every covariate, what changes with respect to ``base``.

    ``variants`` defaults to the entries of ``ROBUSTNESS_LABELS`` that ``estimates`` holds. The
    covariates compared are the worded terms the two fits share. Covariates whose conclusion
    (above, below or indistinguishable from 1) changes are named first, with their new interval;
    the others are listed as keeping their conclusion.
    """
    if variants is None:
        present = set(estimates.model)
        variants = {k: v for k, v in ROBUSTNESS_LABELS.items() if k in present}
    base_terms = _terms_of(estimates, base)
    out: dict[str, str] = {}
    for variant, label in variants.items():
        changed: list[str] = []
        kept: list[str] = []
        shared = set(_terms_of(estimates, variant))
        for term in (t for t in base_terms if t in shared):
            b, o = estimate(estimates, base, term), estimate(estimates, variant, term)
            same = wording.irr_side(b[1], b[2]) == wording.irr_side(o[1], o[2])
            (kept if same else changed).append(wording.irr_change(TERM_NOUNS[term], b, o))
        parts = []
        if changed:
            parts.append("; ".join(changed))
        if kept:
            parts.append(("en lo demás, " if changed else "") + "; ".join(kept))
        out[variant] = f"{label}, " + "; ".join(parts) + "."
    return out
