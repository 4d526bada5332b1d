"""Figures of the Quintana Roo case study (chapter 05).

May import: ``analysis.util``, ``analysis.analyses.casestudy``, ``analysis.viz.style``, matplotlib, geopandas.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.analyses.casestudy import BJ_CODE, CANCUN_LAT, CANCUN_LON, SCOPE_ES
from analysis.util.spatial import great_circle_points, split_antimeridian, unwrap_antimeridian
from analysis.viz.style import SEQUENTIAL_CMAP, legend_below, panel_title, place_labels, thousands, wrap

SCOPE_COLOURS = {"national": "#0072B2", "international": "#D55E00"}  # Okabe-Ito: blue, vermillion


def _scope_legend(ax: Axes, **kwargs: Any) -> None:

    handles = [Line2D([0], [0], color=c, lw=2, label=SCOPE_ES[s]) for s, c in SCOPE_COLOURS.items()]
    ax.legend(handles=handles, title="Alcance", **kwargs)


def plot_cumulative(cumulative: pd.DataFrame) -> Figure:
    """Step chart of the cumulative agreements per scope and in all."""
    fig, ax = plt.subplots()
    for scope, colour in SCOPE_COLOURS.items():
        ax.step(cumulative.year, cumulative[scope], where="post", color=colour, lw=2, label=SCOPE_ES[scope])
    ax.step(cumulative.year, cumulative.total, where="post", color="0.3", lw=1.5, ls="--", label="total")
    ax.set(title="Hermanamientos acumulados de Benito Juárez, 1985-2021", xlabel="Año", ylabel="Acuerdos acumulados")
    ax.legend(title="Alcance", loc="upper left")  # the curves start at zero: the upper left is empty
    return fig


def plot_per_decade(decades: pd.DataFrame) -> Figure:
    """Stacked bars of agreements per decade and scope."""
    fig, ax = plt.subplots(figsize=(7, 4))
    labels = [f"{d}s" for d in decades.decade]
    bottom = np.zeros(len(decades))
    for scope, colour in SCOPE_COLOURS.items():
        ax.bar(labels, decades[scope], bottom=bottom, color=colour, label=SCOPE_ES[scope])
        bottom += decades[scope].to_numpy()
    ax.set(title="Hermanamientos por década de firma", xlabel="Década", ylabel="Acuerdos")
    legend_below(ax, title="Alcance")
    return fig


def plot_distances(agreements: pd.DataFrame) -> Figure:
    """Horizontal bars: great-circle distance from Cancún to each partner."""
    data = agreements.sort_values("distance_km")
    fig, ax = plt.subplots(figsize=(7.2, 6.5))
    ax.barh(data.partner_city, data.distance_km, color=data.scope.map(SCOPE_COLOURS))
    ax.set(title="Distancia ortodrómica desde Cancún a cada ciudad hermana", xlabel="Distancia (km)", ylabel="")
    thousands(ax, "x")
    _scope_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.62 / (ax.get_position().height * 6.5)),
                  ncol=2, frameon=False)
    return fig


def _draw_links(ax: Axes, agreements: pd.DataFrame, n: int = 96) -> None:
    for _, row in agreements.iterrows():
        pts = great_circle_points(CANCUN_LAT, CANCUN_LON, row.partner_lat, row.partner_lon, n=n)
        for segment in split_antimeridian(pts):
            xs, ys = zip(*segment, strict=True)
            ax.plot(xs, ys, color=SCOPE_COLOURS[row.scope], lw=1.2, alpha=0.85)
        ax.plot(row.partner_lon, row.partner_lat, "o", ms=4, color=SCOPE_COLOURS[row.scope])
    ax.plot(CANCUN_LON, CANCUN_LAT, "*", ms=12, color="black", zorder=5)


def plot_links_world(agreements: pd.DataFrame, world: gpd.GeoDataFrame) -> Figure:
    """World map with great circles from Cancún to each partner."""
    fig, ax = plt.subplots(figsize=(7.4, 4.2))
    world = world.assign(geometry=world.geometry.map(unwrap_antimeridian))
    world.plot(ax=ax, color="0.9", edgecolor="0.6", linewidth=0.3)
    _draw_links(ax, agreements)
    ax.set(title=wrap("Ciudades hermanas de Benito Juárez (Tabla 1): vínculos desde Cancún", 60), xlabel="Longitud",
           ylabel="Latitud", xlim=(-180, 180), ylim=(-60, 85))
    for label in (ax.xaxis.label, ax.yaxis.label):  # GeoDataFrame.plot sets the axis labels smaller than the theme
        label.set_fontsize(plt.rcParams["axes.labelsize"])
    _scope_legend(ax, loc="lower left")
    return fig


def plot_links_mexico(agreements: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> Figure:
    """Map of Mexico: the partner municipalities shaded, links from Cancún drawn."""
    national = agreements[agreements.scope == "national"]
    fig, ax = plt.subplots(figsize=(7.4, 5))
    boundaries.plot(ax=ax, color="0.93", edgecolor="0.75", linewidth=0.1)
    boundaries[boundaries.inegi_code.isin(national.inegi_code_partner)].plot(ax=ax, color=SCOPE_COLOURS["national"], alpha=0.6)
    boundaries[boundaries.inegi_code == BJ_CODE].plot(ax=ax, color="black")
    _draw_links(ax, national, n=32)
    ax.set(title="Hermanamientos nacionales de Benito Juárez", xlim=(-118, -86), ylim=(14, 33))
    ax.set_axis_off()
    place_labels(ax, list(national.partner_lon), list(national.partner_lat), list(national.partner_city))
    return fig


def label_positions(points: pd.DataFrame, lo: float, hi: float, min_gap: float) -> list[float]:
    """Label heights for points sorted from north to south: as near their own latitude as the
    minimum gap between labels allows, inside ``[lo, hi]`` (no two labels overlap)."""
    ys = list(points.sort_values("y", ascending=False).y)
    out: list[float] = []
    for y in ys:
        out.append(min(y, hi) if not out else min(y, out[-1] - min_gap))
    overflow = lo - out[-1] if out else 0
    if overflow > 0:  # pushed below the frame: shift the whole column up, keeping the gaps
        out = [min(hi, y + overflow) for y in out]
        for i in range(1, len(out)):
            out[i] = min(out[i], out[i - 1] - min_gap)
    return out


def _label_municipalities(ax: Axes, qroo: gpd.GeoDataFrame, fontsize: float = 9.5) -> None:
    """Every municipality's name in two columns outside the state (west and east of it), joined to
    the municipality by a leader line; labels never overlap each other or the map."""
    pts = qroo.geometry.representative_point()
    frame = pd.DataFrame({"name": qroo["name"].to_numpy(), "x": pts.x.to_numpy(), "y": pts.y.to_numpy()})
    minx, miny, maxx, maxy = qroo.total_bounds
    mid = (minx + maxx) / 2
    gap = (maxy - miny) / 12
    for side, part in (("west", frame[frame.x < mid]), ("east", frame[frame.x >= mid])):
        if part.empty:
            continue
        part = part.sort_values("y", ascending=False)
        heights = label_positions(part, miny, maxy, gap)
        x_text = minx - 0.25 if side == "west" else maxx + 0.25
        for (_, row), y_text in zip(part.iterrows(), heights, strict=True):
            ax.annotate(row["name"], (row.x, row.y), xytext=(x_text, y_text), ha="right" if side == "west" else "left",
                        va="center", fontsize=fontsize,
                        arrowprops={"arrowstyle": "-", "color": "0.35", "lw": 0.7, "shrinkA": 2, "shrinkB": 0})
        ax.plot(part.x, part.y, "o", ms=3, color="white", mec="0.2", mew=0.6, zorder=4)


def plot_qroo_choropleth(qroo: gpd.GeoDataFrame) -> Figure:
    """Three choropleths of the state's municipalities: (a) population 2020, (b) links and (c) links per
    100,000 inhabitants. Panel (a) names every municipality, outside the map, with leader lines."""
    # (a) across the column with its labels, (b) and (c) side by side under it: at the width of the
    # book's column three maps in a row would be too small to read.
    fig = plt.figure(figsize=(7.4, 10))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1], hspace=0.1, wspace=0.05)
    axes = [fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])]
    panels = [("population_2020", "Población 2020", "miles de habitantes", 1e-3),
              ("links", "Vínculos internacionales", "vínculos", 1.0),
              ("links_per_100k", "Vínculos por 100 mil habitantes", "vínculos por 100 mil hab.", 1.0)]
    minx, _, maxx, _ = qroo.total_bounds
    for i, (ax, (col, title, unit, scale)) in enumerate(zip(axes, panels, strict=True)):
        qroo.assign(value=qroo[col] * scale).plot(
            column="value", ax=ax, cmap=SEQUENTIAL_CMAP, edgecolor="white", linewidth=0.6, legend=True,
            legend_kwds={"shrink": 0.5 if i == 0 else 0.8, "orientation": "horizontal", "pad": 0.03, "label": unit})
        if i == 0:
            _label_municipalities(ax, qroo)
            ax.set_xlim(minx - 1.9, maxx + 1.7)
        panel_title(ax, i, wrap(title, 22) if i else title)
        ax.set_aspect("equal")
        ax.set_axis_off()
    for cax in fig.axes[3:]:  # the colour bars: Mexican number format
        thousands(cax, "x")
    fig.suptitle("Municipios de Quintana Roo", fontweight="bold")
    return fig


def plot_timeline(timeline: pd.DataFrame) -> Figure:
    """Institutional timeline: one row per event, a dot at its date and the label beside it."""
    texts = [wrap(f"{d}: {e}", 40) for d, e in zip(timeline.date, timeline.event, strict=True)]
    lines = np.array([t.count("\n") + 1 for t in texts])
    step = np.maximum(lines, 1) * 0.5 + 0.35  # room for every line of every label
    ys = -np.concatenate([[0], np.cumsum((step[:-1] + step[1:]) / 2)])
    fig, ax = plt.subplots(figsize=(7.4, 0.42 * step.sum() + 1.4))
    years = timeline.date.map(_decimal_year).to_numpy()
    ax.scatter(years, ys, color="#009E73", s=40, zorder=3)
    mid = (years.min() + years.max()) / 2
    for x, y, text in zip(years, ys, texts, strict=True):
        left = x < mid
        ax.annotate(text, (x, y), xytext=(8 if left else -8, 0),
                    textcoords="offset points", ha="left" if left else "right", va="center", fontsize=9.5)
    ax.set(title=wrap("Cronología institucional de Benito Juárez y de su acción exterior", 60), xlabel="Año",
           xlim=(years.min() - 2, years.max() + 2), ylim=(ys.min() - step[-1], step[0]))
    ax.get_yaxis().set_visible(False)
    ax.grid(False, axis="y")
    return fig


def _decimal_year(date: str) -> float:
    parts = [int(p) for p in date.split("-")]
    year, month, day = [*parts, 7, 1][:3] if len(parts) == 1 else [*parts, 15][:3]
    return year + (month - 1) / 12 + (day - 1) / 365
