"""pandera schemas of the processed tables: one place, used by the writer and by the tests.

Every table of ``data/dictionary.yml`` has a schema. Its columns are exactly the dictionary's
columns (``strict``, in any order); the tables whose content other chapters rely on add checks
on values (codes, ranges, uniqueness) in ``CHECKS``. :func:`analysis.tables.store.write_csv`
validates a table against its schema before anything is written, so a malformed table never
reaches ``data/processed``; the error names the table, the column and the failing values.

May import: ``analysis.tables.dictionary``, pandera, pandas.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from analysis.tables.dictionary import load_data_dictionary

INEGI = pa.Check.str_matches(r"^\d{5}$", error="a 5-digit INEGI code with leading zeros")
STATE = pa.Check.str_matches(r"^\d{2}$", error="a 2-digit state code")
ISO3 = pa.Check.str_matches(r"^[A-Z]{3}$", error="an ISO 3166-1 alpha-3 code")
NON_NEGATIVE = pa.Check.ge(0)
SHARE_PCT = pa.Check.in_range(0, 100)


def _code(check: pa.Check, *, unique: bool = False, nullable: bool = False) -> pa.Column:
    return pa.Column(str, check, unique=unique, nullable=nullable, coerce=True)


#: Value checks per table and column (columns not listed are only required to exist).
CHECKS: dict[str, dict[str, pa.Column]] = {
    "municipalities.csv": {
        "inegi_code": _code(INEGI, unique=True),
        "state_code": _code(STATE),
        "population_2020": pa.Column(int, NON_NEGATIVE),
    },
    "twinnings.csv": {
        "pair_id": pa.Column(str, unique=True),
        "level": pa.Column(str, pa.Check.isin(["municipal", "state", ""]), nullable=True),
        "match_status": pa.Column(str, pa.Check.isin(["matched", "ambiguous", "unmatched"])),
        "partner_country_iso3": _code(ISO3),
    },
    "agreements.csv": {
        "agreement_id": pa.Column(str, unique=True),
        "level": pa.Column(str, pa.Check.isin(["municipal", "state"])),
        "partner_country_iso3": _code(ISO3),
    },
    "links_by_municipality.csv": {
        "inegi_code": _code(INEGI, unique=True),
        "n_links": pa.Column(int, NON_NEGATIVE),
    },
    "links_by_state.csv": {
        "state_code": _code(STATE, unique=True),
        "coverage_pct": pa.Column(float, SHARE_PCT),
    },
    "model_estimates.csv": {
        "irr": pa.Column(float, pa.Check.gt(0), nullable=True),
        "ci_low": pa.Column(float, pa.Check.gt(0), nullable=True),
        "ci_high": pa.Column(float, pa.Check.gt(0), nullable=True),
        "p_value": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
    },
    "municipal_profiles.csv": {
        "inegi_code": _code(INEGI, unique=True),
    },
    "qroo_municipalities.csv": {
        "inegi_code": _code(INEGI, unique=True),
    },
}


class SchemaError(ValueError):
    """A processed table does not match its schema; the message names the table and the columns."""


@cache
def schemas() -> dict[str, pa.DataFrameSchema]:
    """table file name -> schema: the dictionary's columns (strict) plus the value checks of ``CHECKS``."""
    out = {}
    for table in load_data_dictionary():
        extra = CHECKS.get(table.name, {})
        unknown = sorted(set(extra) - set(table.columns))
        if unknown:
            raise SchemaError(f"CHECKS of {table.name} name columns the data dictionary lacks: {unknown}.")
        columns = {c: extra.get(c, pa.Column(nullable=True, required=True)) for c in table.columns}
        out[table.name] = pa.DataFrameSchema(columns, strict=True, name=table.name)
    return out


def validate_table(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Validate ``df`` as the processed table ``name`` (a file name such as ``agreements.csv``).

    A table the data dictionary does not describe is refused: every processed table needs an entry
    in data/dictionary.yml. Returns the table unchanged (the schema's coercions are only checks).
    """
    schema = schemas().get(name)
    if schema is None:
        raise SchemaError(f"{name}: not described in data/dictionary.yml; add the table and its columns there.")
    try:
        schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        parts = [f"{r.column}: {r.check} (e.g. {r.failure_case!r})" for r in cases.head(5).itertuples()]
        raise SchemaError(f"{name}: {len(cases)} value(s) fail the schema — " + "; ".join(parts)
                          + ". Fix the notebook or data/dictionary.yml.") from None
    return df
