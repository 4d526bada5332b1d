"""Figures of the development-plans chapter (04): SDGs by municipality and by axis, cooperation mentions.

May import: ``analysis.viz.style``, matplotlib, seaborn, pandas. The notebook passes the tables
``analysis.analyses.sdg`` computes (``goal_shares``, ``cooperation_by_plan``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.viz.style import SEQUENTIAL_CMAP, legend_below, text_colour, wrap

DEMO = "DEMOSTRACIÓN: extractos de planes escritos para el compendio"


def _demo_mark(fig: Figure, demo: bool) -> None:
    if demo:
        fig.text(0.99, 0.01, DEMO, ha="right", va="bottom", fontsize=10, color="#b00020", fontweight="bold")


def _annotate_shares(ax: Axes, shares: pd.DataFrame, min_share: float = 0.05) -> None:
    """Percentages (no decimals) on the cells of at least ``min_share``, in a colour that reads on them."""
    cmap, norm = ax.collections[0].cmap, ax.collections[0].norm
    for i, row in enumerate(shares.to_numpy()):
        for j, v in enumerate(row):
            if pd.notna(v) and v >= min_share:
                ax.text(j + 0.5, i + 0.5, f"{100 * v:.0f}", ha="center", va="center", fontsize=9,
                        color=text_colour(cmap(norm(v))))


def plot_goal_shares(shares: pd.DataFrame, title: str, ylabel: str = "", demo: bool = True,
                     annotate: bool = True) -> Figure:
    """Heat map of the share of segments where each SDG (columns 1..17) is detected, per row.

    Cells of at least 5 % carry their percentage (9 pt, black or white by contrast); the others
    are left blank so the eye goes to what is there.
    """
    d = shares.rename(index=lambda s: wrap(s, 36))
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(d) + 2.2))
    sns.heatmap(d, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(0.01, float(shares.max().max())),
                cbar_kws={"label": "proporción de segmentos"}, ax=ax)
    if annotate:
        _annotate_shares(ax, shares)
    ax.set(title=wrap(title, 80), xlabel="ODS", ylabel=ylabel)
    ax.tick_params(axis="x", rotation=0)
    if annotate:
        ax.text(0, -0.08, "Números: porcentaje de los segmentos (sólo los de 5 % o más).", transform=ax.transAxes,
                fontsize=9, va="top", color="0.3")
    _demo_mark(fig, demo)
    return fig


def plot_cooperation(stack: pd.DataFrame, title: str, demo: bool = True) -> Figure:
    """Stacked horizontal bars of cooperation mentions per plan, by category; the legend under the bars."""
    d = stack.rename(index=lambda s: wrap(s, 26), columns=lambda s: wrap(s, 30))
    fig, ax = plt.subplots(figsize=(9.5, 0.5 * len(d) + 2.5))
    d.plot.barh(stacked=True, ax=ax, width=0.8)
    ax.set(title=wrap(title, 70), xlabel="Menciones", ylabel="")
    legend_below(ax, ncol=2)
    _demo_mark(fig, demo)
    return fig
