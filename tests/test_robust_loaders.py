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
    assert out_of_range("2025-06", TODAY) is None
    assert out_of_range("1950-01", TODAY) is None
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
    assert reasons["rai.csv:4"].startswith("duplicate content")
    assert len(reasons) == 2
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


# ------------------------------------------------------------------------------ development plans

PMD = FIX / "pmd"


def test_windows_1252_text_plan_keeps_quotes_and_dashes(tmp_path: Path) -> None:
    from analysis.ingest import plans as D

    text = "Eje 1. “Ciudad segura” — prevención\nObjetivo 1.1 Reducir los delitos – con la policía de proximidad.\n"
    path = tmp_path / "23005_2021-2024.txt"
    path.write_bytes(text.encode("cp1252"))
    plan = D.parse_plan(path)
    assert plan.segments.text.tolist()[0] == "Eje 1. “Ciudad segura” — prevención"
    assert "–" in plan.segments.text.tolist()[1]


def _encrypt(tmp_path: Path, name: str, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(PMD / "plan_texto.pdf"))
    writer.encrypt(user_password=user_password, owner_password="propietario", algorithm="AES-256")
    path = tmp_path / name
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def test_aes_pdf_with_empty_password_opens_and_locked_pdf_is_set_aside(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from analysis.ingest import plans as D

    folder = tmp_path / "pmd"
    folder.mkdir()
    _encrypt(folder, "23005_2021-2024.pdf", "")
    _encrypt(folder, "23006_2021-2024.pdf", "secreto")
    (folder / "23007_2021-2024.txt").write_text("Eje 1. Turismo\nObjetivo 1.1 Promover la ciudad.\n", encoding="utf-8")
    segments, report = D.load_plans(folder)
    status = report.set_index("file")
    assert status.status.to_dict() == {"23005_2021-2024.pdf": "kept", "23006_2021-2024.pdf": "set_aside",
                                       "23007_2021-2024.txt": "kept"}
    assert "password-protected" in status.loc["23006_2021-2024.pdf", "reason"]
    reference = D.parse_plan(PMD / "plan_texto.pdf", "23005", "2021-2024").segments
    assert segments[segments.inegi_code == "23005"].text.tolist() == reference.text.tolist()


def test_aes_pdf_without_cryptography_gives_a_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    from analysis.ingest import plans as D

    path = _encrypt(tmp_path, "23005_2021-2024.pdf", "")

    def no_aes(self: PdfReader, password: str) -> int:  # noqa: ARG001 - stands in for PdfReader.decrypt, same signature
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", no_aes)
    with pytest.raises(D.DocumentError, match=r"encrypted with AES and reading it needs the 'cryptography' package"):
        D.parse_plan(path)


def test_empty_plans_folder_is_a_clear_error(tmp_path: Path) -> None:
    from analysis.ingest import plans as D

    with pytest.raises(D.DocumentError, match=r"the plans folder is empty; drop the plans there"):
        D.load_plans(tmp_path)
