"""The book's front and back matter and its display helpers: Spanish plurals from counts, Spanish
country and city names, Spanish licences for every source, one numbering by chapter, the commit and
environment of the build, the source table and the release notes (book/_ext/compendio.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.ingest.sources import load_manifest
from analysis.util.countries import city_name_es, country_name_es
from analysis.util.text import plural
from analysis.viz.tables import VALORES, tabla

EXT = paths.BOOK / "_ext"


@pytest.fixture(scope="module")
def ext():
    sys.path.insert(0, str(EXT))
    spec = importlib.util.spec_from_file_location("compendio", EXT / "compendio.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compendio"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("n", "expected"), [(0, "0 municipios"), (1, "1 municipio"), (2, "2 municipios"),
                                             (1.0, "1 municipio"), (1.5, "1.5 municipios"), (-1, "-1 municipio"),
                                             (12345, "12,345 municipios")])
def test_plural_agrees_with_the_count(n: float, expected: str) -> None:
    assert plural(n, "municipio", "municipios") == expected


def test_plural_without_the_number_and_bad_counts() -> None:
    assert plural(1, "nombre", "nombres", numero=False) == "nombre"
    assert plural(3, "nombre", "nombres", numero=False) == "nombres"
    with pytest.raises(TypeError, match="must be a number"):
        plural("3", "nombre", "nombres")
    with pytest.raises(TypeError, match="must be a number"):
        plural(True, "nombre", "nombres")


@pytest.mark.parametrize(("name", "expected"), [("Germany", "Alemania"), ("United States", "Estados Unidos"),
                                                ("Spain", "España"), ("España", "España"), ("Atlantis", "Atlantis")])
def test_country_names_in_spanish(name: str, expected: str) -> None:
    assert country_name_es(name) == expected


def test_city_names_in_spanish_only_where_spanish_has_one() -> None:
    assert city_name_es("Seville") == "Sevilla"
    assert city_name_es("Mexico City") == "Ciudad de México"
    assert city_name_es("Miami-Dade County") == "Condado de Miami-Dade"
    assert city_name_es("Guadalajara") == "Guadalajara"


def test_tables_show_countries_cities_and_licences_in_spanish() -> None:
    df = pd.DataFrame({"partner_city": ["Seville", "Berlin"], "partner_country": ["Spain", "Germany"],
                       "licence": ["Code MIT; content CC BY-SA 4.0 (attribute Wikipedia contributors)", "MIT"]})
    html = tabla(df, "Prueba", "tab-prueba-paises", numero=1).html
    for english in ("Seville", "Germany", "Berlin<", "Code MIT", "attribute"):
        assert english not in html
    for spanish in ("Sevilla", "Alemania", "Berlín", "colaboradores de Wikipedia"):
        assert spanish in html


def test_every_source_licence_has_spanish_text() -> None:
    missing = sorted({s.licence for s in load_manifest()} - set(VALORES["licence"]))
    assert not missing, f"add these licences to VALORES['licence']: {missing}"


def test_the_source_table_fails_on_a_licence_without_spanish(ext, tmp_path: Path) -> None:
    text = paths.SOURCES_YML.read_text(encoding="utf-8")
    first = load_manifest()[0]
    bad = tmp_path / "sources.yml"
    bad.write_text(text.replace(first.licence.split(";")[0], "Some new English licence", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="no Spanish text"):
        ext.source_rows(bad)


def test_the_source_table_has_url_and_full_checksum(ext) -> None:
    rows = ext.source_rows()
    assert [r[0] for r in rows] == [s.id for s in load_manifest()]
    assert all(r[1].startswith("https://") and len(r[2]) == 64 for r in rows)


def test_numbering_by_chapter_and_back_matter(ext) -> None:
    sphinx = {  # what Sphinx assigns: one sequence per kind across the book, in the order of the contents
        "book/intro": {},
        "notebooks/01_acuerdos_descriptivo": {"figure": {"fig-a": (1,), "fig-b": (2,)}},
        "notebooks/02_acuerdos_modelos": {"figure": {"fig-c": (3,)}, "table": {"tab-x": (1,)}},
        "book/ledger": {"table": {"tab-y": (2,), "tab-z": (3,)}},
        "book/reproducibilidad": {"table": {"tab-w": (4,)}},
        "notebooks/08_dos_fuentes": {"figure": {"fig-d": (4,)}},
    }
    out = ext.renumber(sphinx)
    assert out["notebooks/01_acuerdos_descriptivo"]["figure"] == {"fig-a": ("1", 1), "fig-b": ("1", 2)}
    assert out["notebooks/02_acuerdos_modelos"] == {"figure": {"fig-c": ("2", 1)}, "table": {"tab-x": ("2", 1)}}
    assert out["book/ledger"]["table"] == {"tab-y": ("A", 1), "tab-z": ("A", 2)}
    assert out["book/reproducibilidad"]["table"] == {"tab-w": ("A", 3)}
    assert out["notebooks/08_dos_fuentes"]["figure"] == {"fig-d": ("8", 1)}
    assert ext.number_prefix("notebooks/00_datos") == "0"


def test_commit_from_git_from_the_variable_or_unknown(ext, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SOURCE_COMMIT", raising=False)
    commit = ext.build_commit()
    assert commit == "desconocido" or (commit[:40].isalnum() and len(commit.split("+")[0]) == 40)
    assert ext.build_commit(tmp_path) == "desconocido"  # not a git repository
    monkeypatch.setenv("SOURCE_COMMIT", "abc1234")
    assert ext.build_commit(tmp_path) == "abc1234"


def test_environment_names_python_system_and_lock_file(ext) -> None:
    facts = dict(ext.environment_facts())
    assert facts["Python"].split()[-1].count(".") == 2
    assert "requirements.txt (SHA-256 " in facts["Archivo de bloqueo"]
    assert {"Commit del repositorio", "Sistema operativo", "Versión del compendio"} <= set(facts)


def test_release_notes_put_each_old_figure_next_to_the_new_one(ext, tmp_path: Path) -> None:
    before = tmp_path / "before.csv"
    before.write_text("key,value,text,published_in,note\nr01_x,5,5,capítulo 1,Vínculos\nr01_gone,2,2,capítulo 1,Otra\n",
                      encoding="utf-8")
    results = tmp_path / "processed"
    results.mkdir()
    (results / "results_01.csv").write_text("key,text,value,description\nr01_x,7,7,Vínculos\n", encoding="utf-8")
    rows = ext.release_rows(before, results, same={"r01_x": "r01_x", "r01_gone": "r01_gone"})
    assert rows == [["Vínculos", "5", "7", "capítulo 1"], ["Otra", "2", "no se calcula en esta versión", "capítulo 1"]]
    rows = ext.release_rows(before, results, same={"r01_gone": "r01_x"})  # r01_x has no comparable measure
    assert rows[0][2] == ext.NOT_COMPARABLE
    assert rows[1][2] == "7"
    bad = tmp_path / "bad.csv"
    bad.write_text("key,value\nr01_x,5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs the columns"):
        ext.release_rows(bad, results)


def test_every_bibliography_entry_is_cited_somewhere() -> None:
    """An entry of references.bib that no page or chapter cites is either cited where it supports the
    text or removed; at most two may wait uncited."""
    import re

    from pybtex.database import parse_file

    keys = set(parse_file(str(paths.BOOK / "references.bib")).entries)
    cited: set[str] = set()
    for path in [*paths.BOOK.glob("*.md"), *(paths.ROOT / "notebooks").glob("*.ipynb")]:
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", path.read_text(encoding="utf-8")):
            cited.update(k.strip() for k in group.split(","))
    uncited = sorted(keys - cited)
    assert len(uncited) <= 2, f"{len(uncited)} bibliography entries are never cited: {uncited}"


def test_no_reference_links_to_a_document_sharing_site() -> None:
    text = (paths.BOOK / "references.bib").read_text(encoding="utf-8")
    for site in ("studylib", "fdocuments", "1library", "scribd", "vdocuments", "docslib"):
        assert site not in text, site


def test_feature_names_reach_the_page_in_spanish_even_when_the_caller_keeps_them() -> None:
    df = pd.DataFrame({"feature": ["distance", "foreign_links", "size_gap"], "coefficient": [-0.19, 0.15, -0.12]})
    html = tabla(df, "Pesos", "tab-prueba-pesos", numero=1, etiquetas={"feature": "Rasgo", "coefficient": "Coef."},
                 valores={"feature": {f: f for f in df.feature}}).html
    for raw in (">distance<", "foreign_links", "size_gap"):
        assert raw not in html
    assert "Distancia (log₁₀ de los km)" in html
