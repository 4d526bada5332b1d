"""Loaders under bad input: RAI exports with implausible dates and repeated rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis.tables.agreements import AdapterResult
from analysis.tables.rai import RaiFormatError, read_rai
from analysis.util.dates import out_of_range

FIX = Path(__file__).parent / "fixtures"
TODAY = dt.date(2025, 6, 30)
HEADER = ("No. de registro,Estado,Parte mexicana,Contraparte extranjera,País de la contraparte,Denominación,"
          "Fecha de suscripción,Fecha de inscripción\n")


@pytest.fixture(scope="module")
def munis() -> pd.DataFrame:
    return pd.read_csv(FIX / "rai" / "municipalities_subset.csv", dtype={"inegi_code": str, "state_code": str})


def _rai(tmp_path: Path, body: str, munis: pd.DataFrame) -> AdapterResult:
    path = tmp_path / "rai.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return read_rai(path, munis, today=TODAY)


def test_dates_outside_1950_to_today_are_set_aside(tmp_path: Path, munis: pd.DataFrame) -> None:
    r = _rai(tmp_path, (
        "B-1,Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio de Ciudades Hermanas,1o. de julio de 1985,\n"
        "B-2,Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio de Ciudades Hermanas,01/07/1895,\n"
        "B-3,Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio de Ciudades Hermanas,01/07/1985,01/01/1949\n"
        "B-4,Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio de Ciudades Hermanas,01/07/2031,\n"
    ), munis)
    assert r.agreements.agreement_id.tolist() == ["RAI-B-1"]
    reasons = r.review.set_index("source_ref").reason
    assert reasons["rai.csv:3"] == ("date out of range: signed_date 1895-07-01 is before 1950 "
                                    "(plausible: 1950 to today)")
    assert reasons["rai.csv:4"].startswith("date out of range: registered_date 1949-01-01 is before 1950")
    assert reasons["rai.csv:5"].startswith("date in the future: signed_date 2031-07-01 is after 2025-06-30")
    assert r.counts["rows_in"] == 4 == r.counts["kept"] + r.counts["set_aside"]


def test_out_of_range_compares_partial_dates_at_their_precision() -> None:
    assert out_of_range("2025-06", TODAY) is None and out_of_range("1950-01", TODAY) is None
    assert out_of_range("2025-07", TODAY) == "2025-07 is after 2025-06-30"
    assert out_of_range("1949-12-31", TODAY) == "1949-12-31 is before 1950"


def test_duplicate_rows_detected_by_content_without_registry_number(tmp_path: Path, munis: pd.DataFrame) -> None:
    row = "Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio de Ciudades Hermanas,01/07/1985,\n"
    r = _rai(tmp_path, (
        f",{row}"
        f",{row.replace('Municipio de Cancún', 'H. Ayuntamiento de Benito Juárez').replace('Wichita', 'WICHITA')}"
        f"C-9,{row}"
        f"C-10,{row.replace('01/07/1985', '02/07/1985')}"
    ), munis)
    assert sorted(r.agreements.agreement_id) == ["RAI-C-10", "RAI-L00002"]
    reasons = r.review.set_index("source_ref").reason
    assert reasons["rai.csv:3"] == ("duplicate content: same Mexican party, partner, country, title and signing date "
                                    "as rai.csv:2")
    assert reasons["rai.csv:4"].startswith("duplicate content") and len(reasons) == 2
    assert r.counts["rows_in"] == 4 == r.counts["kept"] + r.counts["set_aside"]


def test_rai_csv_with_an_unclosed_quote_names_the_line(tmp_path: Path, munis: pd.DataFrame) -> None:
    with pytest.raises(RaiFormatError, match=r"rai\.csv: line 3: a quoted field is never closed"):
        _rai(tmp_path, ("B-1,Q. Roo,Municipio de Cancún,City of Wichita,EUA,Convenio,01/07/1985,\n"
                        'B-2,Q. Roo,"Municipio de Cancún,City of Wichita,EUA,Convenio,01/07/1985,\n'), munis)


def test_rai_workbook_saved_as_csv_is_named(tmp_path: Path, munis: pd.DataFrame) -> None:
    import shutil

    path = tmp_path / "rai.csv"
    shutil.copy(FIX / "rai" / "rai_export.xlsx", path)
    with pytest.raises(RaiFormatError, match=r"rai\.csv: is an Excel workbook \(XLSX\), not a text file"):
        read_rai(path, munis, today=TODAY)
