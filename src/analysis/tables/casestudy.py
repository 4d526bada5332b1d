"""The curated tables of the Quintana Roo case study, read and validated.

Owns: Table 1 of the seed slides (data/curated/benito_juarez_hermanamientos.csv) and the
institutional timeline (data/curated/qroo_timeline.csv). Errors name the file, the row and the field.
May import: ``analysis.paths``, ``analysis.tables.core``, pandas, pycountry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from analysis import paths
from analysis.tables.store import read_curated

AGREEMENTS_CSV = paths.CURATED / "benito_juarez_hermanamientos.csv"
TIMELINE_CSV = paths.CURATED / "qroo_timeline.csv"


AGREEMENT_COLUMNS = [
    "number", "as_written", "partner_city", "region", "country_iso3", "year", "month", "scope",
    "partner_lat", "partner_lon", "coord_source", "inegi_code_partner", "source_citation",
]


TIMELINE_COLUMNS = ["date", "date_precision", "event", "source", "note"]


SCOPES = ("national", "international")


class CaseStudyDataError(ValueError):
    """A curated case-study table fails a check; the message names file, row and field."""


def _read_curated(path: Path, columns: list[str]) -> pd.DataFrame:
    return read_curated(path, columns, CaseStudyDataError)


def _fail(path: Path, idx: int, field: str, problem: str) -> CaseStudyDataError:
    # idx is 0-based over data rows; line 1 of the file is the header.
    return CaseStudyDataError(f"{path}, row {idx + 1} (line {idx + 2}), field '{field}': {problem}")


def _number(path: Path, idx: int, field: str, text: str, lo: float, hi: float, integer: bool = False) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise _fail(path, idx, field, f"{text!r} is not {kind}; correct the value.") from None
    if not lo <= value <= hi:
        raise _fail(path, idx, field, f"{value} outside [{lo}, {hi}]; correct the value.")
    return value


def _validate_agreement_row(path: Path, idx: int, row: pd.Series) -> None:
    for field in ("partner_city", "as_written", "country_iso3", "scope", "year", "coord_source", "source_citation"):
        if not row[field].strip():
            raise _fail(path, idx, field, "empty; every agreement needs it.")
    if row.scope not in SCOPES:
        raise _fail(path, idx, "scope", f"{row.scope!r} is not one of {SCOPES}.")
    if pycountry.countries.get(alpha_3=row.country_iso3) is None:
        raise _fail(path, idx, "country_iso3", f"{row.country_iso3!r} is not an ISO 3166-1 alpha-3 code.")
    if (row.country_iso3 == "MEX") != (row.scope == "national"):
        raise _fail(path, idx, "scope", f"scope {row.scope!r} contradicts country {row.country_iso3}.")
    _number(path, idx, "year", row.year, 1900, 2100, integer=True)
    if row.month:
        _number(path, idx, "month", row.month, 1, 12, integer=True)
    _number(path, idx, "partner_lat", row.partner_lat, -90, 90)
    _number(path, idx, "partner_lon", row.partner_lon, -180, 180)
    code = row.inegi_code_partner
    if row.scope == "national" and not (len(code) == 5 and code.isdigit()):
        raise _fail(path, idx, "inegi_code_partner", f"{code!r} is not a 5-digit INEGI code (keep leading zeros).")
    if row.scope == "international" and code:
        raise _fail(path, idx, "inegi_code_partner", f"{code!r} given for a partner abroad; leave it empty.")


def read_agreements(path: Path | None = None) -> pd.DataFrame:
    """Read and validate Table 1 (one row per agreement); typed columns, sorted by number."""
    path = path or AGREEMENTS_CSV
    df = _read_curated(path, AGREEMENT_COLUMNS)
    if df.empty:
        raise CaseStudyDataError(f"{path}: no rows; Table 1 lists the agreements.")
    for idx, row in df.iterrows():
        _validate_agreement_row(path, int(idx), row)
    numbers = [int(_number(path, i, "number", v, 1, 10_000, integer=True)) for i, v in enumerate(df.number)]
    if numbers != list(range(1, len(df) + 1)):
        bad = next(i for i, n in enumerate(numbers) if n != i + 1)
        raise _fail(path, bad, "number", f"expected {bad + 1}: numbers must run 1..{len(df)} in order, without gaps.")
    out = df.copy()
    out["number"] = numbers
    out["year"] = out.year.astype(int)
    out["month"] = pd.to_numeric(out.month.replace("", np.nan)).astype("Int64")
    out["partner_lat"] = out.partner_lat.astype(float)
    out["partner_lon"] = out.partner_lon.astype(float)
    return out


def check_partner_codes(agreements: pd.DataFrame, municipalities: pd.DataFrame, path: Path | None = None) -> None:
    """Raise if a Mexican partner's INEGI code is not a municipality of the 2020 census."""
    path = path or AGREEMENTS_CSV
    known = set(municipalities.inegi_code)
    for idx, row in agreements.reset_index(drop=True).iterrows():
        if row.scope == "national" and row.inegi_code_partner not in known:
            raise _fail(path, int(idx), "inegi_code_partner",
                        f"{row.inegi_code_partner} ({row.partner_city}) is not in data/processed/municipalities.csv.")


def read_timeline(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the institutional timeline (ISO 8601 dates of day, month or year precision)."""
    path = path or TIMELINE_CSV
    df = _read_curated(path, TIMELINE_COLUMNS)
    lengths = {"day": 10, "month": 7, "year": 4}
    for idx, row in df.iterrows():
        i = int(idx)
        if row.date_precision not in lengths:
            raise _fail(path, i, "date_precision", f"{row.date_precision!r} is not one of {list(lengths)}.")
        if len(row.date) != lengths[row.date_precision]:
            raise _fail(path, i, "date", f"{row.date!r} does not match precision {row.date_precision!r}.")
        full = row.date + {"day": "", "month": "-01", "year": "-01-01"}[row.date_precision]
        try:
            pd.Timestamp(full)
        except ValueError:
            raise _fail(path, i, "date", f"{row.date!r} is not an ISO 8601 date.") from None
        for field in ("event", "source"):
            if not row[field].strip():
                raise _fail(path, i, field, "empty; every event needs a description and a source.")
    out = df.copy()
    out["year"] = out.date.str[:4].astype(int)
    return out.sort_values("date", kind="stable").reset_index(drop=True)
