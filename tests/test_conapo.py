"""CONAPO readers: marginalisation 2020 and migration intensity 2010, small files, bad input, real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest.conapo import ConapoFormatError, coverage, read_iaim2010, read_imm2020
from analysis.ingest.sources import require

FIX = Path(__file__).parent / "fixtures" / "conapo"


def edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    raw = (FIX / name).read_bytes().decode("utf-8")
    assert old in raw, old
    path = tmp_path / name
    path.write_bytes(raw.replace(old, new, 1).encode("utf-8"))
    return path


def test_imm_small_reads_bom_codes_grades():
    df = read_imm2020(FIX / "imm_small.csv")
    assert list(df.inegi_code) == ["14039", "23005", "23010"]
    row = df.set_index("inegi_code").loc["23010"]
    assert row.marginalisation_grade_2020 == "Alto"
    assert row.marginalisation_index_2020 == pytest.approx(51.2)
    assert df.marginalisation_grade_2020.cat.ordered
    assert df.set_index("inegi_code").loc["23005", "name_conapo"] == "Benito Juárez"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("23010,Bacalar", "2310,Bacalar", "line 3, field CVE_MUN: '2310' is not a 5-digit"),
    (",Alto,0.80", ",Altísimo,0.80", "line 3, field GM_2020"),
    ("51.2,Alto", "51,2,Alto", "line 3: wrong number of fields"),
    ("0.80\n", "1.80\n", "line 3, field IMN_2020"),
    ("61.0,Muy", "n.d.,Muy", "line 4, field IM_2020: 'n.d.' is not a number"),
    ("14,Jalisco,14039,Guadalajara", "14,Jalisco,23005,Guadalajara", "field CVE_ENT"),
    ("IM_2020,GM_2020", "IM,GM_2020", "missing column(s) ['IM_2020']"),
])
def test_imm_bad_input(tmp_path, old, new, message):
    path = edited(tmp_path, "imm_small.csv", old, new)
    with pytest.raises(ConapoFormatError) as err:
        read_imm2020(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_imm_duplicate_code(tmp_path):
    path = edited(tmp_path, "imm_small.csv", "23,Quintana Roo,23010", "23,Quintana Roo,23005")
    with pytest.raises(ConapoFormatError, match="line 3, field CVE_MUN: 23005 already on line 2"):
        read_imm2020(path)


def test_iaim_small_joins_codes_and_applies_documented_correction():
    df, counts = read_iaim2010(FIX / "iaim_small.csv")
    assert counts == {"rows_in_file": 4, "codes_corrected": 1}
    by = df.set_index("inegi_code")
    assert by.loc["16110", "code_in_file"] == "17110"
    assert by.loc["16110", "migration_intensity_2010"] == 7.986
    assert by.loc["14039", "migration_intensity_2010"] == pytest.approx(1.2)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("23,005,0.1", "23,005,", "line 5, field IAIM: '' is not a number"),
    ("23,005,0.1", "23,005,-1", "line 5, field IAIM: -1.0 is negative"),
    ("23,005", "QR,005", "line 5, field ENT"),
    ("23,005", "23,5a", "line 5, field MUN"),
    ("14,039,1.2", "23,005,1.2", "line 5, fields ENT+MUN: 23005 already on line 2"),
])
def test_iaim_bad_input(tmp_path, old, new, message):
    path = edited(tmp_path, "iaim_small.csv", old, new)
    with pytest.raises(ConapoFormatError) as err:
        read_iaim2010(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_coverage_reports_missing_and_extra_codes():
    df, _ = read_iaim2010(FIX / "iaim_small.csv")
    cov = coverage(df, ["14039", "23005", "23010", "23011"], "migration_intensity_2010")
    assert cov.with_value == 2
    assert cov.expected == 4
    assert cov.missing_codes == ["23010", "23011"]
    assert cov.codes_not_in_reference == ["16109", "16110"]
    assert "23010, 23011" in "\n".join(cov.lines())


def test_empty_file(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("")
    with pytest.raises(ConapoFormatError, match="empty"):
        read_imm2020(path)


def test_real_files():
    imm = read_imm2020(require("conapo_imm2020"))
    iaim, counts = read_iaim2010(require("conapo_iaim2010"))
    assert len(imm) == 2469
    assert len(iaim) == counts["rows_in_file"] == 2456
    assert counts["codes_corrected"] == 4
    assert imm.marginalisation_grade_2020.isna().sum() == 0
    cov = coverage(iaim, imm.inegi_code, "migration_intensity_2010")
    assert cov.with_value + len(cov.missing_codes) == 2469
    assert {"23010", "23011"} <= set(cov.missing_codes)
    assert cov.codes_not_in_reference == []
    assert "23010" not in set(iaim.inegi_code)
    assert pd.Series(imm.inegi_code).is_unique
