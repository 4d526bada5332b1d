"""International twinning links of Mexican municipalities, from the Wikipedia-derived pairs.

Input: the geocoded list of twin-town pairs (city1, country1, lat1, lng1, city2, country2, lat2,
lng2). Kept: pairs with exactly one side in Mexico. The Mexican side is resolved to an INEGI code
by point-in-polygon of its geocoded location, cross-checked with the names of municipalities and
their seats (accent- and case-insensitive). Every pair ends with a match_status:

- ``matched``: a code was assigned (match_method says how);
- ``ambiguous``: the evidence points to more than one municipality; the pair is kept for review;
- ``unmatched``: no municipality could be assigned; kept for review with the reason.

Nothing is dropped: pairs in = matched + ambiguous + unmatched, and pairs outside the scope
(no Mexican side, or both sides Mexican) are counted too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.tables.cities import city_key
from analysis.util.countries import UnknownCountryError, to_iso3
from analysis.util.spatial import CRS, MEXICO_METRIC_CRS
from analysis.util.text import normalise

MEXICO = "Mexico"
REQUIRED_COLUMNS = ("city1", "country1", "lat1", "lng1", "city2", "country2", "lat2", "lng2")
#: Points this close to a municipal polygon (islands, shore points outside the generalised
#: coastline) are attributed to it when the name agrees.
SHORE_TOLERANCE_M = 15_000
SOURCE_LABEL = "wikipedia_twincities"

OUTPUT_COLUMNS = [
    "pair_id", "inegi_code", "state_code", "level", "mexican_city", "mexican_lat", "mexican_lon", "partner_city",
    "partner_country",
    "partner_country_iso3", "partner_lat", "partner_lon", "match_method", "match_status", "match_note",
    "reciprocal_duplicate", "source", "source_row",
]


class TwinningDataError(ValueError):
    """The twinning file cannot be used as it is; the message names file, row and field."""


@dataclass
class MatchReport:
    """Counts of what came in and where every pair went."""

    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{k}: {v:,}" for k, v in self.counts.items()]


def read_pairs(path: Path) -> pd.DataFrame:
    """Read the geocoded pairs with explicit checks; rows keep their file line number."""
    raw = path.read_bytes()
    if not raw.strip():
        raise TwinningDataError(f"{path}: the file is empty; fetch it again with `python -m analysis data fetch`.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TwinningDataError(
            f"{path}: not UTF-8 (byte {exc.start}); the Wikipedia-derived list is UTF-8, fetch it again."
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TwinningDataError(f"{path}: missing column(s) {missing}; found {header}.")
    rows = []
    for rec in reader:
        line = reader.line_num
        if None in rec or any(rec[c] is None for c in REQUIRED_COLUMNS):
            raise TwinningDataError(f"{path}, line {line}: wrong number of fields; the file looks truncated or edited.")
        row = {c: rec[c].strip() for c in REQUIRED_COLUMNS}
        for c in ("lat1", "lng1", "lat2", "lng2"):
            try:
                value = float(row[c]) if row[c] else float("nan")
            except ValueError:
                raise TwinningDataError(f"{path}, line {line}, field {c}: {row[c]!r} is not a number.") from None
            limit = 90 if c.startswith("lat") else 180
            if abs(value) > limit:
                raise TwinningDataError(f"{path}, line {line}, field {c}: {value} is outside ±{limit}.")
            row[c] = value
        row["source_row"] = line
        rows.append(row)
    return pd.DataFrame(rows, columns=[*REQUIRED_COLUMNS, "source_row"])


def orient(pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep pairs with exactly one Mexican side and put that side first."""
    mx1 = pairs.country1 == MEXICO
    mx2 = pairs.country2 == MEXICO
    one = pairs[mx1 ^ mx2]
    counts = {
        "pairs_in_file": len(pairs),
        "pairs_without_mexican_side": int((~mx1 & ~mx2).sum()),
        "pairs_with_both_sides_mexican": int((mx1 & mx2).sum()),
        "pairs_with_one_mexican_side": len(one),
    }
    first = one.country1 == MEXICO
    out = pd.DataFrame(
        {
            "mexican_city": one.city1.where(first, one.city2),
            "mexican_lat": one.lat1.where(first, one.lat2),
            "mexican_lon": one.lng1.where(first, one.lng2),
            "partner_city": one.city2.where(first, one.city1),
            "partner_country": one.country2.where(first, one.country1),
            "partner_lat": one.lat2.where(first, one.lat1),
            "partner_lon": one.lng2.where(first, one.lng1),
            "source_row": one.source_row,
        }
    ).reset_index(drop=True)
    return out, counts


def name_index(municipalities: pd.DataFrame) -> dict[str, set[str]]:
    """Normalised municipality, catalogue and seat names -> set of INEGI codes."""
    index: dict[str, set[str]] = {}
    for col in ("name", "catalogue_name", "seat_name"):
        if col not in municipalities:
            continue
        for code, name in zip(municipalities.inegi_code, municipalities[col], strict=True):
            if isinstance(name, str) and name:
                index.setdefault(normalise(name), set()).add(code)
    return index


def _locate(points: pd.DataFrame, polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """Point-in-polygon code and, for points outside every polygon, the nearest one and its distance."""
    pts = gpd.GeoDataFrame(
        points[["mexican_lat", "mexican_lon"]].copy(),
        geometry=gpd.points_from_xy(points.mexican_lon, points.mexican_lat),
        crs=CRS,
    )
    inside = gpd.sjoin(pts, polygons[["inegi_code", "geometry"]], how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]
    result = pd.DataFrame({"pip_code": inside["inegi_code"]}, index=pts.index)
    outside = result.pip_code.isna()
    result["nearest_code"] = pd.Series(pd.NA, index=result.index, dtype="object")
    result["nearest_m"] = float("nan")
    if outside.any():
        p = pts[outside].to_crs(MEXICO_METRIC_CRS)
        poly = polygons[["inegi_code", "geometry"]].to_crs(MEXICO_METRIC_CRS)
        near = gpd.sjoin_nearest(p, poly, how="left", distance_col="dist")
        near = near[~near.index.duplicated(keep="first")]
        result.loc[near.index, "nearest_code"] = near["inegi_code"]
        result.loc[near.index, "nearest_m"] = near["dist"]
    return result


#: Names by which Wikipedia designates a Mexican federal entity (not a municipality) as a party.
#: Not the RAI export's state aliases (tables.rai.RAI_STATE_ALIASES): "Veracruz" there is the state,
#: here it is the city.
WIKIPEDIA_STATE_NAMES = {"mexico city": "09", "ciudad de mexico": "09", "cdmx": "09", "state of mexico": "15"}
#: A unique name match is accepted over the point when the point lies this close to the named
#: municipality (geocoders often place a city a few km off, or on a neighbouring municipality).
NAME_NEAR_M = 30_000


def state_index(municipalities: pd.DataFrame) -> dict[str, str]:
    """Normalised state names (and English aliases) -> state code."""
    index = dict(WIKIPEDIA_STATE_NAMES)
    for code, name in zip(municipalities.state_code, municipalities.state_name, strict=True):
        index.setdefault(normalise(name), code)
    return index


def _distance_to(code: str, lat: float, lon: float, polygons_m: gpd.GeoDataFrame) -> float:
    """Metres from a point to a municipality's polygon (0 inside)."""
    point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=CRS).to_crs(MEXICO_METRIC_CRS).iloc[0]
    return float(polygons_m.loc[code].distance(point))


def _decide(
    row: pd.Series, cands: set[str], pip: object, near: object, dist: float,
    states: dict[str, str], polygons_m: gpd.GeoDataFrame,
) -> tuple[str, str, str, str, str]:
    """Return (inegi_code, level, method, status, note) for one Mexican side."""
    key = normalise(row.mexican_city)
    if not cands and key in states:
        return "", "state", "state_level", "unmatched", (
            f"the Mexican party is a federal entity (state {states[key]}), not a municipality"
        )
    if isinstance(pip, str):
        if pip in cands:
            return pip, "municipal", "point_in_polygon+name", "matched", ""
        if not cands:
            return pip, "municipal", "point_in_polygon", "matched", "name is neither a municipality nor a seat; location decides"
        if len(cands) == 1:
            named = next(iter(cands))
            gap = _distance_to(named, row.mexican_lat, row.mexican_lon, polygons_m)
            if gap <= NAME_NEAR_M or named[:2] == pip[:2]:
                return named, "municipal", "name+point_nearby", "matched", (
                    f"name matches {named}; the point falls in {pip}, {gap / 1000:.1f} km from it"
                )
            return "", "municipal", "point_in_polygon_vs_name", "ambiguous", (
                f"point falls in {pip} but the name matches {named}, {gap / 1000:.0f} km away in another state"
            )
        return "", "municipal", "point_in_polygon_vs_name", "ambiguous", (
            f"point falls in {pip}; the name matches {len(cands)} other municipalities: {', '.join(sorted(cands))}"
        )
    if isinstance(near, str) and dist <= SHORE_TOLERANCE_M and near in cands:
        return near, "municipal", "nearest_polygon+name", "matched", f"point {dist / 1000:.1f} km off the generalised coastline"
    if len(cands) == 1:
        note = "geocoded point outside Mexico (a namesake abroad); unique name match"
        return next(iter(cands)), "municipal", "name", "matched", note
    if len(cands) > 1:
        return "", "municipal", "name", "ambiguous", (
            f"point outside every polygon; name matches {len(cands)} municipalities: {', '.join(sorted(cands))}"
        )
    return "", "municipal", "", "unmatched", "point outside every polygon and no municipality or seat of that name"


def resolve(
    oriented: pd.DataFrame, municipalities: pd.DataFrame, polygons: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Assign an INEGI code, level, method, status and note to every oriented pair."""
    index = name_index(municipalities)
    states = state_index(municipalities)
    loc = _locate(oriented, polygons)
    polygons_m = polygons.set_index("inegi_code").geometry.to_crs(MEXICO_METRIC_CRS)
    decided = [
        _decide(row, index.get(normalise(row.mexican_city), set()), loc.loc[i, "pip_code"],
                loc.loc[i, "nearest_code"], loc.loc[i, "nearest_m"], states, polygons_m)
        for i, row in oriented.iterrows()
    ]
    out = oriented.copy()
    for j, col in enumerate(("inegi_code", "level", "match_method", "match_status", "match_note")):
        out[col] = [d[j] for d in decided]
    out["state_code"] = [
        code[:2] if code else states.get(normalise(city), "") for code, city in zip(out.inegi_code, out.mexican_city, strict=True)
    ]
    counts = {f"status_{s}": int((out.match_status == s).sum()) for s in ("matched", "ambiguous", "unmatched")}
    for m, n in out.loc[out.match_status == "matched", "match_method"].value_counts().sort_index().items():
        counts[f"matched_by_{m}"] = int(n)
    counts["unmatched_state_level"] = int((out.level == "state").sum())
    return out, counts


def add_countries(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Partner country name -> ISO3; an unknown name is an error naming the row."""
    iso = []
    for name, row in zip(df.partner_country, df.source_row, strict=True):
        try:
            iso.append(to_iso3(name))
        except UnknownCountryError as exc:
            raise TwinningDataError(f"{path}, line {row}, field country: {exc}") from None
    out = df.copy()
    out["partner_country_iso3"] = iso
    return out


def flag_reciprocal(df: pd.DataFrame) -> pd.Series:
    """True for the second and later rows of the same link listed on both countries' pages.

    Partner cities are compared by :func:`analysis.tables.cities.city_key`, so a district written
    two ways on the two pages ('Havana – Old Havana', 'Old Havana (Havana)') is one link.
    """
    key_city = df.inegi_code.where(df.inegi_code != "", df.mexican_city.map(normalise))
    partner = [city_key(c, i) for c, i in zip(df.partner_city, df.partner_country_iso3, strict=True)]
    key = key_city + "|" + pd.Series(partner, index=df.index)
    return key.duplicated(keep="first")


def build_twinnings(
    path: Path, municipalities: pd.DataFrame, polygons: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, MatchReport]:
    """The full chain: read, orient, resolve, add ISO3 codes, flag reciprocal duplicates."""
    pairs = read_pairs(path)
    oriented, counts = orient(pairs)
    resolved, rcounts = resolve(oriented, municipalities, polygons)
    resolved = add_countries(resolved, path)
    resolved["reciprocal_duplicate"] = flag_reciprocal(resolved)
    resolved["source"] = SOURCE_LABEL
    resolved = resolved.sort_values("source_row").reset_index(drop=True)
    resolved["pair_id"] = [f"W{r:05d}" for r in resolved.source_row]
    report = MatchReport({**counts, **rcounts})
    report.counts["reciprocal_duplicates_flagged"] = int(resolved.reciprocal_duplicate.sum())
    report.counts["unique_matched_links"] = int(
        ((resolved.match_status == "matched") & ~resolved.reciprocal_duplicate).sum()
    )
    total = sum(report.counts[f"status_{s}"] for s in ("matched", "ambiguous", "unmatched"))
    if total != report.counts["pairs_with_one_mexican_side"]:
        raise AssertionError("pairs lost during matching")  # guard: nothing may be dropped silently
    return resolved[OUTPUT_COLUMNS], report


def cross_check_raw(raw_path: Path, geocoded: pd.DataFrame) -> dict[str, int]:
    """Compare the Mexican pairs of the raw (un-geocoded) list with those of the geocoded list."""
    raw = pd.read_csv(raw_path, dtype=str, keep_default_na=False)
    mx = raw[(raw.country1 == MEXICO) ^ (raw.country2 == MEXICO)]
    first = mx.country1 == MEXICO
    key_raw = (mx.city1.where(first, mx.city2) + "|" + mx.city2.where(first, mx.city1)).map(normalise)
    key_geo = (geocoded.mexican_city + "|" + geocoded.partner_city).map(normalise)
    return {
        "raw_pairs_with_one_mexican_side": len(mx),
        "raw_mexican_pairs_missing_from_geocoded": int((~key_raw.isin(set(key_geo))).sum()),
    }
