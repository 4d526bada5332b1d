"""Readers for CONAPO's municipal indices: marginalisation 2020 and US migration intensity 2010.

- ``IMM_2020.csv`` (Índice de marginación 2020): UTF-8 with a byte-order mark; ``CVE_MUN`` is
  already the 5-digit INEGI code; ``IM_2020`` the index, ``GM_2020`` the grade ("Muy bajo" ..
  "Muy alto"), ``IMN_2020`` the index normalised to 0-1. One row per municipality of the 2020
  census (2,469).
- ``IAIM_2010_municipios.csv`` (Índice absoluto de intensidad migratoria México-Estados Unidos
  2010): ``ENT`` (2 digits) and ``MUN`` (3 digits) make the 5-digit code; ``IAIM`` the index.
  It follows the 2010 geography (2,456 municipalities): municipalities created after 2010 have
  no value and are reported as missing by :func:`coverage`, never imputed.

  Four rows of that file carry state code 17 (Morelos, which had 33 municipalities in 2010)
  with municipality numbers 110-113; they sit between Michoacán's 16109 and Morelos' 17001, and
  Michoacán's 16110-16113 (Zinapécuaro, Ziracuaretiro, Zitácuaro, José Sixto Verduzco; all in
  existence in 2010)
  are otherwise absent. They are read as 16110-16113 (``IAIM_CODE_CORRECTIONS``), and the
  correction is counted in the report; any other code unknown to the 2020 geography is
  reported, not dropped.

Bad input raises :class:`ConapoFormatError` naming the file, the line, the field and what to do.

May import: nothing from ``analysis``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

GRADES = ("Muy bajo", "Bajo", "Medio", "Alto", "Muy alto")
IMM_COLUMNS = ["inegi_code", "state_code", "name_conapo", "population_2020_conapo", "marginalisation_index_2020",
               "marginalisation_grade_2020", "marginalisation_normalised_2020", "source_row"]
IAIM_COLUMNS = ["inegi_code", "migration_intensity_2010", "code_in_file", "source_row"]
#: Code as written in the file -> code it stands for, with the reason (see the module docstring).
IAIM_CODE_CORRECTIONS: dict[str, tuple[str, str]] = {
    f"17{m}": (f"16{m}", "state code 17 written for Michoacán (16): the row sits in Michoacán's block and "
                         "Morelos had 33 municipalities in 2010")
    for m in ("110", "111", "112", "113")
}
FETCH_HINT = "fetch it again with `python -m analysis data fetch`"
_CODE5 = re.compile(r"^\d{5}$")


class ConapoFormatError(ValueError):
    """A CONAPO file does not have the expected shape; the message names file, line and field."""


@dataclass
class Coverage:
    """Which municipalities of a reference list have a value, and which values have no municipality."""

    column: str
    expected: int
    with_value: int
    missing_codes: list[str] = field(default_factory=list)
    codes_not_in_reference: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"{self.column}: {self.with_value:,} of {self.expected:,} municipalities have a value",
            f"sin valor ({len(self.missing_codes)}): {', '.join(self.missing_codes) or 'ninguno'}",
            f"códigos del archivo ausentes de la geografía de referencia ({len(self.codes_not_in_reference)}): "
            f"{', '.join(self.codes_not_in_reference) or 'ninguno'}",
        ]


def _rows(path: Path, required: tuple[str, ...], source_id: str) -> list[tuple[int, dict[str, str]]]:
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise ConapoFormatError(f"{path}: the file is empty; {FETCH_HINT} (source id {source_id}).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConapoFormatError(f"{path}: not UTF-8 (byte {exc.start}); {FETCH_HINT} (source id {source_id}).") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ConapoFormatError(f"{path}: missing column(s) {missing}; found {header}. Is this the {source_id} file?")
    reader.fieldnames = header
    out = []
    for rec in reader:
        line = reader.line_num
        if None in rec or any(rec.get(c) is None for c in required):
            raise ConapoFormatError(f"{path}, line {line}: wrong number of fields; the file looks truncated or edited; "
                                    f"{FETCH_HINT}.")
        out.append((line, {k: (v or "").strip() for k, v in rec.items()}))
    if not out:
        raise ConapoFormatError(f"{path}: a header but no data rows; {FETCH_HINT} (source id {source_id}).")
    return out


def _float(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConapoFormatError(f"{path}, line {line}, field {column}: {text!r} is not a number (decimal point expected); "
                                f"{FETCH_HINT}.") from None
    if not math.isfinite(value):
        raise ConapoFormatError(f"{path}, line {line}, field {column}: {text!r} is not a finite number.")
    return value


def read_imm2020(path: Path) -> pd.DataFrame:
    """The 2020 marginalisation index, one row per municipality (``IMM_COLUMNS``), sorted by code."""
    path = Path(path)
    rows = []
    seen: dict[str, int] = {}
    for line, r in _rows(path, ("CVE_ENT", "NOM_MUN", "CVE_MUN", "POB_TOT", "IM_2020", "GM_2020", "IMN_2020"),
                         "conapo_imm2020"):
        code = r["CVE_MUN"]
        if not _CODE5.match(code):
            raise ConapoFormatError(f"{path}, line {line}, field CVE_MUN: {code!r} is not a 5-digit INEGI code "
                                    "(a spreadsheet may have dropped the leading zero); " + FETCH_HINT + ".")
        if code[:2] != r["CVE_ENT"].zfill(2):
            raise ConapoFormatError(f"{path}, line {line}, field CVE_ENT: {r['CVE_ENT']!r} disagrees with CVE_MUN {code}.")
        if code in seen:
            raise ConapoFormatError(f"{path}, line {line}, field CVE_MUN: {code} already on line {seen[code]}.")
        seen[code] = line
        grade = r["GM_2020"]
        if grade not in GRADES:
            raise ConapoFormatError(f"{path}, line {line}, field GM_2020: {grade!r} is not one of {list(GRADES)}.")
        norm = _float(r["IMN_2020"], path, line, "IMN_2020")
        if not 0 <= norm <= 1:
            raise ConapoFormatError(f"{path}, line {line}, field IMN_2020: {norm} is outside 0-1.")
        pop = _float(r["POB_TOT"], path, line, "POB_TOT")
        if pop < 0 or pop != int(pop):
            raise ConapoFormatError(f"{path}, line {line}, field POB_TOT: {r['POB_TOT']!r} is not a population count.")
        rows.append({"inegi_code": code, "state_code": code[:2], "name_conapo": r["NOM_MUN"],
                     "population_2020_conapo": int(pop),
                     "marginalisation_index_2020": _float(r["IM_2020"], path, line, "IM_2020"),
                     "marginalisation_grade_2020": grade, "marginalisation_normalised_2020": norm,
                     "source_row": line})
    df = pd.DataFrame(rows, columns=IMM_COLUMNS).sort_values("inegi_code").reset_index(drop=True)
    df["marginalisation_grade_2020"] = pd.Categorical(df.marginalisation_grade_2020, categories=GRADES, ordered=True)
    return df


def read_iaim2010(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """The 2010 migration-intensity index (``IAIM_COLUMNS``) keyed by the 5-digit code, and counts.

    ``code_in_file`` keeps the code as written when ``IAIM_CODE_CORRECTIONS`` applied.
    """
    path = Path(path)
    rows = []
    seen: dict[str, int] = {}
    corrected = 0
    for line, r in _rows(path, ("ENT", "MUN", "IAIM"), "conapo_iaim2010"):
        ent, mun = r["ENT"], r["MUN"]
        if not (ent.isdigit() and len(ent) <= 2):
            raise ConapoFormatError(f"{path}, line {line}, field ENT: {ent!r} is not a state code (2 digits).")
        if not (mun.isdigit() and len(mun) <= 3):
            raise ConapoFormatError(f"{path}, line {line}, field MUN: {mun!r} is not a municipality number (3 digits).")
        written = ent.zfill(2) + mun.zfill(3)
        code = written
        if written in IAIM_CODE_CORRECTIONS:
            code = IAIM_CODE_CORRECTIONS[written][0]
            corrected += 1
        if code in seen:
            raise ConapoFormatError(f"{path}, line {line}, fields ENT+MUN: {code} already on line {seen[code]}.")
        seen[code] = line
        value = _float(r["IAIM"], path, line, "IAIM")
        if value < 0:
            raise ConapoFormatError(f"{path}, line {line}, field IAIM: {value} is negative; the index is >= 0.")
        rows.append({"inegi_code": code, "migration_intensity_2010": value, "code_in_file": written, "source_row": line})
    df = pd.DataFrame(rows, columns=IAIM_COLUMNS).sort_values("inegi_code").reset_index(drop=True)
    return df, {"rows_in_file": len(df), "codes_corrected": corrected}


def coverage(values: pd.DataFrame, reference_codes: list[str] | pd.Series, column: str) -> Coverage:
    """Compare the codes of ``values`` (with a non-missing ``column``) with a reference list of codes."""
    ref = sorted(set(map(str, reference_codes)))
    have = set(values.loc[values[column].notna(), "inegi_code"].astype(str))
    return Coverage(column, len(ref), len(set(ref) & have), sorted(set(ref) - have), sorted(have - set(ref)))
