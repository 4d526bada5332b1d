"""Tests of the partner-finder page's data (analysis.viz.finder_page and the file notebook 07 writes)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from partners_support import make_finder

from analysis import cli
from analysis.analyses.partners import validation as va
from analysis.viz import finder_page as fp

COLUMNS = {"c", "n", "e", "s", "p", "r", "g", "y", "x", "v", "k", "a", "h", "t", "o", "u", "m", "i", "l"}


@pytest.fixture(scope="module")
def finder():
    f = make_finder()
    va.evaluate(f, seed=1, seeds=2, n_boot=50, penalties=(1.0,), ablate=False)
    return f


def short_labels(data: dict) -> list[str]:
    m = data["municipios"]
    return [f"{n} ({data['estados'][e][1]})" for n, e in zip(m["n"], m["e"], strict=True)]


def test_fixture_build_shape_and_explanations_round_trip(finder):
    data = fp.build_finder_data(finder, top=3)
    m = data["municipios"]
    assert set(m) == COLUMNS
    assert {len(v) for v in m.values()} == {len(finder.codes)}
    labels = short_labels(data)
    for code in finder.codes:
        i = m["c"].index(code)
        rec = finder.recommend(code, top=3)
        assert [data["ciudades"][s[0]][0] for s in m["u"][i]] == list(rec.table.partner_city)
        assert [fp.expand_reason(data["motivos"][s[1]], labels) for s in m["u"][i]] == list(rec.table.reason)
        assert [m["c"][j] for j in m["h"][i]] == rec.neighbours
        assert "(s)" not in m["l"][i]
    assert data["listas_distintas_sin_vinculo"] >= 1


def test_link_sentence_names_its_sources_and_table_1():
    text = fp.link_sentence(18, {"both": 9, "wikipedia": 6, "wikidata": 3}, (19, 17))
    assert text.startswith("18 vínculos internacionales en Wikipedia y Wikidata (9 en las dos, 6 solo en Wikipedia")
    assert "la Tabla 1 de las diapositivas lista 19 hermanamientos" in text
    assert fp.link_sentence(1, {"wikidata": 1}).startswith("1 vínculo internacional")


def test_covariates_are_joined_by_code_and_unknown_codes_reported(finder):
    cov = pd.DataFrame({"inegi_code": ["23002", "99999"], "marginacion_grado": ["Alto", "Bajo"],
                        "intensidad_migratoria": [1.234, "Media"]})
    data = fp.build_finder_data(finder, covariates=cov, top=2)
    m = data["municipios"]
    i = m["c"].index("23002")
    assert (m["m"][i], m["i"][i]) == ("Alto", 1.23)
    assert data["fuentes"]["covariables_sin_municipio"] == ["99999"]
    assert m["m"][m["c"].index("23001")] is None


@pytest.mark.parametrize(("cov", "expect"), [
    (pd.DataFrame({"inegi_code": ["23005"], "marginacion_grado": ["Bajo"]}), "intensidad_migratoria"),
    (pd.DataFrame({"inegi_code": ["23005", "23005"], "marginacion_grado": ["a", "b"],
                   "intensidad_migratoria": ["c", "d"]}), "repeated"),
    (pd.DataFrame({"inegi_code": ["2305"], "marginacion_grado": ["a"], "intensidad_migratoria": ["c"]}), "5 digits"),
])
def test_bad_covariates_are_clear_errors(finder, cov, expect):
    with pytest.raises(fp.FinderDataError, match=expect):
        fp.build_finder_data(finder, covariates=cov)


def test_covariates_path_really_replaces_the_page_covariates(tmp_path):
    computed = pd.DataFrame({"inegi_code": ["23002"], "marginacion_grado": ["Alto"], "intensidad_migratoria": [1.0]})
    assert fp.page_covariates("", computed, tmp_path) is computed
    (tmp_path / "mine.csv").write_text("inegi_code,marginacion_grado,intensidad_migratoria\n23002,Muy bajo,0.5\n")
    mine = fp.page_covariates("mine.csv", computed, tmp_path)
    assert mine.marginacion_grado.tolist() == ["Muy bajo"]
    with pytest.raises(fp.FinderDataError, match="does not exist"):
        fp.page_covariates("missing.csv", computed, tmp_path)


def test_compression_tells_apart_labels_that_end_alike():
    labels = ["Juárez (Chis.)", "Benito Juárez (Chis.)", "Benito Juárez (Q. Roo)"]
    pattern = fp.label_pattern(labels)
    pos = {s: i for i, s in enumerate(labels)}
    reason = ("Socia de 2 municipios de perfil parecido: Benito Juárez (Chis.), Juárez (Chis.); "
              "hermanada con 3 municipios de México.")
    template = fp.compress_reason(reason, pattern, pos)
    assert "@1, @0" in template
    assert "Juárez" not in template
    assert fp.expand_reason(template, labels) == reason
    with pytest.raises(fp.FinderDataError, match="reserves"):
        fp.compress_reason("Hermanada con #1", pattern, pos)


def test_write_is_atomic_and_enforces_the_budget(finder, tmp_path):
    data = fp.build_finder_data(finder, top=2)
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
    m = written["municipios"]
    assert len(m["c"]) == 2469
    assert {len(v) for v in m.values()} == {2469}
    assert all(len(u) == written["sugerencias_por_municipio"] == 10 for u in m["u"])
    assert all(0 <= j < 2469 for h in m["h"] for j in h)
    assert written["mundo"].startswith("M")


@pytest.mark.slow
@pytest.mark.parametrize("code", ["23010", "23005"])
def test_the_page_and_the_command_give_the_same_ten_cities(written, code, capsys):
    assert cli.main(["partners", code, "--top", "10", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    m = written["municipios"]
    i = m["c"].index(code)
    assert [written["ciudades"][s[0]][0] for s in m["u"][i]] == [r["partner_city"] for r in payload["recommendations"]]
    labels = short_labels(written)
    assert [fp.expand_reason(written["motivos"][s[1]], labels) for s in m["u"][i]] == \
        [r["reason"] for r in payload["recommendations"]]
