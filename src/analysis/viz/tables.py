"""Tables for the book: one helper, :func:`tabla`, so every table reads the same.

What a reader gets from ``tabla(df, "Título", "tab-etiqueta")``:

* a numbered caption, "Cuadro N. Título", and an ``id`` (the label) that links can point to;
* Spanish column headers: from ``etiquetas`` (argument), else :data:`ETIQUETAS` (the compendium's
  usual columns), else the column's description in ``data/dictionary.yml`` shortened to its first
  phrase; a column with none of these is an error that names it (no ``n_links`` reaches the page);
* the Mexican number format: comma for thousands, point for decimals, a fixed number of decimals
  per column (``decimales``), percentages with their own (``porcentajes`` for 0–100 values,
  ``proporciones`` for 0–1 values shown ×100), p-values as ``< 0.001`` or with 3 decimals;
* no index column (``indice=True`` turns the index into a first column, named after it);
* missing values (and empty text) as "—", booleans as "sí"/"no";
* category values in Spanish: ``valores={"columna": {"matched": "asignado"}}``, else
  :data:`VALORES` (licences of the sources, the partner finder's features, model terms…); a code in
  snake_case without a translation is shown with spaces (``autoridad_municipal`` → "autoridad
  municipal");
* country and city names as the English sources write them, in Spanish (:data:`COUNTRY_COLUMNS`,
  :data:`CITY_COLUMNS`: "Germany" → "Alemania", "Seville" → "Sevilla");
* long text wrapped (``texto`` columns, or any text column whose values run past 60 characters);
* an optional note under the table (``nota``: source, abbreviations).

How it is numbered and referred to (Jupyter Book 1). A notebook's tables are numbered in the order
they are made, with the chapter as prefix once the notebook calls ``numerar_capitulo(1)``:
"Cuadro 1.1", "Cuadro 1.2"… (the figures and the narrative pages' tables are numbered by Sphinx, by
chapter too, and the pages outside the chapters with the prefix A: book/_ext/compendio.py); ``papermill`` runs each notebook in a
fresh kernel, so the numbering is the same on every run. The output is HTML —
``<figure class="cuadro" id="…"><table><caption>`` — which MyST-NB passes through as is: the
``{table}`` directive and ``{numref}`` cannot see a table made by a code cell (glue plus
``{table}`` works only for Markdown tables and would put every table twice in the notebook), so
the number is written by Python and the cross-reference is a link to the id:

    from analysis.viz.tables import numerar_capitulo, referencia, tabla
    numerar_capitulo(1)          # once, in the notebook's import cell
    tabla(por_entidad, "Vínculos por entidad federativa", "tab-entidades",
          decimales={"links_per_100k": 2}, porcentajes={"coverage_pct": 1},
          nota="Fuente: listas de Wikipedia; Censo 2020 (INEGI).")
    # Markdown cell: "… como muestra el [cuadro 1.2](#tab-entidades) …"; or, to keep the number in
    # step, glue it: glue("ref_entidades", referencia("tab-entidades"), display=False) and write
    # {glue:text}`ref_entidades`.

The object :func:`tabla` returns displays itself (``_repr_html_``) as the last expression of a
cell, or with ``IPython.display.display``. The book's stylesheet (``book/_ext/compendio.py``)
gives it rules and spacing; alignment is written inline so that JupyterLab shows it right too.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.tables.dictionary import load_data_dictionary
from analysis.util.countries import city_name_es, country_name_es

MISSING = "—"
#: Percent sign after a non-breaking space, as the book's prose writes it ("7.5 %").
PERCENT = "\u00a0%"
SNAKE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
#: Columns that hold years or decades (``year``, ``decade``, ``first_census_year``…): written without the
#: thousands comma.
YEAR_COLUMN = re.compile(r"(^|_)(year|decade|anio|año|decada|década)($|_)", re.IGNORECASE)
#: Text columns whose values are longer than this are wrapped.
LONG_TEXT = 60

#: Short Spanish headers for the columns that recur across the compendium's tables.
ETIQUETAS: dict[str, str] = {
    "inegi_code": "Clave INEGI",
    "state_code": "Clave de entidad",
    "state_name": "Entidad",
    "state_abbr": "Entidad",
    "name": "Municipio",
    "municipality": "Municipio",
    "seat_name": "Cabecera",
    "population_2020": "Población 2020",
    "pop_1990": "Población 1990",
    "pop_2000": "Población 2000",
    "pop_2010": "Población 2010",
    "men_2020": "Hombres 2020",
    "women_2020": "Mujeres 2020",
    "level": "Nivel",
    "mexican_city": "Ciudad mexicana",
    "partner_city": "Ciudad socia",
    "partner_country": "País socio",
    "partner_country_iso3": "País socio (ISO)",
    "country_iso3": "País (ISO)",
    "iso3": "País (ISO)",
    "country_name_es": "País",
    "region_es": "Región",
    "subregion_es": "Subregión",
    "region": "Estado o región",
    "match_method": "Método de asignación",
    "match_status": "Asignación",
    "match_note": "Nota de asignación",
    "source": "Fuente",
    "reason": "Razón",
    "agreement_type": "Tipo de acuerdo",
    "signed_date": "Fecha de firma",
    "n_links": "Vínculos",
    "n_partner_countries": "Países socios",
    "has_link": "Con vínculo",
    "size_class": "Tamaño (habitantes)",
    "links_per_100k": "Vínculos por 100 mil hab.",
    "n_municipalities": "Municipios",
    "n_with_link": "Municipios con vínculo",
    "n_links_municipal": "Vínculos municipales",
    "n_links_state": "Vínculos estatales",
    "n_links_total": "Vínculos en total",
    "coverage_pct": "Municipios con vínculo (%)",
    "n_mexican_municipalities": "Municipios mexicanos",
    "share_pct": "Porcentaje del total",
    "share_state_pct": "Porcentaje de la población estatal",
    "model": "Modelo",
    "term": "Término",
    "irr": "IRR",
    "ci_low": "IC 95 % inferior",
    "ci_high": "IC 95 % superior",
    "p_value": "Valor p",
    "se_type": "Error estándar",
    "loglik": "Log-verosimilitud",
    "n_params": "Parámetros",
    "aic": "AIC",
    "bic": "BIC",
    "converged": "Convergió",
    "statistic": "Estadístico",
    "doc_id": "Entrevista",
    "segment_id": "Segmento",
    "speaker": "Hablante",
    "informant_role": "Tipo de informante",
    "text": "Texto",
    "code": "Código",
    "n_auto": "Automática",
    "n_gold": "Referencia",
    "both": "Ambas",
    "agreement_pct": "Acuerdo (%)",
    "kappa": "Kappa de Cohen",
    "alpha": "Alfa de Krippendorff",
    "plan_id": "Plan",
    "page": "Página",
    "top_sdg": "ODS principal",
    "sdgs": "ODS detectados",
    "batch": "Lote",
    "method": "Método",
    "n": "Frases",
    "top1_accuracy": "Exactitud (ODS principal)",
    "coverage": "Cobertura",
    "macro_f1": "F1 macro",
    "mean_precision": "Precisión media",
    "mean_recall": "Exhaustividad media",
    "number": "Núm.",
    "year": "Año",
    "month": "Mes",
    "decade": "Década",
    "scope": "Alcance",
    "distance_km": "Distancia (km)",
    "as_written": "Como aparece en la fuente",
    "status": "Situación",
    "claim_id": "Afirmación",
    "value_stated": "Valor afirmado",
    "value_computed": "Valor calculado",
}

#: Spanish for the English category values the pipeline writes, by column (``"*"``: any column).
VALORES: dict[str, dict[str, str]] = {
    "*": {"matched": "asignado", "ambiguous": "ambiguo", "unmatched": "sin asignar", "state": "estatal",
          "municipal": "municipal", "international": "internacional", "national": "nacional",
          "both": "en ambas", "table1_only": "sólo en la Tabla 1", "wikipedia_only": "sólo en Wikipedia",
          "not_comparable": "no comparable", "cluster": "agrupado por entidad", "nonrobust": "no robusto",
          "yes": "sí", "no": "no", "true": "sí", "false": "no"},
    "model": {"poisson": "Poisson", "nb2": "Binomial negativa (NB2)", "zinb": "Binomial negativa inflada de ceros",
              "hurdle": "Hurdle (valla)", "nb2_sin_cdmx": "NB2 sin la Ciudad de México",
              "nb2_sin_top1pct": "NB2 sin el 1 % con más vínculos",
              "nb2_caso_completo": "NB2, caso completo (sin los municipios sin índice migratorio)",
              "nb2_grado": "NB2 con el grado de marginación", "nb2_wikipedia": "NB2 con Wikipedia solamente",
              "nb2_wikidata": "NB2 con Wikidata solamente", "nb2_previa": "NB2, especificación anterior",
              "nb2_previa_wikipedia": "NB2, especificación anterior, con Wikipedia solamente",
              "test_lr_poisson_vs_nb2": "Prueba de razón de verosimilitudes: Poisson frente a NB2",
              "test_vuong_zinb_vs_nb2": "Prueba de Vuong: NB2 inflada de ceros frente a NB2",
              "test_vuong_zinb_vs_nb2_bic": "Prueba de Vuong con corrección BIC: NB2 inflada de ceros frente a NB2"},
    "term": {"const": "Constante", "log10_pop": "log₁₀ población", "border_state": "Estado fronterizo",
             "capital": "Capital estatal", "coastal": "Municipio costero",
             "dist_us_border_100km": "Distancia a la frontera con EE. UU. (100 km)",
             "marginalisation_index_2020": "Índice de marginación 2020", "migration_intensity_2010": "Intensidad migratoria 2010",
             "migration_missing": "Sin índice migratorio 2010",
             "marginalisation_grade_bajo": "Marginación: grado bajo", "marginalisation_grade_medio": "Marginación: grado medio",
             "marginalisation_grade_alto": "Marginación: grado alto",
             "marginalisation_grade_muy_alto": "Marginación: grado muy alto"},
    "method": {"diccionario": "diccionario", "solo_titulos": "sólo títulos de los ODS"},
    "feature": {  # the features of the two-source partner finder (analysis.analyses.partners.foreign)
        "intercept": "Constante",
        "mexican_links": "Municipios mexicanos hermanados con la ciudad (log)",
        "any_mexican_link": "Ciudad hermanada con algún municipio mexicano",
        "network": "Red: socios de municipios que comparten socios",
        "profile": "Perfil: socios de municipios parecidos",
        "foreign_links": "Hermanamientos de la ciudad con otros países (log)",
        "population": "Población de la ciudad (log₁₀)",
        "population_missing": "Población de la ciudad desconocida",
        "size_gap": "Diferencia de tamaño (log₁₀ de la población)",
        "distance": "Distancia (log₁₀ de los km)",
        "distance_missing": "Distancia desconocida",
        "near": "Ciudad cercana",
        "near_border": "Ciudad cercana a un municipio de la frontera norte",
        "country_own": "Parte de los socios del municipio en el país de la ciudad",
        "country_region": "Vínculos de la región del municipio con el país (log)",
        "country_nation": "Vínculos de México con el país (log)",
        "subregion_region": "Vínculos de la región del municipio con la subregión del mundo",
        "usa_border": "Ciudad de EE. UU. y municipio de la frontera norte",
        "usa_migration": "Ciudad de EE. UU. por intensidad migratoria del municipio",
        "usa_migration_missing": "Ciudad de EE. UU., municipio sin índice migratorio",
        "size_product": "Ciudad y municipio grandes a la vez",
    },
    "licence": {
        "INEGI terms of free use (Términos de libre uso de la información del INEGI); mxmaps repository BSD-3-Clause":
            "Términos de libre uso de la información del INEGI; repositorio mxmaps, BSD-3-Clause",
        "INEGI terms of free use; mxmaps repository BSD-3-Clause":
            "Términos de libre uso del INEGI; repositorio mxmaps, BSD-3-Clause",
        "BSD-2-Clause (catalogue compiled from INEGI, INEGI terms of free use)":
            "BSD-2-Clause (catálogo compilado del INEGI, términos de libre uso del INEGI)",
        "BSD-3-Clause (geometry derived from INEGI, terms of free use)":
            "BSD-3-Clause (geometría derivada del INEGI, términos de libre uso)",
        "MIT": "MIT",
        "Code MIT; content CC BY-SA 4.0 (attribute Wikipedia contributors)":
            "Código MIT; contenido CC BY-SA 4.0 (atribución a los colaboradores de Wikipedia)",
        "Natural Earth public domain; world-atlas ISC": "Natural Earth, dominio público; world-atlas, ISC",
        "CONAPO open data (datos.gob.mx, Libre Uso MX); the repository copying it states no licence of its own, "
        "so CONAPO is cited as the source":
            "Datos abiertos de CONAPO (datos.gob.mx, Libre Uso MX); el repositorio que los copia no declara "
            "licencia propia, por lo que se cita a CONAPO como fuente",
        "CONAPO open data; repository MIT": "Datos abiertos de CONAPO; repositorio MIT",
        "Wikidata content CC0; repository MIT": "Contenido de Wikidata CC0; repositorio MIT",
        "MIT (as stated by the folder's README)": "MIT (según el README de la carpeta)",
        "Open Database License (ODbL 1.0) for the database, Database Contents License for its contents":
            "Open Database License (ODbL 1.0) para la base de datos; Database Contents License para su contenido",
    },
}

#: Columns that hold a country's name as a source wrote it (English Wikipedia): shown with its
#: Spanish name (ISO 3166 translations, :func:`analysis.util.countries.country_name_es`).
COUNTRY_COLUMNS = frozenset({"partner_country", "country", "country1", "country2", "mexican_country"})
#: Columns that hold a city's name as a source wrote it: shown with its Spanish name where Spanish has
#: an established one (:func:`analysis.util.countries.city_name_es`; "Seville" → "Sevilla").
CITY_COLUMNS = frozenset({"partner_city", "mexican_city", "city", "city1", "city2", "foreign_city"})


@cache
def _dictionary_descriptions() -> dict[str, str]:
    """Column → description from data/dictionary.yml (first table that describes it)."""
    out: dict[str, str] = {}
    for table in load_data_dictionary():
        for col, desc in table.columns.items():
            out.setdefault(col, desc)
    return out


def short_header(description: str) -> str:
    """First phrase of a dictionary description: before " (", "; ", ". " or a trailing period."""
    text = description.strip()
    for stop in (" (", "; ", ". "):
        text = text.split(stop, 1)[0]
    text = text.rstrip(".").strip()
    if len(text) > 40 and ", " in text:
        text = text.split(", ", 1)[0]
    return text[:1].upper() + text[1:]


def header_for(column: Any, etiquetas: Mapping[str, str] | None = None) -> str:
    """The Spanish header of a column; a ValueError names a column without one."""
    col = str(column)
    if etiquetas and col in etiquetas:
        return etiquetas[col]
    if col in ETIQUETAS:
        return ETIQUETAS[col]
    described = _dictionary_descriptions().get(col)
    if described:
        return short_header(described)
    if SNAKE.match(col) or (col.isascii() and col.islower() and "_" in col):
        raise ValueError(
            f"tabla: column {col!r} has no Spanish header; pass etiquetas={{{col!r}: '…'}}, add it to "
            "ETIQUETAS in analysis/viz/tables.py, or describe it in data/dictionary.yml."
        )
    return col


def number_es(value: float, decimals: int = 0) -> str:
    """Mexican format: 12,345.67 (comma for thousands, point for decimals)."""
    return f"{value:,.{decimals}f}"


def p_value_es(value: float) -> str:
    return "< 0.001" if value < 0.001 else number_es(value, 3)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, str) and not v.strip():  # an empty text field (CSV read with keep_default_na=False)
        return True
    try:
        return bool(isinstance(v, float | np.floating) and math.isnan(v))
    except TypeError:
        return False


def translate(value: Any, column: str, valores: Mapping[str, Mapping[str, str]] | None) -> str:
    text = str(value)
    for table in ((valores or {}).get(column), VALORES.get(column), VALORES["*"]):
        if table and text in table:
            if table[text] == text and text in VALORES.get(column, {}):
                continue  # a caller's "keep as is" gives way to the compendium's Spanish name
            return table[text]
    if column in COUNTRY_COLUMNS:
        return country_name_es(text)
    if column in CITY_COLUMNS:
        return city_name_es(text)
    if SNAKE.match(text):
        return text.replace("_", " ")
    return text


@dataclass
class Cuadro:
    """A numbered table: ``html`` is what the page shows; ``numero`` its number; ``label`` its id."""

    numero: int
    label: str
    caption: str
    html: str
    nombre: str = ""

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return f"{self.nombre or f'Cuadro {self.numero}'}. {self.caption}"


_NUMBERS: dict[str, int] = {}
_CHAPTER: list[str] = [""]


def numerar_capitulo(capitulo: int | str) -> None:
    """Number this notebook's tables "Cuadro <capítulo>.1", "<capítulo>.2", … (call once, at the top).

    The book's narrative pages number their tables with Sphinx ("Cuadro 1", "Cuadro 2", … across
    the book); the chapter prefix keeps the notebooks' tables apart from those.
    """
    _CHAPTER[0] = str(capitulo)
    _NUMBERS.clear()


def reiniciar_numeracion() -> None:
    """Start again at Cuadro 1, without chapter prefix (a new notebook does this by itself: fresh kernel)."""
    _NUMBERS.clear()
    _CHAPTER[0] = ""


def _name(n: int) -> str:
    return f"Cuadro {_CHAPTER[0]}.{n}" if _CHAPTER[0] else f"Cuadro {n}"


def referencia(label: str) -> str:
    """"Cuadro 1.3" for a table already made in this notebook; KeyError naming the label otherwise."""
    if label not in _NUMBERS:
        raise KeyError(f"referencia: no table labelled {label!r} has been made yet; known: {sorted(_NUMBERS)}")
    return _name(_NUMBERS[label])


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        vals = series.dropna()
        return "int" if len(vals) and (vals == vals.round()).all() and vals.abs().max() < 1e15 else "float"
    return "text"


def _cell(v: Any, col: str, kind: str, decimales: Mapping[str, int], porcentajes: Mapping[str, int],
          proporciones: Mapping[str, int], pvalores: Iterable[str], valores: Any) -> str:
    if _is_missing(v):
        return MISSING
    if isinstance(v, bool | np.bool_):
        return "sí" if v else "no"
    if col in pvalores and isinstance(v, int | float | np.number):
        return p_value_es(float(v))
    if col in porcentajes:
        return number_es(float(v), porcentajes[col]) + PERCENT
    if col in proporciones:
        return number_es(100 * float(v), proporciones[col]) + PERCENT
    if YEAR_COLUMN.search(col) and isinstance(v, int | float | np.number) and float(v) == int(v):
        return str(int(v))  # a year or a decade: 1985, not 1,985
    if isinstance(v, int | np.integer):
        return number_es(int(v), decimales.get(col, 0))
    if isinstance(v, float | np.floating):
        return number_es(float(v), decimales.get(col, 0 if kind == "int" else 2))
    if isinstance(v, pd.Timestamp):
        return str(v.date().isoformat())
    return translate(v, col, valores)


def tabla(
    df: pd.DataFrame,
    caption: str,
    label: str,
    *,
    etiquetas: Mapping[str, str] | None = None,
    decimales: Mapping[str, int] | None = None,
    porcentajes: Mapping[str, int] | None = None,
    proporciones: Mapping[str, int] | None = None,
    pvalores: Iterable[str] = ("p_value", "pvalue", "p"),
    valores: Mapping[str, Mapping[str, str]] | None = None,
    texto: Iterable[str] = (),
    indice: bool = False,
    nota: str = "",
    numero: int | None = None,
    max_filas: int | None = None,
    ancho: Mapping[str, float] | None = None,
) -> Cuadro:
    """Format ``df`` as a numbered, captioned HTML table in Spanish (see the module docstring).

    ``label`` is the table's id (letters, digits, hyphens: ``tab-entidades``); ``numero`` forces a
    number (otherwise the next one of this notebook); ``max_filas`` shows only the first rows and
    says so in the note; ``ancho`` gives a wrapped text column a larger minimum width, in em
    (``ancho={"reason": 18}``), so that the text that explains a row is not squeezed by its neighbours.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"tabla: expected a pandas DataFrame, got {type(df).__name__}.")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", label):
        raise ValueError(f"tabla: label {label!r} must start with a letter and hold only letters, digits, - and _.")
    if label in _NUMBERS and numero is None:
        raise ValueError(f"tabla: label {label!r} is already used by Cuadro {_NUMBERS[label]}; labels must be unique.")
    data = df.reset_index() if indice else df.reset_index(drop=True)
    if indice and data.columns[0] == "index":
        raise ValueError("tabla: indice=True needs a named index (df.rename_axis('nombre')).")
    decimales, porcentajes, proporciones = dict(decimales or {}), dict(porcentajes or {}), dict(proporciones or {})
    pvalores = set(pvalores)
    total = len(data)
    if max_filas is not None and total > max_filas:
        data = data.head(max_filas)
        nota = (nota + " " if nota else "") + f"Se muestran {number_es(max_filas)} de {number_es(total)} renglones."
    cols = [str(c) for c in data.columns]
    headers = [header_for(c, etiquetas) for c in cols]
    kinds = {c: _column_kind(data[c0]) for c, c0 in zip(cols, data.columns, strict=True)}
    numeric = {c for c in cols if kinds[c] in {"int", "float"} or c in porcentajes or c in proporciones}
    wrap = set(texto) | {c for c in cols if kinds[c] == "text"
                         and data[c].dropna().astype(str).str.len().max() > LONG_TEXT}
    anchos = dict(ancho or {})
    unknown = sorted(set(anchos) - wrap)
    if unknown:
        raise ValueError(f"tabla: ancho names {unknown}, which are not wrapped text columns; add them to texto=.")
    n = numero if numero is not None else max(_NUMBERS.values(), default=0) + 1
    _NUMBERS[label] = n

    def attrs(col: str) -> str:
        if col in numeric:
            return ' class="num" style="text-align:right;white-space:nowrap"'
        if col in wrap:
            minimo = f"{float(anchos[col]):g}" if col in anchos else "10"
            return (f' class="texto" style="text-align:left;white-space:normal;min-width:{minimo}em;max-width:32em;'
                    'overflow-wrap:anywhere"')
        return ' style="text-align:left"'

    def head_attrs(col: str) -> str:  # a header may wrap: a long header must not widen a column of short numbers
        if col in numeric:
            return ' class="num" style="text-align:right;white-space:normal;vertical-align:bottom"'
        return attrs(col)

    head = "".join(f"<th{head_attrs(c)}>{html.escape(h)}</th>" for c, h in zip(cols, headers, strict=True))
    rows = []
    for values in data.itertuples(index=False, name=None):
        cells = "".join(
            f"<td{attrs(c)}>{html.escape(_cell(v, c, kinds[c], decimales, porcentajes, proporciones, pvalores, valores))}</td>"
            for c, v in zip(cols, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    note = f'<figcaption class="cuadro-nota">{html.escape(nota)}</figcaption>' if nota else ""
    out = (
        f'<figure class="cuadro" id="{label}">'
        f'<table class="cuadro" style="border-collapse:collapse">'
        f'<caption style="caption-side:top;text-align:left"><span class="cuadro-num">{_name(n)}.</span> '
        f"{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</figure>"
    )
    return Cuadro(n, label, caption, out, _name(n))
