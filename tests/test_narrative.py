"""The figures the book's narrative quotes are generated, and agree with the tables the notebooks wrote.

The pages quote results as MyST substitutions (``{{ r01_cobertura_pct }}``) that the Sphinx extension
``book/_ext/generated_results.py`` fills from ``data/processed/results_NN.csv``. These tests check
that every key a page uses exists, that the extension reads the files as the package writes them,
and, for the headline figures, that the value recomputed from data/processed is the one the
results file holds: if a rerun changes a table but not the results, the test names the key.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import claims, wording
from analysis.analyses import models as md
from analysis.analyses.descriptive import gini
from analysis.workflow.results import Results, ResultsError, load_results

PAGES = ["conclusiones.md", "ledger.md", "metodos.md", "limitaciones.md"]
KEY = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def _extension():
    spec = importlib.util.spec_from_file_location("generated_results", paths.BOOK / "_ext" / "generated_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results() -> dict[str, str]:
    found = load_results()
    if not found:
        pytest.skip(f"no results_*.csv in {paths.PROCESSED}: run the pipeline first (`python -m analysis run`)")
    return found


def table(name: str) -> pd.DataFrame:
    path = paths.PROCESSED / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run the pipeline first (`python -m analysis run`)")
    return pd.read_csv(path, dtype={"inegi_code": str, "state_code": str})


@pytest.mark.parametrize("page", PAGES)
def test_every_substitution_is_generated(page: str, results: dict[str, str]) -> None:
    used = set(KEY.findall((paths.BOOK / page).read_text(encoding="utf-8")))
    missing = sorted(used - set(results))
    assert not missing, f"book/{page} quotes {missing}, which no notebook writes to data/processed/results_*.csv"


def test_extension_reads_what_the_package_writes(tmp_path: Path) -> None:
    res = Results("07")
    res.add("r07_total", 2469, description="prueba")
    res.add("r07_cobertura", 7.4929, "pct", 2)
    res.add_text("r07_frase", "no se distingue de 1")
    res.table().to_csv(tmp_path / "results_07.csv", index=False)
    ext = _extension()
    assert ext.read_results(tmp_path) == {"r07_total": "2,469", "r07_cobertura": "7.49 %", "r07_frase": "no se distingue de 1"}
    assert load_results(tmp_path) == ext.read_results(tmp_path)
    (tmp_path / "results_08.csv").write_text("key,text,value,description\nr07_total,1,1,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="r07_total"):
        ext.read_results(tmp_path)
    with pytest.raises(ResultsError, match="r07_total"):
        load_results(tmp_path)


def test_results_keys_belong_to_their_notebook() -> None:
    res = Results("01")
    with pytest.raises(ResultsError, match="r01_name"):
        res.add("r02_cobertura", 1)
    res.add("r01_x", 1)
    with pytest.raises(ResultsError, match="twice"):
        res.add("r01_x", 2)
    with pytest.raises(ResultsError, match="NaN"):
        res.add("r01_y", float("nan"))


def test_coverage_and_zero_links(results: dict[str, str]) -> None:
    links = table("links_by_municipality.csv")
    with_link = int(links.has_link.sum())
    assert results["r01_con_vinculo"] == wording.num(with_link)
    assert results["r01_municipios"] == wording.num(len(links))
    assert results["r01_cobertura_pct"] == wording.share_pct(with_link, len(links), 2)
    assert results["r02_sin_vinculo_pct"] == wording.share_pct(len(links) - with_link, len(links), 1)


def test_concentration(results: dict[str, str]) -> None:
    assert results["r01_gini_municipios"] == wording.num(gini(table("links_by_municipality.csv").n_links), 3)
    assert results["r01_gini_entidades"] == wording.num(gini(table("links_by_state.csv").n_links_total), 3)


def test_incidence_rate_ratios_follow_their_intervals(results: dict[str, str]) -> None:
    est = table("model_estimates.csv")
    for term, sentence in md.covariate_sentences(est).items():
        assert results[f"r02_nb2_{term}"] == sentence, f"r02_nb2_{term} is out of date"
    assert results["r02_robustez"] == md.robustness_paragraph(table("model_robustness.csv")), "r02_robustez is out of date"


def test_benito_juarez_share(results: dict[str, str]) -> None:
    munis = table("municipalities.csv")
    qroo = munis[munis.state_code == "23"]
    bj = int(qroo.loc[qroo.inegi_code == "23005", "population_2020"].item())
    total = int(qroo.population_2020.sum())
    assert results["r05_bj_poblacion"] == wording.num(bj)
    assert results["r05_bj_participacion"] == wording.pct(round(100 * bj / total, 4), 4)


def test_partner_finder_ratio(results: dict[str, str]) -> None:
    ratio = table("partner_evaluation.csv").set_index("method").loc["cociente modelo/popularidad"]
    assert results["r06_cociente"] == wording.num(ratio.hit_at_10, 2)
    assert (results["r06_cociente_bajo"], results["r06_cociente_alto"]) == (wording.num(ratio.hit_low, 2),
                                                                              wording.num(ratio.hit_high, 2))


def test_claim_status_counts(results: dict[str, str]) -> None:
    counts = claims.status_counts(table("claims_ledger.csv"))
    for status, n in counts.items():
        assert results[f"r05_estado_{status}"] == wording.num(n), f"r05_estado_{status} is out of date"


def test_two_source_overlap(results: dict[str, str]) -> None:
    links = table("twinning_links.csv")
    n = links.provenance.value_counts()
    assert results["r01_vinculos_union"] == wording.num(len(links))
    assert results["r01_solo_wikipedia"] == wording.num(int(n.get("wikipedia", 0)))
    assert results["r01_solo_wikidata"] == wording.num(int(n.get("wikidata", 0)))
    assert results["r01_ambas"] == wording.num(int(n.get("both", 0)))
    assert results["r01_ambas_pct"] == wording.share_pct(int(n.get("both", 0)), len(links), 1)
    agreements = table("agreements.csv")
    assert results["r01_vinculos_total"] == wording.num(int((agreements.level == "municipal").sum()))


def test_missing_migration_count_and_chosen_model(results: dict[str, str]) -> None:
    est = table("model_estimates.csv")
    assert results["r02_migracion_faltante"] in results["r02_regla_migracion"]
    comparison = table("model_comparison.csv")
    assert results["r02_elegido"].lower() == md.best_model(comparison, "bic").lower()
    for term, sentence in md.covariate_sentences(est, md.best_model(comparison, "bic")).items():
        assert results[f"r02_elegido_{term}"] == sentence


def test_cold_start_finder_ratio(results: dict[str, str]) -> None:
    ratio = table("partner_evaluation_cold_start.csv").set_index("method").loc["cociente modelo/popularidad"]
    assert results["r06_dos_cociente"] == wording.num(ratio.hit_at_10, 2)
    assert (results["r06_dos_cociente_bajo"], results["r06_dos_cociente_alto"]) == (wording.num(ratio.hit_low, 2),
                                                                                  wording.num(ratio.hit_high, 2))
