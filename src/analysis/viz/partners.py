"""Figures of the partner finder (chapter 06).

May import: ``analysis.viz.style``, matplotlib, numpy, pandas.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.viz.style import wrap

METHODS = ("modelo", "gravedad", "popularidad", "popularidad_estatal", "aleatorio")
LABELS = {"modelo": "Buscador", "gravedad": "Gravedad", "popularidad": "Popularidad",
          "popularidad_estatal": "Popularidad\nen la entidad", "aleatorio": "Azar"}


def plot_evaluation(summaries: dict[str, pd.DataFrame], titles: dict[str, str] | None = None) -> Figure:
    """Bars of hit@10 per method with 95 % bootstrap intervals, one panel per protocol (Spanish labels)."""
    titles = titles or {k: k for k in summaries}
    fig, axes = plt.subplots(1, len(summaries), figsize=(7.4, 4.6), sharey=True, squeeze=False)
    for ax, (key, summary) in zip(axes[0], summaries.items(), strict=True):
        s = summary.set_index("method").loc[list(METHODS)]
        err = np.vstack([s.hit_at_10 - s.hit_low, s.hit_high - s.hit_at_10])
        ax.bar([LABELS[m] for m in METHODS], s.hit_at_10, yerr=err, capsize=5, color=["C0", "C1", "C2", "C4", "C7"])
        ax.set_title(wrap(titles[key], 28))
        ax.set_ylabel("Acierto en las 10 primeras")
        ax.tick_params(axis="x", labelsize=9, labelrotation=90)
    fig.suptitle(wrap("Evaluación del buscador frente a reglas simples (IC 95 % bootstrap por municipio)", 50))
    fig.tight_layout()
    return fig
