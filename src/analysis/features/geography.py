"""Geography of Mexican municipalities: the single definition of each place feature every chapter uses.

Owns: regions (``REGIONS``, :func:`region_of`), northern border states, and the coast and land
borders read off the municipal polygons (:func:`coast_and_borders`, :func:`coastal_flags`), and the
distance to the United States border (:func:`distance_to_us_border_km`).
Chapter 02's count models, chapter 06's profiles and the partner finder all call these; nothing
else defines a coast, a border or a region.

May import: ``analysis.util``, ``analysis.ingest`` (geometry loaders), geopandas and shapely.

Definitions:

- ``region``: one of five regions of Mexico, a convention of this compendium that groups
  contiguous states: noroeste (BC, BCS, Chihuahua, Durango, Sinaloa, Sonora), noreste (Coahuila,
  Nuevo León, San Luis Potosí, Tamaulipas), occidente (Aguascalientes, Colima, Jalisco, Michoacán,
  Nayarit, Zacatecas), centro (Ciudad de México, Guanajuato, Hidalgo, México, Morelos, Puebla,
  Querétaro, Tlaxcala) and sur-sureste (Campeche, Chiapas, Guerrero, Oaxaca, Quintana Roo,
  Tabasco, Veracruz, Yucatán).
- ``northern_border_state``: the state touches the United States (BC, Son, Chih, Coah, NL, Tamps).
- ``coastal``, ``us_border``, ``south_border``: derived from the municipal polygons. The union of
  all municipal polygons is Mexico; the exterior of that union (holes excluded) is either sea
  coast or a land border. A stretch of the exterior is land border when it lies within
  ``BORDER_TOLERANCE_KM`` of the United States (``us_border``) or of Guatemala or Belize
  (``south_border``) on the 1:110m world map and farther than ``COAST_TOLERANCE_KM`` from that
  map's sea (the map is coarse, hence the tolerances); every other stretch is coast. A
  municipality is coastal (or on a border) when at least ``MIN_SHARE_KM`` of that stretch lies on
  its boundary. Tijuana, Matamoros or Othón P. Blanco are thus both coastal and border
  municipalities.
- ``dist_us_border_km``: distance in km from the representative point of the municipal polygon
  (a point guaranteed to lie inside it) to the nearest point of the United States-Mexico land
  border, computed in EPSG:6372 (metres). The border line is the boundary the United States and
  Mexico share on the 1:110m world map (:func:`us_border_line`; about 2,430 km long on that
  generalised map, against some 3,150 km on the ground), so distances carry the map's
  generalisation error (a few km).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiLineString, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from analysis.util.spatial import CRS, MEXICO_METRIC_CRS

#: state_code -> region (five regions; see the module docstring).
REGIONS: dict[str, str] = {
    **dict.fromkeys(["02", "03", "08", "10", "25", "26"], "noroeste"),
    **dict.fromkeys(["05", "19", "24", "28"], "noreste"),
    **dict.fromkeys(["01", "06", "14", "16", "18", "32"], "occidente"),
    **dict.fromkeys(["09", "11", "13", "15", "17", "21", "22", "29"], "centro"),
    **dict.fromkeys(["04", "07", "12", "20", "23", "27", "30", "31"], "sur-sureste"),
}
#: States that share a land border with the United States.
NORTHERN_BORDER_STATES: frozenset[str] = frozenset({"02", "05", "08", "19", "26", "28"})
COAST_TOLERANCE_KM = 12.0
MIN_SHARE_KM = 1.0
BORDER_TOLERANCE_KM = 25.0
#: ISO numeric codes of the countries with a land border with Mexico: USA, Guatemala, Belize.
LAND_NEIGHBOURS: frozenset[str] = frozenset({"840", "320", "084"})
USA_ISO_NUMERIC = "840"
MEXICO_ISO_NUMERIC = "484"

def region_of(state_code: str) -> str | None:
    """The region of a 2-digit state code, or None for an unknown code."""
    return REGIONS.get(str(state_code).zfill(2))


def _exterior_lines(geom: object) -> MultiLineString:
    """Exterior rings (no holes) of a polygon or multipolygon, as lines."""
    parts = getattr(geom, "geoms", [geom])
    return MultiLineString([LineString(p.exterior.coords) for p in parts])


def coast_and_borders(boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per municipality: coastal, us_border, south_border (bools) and km of each on its boundary."""
    munis = boundaries.to_crs(MEXICO_METRIC_CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        national = unary_union(munis.geometry.values)
        exterior = _exterior_lines(national)
        frame = box(-125, 5, -80, 40)
        world = world.to_crs(CRS)
        land = world.clip(frame).geometry.union_all()
        sea = gpd.GeoSeries([frame.difference(land)], crs=CRS).to_crs(MEXICO_METRIC_CRS).iloc[0]
        sea_zone = sea.buffer(COAST_TOLERANCE_KM * 1000)
        neighbours = world[world.iso_numeric.astype(str).str.zfill(3).isin(LAND_NEIGHBOURS)].to_crs(MEXICO_METRIC_CRS)
        near = {
            side: neighbours[neighbours.iso_numeric.astype(str).str.zfill(3).isin(codes)].geometry.union_all()
            .buffer(BORDER_TOLERANCE_KM * 1000)
            for side, codes in (("us", {"840"}), ("south", {"320", "084"}))
        }
        us_line = exterior.intersection(near["us"]).difference(sea_zone)
        south_line = exterior.intersection(near["south"]).difference(sea_zone)
        coast = exterior.difference(us_line).difference(south_line)
        rows = []
        for code, geom in zip(munis.inegi_code, munis.geometry, strict=True):
            ring = geom.buffer(100)  # 100 m: shared arcs of the topology, robust to rounding
            km = [ring.intersection(line).length / 1000 if ring.intersects(line) else 0.0
                  for line in (coast, us_line, south_line)]
            rows.append({"inegi_code": code, "coast_km": km[0], "us_border_km": km[1], "south_border_km": km[2]})
    out = pd.DataFrame(rows)
    out["coastal"] = out.coast_km >= MIN_SHARE_KM
    out["us_border"] = out.us_border_km >= MIN_SHARE_KM
    out["south_border"] = out.south_border_km >= MIN_SHARE_KM
    return out


def coastal_flags(boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame) -> pd.Series:
    """``coastal`` of :func:`coast_and_borders` as a boolean Series indexed by INEGI code."""
    flags = coast_and_borders(boundaries, world)
    return pd.Series(flags.coastal.to_numpy(), index=flags.inegi_code.to_numpy(), name="coastal")


def us_border_line(world: gpd.GeoDataFrame) -> BaseGeometry:
    """The United States-Mexico land border on the world map: the boundary both countries share (EPSG:6372)."""
    iso = world.iso_numeric.astype(str).str.zfill(3)
    parts = {}
    for code, name in ((USA_ISO_NUMERIC, "United States"), (MEXICO_ISO_NUMERIC, "Mexico")):
        if not (iso == code).any():
            raise ValueError(f"The world map has no feature with iso_numeric {code} ({name}); "
                             "fetch it again with `python -m analysis data fetch` (source id geo_paises).")
        parts[code] = world[iso == code].to_crs(CRS).geometry.union_all()
    line = parts[USA_ISO_NUMERIC].boundary.intersection(parts[MEXICO_ISO_NUMERIC].boundary)
    if line.is_empty or line.length == 0:
        raise ValueError("The United States and Mexico share no boundary on the world map; is it the 1:110m countries map?")
    return gpd.GeoSeries([line], crs=CRS).to_crs(MEXICO_METRIC_CRS).iloc[0]


def distance_to_us_border_km(boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame) -> pd.Series:
    """``dist_us_border_km`` (see the module docstring) per municipality, indexed by INEGI code."""
    line = us_border_line(world)
    points = boundaries.to_crs(MEXICO_METRIC_CRS).representative_point()
    km = points.distance(line) / 1000
    return pd.Series(km.to_numpy(float), index=boundaries.inegi_code.to_numpy(), name="dist_us_border_km")
