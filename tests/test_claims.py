"""Tests of analysis.claims: the curated claims table and the ledger built from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.analyses import claims
from analysis.tables import casestudy as cst

FIX = Path(__file__).parent / "fixtures" / "casestudy"


def evidence(with_links: bool = False) -> claims.Evidence:
    munis = pd.read_csv(FIX / "municipalities.csv", dtype={"inegi_code": str, "state_code": str})
    twins = pd.read_csv(FIX / "twinnings.csv", dtype={"inegi_code": str, "state_code": str}, keep_default_na=False,
                        na_values={"partner_lat": [""], "partner_lon": [""]})
    ev = claims.Evidence(municipalities=munis, twinnings=twins, agreements=cst.read_agreements(FIX / "agreements_ok.csv"))
    if with_links:
        ev.links_by_municipality = pd.read_csv(FIX / "links_by_municipality.csv", dtype={"inegi_code": str})
    else:
        ev.missing["links_by_municipality"] = "data/processed/links_by_municipality.csv"
    return ev


def fixture_claims(**changes: tuple[int, str, str]) -> pd.DataFrame:
    df = claims.read_claims(FIX / "claims_ok.csv")
    for row, field, value in changes.values():
        df.loc[row, field] = value
    return df


def write_bad(tmp_path: Path, row: int, field: str, value: str) -> Path:
    df = pd.read_csv(FIX / "claims_ok.csv", dtype=str, keep_default_na=False)
    df.loc[row, field] = value
    target = tmp_path / "claims.csv"
    df.to_csv(target, index=False)
    return target


def test_curated_claims_validate_and_cover_both_documents() -> None:
    df = claims.read_claims()
    assert set(df.document) == set(claims.DOCUMENTS)
    assert df.claim_id.is_unique
    must = {"66 %", "49.05 %", "19"}
    assert must <= set(df.value_stated)
    checked = df[df.check != ""]
    assert {"bj_population_share", "bj_agreements_total", "bj_agreements_scope", "national_coverage"} <= set(checked.check)


def test_ledger_from_fixture() -> None:
    ledger = claims.build_ledger(fixture_claims(), evidence()).set_index("claim_id")
    # 911,503 of 1,857,985 = 49.0587 %: the stated 49.05 % is the truncated municipal share.
    assert ledger.loc["C01", "status"] == "consistent"
    assert "49,0587" in ledger.loc["C01", "value_computed"] and "truncada" in ledger.loc["C01", "note"]
    assert ledger.loc["C02", "status"] == "reproduced"  # 4 rows in the fixture Table 1
    assert ledger.loc["C03", "status"] == "reproduced"  # 1 national, 3 international
    assert ledger.loc["C04", "status"] == "pending"
    assert "links_by_municipality.csv" in ledger.loc["C04", "note"]
    assert ledger.loc["C05", "status"] == "not_reproducible" and ledger.loc["C05", "value_computed"] == ""
    assert list(ledger.reset_index().columns) == claims.LEDGER_COLUMNS


@pytest.mark.parametrize(
    ("row", "value", "status"),
    [(0, "49.10 %", "contradicted"), (0, "49.06 %", "consistent"), (1, "19", "contradicted"),
     (2, "10 nacionales y 9 internacionales", "contradicted")],
)
def test_wrong_stated_values_are_contradicted(row: int, value: str, status: str) -> None:
    ledger = claims.build_ledger(fixture_claims(x=(row, "value_stated", value)), evidence())
    assert ledger.iloc[row].status == status


def test_national_coverage_from_links_table() -> None:
    ledger = claims.build_ledger(fixture_claims(), evidence(with_links=True)).set_index("claim_id")
    # 2 of the 4 fixture municipalities have links: 50 %, above the 25 % threshold.
    assert ledger.loc["C04", "value_computed"].startswith("2 de 4 municipios (50,0 %)")
    assert ledger.loc["C04", "status"] == "contradicted"


def test_national_coverage_with_unknown_columns_stays_pending() -> None:
    ev = evidence(with_links=True)
    ev.links_by_municipality = ev.links_by_municipality.rename(columns={"links": "something"})
    ledger = claims.build_ledger(fixture_claims(), ev).set_index("claim_id")
    assert ledger.loc["C04", "status"] == "pending"


@pytest.mark.parametrize(
    ("row", "field", "value", "message"),
    [
        (0, "check", "no_such_check", "not a known check"),
        (0, "status", "reproduced", "leave it empty"),
        (4, "status", "reproduced", "'not_reproducible' or 'pending'"),
        (4, "note", "", "say why"),
        (1, "document", "seed_other", "field 'document'"),
        (1, "claim_id", "C01", "is repeated"),
        (2, "notebook", "cuaderno cinco", "field 'notebook'"),
        (3, "value_stated", "", "field 'value_stated'"),
    ],
)
def test_bad_claims_name_file_row_and_field(tmp_path: Path, row: int, field: str, value: str, message: str) -> None:
    path = write_bad(tmp_path, row, field, value)
    with pytest.raises(claims.ClaimsDataError) as err:
        claims.read_claims(path)
    assert message in str(err.value) and str(path) in str(err.value)
    assert f"row {row + 1} (line {row + 2})" in str(err.value)


def test_load_evidence_records_missing_files(tmp_path: Path) -> None:
    ev = claims.load_evidence(tmp_path)
    assert ev.municipalities is None and ev.twinnings is None and ev.links_by_municipality is None
    assert {"municipalities", "twinnings", "links_by_municipality"} <= set(ev.missing)
    ledger = claims.build_ledger(fixture_claims(), ev)
    assert ledger.set_index("claim_id").loc["C01", "status"] == "pending"


def test_status_counts_and_display() -> None:
    ledger = claims.build_ledger(fixture_claims(), evidence())
    counts = claims.status_counts(ledger)
    assert list(counts.index) == list(claims.STATUSES)
    assert counts.sum() == len(ledger) == 5
    shown = claims.ledger_for_display(ledger)
    assert "afirmación" in shown.columns and "no reproducible con datos abiertos" in set(shown.estado)
