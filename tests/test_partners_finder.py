"""The one partner finder (analysis.analyses.partners.foreign), its evaluation (validation) and the
faults of its inputs under ``python -m analysis partners``: each case plants the fault it guards against."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from partners_support import REGIONS, covariates, foreign_links, make_finder, small_graph, tables

from analysis import cli
from analysis.analyses import partners as pt
from analysis.analyses.partners import foreign as fo
from analysis.analyses.partners import validation as va
from analysis.cli import partners as cli_partners
from analysis.ingest.sources import DataError
from analysis.tables.schemas import validate_table


@pytest.fixture
def finder() -> fo.ForeignFinder:
    return make_finder()


def city(finder: fo.ForeignFinder, name: str) -> int:
    return int(np.flatnonzero(finder.cities.partner_city == name)[0])


# ---------------------------------------------------------------------- hiding links
def test_a_hidden_link_and_its_same_state_twin_are_hidden_together(finder):
    i, xville = finder.pos["01002"], city(finder, "Xville")
    twin = va.same_state_twins(finder, i, xville)
    assert twin == [(finder.pos["01001"], xville)]  # Alfa, same state, also twinned with Xville
    _, mask, parts = finder.features(i, fo.Hidden(i, np.array([xville]), twin))
    assert parts["degree"][xville] == 0  # both links gone
    assert not mask[xville]  # no other Mexican link, nothing abroad: it cannot be found by its twin
    X1, mask1, parts1 = finder.features(i, fo.Hidden(i, np.array([xville])))
    assert parts1["degree"][xville] == 1
    assert mask1[xville]
    assert X1[xville, fo.FEATURES.index("state_links")] == pytest.approx(np.log1p(1))


def test_cold_start_hides_every_link_of_the_municipality(finder):
    cases = va.units(finder)
    cold = [u for u in cases if u.protocol == "arranque_en_frio"]
    assert sorted(finder.codes[u.i] for u in cold) == sorted(finder.codes[i] for i in finder.linked)
    alfa = next(u for u in cold if finder.codes[u.i] == "01001")
    X, _, _ = finder.features(alfa.i, alfa.hidden)
    assert X[:, fo.FEATURES.index("network")].max() == 0  # no link left to share partners through
    warm = [u for u in cases if u.protocol == "vinculo"]
    assert len(warm) == sum(int(finder.A[i].sum()) for i in finder.linked if finder.A[i].sum() >= 2)


# ---------------------------------------------------------------------- the card's reasons
def test_reasons_are_merits_without_distances_or_parenthesised_plurals(finder):
    va.evaluate(finder, seed=1, seeds=2, n_boot=50, penalties=(1.0,), ablate=False)
    for code in finder.codes:
        rec = finder.recommend(code, top=10)
        for reason in rec.table.reason:
            assert " km" not in reason
            assert "(s)" not in reason
            assert "cercana" not in reason
            named = re.findall(r"perfil parecido: (.+?)(?:;|\.$)", reason)
            shown = {finder.short_label(finder.pos[c]) for c in rec.neighbours}
            for group in named:
                assert set(group.split(", ")) <= shown
        assert "(s)" not in rec.note


def test_the_same_place_is_listed_once_and_names_are_spanish():
    extra = pd.DataFrame({"qid": ["Q1563", "Q9001"], "label": ["Havana", "Havana – Old Havana"],
                          "country": ["Cuba", "Cuba"], "lat": [23.1367, 23.1361], "lon": [-82.3589, -82.35],
                          "pop": [2100000.0, 88000.0], "degree": [1.0, 1.0]})
    links = foreign_links(tables()[0])
    more = pd.DataFrame({"inegi_code": ["02001", "02002"], "partner_city": ["Havana", "Havana – Old Havana"],
                         "partner_country_iso3": ["CUB", "CUB"], "partner_lat": [23.1367, 23.1361],
                         "partner_lon": [-82.3589, -82.35], "partner_id": ["Q1563", "Q9001"]})
    names = pd.DataFrame({"partner_id": ["Q1563"], "name_es": ["La Habana"], "source": ["test"]})
    finder = make_finder(pd.concat([links, more], ignore_index=True), small_graph(extra), names_es=names)
    listed = finder.recommend("23002", top=20).table.partner_city.tolist()
    assert sum("Habana" in c or "Havana" in c for c in listed) == 1
    assert "Havana" not in listed  # shown in Spanish when the reviewed table names it


def test_shared_name_and_air_route_features():
    extra = pd.DataFrame({"qid": ["Q77"], "label": ["Épsilon"], "country": ["Spain"], "lat": [37.0], "lon": [-5.0],
                          "pop": [50000.0], "degree": [0.0]})
    airports = pd.DataFrame({"airport_id": [1, 2, 3], "country_iso3": ["MEX", "USA", "ESP"],
                             "lat": [21.04, 27.55, 40.0], "lon": [-86.87, -99.46, -3.0]})
    routes = pd.DataFrame({"source_id": [2], "destination_id": [1]})
    finder = make_finder(graph=small_graph(extra), airports=airports, routes=routes)
    i = finder.pos["23002"]
    X, _, _ = finder.features(i)
    assert X[city(finder, "Épsilon"), fo.FEATURES.index("shared_name")] == 1
    assert X[:, fo.FEATURES.index("shared_name")].sum() == 1
    cancun = finder.pos["23001"]
    Xc, _, _ = finder.features(cancun)
    assert Xc[city(finder, "Laredo"), fo.FEATURES.index("air_route")] == 1  # airport 1 is Cancún's, 2 Laredo's
    assert Xc[city(finder, "Mission"), fo.FEATURES.index("air_route")] == 0  # 80 km from Laredo's airport


# ---------------------------------------------------------------------- evaluation
def test_evaluation_has_the_five_methods_paired_ratios_and_is_deterministic(finder):
    a = va.evaluate(finder, seed=3, seeds=3, n_boot=100, penalties=(1.0, 10.0))
    b = va.evaluate(make_finder(), seed=3, seeds=3, n_boot=100, penalties=(1.0, 10.0))
    for p in va.PROTOCOLS:
        pd.testing.assert_frame_equal(a.summary[p], b.summary[p])
        s = a.summary[p].set_index("method")
        assert {"modelo", "popularidad", "popularidad_estatal", "gravedad", "aleatorio"} <= set(s.index)
        assert {f"cociente modelo/{m}" for m in va.BASELINES} <= set(s.index)
        for m in ("modelo", *va.BASELINES):
            assert s.loc[m, "hit_low"] <= s.loc[m, "hit_at_10"] <= s.loc[m, "hit_high"]
        assert s.loc["modelo", "seed_min"] <= s.loc["modelo", "seed_max"]
        validate_table(a.summary[p], "partner_evaluation.csv")
    assert len(a.choices) == 3 * 2
    saved = va.ranks_table(a)
    assert set(saved.protocol) == set(va.PROTOCOLS)
    assert {"rank_popularidad", "rank_popularidad_estatal", "rank_gravedad", "rank_aleatorio", "rank_modelo"} <= set(saved)
    validate_table(saved, "partner_ranks.csv")
    validate_table(fo.weights_table(finder), "partner_finder_weights.csv")


def test_bootstrap_ratio_is_paired_by_hand():
    ranks = pd.DataFrame({"protocol": "vinculo", "inegi_code": ["a", "a", "b", "c"], "partner_id": list("wxyz"),
                          "reachable": True, "rank_popularidad": [1.0, 50, 50, 50], "rank_popularidad_estatal": 50.0,
                          "rank_gravedad": [1.0, 1, 50, 50], "rank_aleatorio": 99.0,
                          "rank_modelo_s0": [1.0, 1, 1, 50], "rank_modelo_s1": [1.0, 1, 50, 50]})
    s = va.bootstrap(ranks, seed=0, n_boot=200).set_index("method")
    assert s.loc["modelo", "hit_at_10"] == pytest.approx(2.5 / 4)
    assert s.loc["cociente modelo/gravedad", "hit_at_10"] == pytest.approx(2.5 / 2)
    assert s.loc["modelo", "seed_min"] == pytest.approx(0.5)
    assert s.loc["modelo", "seed_max"] == pytest.approx(0.75)


# ---------------------------------------------------------------------- weights read back
@pytest.fixture
def weights(finder) -> pd.DataFrame:
    va.evaluate(finder, seed=5, seeds=2, n_boot=50, penalties=(1.0,), ablate=False)
    return fo.weights_table(finder).astype(str)


def test_weights_round_trip(finder, weights):
    before = finder.recommend("23002", top=3).table
    finder.beta = np.zeros_like(finder.beta)
    fo.set_weights(finder, weights)
    pd.testing.assert_frame_equal(finder.recommend("23002", top=3).table, before)


@pytest.mark.parametrize(("field", "value", "expect"), [
    ("coefficient", "nan", "not a finite number"), ("coefficient", "", "not a finite number"),
    ("mean", "abc", "not a finite number"), ("scale", "0", "must be positive"), ("method", "azar", "method"),
])
def test_weights_with_a_bad_value_are_refused(finder, weights, field, value, expect):
    bad = weights.copy()
    bad.loc[3, field] = value
    with pytest.raises(pt.PartnerError, match=expect) as err:
        fo.set_weights(finder, bad, "w.csv")
    assert "w.csv" in str(err.value)
    assert field in str(err.value)


def test_weights_missing_a_feature_are_refused(finder, weights):
    with pytest.raises(pt.PartnerError, match="air_route"):
        fo.set_weights(finder, weights[weights.feature != "air_route"])


# ---------------------------------------------------------------------- the command on damaged files
@pytest.fixture
def project(tmp_path, monkeypatch, weights):
    """A processed folder with the weights, the links and a pipeline state recording the links' checksum."""
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    monkeypatch.setattr(cli_partners.paths, "ROOT", tmp_path)
    monkeypatch.setattr(cli_partners.paths, "PROCESSED", processed)
    monkeypatch.setattr(cli_partners.paths, "PIPELINE_STATE", processed / ".pipeline-state.json")
    weights.to_csv(processed / cli_partners.WEIGHTS_CSV, index=False)
    tw, munis, prof = tables()
    links = foreign_links(tw)[["inegi_code", "partner_id", "partner_city", "partner_country_iso3", "partner_lat",
                               "partner_lon"]].assign(partner_pop="")
    links.to_csv(processed / "twinning_links.csv", index=False, lineterminator="\n")
    digest = hashlib.sha256((processed / "twinning_links.csv").read_bytes()).hexdigest()
    state = {"00_datos.ipynb": {"outputs": {"data/processed/twinning_links.csv": digest}}}
    (processed / ".pipeline-state.json").write_text(json.dumps(state))
    monkeypatch.setattr(cli_partners, "require", lambda _sid: Path("small.gexf"))
    monkeypatch.setattr(cli_partners, "read_gexf", lambda _path: small_graph())
    monkeypatch.setattr(cli_partners, "read_processed", lambda: munis)
    monkeypatch.setattr(cli_partners, "profiles_or_build", lambda: prof)
    monkeypatch.setattr(cli_partners, "covariates_or_build", lambda: covariates(munis))
    monkeypatch.setattr(cli_partners, "load_airports", lambda: (None, None))
    REGIONS.to_csv(tmp_path / "country_regions.csv", index=False)
    monkeypatch.setattr(cli_partners.fo, "COUNTRY_REGIONS_CSV", tmp_path / "country_regions.csv")
    return processed


@pytest.mark.usefixtures("project")
def test_cli_works_on_whole_files(capsys):
    assert cli.main(["partners", "23002", "--top", "2", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["recommendations"]) == 2


def _fails(capsys, argv: list[str], code: int, *expect: str) -> str:
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith("error:")
    assert "Traceback" not in err
    for e in expect:
        assert e in err
    return err


def test_cli_refuses_weights_with_nan(project, capsys):
    w = pd.read_csv(project / cli_partners.WEIGHTS_CSV, dtype=str, keep_default_na=False)
    w.loc[5, "coefficient"] = "nan"
    w.to_csv(project / cli_partners.WEIGHTS_CSV, index=False)
    _fails(capsys, ["partners", "23002"], 1, "partner_finder_weights.csv", "coefficient", "not a finite number")


def test_cli_refuses_an_empty_weights_file(project, capsys):
    (project / cli_partners.WEIGHTS_CSV).write_text("")
    _fails(capsys, ["partners", "23002"], 1, "partner_finder_weights.csv", "empty")


def test_cli_refuses_a_truncated_links_file(project, capsys):
    path = project / "twinning_links.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]))  # cut at a row boundary: only the recorded checksum can tell
    _fails(capsys, ["partners", "23001"], 1, "twinning_links.csv", "not the file notebook 00 wrote")


def test_cli_refuses_a_links_file_cut_mid_row(project, capsys):
    path = project / "twinning_links.csv"
    path.write_text(path.read_text()[:-9])
    _fails(capsys, ["partners", "23001"], 1, "twinning_links.csv", "middle of a row")


def test_cli_refuses_an_empty_or_header_only_links_file(project, capsys):
    path = project / "twinning_links.csv"
    (project / ".pipeline-state.json").unlink()
    header = path.read_text().splitlines()[0]
    path.write_text(header + "\n")
    _fails(capsys, ["partners", "23001"], 1, "no rows")
    path.write_text("")
    _fails(capsys, ["partners", "23001"], 1, "empty")


def test_cli_refuses_a_links_file_that_does_not_parse(project, capsys):
    path = project / "twinning_links.csv"
    (project / ".pipeline-state.json").unlink()
    path.write_text(path.read_text() + "01001,Q1,Laredo,USA,1,2,3,extra,fields,here\n")
    _fails(capsys, ["partners", "23001"], 1, "twinning_links.csv", "not a readable CSV")


@pytest.mark.usefixtures("project")
def test_cli_names_a_corrupt_wikidata_file(capsys, monkeypatch):
    def corrupt(sid: str) -> Path:
        raise DataError(f"Source '{sid}' at data/raw/wikidata/x.gexf is corrupt: expected sha256 a, got b.")
    monkeypatch.setattr(cli_partners, "require", corrupt)
    _fails(capsys, ["partners", "23001"], 1, "wikidata_hermanamientos", "corrupt")


@pytest.mark.usefixtures("project")
def test_cli_country_mex_and_close_codes(capsys):
    err = _fails(capsys, ["partners", "23002", "--country", "MEX"], 2, "extranjeras")
    assert "ZWE" not in err
    _fails(capsys, ["partners", "23002", "--country", "ESO"], 2, "ESP")
    assert pt.index.close_codes("MEX", ["ESP", "USA", "YEM", "ZMB", "ZWE"]) == []
    assert pt.index.close_codes("UDA", ["ESP", "USA", "ZWE"]) == ["USA"]
