"""One figure style for the whole compendium, and deterministic figure files.

Spanish labels are the caller's job; this module fixes the theme (seaborn "whitegrid", the
colour-blind-safe palette), and writes each figure as PNG (for the book and print) and SVG
(diffable, compared by nbval) without timestamps, so reruns leave files byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns

from analysis import paths

PALETTE = "colorblind"
#: Sequential colour map for choropleths (perceptually uniform, readable in grey and by
#: readers with colour-vision deficiencies).
SEQUENTIAL_CMAP = "viridis"


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
            "figure.figsize": (8, 4.5),
        }
    )


def save_figure(fig: plt.Figure, name: str, folder: Path | None = None) -> list[Path]:
    """Save ``fig`` as ``<name>.png`` and ``<name>.svg`` under data/processed/figures."""
    folder = folder or paths.FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        target = folder / f"{name}.{ext}"
        fig.savefig(target, format=ext, metadata=meta)
        out.append(target)
    return out
