"""The pandera schemas of the processed tables agree with the data dictionary and stop bad tables before writing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.tables import schemas
from analysis.tables.dictionary import load_data_dictionary
from analysis.tables.store import write_csv


def test_every_dictionary_table_has_a_schema_with_its_columns() -> None:
    tables = {t.name: t for t in load_data_dictionary()}
    found = schemas.schemas()
    assert set(found) == set(tables)
    for name, schema in found.items():
        assert set(schema.columns) == set(tables[name].columns), name
        assert schema.strict is True


def test_value_checks_name_dictionary_columns() -> None:
    tables = {t.name: t for t in load_data_dictionary()}
    for name, cols in schemas.CHECKS.items():
        assert name in tables, f"CHECKS for {name}, which the dictionary lacks"
        assert set(cols) <= set(tables[name].columns), name


def municipalities_frame() -> pd.DataFrame:
    cols = {t.name: t for t in load_data_dictionary()}["municipalities.csv"].columns
    row = {c: "" for c in cols} | {"inegi_code": "23005", "state_code": "23", "population_2020": 911503}
    return pd.DataFrame([row])


def test_valid_table_passes() -> None:
    df = municipalities_frame()
    assert schemas.validate_table(df, "municipalities.csv") is df


@pytest.mark.parametrize(("change", "message"), [
    ({"inegi_code": "2305"}, "inegi_code"),
    ({"population_2020": -1}, "population_2020"),
    ({"state_code": "Q. Roo"}, "state_code"),
])
def test_bad_values_are_named(change: dict[str, object], message: str) -> None:
    df = municipalities_frame().assign(**change)
    with pytest.raises(schemas.SchemaError, match=message):
        schemas.validate_table(df, "municipalities.csv")


def test_extra_or_missing_column_is_refused() -> None:
    with pytest.raises(schemas.SchemaError, match=r"municipalities\.csv"):
        schemas.validate_table(municipalities_frame().assign(extra=1), "municipalities.csv")
    with pytest.raises(schemas.SchemaError, match=r"municipalities\.csv"):
        schemas.validate_table(municipalities_frame().drop(columns="name"), "municipalities.csv")


def test_unknown_table_is_refused() -> None:
    with pytest.raises(schemas.SchemaError, match="dictionary"):
        schemas.validate_table(pd.DataFrame({"a": [1]}), "nueva_tabla.csv")


def test_writer_writes_nothing_when_the_schema_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "PROCESSED", tmp_path / "processed")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    bad = municipalities_frame().assign(inegi_code="5")
    with pytest.raises(schemas.SchemaError):
        write_csv(bad, "municipalities.csv")
    assert not (tmp_path / "processed" / "municipalities.csv").exists()
    assert write_csv(municipalities_frame(), "municipalities.csv") == "processed/municipalities.csv"
