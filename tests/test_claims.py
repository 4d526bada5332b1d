"""Tests of analysis.analyses.claims: the curated claims table, the rules and the calibrated statuses."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import claims
from analysis.tables import casestudy as cst

FIX = Path(__file__).parent / "fixtures" / "casestudy"

#: A small claims table with one claim per kind of status (the fixture Table 1 has 4 rows: 1 national, 3 international).
BASE_COLUMNS = ["claim_id", "document", "claim", "value_stated", "notebook", "check", "rule", "if_rule_holds", "status",
                "missing_source", "evidence", "note"]
COLUMNS = claims.CLAIM_COLUMNS
FIXTURE_ROWS = [
    ["C01", "seed_diapositivas", "Participación de Cancún", "49.05 %", "05_quintana_roo", "bj_population_share",
     "share_truncated_2 == stated or share_rounded_2 == stated", "consistent", "", "", "", ""],
    ["C02", "seed_diapositivas", "Número de hermanamientos", "4", "05_quintana_roo", "bj_agreements_total",
     "rows == stated", "transcribed", "", "", "Una nota de prensa da 3.", ""],
    ["C03", "seed_diapositivas", "Reparto de la Tabla 1", "1 nacionales y 3 internacionales", "05_quintana_roo",
     "bj_agreements_scope", "national == stated[0] and international == stated[1]", "transcribed", "", "", "", ""],
    ["C04", "seed_tesis", "Interacción limitada", "limitada", "01_acuerdos_descriptivo", "national_coverage",
     "coverage_share < 0.25", "consistent", "", "", "", ""],
    ["C05", "seed_diapositivas", "Cifra sin fuente abierta", "66 %", "05_quintana_roo", "", "", "", "not_reproducible",
     "la encuesta de origen", "", "No hay microdatos."],
    ["C06", "seed_diapositivas", "Municipios del estado con vínculos", "municipios con vínculos", "05_quintana_roo",
     "qroo_municipalities_with_links", "qroo_coverage >= 0.5", "consistent", "", "", "", ""],
    ["C07", "seed_diapositivas", "Alineación con la Agenda 2030", "alineación", "04_planes_ods", "", "", "", "pending",
     "los planes oficiales", "", ""],
]


@pytest.fixture
def claims_path(tmp_path: Path) -> Path:
    path = tmp_path / "claims.csv"
    df = pd.DataFrame(FIXTURE_ROWS, columns=BASE_COLUMNS)
    df["rule_commit"] = df.rule.map(lambda r: "484afeb" if r else "")
    df["rule_timing"] = df.rule.map(lambda r: "posterior" if r else "")
    df["counts_with"] = ""
    df[COLUMNS].to_csv(path, index=False)
    return path


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


def fixture_claims(path: Path, **changes: tuple[str, str, str]) -> pd.DataFrame:
    df = claims.read_claims(path).set_index("claim_id", drop=False)
    for claim_id, field, value in changes.values():
        df.loc[claim_id, field] = value
    return df.reset_index(drop=True)


def ledger(path: Path, with_links: bool = False, **changes: tuple[str, str, str]) -> pd.DataFrame:
    return claims.build_ledger(fixture_claims(path, **changes), evidence(with_links)).set_index("claim_id")


# --------------------------------------------------------------------------- one test per status rule


def test_transcribed_when_the_only_source_is_the_seed_table(claims_path: Path) -> None:
    led = ledger(claims_path)
    assert led.loc["C02", "status"] == "transcribed"
    assert led.loc["C03", "status"] == "transcribed"
    assert "Evidencia publicada: Una nota de prensa da 3." in led.loc["C02", "note"]


def test_reproduced_only_when_the_rule_says_independent_data(claims_path: Path) -> None:
    led = ledger(claims_path, x=("C02", "if_rule_holds", "reproduced"))
    assert led.loc["C02", "status"] == "reproduced"


def test_consistent_with_the_rule_written_in_words(claims_path: Path) -> None:
    led = ledger(claims_path)
    # 911,503 of 1,857,985 = 49.0587 %: the stated 49.05 % is the truncated municipal share.
    assert led.loc["C01", "status"] == "consistent"
    assert "49.0587 %" in led.loc["C01", "value_computed"]
    assert led.loc["C01", "note"].startswith("Regla: coherente si participación del municipio")
    assert "es igual al valor declarado" in led.loc["C01", "note"]


@pytest.mark.parametrize(("claim_id", "value"), [("C01", "49.10 %"), ("C02", "19"),
                                                 ("C03", "10 nacionales y 9 internacionales")])
def test_wrong_stated_values_are_contradicted(claims_path: Path, claim_id: str, value: str) -> None:
    assert ledger(claims_path, x=(claim_id, "value_stated", value)).loc[claim_id, "status"] == "contradicted"


def test_rounded_value_is_also_consistent(claims_path: Path) -> None:
    assert ledger(claims_path, x=("C01", "value_stated", "49.06 %")).loc["C01", "status"] == "consistent"


def test_not_reproducible_names_the_missing_source(claims_path: Path) -> None:
    led = ledger(claims_path)
    assert led.loc["C05", "status"] == "not_reproducible"
    assert led.loc["C05", "value_computed"] == ""
    assert "Falta: la encuesta de origen" in led.loc["C05", "note"]
    falta = re.search(r"Falta: [^.]*\.", led.loc["C05", "note"])  # the missing source ends its own sentence
    assert falta is not None, led.loc["C05", "note"]
    assert led.loc["C05", "note"][falta.end():falta.end() + 1] in {"", " "}


def test_pending_when_the_input_is_missing(claims_path: Path) -> None:
    led = ledger(claims_path)
    assert led.loc["C04", "status"] == "pending"
    assert "links_by_municipality.csv" in led.loc["C04", "note"]
    assert led.loc["C07", "status"] == "pending"
    assert "Falta: los planes oficiales" in led.loc["C07", "note"]


def test_a_threshold_flips_the_status(claims_path: Path) -> None:
    # 2 of the 4 fixture municipalities have links: 50 % is not below 25 % ...
    led = ledger(claims_path, with_links=True)
    assert led.loc["C04", "value_computed"].startswith("2 de 4 municipios (50.0 %)")
    assert led.loc["C04", "status"] == "contradicted"
    # ... but it is below 60 %.
    assert ledger(claims_path, with_links=True, x=("C04", "rule", "coverage_share < 0.6")).loc["C04", "status"] == "consistent"


def test_qroo_rule_is_a_share_not_any_municipality(claims_path: Path) -> None:
    # Fixture: 3 Quintana Roo municipalities, 2 with matched links (67 %).
    led = ledger(claims_path)
    assert led.loc["C06", "status"] == "consistent"
    assert ledger(claims_path, x=("C06", "rule", "qroo_coverage >= 0.7")).loc["C06", "status"] == "contradicted"


def test_ledger_columns_and_counts(claims_path: Path) -> None:
    led = claims.build_ledger(fixture_claims(claims_path), evidence())
    assert list(led.columns) == claims.LEDGER_COLUMNS
    counts = claims.status_counts(led)
    assert list(counts.index) == list(claims.STATUSES)
    assert counts.sum() == len(led) == 7
    shown = claims.ledger_for_display(led)
    assert {"transcrito (regla post hoc)", "coherente (regla post hoc)", "no reproducible", "pendiente"} <= set(shown.estado)
    named = claims.ledger_for_display(led.assign(document=["seed_diapositivas"] * 6 + ["otro_documento"]))
    assert list(named.documento) == ["Diapositivas"] * 6 + ["otro_documento"]
    assert set(named.cuaderno) <= {"capítulo 5", "capítulo 4", "capítulo 3", "capítulo 1"}, set(named.cuaderno)


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(("rule", "holds"), [
    ("a < 1", True), ("a >= 1", False), ("a == stated", False), ("b == stated[1]", True),
    ("a > 1 or b == 9", True), ("a < 1 and b == 8", False), ("a < b", True),
])
def test_evaluate_rule(rule: str, holds: bool) -> None:
    assert claims.evaluate_rule(rule, {"a": 0.5, "b": 9}, [10, 9]) is holds


def test_rule_errors_name_the_problem() -> None:
    with pytest.raises(claims.ClaimsDataError, match="not 'metric op value'"):
        claims.parse_rule("a ~ 1")
    with pytest.raises(claims.ClaimsDataError, match="stated\\[2\\]"):
        claims.evaluate_rule("a == stated[2]", {"a": 1}, [1, 2])
    with pytest.raises(claims.ClaimsDataError, match="'c' is not a number"):
        claims.evaluate_rule("a == c", {"a": 1}, [])


def test_rule_in_words() -> None:
    assert claims.rule_es("coverage_share < 0.25") == (
        "proporción de municipios del país con al menos un vínculo internacional es menor que 0.25")


@pytest.mark.parametrize(
    ("claim_id", "field", "value", "message"),
    [
        ("C01", "check", "no_such_check", "not a known check"),
        ("C01", "status", "consistent", "leave it empty"),
        ("C01", "if_rule_holds", "contradicted", "field 'if_rule_holds'"),
        ("C01", "rule", "share_truncated_2 ~ stated", "field 'rule'"),
        ("C05", "status", "reproduced", "'not_reproducible' or 'pending'"),
        ("C05", "missing_source", "", "field 'missing_source'"),
        ("C05", "note", "", "say why"),
        ("C05", "rule", "a < 1", "needs a check"),
        ("C02", "document", "seed_other", "field 'document'"),
        ("C02", "claim_id", "C01", "is repeated"),
        ("C03", "notebook", "cuaderno cinco", "field 'notebook'"),
        ("C04", "value_stated", "", "field 'value_stated'"),
    ],
)
def test_bad_claims_name_file_row_and_field(tmp_path: Path, claims_path: Path, claim_id: str, field: str, value: str,
                                            message: str) -> None:
    df = pd.read_csv(claims_path, dtype=str, keep_default_na=False)
    row = int(df.index[df.claim_id == claim_id][0])
    df.loc[row, field] = value
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    with pytest.raises(claims.ClaimsDataError) as err:
        claims.read_claims(bad)
    assert message in str(err.value)
    assert str(bad) in str(err.value)
    assert f"row {row + 1} (line {row + 2})" in str(err.value)


def test_load_evidence_records_missing_files(tmp_path: Path, claims_path: Path) -> None:
    ev = claims.load_evidence(tmp_path)
    assert ev.municipalities is None
    assert ev.twinnings is None
    assert ev.links_by_municipality is None
    assert {"municipalities", "twinnings", "links_by_municipality"} <= set(ev.missing)
    led = claims.build_ledger(claims.read_claims(claims_path), ev).set_index("claim_id")
    assert led.loc["C01", "status"] == "pending"


# --------------------------------------------------------------------------- the curated table


def test_curated_claims_are_calibrated() -> None:
    df = claims.read_claims().set_index("claim_id")
    assert set(df.document) == set(claims.DOCUMENTS)
    assert len(df) == 21
    # Table 1 of the slides is the only source of C02 and C03: transcription, not reproduction.
    assert df.loc["C02", "if_rule_holds"] == "transcribed"
    assert df.loc["C03", "if_rule_holds"] == "transcribed"
    # Every qualitative claim graded 'consistent' has an explicit numeric rule.
    assert (df.loc[df.if_rule_holds == "consistent", "rule"].str.len() > 0).all()
    # C11 is not "any Quintana Roo municipality has a link" (one of 11 would pass).
    assert claims.evaluate_rule(df.loc["C11", "rule"], {"qroo_coverage": 1 / 11}, []) is False
    # C12 is judged nationally, not by a rank within a state of 11 municipalities.
    assert "bj_national_rank_share" in df.loc["C12", "rule"]
    # Published evidence is cited with its address and consultation date.
    for cid in ("C02", "C03", "C14", "C15"):
        assert "https://" in df.loc[cid, "evidence"]
        assert "consultado el" in df.loc[cid, "evidence"]
    assert "17" in df.loc["C02", "evidence"]
    assert "no 19" in df.loc["C02", "evidence"]


def test_published_ledger_statuses() -> None:
    path = paths.PROCESSED / "claims_ledger.csv"
    if not path.exists():
        pytest.skip("claims_ledger.csv not written yet; run notebook 05")
    led = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("claim_id")
    assert set(led.status) <= set(claims.STATUSES)
    assert led.loc["C02", "status"] == "transcribed"
    assert led.loc["C03", "status"] == "transcribed"


def test_state_and_national_figures_come_from_the_same_links_table() -> None:
    ev = evidence(with_links=True)
    ev.links_by_municipality = pd.DataFrame({"inegi_code": ["20067", "23003", "23005", "23011"], "links": [0, 0, 5, 0]})
    qroo = claims.check_qroo_municipalities_with_links(pd.Series(dtype=object), ev)
    assert qroo.value.startswith("1 de 3 municipios")  # the links table's count, not the twinnings' (2 of 3)
    rank = claims.check_bj_rank_links(pd.Series(dtype=object), ev)
    assert rank.value.startswith("5 vínculos en la tabla por municipio del capítulo 1: lugar 1 de 4 municipios")
    assert rank.value.endswith("lugar 1 de 3 en el estado")


def test_rule_history_is_recorded_and_post_hoc_rules_are_flagged(claims_path: Path) -> None:
    led = claims.build_ledger(fixture_claims(claims_path, a=("C01", "rule_timing", "previa")), evidence())
    assert claims.post_hoc_claims(led) == ["C02", "C03", "C04", "C06"]
    shown = claims.ledger_for_display(led).set_index("id")
    assert shown.loc["C02", "estado"] == "transcrito (regla post hoc)"
    assert shown.loc["C01", "estado"] == "coherente"
    assert "post hoc" in led.set_index("claim_id").loc["C02", "note"]
    with pytest.raises(claims.ClaimsDataError, match="rule_commit"):
        claims.read_claims(_rewrite(claims_path, "C01", "rule_commit", "antes"))
    with pytest.raises(claims.ClaimsDataError, match="rule_timing"):
        claims.read_claims(_rewrite(claims_path, "C01", "rule_timing", "antes de ejecutar"))


def _rewrite(path: Path, claim_id: str, field: str, value: str) -> Path:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[df.claim_id == claim_id, field] = value
    out = path.with_name("claims_changed.csv")
    df.to_csv(out, index=False)
    return out


def test_the_same_check_counts_once(claims_path: Path) -> None:
    df = pd.read_csv(claims_path, dtype=str, keep_default_na=False)
    twin = df[df.claim_id == "C04"].assign(claim_id="C08", counts_with="C04")
    path = claims_path.with_name("claims_twin.csv")
    pd.concat([df, twin]).to_csv(path, index=False)
    led = claims.build_ledger(claims.read_claims(path), evidence(with_links=True))
    assert len(led) == 8
    assert claims.status_counts(led).sum() == 7  # C08 is C04 again: counted once
    assert "se cuenta una sola vez" in led.set_index("claim_id").loc["C08", "note"]
    other = pd.concat([df, twin.assign(rule="coverage_share < 0.5")])
    other.to_csv(path, index=False)
    with pytest.raises(claims.ClaimsDataError, match="not the same check"):
        claims.read_claims(path)


def test_crosscheck_rule_reads_both_directions() -> None:
    df = claims.read_claims().set_index("claim_id")
    rule = df.loc["C04", "rule"]
    # every Table 1 agreement in Wikipedia, but Wikipedia adds partners: not "the history" of the municipality
    assert not claims.evaluate_rule(rule, {"found_in_wikipedia": 9, "table1_international": 9, "wikipedia_only": 2}, [])
    assert claims.evaluate_rule(rule, {"found_in_wikipedia": 9, "table1_international": 9, "wikipedia_only": 0}, [])
    assert df.loc["C15", "counts_with"] == "C14"
    assert set(df.rule_timing[df.rule != ""]) == {"posterior"}  # every rule was written after its value was known
