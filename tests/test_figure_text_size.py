"""Figure text a reader can read: at least 9 pt at the width the book shows each figure.

The book scales a figure down to its text column (``analysis.viz.style.SHOWN_WIDTH_IN``), and its
text with it: 10-pt labels on a figure twice as wide as the column are 5 pt on the page. This check
reads the SVG files the notebooks write (data/processed/figures; text is kept as text, with its size
in points) and computes each label's size at the shown width. Figures that still fail are listed in
``PENDING`` with their smallest shown size; an entry that passes fails the test, so the list shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import paths
from analysis.viz.style import MIN_FONT, SHOWN_WIDTH_IN

FIGURES = paths.FIGURES
WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"')
FONT = re.compile(r"<text[^>]*font-size:\s*([\d.]+)px")

#: Figures whose text is still under MIN_FONT at the shown width (their chapters redraw them).
PENDING: set[str] = set()


def smallest_shown_pt(svg_text: str, shown_width_in: float = SHOWN_WIDTH_IN) -> float | None:
    """The smallest text size, in points, once the figure is scaled to the column; None without text."""
    width = WIDTH.search(svg_text)
    sizes = [float(s) for s in FONT.findall(svg_text)]
    if not width or not sizes:
        return None
    scale = min(1.0, shown_width_in * 72 / float(width.group(1)))
    return min(sizes) * scale


def figure_files() -> list[Path]:
    return sorted(FIGURES.glob("*.svg"))


@pytest.mark.build
def test_figure_text_is_at_least_9_pt_at_the_shown_width() -> None:
    files = figure_files()
    if not files:
        pytest.fail(f"no figures in {FIGURES}; run the pipeline (`python -m analysis run`) first.")
    small = {}
    for path in files:
        pt = smallest_shown_pt(path.read_text(encoding="utf-8"))
        if pt is not None and pt < MIN_FONT - 0.05:
            small[path.stem] = pt
    new = {k: f"{v:.1f} pt" for k, v in small.items() if k not in PENDING}
    assert not new, f"figure text under {MIN_FONT} pt at the shown width: {new}"
    fixed = sorted(PENDING - set(small))
    assert not fixed, f"these figures now pass; remove them from PENDING: {fixed}"


def test_the_size_check_scales_wide_figures() -> None:
    narrow = '<svg width="400pt" height="300pt"><text style="font-size: 10px">a</text></svg>'
    wide = '<svg width="1094.4pt" height="300pt"><text style="font-size: 10px">a</text></svg>'
    assert smallest_shown_pt(narrow) == 10
    assert smallest_shown_pt(wide) == pytest.approx(5.0)
    assert smallest_shown_pt('<svg width="400pt"></svg>') is None
