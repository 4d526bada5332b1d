"""RAI importer on fixtures in the registry's style: CSV latin-1, CSV UTF-8 with BOM, XLSX, malformed rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analysis.tables.agreements import CANONICAL_COLUMNS, AdapterResult
from analysis.tables.rai import RaiFormatError, country_iso3, find_header, load_mapping, read_rai, read_table, resolve_party

FIX = Path(__file__).parent / "fixtures" / "rai"
TODAY = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def munis() -> pd.DataFrame:
    return pd.read_csv(FIX / "municipalities_subset.csv", dtype={"inegi_code": str, "state_code": str})


def _read(name: str, munis: pd.DataFrame) -> AdapterResult:
    return read_rai(FIX / name, munis, today=TODAY)


def test_latin1_csv_with_title_lines(munis: pd.DataFrame) -> None:
    r = _read("rai_latin1.csv", munis)
    assert list(r.agreements.columns) == CANONICAL_COLUMNS
    assert r.counts["header_line"] == 4
    assert r.counts["rows_in"] == 14 == len(r.agreements) + len(r.review)
    assert r.counts["blank_rows_ignored"] == 1
    got = r.agreements.set_index("agreement_id")
    assert got.loc["RAI-0001/2019", "inegi_code"] == "23005"
    assert got.loc["RAI-0001/2019", "agreement_type"] == "hermanamiento"
    assert got.loc["RAI-0001/2019", "signed_date"] == "2019-03-15"
    assert got.loc["RAI-0001/2019", "registered_date"] == "2019-04-02"
    assert got.loc["RAI-0002/2019", ["inegi_code", "partner_country_iso3"]].tolist() == ["02004", "USA"]
    assert got.loc["RAI-0003/2020", ["level", "inegi_code", "state_code"]].tolist() == ["state", "", "14"]
    assert got.loc["RAI-0004/2020", "agreement_type"] == "cultural"
    assert got.loc["RAI-0005/2021", ["inegi_code", "signed_date"]].tolist() == ["23008", "2021-03"]
    assert "Mérida" in got.loc["RAI-0004/2020", "mexican_party"]  # latin-1 decoded correctly


def test_latin1_malformed_rows_go_to_review_with_reasons(munis: pd.DataFrame) -> None:
    review = _read("rai_latin1.csv", munis).review.set_index("source_ref").reason
    expected = {
        "rai_latin1.csv:10": "municipality not found",
        "rai_latin1.csv:11": "date unparseable",
        "rai_latin1.csv:12": "date in the future",
        "rai_latin1.csv:13": "missing required field: mexican_party",
        "rai_latin1.csv:14": "country not recognised",
        "rai_latin1.csv:15": "duplicate registry number",
        "rai_latin1.csv:17": "not a municipal or state government",
        "rai_latin1.csv:18": "partner in Mexico",
        "rai_latin1.csv:19": "state not recognised",
    }
    assert sorted(review.index) == sorted(expected)
    for ref, reason in expected.items():
        assert review[ref].startswith(reason), (ref, review[ref])


def test_utf8_bom_csv_resolves_within_the_named_state(munis: pd.DataFrame) -> None:
    r = _read("rai_utf8_bom.csv", munis)
    got = r.agreements.set_index("agreement_id")
    assert got.loc["RAI-A-101", ["inegi_code", "agreement_type"]].tolist() == ["09015", "ambiental"]
    # "Benito Juárez" in Ciudad de México is the borough, not the Quintana Roo municipality
    assert got.loc["RAI-A-102", "inegi_code"] == "09014"
    assert got.loc["RAI-A-103", ["inegi_code", "signed_date", "agreement_type"]].tolist() == [
        "23005", "1985-07-01", "hermanamiento"]
    reasons = r.review.reason.tolist()
    assert reasons[0].startswith("date unparseable")
    assert "four digits" in reasons[0]
    assert reasons[1].startswith("date inconsistent")
    assert reasons[2] == "missing required field: state"
    assert r.counts["rows_in"] == len(r.agreements) + len(r.review) == 6


def test_xlsx_with_date_cells(munis: pd.DataFrame) -> None:
    r = _read("rai_export.xlsx", munis)
    got = r.agreements.set_index("agreement_id")
    assert got.loc["RAI-X-1", ["inegi_code", "signed_date", "registered_date"]].tolist() == [
        "08037", "2001-05-20", "2001-07-01"]
    assert got.loc["RAI-X-2", ["inegi_code", "agreement_type"]].tolist() == ["30087", "educativa"]
    assert [x.split(":")[0] for x in r.review.reason] == [
        "date in the future", "municipality not found", "missing required field"]
    assert r.review.source_ref.tolist() == ["rai_export.xlsx:6", "rai_export.xlsx:7", "rai_export.xlsx:8"]


def test_same_content_gives_same_agreements_in_any_encoding(tmp_path: Path, munis: pd.DataFrame) -> None:
    text = (FIX / "rai_utf8_bom.csv").read_bytes().decode("utf-8-sig")
    for enc in ("utf-8", "latin-1"):
        path = tmp_path / f"export_{enc}.csv"
        path.write_bytes(text.encode(enc))
        r = read_rai(path, munis, today=TODAY)
        assert r.agreements.inegi_code.tolist() == ["09015", "09014", "23005"]


def test_empty_file_is_a_clear_error(munis: pd.DataFrame) -> None:
    with pytest.raises(RaiFormatError, match=r"rai_empty\.csv: the file is empty"):
        _read("rai_empty.csv", munis)


def test_missing_required_column_names_file_line_and_field(munis: pd.DataFrame) -> None:
    with pytest.raises(RaiFormatError, match=r"rai_missing_columns\.csv.*line 1.*signed_date.*rai_mapping\.yml"):
        _read("rai_missing_columns.csv", munis)


def test_unsupported_and_missing_files(tmp_path: Path, munis: pd.DataFrame) -> None:
    with pytest.raises(RaiFormatError, match="not found"):
        read_rai(tmp_path / "nope.csv", munis)
    odd = tmp_path / "export.ods"
    odd.write_bytes(b"x")
    with pytest.raises(RaiFormatError, match="unsupported file type"):
        read_rai(odd, munis)


def test_header_only_export_says_it_has_no_rows(tmp_path: Path, munis: pd.DataFrame) -> None:
    path = tmp_path / "header.csv"
    path.write_text("Entidad;Municipio;País;Título;Fecha de firma\n", encoding="utf-8")
    with pytest.raises(RaiFormatError, match=r"header\.csv: the export has no rows after its header \(line 1\)"):
        read_rai(path, munis, today=TODAY)


def test_two_columns_for_one_field_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("Entidad;Estado;Municipio;País;Título;Fecha de firma\nJalisco;Jalisco;Guadalajara;Chile;x;1/1/2020\n",
                    encoding="utf-8")
    rows, _ = read_table(path)
    with pytest.raises(RaiFormatError, match=r"line 1.*several columns map to field\(s\) \['state'\]"):
        find_header(rows, load_mapping(), path)


def test_mapping_rejects_a_variant_under_two_fields(tmp_path: Path) -> None:
    path = tmp_path / "map.yml"
    path.write_text("required: [state]\nfields:\n  state: [Entidad]\n  mexican_party: [entidad]\n", encoding="utf-8")
    with pytest.raises(RaiFormatError, match="listed under both"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("party", "state", "expected"),
    [
        ("H. Ayuntamiento de Benito Juárez", "23", ("municipal", "23005")),
        ("Honorable Ayuntamiento Constitucional de Benito Juárez", "23", ("municipal", "23005")),
        ("Municipio de Tijuana, Baja California", "02", ("municipal", "02004")),
        ("Alcaldía Cuauhtémoc", "09", ("municipal", "09015")),
        ("Gobierno del Estado de Quintana Roo", "23", ("state", "")),
        ("Gobierno de la Ciudad de México", "09", ("state", "")),
        ("Municipio de Playa del Carmen", "23", ("municipal", "23008")),
    ],
)
def test_resolve_party(party: str, state: str, expected: tuple[str, str], munis: pd.DataFrame) -> None:
    from analysis.tables.rai import _municipal_index, _state_index

    states = tuple(munis[["state_code", "state_name", "state_abbr"]].drop_duplicates().itertuples(index=False))
    assert resolve_party(party, state, _municipal_index(munis), _state_index(states)) == expected


def test_resolve_party_does_not_cross_states(munis: pd.DataFrame) -> None:
    from analysis.tables.rai import _municipal_index

    with pytest.raises(LookupError, match="municipality not found"):
        resolve_party("Municipio de Tijuana", "23", _municipal_index(munis), {})


@pytest.mark.parametrize(("name", "iso3"), [("Estados Unidos de América", "USA"), ("España", "ESP"), ("Japón", "JPN"),
                                            ("Corea del Sur", "KOR"), ("Alemania", "DEU"), ("Germany", "DEU")])
def test_country_names(name: str, iso3: str) -> None:
    assert country_iso3(name) == iso3
