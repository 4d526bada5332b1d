"""Figures of the partner finder (chapter 06).

May import: ``analysis.viz.style``, matplotlib, numpy, pandas.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def plot_evaluation(summary: pd.DataFrame) -> Figure:
    """Bars of hit@10 and MRR per method with their 95% bootstrap intervals (Spanish labels)."""

    s = summary[summary.method.isin(["modelo", "popularidad", "aleatorio"])].reset_index(drop=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, (col, lo, hi, title) in zip(axes, [("hit_at_10", "hit_low", "hit_high", "Acierto en los 10 primeros"),
                                              ("mrr", "mrr_low", "mrr_high", "Rango recíproco medio")], strict=True):
        err = np.vstack([s[col] - s[lo], s[hi] - s[col]])
        ax.bar(s.method, s[col], yerr=err, capsize=6, color=["C0", "C1", "C7"])
        ax.set_title(title)
        ax.set_xlabel("Método")
        ax.set_ylabel("Proporción" if col == "hit_at_10" else "RRM")
    fig.suptitle("Evaluación dejando fuera un hermanamiento (IC 95 % bootstrap por municipio)")
    fig.tight_layout()
    return fig
