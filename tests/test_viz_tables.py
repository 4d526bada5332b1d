"""The book's table helper: Spanish headers, Mexican numbers, numbered captions, no index, no NaN."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.viz import tables
from analysis.viz.tables import header_for, referencia, tabla


@pytest.fixture(autouse=True)
def fresh_numbering():
    tables.reiniciar_numeracion()
    yield
    tables.reiniciar_numeracion()


def cells(html: str, tag: str = "td") -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html)]


def sample() -> pd.DataFrame:
    return pd.DataFrame({
        "state_name": ["Quintana Roo", "Jalisco"],
        "n_links": [12, 1234],
        "links_per_100k": [0.33333, np.nan],
        "coverage_pct": [45.678, 0.0],
        "p_value": [1.309e-95, 0.04567],
        "match_status": ["matched", "unmatched"],
    }, index=[7, 9])


def test_headers_numbers_missing_values_and_translations() -> None:
    out = tabla(sample(), "Vínculos por entidad", "tab-x", porcentajes={"coverage_pct": 1})
    assert cells(out.html, "th") == ["Entidad", "Vínculos", "Vínculos por 100 mil hab.",
                                     "Municipios con vínculo (%)", "Valor p", "Asignación"]
    assert cells(out.html) == ["Quintana Roo", "12", "0.33", "45.7\u00a0%", "&lt; 0.001", "asignado",
                               "Jalisco", "1,234", "—", "0.0\u00a0%", "0.046", "sin asignar"]
    assert "NaN" not in out.html and "e-95" not in out.html
    assert ">7<" not in out.html and ">9<" not in out.html  # no index column


def test_caption_is_numbered_and_the_label_is_the_id() -> None:
    first = tabla(sample(), "Primero", "tab-uno")
    second = tabla(sample(), "Segundo", "tab-dos")
    assert (first.numero, second.numero) == (1, 2)
    assert '<figure class="cuadro" id="tab-dos">' in second.html
    assert re.search(r"<caption[^>]*><span class=\"cuadro-num\">Cuadro 2\.</span> Segundo</caption>", second.html)
    assert referencia("tab-uno") == "Cuadro 1" and str(second) == "Cuadro 2. Segundo"
    assert second._repr_html_() == second.html
    with pytest.raises(KeyError, match="tab-tres"):
        referencia("tab-tres")
    with pytest.raises(ValueError, match="already used"):
        tabla(sample(), "Otra vez", "tab-uno")


def test_chapter_prefix() -> None:
    tables.numerar_capitulo(5)
    out = tabla(sample(), "Socios", "tab-socios")
    assert "Cuadro 5.1.</span> Socios" in out.html and referencia("tab-socios") == "Cuadro 5.1"
    assert str(out) == "Cuadro 5.1. Socios"
    assert tabla(sample(), "Otro", "tab-otro").nombre == "Cuadro 5.2"


def test_unlabelled_column_is_an_error_naming_it() -> None:
    df = pd.DataFrame({"columna_sin_nombre": [1]})
    with pytest.raises(ValueError, match="columna_sin_nombre"):
        tabla(df, "x", "tab-x")
    assert cells(tabla(df, "x", "tab-y", etiquetas={"columna_sin_nombre": "Columna"}).html, "th") == ["Columna"]


def test_dictionary_descriptions_give_headers() -> None:
    # columns described only in data/dictionary.yml: its first phrase, not the column name
    for col in ("men_2020", "seat_name", "turn", "matched_terms"):
        head = header_for(col)
        assert head and not re.fullmatch(r"[a-z0-9_]+", head), (col, head)
        assert "(" not in head and len(head) <= 60
    assert tables.short_header("Población total, Censo 1990 (vacío si no existía).") == "Población total, Censo 1990"


def test_decimals_proportions_index_booleans_and_codes() -> None:
    df = pd.DataFrame({"kappa": [0.81234, 0.5], "coverage": [0.5, 0.125], "converged": [True, False],
                       "informant_role": ["autoridad_municipal", "academia"]},
                      index=pd.Index(["a", "b"], name="code"))
    out = tabla(df, "x", "tab-x", decimales={"kappa": 3}, proporciones={"coverage": 1}, indice=True)
    assert cells(out.html, "th")[0] == "Código"
    assert cells(out.html) == ["a", "0.812", "50.0\u00a0%", "sí", "autoridad municipal",
                               "b", "0.500", "12.5\u00a0%", "no", "academia"]
    out = tabla(df, "x", "tab-y", valores={"informant_role": {"academia": "academia (universidad)"}})
    assert "academia (universidad)" in out.html


def test_long_text_wraps_and_rows_can_be_limited() -> None:
    df = pd.DataFrame({"text": ["palabra " * 20, "corta"], "n": [1, 2]})
    out = tabla(df, "x", "tab-x", max_filas=1, nota="Fuente: demostración.")
    assert 'class="texto"' in out.html and 'class="num"' in out.html
    assert "Se muestran 1 de 2 renglones." in out.html and "corta" not in out.html


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        tabla([1, 2], "x", "tab-x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="label"):
        tabla(sample(), "x", "1 mal")
    with pytest.raises(ValueError, match="named index"):
        tabla(sample(), "x", "tab-x", indice=True)


def test_html_is_escaped() -> None:
    out = tabla(pd.DataFrame({"name": ["<b>Sayula</b> & co."]}), "A < B", "tab-x")
    assert "<b>Sayula" not in out.html and "&lt;b&gt;Sayula" in out.html and "A &lt; B" in out.html
