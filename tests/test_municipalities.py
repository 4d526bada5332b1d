"""INEGI export quirks on small fixtures, and the checks on the real 2020 frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest.inegi import InegiFormatError, read_export
from analysis.tables.municipalities import (
    EXPECTED_NATIONAL_TOTAL,
    MunicipalityDataError,
    load_municipalities,
    read_census_2020,
    read_census_history,
    validate,
)

CENSUS_2020 = '''"Población total"
""
"Consulta de: Población total   Por: Entidad y municipio   Según: Sexo"
"","","Total","Hombres","Mujeres",""
" ","Total","1,300","640","660"
"=CONCATENAR(0,01) ","Aguascalientes","1,000","490","510"
" 01 001 ","Aguascalientes","900","440","460"
" 01 002 ","Asientos","100","50","50"
"=CONCATENAR( ,23) ","Quintana Roo","300","150","150"
" 23 005 ","Benito Juárez","300","150","150"

"FUENTE: INEGI. Censo de Población y Vivienda 2020."
'''

HISTORY = '''"Población total"
""
"Consulta de: Población total   Por: Entidad y municipio y Sexo   Según: Año censal"
"","","","1990","1995","2000","2005","2010",""
"","Total","Total","10","11","12","13","14"
"=CONCATENAR(0,01) ","Aguascalientes","Total","10","11","12","13","14"
" 01 001 ","Aguascalientes","Total","8","9","10","11","12"
" 01 001 ","Aguascalientes","Hombre","4","4","5","5","6"
" 01 002 ","Asientos","Total","","","2","2","2"

"Fuente: INEGI. XI  Censo general de población y vivienda 1990."
"                 INEGI. II Conteo de población y vivienda{SP}
2005."
'''.replace("{SP}", " ")


def write(tmp: Path, text: str, encoding: str = "latin-1") -> Path:
    path = tmp / "export.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_census_quirks_are_handled(tmp_path: Path, encoding: str) -> None:
    df, totals = read_census_2020(write(tmp_path, CENSUS_2020, encoding))
    assert df.inegi_code.tolist() == ["01001", "01002", "23005"]
    assert df.loc[df.inegi_code == "23005", "name"].item() == "Benito Juárez"
    assert df.loc[df.inegi_code == "23005", "state_name"].item() == "Quintana Roo"
    assert df.population_2020.tolist() == [900, 100, 300]
    assert totals["national"] == 1300
    assert set(totals["states"]) == {"01", "23"}


def test_history_keeps_totals_and_missing_years(tmp_path: Path) -> None:
    df = read_census_history(write(tmp_path, HISTORY))
    assert df.inegi_code.tolist() == ["01001", "01002"]
    assert df.loc[1, "pop_1990"] is not None
    assert str(df.loc[1, "pop_1990"]) == "<NA>"
    assert int(df.loc[0, "pop_2010"]) == 12


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('"100","50","50"', '"100","50"'), r"line 8: expected 5 columns, found 4"),
        (lambda t: t.replace('" 01 002 "', '" 1-002 "'), r"line 8: unrecognised area code"),
        (lambda t: t.replace('"900","440","460"', '"-900","440","460"'), r"line 7, column 'total'.*negative"),
        (lambda t: t.replace('"900","440","460"', '"9OO","440","460"'), r"'9OO' is not a number"),
        (lambda t: t.replace('"900","440","460"', '"800","340","460"'), (r"state 01 .* sum to 900, "
                                                                          r"but its subtotal row says 1,000")),
        (lambda t: t.replace('"900","440","460"', '"900","400","460"'), r"men \(400\) \+ women \(460\) != total \(900\)"),
        (lambda t: t + '" 23 005 ","Benito Juárez","300","150","150"\n', r"23005 appears 2 times"),
    ],
)
def test_census_bad_input_names_the_line(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InegiFormatError, match=message):
        read_census_2020(write(tmp_path, edit(CENSUS_2020)))


def test_empty_and_headerless_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InegiFormatError, match="the file is empty"):
        read_export(write(tmp_path, ""), 3)
    with pytest.raises(InegiFormatError, match="no header row found"):
        read_export(write(tmp_path, "just,some,text\n1,2,3\n"), 3)
    with pytest.raises(InegiFormatError, match="no data rows"):
        read_export(write(tmp_path, '"t"\n"","","Total","Hombres","Mujeres"\n'), 3)


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_real_frame_holds_the_census_figures() -> None:
    df, report = load_municipalities()
    assert len(df) == 2469
    assert df.population_2020.sum() == EXPECTED_NATIONAL_TOTAL == 126_014_024
    qroo = df[df.state_code == "23"]
    assert len(qroo) == 11
    assert qroo.population_2020.sum() == 1_857_985
    assert df.set_index("inegi_code").loc["23005", "seat_name"] == "Cancún"
    assert df.set_index("inegi_code").loc["23008", "name"] == "Solidaridad"
    assert df.inegi_code.str.fullmatch(r"\d{5}").all()
    # every catalogue row is either kept or set aside with a reason
    assert report.counts["catalogue_rows"] == report.counts["kept"] + report.counts["catalogue_rows_set_aside"]
    assert all(r["reason"] for r in report.set_aside)


@pytest.mark.usefixtures("real_data")
def test_validate_reports_every_failed_check() -> None:
    df, _ = load_municipalities()
    broken = df.drop(index=df.index[df.inegi_code == "23005"])
    with pytest.raises(MunicipalityDataError, match=r"2468 municipalities.*Quintana Roo sums to 946,482"):
        validate(broken)
