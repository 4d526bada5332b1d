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
#: Colour-blind-safe sequential palette (viridis, 7 classes), light to dark reversed for emphasis.
PALETTE = ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"]
NO_DATA = "#e8e8e8"

TEMPLATE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="../leaflet/leaflet.css">
<script src="../leaflet/leaflet.js"></script>
<style>
html, body {{ margin: 0; height: 100%; font-family: sans-serif; }}
#map {{ position: absolute; top: 0; bottom: 0; width: 100%; background: #f4f8fb; }}
.legend {{ background: white; padding: 6px 8px; line-height: 1.4; font-size: 12px; border-radius: 4px; }}
.legend i {{ display: inline-block; width: 14px; height: 12px; margin-right: 6px; }}
</style></head>
<body><div id="map" role="img" aria-label="{title}"></div>
<script>
const data = {data};
const map = L.map('map', {{ zoomSnap: 0.25, attributionControl: true }});
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution({attribution});
function style(f) {{ return {{ fillColor: f.properties._fill, weight: f.properties._weight, color: f.properties._stroke,
  fillOpacity: 0.85, opacity: 0.9 }}; }}
const layers = [];
for (const layer of data.layers) {{
  const l = L.geoJSON(layer.geojson, {{
    style: style,
    pointToLayer: (f, latlng) => L.circleMarker(latlng,
      {{ radius: 4, color: '#222', weight: 1, fillColor: f.properties._fill, fillOpacity: 0.9 }}),
    onEachFeature: (f, lyr) => {{ if (f.properties._tip) lyr.bindTooltip(f.properties._tip, {{ sticky: true }}); }}
  }}).addTo(map);
  layers.push(l);
}}
map.fitBounds(layers[0].getBounds(), {{ padding: [8, 8] }});  // the first layer frames the view
const legend = L.control({{ position: 'bottomright' }});
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
    fc = json.loads(out.to_json(drop_id=True))
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
    """Quantile class breaks over the positive values (zeros get their own class)."""
    positive = values[values > 0].dropna()
    if positive.empty:
        return [0.0]
    qs = np.unique(np.quantile(positive, np.linspace(0, 1, n)))
    return [float(q) for q in qs]


def colour_for(value: float, breaks: Sequence[float]) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value <= 0:
        return NO_DATA
    idx = int(np.searchsorted(breaks, value, side="left"))
    return PALETTE[min(idx, len(PALETTE) - 1)]


def _legend(title: str, breaks: Sequence[float], fmt: str) -> str:
    rows = [f"<b>{html.escape(title)}</b>", f'<i style="background:{NO_DATA}"></i>0 o sin dato']
    lower = None
    for i, b in enumerate(breaks):
        label = f"hasta {b:{fmt}}" if lower is None else f"más de {lower:{fmt}} a {b:{fmt}}"
        rows.append(f'<i style="background:{PALETTE[min(i, len(PALETTE) - 1)]}"></i>{label}')
        lower = b
    return "<br>".join(rows)


def choropleth(
    gdf: gpd.GeoDataFrame, value: str, tooltip: dict[str, str], title: str, legend_title: str,
    attribution: str, fmt: str = ",.1f", simplify: float = 0.01, digits: int = 4,
) -> dict[str, Any]:
    """A map layer description: polygons coloured by ``value`` with a hover tooltip."""
    breaks = class_breaks(gdf[value].astype(float))
    g = gdf.copy()
    g["_fill"] = [colour_for(v, breaks) for v in g[value].astype(float)]
    g["_weight"] = 0.3
    g["_stroke"] = "#666666"
    g["_tip"] = [
        "<br>".join(f"<b>{html.escape(label)}</b>: {html.escape(_fmt(row[col]))}" for col, label in tooltip.items())
        for _, row in g.iterrows()
    ]
    g = g[["_fill", "_weight", "_stroke", "_tip", "geometry"]]
    return {"title": title, "attribution": attribution, "legend": _legend(legend_title, breaks, fmt),
            "layers": [{"geojson": _feature_collection(g, simplify, digits)}]}


def add_points(spec: dict[str, Any], points: gpd.GeoDataFrame, tip: str, colour: str = "#e69f00") -> dict[str, Any]:
    """Add a layer of points (e.g. partner cities) with a tooltip column."""
    g = points.copy()
    g["_fill"] = colour
    g["_weight"] = 1
    g["_stroke"] = "#222222"
    g["_tip"] = g[tip].map(lambda t: html.escape(str(t)))
    spec["layers"].append({"geojson": _feature_collection(g[["_fill", "_weight", "_stroke", "_tip", "geometry"]], 0, 4)})
    return spec


def add_lines(spec: dict[str, Any], lines: gpd.GeoDataFrame, tip: str, colour: str = "#0072b2") -> dict[str, Any]:
    """Add a layer of lines (e.g. great-circle links) with a tooltip column."""
    g = lines.copy()
    g["_fill"] = colour
    g["_weight"] = 1.2
    g["_stroke"] = colour
    g["_tip"] = g[tip].map(lambda t: html.escape(str(t)))
    spec["layers"].append({"geojson": _feature_collection(g[["_fill", "_weight", "_stroke", "_tip", "geometry"]], 0, 3)})
    return spec


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if not float(v).is_integer() else f"{int(v):,}"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    return str(v)


def write_map(spec: dict[str, Any], name: str, folder: Path | None = None) -> Path:
    """Write the standalone page ``<name>.html``; identical input gives an identical file."""
    folder = folder or MAPS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    data = {"layers": spec["layers"], "legend": spec["legend"]}
    page = TEMPLATE.format(title=html.escape(spec["title"]), data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                           attribution=json.dumps(spec["attribution"], ensure_ascii=False))
    target = folder / f"{name}.html"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
