"""The table helper: headers of number columns wrap, so a long header does not widen the table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.viz import tables
from analysis.viz.tables import tabla


@pytest.fixture(autouse=True)
def fresh_numbering():
    tables.reiniciar_numeracion()
    yield
    tables.reiniciar_numeracion()


def test_number_headers_wrap_and_number_cells_do_not() -> None:
    df = pd.DataFrame({"state_name": ["Quintana Roo"], "n_links_municipal": [1234]})
    out = tabla(df, "Vínculos", "tab-x", etiquetas={"n_links_municipal": "Vínculos de gobiernos municipales registrados"})
    th = re.findall(r"<th(\s[^>]*)?>", out.html)
    td = re.findall(r"<td([^>]*)>", out.html)
    assert "white-space:normal" in th[1]
    assert "nowrap" not in th[1]
    assert "text-align:right" in th[1]
    assert "white-space:nowrap" in td[1]
    assert ">1,234<" in out.html


def test_years_and_decades_have_no_thousands_comma() -> None:
    df = pd.DataFrame({"year": [1985, 2021], "decade": [1980.0, 2020.0], "first_census_year": [1990, 2010],
                       "population_2020": [911503, 1857985]})
    out = tabla(df, "Años", "tab-anios")
    values = re.findall(r"<td[^>]*>([^<]*)</td>", out.html)
    assert values == ["1985", "1980", "1990", "911,503", "2021", "2020", "2010", "1,857,985"]


def test_empty_text_is_shown_as_missing() -> None:
    df = pd.DataFrame({"name": ["Cozumel", "", "  "], "inegi_code": ["23001", "23002", "23003"]})
    out = tabla(df, "Vacíos", "tab-vacios")
    values = re.findall(r"<td[^>]*>([^<]*)</td>", out.html)
    assert values == ["Cozumel", "23001", "—", "23002", "—", "23003"]


def test_wrapped_text_leaves_room_for_other_columns() -> None:
    df = pd.DataFrame({"reason": ["x" * 80], "note": ["notebooks/01_acuerdos_descriptivo.ipynb " * 3]})
    out = tabla(df, "Textos", "tab-textos", etiquetas={"note": "Nota"})
    for td in re.findall(r"<td([^>]*)>", out.html):
        assert "min-width:10em" in td
        assert "overflow-wrap:anywhere" in td


def test_a_wrapped_column_can_be_given_more_room() -> None:
    df = pd.DataFrame({"partner_city": ["Laredo"], "reason": ["Hermanada con 27 municipios de México en total."]})
    out = tabla(df, "Sugerencias", "tab-ancho", texto=["reason"], ancho={"reason": 18})
    assert "min-width:18em" in re.findall(r"<td([^>]*)>", out.html)[1]
    with pytest.raises(ValueError, match="partner_city"):
        tabla(df, "Otra", "tab-ancho-2", ancho={"partner_city": 18})
