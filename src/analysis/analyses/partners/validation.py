"""How well the partner finder recovers known twinnings, against strong simple rules.

Two protocols, both over the finder's candidate cities (:mod:`analysis.analyses.partners.foreign`):

- ``vinculo`` (one link hidden): for every municipality with two or more links, each link is
  hidden in turn; the links of municipalities of the same state to the same city are hidden with
  it, so that the hidden link cannot be found through its twin;
- ``arranque_en_frio`` (cold start, the case of the 2,284 municipalities without links): all the
  links of a municipality are hidden at once (and, again, its same-state twins), for every
  municipality with links; each hidden city is ranked among the candidates that are not hidden.

Methods compared on the same candidates: the finder (``modelo``), popularity, same-state
popularity, gravity and a seeded random order. The finder is chosen and tuned *inside* the
training folds: municipalities are split in two folds; within the training fold a second split
chooses among the logistic fits (one per penalty) and the simple rules by the mean reciprocal rank
of each hidden city among its sampled candidates; the choice is refitted on the whole training
fold and ranks the other fold's hidden cities. This is repeated over ``seeds`` random splits; the
per-link hit of the finder is its mean over the seeds (the spread over seeds is reported), so every
comparison is paired link by link. Intervals come from a bootstrap over municipalities; the
paired ratios ``cociente modelo/<rule>`` divide the hits of the finder by those of the rule in
the same bootstrap draws. Ablations refit the finder without one feature family (first seed).

The features of a hidden unit do not depend on the seed, so they are computed twice in all (once
for the training rows, once for the ranks), whatever the number of seeds.

May import: ``analysis.analyses.partners.foreign``, numpy, pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.analyses.partners.foreign import (
    FAMILIES,
    FEATURES,
    PENALTIES,
    RULES,
    SCORE_DECIMALS,
    ForeignFinder,
    Hidden,
    fit_logistic,
    method_scores,
)

PROTOCOLS = ("vinculo", "arranque_en_frio")
BASELINES = ("popularidad", "popularidad_estatal", "gravedad", "aleatorio")
SUMMARY_COLUMNS = ["method", "links", "municipalities", "hit_at_10", "hit_low", "hit_high", "mrr", "mrr_low", "mrr_high",
                   "seed_min", "seed_max", "seed_sd", "reachable_share"]


@dataclass
class Unit:
    """One evaluation case: what is hidden and which cities must be recovered."""

    protocol: str
    hidden: Hidden

    @property
    def i(self) -> int:
        return self.hidden.i


def same_state_twins(finder: ForeignFinder, i: int, p: int) -> list[tuple[int, int]]:
    """Links of other municipalities of i's state to city p."""
    n = np.flatnonzero(finder.A[:, p] > 0)
    return [(int(j), int(p)) for j in n if j != i and finder.st_idx[j] == finder.st_idx[i]]


def units(finder: ForeignFinder, min_links: int = 2) -> list[Unit]:
    """The cases of both protocols, in a fixed order."""
    out: list[Unit] = []
    for i in finder.linked:
        links = np.flatnonzero(finder.A[i])
        if len(links) >= min_links:
            for p in links:
                out.append(Unit("vinculo", Hidden(int(i), np.array([p]), same_state_twins(finder, int(i), int(p)))))
    for i in finder.linked:
        links = np.flatnonzero(finder.A[i])
        drop = [pair for p in links for pair in same_state_twins(finder, int(i), int(p))]
        out.append(Unit("arranque_en_frio", Hidden(int(i), links, drop)))
    return out


# ---------------------------------------------------------------------- fitting
@dataclass
class TrainingRows:
    """Per unit: the hidden cities that are still candidates (1) and sampled candidates (0)."""

    X: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)


def training_rows(finder: ForeignFinder, cases: list[Unit], seed: int) -> TrainingRows:
    """Features of the reachable hidden cities and of ``finder.negatives`` sampled candidates per unit."""
    rows = TrainingRows()
    for n, u in enumerate(cases):
        X, mask, _ = finder.features(u.i, u.hidden)
        pos = u.hidden.cities[mask[u.hidden.cities]]
        pool = np.flatnonzero(mask)
        pool = np.setdiff1d(pool, u.hidden.cities)
        if not len(pos) or not len(pool):
            rows.X.append(np.zeros((0, len(FEATURES))))
            rows.y.append(np.zeros(0))
            continue
        rng = np.random.default_rng([seed, n])
        neg = rng.choice(pool, size=min(finder.negatives, len(pool)), replace=False)
        rows.X.append(X[np.r_[pos, neg]])
        rows.y.append(np.r_[np.ones(len(pos)), np.zeros(len(neg))])
    return rows


@dataclass
class Fit:
    """A selected method and the logistic weights fitted alongside it (effective weights on raw features)."""

    method: str
    mean: np.ndarray
    scale: np.ndarray
    beta: np.ndarray
    penalty: float

    def weights(self) -> np.ndarray:
        return np.asarray(self.beta[1:] / self.scale)


def _stack(rows: TrainingRows, idx: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = [rows.X[j][:, keep] for j in idx if len(rows.y[j])]
    y = [rows.y[j] for j in idx if len(rows.y[j])]
    if not y:
        return np.zeros((0, int(keep.sum()))), np.zeros(0)
    return np.vstack(X), np.concatenate(y)


def fit_on(rows: TrainingRows, idx: np.ndarray, penalty: float, keep: np.ndarray | None = None) -> Fit:
    """Logistic fit on the rows of units ``idx`` (features ``keep`` only; the others get weight 0)."""
    keep = np.ones(len(FEATURES), bool) if keep is None else keep
    X, y = _stack(rows, idx, keep)
    mean, scale = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    beta = np.zeros(len(FEATURES) + 1)
    if len(y) and 0 < y.sum() < len(y):
        m, sd = X.mean(axis=0), X.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        b = fit_logistic((X - m) / sd, y, penalty)
        mean[keep], scale[keep], beta[0] = m, sd, b[0]
        beta[1:][keep] = b[1:]
    return Fit("modelo", mean, scale, beta, penalty)


def sampled_rr(rows: TrainingRows, idx: np.ndarray, scorer: Callable[[np.ndarray], np.ndarray]) -> float:
    """Mean reciprocal rank of each hidden city among its unit's sampled candidates."""
    rr = []
    for j in idx:
        y = rows.y[j]
        if not len(y):
            continue
        s = np.asarray(np.round(scorer(rows.X[j]), SCORE_DECIMALS))
        neg = s[y == 0]
        for v in s[y == 1]:
            rr.append(1.0 / (1 + np.sum(neg > v) + 0.5 * np.sum(neg == v)))
    return float(np.mean(rr)) if rr else 0.0


def _linear(w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return lambda X: np.asarray(X @ w)


def _rule(rule: str) -> Callable[[np.ndarray], np.ndarray]:
    return lambda X: method_scores(X, rule, np.zeros(1), np.ones(1), np.zeros(1))


def select_and_fit(rows: TrainingRows, cases: list[Unit], idx: np.ndarray, seed: int,
                   penalties: tuple[float, ...] = PENALTIES, rules: tuple[str, ...] = RULES,
                   keep: np.ndarray | None = None) -> Fit:
    """Choose among the logistic fits and ``rules`` on a split of the training municipalities (fit on one
    half, mean reciprocal rank on the other); refit the choice on all of them."""
    munis = np.array(sorted({cases[j].i for j in idx}))
    half = set(np.random.default_rng([seed, 7]).permutation(munis)[: len(munis) // 2].tolist())
    a = np.array([j for j in idx if cases[j].i in half], dtype=int)
    b = np.array([j for j in idx if cases[j].i not in half], dtype=int)
    scores: dict[str, float] = {}
    for lam in penalties:
        fit = fit_on(rows, a, lam, keep)
        scores[f"modelo@{lam:g}"] = sampled_rr(rows, b, _linear(fit.weights()))
    for rule in rules:
        scores[rule] = sampled_rr(rows, b, _rule(rule))
    best_lam = max(penalties, key=lambda lam: scores[f"modelo@{lam:g}"])
    best = max(scores, key=lambda k: scores[k])
    fit = fit_on(rows, idx, best_lam, keep)
    fit.method = "modelo" if best.startswith("modelo@") else best
    return fit


# ---------------------------------------------------------------------- ranks
def _ranks(S: np.ndarray, name_rank: np.ndarray, cand: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Rank (1 = best) of each row ``pos`` of score matrix S (rows: cities, columns: methods) among ``cand``."""
    S = np.round(S, SCORE_DECIMALS)
    out = np.empty((len(pos), S.shape[1]))
    Sc, nc = S[cand], name_rank[cand]
    for r, p in enumerate(pos):
        sp = S[p]
        better = (Sc > sp) | ((Sc == sp) & (nc < name_rank[p])[:, None])
        out[r] = better.sum(axis=0) + 1
    return out


def rank_cases(finder: ForeignFinder, cases: list[Unit], fits: dict[tuple[int, str], list[Fit]],
               fold_of: list[dict[int, int]], seed: int, ablations: dict[str, list[Fit]] | None = None) -> pd.DataFrame:
    """One row per hidden city: the rank under every baseline, every seed's finder and every ablation.

    ``fits[(s, "fold")]`` is not used; ``fits`` maps (seed index, fold) -> [Fit] through ``_fit_for``.
    """
    ablations = ablations or {}
    out = []
    n_seeds = len(fold_of)
    for n, u in enumerate(cases):
        X, mask, _ = finder.features(u.i, u.hidden)
        pos = u.hidden.cities
        cand = np.setdiff1d(np.flatnonzero(mask), pos)
        reach = mask[pos]
        rng = np.random.default_rng([seed, n, 1])
        cols = [method_scores(X, r, finder.mean, finder.scale, finder.beta) for r in RULES]
        cols.append(rng.random(len(mask)))
        chosen = [fits[(s, str(fold_of[s][u.i]))][0] for s in range(n_seeds)]
        for f in chosen:
            cols.append(X @ f.weights() if f.method == "modelo" else method_scores(X, f.method, f.mean, f.scale, f.beta))
        abl = [ablations[fam][fold_of[0][u.i]] for fam in ablations]
        cols += [X @ f.weights() for f in abl]
        R = _ranks(np.column_stack(cols), finder.name_rank, cand, pos)
        R[~reach] = np.inf
        for r, p in enumerate(pos):
            row = {"protocol": u.protocol, "inegi_code": finder.codes[u.i], "partner_id": finder.cities.partner_id.iloc[p],
                   "reachable": bool(reach[r])}
            for c, name in enumerate(BASELINES):
                row[f"rank_{name}"] = R[r, c]
            seeds = R[r, len(BASELINES):len(BASELINES) + n_seeds]
            row.update({f"rank_modelo_s{s}": seeds[s] for s in range(n_seeds)})
            row.update({f"rank_sin_{fam}": R[r, len(BASELINES) + n_seeds + a] for a, fam in enumerate(ablations)})
            out.append(row)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------- summaries
def bootstrap(ranks: pd.DataFrame, seed: int, n_boot: int = 2000, top: int = 10) -> pd.DataFrame:
    """hit@top and MRR per method with 95 % intervals (bootstrap over municipalities), the spread of the
    finder over seeds, and the paired ratios of the finder's hits to each baseline's."""
    seed_cols = [c for c in ranks.columns if c.startswith("rank_modelo_s")]
    per_link = {"modelo": ((ranks[seed_cols] <= top).mean(axis=1).to_numpy(), (1 / ranks[seed_cols]).mean(axis=1).to_numpy())}
    for b in BASELINES:
        r = ranks[f"rank_{b}"].to_numpy(float)
        per_link[b] = ((r <= top).astype(float), 1 / r)
    codes = ranks.inegi_code.to_numpy()
    uniq, inv = np.unique(codes, return_inverse=True)
    n = np.bincount(inv).astype(float)
    sums = {m: (np.bincount(inv, weights=h), np.bincount(inv, weights=rr)) for m, (h, rr) in per_link.items()}
    draws = np.random.default_rng(seed).integers(0, len(uniq), size=(n_boot, len(uniq)))
    nb = n[draws].sum(axis=1)
    reach = float(ranks.reachable.mean())
    rows = []
    per_seed = np.array([(ranks[c] <= top).mean() for c in seed_cols])
    for m, (h, rr) in sums.items():
        bh, br = h[draws].sum(axis=1) / nb, rr[draws].sum(axis=1) / nb
        spread = (per_seed.min(), per_seed.max(), per_seed.std(ddof=1) if len(per_seed) > 1 else 0.0) if m == "modelo" \
            else (np.nan, np.nan, np.nan)
        rows.append({"method": m, "links": len(ranks), "municipalities": len(uniq), "hit_at_10": h.sum() / n.sum(),
                     "hit_low": np.quantile(bh, 0.025), "hit_high": np.quantile(bh, 0.975), "mrr": rr.sum() / n.sum(),
                     "mrr_low": np.quantile(br, 0.025), "mrr_high": np.quantile(br, 0.975), "seed_min": spread[0],
                     "seed_max": spread[1], "seed_sd": spread[2], "reachable_share": reach})
    model = sums["modelo"][0]
    for b in BASELINES:
        base = sums[b][0]
        num, den = model[draws].sum(axis=1), base[draws].sum(axis=1)
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)  # a draw without any hit of the rule
        if np.isfinite(ratio).all():
            low, high = (float(np.quantile(ratio, q)) for q in (0.025, 0.975))
        else:  # no interpolation next to an infinite draw
            low, high = (float(np.quantile(ratio, q, method="inverted_cdf")) for q in (0.025, 0.975))
        rows.append({"method": f"cociente modelo/{b}", "links": len(ranks), "municipalities": len(uniq),
                     "hit_at_10": model.sum() / base.sum() if base.sum() else np.nan,
                     "hit_low": low if np.isfinite(low) else np.nan, "hit_high": high if np.isfinite(high) else np.nan,
                     "reachable_share": reach})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).round(4)


def ablation_table(ranks: pd.DataFrame, seed: int, n_boot: int = 2000, top: int = 10) -> pd.DataFrame:
    """Per protocol and feature family: hit@top of the finder refitted without the family (first seed) and
    the paired difference with the full finder (same seed), with a bootstrap interval over municipalities."""
    rows = []
    for protocol, r in ranks.groupby("protocol", sort=False):
        uniq, inv = np.unique(r.inegi_code.to_numpy(), return_inverse=True)
        n = np.bincount(inv).astype(float)
        draws = np.random.default_rng(seed).integers(0, len(uniq), size=(n_boot, len(uniq)))
        full = np.bincount(inv, weights=(r["rank_modelo_s0"] <= top).to_numpy(float))
        for fam in FAMILIES:
            col = f"rank_sin_{fam}"
            if col not in r:
                continue
            without = np.bincount(inv, weights=(r[col] <= top).to_numpy(float))
            diff = (full - without)[draws].sum(axis=1) / n[draws].sum(axis=1)
            rows.append({"protocol": protocol, "family": fam, "hit_without": round(without.sum() / n.sum(), 4),
                         "hit_full": round(full.sum() / n.sum(), 4), "difference": round((full - without).sum() / n.sum(), 4),
                         "difference_low": round(float(np.quantile(diff, 0.025)), 4),
                         "difference_high": round(float(np.quantile(diff, 0.975)), 4)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- the whole evaluation
@dataclass
class Evaluation:
    """Everything chapter 6 reports about the finder's accuracy, and the choice it ships."""

    ranks: pd.DataFrame
    summary: dict[str, pd.DataFrame]
    ablations: pd.DataFrame
    choices: pd.DataFrame
    final: Fit
    method_no_links: str


def evaluate(finder: ForeignFinder, seed: int, seeds: int = 20, folds: int = 2, n_boot: int = 2000, top: int = 10,
             penalties: tuple[float, ...] = PENALTIES, ablate: bool = True) -> Evaluation:
    """Repeated cross-fitting over ``seeds`` splits, both protocols, bootstrap summaries and ablations.

    At the end the selection is run on every unit: the finder is left with those weights and
    methods (``method`` for municipalities with links; ``method_no_links`` is the better of the
    finder and the best rule in the cold-start protocol).
    """
    cases = units(finder)
    rows = training_rows(finder, cases, seed)
    munis = np.array(sorted({u.i for u in cases}))
    idx_all = np.arange(len(cases))
    fold_of: list[dict[int, int]] = []
    fits: dict[tuple[int, str], list[Fit]] = {}
    choices = []
    for s in range(seeds):
        perm = np.random.default_rng([seed, s]).permutation(munis)
        fo_ = {int(m): n % folds for n, m in enumerate(perm)}
        fold_of.append(fo_)
        for f in range(folds):
            train = np.array([j for j in idx_all if fo_[cases[j].i] != f], dtype=int)
            fit = select_and_fit(rows, cases, train, seed + s, penalties)
            fits[(s, str(f))] = [fit]
            choices.append({"seed": s, "fold": f, "method": fit.method, "penalty": fit.penalty})
    ablations: dict[str, list[Fit]] = {}
    if ablate:
        for fam, feats in FAMILIES.items():
            keep = np.array([f not in feats for f in FEATURES])
            per_fold = []
            for f in range(folds):
                train = np.array([j for j in idx_all if fold_of[0][cases[j].i] != f], dtype=int)
                lam = fits[(0, str(f))][0].penalty
                per_fold.append(fit_on(rows, train, lam, keep))
            ablations[fam] = per_fold
    ranks = rank_cases(finder, cases, fits, fold_of, seed, ablations)
    summary = {p: bootstrap(ranks[ranks.protocol == p], seed, n_boot, top) for p in PROTOCOLS}
    abl = ablation_table(ranks, seed, n_boot, top) if ablate else pd.DataFrame()
    final = select_and_fit(rows, cases, idx_all, seed, penalties)
    cold = summary["arranque_en_frio"].set_index("method")
    best_rule = max(("gravedad", "popularidad_estatal"), key=lambda r: float(cold.loc[r, "hit_at_10"]))
    no_links = "modelo" if cold.loc["modelo", "hit_at_10"] > cold.loc[best_rule, "hit_at_10"] else best_rule
    finder.mean, finder.scale, finder.beta, finder.penalty = final.mean, final.scale, final.beta, final.penalty
    finder.method, finder.method_no_links = final.method, no_links
    return Evaluation(ranks, summary, abl, pd.DataFrame(choices), final, no_links)


def ranks_table(ev: Evaluation, top: int = 10) -> pd.DataFrame:
    """The per-link ranks to save: baselines, the finder on the first seed, and its hit and reciprocal rank
    averaged over the seeds (an unreachable city has no rank)."""
    r = ev.ranks
    seed_cols = [c for c in r.columns if c.startswith("rank_modelo_s")]
    out = r[["protocol", "inegi_code", "partner_id", "reachable"]].copy()
    for b in BASELINES:
        out[f"rank_{b}"] = r[f"rank_{b}"].replace(np.inf, np.nan)
    out["rank_modelo"] = r["rank_modelo_s0"].replace(np.inf, np.nan)
    out["hit_modelo"] = (r[seed_cols] <= top).mean(axis=1).round(4)
    out["rr_modelo"] = (1 / r[seed_cols]).mean(axis=1).round(6)
    return out
