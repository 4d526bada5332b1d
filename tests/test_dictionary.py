"""The data dictionary (data/dictionary.yml) matches the pipeline and the processed tables."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from analysis import paths
from analysis.tables.dictionary import Table, load_data_dictionary
from analysis.workflow.pipeline import load_pipeline

PROCESSED_PREFIX = "data/processed/"
COMMAND_PREFIX = "python -m analysis"
RUN_HINT = "run the pipeline first: `python -m analysis run`"
TABLES: list[Table] = load_data_dictionary()


def declared_csv_outputs() -> dict[str, list[str]]:
    """Table name (path under data/processed) -> the notebooks (notebooks/NAME.ipynb) declaring it."""
    out: dict[str, list[str]] = {}
    for step in load_pipeline():
        for output in step.outputs:
            if output.startswith(PROCESSED_PREFIX) and output.endswith(".csv"):
                out.setdefault(output.removeprefix(PROCESSED_PREFIX), []).append(f"notebooks/{step.notebook}")
    return out


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line."""
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


# --- static checks: dictionary against notebooks/pipeline.yml ---------------------------------------


def test_every_table_is_documented_in_full() -> None:
    names = Counter(t.name for t in TABLES)
    assert [n for n, k in names.items() if k > 1] == []
    problems = [f"{t.name}: empty description" for t in TABLES if not str(t.description).strip()]
    problems += [f"{t.name}: no columns" for t in TABLES if not t.columns]
    problems += [f"{t.name}.{c}: empty description" for t in TABLES for c, d in t.columns.items()
                 if not isinstance(d, str) or not d.strip()]
    assert not problems, "data/dictionary.yml: " + "; ".join(problems)


def test_written_by_is_the_notebook_that_declares_the_table() -> None:
    declared = declared_csv_outputs()
    problems = []
    for t in TABLES:
        if t.written_by.startswith(COMMAND_PREFIX):
            continue
        writers = declared.get(t.name, [])
        if t.written_by not in writers:
            problems.append(f"{t.name}: written_by {t.written_by!r}, but pipeline.yml declares it as output of "
                            f"{writers or 'no notebook'}")
    assert not problems, "\n".join(problems)


def test_every_declared_csv_output_has_one_writer_and_a_dictionary_entry() -> None:
    declared = declared_csv_outputs()
    assert declared, "notebooks/pipeline.yml declares no CSV output under data/processed/"
    documented = {t.name for t in TABLES}
    undocumented = sorted(set(declared) - documented)
    assert undocumented == [], f"CSV outputs in pipeline.yml without an entry in data/dictionary.yml: {undocumented}"
    shared = {name: writers for name, writers in declared.items() if len(writers) > 1}
    assert shared == {}, f"tables declared as output of several notebooks: {shared}"


# --- against the processed tables (needs the pipeline to have run) ----------------------------------


def test_some_processed_table_exists() -> None:
    present = [t.name for t in TABLES if (paths.PROCESSED / t.name).exists()]
    assert present, f"none of the {len(TABLES)} tables of data/dictionary.yml is in {paths.PROCESSED}; {RUN_HINT}."


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_csv_columns_equal_documented_columns(table: Table) -> None:
    path = paths.PROCESSED / table.name
    if not path.exists():
        pytest.skip(f"{path} not written yet; {RUN_HINT}")
    header = csv_header(path)
    assert len(header) == len(set(header)), f"{path}: repeated column names in {header}"
    extra = [c for c in header if c not in table.columns]
    missing = [c for c in table.columns if c not in header]
    assert (extra, missing) == ([], []), (
        f"{table.name}: columns in the CSV but not in data/dictionary.yml: {extra}; "
        f"documented but not in the CSV: {missing}")


# --- load_data_dictionary on small files -----------------------------------------------------------------


def write_yml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dictionary.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_dictionary_names_the_table_and_field_missing(tmp_path: Path) -> None:
    yml = write_yml(tmp_path, """
tables:
  good.csv:
    written_by: notebooks/00_datos.ipynb
    description: Buena.
    columns: {a: Columna a.}
  broken.csv:
    written_by: notebooks/00_datos.ipynb
    columns: {a: Columna a.}
""")
    with pytest.raises(ValueError, match=r"'broken\.csv' lacks 'description'"):
        load_data_dictionary(yml)


def test_load_dictionary_columns_as_copies_and_extends(tmp_path: Path) -> None:
    yml = write_yml(tmp_path, """
tables:
  base.csv:
    written_by: notebooks/00_datos.ipynb
    description: Base.
    columns: {a: Columna a., b: Columna b.}
  copy.csv:
    written_by: python -m analysis data build
    description: Copia.
    columns_as: base.csv
    columns: {c: Columna c.}
  orphan.csv:
    written_by: notebooks/00_datos.ipynb
    description: Huérfana.
    columns_as: base.csv
    columns: {}
""")
    tables = {t.name: t for t in load_data_dictionary(yml)}
    assert list(tables) == ["base.csv", "copy.csv", "orphan.csv"]
    assert tables["copy.csv"].columns == {"a": "Columna a.", "b": "Columna b.", "c": "Columna c."}
    assert tables["orphan.csv"].columns == tables["base.csv"].columns
    assert tables["copy.csv"].written_by == "python -m analysis data build"


def test_load_dictionary_columns_as_unknown_table(tmp_path: Path) -> None:
    yml = write_yml(tmp_path, """
tables:
  copy.csv:
    written_by: notebooks/00_datos.ipynb
    description: Copia.
    columns_as: nowhere.csv
    columns: {}
""")
    with pytest.raises(ValueError, match=r"'copy\.csv'.*unknown table 'nowhere\.csv'"):
        load_data_dictionary(yml)
