"""Honest evaluation of the partner finder: leave one link out, split tuning, bootstrap intervals.

May import: ``analysis.analyses.partners.index``, numpy, pandas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.analyses.partners.index import DEFAULT_K, SCORE_DECIMALS, TABLE_COLUMNS, PartnerIndex, Weights, scaled_to_max


# ---------------------------------------------------------------------- evaluation
def leave_one_link_out(index: PartnerIndex, min_links: int = 2, ks: tuple[int, ...] = (DEFAULT_K,),
                       seed: int = 0) -> pd.DataFrame:
    """Hide each link of every municipality with ``min_links`` or more links, one at a time.

    One row per hidden link, holding the scaled components of every candidate (for blending
    later), the hidden city's index, and the rank a seeded random ordering gives it.
    """
    rng = np.random.default_rng(seed)
    rows = []
    eligible = [i for i in range(len(index.codes)) if index.A[i].sum() >= min_links and index.complete[i]]
    for i in eligible:
        for p in np.flatnonzero(index.A[i]):
            row = index.A[i].copy()
            row[p] = 0.0
            degree = index.degree.copy()
            degree[p] -= 1
            comps = index.raw_components(i, row, degree, ks)
            mask = index.candidates(row, degree)
            scaled = {c: scaled_to_max(v, mask) for c, v in comps.items() if not c.startswith("_")}
            rnd = rng.random(len(mask))
            rows.append({"inegi_code": index.codes[i], "partner": int(p), "in_network": bool(mask[p]),
                         "mask": mask, "components": scaled,
                         "rank_random": _rank_of(index, rnd, mask, int(p))})
    return pd.DataFrame(rows)


def _rank_of(index: PartnerIndex, score: np.ndarray, mask: np.ndarray, p: int) -> float:
    """1-based rank of city p among the candidates, or inf when it is not a candidate."""
    if not mask[p]:
        return float("inf")
    s = np.round(score, SCORE_DECIMALS)
    better = mask & ((s > s[p]) | ((s == s[p]) & (index.name_rank < index.name_rank[p])))
    return float(better.sum() + 1)


def blend_ranks(index: PartnerIndex, loo: pd.DataFrame, weights: Weights, k: int) -> np.ndarray:
    """Rank of the hidden city under one blend, for every hidden link of ``loo``."""
    w = weights.as_array()
    out = np.empty(len(loo))
    for j, r in enumerate(loo.itertuples()):
        c = r.components
        score = w[0] * c["network"] + w[1] * c[f"profile@{k}"] + w[2] * c["popularity"]
        out[j] = _rank_of(index, score, r.mask, r.partner)
    return out


def weight_grid(step: float = 0.1) -> list[Weights]:
    """Every blend on the simplex with the given step (network, profile, popularity)."""
    n = round(1 / step)
    return [Weights(round(a * step, 6), round(b * step, 6), round((n - a - b) * step, 6))
            for a in range(n + 1) for b in range(n + 1 - a)]


def metrics(ranks: np.ndarray, top: int = 10) -> dict[str, float]:
    """hit@top and mean reciprocal rank (a city outside the network counts as a miss, RR 0)."""
    return {"hit": float(np.mean(ranks <= top)), "mrr": float(np.mean(1.0 / ranks))}


def tune(index: PartnerIndex, loo: pd.DataFrame, grid: list[Weights], ks: tuple[int, ...], top: int = 10
         ) -> tuple[Weights, int, pd.DataFrame]:
    """Best (weights, k) on ``loo`` by hit@top, then MRR, then grid order; and the whole grid's figures."""
    rows = []
    for k in ks:
        for w in grid:
            m = metrics(blend_ranks(index, loo, w, k), top)
            rows.append({"w_network": w.network, "w_profile": w.profile, "w_popularity": w.popularity, "k": k, **m})
    res = pd.DataFrame(rows)
    best = res.sort_values(["hit", "mrr"], ascending=False, kind="stable").iloc[0]
    return Weights(float(best.w_network), float(best.w_profile), float(best.w_popularity)), int(best.k), res


def cross_fit(index: PartnerIndex, loo: pd.DataFrame, grid: list[Weights], ks: tuple[int, ...], seed: int,
              folds: int = 2, top: int = 10) -> pd.DataFrame:
    """Honest evaluation: tune on the other folds' municipalities, rank the held-out fold's links.

    Returns one row per hidden link: inegi_code, fold, rank_model, rank_popularity, rank_random,
    and the weights used.
    """
    codes = np.array(sorted(set(loo.inegi_code)))
    perm = np.random.default_rng(seed).permutation(len(codes))
    fold_of = {codes[j]: n % folds for n, j in enumerate(perm)}
    fold = loo.inegi_code.map(fold_of).to_numpy()
    out = []
    pop = Weights(0.0, 0.0, 1.0)
    for f in range(folds):
        train, test = loo[fold != f], loo[fold == f].reset_index(drop=True)
        w, k, _ = tune(index, train, grid, ks, top)
        out.append(pd.DataFrame({
            "inegi_code": test.inegi_code, "partner": test.partner, "fold": f, "in_network": test.in_network,
            "rank_model": blend_ranks(index, test, w, k), "rank_popularity": blend_ranks(index, test, pop, ks[0]),
            "rank_random": test.rank_random, "w_network": w.network, "w_profile": w.profile,
            "w_popularity": w.popularity, "k": k,
        }))
    return pd.concat(out).sort_values(["inegi_code", "partner"]).reset_index(drop=True)


def bootstrap_summary(ranks: pd.DataFrame, seed: int, n_boot: int = 2000, top: int = 10) -> pd.DataFrame:
    """hit@top and MRR per method with 95% intervals from a bootstrap over municipalities (seeded)."""
    methods = {"modelo": "rank_model", "popularidad": "rank_popularity", "aleatorio": "rank_random"}
    groups = ranks.groupby("inegi_code")
    n = groups.size().to_numpy(float)
    sums = {m: (groups[col].apply(lambda r: float(np.sum(r <= top))).to_numpy(),
                groups[col].apply(lambda r: float(np.sum(1.0 / r))).to_numpy()) for m, col in methods.items()}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(n), size=(n_boot, len(n)))
    rows = []
    for m, (hits, rr) in sums.items():
        boot_hit = hits[draws].sum(1) / n[draws].sum(1)
        boot_mrr = rr[draws].sum(1) / n[draws].sum(1)
        rows.append({"method": m, "links": int(n.sum()), "municipalities": len(n),
                     "hit_at_10": hits.sum() / n.sum(), "hit_low": np.quantile(boot_hit, 0.025),
                     "hit_high": np.quantile(boot_hit, 0.975), "mrr": rr.sum() / n.sum(),
                     "mrr_low": np.quantile(boot_mrr, 0.025), "mrr_high": np.quantile(boot_mrr, 0.975)})
    model, popular = sums["modelo"][0], sums["popularidad"][0]
    ratio = model[draws].sum(1) / np.maximum(popular[draws].sum(1), 1e-12)
    rows.append({"method": "cociente modelo/popularidad", "links": int(n.sum()), "municipalities": len(n),
                 "hit_at_10": model.sum() / popular.sum(), "hit_low": np.quantile(ratio, 0.025),
                 "hit_high": np.quantile(ratio, 0.975)})
    return pd.DataFrame(rows).round(4)


@dataclass
class Evaluation:
    """Everything notebook 06 reports about the finder's accuracy."""

    ranks: pd.DataFrame
    summary: pd.DataFrame
    weights: Weights
    k: int
    grid: pd.DataFrame
    reachable_share: float


def evaluate(index: PartnerIndex, seed: int, ks: tuple[int, ...] = (5, 10, 25, 50), step: float = 0.1,
             folds: int = 2, n_boot: int = 2000, top: int = 10) -> Evaluation:
    """Leave-one-link-out, cross-fitted tuning, bootstrap intervals, and the weights tuned on all."""
    loo = leave_one_link_out(index, ks=ks, seed=seed)
    grid = weight_grid(step)
    ranks = cross_fit(index, loo, grid, ks, seed, folds, top)
    summary = bootstrap_summary(ranks, seed, n_boot, top)
    w, k, res = tune(index, loo, grid, ks, top)
    return Evaluation(ranks, summary, w, k, res, float(loo.in_network.mean()))


def recommendation_examples(index: PartnerIndex, codes: list[str], top: int = 10) -> pd.DataFrame:
    """Recommendations for several municipalities in one table (inegi_code, municipality, method first)."""
    parts = []
    for code in codes:
        rec = index.recommend(code, top=top)
        parts.append(rec.table.assign(inegi_code=code, municipality=index.short_label(code), method=rec.method))
    cols = ["inegi_code", "municipality", "method", *TABLE_COLUMNS]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
