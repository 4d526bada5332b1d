"""One figure style for the whole compendium, and deterministic figure files.

The theme (seaborn "whitegrid", the colour-blind-safe palette, no text smaller than
:data:`MIN_FONT` points) and the helpers every chapter's figures use, so that all figures read
alike:

* :func:`legend_below` puts a legend under the axes, where it cannot cover bars or lines;
* :func:`wrap` breaks long labels over lines instead of cutting them with "…";
* :func:`humanize` shows a code (``autoridad_municipal``) as words ("autoridad municipal");
* :func:`thousands` formats an axis in the Mexican way (12,345; 0.5);
* :func:`text_colour` picks black or white text for a given background (no dark on dark);
* :func:`panel_title` numbers the panels of a figure "(a)", "(b)", … so captions can name them;
* :func:`place_labels` labels points without letting two labels overlap;
* :func:`demo_mark` marks a figure drawn from demonstration material;
* :func:`mostrar` shows a figure with its alternative text (and saves it), once;
* :func:`percent_format` labels a colour bar or an axis of proportions in percent, the unit the
  cells and the label speak;
* :func:`fit_to_column` narrows a figure drawn wider than the book's column (its text keeps its size),
  which :func:`mostrar` and :func:`save_figure` do before writing it;
* :func:`shown_small_text` lists the texts that fall under :data:`MIN_FONT` points at the width the
  book shows a figure (:data:`SHOWN_WIDTH_IN`): a wide figure is scaled down to the page, and its
  text with it.

Spanish labels are the caller's job. Each figure is written as PNG (for the book and print) and
SVG (diffable, compared by nbval) without timestamps, so reruns leave files byte-identical.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis import paths

PALETTE = "colorblind"
#: Sequential colour map for choropleths (perceptually uniform, readable in grey and by
#: readers with colour-vision deficiencies).
SEQUENTIAL_CMAP = "viridis"
#: The smallest text a figure may carry (points), labels and annotations included.
MIN_FONT = 9
#: The width at which the book shows a figure: the text column of a page at 1280 px (about 730 CSS
#: pixels, 96 to the inch). A figure drawn wider is scaled down to it, and its text with it.
SHOWN_WIDTH_IN = 7.6
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def set_theme() -> None:
    """Apply the compendium's theme; call once at the top of each notebook."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "svg.hashsalt": "compendio",  # stable ids inside SVG files
            "svg.fonttype": "none",
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.labelsize": 10.5,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.title_fontsize": 10,
            "font.size": 10,
            "figure.figsize": (7.2, 4.5),  # with its labels, within SHOWN_WIDTH_IN
            "axes.formatter.use_locale": False,
        }
    )


def legend_below(ax: Axes, ncol: int | None = None, title: str | None = None, **kwargs: object) -> None:
    """A legend centred under the axes (outside the plotting area), in one or more columns."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    fig = ax.get_figure(root=True)
    height_in = ax.get_position().height * (fig.get_figheight() if fig is not None else 4.5)
    below = 0.62 if ax.get_xlabel() else 0.35  # inches taken by the tick labels (and the axis label)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -below / height_in), frameon=False,
              ncol=ncol or min(len(labels), 4), title=title, **kwargs)


def wrap(label: object, width: int = 28) -> str:
    """Break a long label over several lines (never cut it)."""
    return "\n".join(textwrap.wrap(str(label), width=width, break_long_words=False)) or str(label)


def humanize(code: object) -> str:
    """A snake_case code as words: ``autoridad_municipal`` → "autoridad municipal"; other text unchanged."""
    text = str(code)
    return text.replace("_", " ") if SNAKE.match(text) else text


def number_es(value: float, decimals: int = 0) -> str:
    """Mexican number format: comma for thousands, point for decimals."""
    return f"{value:,.{decimals}f}"


def thousands(ax: Axes, axis: str = "x", decimals: int = 0) -> None:
    """Tick labels in the Mexican format (12,345)."""
    fmt = FuncFormatter(lambda v, _pos: number_es(v, decimals))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def text_colour(background: object) -> str:
    """Black or white, whichever reads better on ``background`` (relative luminance, WCAG)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(background))  # type: ignore[arg-type]
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.179 else "white"


def panel_title(ax: Axes, index: int, title: str) -> None:
    """Title a panel "(a) …", "(b) …" so that a caption can refer to it by letter."""
    ax.set_title(f"({'abcdefghijklmnopqrstuvwxyz'[index]}) {title}", loc="left")


def place_labels(ax: Axes, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str],
                 fontsize: float = 9.5) -> list[mpl.text.Text]:
    """Label points without overlaps: each label tries a few positions around its point (right,
    left, above, below, then farther) and takes the first that overlaps no label already placed."""
    fig = ax.get_figure(root=True)
    if fig is None:
        raise ValueError("place_labels: the axes belong to no figure.")
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    offsets = [(5, 3, "left", "bottom"), (-5, 3, "right", "bottom"), (5, -3, "left", "top"), (-5, -3, "right", "top"),
               (0, 8, "center", "bottom"), (0, -8, "center", "top"), (12, 12, "left", "bottom"),
               (-12, -12, "right", "top"), (12, -14, "left", "top"), (-12, 14, "right", "bottom")]
    placed: list[mpl.text.Text] = []
    boxes: list[Any] = []
    for x, y, label in zip(xs, ys, labels, strict=True):
        for i, (dx, dy, ha, va) in enumerate(offsets):
            t = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=fontsize,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.85, "lw": 0})
            box = t.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(b) for b in boxes) or i == len(offsets) - 1:
                placed.append(t)
                boxes.append(box)
                break
            t.remove()
    return placed


def demo_mark(fig: Figure, text: str) -> None:
    """A visible mark, in red above the figure, on figures drawn from demonstration material.

    Written above everything the figure holds (the figure is saved with a tight bounding box, which
    grows to include it), so it never covers a legend, a label or the data.
    """
    top = max((ax.get_position().y1 for ax in fig.axes), default=0.95)
    above_title = (28 / 72) / fig.get_figheight()  # a bold 12-pt title and its padding, as a fraction of the height
    # a title over two lines (or anything else above the axes) is taller: go above what is drawn there
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]
    drawn = max((b.y1 for b in boxes if b is not None), default=0.0) / fig.bbox.height
    y = max(top + above_title, drawn + (4 / 72) / fig.get_figheight())
    fig.text(0.5, y, text, ha="center", va="bottom", fontsize=11, color="#b00020", fontweight="bold")


def small_text(fig: Figure) -> list[str]:
    """Texts of ``fig`` smaller than MIN_FONT points (for tests: a figure should have none)."""
    hidden = {id(a.label) for ax in fig.axes if not ax.axison for a in (ax.xaxis, ax.yaxis)}

    def shown(t: mpl.text.Text) -> bool:
        return (bool(t.get_text().strip()) and t.get_visible() and id(t) not in hidden
                and not (t.axes is not None and not t.axes.axison))

    return [f"{t.get_text()!r} ({t.get_fontsize():.1f} pt)" for t in fig.findobj(mpl.text.Text)
            if shown(t) and float(t.get_fontsize()) < MIN_FONT - 1e-6]


def percent_format(decimals: int = 0) -> FuncFormatter:
    """Tick labels of proportions (0–1) written as percentages ("25 %"), for a colour bar whose
    cells show percentages: ``cbar_kws={"label": "% de los segmentos", "format": percent_format()}``."""
    return FuncFormatter(lambda v, _pos: f"{100 * v:,.{decimals}f}\u00a0%")


def shown_scale(fig: Figure, shown_width_in: float = SHOWN_WIDTH_IN) -> float:
    """How much the book scales ``fig`` down to fit its text column (1 when it fits).

    The width is the saved one (tight bounding box), so labels outside the axes count."""
    canvas = fig.canvas
    renderer = canvas.get_renderer()  # type: ignore[attr-defined]
    width_in = fig.get_tightbbox(renderer).width
    return min(1.0, shown_width_in / width_in) if width_in > 0 else 1.0


def shown_small_text(fig: Figure, shown_width_in: float = SHOWN_WIDTH_IN) -> list[str]:
    """Texts of ``fig`` smaller than MIN_FONT points once the book scales the figure to its column."""
    scale = shown_scale(fig, shown_width_in)
    found = []
    for t in fig.findobj(mpl.text.Text):
        if not (t.get_text().strip() and t.get_visible()) or (t.axes is not None and not t.axes.axison):
            continue
        shown = float(t.get_fontsize()) * scale
        if shown < MIN_FONT - 1e-6:
            found.append(f"{t.get_text()!r} ({shown:.1f} pt at the shown width)")
    return found


def _saved_width_in(fig: Figure) -> float:
    """The width of the saved file (tight bounding box plus its padding), in inches."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    pad = float(mpl.rcParams["savefig.pad_inches"]) if mpl.rcParams["savefig.bbox"] == "tight" else 0.0
    if mpl.rcParams["savefig.bbox"] != "tight":
        return float(fig.get_figwidth())
    return float(fig.get_tightbbox(renderer).width) + 2 * pad


def fit_to_column(fig: Figure, shown_width_in: float = SHOWN_WIDTH_IN, rounds: int = 12) -> float:
    """Narrow ``fig`` until its saved file is no wider than the book's column, and return that width.

    The book scales a wider figure down to the column, and its text with it (10-pt labels on a
    figure twice as wide are 5 pt on the page). Narrowing the figure instead keeps every text at its
    size and gives the axes less room; the height stays. A figure laid out with a layout engine
    (``layout="constrained"`` or ``"tight"``) is laid out again at the new width.
    """
    target = shown_width_in - 0.02
    for _ in range(rounds):
        width = _saved_width_in(fig)
        if width <= target:
            return width
        fig_width = float(fig.get_figwidth())
        # The axes shrink with the figure; text outside them does not: shrink by the ratio (never
        # overshoots) and repeat until the fixed-size labels fit as well.
        new_width = max(fig_width * target / width, fig_width - (width - target) * 1.5, 1.0)
        fig.set_size_inches(new_width, fig.get_figheight())
    return _saved_width_in(fig)


@dataclass
class Figura:
    """A figure shown with its alternative text: the notebook displays it as HTML
    (``<img alt="…">``, the PNG inline), so the book's page carries the description a screen
    reader needs instead of the image's file name."""

    png: bytes
    alt: str
    name: str = ""

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        ident = f' id="fig-{html.escape(self.name)}"' if self.name else ""
        return (f'<figure class="figura"{ident}><img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
                f'style="max-width:100%;height:auto"></figure>')


def mostrar(fig: Figure, alt: str, nombre: str = "", folder: Path | None = None) -> Figura:
    """Show ``fig`` in the notebook with the alternative text ``alt`` (Spanish, one or two sentences
    saying what the figure shows); with ``nombre``, also save it as :func:`save_figure` does. The
    figure is closed, so the notebook shows it once::

        fig = vds.plot_coverage_by_state(by_state, national["coverage_pct"])
        plots.mostrar(fig, "Barras horizontales del porcentaje de municipios con vínculos en cada "
                           "entidad; Baja California y Quintana Roo encabezan.", nombre="01_cobertura_estado")
    """
    text = alt.strip()
    if len(text) < 15 or re.fullmatch(r"\S*[/\\.]\S*", text):
        raise ValueError(f"mostrar: alt text {alt!r} must describe the figure in words (not a file name).")
    fit_to_column(fig)
    if nombre:
        save_figure(fig, nombre, folder)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return Figura(buf.getvalue(), text, nombre)


def save_figure(fig: Figure, name: str, folder: Path | None = None) -> list[Path]:
    """Save ``fig`` as ``<name>.png`` and ``<name>.svg`` under data/processed/figures, no wider than
    the book's column (:func:`fit_to_column`)."""
    fit_to_column(fig)
    folder = folder or paths.FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        target = folder / f"{name}.{ext}"
        tmp = target.with_name(f".{target.name}.tmp")
        fig.savefig(tmp, format=ext, metadata=meta)
        tmp.replace(target)  # atomic: a reader never sees half a figure
        out.append(target)
    return out
