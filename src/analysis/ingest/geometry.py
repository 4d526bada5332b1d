"""Geometry: municipal boundaries of Mexico, Quintana Roo's municipalities and world countries.

Every GeoDataFrame returned here is in one documented CRS, ``CRS`` (WGS 84 longitude/latitude,
EPSG:4326). Distances and areas are computed in ``EQUAL_AREA_CRS`` or on the sphere.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from analysis.ingest.sources import require
from analysis.util.spatial import CRS


class GeometryError(ValueError):
    """A geometry file cannot be read or lacks what the compendium needs."""


def _unwrap(obj: Any) -> Any:
    """Turn the nested dicts/lists/length-1 numpy arrays produced by ``rdata`` into plain JSON."""
    if isinstance(obj, dict):
        return {str(k): _unwrap(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_unwrap(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.size == 1 and obj.ndim <= 1:
            return _unwrap(obj.reshape(-1)[0])
        return [_unwrap(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def topojson_from_rdata(path: Path) -> dict[str, Any]:
    """Read the single TopoJSON object stored in an R .RData file."""
    import rdata

    try:
        converted = rdata.conversion.convert(rdata.parser.parse_file(path))
    except Exception as exc:  # rdata raises several types for corrupt input
        raise GeometryError(f"{path}: cannot be read as an R data file ({exc}); fetch it again.") from exc
    if len(converted) != 1:
        raise GeometryError(f"{path}: expected one object, found {list(converted)}.")
    topo = _unwrap(next(iter(converted.values())))
    if isinstance(topo, str):  # stored as a JSON string
        try:
            topo = json.loads(topo)
        except json.JSONDecodeError as exc:
            raise GeometryError(f"{path}: the stored string is not valid TopoJSON ({exc}); fetch it again.") from None
    if not isinstance(topo, dict) or topo.get("type") != "Topology":
        raise GeometryError(f"{path}: the object is not a TopoJSON Topology.")
    return topo


def read_topojson(topo: dict[str, Any], layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a TopoJSON dict with GDAL; the CRS is set to WGS 84 (TopoJSON declares none)."""
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "topo.topojson"
        file.write_text(json.dumps(topo), encoding="utf-8")
        gdf = gpd.read_file(file, layer=layer) if layer else gpd.read_file(file)
    return gdf.set_crs(CRS, allow_override=True)


def load_municipal_boundaries(path: Path | None = None) -> gpd.GeoDataFrame:
    """National municipal polygons: columns inegi_code, geometry (EPSG:4326); 2,469 rows."""
    path = path or require("geo_municipios")
    gdf = read_topojson(topojson_from_rdata(path))
    if "id" not in gdf.columns:
        raise GeometryError(f"{path}: features carry no 'id'; expected 5-digit INEGI codes.")
    if gdf["id"].isna().any():
        first = int(gdf.index[gdf["id"].isna()][0])
        raise GeometryError(f"{path}: {int(gdf['id'].isna().sum())} feature(s) carry no 'id' (first: feature {first}); "
                            "expected 5-digit INEGI codes.")
    gdf = gdf.rename(columns={"id": "inegi_code"})[["inegi_code", "geometry"]]
    gdf["inegi_code"] = gdf["inegi_code"].astype(str).str.zfill(5)
    bad = gdf[~gdf.inegi_code.str.fullmatch(r"\d{5}")]
    if not bad.empty:
        raise GeometryError(f"{path}: feature ids that are not INEGI codes: {bad.inegi_code.tolist()[:5]}.")
    if gdf.inegi_code.duplicated().any():
        gdf = gdf.dissolve(by="inegi_code", as_index=False)
    gdf["geometry"] = gdf.geometry.make_valid()
    return gdf.sort_values("inegi_code").reset_index(drop=True)


def load_quintana_roo(path: Path | None = None) -> gpd.GeoDataFrame:
    """Quintana Roo's 11 municipalities (CONABIO 2020): inegi_code, name, geometry."""
    path = path or require("geo_quintana_roo")
    gdf = gpd.read_file(path)
    for col in ("CVEGEO", "NOM_MUN"):
        if col not in gdf.columns:
            raise GeometryError(f"{path}: missing column {col}.")
    gdf = gdf.rename(columns={"CVEGEO": "inegi_code", "NOM_MUN": "name"})[["inegi_code", "name", "geometry"]]
    gdf["inegi_code"] = gdf["inegi_code"].astype(str).str.zfill(5)
    gdf = gdf.to_crs(CRS) if gdf.crs else gdf.set_crs(CRS)
    return gdf.sort_values("inegi_code").reset_index(drop=True)


def load_world(path: Path | None = None) -> gpd.GeoDataFrame:
    """World countries at 1:110m (Natural Earth): iso_numeric, name, geometry."""
    path = path or require("geo_paises")
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GeometryError(f"{path}: not valid TopoJSON ({exc}); fetch it again.") from None
    if not isinstance(topo, dict) or not isinstance(topo.get("objects"), dict) or "countries" not in topo["objects"]:
        raise GeometryError(f"{path}: TopoJSON has no 'countries' object.")
    gdf = read_topojson(topo, layer="countries")
    gdf = gdf.rename(columns={"id": "iso_numeric"})
    keep = [c for c in ("iso_numeric", "name", "geometry") if c in gdf.columns]
    return gdf[keep]
