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

Models: Poisson, NB2, zero-inflated NB2 (logit inflation on log10_pop) and a hurdle model fitted as
its two parts: a logit for "any link" and a zero-truncated NB2 for the number of links of the
municipalities that have one (:func:`fit_hurdle`); the hurdle's log-likelihood is the sum of the two.

Inference (:func:`jackknife_intervals`). Errors are clustered by state: 32 clusters, and the northern
border indicator varies only between states (6 of them). With so few clusters the usual clustered
(CR1) errors with normal critical values over-reject (Cameron, Gelbach and Miller, 2008), so the
main intervals are the cluster jackknife (CR3: the model is re-estimated leaving out one state at a
time) with critical values of Student's t with G - 1 degrees of freedom (MacKinnon, Nielsen and
Webb, 2023). The CR1 intervals are kept beside them (``ci_low_cr1``, ``ci_high_cr1``).

Nothing unestimable is published: a fit that did not converge gives no estimate, interval or
information criterion (:func:`irr_table`, :func:`comparison_table`), and separation (a 0/1 term
whose one level has no links at all) is handled before fitting by the rule of
:func:`resolve_separation`.
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
from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

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
    "marginalisation_grade_alto_o_muy_alto": "Grado de marginación alto o muy alto (frente a muy bajo)",
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
    "nb2_sin_estados_influyentes": "Sin las tres entidades más influyentes (distancia de Cook por entidad)",
    "nb2_sin_municipios_influyentes": "Sin el 1 % de municipios más influyentes (distancia de Cook de un paso)",
    "nb2_caso_completo": "Sin los municipios que no tienen índice de intensidad migratoria 2010 (caso completo)",
    "nb2_grado": "Con el grado de marginación en lugar del índice",
    "nb2_wikipedia": "Con los vínculos de Wikipedia solamente",
    "nb2_wikidata": "Con los vínculos de Wikidata solamente",
    "nb2_previa": "Con la especificación anterior (población, frontera, capital y costa)",
    "nb2_previa_wikipedia": "Con la especificación anterior y los vínculos de Wikipedia solamente",
}
#: How many of the most influential states and what share of municipalities the influence re-estimates drop.
INFLUENTIAL_STATES = 3
INFLUENTIAL_SHARE = 0.01


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
    """A fitted model, whether it converged, and the warnings it raised.

    ``parts`` holds the two fits of a hurdle model (``zero``: the logit; ``count``: the truncated
    NB2); its ``result`` is then a :class:`HurdleResult`. ``frame`` is the data the fit used (for
    the jackknife).
    """

    name: str
    #: The statsmodels results object (``None`` when the fit failed); statsmodels ships no types.
    result: Any
    converged: bool
    warnings: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    parts: dict[str, Fit] = field(default_factory=dict)
    frame: pd.DataFrame | None = None
    #: What the separation rule did before fitting (Spanish), and the rows it set aside as
    #: (term, level, the part's limiting value there: 1 = always a link, 0 = never).
    notes: list[str] = field(default_factory=list)
    limits: list[tuple[str, int, float]] = field(default_factory=list)


@dataclass
class HurdleResult:
    """The hurdle model as the sum of its two parts: what the comparison table reads."""

    llf: float
    params: np.ndarray
    nobs: int

    @property
    def aic(self) -> float:
        return float(2 * len(self.params) - 2 * self.llf)

    @property
    def bic(self) -> float:
        return float(np.log(self.nobs) * len(self.params) - 2 * self.llf)


def _fit(name: str, build: Callable[[], Any], terms: list[str], **kwargs: object) -> Fit:
    """Build and fit one model; a failure (singular matrix, degenerate data) is returned as a failed Fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", HessianInversionWarning)
        warnings.simplefilter("always", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = build().fit(disp=0, **kwargs)
            for attr in ("llf", "aic", "bic", "bse", "pvalues"):  # cached now, so later reads stay quiet
                getattr(result, attr)
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError) as exc:  # reported: the fit failed
            return Fit(name, None, False, [f"{type(exc).__name__}: {exc}"], terms)
    converged = bool(result.mle_retvals.get("converged", True)) if hasattr(result, "mle_retvals") else True
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught
                   if issubclass(w.category, ConvergenceWarning | HessianInversionWarning | PerfectSeparationWarning)})
    finite = bool(np.all(np.isfinite(np.asarray(result.params)))) and bool(np.isfinite(result.llf))
    if not finite:
        msgs.append("ConvergenceWarning: non-finite parameters or log-likelihood")
    failed = any(("Convergence" in m or "PerfectSeparation" in m) for m in msgs)
    return Fit(name, result, converged and finite and not failed, msgs, terms)


MODELS: tuple[str, ...] = ("poisson", "nb2", "zinb", "hurdle")


def _design(df: pd.DataFrame, covs: list[str]) -> pd.DataFrame:
    return sm.add_constant(df[covs].astype(float), has_constant="add")


def _specs(df: pd.DataFrame, covs: list[str], cluster: bool) -> dict[str, tuple[Callable[[], Any], dict[str, Any]]]:
    y, X = df.n_links.to_numpy(), _design(df, covs)
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": df.state_code.astype(int).to_numpy()}} if cluster else {}
    infl = sm.add_constant(df[["log10_pop"]].astype(float), has_constant="add")
    return {
        "poisson": (lambda: sm.Poisson(y, X), {"maxiter": 200, **cov}),
        "nb2": (lambda: sm.NegativeBinomial(y, X, loglike_method="nb2"), {"maxiter": 500, **cov}),
        "zinb": (lambda: ZeroInflatedNegativeBinomialP(y, X, exog_infl=infl, p=2),
                 {"maxiter": 2000, "method": "bfgs", **cov}),
    }


def _fit_logit(df: pd.DataFrame, covs: list[str], cluster: bool, **kw: Any) -> Fit:
    X = _design(df, covs)
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": df.state_code.astype(int).to_numpy()}} if cluster else {}
    any_link = (df.n_links.to_numpy() > 0).astype(float)
    return _fit("hurdle_zero", lambda: sm.Logit(any_link, X), ["const", *covs], maxiter=200, **cov, **kw)


def _fit_truncated(df: pd.DataFrame, covs: list[str], cluster: bool, start: np.ndarray | None = None) -> Fit:
    """Zero-truncated NB2 of the counts in ``df`` (all positive), by Newton from the plain NB2's estimates."""
    X = _design(df, covs)
    y = df.n_links.to_numpy()
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": df.state_code.astype(int).to_numpy()}} if cluster else {}
    if start is None:
        plain = _fit("nb2", lambda: sm.NegativeBinomial(y, X, loglike_method="nb2"), ["const", *covs], maxiter=500)
        start = np.asarray(plain.result.params) if plain.result is not None else None
    return _fit("hurdle_count", lambda: TruncatedLFNegativeBinomialP(y, X, truncation=0, p=2), ["const", *covs],
                method="newton", maxiter=200, start_params=start, **cov)


def fit_hurdle(df: pd.DataFrame, covs: list[str], cluster: bool = True) -> Fit:
    """The hurdle model as its two parts, each a converging fit of its own.

    ``zero``: a logit of "the municipality has at least one link" on all municipalities;
    ``count``: a zero-truncated NB2 of the number of links on the municipalities with at least one.
    Both with errors clustered by state (CR1; the jackknife is added by :func:`estimate_with_jackknife`),
    each after the separation rule of its kind (:func:`resolve_separation`): in the logit, a 0/1 term
    whose one level always (or never) has a link; in the truncated part, one whose level always has
    exactly one. The hurdle's log-likelihood is the sum of the parts' (the rows a rule sets aside
    contribute log 1 = 0 in the limit); it converged only if both parts did.
    """
    zsep = resolve_separation(df, covs, "binary")
    zero = _fit_logit(zsep.frame, zsep.terms, cluster)
    zero.frame, zero.notes, zero.limits = zsep.frame, zsep.notes, zsep.limits
    pos = df[df.n_links > 0].reset_index(drop=True)
    csep = resolve_separation(pos, covs, "truncated")
    if len(csep.frame) <= len(csep.terms) + 2:
        count = Fit("hurdle_count", None, False, [f"ValueError: only {len(csep.frame)} municipalities with a link"],
                    ["const", *csep.terms])
    else:
        count = _fit_truncated(csep.frame, csep.terms, cluster)
    count.frame, count.notes, count.limits = csep.frame, csep.notes, csep.limits
    parts = {"zero": zero, "count": count}
    terms = ["const", *covs]
    if zero.result is None or count.result is None:
        return Fit("hurdle", None, False, zero.warnings + count.warnings, terms, parts, df, zero.notes + count.notes)
    result = HurdleResult(float(zero.result.llf + count.result.llf),
                          np.concatenate([np.asarray(zero.result.params), np.asarray(count.result.params)]), len(df))
    return Fit("hurdle", result, zero.converged and count.converged, zero.warnings + count.warnings, terms, parts, df,
               zero.notes + count.notes)


def fit_models(df: pd.DataFrame, covariates: list[str] | None = None, cluster: bool = True,
               models: tuple[str, ...] = MODELS) -> dict[str, Fit]:
    """Fit Poisson, NB2, ZINB and the two-part hurdle model (or those in ``models``), clustered by state."""
    covs = covariates or COVARIATES
    terms = ["const", *covs]
    specs = _specs(df, covs, cluster)
    out: dict[str, Fit] = {}
    for name in models:
        if name == "hurdle":
            out[name] = fit_hurdle(df, covs, cluster)
        else:
            out[name] = _fit(name, specs[name][0], terms, **specs[name][1])
            out[name].frame = df
    return out


def comparison_table(fits: dict[str, Fit]) -> pd.DataFrame:
    """Log-likelihood, parameters, AIC, BIC and convergence per model.

    A fit that did not converge gets no log-likelihood and no information criterion (empty), only
    ``converged = False`` and its warnings: an unconverged optimum is not a value to compare.
    """
    nan = float("nan")
    rows = []
    for k, f in fits.items():
        ok = f.result is not None and f.converged
        rows.append({"model": k, "loglik": round(float(f.result.llf), 3) if ok else nan,
                     "n_params": len(np.asarray(f.result.params)) if ok else nan,
                     "aic": round(float(f.result.aic), 3) if ok else nan,
                     "bic": round(float(f.result.bic), 3) if ok else nan, "converged": f.converged,
                     "warnings": "; ".join(f.warnings)})
    return pd.DataFrame(rows)


def lr_test_poisson_nb2(fits: dict[str, Fit]) -> dict[str, float]:
    """LR test of alpha = 0 (Poisson inside NB2); the p-value is halved because alpha = 0 is a boundary."""
    if not (fits["nb2"].converged and fits["poisson"].converged):
        return {"lr": float("nan"), "df": 1, "p_value": float("nan")}
    lr = 2 * (fits["nb2"].result.llf - fits["poisson"].result.llf)
    return {"lr": round(float(lr), 3), "df": 1, "p_value": float(0.5 * stats.chi2.sf(lr, 1))}


def _loglikeobs(fit: Fit) -> np.ndarray:
    return np.asarray(fit.result.model.loglikeobs(np.asarray(fit.result.params)))


def vuong_test(fit_a: Fit, fit_b: Fit) -> dict[str, float]:
    """Vuong's statistic for non-nested models (positive favours ``fit_a``), raw and BIC-corrected.

    p-values are one-sided for the sign observed (P(Z > |V|)). NaN when a fit failed or did not
    converge, or both models give identical pointwise log-likelihoods (the statistic is 0/0). For
    zero-inflated against plain models the test is known to be imperfect (Wilson, 2015); read it
    with AIC/BIC and the rootogram.
    """
    undefined = {"vuong_raw": float("nan"), "p_value_raw": float("nan"), "vuong_bic": float("nan"),
                 "p_value_bic": float("nan")}
    if not (fit_a.converged and fit_b.converged) or fit_a.result is None or fit_b.result is None:
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
    """Parameter names with the model's parts spelled out: 'inflate_' prefix, 'alpha'."""
    res = fit.result
    n = len(np.asarray(res.params))
    if fit.name == "zinb":
        return list(res.model.exog_names)
    return fit.terms + ["alpha"] * (n - len(fit.terms))


def _exp(value: float) -> float:
    """exp() that saturates instead of overflowing (a failed or degenerate fit can give huge coefficients)."""
    return float(np.exp(np.clip(value, -700.0, 700.0)))


# --------------------------------------------------------------------------- separation

#: The grade indicators from the reference outward: a category without links joins its neighbour inward.
GRADE_ORDER: list[str] = ["marginalisation_grade_bajo", "marginalisation_grade_medio", "marginalisation_grade_alto",
                          "marginalisation_grade_muy_alto"]


#: What separates the data in each kind of model: a 0/1 level where the outcome is ...
SEPARATION_KINDS = ("count", "binary", "truncated")


def _separating_level(y: np.ndarray, x: np.ndarray, kind: str) -> tuple[int, float] | None:
    """(level, limit) of a 0/1 column that separates ``y`` in a model of ``kind``, or None.

    count: every count at the level is 0 (limit 0); binary (any link): every outcome at the level is
    0 (limit 0) or positive (limit 1); truncated (counts of 1 or more): every count at the level is
    1, the smallest possible (its rate goes to 0).
    """
    if set(np.unique(x).tolist()) != {0, 1}:
        return None
    for level in (1, 0):
        at = y[x == level]
        if kind in ("count", "binary") and at.sum() == 0:
            return level, 0.0
        if kind == "binary" and (at > 0).all():
            return level, 1.0
        if kind == "truncated" and (at == 1).all():
            return level, 0.0
    return None


def separated_terms(df: pd.DataFrame, terms: list[str], kind: str = "count") -> list[str]:
    """The 0/1 terms with a level that separates the outcome (see :func:`_separating_level`).

    For such a term the likelihood keeps growing as its coefficient goes to plus or minus infinity:
    the fit returns an artefact (an IRR of 1e-9 with a meaningless interval), not an estimate.
    """
    if kind not in SEPARATION_KINDS:
        raise ValueError(f"kind={kind!r}: use one of {SEPARATION_KINDS}.")
    y = df.n_links.to_numpy()
    return [t for t in terms if _separating_level(y, df[t].to_numpy(), kind) is not None]


@dataclass
class Separation:
    """The frame and terms after the separation rule, and what the rule did (in Spanish)."""

    frame: pd.DataFrame
    terms: list[str]
    notes: list[str] = field(default_factory=list)
    dropped_rows: int = 0
    limits: list[tuple[str, int, float]] = field(default_factory=list)


def resolve_separation(df: pd.DataFrame, terms: list[str], kind: str = "count") -> Separation:
    """Apply the stated rule to every separated 0/1 term (:func:`separated_terms`).

    - a category of the marginalisation grade without links is merged with its neighbour toward
      the reference ("Muy alto" into "Alto"), and the merged indicator is refitted;
    - any other separated indicator (e.g. ``migration_missing`` when none of the municipalities
      without a migration index has a link in one source) is removed together with the rows it
      separates: once its coefficient goes to minus infinity those rows carry no information on
      the other coefficients, so this is the limit of the likelihood, not a choice of sample.
    """
    df, terms, notes, dropped = df.copy(), list(terms), [], 0
    limits: list[tuple[str, int, float]] = []
    attrs = dict(df.attrs)
    for _ in range(len(terms)):
        sep = separated_terms(df, terms, kind)
        if not sep:
            break
        t = sep[0]
        if t in GRADE_ORDER and GRADE_ORDER.index(t) == 0:  # its neighbour is the reference: drop the indicator
            terms.remove(t)
            notes.append(f"los {int(df[t].sum())} municipios de la categoría «{TERM_LABELS.get(t, t)}» no tienen ningún "
                         "vínculo; esa categoría se une a la de referencia")
        elif t in GRADE_ORDER and GRADE_ORDER[GRADE_ORDER.index(t) - 1] in terms:
            into = GRADE_ORDER[GRADE_ORDER.index(t) - 1]
            n = int(df[t].sum())
            merged = f"{into}_o_{t.removeprefix('marginalisation_grade_')}"
            df[merged] = (df[into].astype(int) | df[t].astype(int)).astype(int)
            terms[terms.index(into)] = merged
            terms.remove(t)
            notes.append(f"los {n} municipios de la categoría «{TERM_LABELS.get(t, t)}» no tienen ningún vínculo; "
                         f"esa categoría se une a la vecina hacia la referencia («{TERM_LABELS.get(into, into)}»)")
        else:
            found = _separating_level(df.n_links.to_numpy(), df[t].to_numpy(), kind)
            level, limit = found if found is not None else (1, 0.0)
            rows = df[t] == level
            n = int(rows.sum())
            df = df[~rows].reset_index(drop=True)
            terms.remove(t)
            dropped += n
            limits.append((t, level, limit))
            what = {("count", 0.0): "no tienen ningún vínculo", ("binary", 0.0): "no tienen ningún vínculo",
                    ("binary", 1.0): "tienen todos algún vínculo", ("truncated", 0.0): "tienen todos un solo vínculo"}
            notes.append(f"los {n} municipios con «{TERM_LABELS.get(t, t)}» = {level} {what[(kind, limit)]}; "
                         "el indicador y esas filas salen de esa parte del modelo (el límite de la verosimilitud)")
    df.attrs = {**attrs, "terms": terms}
    return Separation(df, terms, notes, dropped, limits)


# --------------------------------------------------------------------------- few-cluster inference

#: Interval methods as written in the ``ci_method`` column.
CI_CR3 = "CR3 jackknife por entidad, t(G-1)"
CI_CR1 = "CR1 agrupado por entidad, normal"
CI_NONE = "no convergió"


_KIND = {"hurdle_zero": "binary", "hurdle_count": "truncated"}


def _refit_params(fit: Fit, df: pd.DataFrame) -> dict[str, float] | None:
    """Re-estimate ``fit``'s model on ``df`` (only the coefficients are needed: no clustered covariance).

    The separation rule of the model's kind is applied first; a term it removes gets no coefficient
    (it is absent from the returned dict). None when the refit fails or does not converge.
    """
    covs = [t for t in fit.terms if t != "const"]
    sep = resolve_separation(df, covs, _KIND.get(fit.name, "count"))
    df, kept = sep.frame, sep.terms
    names = _param_names(fit)
    start = np.asarray(fit.result.params)
    keep_idx = [i for i, n in enumerate(names) if n == "const" or n in kept or n not in fit.terms]
    start = start[keep_idx]
    if fit.name == "hurdle_zero":
        refit = _fit_logit(df, kept, cluster=False, start_params=start)
    elif fit.name == "hurdle_count":
        refit = _fit_truncated(df, kept, cluster=False, start=start)
        if refit.result is None or not refit.converged:  # Newton from the full fit can stall: start from the NB2
            refit = _fit_truncated(df, kept, cluster=False)
    else:
        build, kw = _specs(df, kept, cluster=False)[fit.name]
        first: np.ndarray | None = start
        if fit.name == "zinb":  # start from the full fit only when no term was removed
            first = np.asarray(fit.result.params) if kept == covs else None
        refit = _fit(fit.name, build, ["const", *kept], start_params=first, **kw)
        if (refit.result is None or not refit.converged) and first is not None:  # the default start instead
            refit = _fit(fit.name, build, ["const", *kept], **kw)
    if refit.result is None or not refit.converged:
        return None
    new_names = _param_names(refit)
    return dict(zip(new_names, np.asarray(refit.result.params, dtype=float), strict=True))


def leave_one_state_out(fit: Fit, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per omitted state and parameter: the coefficient re-estimated without that state.

    Columns: state_code, param, coef, converged. A term that the separation rule removes from a
    refit (e.g. an indicator whose only municipalities with links lie in the omitted state) has no
    coefficient there (``converged = False`` for that term): the jackknife then gives it no interval.
    """
    df = fit.frame if df is None else df
    if df is None or fit.result is None:
        raise ValueError(f"model {fit.name!r}: no data or no fit to re-estimate.")
    names = _param_names(fit)
    rows = []
    for state in sorted(df.state_code.unique()):
        sub = df[df.state_code != state].reset_index(drop=True)
        params = _refit_params(fit, sub)
        for name in names:
            ok = params is not None and name in params
            rows.append({"state_code": state, "param": name, "coef": params[name] if ok and params else float("nan"),
                         "converged": ok})
    return pd.DataFrame(rows)


def jackknife_intervals(fit: Fit, loo: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """CR3 (cluster jackknife) standard errors and t(G-1) intervals of every parameter of ``fit``.

    V = (G-1)/G * sum_g (b_(g) - mean b_(g))^2 over the G states left out one at a time; the
    interval is b +- t_{G-1} * sqrt(V). Returns param, coef, se_cr3, ci_low_coef, ci_high_coef,
    p_value, n_clusters and ``ok``: False when a leave-one-out fit failed (then no interval).
    """
    names = _param_names(fit)
    b = np.asarray(fit.result.params, dtype=float)
    rows = []
    for i, name in enumerate(names):
        reps = loo[loo.param == name]
        g = len(reps)
        ok = bool(reps.converged.all()) and g >= 3 and bool(np.isfinite(reps.coef).all())
        if ok:
            c = reps.coef.to_numpy()
            se = float(np.sqrt((g - 1) / g * ((c - c.mean()) ** 2).sum()))
            tcrit = float(stats.t.ppf(0.5 + level / 2, g - 1))
            lo, hi = b[i] - tcrit * se, b[i] + tcrit * se
            p = float(2 * stats.t.sf(abs(b[i]) / se, g - 1)) if se > 0 else float("nan")
        else:
            se = lo = hi = p = float("nan")
        rows.append({"param": name, "coef": float(b[i]), "se_cr3": se, "ci_low_coef": lo, "ci_high_coef": hi,
                     "p_value": p, "n_clusters": g, "ok": ok})
    return pd.DataFrame(rows)


ESTIMATE_COLUMNS = ["model", "term", "irr", "ci_low", "ci_high", "p_value", "ci_method", "ci_low_cr1", "ci_high_cr1",
                    "se_type", "converged"]


def irr_table(fit: Fit, model_label: str | None = None, jackknife: pd.DataFrame | None = None) -> pd.DataFrame:
    """Incidence-rate ratios with 95 % intervals of the count part (inflation part and alpha left out).

    With ``jackknife`` (:func:`jackknife_intervals`) ``ci_low``/``ci_high`` and the p-value are the
    CR3 ones and ``ci_method`` says so; the CR1 interval stays in ``ci_low_cr1``/``ci_high_cr1``.
    Without it the interval is CR1 (``ci_method`` names it). A fit that did not converge gives one
    row per term with no estimate and ``ci_method = "no convergió"``. For the hurdle model the rows
    are those of its count part; its zero part is :func:`odds_ratio_table`.
    """
    label = model_label or fit.name
    if fit.name == "hurdle" and fit.parts:
        return irr_table(fit.parts["count"], label, jackknife)
    res = fit.result
    nan = float("nan")
    if res is None or not fit.converged:
        return pd.DataFrame([{"model": label, "term": t, "irr": nan, "ci_low": nan, "ci_high": nan, "p_value": nan,
                              "ci_method": CI_NONE, "ci_low_cr1": nan, "ci_high_cr1": nan, "se_type": "",
                              "converged": False} for t in fit.terms if t != "const"], columns=ESTIMATE_COLUMNS)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = np.asarray(res.conf_int())
    jk = jackknife.set_index("param") if jackknife is not None else None
    rows: list[dict[str, object]] = []
    clustered = getattr(res, "cov_type", "") == "cluster"
    for name, b, (lo, hi), p in zip(_param_names(fit), np.asarray(res.params), ci, np.asarray(res.pvalues), strict=True):
        if name not in fit.terms or name == "const":  # exp(intercept) is not a rate ratio: not published
            continue
        row: dict[str, object] = {
            "model": label, "term": name, "irr": _exp(b), "ci_low": _exp(lo), "ci_high": _exp(hi), "p_value": float(p),
            "ci_method": CI_CR1 if clustered else "basado en el modelo, normal", "ci_low_cr1": _exp(lo),
            "ci_high_cr1": _exp(hi), "se_type": getattr(res, "cov_type", "nonrobust"), "converged": True}
        if jk is not None:
            j = jk.loc[name]
            if bool(j.ok):
                row.update(ci_low=_exp(j.ci_low_coef), ci_high=_exp(j.ci_high_coef), p_value=float(j.p_value),
                           ci_method=CI_CR3)
            else:
                row.update(ci_low=nan, ci_high=nan, p_value=nan,
                           ci_method="CR3 no calculable (falló un ajuste sin un estado)")
        rows.append(row)
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def estimate_with_jackknife(fit: Fit, label: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(IRR table with CR3 intervals, leave-one-state-out coefficients) of a fit.

    For a hurdle fit the table holds the count part under ``label`` and the zero part (odds ratios
    of the logit) under ``label + "_cero"``; the leave-one-out rows carry the model label. A fit
    that did not converge gives its "no convergió" rows and no leave-one-out rows.
    """
    label = label or fit.name
    empty = pd.DataFrame(columns=["model", "state_code", "param", "coef", "converged"])
    if fit.name == "hurdle" and fit.parts:
        tables, loos = [], []
        for part, lab in (("count", label), ("zero", f"{label}_cero")):
            sub = fit.parts[part]
            if not (fit.converged and sub.result is not None):
                tables.append(irr_table(Fit(sub.name, None, False, terms=sub.terms), lab))
                continue
            loo = leave_one_state_out(sub)
            tables.append(irr_table(sub, lab, jackknife_intervals(sub, loo)))
            loos.append(loo.assign(model=lab))
        return pd.concat(tables, ignore_index=True), pd.concat(loos, ignore_index=True) if loos else empty
    if not fit.converged or fit.result is None:
        return irr_table(fit, label), empty
    loo = leave_one_state_out(fit)
    return irr_table(fit, label, jackknife_intervals(fit, loo)), loo.assign(model=label)


def predicted_frequencies(fit: Fit, max_count: int) -> np.ndarray:
    """Expected number of municipalities with 0..max_count links under a fitted model."""
    res = fit.result
    ks = np.arange(max_count + 1)
    if fit.name == "hurdle":
        frame = fit.frame if fit.frame is not None else pd.DataFrame()
        zpart, cpart = fit.parts["zero"], fit.parts["count"]
        p_any = np.asarray(zpart.result.predict(_design(frame, zpart.terms[1:]).to_numpy()), dtype=float)
        for term, level, limit in zpart.limits:  # rows the separation rule set aside: their limiting probability
            p_any[frame[term].to_numpy() == level] = limit
        b = np.asarray(cpart.result.params)
        mu, alpha = np.exp(_design(frame, cpart.terms[1:]).to_numpy() @ b[:-1]), float(b[-1])
        size = 1 / alpha
        pmf = stats.nbinom.pmf(ks[:, None], size, size / (size + mu[None, :]))
        trunc = pmf[1:] / (1 - pmf[0][None, :])
        for term, level, _limit in cpart.limits:  # a rate that goes to 0: all the mass at 1
            at = frame[term].to_numpy() == level
            trunc[:, at] = 0.0
            if len(trunc):
                trunc[0, at] = 1.0
        return np.asarray(np.vstack([(1 - p_any)[None, :], p_any[None, :] * trunc]).sum(axis=1))
    if fit.name in {"poisson", "nb2"}:
        probs = res.model.get_distribution(np.asarray(res.params)).pmf(ks[:, None]).T
    else:
        probs = res.predict(which="prob", y_values=ks)
    out: np.ndarray = np.asarray(probs).sum(axis=0)
    return out


# --------------------------------------------------------------------------- influence

def state_influence(fit: Fit, loo: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Cook's distance of each state (cluster) on ``terms``: D_g = d' V^-1 d / k with d = b_(g) - b.

    V is the CR1 covariance of those coefficients; the states with the largest D_g move them most.
    """
    names = _param_names(fit)
    idx = [names.index(t) for t in terms]
    b = np.asarray(fit.result.params)[idx]
    V = np.asarray(fit.result.cov_params())[np.ix_(idx, idx)]
    wide = loo[loo.param.isin(terms)].pivot_table(index="state_code", columns="param", values="coef", aggfunc="first",
                                                  dropna=False)[terms]
    d = wide.to_numpy() - b[None, :]
    D = np.einsum("ij,jk,ik->i", d, np.linalg.pinv(V), d) / len(terms)
    return pd.DataFrame({"state_code": wide.index.to_numpy(), "cooks_d": D}).sort_values(
        "cooks_d", ascending=False, ignore_index=True)


def municipal_influence(fit: Fit, terms: list[str]) -> pd.DataFrame:
    """One-step Cook's distance of each municipality on ``terms`` (Pregibon's approximation).

    Leaving municipality i out moves the coefficients by about H^-1 s_i (H the observed
    information, s_i the municipality's score); D_i = d_i' H d_i / k on the coefficients of ``terms``.
    """
    res = fit.result
    params = np.asarray(res.params)
    H = -np.asarray(res.model.hessian(params))
    S = np.asarray(res.model.score_obs(params))
    d = S @ np.linalg.pinv(H).T
    names = _param_names(fit)
    idx = [names.index(t) for t in terms]
    D = np.einsum("ij,jk,ik->i", d[:, idx], H[np.ix_(idx, idx)], d[:, idx]) / len(terms)
    codes = fit.frame.inegi_code.to_numpy() if fit.frame is not None else np.arange(len(D)).astype(str)
    return pd.DataFrame({"inegi_code": codes, "cooks_d": D}).sort_values("cooks_d", ascending=False, ignore_index=True)


# --------------------------------------------------------------------------- robustness, by a stated rule

#: A re-estimate changes a finding when its log-IRR moves by more than this share of the half-width
#: of the main model's (log) interval ...
MOVE_SHARE = 0.5
#: ... or when the interval's position relative to 1 changes and, in both fits, the bound that decides
#: the position lies more than this (log scale, 5 %) from 1: a bound at 0.999 or 1.001 is at the edge.
EDGE_MARGIN = float(np.log(1.05))


def clear_side(low: float, high: float, margin: float = EDGE_MARGIN) -> str:
    """"above", "below", "crosses", or "edge" when a bound lies within ``margin`` (log scale) of 1."""
    lo, hi = float(np.log(low)), float(np.log(high))
    if lo > margin:
        return "above"
    if hi < -margin:
        return "below"
    if lo < -margin and hi > margin:
        return "crosses"
    return "edge"


def robustness_table(estimates: pd.DataFrame, base: str = "nb2", variants: list[str] | None = None,
                     terms: list[str] | None = None) -> pd.DataFrame:
    """Each worded term in ``base`` and in each variant that has it, with the rule's verdict.

    Columns: model, term, irr, ci_low, ci_high, ci_method, shift (how far the log-IRR moved, as a
    share of the half-width of the base's log interval), side (:func:`clear_side`), side_changed
    and change_reported (:data:`MOVE_SHARE`, :data:`EDGE_MARGIN`). The base rows come first.
    """
    variants = variants if variants is not None else [v for v in ROBUSTNESS_LABELS if v in set(estimates.model)]
    terms = terms if terms is not None else _terms_of(estimates, base)
    rows = []
    for term in terms:
        b_irr, b_lo, b_hi = estimate(estimates, base, term)
        half = (np.log(b_hi) - np.log(b_lo)) / 2
        b_side = clear_side(b_lo, b_hi)
        for model in [base, *variants]:
            have = estimates[(estimates.model == model) & (estimates.term == term)]
            if have.empty or have.ci_low.isna().all():
                continue
            irr, lo, hi = estimate(estimates, model, term)
            shift = float(abs(np.log(irr) - np.log(b_irr)) / half) if half > 0 else float("nan")
            side = clear_side(lo, hi)
            side_changed = side != b_side and "edge" not in (side, b_side)
            rows.append({"model": model, "term": term, "irr": irr, "ci_low": lo, "ci_high": hi,
                         "ci_method": str(have.ci_method.iloc[0]) if "ci_method" in have else "",
                         "shift": shift, "side": side, "side_changed": bool(side_changed),
                         "change_reported": bool(model != base and (shift > MOVE_SHARE or side_changed))})
    return pd.DataFrame(rows)


def holding_terms(table: pd.DataFrame, base: str = "nb2") -> list[str]:
    """Terms whose base interval lies clearly above or below 1 and that no re-estimate moves to another side."""
    out = []
    for term, rows in table.groupby("term", sort=False):
        b = rows[rows.model == base]
        if b.empty or b.side.iloc[0] not in ("above", "below"):
            continue
        if not rows[rows.model != base].side_changed.any():
            out.append(str(term))
    return out


def rule_sentence() -> str:
    """The rule that decides when a re-estimate changes a finding, in Spanish."""
    return (f"Se informa un cambio cuando la razón se mueve más del {wording.num(100 * MOVE_SHARE)} % de la "
            "semiamplitud (en escala logarítmica) del intervalo del modelo principal, o cuando el intervalo cambia de "
            "lado respecto de 1 y en los dos ajustes el límite que decide el lado está a más de "
            f"{wording.num(100 * (np.exp(EDGE_MARGIN) - 1))} % de 1.")


def robustness_paragraph(table: pd.DataFrame, base: str = "nb2") -> str:
    """A short paragraph: which re-estimates change which finding under the rule (the rest is in the table)."""
    changes = table[table.change_reported]
    n_var = table[table.model != base].model.nunique()
    if changes.empty:
        return f"{rule_sentence()} Ninguna de las {n_var} reestimaciones cambia una conclusión."
    parts = []
    for model, rows in changes.groupby("model", sort=False):
        what = []
        for r in rows.itertuples():
            d = wording.ci_decimals(float(r.ci_low), float(r.ci_high))
            how = "cambia de lado respecto de 1" if r.side_changed else "se mueve"
            what.append(f"{TERM_NOUNS[str(r.term)]} {how} ({wording.num(float(r.irr), d)}; "
                        f"{wording.interval(float(r.ci_low), float(r.ci_high), d)})")
        label = ROBUSTNESS_LABELS.get(str(model), str(model))
        parts.append(f"{label[0].lower() + label[1:]}, " + ", ".join(what))
    n_ch = changes.model.nunique()
    return (f"{rule_sentence()} De las {n_var} reestimaciones, {n_ch} "
            f"{'cambia' if n_ch == 1 else 'cambian'} alguna conclusión según esa regla: " + "; ".join(parts) + ".")


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
    return {term: f"{TERM_PHRASES[term]} {_worded(*estimate(estimates, model, term))}" for term in terms}


#: What is said of a term whose main interval cannot be computed (a leave-one-state-out refit could
#: not estimate it, e.g. because omitting one state separates the data): no verdict is drawn.
NO_CR3 = ("no tiene intervalo CR3 calculable (al omitir alguna entidad el término deja de poder "
          "estimarse), así que no se interpreta")


def _worded(irr: float, low: float, high: float) -> str:
    if any(np.isnan(v) for v in (low, high)):
        return f"{NO_CR3} (razón estimada {wording.num(irr, 2)})"
    return wording.irr_phrase(irr, low, high)


#: How the tables and figures name each model.
MODEL_LABELS: dict[str, str] = {
    "poisson": "Poisson", "nb2": "NB2", "zinb": "ZINB (conteo)", "hurdle": "Hurdle (conteo truncado)",
    "hurdle_cero": "Hurdle (logit de algún vínculo; razón de momios)",
}


def _cell(irr: float, low: float, high: float) -> str:
    if any(np.isnan(v) for v in (irr, low, high)):
        return "—"
    d = wording.ci_decimals(low, high)
    return f"{wording.num(irr, d)} ({wording.num(low, d)} a {wording.num(high, d)})"


def coefficient_table(estimates: pd.DataFrame, models: list[str], terms: list[str],
                      cr1_for: tuple[str, ...] = ("nb2",)) -> pd.DataFrame:
    """Terms by models: "IRR (low a high)" with the main (CR3) interval; for the models in ``cr1_for``
    also a column with the conventional CR1 interval, for comparison. A model that did not converge
    shows "no convergió" in every cell; a term a model lacks shows "—".
    """
    out = pd.DataFrame({"term": [TERM_LABELS.get(t, t) for t in terms]})
    for m in models:
        sub = estimates[estimates.model == m].set_index("term")
        cols = [(m, "ci_low", "ci_high")] + ([(f"{m}_cr1", "ci_low_cr1", "ci_high_cr1")] if m in cr1_for else [])
        for col, lo, hi in cols:
            cells = []
            for t in terms:
                if sub.empty or not bool(sub.converged.astype(bool).all()):
                    cells.append("no convergió")
                elif t not in sub.index:
                    cells.append("—")
                else:
                    r = sub.loc[t]
                    cells.append(_cell(float(r.irr), float(r[lo]), float(r[hi])))
            out[col] = cells
    return out
