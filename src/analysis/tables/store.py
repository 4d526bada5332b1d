"""Reading and writing the compendium's tables: curated tables (in git) and processed tables (pipeline outputs).

Owns: the deterministic CSV writer every notebook uses (each table is validated against its
schema in :mod:`analysis.tables.schemas` before it is written) and the readers of curated and
processed tables. May import: ``analysis.paths``, ``analysis.tables.schemas``, pandas.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.tables.schemas import validate_table


def write_csv(df: pd.DataFrame, name: str) -> str:
    """Validate a processed table against its schema, write it deterministically (UTF-8, LF, no index).

    Returns its path relative to the project root. A table that fails its schema is not written
    (:class:`analysis.tables.schemas.SchemaError`).
    """
    validate_table(df, Path(name).name)
    paths.PROCESSED.mkdir(parents=True, exist_ok=True)
    target = paths.PROCESSED / name
    tmp = target.with_suffix(target.suffix + ".tmp")
    df.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")
    tmp.replace(target)
    return str(target.relative_to(paths.ROOT))


def read_curated(path: Path, columns: list[str], error: type[Exception] = ValueError) -> pd.DataFrame:
    """Read a hand-entered table of data/curated as text; a missing file or column is a clear error."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; it is a curated table kept in git (data/curated).")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise error(f"{path}: missing column(s) {missing}; expected {columns}.")
    return df


def read_twinnings() -> pd.DataFrame:
    """Read data/processed/twinnings.csv with codes as strings."""
    path = paths.PROCESSED / "twinnings.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 00 with `python -m analysis run`.")
    return pd.read_csv(path, dtype={"inegi_code": str, "state_code": str}, keep_default_na=False,
                       na_values={"mexican_lat": [""], "mexican_lon": [""], "partner_lat": [""], "partner_lon": [""]})
