"""Sphinx extension of the compendium: Spanish author-year references, the citation box, the version.

What it adds to the book (Jupyter Book 1, sphinxcontrib-bibtex 2):

* ``bibtex_default_style = "compendio"``: a pybtex formatting style that lists every reference in
  author-year order, in Spanish (``y`` between authors, ``En``, ``ed./eds.``, ``pp.``,
  ``Tesis doctoral``, ``Disponible en ... (consultado el ...)``), keeps titles as written (BibTeX's
  lower-casing of titles would break proper nouns) and prints the ``addendum`` field, which the
  bibliography uses for what the reader must know about an entry (unverified year, unpublished
  document). Entries without author are listed by their title.
* ``bibtex_reference_style = "author_year_es"``: the author-year citations of sphinxcontrib-bibtex
  with round brackets and ``y``: ``(Keohane y Nye, 1977)``; ``{cite:t}`` gives ``Keohane y Nye
  (1977)``. An entry without author is cited by its ``shorttitle`` (e.g. the two unpublished
  documents the compendium starts from: ``(Resumen de tesis inédita, s.f.)``).
* CSS: the bibliography hides sphinxcontrib-bibtex's running numbers (the list is author-year) and
  uses a hanging indent; numbered table captions ("Cuadro N") for the tables written by
  ``analysis.viz.tables.tabla``.
* ``{como-citar}`` directive: a box with the recommended citation and a BibTeX entry, generated at
  build time from ``CITATION.cff`` (authors, title, version, date, repository URL when present).
* ``{version-libro}`` directive: one line with the version (CITATION.cff) and the build date.
* Alternative text: the image of a captioned figure without alt text (a chapter's figure with a
  ``mystnb.figure`` caption) gets the caption's text instead of its file name.
* ``{cuadro-benchmarks}`` directive: ``csv-table`` for ``book/benchmarks.csv`` (written in English by
  ``python -m analysis bench``) shown in Spanish, numbered by Sphinx like every other table.

* The repository: ``repository-code`` in CITATION.cff is the one setting. Set, it gives the
  repository button, the Binder launch button (JupyterLab) on every chapter and thebe's Binder
  address; unset, there is no button, no launch link and no repository address in the pages.

It is loaded by ``dedup_scripts`` (``app.setup_extension``), so the book's ``_config.yml`` needs
no entry of its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import platform
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.parsers.rst.directives.tables import CSVTable
from pybtex.plugin import register_plugin
from pybtex.richtext import Symbol, Text
from pybtex.style.formatting import BaseStyle, toplevel
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitleSorting
from pybtex.style.template import (
    field as bfield,
)
from pybtex.style.template import (
    first_of,
    href,
    join,
    names,
    node,
    optional,
    optional_field,
    sentence,
    tag,
)
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import names as cite_names

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CITATION = ROOT / "CITATION.cff"


# --- Bibliography: Spanish author-year list -------------------------------------------------------

def _dashify(text: Text) -> Text:
    return Text(Symbol("ndash")).join(text.split(re.compile(r"-+")))


PAGES = bfield("pages", apply_func=_dashify)


@node
def creators(children: Any, data: dict[str, Any]) -> Text:
    """``Autor, A. y Autor, B. (año).`` — editors with ``(ed.)``/``(eds.)``; nothing if neither."""
    e = data["entry"]
    year = join["(", bfield("year"), ")"]
    people = names("author", sep=", ", sep2=" y ", last_sep=" y ")
    if "author" in e.persons:
        return sentence(sep=" ")[people, year].format_data(data)
    if "editor" in e.persons:
        word = "(ed.)" if len(e.persons["editor"]) == 1 else "(eds.)"
        eds = names("editor", sep=", ", sep2=" y ", last_sep=" y ")
        return sentence(sep=" ")[eds, word, year].format_data(data)
    return Text()


def _edition(e: Any) -> str:
    ed = e.fields.get("edition", "")
    if not ed or ed.lower() in {"1", "primera"}:
        return ""
    return f"{ed}.ª ed." if ed.isdigit() else f"{ed} ed."


class EtiquetaClave(BaseLabelStyle):
    """The BibTeX key as label: unique across the bibliography's sections (the list hides labels)."""

    def format_labels(self, sorted_entries: Any) -> Any:
        for entry in sorted_entries:
            yield entry.key


def _plain(text: str) -> str:
    """Sort key: no braces, no accents, lower case (Dávila before Duchacek)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("{", "").replace("}", ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class OrdenAutorAnio(AuthorYearTitleSorting):
    """Author (or editor, or title when there is neither), then year, then title; accents ignored."""

    def sorting_key(self, entry: Any) -> tuple[str, str, str]:
        people = entry.persons.get("author") or entry.persons.get("editor")
        who = self.persons_key(people) if people else entry.fields.get("title", "")
        return (_plain(who), entry.fields.get("year", ""), _plain(entry.fields.get("title", "")))


class EstiloCompendio(BaseStyle):
    """Author-year bibliography in Spanish (close to APA 7, in the language of the book)."""

    default_name_style = "lastfirst"
    default_sorting_style = "autor_anio_es"
    default_label_style = "clave"

    def _head(self, e: Any, title: Any) -> list[Any]:
        """Creators then title; without creators, the short title (or the title) leads and takes the year."""
        if "author" in e.persons or "editor" in e.persons:
            return [creators, sentence[title]]
        if "shorttitle" in e.fields:  # cited in the text by its short title: the list leads with it
            return [sentence(sep=" ")[bfield("shorttitle"), join["(", bfield("year"), ")"]], sentence[title]]
        return [sentence(sep=" ")[title, join["(", bfield("year"), ")"]]]

    def _tail(self, e: Any) -> list[Any]:
        web: Any
        if "doi" in e.fields:
            doi = join["https://doi.org/", bfield("doi", raw=True)]
            web = sentence[href(doi)[doi]]
        elif "url" in e.fields:
            url = bfield("url", raw=True)
            web = sentence(sep=" ")["Disponible en", href(url)[url],
                                    optional[join["(consultado el ", bfield("urldate"), ")"]]]
        else:
            web = Text()
        return [sentence[optional_field("addendum")], web]

    def get_article_template(self, e: Any) -> Any:
        vol = (join[bfield("volume"), optional["(", bfield("number"), ")"]] if "volume" in e.fields
               else optional[join["núm. ", bfield("number")]])
        journal = sentence[tag("em")[bfield("journal")], vol, optional[PAGES]]
        return toplevel[(*self._head(e, bfield("title")), journal, *self._tail(e))]

    def get_book_template(self, e: Any) -> Any:
        title = join(sep=" ")[tag("em")[bfield("title")], optional[join["(", _edition(e), ")"]] if _edition(e) else ""]
        series = optional[sentence(sep=" ")[bfield("series"), optional[join["vol. ", bfield("volume")]]]]
        vol = "" if "series" in e.fields else optional[sentence[join["Vol. ", bfield("volume")]]]
        pub = sentence(sep=": ")[optional_field("address"), bfield("publisher")]
        return toplevel[(*self._head(e, title), series, vol, pub, *self._tail(e))]

    def get_incollection_template(self, e: Any) -> Any:
        eds = optional[join(sep=" ")[names("editor", sep=", ", sep2=" y ", last_sep=" y "),
                                      "(ed.)" if len(e.persons.get("editor", [])) == 1 else "(eds.)"]]
        where = sentence(sep=" ")["En", join(sep=", ")[eds, tag("em")[bfield("booktitle")]],
                                  optional[join["(pp. ", PAGES, ")"]]]
        pub = sentence(sep=": ")[optional_field("address"), bfield("publisher")]
        return toplevel[(*self._head(e, bfield("title")), where, pub, *self._tail(e))]

    def get_techreport_template(self, e: Any) -> Any:
        title = join(sep=" ")[tag("em")[bfield("title")],
                              optional[join["(", first_of[optional_field("type"), "Informe técnico"],
                                            optional[join[" núm. ", bfield("number")]], ")"]]]
        inst = sentence(sep=", ")[bfield("institution"), optional_field("address")]
        return toplevel[(*self._head(e, title), inst, *self._tail(e))]

    def get_phdthesis_template(self, e: Any) -> Any:
        title = join(sep=" ")[tag("em")[bfield("title")],
                              join["[", first_of[optional_field("type"), "Tesis doctoral"], "]"]]
        return toplevel[(*self._head(e, title), sentence[bfield("school")], *self._tail(e))]

    def get_mastersthesis_template(self, e: Any) -> Any:
        title = join(sep=" ")[tag("em")[bfield("title")],
                              join["[", first_of[optional_field("type"), "Tesis de maestría"], "]"]]
        return toplevel[(*self._head(e, title), sentence[bfield("school")], *self._tail(e))]

    def get_misc_template(self, e: Any) -> Any:
        return toplevel[(*self._head(e, tag("em")[bfield("title")]), sentence[optional_field("howpublished")],
                         *self._tail(e))]

    get_unpublished_template = get_misc_template
    get_online_template = get_misc_template
    get_manual_template = get_misc_template
    get_booklet_template = get_misc_template

    def get_inbook_template(self, e: Any) -> Any:
        return self.get_incollection_template(e)

    def get_inproceedings_template(self, e: Any) -> Any:
        return self.get_incollection_template(e)


# --- In-text citations: author-year, Spanish ---------------------------------------------------

def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclass
class PersonStyleES(PersonStyle):
    """``y`` between authors, ``et al.`` from three; an entry without creators by its short title."""

    sep2: Any = " y "
    last_sep: Any = " y "
    other: Any = field(default_factory=lambda: Text(" et al."))

    def author_or_editor_or_title(self, full: bool) -> Any:
        other = None if full else self.other
        return first_of[
            optional[cite_names("author", sep=self.sep, sep2=self.sep2, last_sep=self.last_sep, other=other)],
            optional[cite_names("editor", sep=self.sep, sep2=self.sep2, last_sep=self.last_sep, other=other)],
            optional_field("shorttitle"),
            bfield("title"),
        ]


@dataclass
class AutorAnio(AuthorYearReferenceStyle):
    """(Autor, año) and Autor (año), in Spanish."""

    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)
    person: PersonStyle = field(default_factory=PersonStyleES)


register_plugin("pybtex.style.labels", "clave", EtiquetaClave)
register_plugin("pybtex.style.sorting", "autor_anio_es", OrdenAutorAnio)
register_plugin("pybtex.style.formatting", "compendio", EstiloCompendio)
register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_es", AutorAnio)


# --- CITATION.cff: version, citation box -------------------------------------------------------

def read_citation(path: Path = CITATION) -> dict[str, Any]:
    """CITATION.cff as a dict; a clear error naming the file if it is missing or malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: the book's citation box is generated from it; restore CITATION.cff.") from None
    for key in ("title", "authors", "version"):
        if not data or key not in data:
            raise ValueError(f"{path}: field {key!r} is missing; the citation box needs title, authors and version.")
    return data


def author_names(cff: dict[str, Any]) -> list[str]:
    out = []
    for a in cff["authors"]:
        if "family-names" in a:
            out.append(" ".join(p for p in (a.get("given-names"), a.get("name-particle"), a["family-names"]) if p))
        elif "name" in a:
            out.append(a["name"])
    return out


def build_date() -> str:
    """The build date, or SOURCE_DATE_EPOCH's when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else dt.datetime.now(dt.UTC).date()
    return day.isoformat()


def citation_text(cff: dict[str, Any]) -> str:
    authors = author_names(cff)
    who = ", ".join(authors[:-1]) + " y " + authors[-1] if len(authors) > 1 else authors[0]
    year = str(cff.get("date-released", ""))[:4] or "s.f."
    url = cff.get("repository-code") or cff.get("url")
    doi = cff.get("doi")
    text = f"{who} ({year}). {cff['title']} (versión {cff['version']}) [software y libro]."
    if doi:
        text += f" https://doi.org/{doi}"
    elif url:
        text += f" {url}"
    return text


def citation_bibtex(cff: dict[str, Any]) -> str:
    authors = " and ".join("{" + a + "}" if " " in a and "," not in a and len(a.split()) > 3 else a
                           for a in author_names(cff))
    year = str(cff.get("date-released", ""))[:4]
    fields = [("author", authors), ("title", "{" + cff["title"] + "}"), ("version", str(cff["version"])),
              ("year", year)]
    if cff.get("repository-code") or cff.get("url"):
        fields.append(("url", cff.get("repository-code") or cff.get("url")))
    if cff.get("doi"):
        fields.append(("doi", cff["doi"]))
    body = ",\n".join(f"  {k:<7} = {{{v}}}" for k, v in fields if v)
    return f"@software{{compendio_municipios,\n{body}\n}}"


class ComoCitar(Directive):
    """A "Cómo citar" box from CITATION.cff: the recommended citation and a BibTeX entry."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        cff = read_citation()
        env = self.state.document.settings.env
        env.note_dependency(str(CITATION))
        box = nodes.admonition(classes=["tip", "como-citar"])
        box += nodes.title(text="Cómo citar este compendio")
        box += nodes.paragraph(text=citation_text(cff))
        box += nodes.paragraph(text="En BibTeX:")
        box += nodes.literal_block(text=citation_bibtex(cff), language="bibtex")
        built = nodes.paragraph(text=f"Versión {cff['version']}; libro construido el {build_date()} a partir del commit ")
        built += nodes.literal(text=build_commit())
        built += nodes.Text(". Los datos de la cita se generan de CITATION.cff, en la raíz del repositorio.")
        box += built
        return [box]


class VersionLibro(Directive):
    """One line: authors, version and build date."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        cff = read_citation()
        self.state.document.settings.env.note_dependency(str(CITATION))
        authors = ", ".join(author_names(cff))
        url = cff.get("repository-code")
        para = nodes.paragraph(classes=["version-libro"])
        para += nodes.Text(f"{authors}. Versión {cff['version']} ({cff.get('date-released', 's.f.')}); "
                           f"libro construido el {build_date()} a partir del commit ")
        para += nodes.literal(text=build_commit()[:12])
        para += nodes.Text(".")
        if url:
            para += nodes.Text(" Repositorio: ")
            para += nodes.reference(text=url, refuri=url)
            para += nodes.Text(".")
        return [para]


# --- The build: commit, environment, data sources, release notes ----------------------------------

#: The lock file of the environment: exact pins of every package the compendium installs.
LOCK_FILE = ROOT / "requirements.txt"
SOURCES_YML = ROOT / "data" / "sources.yml"
#: Values of the previous published version (for the release notes), as that version printed them.
PUBLISHED_BEFORE = ROOT / "data" / "curated" / "published_before.csv"
RESULTS_DIR = ROOT / "data" / "processed"


def build_commit(root: Path = ROOT) -> str:
    """The commit the book is built from (``git rev-parse HEAD``), with "+cambios" when the working
    tree differs from it; ``SOURCE_COMMIT`` when set (a build from an archive); "desconocido" when
    neither git nor the variable can tell."""
    env = os.environ.get("SOURCE_COMMIT", "").strip()
    if env:
        return env
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "desconocido"
    if not re.fullmatch(r"[0-9a-f]{40}", head):
        return "desconocido"
    return head + ("+cambios" if dirty else "")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def environment_facts() -> list[tuple[str, str]]:
    """(what, value) pairs the reproducibility page shows: commit, Python, system, lock file."""
    lock = f"{LOCK_FILE.name} (SHA-256 {file_sha256(LOCK_FILE)})" if LOCK_FILE.exists() else "no encontrado"
    return [("Commit del repositorio", build_commit()),
            ("Versión del compendio", str(read_citation()["version"])),
            ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
            ("Sistema operativo", f"{platform.system()} {platform.release()} ({platform.machine()})"),
            ("Archivo de bloqueo", lock),
            ("Fecha de construcción", build_date())]


def _field_list(pairs: list[tuple[str, str]], literal: set[str] | None = None) -> nodes.field_list:
    fl = nodes.field_list(classes=["entorno-libro"])
    for name, value in pairs:
        body = nodes.paragraph()
        body += nodes.literal(text=value) if name in (literal or set()) else nodes.Text(value)
        fl += nodes.field("", nodes.field_name(text=name), nodes.field_body("", body))
    return fl


class EntornoLibro(Directive):
    """The commit, Python, operating system and lock file of this build (a field list)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        env.note_dependency(str(CITATION))
        env.note_dependency(str(LOCK_FILE))
        return [_field_list(environment_facts(), literal={"Commit del repositorio", "Archivo de bloqueo"})]


class _GeneratedTable(CSVTable):
    """A ``csv-table`` whose rows are generated at build time (subclasses define ``rows``)."""

    option_spec: ClassVar[dict[str, Any]] = {k: v for k, v in CSVTable.option_spec.items()
                                             if k not in {"file", "url"}}
    headers: ClassVar[list[str]] = []

    def rows(self) -> list[list[str]]:
        raise NotImplementedError

    def get_csv_data(self) -> tuple[list[str], str]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.headers)
        try:
            writer.writerows(self.rows())
        except (OSError, ValueError, KeyError) as exc:
            raise self.error(str(exc)) from None
        self.options["header-rows"] = 1
        return out.getvalue().splitlines(), self.source_name

    source_name = ""


def source_rows(path: Path = SOURCES_YML) -> list[list[str]]:
    """One row per source of data/sources.yml: id, URL, SHA-256 and licence in Spanish."""
    from analysis.ingest.sources import load_manifest
    from analysis.viz.tables import VALORES

    licences = VALORES["licence"]
    rows = []
    for src in load_manifest(path):
        if src.licence not in licences:
            raise ValueError(f"{path}: source {src.id!r}: licence {src.licence!r} has no Spanish text; "
                             "add it to VALORES['licence'] in analysis/viz/tables.py.")
        rows.append([src.id, src.url, src.sha256, licences[src.licence]])
    return rows


class CuadroFuentes(_GeneratedTable):
    """Every source of data/sources.yml with its URL, SHA-256 and licence (in Spanish)."""

    headers: ClassVar[list[str]] = ["Fuente", "Dirección (URL)", "SHA-256", "Licencia"]
    source_name = str(SOURCES_YML)

    def rows(self) -> list[list[str]]:
        self.state.document.settings.env.note_dependency(str(SOURCES_YML))
        return source_rows()


#: Key of the previous version -> key of this build that measures the same thing (same source and
#: specification: the Wikipedia list alone, the prior four-covariate model). A key not listed here has
#: no comparable figure in this build and says so, rather than set two different measures side by side.
SAME_MEASURE = {
    "r01_vinculos_municipales": "r01_vinculos_municipales",  # unique municipal links of the Wikipedia list
    "r01_duplicados": "r01_duplicados",
    "r01_gini_municipios": "r01_gini_wikipedia",
    "r02_costeros": "r02_costeros",
    "r02_nb2_coastal": "r02_nb2_coastal_irr",                 # prior specification, Wikipedia links
    "r05_isla_mujeres_vinculos": "r05_isla_mujeres_vinculos",
    "r06_vinculos_evaluados": "r06_vinculos_evaluados",
    "r06_municipios_evaluados": "r06_municipios_evaluados",
    "r06_cociente": "r06_cociente",
}
NOT_COMPARABLE = "sin cifra comparable (cambió la fuente o la especificación)"


def release_rows(before: Path = PUBLISHED_BEFORE, results: Path = RESULTS_DIR,
                 same: dict[str, str] | None = None) -> list[list[str]]:
    """What the previous version published next to what this build computes for the same measure."""
    from generated_results import read_results

    same = SAME_MEASURE if same is None else same
    current = read_results(results)
    with before.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"key", "text", "published_in", "note"} <= set(rows[0]):
        raise ValueError(f"{before}: needs the columns key, text, published_in and note.")
    out = []
    for r in rows:
        key = same.get(r["key"])
        now = NOT_COMPARABLE if key is None else current.get(key, "no se calcula en esta versión")
        out.append([r["note"], r["text"], now, r["published_in"]])
    return out


class CuadroCambios(_GeneratedTable):
    """Figures of the previous version (data/curated/published_before.csv) and of this build."""

    headers: ClassVar[list[str]] = ["Cifra", "Versión anterior", "Esta versión", "Dónde se publicó"]
    source_name = str(PUBLISHED_BEFORE)

    def rows(self) -> list[list[str]]:
        self.state.document.settings.env.note_dependency(str(PUBLISHED_BEFORE))
        return release_rows()


# --- The benchmark table (book/benchmarks.csv, written by `python -m analysis bench`) in Spanish -------

#: Column headers of benchmarks.csv.
BENCH_HEADERS = {"group": "Grupo", "metric": "Medida", "value": "Valor", "unit": "Unidad",
                 "repeats": "Repeticiones", "note": "Nota"}
#: Spanish for the words benchmarks.csv is written in (groups, measures, units, notes).
BENCH_ES = {
    "install": "instalación", "pipeline": "cuadernos", "book": "libro", "escala": "escala", "nlp": "codificación",
    "sdg": "ODS", "partners": "socios", "memory": "memoria", "machine": "máquina",
    "load average (1 min) at start": "carga media (1 min) al empezar",
    "load average (1 min) at end": "carga media (1 min) al terminar",
    "install with uv (empty environment, no cache)": "instalación con uv (entorno vacío, sin caché)",
    "install with pip (empty environment, no cache)": "instalación con pip (entorno vacío, sin caché)",
    "pip / uv": "pip / uv",
    "cold run (every notebook executed)": "ejecución en frío (todos los cuadernos)",
    "rerun with nothing changed": "reejecución sin cambios",
    "cold / rerun": "frío / reejecución",
    "book build alone (all pages)": "construcción del libro (todas las páginas)",
    "make book with nothing changed": "make book sin cambios",
    "words coded": "palabras codificadas",
    "segments coded": "segmentos codificados",
    "codes assigned": "códigos asignados",
    "bare spaCy pass": "paso de spaCy solo",
    "segmentation + coding": "segmentación y codificación",
    "coding time / bare spaCy time": "tiempo de codificación / tiempo de spaCy solo",
    "classification throughput": "rendimiento de la clasificación",
    "goal + target classification throughput": "rendimiento de la clasificación por objetivo y meta",
    "goal + target time / goal-only time": "tiempo objetivo y meta / tiempo sólo objetivo",
    "index build": "construcción del índice",
    "recommendation latency (median)": "latencia de una recomendación (mediana)",
    "peak RSS, benchmark process": "pico de memoria, proceso de medición",
    "peak RSS, largest command started": "pico de memoria, mayor orden lanzada",
    "cores": "núcleos",
    "s": "s", "ms": "ms", "MB": "MB", "ratio": "razón", "words": "palabras", "words/s": "palabras/s",
    "texts/s": "textos/s", "load": "carga", "segments": "segmentos", "codes": "códigos", "-j 1": "-j 1",
    "no notebook re-executed": "ningún cuaderno se vuelve a ejecutar",
    "the same generated corpus in every run": "el mismo corpus generado en cada ejecución",
}
#: How a scale run is named in benchmarks.csv ("2 processes", "LocalCluster, 2 workers", "1 process").
_RUN = r"(\d+ process(?:es)?|LocalCluster, \d+ workers)"


def _run_es(name: str) -> str:
    name = re.sub(r"^1 process$", "1 proceso", name)
    name = re.sub(r"^(\d+) processes$", r"\1 procesos", name)
    return re.sub(r"^LocalCluster, (\d+) workers$", r"LocalCluster, \1 trabajadores", name)


def _trozos(n: str) -> str:
    return f"{n} trozo" if n == "1" else f"{n} trozos"


def _groups_es(text: str) -> str:
    return ", ".join(BENCH_ES.get(g, g) for g in text.split(", "))


_BENCH_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^(\d+) processes, (\d+) chunks$"), r"\1 procesos, \2 trozos"),
    (re.compile(r"^goal: under (.+)$"), r"meta: menos de \1"),
    (re.compile(r"^largest worker (.+)$"), r"el mayor proceso, \1"),
    (re.compile(r"^([\d,]+) generated words$"), r"\1 palabras generadas"),
    (re.compile(r"^([\d,]+) short texts$"), r"\1 textos breves"),
    (re.compile(r"^([\d,]+) short texts, goals only$"), r"\1 textos breves, sólo objetivos"),
    (re.compile(r"^([\d,]+) short texts, (\d+) targets$"), r"\1 textos breves, \2 metas"),
    (re.compile(r"^(\d+) queries each$"), r"\1 consultas cada una"),
    (re.compile(r"^cold run, -j (\d+)$"), r"ejecución en frío, -j \1"),
    (re.compile(r"^cold run -j 1 / -j (\d+)$"), r"en frío: -j 1 / -j \1"),
    (re.compile(r"^run measuring (.+)$"), lambda m: f"ejecución que midió: {_groups_es(m.group(1))}"),
    (re.compile(rf"^load average \(1 min\) before, {_RUN}$"), lambda m: f"carga media (1 min) antes, {_run_es(m.group(1))}"),
    (re.compile(rf"^load average \(1 min\) after, {_RUN}$"), lambda m: f"carga media (1 min) después, {_run_es(m.group(1))}"),
    (re.compile(rf"^throughput, {_RUN}$"), lambda m: f"rendimiento, {_run_es(m.group(1))}"),
    (re.compile(rf"^wall time, {_RUN}$"), lambda m: f"tiempo de pared, {_run_es(m.group(1))}"),
    (re.compile(rf"^peak RSS total, {_RUN}$"), lambda m: f"pico de memoria total, {_run_es(m.group(1))}"),
    (re.compile(rf"^throughput {_RUN} / 1 process$"), lambda m: f"rendimiento: {_run_es(m.group(1))} / 1 proceso"),
    (re.compile(rf"^peak RSS {_RUN} / 1 process$"), lambda m: f"pico de memoria: {_run_es(m.group(1))} / 1 proceso"),
    (re.compile(rf"^{_RUN}, (\d+) chunk(?:s|\(s\))? of up to ([\d,]+) words$"),
     lambda m: f"{_run_es(m.group(1))}, {_trozos(m.group(2))} de hasta {m.group(3)} palabras"),
    (re.compile(r"^parent ([\d,.]+) MB \+ workers ([\d,.]+) MB; goal: under (.+)$"),
     r"principal \1 MB + procesos \2 MB; meta: menos de \3"),
]


def bench_es(text: str) -> tuple[str, bool]:
    """Spanish for a word or phrase of benchmarks.csv; (text, False) when there is none."""
    if text in BENCH_ES:
        return BENCH_ES[text], True
    for pattern, repl in _BENCH_PATTERNS:
        if pattern.match(text):
            return pattern.sub(repl, text), True
    if text.startswith("Python "):
        return text, True
    return text, False


def bench_value(value: str) -> str:
    """Mexican number format with a precision that suits the size of the value."""
    try:
        v = float(value)
    except ValueError:
        return value
    if v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:,.3f}"


def select_bench_rows(rows: list[dict[str, str]], groups: str | None = None,
                      exclude: str | None = None) -> list[dict[str, str]]:
    """The rows of the groups in ``groups`` (comma-separated), without those in ``exclude``.

    A group named in either that the table lacks is an error: a page never shows an empty or
    incomplete table silently.
    """
    present = {row.get("group", "") for row in rows}
    for option, text, keep in (("groups", groups, True), ("exclude-groups", exclude, False)):
        if text is None:
            continue
        named = {g.strip() for g in text.split(",") if g.strip()}
        absent = sorted(named - present)
        if absent or not named:
            raise ValueError(f"no rows of group(s) {absent or [text]} (option :{option}:); "
                             "run `python -m analysis bench --groups ...` to measure them.")
        rows = [row for row in rows if (row.get("group") in named) == keep]
    return rows


class CuadroBenchmarks(CSVTable):
    """``csv-table`` for benchmarks.csv in Spanish: headers, words and numbers translated at build time.

    A word without translation stays as written and is reported as a warning (the build uses -W),
    naming the text to add to ``BENCH_ES``. ``:groups:`` keeps only the rows of the groups listed
    (comma-separated, as in the ``group`` column), ``:exclude-groups:`` drops them; a group named
    there that the table lacks is an error, so a section never shows an empty table silently.
    """

    option_spec: ClassVar[dict[str, Any]] = {**CSVTable.option_spec, "groups": directives.unchanged,
                                             "exclude-groups": directives.unchanged}

    def get_csv_data(self) -> tuple[list[str], str]:
        path = Path(self.state.document.current_source).parent / self.options["file"]
        self.state.document.settings.env.note_dependency(str(path))
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        try:
            rows = select_bench_rows(rows, self.options.get("groups"), self.options.get("exclude-groups"))
        except ValueError as exc:
            raise self.error(f"{path.name}: {exc}") from None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(BENCH_HEADERS.values())
        missing = set()
        for row in rows:
            cells = []
            for key in BENCH_HEADERS:
                text = (row.get(key) or "").strip()
                if key in {"value", "repeats"}:
                    cells.append(bench_value(text))
                    continue
                es, ok = bench_es(text) if text else ("", True)
                if not ok:
                    missing.add(text)
                cells.append(es)
            writer.writerow(cells)
        for text in sorted(missing):
            self.state.document.reporter.warning(
                f"{path.name}: no Spanish for {text!r}; add it to BENCH_ES in book/_ext/compendio.py.", line=self.lineno)
        return out.getvalue().splitlines(), str(path)


# --- Repository, Binder and thebe: one setting, ``repository-code`` in CITATION.cff ----------------

LAUNCH_KEYS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url")


def repository_url() -> str:
    return str(read_citation().get("repository-code") or "").strip()


def _configure_repository(app: Any, config: Any) -> None:
    """With ``repository-code`` set: repository button, Binder (JupyterLab) on the chapters, thebe's
    Binder pointing to the repository. Unset: no button, no launch link, no repository address at
    all (Jupyter Book's default would name its own repository and thebe a template one)."""
    url = repository_url()
    opts = dict(config.html_theme_options or {})
    launch = dict(opts.get("launch_buttons") or {})
    if url:
        opts.update(repository_url=url, repository_branch="main", path_to_docs="", use_repository_button=True)
        launch.update(binderhub_url="https://mybinder.org", notebook_interface="jupyterlab", thebe=False)
        config.thebe_config = {**(config.thebe_config or {}), "repository_url": url, "repository_branch": "main"}
    else:
        opts.update(repository_url="", use_repository_button=False, use_issues_button=False,
                    use_edit_page_button=False, use_source_button=False)
        launch = {k: v for k, v in launch.items() if k not in LAUNCH_KEYS} | {"thebe": False}
    opts["launch_buttons"] = launch
    config.html_theme_options = opts


def _drop_thebe_config(app: Any, doctree: Any, docname: str) -> None:
    """Without a repository, remove the thebe configuration sphinx-thebe writes into every page."""
    if repository_url():
        return
    for raw in list(doctree.findall(nodes.raw)):
        if "text/x-thebe-config" in raw.astext():
            raw.parent.remove(raw)


# --- One numbering: "Figura 2.1", "Cuadro 2.1"; the pages outside the chapters "Cuadro A.1" ----------

#: A chapter is an executed notebook ``notebooks/NN_nombre``: its number is NN.
CHAPTER_DOC = re.compile(r"^notebooks/(\d+)_")
#: Prefix of the numbered tables and figures of every page that is not a chapter (landing page,
#: methods, finder, conclusions and appendices), numbered in the order of the table of contents.
BACK_MATTER_PREFIX = "A"


def number_prefix(docname: str) -> str:
    """"2" for ``notebooks/02_acuerdos_modelos``; :data:`BACK_MATTER_PREFIX` for any other page."""
    m = CHAPTER_DOC.match(docname)
    return str(int(m.group(1))) if m else BACK_MATTER_PREFIX


def renumber(fignumbers: dict[str, dict[str, dict[str, tuple[Any, ...]]]]) -> dict[str, dict[str, dict[str, tuple[Any, ...]]]]:
    """Sphinx's numbers (one sequence per kind across the book) → one sequence per kind and prefix.

    ``fignumbers`` is ``env.toc_fignumbers``: docname → kind (figure, table, code-block) → id →
    number, in the order of the table of contents. The result numbers each kind again from 1 within
    each prefix (:func:`number_prefix`), in the same order: ``("2", 1)`` prints as "Figura 2.1".
    """
    counters: dict[tuple[str, str], int] = {}
    out: dict[str, dict[str, dict[str, tuple[Any, ...]]]] = {}
    for docname, kinds in fignumbers.items():
        prefix = number_prefix(docname)
        for kind, ids in kinds.items():
            for ident in sorted(ids, key=lambda i: ids[i]):
                counters[prefix, kind] = counters.get((prefix, kind), 0) + 1
                out.setdefault(docname, {}).setdefault(kind, {})[ident] = (prefix, counters[prefix, kind])
    return out


def _number_by_chapter(app: Any, env: Any) -> list[str]:
    """After Sphinx numbers figures and tables (``env-get-updated``), number them by chapter; the pages
    whose numbers differ from the last build's are written again."""
    new = renumber(env.toc_fignumbers)
    old = getattr(env, "compendio_fignumbers", {})
    env.toc_fignumbers = new
    env.compendio_fignumbers = new
    return [doc for doc in set(new) | set(old) if new.get(doc) != old.get(doc)]


def _drop_citation_labels(app: Any, doctree: Any, docname: str) -> None:
    """The bibliography is author-year: an entry's label is its BibTeX key, which the page hides. It is
    removed from the HTML, so that search results (whose snippets read the page's text) do not show
    "[cancunmio_2017]"."""
    for citation in list(doctree.findall(nodes.citation)):
        for label in [c for c in citation.children if isinstance(c, nodes.label)]:
            citation.remove(label)


def _english_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                  options: dict | None = None, content: list | None = None) -> tuple[list, list]:
    """``{en}`Borough of Mexico City``` — an English equivalent, in italics and marked ``lang="en"`` so
    that a screen reader reads it in English (and the check for English leftovers leaves it out)."""
    import html as _html

    return [nodes.raw(rawtext, f'<em lang="en">{_html.escape(text)}</em>', format="html")], []


def _caption_as_alt(app: Any, doctree: Any, docname: str) -> None:
    """An image of a captioned figure that has no alternative text gets the caption's text.

    Without it the HTML writer uses the file name (``../_images/3a35….png``), which tells a screen
    reader nothing; a figure shown with ``analysis.viz.style.mostrar`` carries its own alt text and is
    left as it is.
    """
    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        text = " ".join(caption.astext().split()) if caption is not None else ""
        if not text:
            continue
        for image in figure.findall(nodes.image):
            if not image.get("alt"):
                image["alt"] = text


#: The book's stylesheet: a static file next to this extension, copied into ``_static`` at build time.
CSS_FILE = HERE / "compendio.css"


def _write_css(app: Any) -> None:
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    target = static / "compendio.css"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(CSS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    tmp.replace(target)


def _on_builder_inited(app: Any) -> None:
    if app.builder.format == "html":
        _write_css(app)


def _refresh_static(app: Any, exception: Exception | None) -> None:
    """Copy again the static files that changed since the last build (the web maps that the
    notebooks rewrite): Sphinx 7 keeps a static file already in the output, however old."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static"
    for entry in app.config.html_static_path:
        src_root = Path(app.confdir) / entry
        if not src_root.is_dir():
            continue
        for src in src_root.rglob("*"):
            if not src.is_file():
                continue
            dst = out / src.relative_to(src_root)
            if dst.exists() and dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(dst.name + ".tmp")
            tmp.write_bytes(src.read_bytes())
            tmp.replace(dst)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("como-citar", ComoCitar)
    app.add_directive("version-libro", VersionLibro)
    app.add_directive("cuadro-benchmarks", CuadroBenchmarks)
    app.add_directive("entorno-libro", EntornoLibro)
    app.add_role("en", _english_role)
    app.add_directive("cuadro-fuentes", CuadroFuentes)
    app.add_directive("cuadro-cambios", CuadroCambios)
    app.add_css_file("compendio.css")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("config-inited", _configure_repository, priority=800)
    app.connect("build-finished", _refresh_static)
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)  # after sphinx-thebe (500)
    app.connect("doctree-resolved", _caption_as_alt)
    app.connect("doctree-resolved", _drop_citation_labels, priority=950)  # after sphinxcontrib-bibtex
    app.connect("env-get-updated", _number_by_chapter, priority=900)  # after Sphinx's TocTreeCollector (500)
    # env_version: raise it when the style changes, so Sphinx re-reads every page (cached citations).
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1", "env_version": 2}


