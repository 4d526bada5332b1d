"""Spanish dates as written in registry exports, parsed to ``datetime.date``.

Accepted forms (case-, accent- and space-insensitive):

- ISO 8601: ``2019-03-15`` (also ``2019/03/15``);
- numeric day-month-year, the Mexican order: ``15/03/2019``, ``15-03-2019``, ``15.03.2019``,
  one- or two-digit day and month (``5/3/2019``); the year must have four digits, because
  ``05/03/19`` cannot be told apart from other conventions with certainty;
- long form: ``15 de marzo de 2019``, ``15 de marzo del 2019``, ``1o. de marzo de 2019``,
  ``1° de marzo de 2019``, ``primero de marzo de 2019``, optionally preceded by the weekday
  (``viernes, 15 de marzo de 2019``);
- abbreviated month: ``15-mar-2019``, ``15/mar/2019``, ``15 mar 2019``, ``15 de mar. de 2019``;
- a value that already is a ``date`` or ``datetime`` (spreadsheet cells).

Month and year only (``marzo de 2019``, ``03/2019``) is **not** a date: :func:`parse_spanish_date`
rejects it, because inventing a day would fake precision. :func:`parse_partial_date` accepts it and
returns the ISO 8601 reduced-precision form ``2019-03``; the RAI importer stores such dates that way
and says so in its report. Every failure is a ``ValueError`` whose message quotes the input.

:func:`out_of_range` says whether a parsed (full or partial) ISO date falls outside the plausible
window of a registry of municipal agreements: from :data:`EARLIEST_YEAR` (1950) to today.
"""

from __future__ import annotations

import datetime as dt
import re

from analysis.util.text import normalise

MONTHS: dict[str, int] = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
ABBREVIATIONS: dict[str, int] = {
    "ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8,
    "sep": 9, "sept": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12,
}
WEEKDAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
_MONTH_WORDS = {**MONTHS, **ABBREVIATIONS}

#: First plausible year of a municipal international agreement; earlier dates are typing errors.
EARLIEST_YEAR: int = 1950

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_LONG = re.compile(r"(\d{1,2}|primero)(?:\s*(?:o|º|°))?\s+(?:de\s+)?([a-z]+)\s+(?:de\s+|del\s+)?(\d{2,4})")
_MONTH_ONLY = re.compile(r"(?:de\s+)?([a-z]+)\s+(?:de\s+|del\s+)?(\d{4})")
_NUMERIC_MONTH_ONLY = re.compile(r"(\d{1,2})[/.\-](\d{4})")


def _clean(text: str) -> str:
    """Lower-case, accent-free, ordinal marks kept as 'o', weekday prefix removed."""
    low = str(text).strip().casefold().replace("º", "o").replace("°", "o").replace("1er", "1")
    low = re.sub(r"(\d)\s*o\.?\s", r"\1 ", low)  # '1o. de marzo' -> '1 de marzo'
    low = re.sub(r"\s+", " ", low)
    words = normalise(low.split(",", 1)[0]) if "," in low else ""
    if words in WEEKDAYS:
        low = low.split(",", 1)[1].strip()
    first = normalise(low).split(" ", 1)[0] if low else ""
    if first in WEEKDAYS and not low[:1].isdigit():
        low = low.split(" ", 1)[1] if " " in low else ""
    return low


def _build(year: int, month: int, day: int, original: object) -> dt.date:
    if not 1 <= month <= 12:
        raise ValueError(f"Date {original!r}: month {month} is not between 1 and 12 (expected day/month/year).")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Date {original!r}: day {day} does not exist in {year}-{month:02d}.") from None


def _year(text: str, original: object) -> int:
    if len(text) != 4:
        raise ValueError(f"Date {original!r}: the year must have four digits (a two-digit year is ambiguous).")
    return int(text)


def _month_word(word: str, original: object) -> int:
    key = normalise(word).rstrip(".")
    if key not in _MONTH_WORDS:
        raise ValueError(f"Date {original!r}: {word!r} is not a Spanish month name.")
    return _MONTH_WORDS[key]


def parse_spanish_date(value: object) -> dt.date:
    """Parse one Spanish date (see the module docstring for the accepted forms).

    Raises ValueError with a message naming the input and the problem: empty, month and year only,
    two-digit year, unknown month name, impossible day, or an unrecognised form.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or (isinstance(value, float) and value != value) or not str(value).strip():
        raise ValueError("Date is empty.")
    text = _clean(str(value)).replace(". ", " ").rstrip(".")
    text = re.sub(r"(?<=[a-z])\.", "", text)  # 'mar.' -> 'mar'
    if m := _ISO.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _DMY.fullmatch(text):
        return _build(_year(m[3], value), int(m[2]), int(m[1]), value)
    spaced = re.sub(r"(?<=[0-9a-z])[/\-](?=[0-9a-z])", " ", text)
    if m := _LONG.fullmatch(normalise(spaced) if "primero" not in spaced else spaced):
        day = 1 if m[1] == "primero" else int(m[1])
        return _build(_year(m[3], value), _month_word(m[2], value), day, value)
    if _MONTH_ONLY.fullmatch(normalise(text)) or _NUMERIC_MONTH_ONLY.fullmatch(text):
        raise ValueError(f"Date {value!r} gives only month and year; a full date (day, month, year) is required.")
    raise ValueError(
        f"Date {value!r} is not in a recognised form (e.g. '15/03/2019', '2019-03-15', '15 de marzo de 2019')."
    )


def parse_partial_date(value: object) -> str:
    """ISO 8601 text for a full date ('2019-03-15') or, for month and year only, '2019-03'.

    Raises ValueError (with the reason) for everything :func:`parse_spanish_date` rejects except
    the month-and-year case.
    """
    try:
        return parse_spanish_date(value).isoformat()
    except ValueError as exc:
        if "only month and year" not in str(exc):
            raise
    text = normalise(_clean(str(value)))
    if m := _MONTH_ONLY.fullmatch(text):
        return f"{int(m[2]):04d}-{_month_word(m[1], value):02d}"
    m = _NUMERIC_MONTH_ONLY.fullmatch(_clean(str(value)))
    assert m is not None  # parse_spanish_date only says "month and year" for these two forms
    month = int(m[1])
    if not 1 <= month <= 12:
        raise ValueError(f"Date {value!r}: month {month} is not between 1 and 12.")
    return f"{int(m[2]):04d}-{month:02d}"


def format_long(date: dt.date) -> str:
    """'15 de marzo de 2019': the long Spanish form (used in tests and narrative)."""
    name = next(k for k, v in MONTHS.items() if v == date.month and k != "setiembre")
    return f"{date.day} de {name} de {date.year}"


def out_of_range(iso: str, today: dt.date, earliest_year: int = EARLIEST_YEAR) -> str | None:
    """Why an ISO date ('2019-03-15' or '2019-03') is implausible, or None when it lies in
    ``earliest_year``-01-01 .. ``today`` (a partial date is compared at its own precision)."""
    if int(iso[:4]) < earliest_year:
        return f"{iso} is before {earliest_year}"
    if iso > today.isoformat()[: len(iso)]:
        return f"{iso} is after {today.isoformat()}"
    return None
