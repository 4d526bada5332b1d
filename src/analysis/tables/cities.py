"""One key per foreign (or Mexican partner) city, the same in every chapter.

Owns: :func:`city_name_key` (a city's normalised name with spelling variants folded) and
:func:`city_key` (that name plus the ISO 3166-1 alpha-3 country code, e.g. ``"laredo|USA"``).
Twinning deduplication (notebook 00), the agreements tables (01, 02), the case study's
cross-check (05) and the partner finder (06) all call these two functions.

Spelling variants are folded in two steps:

1. a district written ``City – District`` (Wikipedia's form on one page of a pair) becomes
   ``District (City)`` (its form on the other page), so both spellings meet;
2. the reviewed alias table ``data/curated/city_aliases.csv`` maps a normalised variant to its
   canonical normalised name; every row states why the two names are one city.

May import: ``analysis.paths``, ``analysis.util``, ``analysis.tables.store``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from analysis import paths
from analysis.tables.store import read_curated
from analysis.util.text import normalise

ALIASES_CSV: Path = paths.CURATED / "city_aliases.csv"
ALIAS_COLUMNS = ["variant", "canonical", "country_iso3", "reason", "reviewed_by_source"]
_DISTRICT = re.compile(r"^\s*(?P<city>[^–—()]+?)\s+[–—]\s+(?P<district>[^()]+?)\s*$")


class CityAliasError(ValueError):
    """The alias table is malformed; the message names the file, the row and the field."""


@cache
def aliases(path: Path = ALIASES_CSV) -> dict[str, str]:
    """Normalised variant -> normalised canonical name, from the reviewed alias table."""
    df = read_curated(path, ALIAS_COLUMNS, CityAliasError)
    out: dict[str, str] = {}
    for i, row in enumerate(df.itertuples(index=False), start=2):
        variant, canonical = normalise(row.variant), normalise(row.canonical)
        if not variant or not canonical or not row.reason.strip():
            raise CityAliasError(f"{path}, line {i}: variant, canonical and reason are required.")
        if variant in out and out[variant] != canonical:
            raise CityAliasError(f"{path}, line {i}, field variant: {row.variant!r} already maps to {out[variant]!r}.")
        out[variant] = canonical
    chained = sorted(set(out) & set(out.values()))
    if chained:
        raise CityAliasError(f"{path}: {chained} appear both as variant and as canonical; map each variant to the final name.")
    return out


def city_name_key(name: str) -> str:
    """The normalised name of a city with its spelling variants folded: 'Havana – Old Havana' -> 'old havana havana'."""
    text = str(name)
    m = _DISTRICT.match(text)
    if m:
        text = f"{m['district']} ({m['city']})"
    key = normalise(text)
    return aliases().get(key, key)


def city_key(name: str, iso3: str) -> str:
    """Identifier of a city: its folded name and its country, e.g. ``'laredo|USA'``."""
    return f"{city_name_key(name)}|{str(iso3).strip().upper()}"
