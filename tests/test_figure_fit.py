"""A figure drawn wider than the book's column is narrowed before it is saved, its text unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.viz import style

WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"')


def _wide_figure(width_in: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(width_in, 4))
    ax.plot([0, 1], [0, 1])
    ax.set(title="Una recta", xlabel="Eje horizontal con una etiqueta larga", ylabel="Vertical")
    ax.text(0.5, 0.5, "nueve", fontsize=9)
    return fig


def test_a_wide_figure_is_saved_at_the_column_width_with_its_text_size(tmp_path: Path) -> None:
    style.set_theme()
    fig = _wide_figure(16)
    assert style.shown_small_text(fig)  # as drawn, the 9-pt text would be under 9 pt on the page
    style.save_figure(fig, "ancha", folder=tmp_path)
    svg = (tmp_path / "ancha.svg").read_text(encoding="utf-8")
    width_pt = float(WIDTH.search(svg).group(1))  # type: ignore[union-attr]
    assert width_pt <= style.SHOWN_WIDTH_IN * 72
    assert "font-size: 9px" in svg  # the text kept its size: the axes gave way
    assert style.shown_small_text(fig) == []
    plt.close(fig)


def test_a_figure_that_fits_is_left_alone() -> None:
    style.set_theme()
    fig = _wide_figure(5)
    before = fig.get_size_inches().tolist()
    style.fit_to_column(fig)
    assert fig.get_size_inches().tolist() == before
    plt.close(fig)
