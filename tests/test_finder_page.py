"""Tests of the partner-finder page's data (analysis.viz.finder_page and the file notebook 07 writes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.analyses import partners as pt
from analysis.features.profiles import read_profiles
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_twinnings
from analysis.viz import finder_page as fp

FIX = Path(__file__).parent / "fixtures" / "partners"
COLUMNS = {"c", "n", "e", "s", "p", "r", "g", "y", "x", "v", "k", "a", "h", "t", "o", "u", "m", "i"}


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tw = pd.read_csv(FIX / "twinnings.csv", dtype={"inegi_code": str}, keep_default_na=False,
                     na_values={"partner_lat": [""], "partner_lon": [""]})
    munis = pd.read_csv(FIX / "municipalities.csv", dtype={"inegi_code": str, "state_code": str})
    return tw, munis, read_profiles(FIX / "profiles.csv")


def short_labels(data: dict) -> list[str]:
    m = data["municipios"]
    return [f"{n} ({data['estados'][e][1]})" for n, e in zip(m["n"], m["e"], strict=True)]


def test_fixture_build_shape_and_explanations_round_trip(tables):
    tw, munis, prof = tables
    data = fp.build_finder_data(munis, tw, prof, top=3, n_similar=2)
    m = data["municipios"]
    assert set(m) == COLUMNS
    assert {len(v) for v in m.values()} == {len(munis)}
    assert m["c"] == sorted(munis.inegi_code)
    index = pt.PartnerIndex.build(tw, munis, prof)
    labels = short_labels(data)
    for i, code in enumerate(m["c"]):
        rec = index.recommend(code, top=3)
        cities = [data["ciudades"][s[0]][0] for s in m["u"][i]]
        assert cities == list(rec.table.partner_city)
        assert [fp.expand_reason(s[2], labels, data["frases"]) for s in m["u"][i]] == list(rec.table.reason)
        assert data["notas"][m["o"][i]] == rec.note
        assert sorted(data["ciudades"][j][0] for j in m["v"][i]) == sorted(rec.existing)
        assert i not in m["h"][i]
        assert len(m["h"][i]) <= 2
    # no covariates given: every municipality says "sin dato" (None)
    assert set(m["m"]) == {None}
    assert set(m["i"]) == {None}
    assert data["fuentes"]["covariables_presentes"] is False
    json.loads(fp.dumps(data))


def test_covariates_are_joined_by_code_and_unknown_codes_reported(tables):
    tw, munis, prof = tables
    code = munis.inegi_code.iloc[0]
    other = munis.inegi_code.iloc[1]
    cov = pd.DataFrame({"inegi_code": [code, other, "99998"], "marginacion_grado": ["Muy bajo", None, "Alto"],
                        "intensidad_migratoria": [1.916, "Muy alto", ""]})
    data = fp.build_finder_data(munis, tw, prof, covariates=cov, top=2)
    m = data["municipios"]
    i, j = m["c"].index(code), m["c"].index(other)
    assert (m["m"][i], m["i"][i]) == ("Muy bajo", 1.92)
    assert (m["m"][j], m["i"][j]) == (None, "Muy alto")
    assert sum(v is not None for v in m["m"]) == 1
    assert sum(v is not None for v in m["i"]) == 2
    assert data["fuentes"]["covariables_sin_municipio"] == ["99998"]


def test_covariates_named_as_in_the_count_models_are_accepted(tables):
    tw, munis, prof = tables
    code = munis.inegi_code.iloc[0]
    cov = pd.DataFrame({"inegi_code": [code], "marginalisation_grade_2020": ["Medio"], "migration_intensity_2010": [None]})
    m = fp.build_finder_data(munis, tw, prof, covariates=cov, top=1)["municipios"]
    i = m["c"].index(code)
    assert (m["m"][i], m["i"][i]) == ("Medio", None)


@pytest.mark.parametrize(("cov", "expect"), [
    (pd.DataFrame({"inegi_code": ["23005"], "marginacion_grado": ["Bajo"]}), "intensidad_migratoria"),
    (pd.DataFrame({"inegi_code": ["23005", "23005"], "marginacion_grado": ["a", "b"],
                   "intensidad_migratoria": ["c", "d"]}), "repeated"),
    (pd.DataFrame({"inegi_code": ["2305"], "marginacion_grado": ["a"], "intensidad_migratoria": ["c"]}), "5 digits"),
])
def test_bad_covariates_are_clear_errors(tables, cov, expect):
    tw, munis, prof = tables
    with pytest.raises(fp.FinderDataError, match=expect):
        fp.build_finder_data(munis, tw, prof, covariates=cov)


def test_compression_tells_apart_labels_that_end_alike():
    labels = ["Juárez (Chis.)", "Benito Juárez (Chis.)", "Benito Juárez (Q. Roo)"]
    pattern = fp.label_pattern(labels)
    pos = {s: i for i, s in enumerate(labels)}
    reason = ("Hermanada con 2 municipios parecidos al suyo: Benito Juárez (Chis.), Juárez (Chis.); "
              "hermanada con 3 municipios que comparten socios con el suyo: Benito Juárez (Q. Roo) y 2 más.")
    template = fp.compress_reason(reason, pattern, pos)
    assert "@1, @0" in template
    assert "@2 y 2 más" in template
    assert "Juárez" not in template
    assert len(template) < len(reason) / 2
    assert fp.expand_reason(template, labels) == reason
    with pytest.raises(fp.FinderDataError, match="reserves"):
        fp.compress_reason("Hermanada con #1", pattern, pos)


def test_write_is_atomic_and_enforces_the_budget(tables, tmp_path):
    tw, munis, prof = tables
    data = fp.build_finder_data(munis, tw, prof, top=2)
    path, size = fp.write_finder_data(data, tmp_path / "m.json")
    assert size == path.stat().st_size
    assert json.loads(path.read_text("utf-8"))["esquema"] == fp.SCHEMA_VERSION
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(fp.FinderDataError, match="budget"):
        fp.write_finder_data(data, tmp_path / "small.json", budget=size - 1)
    assert not (tmp_path / "small.json").exists()


# ---------------------------------------------------------------- the file notebook 07 wrote (real data)
@pytest.fixture(scope="module")
def written() -> dict:
    path = fp.FINDER_DIR / fp.DATA_NAME
    if not path.exists():
        pytest.fail(f"{path} not found; run notebook 07 (`python -m analysis run 07`).")
    return json.loads(path.read_text("utf-8"))


@pytest.mark.slow
def test_written_file_covers_every_municipality_within_budget(written):
    path = fp.FINDER_DIR / fp.DATA_NAME
    assert path.stat().st_size <= fp.SIZE_BUDGET
    munis = read_processed()
    m = written["municipios"]
    assert len(munis) == 2469
    assert m["c"] == sorted(munis.inegi_code)
    assert len(set(m["c"])) == 2469
    assert {len(v) for v in m.values()} == {2469}
    assert all(len(u) == written["sugerencias_por_municipio"] == 10 for u in m["u"])
    n_cities = len(written["ciudades"])
    assert all(0 <= s[0] < n_cities for u in m["u"] for s in u)
    assert all(0 <= j < 2469 for h in m["h"] for j in h)
    assert written["mundo"].startswith("M")


@pytest.mark.slow
@pytest.mark.parametrize(("code", "name", "seat"), [("23010", "Bacalar", "Bacalar"), ("23005", "Benito Juárez", "Cancún")])
def test_written_file_reproduces_the_finder(written, code, name, seat):
    index = pt.PartnerIndex.build(read_twinnings(), read_processed(), read_profiles())
    rec = index.recommend(code, top=10)
    m = written["municipios"]
    i = m["c"].index(code)
    assert (m["n"][i], m["s"][i], written["estados"][m["e"][i]][0]) == (name, seat, "Quintana Roo")
    assert len(m["u"][i]) == 10
    assert [written["ciudades"][s[0]][0] for s in m["u"][i]] == list(rec.table.partner_city)
    assert [written["ciudades"][s[0]][1] for s in m["u"][i]] == list(rec.table.partner_country)
    labels = short_labels(written)
    assert [fp.expand_reason(s[2], labels, written["frases"]) for s in m["u"][i]] == list(rec.table.reason)
    assert sorted(written["ciudades"][j][0] for j in m["v"][i]) == sorted(rec.existing)
    assert len(m["h"][i]) == 5
    assert i not in m["h"][i]
