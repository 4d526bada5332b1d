"""The book's references and front matter (book/_ext/compendio.py, book/references.bib, CITATION.cff):
Spanish author-year entries, every cited key present, unverified fields left out, the citation box
and the benchmark table in Spanish."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys

import pytest
from pybtex.database import parse_file
from pybtex.plugin import find_plugin

from analysis import paths

BOOK = paths.BOOK
SECTIONS = {"fuentes", "datos", "literatura", "metodos", "juridico", "prensa"}


@pytest.fixture(scope="module")
def ext():
    spec = importlib.util.spec_from_file_location("compendio", BOOK / "_ext" / "compendio.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compendio"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bib():
    return parse_file(str(BOOK / "references.bib"))


@pytest.fixture(scope="module")
def formatted(ext, bib) -> dict[str, str]:  # noqa: ARG001 - ext registers the compendio style
    style = find_plugin("pybtex.style.formatting", "compendio")()
    return {e.key: e.text.render_as("text") for e in style.format_entries(bib.entries.values())}


def cited_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*BOOK.glob("*.md"), *paths.ROOT.glob("notebooks/*.ipynb")]:
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", path.read_text(encoding="utf-8")):
            keys.update(k.strip() for k in group.split(","))
    return keys


def test_every_cited_key_is_in_the_bibliography(bib) -> None:
    assert cited_keys() - set(bib.entries) == set()


def test_every_entry_has_one_section(bib) -> None:
    wrong = {k: e.fields.get("keywords") for k, e in bib.entries.items() if e.fields.get("keywords") not in SECTIONS}
    assert not wrong


def test_entries_read_in_spanish_author_year(formatted) -> None:
    for key, text in formatted.items():
        authors = text.split(" (")[0]  # titles may be English; the words the style writes may not
        assert " and " not in authors, (key, text)
        assert "editors" not in text, (key, text)
        assert "pages" not in text, (key, text)
        assert " In " not in text, (key, text)
        assert text.count("(") >= 1
    assert formatted["keohane_nye_1977"].startswith("Keohane, Robert O. y Nye, Joseph S. (1977). Power and Interdependence")
    assert "En Michelmann, Hans J. y Soldatos, Panayotis (eds.)" in formatted["duchacek_1990"]
    # the year appears once, after the authors
    assert formatted["keohane_nye_1977"].count("1977") == 1
    assert formatted["hood_1991"].split("doi.org")[0].count("1991") == 1
    # proper nouns keep their capitals
    assert "Oaxaca y Guanajuato" in formatted["anorve_2024"]
    assert "México" in formatted["davila_2008"]


def test_seeds_are_cited_as_what_they_are(formatted, bib) -> None:
    for key, short in (("seed_tesis", "Resumen de tesis inédita"), ("seed_diapositivas", "Diapositivas inéditas")):
        assert bib.entries[key].type == "unpublished"
        assert formatted[key].startswith(f"{short} (s.f.).")


def test_unverified_fields_are_left_out(bib) -> None:
    # chapter pages and the Clarendon imprint were not verified; the year of Luna and Ballesteros neither
    for key in ("duchacek_1990", "soldatos_1990"):
        assert "pages" not in bib.entries[key].fields
        assert "Clarendon" not in bib.entries[key].fields["publisher"]
    assert bib.entries["luna_ballesteros"].fields["year"] == "s.f."
    assert "no verificado" in bib.entries["luna_ballesteros"].fields["addendum"]


def test_citation_box_from_citation_cff(ext) -> None:
    cff = ext.read_citation()
    text = ext.citation_text(cff)
    assert cff["title"] in text
    assert f"versión {cff['version']}" in text
    bibtex = ext.citation_bibtex(cff)
    assert bibtex.startswith("@software{")
    assert f"{{{cff['version']}}}" in bibtex


def test_citation_cff_errors_name_the_file(ext, tmp_path) -> None:
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\ntitle: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"CITATION\.cff.*authors"):
        ext.read_citation(bad)
    with pytest.raises(FileNotFoundError, match=r"CITATION\.cff"):
        ext.read_citation(tmp_path / "missing" / "CITATION.cff")


def test_every_benchmark_word_has_spanish(ext) -> None:
    with (BOOK / "benchmarks.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = {row[k] for row in rows for k in ("group", "metric", "unit", "note")
               if row[k] and not ext.bench_es(row[k])[1]}
    assert not missing
    assert ext.bench_value("1000475.0") == "1,000,475"
    assert ext.bench_value("0.09") == "0.090"
    assert ext.bench_es("no such measure") == ("no such measure", False)


def test_a_benchmark_table_shows_the_groups_asked_for(ext) -> None:
    rows = [{"group": g, "metric": m} for g, m in [("install", "uv"), ("escala", "1 process"), ("nlp", "bare")]]
    assert [r["metric"] for r in ext.select_bench_rows(rows, groups="escala")] == ["1 process"]
    assert [r["metric"] for r in ext.select_bench_rows(rows, exclude="escala, nlp")] == ["uv"]
    assert ext.select_bench_rows(rows) == rows
    with pytest.raises(ValueError, match=r"no rows of group\(s\) \['pipeline'\] \(option :groups:\)"):
        ext.select_bench_rows(rows, groups="escala,pipeline")


class _Config:
    def __init__(self) -> None:
        # what Jupyter Book 1 puts there by default: its own repository and no launch URL
        self.html_theme_options = {"repository_url": "https://github.com/executablebooks/jupyter-book",
                                   "launch_buttons": {"notebook_interface": "classic", "binderhub_url": ""}}
        self.thebe_config: dict[str, str] = {}


def test_one_setting_drives_repository_and_binder(ext, monkeypatch) -> None:
    monkeypatch.setattr(ext, "read_citation", lambda _path=None: {"title": "t", "authors": [], "version": "1"})
    unset = _Config()
    ext._configure_repository(None, unset)
    assert unset.html_theme_options["repository_url"] == ""
    assert not unset.html_theme_options["use_repository_button"]
    assert "binderhub_url" not in unset.html_theme_options["launch_buttons"]
    assert unset.thebe_config == {}
    url = "https://github.com/dueno/compendio"
    monkeypatch.setattr(ext, "read_citation", lambda _path=None: {"repository-code": url})
    set_ = _Config()
    ext._configure_repository(None, set_)
    assert set_.html_theme_options["repository_url"] == url
    assert set_.html_theme_options["use_repository_button"]
    assert set_.html_theme_options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert set_.thebe_config["repository_url"] == url
