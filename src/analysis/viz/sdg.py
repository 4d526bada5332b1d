"""Figures of the development-plans chapter (04): SDGs by municipality and by axis, targets by axis,
cooperation mentions.

May import: ``analysis.viz.style``, matplotlib, seaborn, pandas. The notebook passes the tables
``analysis.analyses.sdg`` computes (``goal_shares``, ``cooperation_by_plan``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.viz.style import SEQUENTIAL_CMAP, demo_mark, legend_below, percent_format, text_colour, wrap

DEMO = "DEMOSTRACIÓN: extractos de planes escritos para el compendio"
#: What a table caption built from the demonstration plans ends with.
DEMO_CAPTION = " (DEMOSTRACIÓN: extractos de planes escritos para el compendio)"


def _demo_mark(fig: Figure, demo: bool) -> None:
    if demo:
        demo_mark(fig, DEMO)


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
    d = shares.rename(index=lambda s: wrap(s, 26))
    fig, ax = plt.subplots(figsize=(7.4, 0.55 * len(d) + 2.2))
    sns.heatmap(d, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=max(0.01, float(shares.max().max())),
                cbar_kws={"label": "% de los segmentos", "format": percent_format()}, ax=ax)
    if annotate:
        _annotate_shares(ax, shares)
    ax.set(title=wrap(title, 60), xlabel="ODS", ylabel=ylabel)
    ax.tick_params(axis="x", rotation=0)
    if annotate:
        # under the axis label, at a fixed distance in points (a fraction of the axes would hit the label
        # on a short figure)
        ax.annotate("Números: porcentaje de los segmentos (sólo los de 5 % o más).", xy=(0, 0),
                    xycoords="axes fraction", xytext=(0, -46), textcoords="offset points", fontsize=9, va="top",
                    color="0.3")
    _demo_mark(fig, demo)
    return fig


def plot_cooperation(stack: pd.DataFrame, title: str, demo: bool = True) -> Figure:
    """Stacked horizontal bars of cooperation mentions per plan, by category; the legend under the bars."""
    d = stack.rename(index=lambda s: wrap(s, 22), columns=lambda s: wrap(s, 30))
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(d) + 2.5))
    d.plot.barh(stacked=True, ax=ax, width=0.8)
    ax.set(title=wrap(title, 60), xlabel="Menciones", ylabel="")
    legend_below(ax, ncol=2)
    _demo_mark(fig, demo)
    return fig


def plot_target_matrix(matrix: pd.DataFrame, title: str, demo: bool = True) -> Figure:
    """Heat map of the number of segments whose suggested SDG target (columns, "11.2") is each one, per
    row (the axes of a plan); every non-zero cell carries its count, in black or white by contrast, and
    the empty cells are left blank. The counts are written, so there is no colour bar: the columns get
    its room at the width of the book's column."""
    d = matrix.rename(index=lambda s: wrap(s, 22))
    fig, ax = plt.subplots(figsize=(7.4, 0.7 * len(d) + 2.4))
    sns.heatmap(d, cmap=SEQUENTIAL_CMAP, vmin=0, cbar=False, mask=d.to_numpy() == 0,
                linewidths=0.5, linecolor="0.9", ax=ax)  # empty cells stay blank
    cmap, norm = ax.collections[0].cmap, ax.collections[0].norm
    for i, row in enumerate(d.to_numpy()):
        for j, v in enumerate(row):
            if pd.notna(v) and v > 0:
                ax.text(j + 0.5, i + 0.5, f"{int(v)}", ha="center", va="center", fontsize=9,
                        color=text_colour(cmap(norm(v))))
    ax.set(title=wrap(title, 60), xlabel="Meta ODS sugerida", ylabel="")
    ax.tick_params(axis="x", rotation=90)
    _demo_mark(fig, demo)
    return fig
