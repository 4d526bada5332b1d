"""Figures of the count models (chapter 02): rootograms.

May import: ``analysis.analyses.models`` (fits), ``analysis.viz.style``, matplotlib and seaborn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from analysis.analyses.models import Fit, predicted_frequencies


def plot_rootograms(fits: dict[str, Fit], y: np.ndarray, max_count: int = 20) -> plt.Figure:
    """Hanging rootograms: bars of sqrt(observed) hang from the curve of sqrt(expected)."""
    observed = np.bincount(np.minimum(y, max_count + 1), minlength=max_count + 2)[: max_count + 1]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey=True)
    ks = np.arange(max_count + 1)
    titles = {"poisson": "Poisson", "nb2": "Binomial negativa (NB2)", "zinb": "NB2 inflada en ceros",
              "hurdle": "Hurdle (NB2 truncada)"}
    palette = sns.color_palette()
    for ax, (name, fit) in zip(axes.ravel(), fits.items(), strict=True):
        if fit.result is None:
            ax.set_title(titles.get(name, name))
            ax.text(0.5, 0.5, "No se pudo estimar", ha="center", va="center", transform=ax.transAxes)
            continue
        expected = np.sqrt(predicted_frequencies(fit, max_count))
        ax.bar(ks, np.sqrt(observed), bottom=expected - np.sqrt(observed), color=palette[0], alpha=0.6,
               label="Observado (colgante)")
        ax.plot(ks, expected, color=palette[1], marker="o", markersize=3, label="Esperado")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(titles.get(name, name))
    for ax in axes[1]:
        ax.set_xlabel("Vínculos internacionales del municipio")
    for ax in axes[:, 0]:
        ax.set_ylabel("√ frecuencia")
    axes[0, 0].legend(loc="upper right")
    fig.suptitle("Rootogramas colgantes de los modelos de conteo")
    fig.tight_layout()
    return fig
