"""Figures of the count models (chapter 02): rootograms.

May import: ``analysis.analyses.models`` (fits), ``analysis.viz.style``, matplotlib and seaborn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec

from analysis.analyses.models import Fit, predicted_frequencies
from analysis.viz.style import legend_below, number_es, panel_title

TITLES = {"poisson": "Poisson", "nb2": "Binomial negativa (NB2)", "zinb": "NB2 inflada de ceros",
          "hurdle": "Hurdle (NB2 truncada)"}


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
            ax.text(0.5, 0.5, "No se pudo estimar", ha="center", va="center", transform=ax.transAxes)
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
    expected = {name: None if fit.result is None else predicted_frequencies(fit, max_count) for name, fit in fits.items()}
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
