"""Readers for OpenFlights' airports and routes (ODbL 1.0; routes as of June 2014).

- ``airports.dat``: no header; id, name, city, country (English name), IATA, ICAO, latitude,
  longitude, altitude, timezone, DST, tz database name, type, source; ``\\N`` marks a missing value.
- ``routes.dat``: no header; airline, airline id, source IATA, source airport id, destination
  IATA, destination airport id, codeshare, stops, equipment. A route is one airline's service, so
  a pair of airports can repeat; an airport id given as ``\\N`` is looked up by its IATA code.

:func:`read_airports` returns airport_id, iata, name, city, country, country_iso3 ("" when the
country name is not a country: a territory the ISO table does not know), lat, lon;
:func:`read_routes` returns the distinct (source_id, destination_id) pairs of direct routes
(no stops) between known airports, and counts what was set aside.

Bad input raises :class:`OpenFlightsFormatError` naming the file, the line, the field and what to do.

May import: ``analysis.util``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from analysis.util.countries import UnknownCountryError, to_iso3

MISSING = "\\N"
FETCH_HINT = "delete the file and run `python -m analysis data fetch`"


class OpenFlightsFormatError(ValueError):
    """An OpenFlights file that does not have the documented shape."""


def _lines(path: Path, n_fields: int) -> list[tuple[int, list[str]]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise OpenFlightsFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); {FETCH_HINT}.") from None
    if not text.strip():
        raise OpenFlightsFormatError(f"{path}: the file is empty; {FETCH_HINT}.")
    out = []
    for n, fields in enumerate(csv.reader(text.splitlines()), start=1):
        if not fields:
            continue
        if len(fields) != n_fields:
            raise OpenFlightsFormatError(f"{path}, line {n}: {len(fields)} fields, expected {n_fields}; {FETCH_HINT}.")
        out.append((n, fields))
    return out


def _coordinate(text: str, path: Path, line: int, field: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OpenFlightsFormatError(f"{path}, line {line}, field {field}: {text!r} is not a number; {FETCH_HINT}.") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise OpenFlightsFormatError(f"{path}, line {line}, field {field}: {value} is outside ±{limit:g}; {FETCH_HINT}.")
    return value


def read_airports(path: Path) -> pd.DataFrame:
    """Every airport of ``airports.dat`` with its ISO3 country (see the module docstring)."""
    rows = []
    seen: set[int] = set()
    for n, f in _lines(path, 14):
        try:
            airport_id = int(f[0])
        except ValueError:
            raise OpenFlightsFormatError(f"{path}, line {n}, field id: {f[0]!r} is not an integer; {FETCH_HINT}.") from None
        if airport_id in seen:
            raise OpenFlightsFormatError(f"{path}, line {n}, field id: {airport_id} appears twice; {FETCH_HINT}.")
        seen.add(airport_id)
        try:
            iso = to_iso3(f[3]) if f[3] and f[3] != MISSING else ""
        except UnknownCountryError:
            iso = ""
        rows.append({"airport_id": airport_id, "iata": "" if f[4] == MISSING else f[4], "name": f[1], "city": f[2],
                     "country": f[3], "country_iso3": iso,
                     "lat": _coordinate(f[6], path, n, "latitude", 90), "lon": _coordinate(f[7], path, n, "longitude", 180)})
    return pd.DataFrame(rows)


def read_routes(path: Path, airports: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Distinct direct (no stop) airport pairs of ``routes.dat`` between airports of ``airports``."""
    by_iata = {i: a for i, a in zip(airports.iata, airports.airport_id, strict=True) if i}
    known = set(airports.airport_id)
    pairs = []
    counts = {"routes": 0, "set_aside_with_stops": 0, "set_aside_unknown_airport": 0}
    for n, f in _lines(path, 9):
        counts["routes"] += 1
        ends = []
        for iata, ident, field in ((f[2], f[3], "source airport"), (f[4], f[5], "destination airport")):
            if ident != MISSING:
                try:
                    ends.append(int(ident))
                except ValueError:
                    raise OpenFlightsFormatError(f"{path}, line {n}, field {field} id: {ident!r} is not an integer or "
                                                 f"\\N; {FETCH_HINT}.") from None
            else:
                ends.append(by_iata.get(iata, -1))
        if f[7] not in ("0", ""):
            counts["set_aside_with_stops"] += 1
            continue
        if ends[0] not in known or ends[1] not in known:
            counts["set_aside_unknown_airport"] += 1
            continue
        pairs.append((ends[0], ends[1]))
    out = pd.DataFrame(pairs, columns=["source_id", "destination_id"]).drop_duplicates().reset_index(drop=True)
    counts["airport_pairs"] = len(out)
    return out, counts
