"""The data dictionary (data/dictionary.yml): one entry per processed table and its columns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis import paths

DICTIONARY_YML = paths.DATA / "dictionary.yml"


@dataclass(frozen=True)
class Table:
    """A processed table: file name, who writes it, what it holds, and its columns."""

    name: str
    written_by: str
    description: str
    columns: dict[str, str]


def load_data_dictionary(path: Path | None = None) -> list[Table]:
    """Read the dictionary; errors name the table and the missing field."""
    path = path or DICTIONARY_YML
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = doc.get("tables") or {}
    tables = []
    for name, entry in entries.items():
        for key in ("written_by", "description", "columns"):
            if not entry or key not in entry:
                raise ValueError(f"{path}: table '{name}' lacks '{key}'.")
        columns = dict(entry["columns"] or {})
        if "columns_as" in entry:  # same columns as another table
            if entry["columns_as"] not in entries:
                raise ValueError(f"{path}: table '{name}': columns_as names unknown table '{entry['columns_as']}'.")
            columns = {**dict(entries[entry["columns_as"]]["columns"]), **columns}
        tables.append(Table(name, entry["written_by"], entry["description"], columns))
    return tables
