"""Figures of the count models (chapter 02): rootograms, coefficients, robustness forest, leave one state out.

May import: ``analysis.analyses.models`` (fits), ``analysis.viz.style``, matplotlib and seaborn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.ticker import FuncFormatter, NullFormatter

from analysis.analyses.models import Fit, predicted_frequencies
from analysis.viz.style import legend_below, number_es, panel_title, wrap

TITLES = {"poisson": "Poisson", "nb2": "Binomial negativa (NB2)", "zinb": "NB2 inflada de ceros",
          "hurdle": "Hurdle (logit y NB2 truncada)"}


def observed_frequencies(y: np.ndarray, max_count: int) -> np.ndarray:
    """Number of municipalities with 0..max_count links (larger counts are not drawn)."""
    y = np.asarray(y, dtype=int)
    return np.bincount(y[y <= max_count], minlength=max_count + 1)[: max_count + 1]


def plot_rootogram_panels(observed: np.ndarray, expected: dict[str, np.ndarray | None]) -> Figure:
    """Hanging rootograms, one per model, with the count 0 in a narrow panel of its own.

    Each model gets two axes sharing nothing but the meaning of the bars: a narrow one for the
    municipalities without links (about 2,000 of 2,469, √ ≈ 47) and a wide one for 1, 2, … links,
    whose scale (√ frequency up to about 15) would otherwise be crushed by the zero bar. Bars of
    √observed hang from the curve of √expected; where a bar does not reach the zero line the
    model over-predicts that count, where it crosses it the model under-predicts it.
    ``expected[name]`` is None for a model that could not be estimated.
    """
    ks = np.arange(len(observed))
    palette = sns.color_palette()
    fig = plt.figure(figsize=(11, 8))
    gs = GridSpec(2, 4, figure=fig, width_ratios=[1, 6, 1, 6], wspace=0.35, hspace=0.45)
    first_wide = None
    for i, (name, exp) in enumerate(expected.items()):
        row, col = divmod(i, 2)
        ax0 = fig.add_subplot(gs[row, 2 * col])
        ax = fig.add_subplot(gs[row, 2 * col + 1])
        panel_title(ax, i, TITLES.get(name, name))
        if exp is None:
            ax.text(0.5, 0.5, "No convergió: no se dibuja", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax0.set_axis_off()
            continue
        root_obs, root_exp = np.sqrt(observed), np.sqrt(exp)
        for axis, sel in ((ax0, ks == 0), (ax, ks >= 1)):
            axis.bar(ks[sel], root_obs[sel], bottom=root_exp[sel] - root_obs[sel], color=palette[0], alpha=0.6,
                     width=0.8, label="Observado (barra colgante)")
            axis.plot(ks[sel], root_exp[sel], color=palette[1], marker="o", markersize=4, label="Esperado por el modelo")
            axis.axhline(0, color="black", linewidth=0.8)
        ax0.set_xlim(-0.7, 0.7)
        ax0.set_ylim(min(0.0, float(root_exp[0] - root_obs[0])) - 1, max(root_exp[0], root_obs[0]) * 1.08)
        ax0.set_title("0", fontsize=10)
        ax.set_xlim(0.3, ks[-1] + 0.7)
        ax.set_xticks(ks[1:][:: max(1, len(ks) // 8)])
        low = float(min(0.0, (root_exp[1:] - root_obs[1:]).min())) - 0.5
        ax.set_ylim(low, float(max(root_exp[1:].max(), root_obs[1:].max())) * 1.1)
        ax0.set_xticks([0], [f"obs. {number_es(observed[0])}\nesp. {number_es(exp[0])}"], fontsize=9)
        if row == 1:
            ax.set_xlabel("Vínculos internacionales del municipio")
        if col == 0:
            ax0.set_ylabel("√ número de municipios")
        first_wide = first_wide or ax
    if first_wide is not None:
        legend_below(first_wide, ncol=2)
        leg = first_wide.get_legend()
        if leg is not None:
            leg.set_bbox_to_anchor((1.1, -1.62), transform=first_wide.transAxes)
    fig.suptitle("Rootogramas colgantes de los modelos de conteo (el cero, en su propio panel)")
    return fig


def plot_rootograms(fits: dict[str, Fit], y: np.ndarray, max_count: int = 20) -> Figure:
    """Hanging rootograms of the fitted models (see :func:`plot_rootogram_panels`)."""
    observed = observed_frequencies(y, max_count)
    expected = {name: predicted_frequencies(fit, max_count) if fit.result is not None and fit.converged else None
                for name, fit in fits.items()}
    return plot_rootogram_panels(observed, expected)


#: Spanish for the statsmodels warnings a fit records (analysis.analyses.models.Fit.warnings).
WARNINGS_ES = {
    "ConvergenceWarning": "no convergió",
    "HessianInversionWarning": "hessiana no invertible: sin errores estándar",
}


def warnings_es(text: str) -> str:
    """A fit's recorded warnings ('ConvergenceWarning: …; HessianInversionWarning: …') in Spanish;
    an unknown warning is kept as written. The original text stays in model_comparison.csv."""
    out = []
    for part in (p.strip() for p in str(text or "").split(";")):
        if not part:
            continue
        name = part.split(":", 1)[0].strip()
        out.append(WARNINGS_ES.get(name, part))
    return "; ".join(out)


#: Tick values offered on the log axes (ratios), thinned to what the axis spans.
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0,
             200.0, 500.0)


def _log_axis(ax: Axes) -> None:
    """Log scale with 1 marked and a handful of readable ratio ticks inside the data's range."""
    ax.set_xscale("log")
    ax.axvline(1, color="black", linewidth=0.8)
    lo, hi = ax.get_xlim()
    inside = [t for t in LOG_TICKS if lo <= t <= hi]
    gap = (np.log(hi) - np.log(lo)) / 6  # at most about six ticks, evenly spread on the log scale
    anchor = 1.0 if lo <= 1 <= hi else (inside[0] if inside else lo)
    ticks = [anchor]
    for direction in (inside, inside[::-1]):
        for t in direction:
            if all(abs(np.log(t) - np.log(u)) >= gap for u in ticks):
                ticks.append(t)
    ax.set_xticks(sorted(ticks))
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number_es(v, 2 if v < 1 else (1 if v < 10 else 0))))
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_coefficients(estimates: pd.DataFrame, model: str, terms: list[str], labels: dict[str, str]) -> Figure:
    """IRRs of ``model`` with the main (CR3 jackknife, t(G-1)) interval and, thinner, the CR1 interval.

    A horizontal axis on the log scale, so that 0.5 and 2 lie equally far from 1.
    """
    sub = estimates[(estimates.model == model)].set_index("term").loc[terms]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(terms) + 1.6))
    ys = np.arange(len(terms))[::-1]
    palette = sns.color_palette()
    ax.hlines(ys + 0.15, sub.ci_low_cr1, sub.ci_high_cr1, color=palette[1], linewidth=1.5,
              label="CR1 agrupado por entidad, normal")
    ax.hlines(ys - 0.1, sub.ci_low, sub.ci_high, color=palette[0], linewidth=3, label="CR3 jackknife por entidad, t(31)")
    ax.plot(sub.irr, ys - 0.1, "o", color=palette[0])
    ax.set_yticks(ys, [wrap(labels.get(t, t), 34) for t in terms])
    _log_axis(ax)
    ax.set_xlabel("Razón de tasas de incidencia (escala logarítmica)")
    legend_below(ax, ncol=2)
    fig.tight_layout()
    return fig


def plot_robustness_forest(table: pd.DataFrame, terms: list[str], term_labels: dict[str, str],
                           model_labels: dict[str, str], base: str = "nb2") -> Figure:
    """Forest plot: one panel per term, one row per specification (the main model first), IRR and interval.

    A filled marker is a change the stated rule reports; the shaded band is the main model's interval.
    """
    models = list(dict.fromkeys(table.model))
    ncol = 2
    nrow = int(np.ceil(len(terms) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.4, 0.5 * len(models) * nrow + 1.5), sharey=True, squeeze=False)
    palette = sns.color_palette()
    ys = {m: len(models) - 1 - i for i, m in enumerate(models)}
    for k, term in enumerate(terms):
        ax = axes[k // ncol][k % ncol]
        rows = table[table.term == term]
        b = rows[rows.model == base]
        if not b.empty:
            ax.axvspan(float(b.ci_low.iloc[0]), float(b.ci_high.iloc[0]), color=palette[0], alpha=0.12)
        for r in rows.itertuples():
            y = ys[str(r.model)]
            colour = palette[3] if r.change_reported else palette[0]
            ax.hlines(y, r.ci_low, r.ci_high, color=colour, linewidth=2)
            ax.plot(r.irr, y, "o", color=colour, markerfacecolor=colour if r.change_reported else "white")
        _log_axis(ax)
        panel_title(ax, k, wrap(term_labels.get(term, term), 24))
        ax.set_yticks(list(ys.values()), [wrap(model_labels.get(m, m), 28) for m in ys])
    for k in range(len(terms), nrow * ncol):
        axes[k // ncol][k % ncol].set_axis_off()
    fig.supxlabel(wrap("Razón de tasas de incidencia con su intervalo de 95 % (escala logarítmica); "
                       "punto relleno: cambio que la regla informa", 60))
    fig.tight_layout()
    return fig


def plot_leave_one_state_out(loo: pd.DataFrame, estimates: pd.DataFrame, terms: list[str],
                             term_labels: dict[str, str], state_names: dict[str, str], model: str = "nb2") -> Figure:
    """One panel per term: the IRR re-estimated without each state (a point per state), the full-sample
    IRR (line) and its CR3 interval (band). The states that give the lowest and the highest ratio are named."""
    ncol = 2
    nrow = int(np.ceil(len(terms) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.4, 2.3 * nrow + 1), squeeze=False)
    palette = sns.color_palette()
    main = estimates[estimates.model == model].set_index("term")
    for k, term in enumerate(terms):
        ax = axes[k // ncol][k % ncol]
        reps = loo[(loo.param == term) & loo.converged.astype(bool)].copy()
        reps["irr"] = np.exp(reps.coef)
        reps = reps.sort_values("irr").reset_index(drop=True)
        r = main.loc[term]
        ax.axvspan(float(r.ci_low), float(r.ci_high), color=palette[0], alpha=0.12, label="IC 95 % CR3")
        ax.axvline(float(r.irr), color=palette[0], linewidth=1.5, label="Estimación con las 32 entidades")
        ax.plot(reps.irr, np.zeros(len(reps)) + np.linspace(-0.3, 0.3, len(reps)), "o", color=palette[1], markersize=4,
                label="Sin una entidad")
        far = reps.iloc[[0, -1]] if len(reps) > 1 else reps  # the lowest and the highest: opposite ends, no overlap
        for f in far.itertuples():
            y = -0.3 + 0.6 * int(f.Index) / max(1, len(reps) - 1)
            ax.annotate(state_names.get(str(f.state_code), str(f.state_code)), (f.irr, y), xytext=(0, 7),
                        textcoords="offset points", ha="center", fontsize=9)
        _log_axis(ax)
        ax.set_yticks([])
        ax.set_ylim(-0.6, 0.7)
        panel_title(ax, k, wrap(term_labels.get(term, term), 40))
    for k in range(len(terms), nrow * ncol):
        axes[k // ncol][k % ncol].set_axis_off()
    legend_below(axes[-1][0], ncol=1)
    fig.supxlabel("Razón de tasas de incidencia (escala logarítmica)")
    fig.tight_layout()
    return fig
