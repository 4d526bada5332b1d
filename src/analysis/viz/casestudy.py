"""Figures of the Quintana Roo case study (chapter 05).

May import: ``analysis.util``, ``analysis.analyses.casestudy``, ``analysis.viz.style``, matplotlib, geopandas.
"""

from __future__ import annotations

import textwrap

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.analyses.casestudy import BJ_CODE, CANCUN_LAT, CANCUN_LON, SCOPE_ES
from analysis.util.spatial import great_circle_points, split_antimeridian, unwrap_antimeridian
from analysis.viz.style import SEQUENTIAL_CMAP

SCOPE_COLOURS = {"national": "#0072B2", "international": "#D55E00"}  # Okabe-Ito: blue, vermillion


def _scope_legend(ax: Axes, **kwargs: object) -> None:

    handles = [Line2D([0], [0], color=c, lw=2, label=SCOPE_ES[s]) for s, c in SCOPE_COLOURS.items()]
    ax.legend(handles=handles, title="Alcance", **kwargs)


def plot_cumulative(cumulative: pd.DataFrame) -> Figure:
    """Step chart of the cumulative agreements per scope and in all."""
    fig, ax = plt.subplots()
    for scope, colour in SCOPE_COLOURS.items():
        ax.step(cumulative.year, cumulative[scope], where="post", color=colour, lw=2, label=SCOPE_ES[scope])
    ax.step(cumulative.year, cumulative.total, where="post", color="0.3", lw=1.5, ls="--", label="total")
    ax.set(title="Hermanamientos acumulados de Benito Juárez, 1985-2021", xlabel="Año", ylabel="Acuerdos acumulados")
    ax.legend(title="Alcance", loc="upper left")
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
    ax.legend(title="Alcance")
    return fig


def plot_distances(agreements: pd.DataFrame) -> Figure:
    """Horizontal bars: great-circle distance from Cancún to each partner."""
    data = agreements.sort_values("distance_km")
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.barh(data.partner_city, data.distance_km, color=data.scope.map(SCOPE_COLOURS))
    ax.set(title="Distancia ortodrómica desde Cancún a cada ciudad hermana", xlabel="Distancia (km)", ylabel="")
    _scope_legend(ax, loc="lower right")
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
    fig, ax = plt.subplots(figsize=(11, 5.5))
    world = world.assign(geometry=world.geometry.map(unwrap_antimeridian))
    world.plot(ax=ax, color="0.9", edgecolor="0.6", linewidth=0.3)
    _draw_links(ax, agreements)
    ax.set(title="Ciudades hermanas de Benito Juárez (Tabla 1): vínculos desde Cancún", xlabel="Longitud", ylabel="Latitud",
           xlim=(-180, 180), ylim=(-60, 85))
    _scope_legend(ax, loc="lower left")
    return fig


def plot_links_mexico(agreements: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> Figure:
    """Map of Mexico: the partner municipalities shaded, links from Cancún drawn."""
    national = agreements[agreements.scope == "national"]
    fig, ax = plt.subplots(figsize=(10, 6.5))
    boundaries.plot(ax=ax, color="0.93", edgecolor="0.75", linewidth=0.1)
    boundaries[boundaries.inegi_code.isin(national.inegi_code_partner)].plot(ax=ax, color=SCOPE_COLOURS["national"], alpha=0.6)
    boundaries[boundaries.inegi_code == BJ_CODE].plot(ax=ax, color="black")
    _draw_links(ax, national, n=32)
    for _, row in national.iterrows():
        ax.annotate(row.partner_city, (row.partner_lon, row.partner_lat), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set(title="Hermanamientos nacionales de Benito Juárez", xlabel="Longitud", ylabel="Latitud",
           xlim=(-118, -86), ylim=(14, 33))
    return fig


#: Label anchors (lon, lat) outside the coast for the small municipalities of the north-east.
LABEL_ANCHORS = {"23003": (-86.35, 21.45), "23005": (-86.35, 21.1), "23011": (-86.35, 20.8), "23001": (-86.35, 20.45)}


#: Label positions inside the state where the default point makes neighbouring labels overlap.
LABEL_INSIDE = {"23006": (-88.85, 20.05), "23002": (-88.0, 19.45)}


def _label_municipalities(ax: Axes, qroo: gpd.GeoDataFrame) -> None:
    for _, row in qroo.iterrows():
        p = row.geometry.representative_point()
        anchor = LABEL_ANCHORS.get(row.inegi_code)
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0}
        if anchor:
            ax.annotate(row["name"], (p.x, p.y), xytext=anchor, ha="left", va="center", fontsize=6.5, bbox=box,
                        arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.6})
        else:
            x, y = LABEL_INSIDE.get(row.inegi_code, (p.x, p.y))
            ax.annotate(row["name"], (x, y), ha="center", fontsize=6.5, bbox=box)


def plot_qroo_choropleth(qroo: gpd.GeoDataFrame) -> Figure:
    """Three choropleths of the state's municipalities: population 2020, links and links per 100,000."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 6.5))
    panels = [("population_2020", "Población 2020 (miles)", 1e-3), ("links", "Vínculos internacionales", 1.0),
              ("links_per_100k", "Vínculos por 100 000 hab.", 1.0)]
    for ax, (col, title, scale) in zip(axes, panels, strict=True):
        qroo.assign(value=qroo[col] * scale).plot(column="value", ax=ax, cmap=SEQUENTIAL_CMAP, edgecolor="white",
                                                  linewidth=0.6, legend=True,
                                                  legend_kwds={"shrink": 0.5, "orientation": "horizontal", "pad": 0.08})
        _label_municipalities(ax, qroo)
        ax.set(title=title, xlim=(-89.6, -85.3))
        ax.set_aspect("equal")
        ax.set_axis_off()
    fig.suptitle("Municipios de Quintana Roo", fontweight="bold")
    return fig


def plot_timeline(timeline: pd.DataFrame) -> Figure:
    """Institutional timeline: one row per event, a dot at its date and the label beside it."""
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(timeline) + 1.2))
    years = timeline.date.map(_decimal_year).to_numpy()
    ys = -np.arange(len(timeline))
    ax.scatter(years, ys, color="#009E73", s=40, zorder=3)
    mid = (years.min() + years.max()) / 2
    for x, y, d, e in zip(years, ys, timeline.date, timeline.event, strict=True):
        left = x < mid
        ax.annotate(f"{d}: {textwrap.shorten(e, 80, placeholder='…')}", (x, y), xytext=(8 if left else -8, 0),
                    textcoords="offset points", ha="left" if left else "right", va="center", fontsize=8)
    ax.set(title="Cronología institucional de Benito Juárez y de su acción exterior", xlabel="Año",
           xlim=(years.min() - 2, years.max() + 2), ylim=(ys.min() - 0.8, 0.8))
    ax.get_yaxis().set_visible(False)
    ax.grid(False, axis="y")
    return fig


def _decimal_year(date: str) -> float:
    parts = [int(p) for p in date.split("-")]
    year, month, day = [*parts, 7, 1][:3] if len(parts) == 1 else [*parts, 15][:3]
    return year + (month - 1) / 12 + (day - 1) / 365
