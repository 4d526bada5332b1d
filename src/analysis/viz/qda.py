"""Figures of the interview chapter (03): code frequencies, categories by informant type, co-occurrence.

May import: ``analysis.viz.style``, matplotlib, seaborn, pandas. The notebook passes the tables
that ``analysis.analyses.qda`` computes (``code_totals``, ``by_role``, ``cooccurrence``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.viz.style import SEQUENTIAL_CMAP, demo_mark, humanize, legend_below, text_colour, wrap

DEMO = "DEMOSTRACIÓN: entrevistas ficticias"
#: What a table caption built from the demonstration transcripts ends with.
DEMO_CAPTION = " (DEMOSTRACIÓN: entrevistas ficticias)"
#: Spanish names of the informant types and organisation types the transcripts' metadata use.
ROLES: dict[str, str] = {
    "funcionario_municipal": "funcionario municipal", "autoridad_municipal": "autoridad municipal",
    "enlace_estatal": "enlace estatal", "funcionario_federal": "funcionario federal", "academia": "academia",
    "osc": "organización de la sociedad civil",
}
#: Shorter names for table headers (the note under the table spells out "func." and "OSC").
ROLES_CORTOS: dict[str, str] = {**ROLES, "funcionario_municipal": "func. municipal",
                                "funcionario_federal": "func. federal", "osc": "OSC"}
ORGANISATIONS: dict[str, str] = {
    "municipio": "municipio", "gobierno_estatal": "gobierno estatal", "gobierno_federal": "gobierno federal",
    "academia": "academia", "osc": "organización de la sociedad civil",
}


def role_label(role: object) -> str:
    """The Spanish name of an informant type (``osc`` → "organización de la sociedad civil")."""
    return ROLES.get(str(role), humanize(role))


def code_labels(codes: pd.Series, labels: pd.Series | dict[str, str]) -> pd.Series:
    """Lists of codes written "a; b" (as the reliability tables hold them) as their Spanish labels."""
    names = labels.to_dict() if isinstance(labels, pd.Series) else dict(labels)
    return codes.fillna("").map(
        lambda s: "; ".join(names.get(c.strip(), humanize(c.strip())) for c in str(s).split(";") if c.strip()))


def _demo_mark(fig: Figure, demo: bool) -> None:
    """A visible mark on figures drawn from demonstration material."""
    if demo:
        demo_mark(fig, DEMO)


def plot_code_frequencies(totals: pd.DataFrame, demo: bool = True) -> Figure:
    """Horizontal bars of coded segments per code, coloured by category; the legend under the axes.

    ``totals`` has the columns ``label`` (code name in Spanish), ``segments`` and ``category``.
    """
    d = totals.assign(label=totals["label"].map(lambda s: wrap(humanize(s), 34)),
                      category=totals["category"].map(humanize))
    fig, ax = plt.subplots(figsize=(7.2, 0.38 * len(d) + 2))
    sns.barplot(data=d, y="label", x="segments", hue="category", dodge=False, ax=ax)
    ax.set(title="Frecuencia de los códigos", xlabel="Segmentos codificados", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 segments
    legend_below(ax, title="Categoría", ncol=2)
    _demo_mark(fig, demo)
    return fig


def plot_categories_by_role(by_role: pd.DataFrame, demo: bool = True) -> Figure:
    """Heat map of the share (%) of segments in each category, by type of informant.

    Row and column labels are shown as words (``autoridad_municipal`` → "autoridad municipal");
    each number is written in black or white, whichever reads on its cell.
    """
    d = by_role.rename(index=lambda s: wrap(humanize(s), 18), columns=lambda s: wrap(role_label(s), 10))
    fig, ax = plt.subplots(figsize=(min(7.2, 1.2 * d.shape[1] + 3), 0.6 * d.shape[0] + 1.8))
    sns.heatmap(d, annot=False, cmap=SEQUENTIAL_CMAP, cbar_kws={"label": "% de los segmentos", "fraction": 0.06, "pad": 0.03},
                ax=ax)  # a slim colour bar: the columns take its room
    cmap, norm = ax.collections[0].cmap, ax.collections[0].norm
    for i, row in enumerate(d.to_numpy()):
        for j, v in enumerate(row):
            if pd.notna(v):
                ax.text(j + 0.5, i + 0.5, f"{v:.0f}", ha="center", va="center", fontsize=10,
                        color=text_colour(cmap(norm(v))))
    ax.set(title="Categorías por tipo de informante", xlabel="Tipo de informante", ylabel="Categoría")
    ax.tick_params(axis="x", rotation=0, labelsize=9)  # six roles across the book's column
    _demo_mark(fig, demo)
    return fig


def plot_cooccurrence(coef: pd.DataFrame, labels: pd.Series | dict[str, str], demo: bool = True) -> Figure:
    """Heat map of the co-occurrence coefficient c between codes (0 to 1), codes named in Spanish.

    The diagonal (a code with itself, always 1) is left blank so that it does not dominate the colours.
    The rows carry the codes' names, numbered; the columns, the same numbers.
    """
    names = (labels.to_dict() if isinstance(labels, pd.Series) else dict(labels))
    # At the width of the book's column the codes' names fit once, beside the rows; the columns carry
    # the rows' numbers.
    rows = [wrap(f"{i}. {humanize(names.get(c, c))}", 32) for i, c in enumerate(coef.index, start=1)]
    d = pd.DataFrame(coef.to_numpy(), index=rows, columns=[str(i) for i in range(1, coef.shape[1] + 1)])
    fig, ax = plt.subplots(figsize=(7.4, 0.36 * len(d) + 2.2))
    sns.heatmap(d, cmap="mako_r", vmin=0, vmax=1, cbar_kws={"label": "coeficiente c", "shrink": 0.7},
                mask=np.eye(len(d), dtype=bool), ax=ax)
    ax.set(title="Coocurrencia de códigos", xlabel="Código (número de su fila)", ylabel="")
    ax.tick_params(axis="x", rotation=0, labelsize=9)
    ax.tick_params(axis="y", rotation=0)
    _demo_mark(fig, demo)
    return fig
