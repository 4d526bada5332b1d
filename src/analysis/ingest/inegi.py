"""Readers for INEGI's "Consulta" CSV exports (census population by state and municipality).

The exports have quirks that every reader must handle (see data/sources.yml):
latin-1 encoding, title lines before the header, quoted numbers with thousands separators,
a national total row, one subtotal row per state whose code is written as a spreadsheet formula
(``=CONCATENAR(0,01)`` for states 01-09, ``=CONCATENAR( ,10)`` from 10 on), municipality rows
coded like `` 01 001 ``, and trailing source lines.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

MUNI_CODE = re.compile(r"^\s*(\d{2})\s+(\d{3})\s*$")
STATE_FORMULA = re.compile(r"^\s*=CONCATENAR\(\s*0?\s*,\s*(\d{1,2})\s*\)\s*$", re.IGNORECASE)
NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")


class InegiFormatError(ValueError):
    """An INEGI export does not have the expected shape; the message names file and line."""


@dataclass
class ExportRow:
    """One data row of an export, classified."""

    line: int
    kind: str  # "national", "state", "municipality"
    state_code: str
    muni_code: str
    name: str
    values: list[str]


@dataclass
class Export:
    """A parsed export: its header and classified rows, plus what was set aside and why."""

    path: Path
    header: list[str]
    rows: list[ExportRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def decode(raw: bytes, path: Path) -> str:
    """Decode an export: UTF-8 (with or without BOM) when valid, else latin-1 as INEGI writes it."""
    if not raw.strip():
        raise InegiFormatError(f"{path}: the file is empty; fetch it again with `python -m analysis data fetch`.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_number(text: str, path: Path, line: int, column: str) -> int | None:
    """Parse ``"1,425,607"``; empty means not available; anything else is an error."""
    text = text.strip()
    if text == "":
        return None
    if not NUMBER.match(text):
        raise InegiFormatError(f"{path}, line {line}, column '{column}': {text!r} is not a number.")
    value = int(text.replace(",", ""))
    if value < 0:
        raise InegiFormatError(f"{path}, line {line}, column '{column}': negative population {value}.")
    return value


def read_export(path: Path, n_values: int) -> Export:
    """Read an INEGI export whose data rows are: code, name, then ``n_values`` value columns.

    Lines before the header (the first row whose first two cells are empty and that has value
    labels) are titles; lines after the data are source notes. Every other line that is not a
    national, state or municipality row is recorded in ``skipped`` with the reason.
    """
    text = decode(path.read_bytes(), path)
    reader = csv.reader(io.StringIO(text))
    export: Export | None = None
    in_data = False
    for cells in reader:
        line = reader.line_num
        if export is None:
            if len(cells) >= 3 and cells[0].strip() == "" and cells[1].strip() == "" and any(c.strip() for c in cells[2:]):
                export = Export(path=path, header=[c.strip() for c in cells if c.strip()])
            continue
        if not cells or all(not c.strip() for c in cells):
            if in_data:
                in_data = False
            continue
        code = cells[0]
        if len(cells) < 2 + n_values:
            if in_data or MUNI_CODE.match(code) or STATE_FORMULA.match(code):
                raise InegiFormatError(
                    f"{path}, line {line}: expected {2 + n_values} columns, found {len(cells)}; "
                    f"the file looks truncated or edited. Fetch it again."
                )
            export.skipped.append((line, f"note line: {','.join(cells)[:60]!r}"))
            continue
        values = cells[2 : 2 + n_values]
        m = MUNI_CODE.match(code)
        s = STATE_FORMULA.match(code)
        if m:
            export.rows.append(ExportRow(line, "municipality", m.group(1), m.group(1) + m.group(2), cells[1].strip(), values))
        elif s:
            export.rows.append(ExportRow(line, "state", s.group(1).zfill(2), "", cells[1].strip(), values))
        elif code.strip() == "" and cells[1].strip() == "Total":
            export.rows.append(ExportRow(line, "national", "", "", "Total", values))
        else:
            raise InegiFormatError(
                f"{path}, line {line}: unrecognised area code {code!r}; expected ' SS MMM ' "
                f"or '=CONCATENAR(0,SS)'."
            )
        in_data = True
    if export is None:
        raise InegiFormatError(f"{path}: no header row found; is this an INEGI 'Consulta' export?")
    if not export.rows:
        raise InegiFormatError(f"{path}: header found but no data rows; the file looks truncated.")
    return export
