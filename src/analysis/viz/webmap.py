"""Interactive maps for the HTML book: standalone pages with Leaflet, bundled locally.

Each map is one HTML file that loads Leaflet from a relative path (``leaflet/leaflet.js``, vendored
from the npm package by ``make vendor``) and carries its data inline as GeoJSON. There is no tile
layer: the base map is drawn from the compendium's own boundaries, so a page never requests
anything from another host. Readers can pan, zoom and hover for the values; the static figure in
each chapter remains the version for print.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import paths

#: Where the book's interactive maps are written (copied to _static/ by Sphinx).
MAPS_DIR = paths.BOOK / "_vendor" / "mapas"
#: Colour-blind-safe sequential palette (viridis, 7 classes), light (few) to dark (many).
PALETTE = ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"]
#: Missing values: a mid grey, with the legend entry "sin dato".
NO_DATA = "#bdbdbd"
#: Zero: a pale land colour, distinct from missing values and outside the palette.
ZERO = "#f2f0e6"

TEMPLATE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="../leaflet/leaflet.css">
<script src="../leaflet/leaflet.js"></script>
<style>
html, body {{ margin: 0; height: 100%; font-family: sans-serif; }}
#map {{ position: absolute; top: 0; bottom: 0; width: 100%; background: #dbe7f0; }}
.legend, .views {{ background: white; padding: 5px 7px; line-height: 1.35; font-size: 12px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
.legend i {{ display: inline-block; width: 14px; height: 12px; margin-right: 6px; vertical-align: middle; }}
.legend i.point {{ width: 10px; height: 10px; border-radius: 50%; border: 1px solid #222; }}
.legend i.line {{ height: 0; border-top: 2px solid; }}
.views button {{ display: block; width: 100%; margin: 2px 0; font-size: 13px; cursor: pointer; }}
</style></head>
<body><div id="map" role="img" aria-label="{title}"></div>
<script>
const data = {data};
const map = L.map('map', {{ zoomSnap: 0.25, attributionControl: true, worldCopyJump: false }});
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution({attribution});
function style(f) {{ return {{ fillColor: f.properties._fill, weight: f.properties._weight, color: f.properties._stroke,
  fillOpacity: 0.85, opacity: 0.9 }}; }}
const layers = [];
for (const layer of data.layers) {{
  const l = L.geoJSON(layer.geojson, {{
    style: style,
    pointToLayer: (f, latlng) => L.circleMarker(latlng,
      {{ radius: 5, color: '#222', weight: 1, fillColor: f.properties._fill, fillOpacity: 0.9 }}),
    onEachFeature: (f, lyr) => {{ if (f.properties._tip) lyr.bindTooltip(f.properties._tip, {{ sticky: true }}); }}
  }}).addTo(map);
  layers.push(l);
}}
// Each view frames the data it names (not the whole base layer); the first one opens the map.
const views = data.views.length ? data.views : [{{ label: '', bounds: layers[0].getBounds() }}];
map.fitBounds(views[0].bounds, {{ padding: [8, 8] }});
// An iframe can get its final size after the first layout: frame the opening view again then.
let resized = null;
window.addEventListener('resize', () => {{ clearTimeout(resized); resized = setTimeout(() => {{
  map.invalidateSize(); map.fitBounds(views[0].bounds, {{ padding: [8, 8] }}); }}, 150); }});
window.addEventListener('load', () => {{ map.invalidateSize(); map.fitBounds(views[0].bounds, {{ padding: [8, 8] }}); }});
if (data.views.length > 1) {{
  const ctl = L.control({{ position: 'topleft' }});
  ctl.onAdd = () => {{
    const d = L.DomUtil.create('div', 'views');
    d.innerHTML = '<b>Ver</b>';
    for (const v of data.views) {{
      const b = L.DomUtil.create('button', '', d);
      b.type = 'button'; b.textContent = v.label;
      L.DomEvent.on(b, 'click', (e) => {{ L.DomEvent.stop(e); map.fitBounds(v.bounds, {{ padding: [8, 8] }}); }});
    }}
    L.DomEvent.disableClickPropagation(d);
    return d;
  }};
  ctl.addTo(map);
}}
const legend = L.control({{ position: data.legend_position }});
legend.onAdd = () => {{ const d = L.DomUtil.create('div', 'legend'); d.innerHTML = data.legend; return d; }};
legend.addTo(map);
</script></body></html>
"""


def _round_coords(geom: Any, digits: int) -> Any:
    if isinstance(geom, float):
        return round(geom, digits)
    if isinstance(geom, list | tuple):
        return [_round_coords(g, digits) for g in geom]
    return geom


def _feature_collection(gdf: gpd.GeoDataFrame, simplify: float, digits: int) -> dict[str, Any]:
    out = gdf.copy()
    if simplify > 0:
        out["geometry"] = out.geometry.simplify(simplify, preserve_topology=True)
    fc: dict[str, Any] = json.loads(out.to_json(drop_id=True))
    for feature in fc["features"]:
        _round_geometry(feature["geometry"], digits)
    return fc


def _round_geometry(geometry: dict[str, Any] | None, digits: int) -> None:
    """Round coordinates in place (GeometryCollections from make_valid included)."""
    if not geometry:
        return
    if "coordinates" in geometry:
        geometry["coordinates"] = _round_coords(geometry["coordinates"], digits)
    for part in geometry.get("geometries", []):
        _round_geometry(part, digits)


def class_breaks(values: pd.Series, n: int = len(PALETTE)) -> list[float]:
    """Quantile class breaks over the positive values (zeros and missing values get their own class)."""
    positive = values[values > 0].dropna()
    if positive.empty:
        return []
    qs = np.unique(np.quantile(positive, np.linspace(0, 1, n)))
    if (positive == positive.round()).all():  # counts: integer breaks, so no class reads "1.4 to 2.6"
        qs = np.unique(np.ceil(qs))
    return [float(q) for q in qs]


def class_colours(n: int) -> list[str]:
    """``n`` colours spread over the whole palette, so the top class is always the darkest."""
    if n <= 1:
        return PALETTE[-1:] * n
    idx = np.linspace(0, len(PALETTE) - 1, min(n, len(PALETTE))).round().astype(int)
    return [PALETTE[i] for i in idx]


def colour_for(value: float, breaks: Sequence[float]) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return NO_DATA
    if value <= 0 or not breaks:
        return ZERO
    colours = class_colours(len(breaks))
    idx = int(np.searchsorted(breaks, value, side="left"))
    return colours[min(idx, len(colours) - 1)]


def number_es(value: float, decimals: int = 0) -> str:
    """Mexican number format: comma for thousands, point for decimals (12,345.6)."""
    return f"{value:,.{decimals}f}"


def class_labels(breaks: Sequence[float], decimals: int = 0, integer: bool = False, minimum: float = 1.0) -> list[str]:
    """One label per class: ``1``, ``2 a 3`` for counts (the first class starts at ``minimum``);
    ``hasta 10.5``, ``más de 10.5 a 20.0`` otherwise."""
    labels = []
    lower: float | None = None
    for b in breaks:
        if integer:
            lo = minimum if lower is None else lower + 1
            labels.append(number_es(b) if lo >= b else f"{number_es(lo)} a {number_es(b)}")
        elif lower is None:
            labels.append(f"hasta {number_es(b, decimals)}")
        else:
            labels.append(f"más de {number_es(lower, decimals)} a {number_es(b, decimals)}")
        lower = b
    return labels


def _legend(title: str, breaks: Sequence[float], decimals: int, integer: bool, has_zero: bool, has_missing: bool,
            zero_label: str, note: str = "", minimum: float = 1.0) -> list[str]:
    rows = [f"<b>{html.escape(title)}</b>"]
    if has_zero:
        rows.append(f'<i style="background:{ZERO}"></i>{html.escape(zero_label)}')
    for colour, label in zip(class_colours(len(breaks)), class_labels(breaks, decimals, integer, minimum), strict=True):
        rows.append(f'<i style="background:{colour}"></i>{html.escape(label)}')
    if has_missing:
        rows.append(f'<i style="background:{NO_DATA}"></i>sin dato')
    if note:
        rows.append(f"<small>{html.escape(note)}</small>")
    return rows


def choropleth(
    gdf: gpd.GeoDataFrame, value: str, tooltip: dict[str, str], title: str, legend_title: str,
    attribution: str, fmt: str | None = None, simplify: float = 0.01, digits: int = 4, decimals: int = 1,
    zero_label: str = "0", legend_note: str = "", decimals_by_column: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A map description: polygons coloured by ``value`` (quantile classes) with a hover tooltip.

    The legend names what is coloured (``legend_title``) and shows only the classes that occur: a
    class for zeros (``zero_label``) when there are zeros, one for missing values when there are
    any; counts get integer classes. Tooltip values use the Mexican number format, with
    ``decimals_by_column`` decimals for non-integer columns (2 by default). ``fmt`` is accepted for
    compatibility and ignored. The map opens framed on the coloured polygons; add views with
    :func:`add_view`.
    """
    del fmt
    vals = pd.to_numeric(gdf[value], errors="coerce").astype(float)
    breaks = class_breaks(vals)
    integer = bool(vals.dropna().eq(vals.dropna().round()).all())
    g = gdf.copy()
    g["_fill"] = [colour_for(v, breaks) for v in vals]
    g["_weight"] = 0.3
    g["_stroke"] = "#666666"
    decs = decimals_by_column or {}
    g["_tip"] = [
        "<br>".join(f"<b>{html.escape(label)}</b>: {html.escape(_fmt(row[col], decs.get(col, 2)))}"
                    for col, label in tooltip.items())
        for _, row in g.iterrows()
    ]
    g = g[["_fill", "_weight", "_stroke", "_tip", "geometry"]]
    legend = _legend(legend_title, breaks, decimals, integer, bool((vals == 0).any()), bool(vals.isna().any()),
                     zero_label, legend_note, float(vals[vals > 0].min()) if (vals > 0).any() else 1.0)
    return {"title": title, "attribution": attribution, "legend": legend, "views": [],
            "layers": [{"geojson": _feature_collection(g, simplify, digits)}]}


def bounds_of(*frames: gpd.GeoDataFrame, pad: float = 0.05) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` around the given layers, padded by a fraction."""
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    if not len(boxes):
        raise ValueError("bounds_of: every layer is empty; there is nothing to frame the map on.")
    minx, miny = boxes[:, 0].min(), boxes[:, 1].min()
    maxx, maxy = boxes[:, 2].max(), boxes[:, 3].max()
    dx = (maxx - minx) * pad if maxx > minx else 0.05  # a single point still gets a small frame
    dy = (maxy - miny) * pad if maxy > miny else 0.05
    return [[max(float(miny - dy), -85.0), max(float(minx - dx), -180.0)],
            [min(float(maxy + dy), 85.0), min(float(maxx + dx), 180.0)]]


def add_view(spec: dict[str, Any], label: str, *frames: gpd.GeoDataFrame, pad: float = 0.05) -> dict[str, Any]:
    """Add a named view framed on ``frames``; with two or more views the map shows a button for each."""
    spec.setdefault("views", []).append({"label": label, "bounds": bounds_of(*frames, pad=pad)})
    return spec


def add_base(spec: dict[str, Any], polygons: gpd.GeoDataFrame, tip: str, fill: str = ZERO,
             simplify: float = 0, digits: int = 3) -> dict[str, Any]:
    """Put a plain base layer (e.g. the world's countries, for context) under every other layer."""
    g = polygons.copy()
    g["_fill"] = fill
    g["_weight"] = 0.4
    g["_stroke"] = "#999999"
    g["_tip"] = g[tip].map(lambda t: html.escape(str(t)))
    spec["layers"].insert(0, {"geojson": _feature_collection(g[["_fill", "_weight", "_stroke", "_tip", "geometry"]],
                                                             simplify, digits)})
    return spec


def add_points(spec: dict[str, Any], points: gpd.GeoDataFrame, tip: str, colour: str = "#e69f00",
               legend_label: str = "") -> dict[str, Any]:
    """Add a layer of points (e.g. partner cities) with a tooltip column and, if given, a legend entry."""
    g = points.copy()
    g["_fill"] = colour
    g["_weight"] = 1
    g["_stroke"] = "#222222"
    g["_tip"] = g[tip].map(lambda t: html.escape(str(t)))
    spec["layers"].append({"geojson": _feature_collection(g[["_fill", "_weight", "_stroke", "_tip", "geometry"]], 0, 4)})
    if legend_label:
        spec["legend"].append(f'<i class="point" style="background:{colour}"></i>{html.escape(legend_label)}')
    return spec


def add_lines(spec: dict[str, Any], lines: gpd.GeoDataFrame, tip: str, colour: str = "#0072b2",
              legend_label: str = "") -> dict[str, Any]:
    """Add a layer of lines (e.g. great-circle links) with a tooltip column and, if given, a legend entry."""
    g = lines.copy()
    g["_fill"] = colour
    g["_weight"] = 1.2
    g["_stroke"] = colour
    g["_tip"] = g[tip].map(lambda t: html.escape(str(t)))
    spec["layers"].append({"geojson": _feature_collection(g[["_fill", "_weight", "_stroke", "_tip", "geometry"]], 0, 3)})
    if legend_label:
        spec["legend"].append(f'<i class="line" style="border-color:{colour}"></i>{html.escape(legend_label)}')
    return spec


def _fmt(v: Any, decimals: int = 2) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "—"
    if isinstance(v, float | np.floating):
        return number_es(float(v), decimals) if not float(v).is_integer() else number_es(float(v))
    if isinstance(v, int | np.integer):
        return number_es(int(v))
    return str(v)


def write_map(spec: dict[str, Any], name: str, folder: Path | None = None) -> Path:
    """Write the standalone page ``<name>.html``; identical input gives an identical file."""
    folder = folder or MAPS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    legend = spec["legend"]
    data = {"layers": spec["layers"], "legend": legend if isinstance(legend, str) else "<br>".join(legend),
            "views": spec.get("views", []), "legend_position": spec.get("legend_position", "bottomleft")}
    page = TEMPLATE.format(title=html.escape(spec["title"]), data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                           attribution=json.dumps(spec["attribution"], ensure_ascii=False))
    target = folder / f"{name}.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
