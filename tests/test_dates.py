"""Spanish date parser: accepted forms, clear errors, and round trips of generated dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.util.dates import ABBREVIATIONS, MONTHS, format_long, parse_partial_date, parse_spanish_date

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
ABBR = {v: k for k, v in ABBREVIATIONS.items() if k not in {"sept", "set"}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 de marzo de 2019", dt.date(2019, 3, 15)),
        ("15/03/2019", dt.date(2019, 3, 15)),
        ("2019-03-15", dt.date(2019, 3, 15)),
        ("5/3/2019", dt.date(2019, 3, 5)),
        ("1o. de julio de 1985", dt.date(1985, 7, 1)),
        ("1° de julio de 1985", dt.date(1985, 7, 1)),
        ("primero de julio de 1985", dt.date(1985, 7, 1)),
        ("Viernes, 15 de Marzo de 2019", dt.date(2019, 3, 15)),
        ("15 DE SEPTIEMBRE DEL 2019", dt.date(2019, 9, 15)),
        ("1 de setiembre de 2020", dt.date(2020, 9, 1)),
        ("15-mar-2019", dt.date(2019, 3, 15)),
        ("15 de mar. de 2019", dt.date(2019, 3, 15)),
        (dt.datetime(2001, 5, 20, 0, 0), dt.date(2001, 5, 20)),
    ],
)
def test_accepted_forms(text: object, expected: dt.date) -> None:
    assert parse_spanish_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("31/02/2021", "does not exist"),
        ("15/13/2019", "month 13"),
        ("15/03/19", "four digits"),
        ("15 de marzp de 2019", "not a Spanish month"),
        ("marzo de 2019", "only month and year"),
        ("03/2019", "only month and year"),
        ("mañana", "not in a recognised form"),
    ],
)
def test_rejections_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spanish_date(text)


def test_partial_dates_keep_reduced_precision() -> None:
    assert parse_partial_date("marzo de 2019") == "2019-03"
    assert parse_partial_date("03/2019") == "2019-03"
    assert parse_partial_date("15 de marzo de 2019") == "2019-03-15"
    with pytest.raises(ValueError, match="does not exist"):
        parse_partial_date("30/02/2019")


@given(DATES)
def test_round_trip_iso(date: dt.date) -> None:
    assert parse_spanish_date(date.isoformat()) == date


@given(DATES, st.sampled_from(["/", "-", "."]), st.booleans())
def test_round_trip_numeric(date: dt.date, sep: str, pad: bool) -> None:
    day, month = (f"{date.day:02d}", f"{date.month:02d}") if pad else (str(date.day), str(date.month))
    assert parse_spanish_date(f"{day}{sep}{month}{sep}{date.year}") == date


@given(DATES, st.sampled_from([str.lower, str.upper, str.title]))
def test_round_trip_long(date: dt.date, case: object) -> None:
    assert parse_spanish_date(case(format_long(date))) == date  # type: ignore[operator]


@given(DATES, st.sampled_from(["-", "/", " "]))
def test_round_trip_abbreviated(date: dt.date, sep: str) -> None:
    assert parse_spanish_date(f"{date.day}{sep}{ABBR[date.month]}{sep}{date.year}") == date


@given(DATES)
def test_round_trip_month_year(date: dt.date) -> None:
    name = next(k for k, v in MONTHS.items() if v == date.month)
    assert parse_partial_date(f"{name} de {date.year}") == f"{date.year:04d}-{date.month:02d}"
