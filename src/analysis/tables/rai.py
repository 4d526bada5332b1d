"""Importer for an export of the Registro de Acuerdos Interinstitucionales (RAI) of the SRE.

The registry is consulted online and exported by the researcher as CSV or XLSX; no copy ships
with the compendium. :func:`read_rai` turns such an export into the canonical agreements table
(:mod:`analysis.agreements`):

1. the file is read as CSV (UTF-8, UTF-8 with BOM, Windows-1252 or latin-1; comma, semicolon,
   tab or bar separated) or XLSX (first sheet);
2. the header row is found among the first rows (exports often carry title lines above it) and
   its columns are mapped to canonical fields with ``data/rai_mapping.yml`` (case- and
   accent-insensitive), because the registry's headers vary between downloads;
3. each row is parsed: dates with :mod:`analysis.dates` (month-and-year dates are kept as
   ``YYYY-MM``); the Mexican party ("H. Ayuntamiento de Benito Juárez", "Municipio de Tijuana")
   is resolved to an INEGI code by name within the state named in the row, or recognised as a
   state government; the partner country to ISO3; the agreement type classified from the title
   with spaCy lemmas (:func:`classify_titles`).

Rows that cannot be used go to the review table with the reason: among others, dates outside
1950..today (:func:`analysis.util.dates.out_of_range`), a registry number already imported, and a
row whose content (Mexican party, partner, partner country, title and signing date) repeats an
earlier row, with or without a registry number. ``rows_in`` counts the non-blank data rows read
and must equal ``kept + set_aside``.
Structural problems (empty file, no header, missing required columns, no row after the header) raise
:class:`RaiFormatError` naming the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry
import yaml

from analysis import paths
from analysis.tables.agreements import CANONICAL_COLUMNS, REVIEW_COLUMNS, AdapterResult, AgreementDataError, validate_canonical
from analysis.util.countries import UnknownCountryError, to_iso3
from analysis.util.dates import EARLIEST_YEAR, out_of_range, parse_partial_date
from analysis.util.io import CsvFormatError, decode_text, read_csv_records
from analysis.util.nlp import load_nlp
from analysis.util.text import normalise

MAPPING_YML: Path = paths.DATA / "rai_mapping.yml"
SOURCE_LABEL = "rai"
HEADER_SEARCH_ROWS = 15

#: Prefixes that name a municipal government, longest first after normalisation.
MUNICIPAL_PREFIXES: tuple[str, ...] = tuple(sorted((
    "h ayuntamiento constitucional de", "honorable ayuntamiento constitucional de", "h ayuntamiento de",
    "honorable ayuntamiento de", "h ayuntamiento del municipio de", "honorable ayuntamiento del municipio de",
    "ayuntamiento constitucional de", "ayuntamiento de", "ayuntamiento del municipio de", "municipio libre de",
    "municipio de", "gobierno municipal de", "presidencia municipal de", "alcaldia de", "alcaldia",
    "h ayuntamiento", "municipio", "gobierno del municipio de", "gobierno de",
), key=len, reverse=True))
#: Prefixes that name a state government.
STATE_PREFIXES: tuple[str, ...] = tuple(sorted((
    "gobierno del estado libre y soberano de", "gobierno del estado de", "poder ejecutivo del estado de",
    "gobierno constitucional del estado de", "gobierno de la", "gobierno de", "estado libre y soberano de",
    "estado de",
), key=len, reverse=True))
#: Words that mark an institution other than a municipal or state government.
OTHER_INSTITUTIONS = ("universidad", "instituto", "secretaria", "colegio", "consejo", "comision", "fideicomiso")
RAI_STATE_ALIASES: dict[str, str] = {
    "coahuila": "05", "michoacan": "16", "veracruz": "30", "estado de mexico": "15", "edomex": "15",
    "distrito federal": "09", "df": "09", "cdmx": "09", "ciudad de mexico": "09", "queretaro de arteaga": "22",
    "baja california norte": "02", "q roo": "23", "qroo": "23",
}
COUNTRY_ALIASES: dict[str, str] = {
    "estados unidos": "USA", "estados unidos de america": "USA", "eua": "USA", "ee uu": "USA", "eeuu": "USA",
    "usa": "USA", "corea": "KOR", "corea del sur": "KOR", "republica de corea": "KOR", "reino unido": "GBR",
    "rusia": "RUS", "federacion de rusia": "RUS", "china": "CHN", "republica popular china": "CHN",
    "taiwan": "TWN", "bolivia": "BOL", "venezuela": "VEN", "iran": "IRN", "vietnam": "VNM", "chequia": "CZE",
    "republica checa": "CZE", "paises bajos": "NLD", "holanda": "NLD", "moldavia": "MDA", "tanzania": "TZA",
    "siria": "SYR", "laos": "LAO", "palestina": "PSE", "kosovo": "XKX", "vaticano": "VAT", "santa sede": "VAT",
    "macedonia": "MKD", "macedonia del norte": "MKD", "costa de marfil": "CIV", "cabo verde": "CPV",
}

#: Agreement types and the lemmas or words that signal them, in priority order (first match wins).
TYPE_KEYWORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("hermanamiento", frozenset({"hermanamiento", "hermanar", "hermano", "hermana", "hermanas", "hermanos"})),
    ("ambiental", frozenset({"ambiental", "ambiente", "climatico", "clima", "ecologico", "ecologia", "residuo",
                             "sustentable", "sostenible", "sustentabilidad", "biodiversidad", "forestal", "agua"})),
    ("educativa", frozenset({"educativo", "educacion", "academico", "universitario", "universidad", "estudiante",
                             "beca", "escolar", "docente", "investigacion", "cientifico"})),
    ("cultural", frozenset({"cultural", "cultura", "arte", "artistico", "patrimonio", "deportivo", "deporte"})),
    ("economica_turistica", frozenset({"economico", "economia", "turistico", "turismo", "comercio", "comercial",
                                       "inversion", "empresarial", "negocio", "exportacion", "industrial"})),
    ("cooperacion_tecnica", frozenset({"tecnico", "tecnica", "capacitacion", "asistencia", "profesionalizacion",
                                       "gestion", "administracion", "transferencia", "seguridad", "urbano"})),
)


class RaiFormatError(AgreementDataError):
    """The export cannot be read as a table of agreements (structure, not single rows)."""


@dataclass(frozen=True)
class Mapping:
    """Canonical field -> normalised header variants, and the fields that must be present."""

    variants: dict[str, frozenset[str]]
    required: tuple[str, ...]

    def field_of(self, header: str) -> str | None:
        key = normalise(header)
        return next((f for f, v in self.variants.items() if key in v), None)


def load_mapping(path: Path | None = None) -> Mapping:
    """Read data/rai_mapping.yml; a variant listed under two fields is an error."""
    path = path or MAPPING_YML
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RaiFormatError(f"{path}: cannot read the header mapping ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise RaiFormatError(f"{path}: expected a 'fields' mapping of canonical field -> list of header variants.")
    variants = {f: frozenset(normalise(v) for v in vs or []) for f, vs in data["fields"].items()}
    seen: dict[str, str] = {}
    for f, vs in variants.items():
        for v in vs:
            if v in seen:
                raise RaiFormatError(f"{path}: header variant {v!r} is listed under both {seen[v]!r} and {f!r}.")
            seen[v] = f
    required = tuple(data.get("required", []))
    unknown = [f for f in required if f not in variants]
    if unknown:
        raise RaiFormatError(f"{path}: required field(s) {unknown} have no header variants under 'fields'.")
    return Mapping(variants, required)


def guess_delimiter(lines: list[str]) -> str:
    """The separator (',', ';', tab or '|') that splits most sample lines into the same number of fields."""
    best, best_score = ",", (0, 0)
    for sep in (",", ";", "\t", "|"):
        counts = [line.count(sep) for line in lines if line.count(sep)]
        if counts:
            mode = Counter(counts).most_common(1)[0]
            score = (mode[1], mode[0])
            if score > best_score:
                best, best_score = sep, score
    return best


def _read_csv(path: Path) -> tuple[list[tuple[int, list[Any]]], str]:
    try:
        text, encoding = decode_text(path.read_bytes(), path)
    except (UnicodeError, ValueError) as exc:
        raise RaiFormatError(f"{exc}".replace("(or plain text)", "or XLSX")) from None
    try:
        rows = list(read_csv_records(text, path, delimiter=guess_delimiter(text.splitlines()[:30])))
    except CsvFormatError as exc:
        raise RaiFormatError(str(exc)) from None
    return rows, encoding


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt or non-XLSX file
        raise RaiFormatError(f"{path}: cannot be opened as an XLSX workbook ({exc}).") from exc
    try:
        sheet = book.worksheets[0]
        return [(i, ["" if v is None else v for v in row]) for i, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()


def read_table(path: Path) -> tuple[list[tuple[int, list[Any]]], str]:
    """(line or row number, cells) for every row of a CSV or XLSX file, and the encoding used."""
    if not path.exists():
        raise RaiFormatError(f"{path}: file not found; check rai_path.")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        rows, encoding = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        rows, encoding = _read_xlsx(path), "xlsx"
    else:
        raise RaiFormatError(f"{path}: unsupported file type {suffix!r}; export the registry as CSV or XLSX.")
    if not any(str(c).strip() for _, r in rows for c in r):
        raise RaiFormatError(f"{path}: the file is empty; export the registry again.")
    return rows, encoding


def find_header(rows: list[tuple[int, list[Any]]], mapping: Mapping, path: Path) -> tuple[int, dict[int, str]]:
    """Index of the header row among the first rows, and column index -> canonical field."""
    best: tuple[int, int, list[str]] = (-1, -1, list(mapping.required))
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields = {j: f for j, c in enumerate(cells) if (f := mapping.field_of(str(c)))}
        missing = [f for f in mapping.required if f not in fields.values()]
        if not missing:
            dupes = [f for f in set(fields.values()) if list(fields.values()).count(f) > 1]
            if dupes:
                raise RaiFormatError(
                    f"{path}, line {rows[i][0]}: several columns map to field(s) {sorted(dupes)}; "
                    "remove one or make data/rai_mapping.yml more specific."
                )
            return i, fields
        if len(fields) > best[1]:
            best = (i, len(fields), missing)
    line = rows[best[0]][0] if best[0] >= 0 else 1
    raise RaiFormatError(
        f"{path}: no header row with the required columns in the first {HEADER_SEARCH_ROWS} rows; the best "
        f"candidate (line {line}) lacks required field(s) {best[2]}. Add the export's header names to "
        "data/rai_mapping.yml."
    )


@cache
def _state_index(states: tuple[tuple[str, str, str], ...]) -> dict[str, str]:
    index = dict(RAI_STATE_ALIASES)
    for code, name, abbr in states:
        index[normalise(name)] = code
        index[normalise(abbr)] = code
    return index


def _municipal_index(munis: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    index: dict[tuple[str, str], set[str]] = {}
    for col in ("name", "catalogue_name", "seat_name"):
        for code, state, value in zip(munis.inegi_code, munis.state_code, munis[col], strict=True):
            if isinstance(value, str) and value.strip():
                index.setdefault((state, normalise(value)), set()).add(code)
    return index


@cache
def _country_index() -> dict[str, str]:
    es = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    index: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if value := getattr(c, attr, None):
                index.setdefault(normalise(es.gettext(value)), c.alpha_3)
                index.setdefault(normalise(value), c.alpha_3)
    index.update(COUNTRY_ALIASES)
    return index


def country_iso3(name: str) -> str:
    """Spanish (or English) country name -> ISO3; LookupError naming the value otherwise."""
    key = normalise(name)
    if key in _country_index():
        return _country_index()[key]
    try:
        return to_iso3(name)
    except UnknownCountryError:
        raise LookupError(f"country not recognised: {name!r} (add it to COUNTRY_ALIASES in analysis/rai.py)") from None


def _strip_prefix(text: str, prefixes: Iterable[str]) -> str | None:
    return next((text[len(p):].strip() for p in prefixes if text == p or text.startswith(p + " ")), None)


def resolve_party(party: str, state_code: str, index: dict[tuple[str, str], set[str]],
                  state_names: dict[str, str]) -> tuple[str, str]:
    """(level, inegi_code) for a Mexican party within its state; LookupError with the reason otherwise."""
    text = normalise(party.split(",")[0])
    as_state = _strip_prefix(text, STATE_PREFIXES)
    if as_state is not None and state_names.get(as_state) == state_code:
        return "state", ""
    name = _strip_prefix(text, MUNICIPAL_PREFIXES)
    name = text if name is None else name
    codes = index.get((state_code, name), set())
    if len(codes) == 1:
        return "municipal", next(iter(codes))
    if len(codes) > 1:
        raise LookupError(f"ambiguous municipality: {party!r} matches {sorted(codes)} in state {state_code}")
    if any(w in text.split() for w in OTHER_INSTITUTIONS):
        raise LookupError(f"not a municipal or state government: {party!r}")
    raise LookupError(f"municipality not found: {party!r} in state {state_code}")


def classify_titles(titles: Iterable[str]) -> list[str]:
    """Agreement type code per title, from spaCy lemmas and words (see TYPE_KEYWORDS); 'otra' if none."""
    out = []
    for doc in load_nlp().pipe(str(t).lower() for t in titles):
        words = {normalise(t.lemma_) for t in doc} | {normalise(t.text) for t in doc}
        out.append(next((code for code, keys in TYPE_KEYWORDS if words & keys), "otra"))
    return out


def _cell(cells: list[Any], j: int | None) -> Any:
    if j is None or j >= len(cells):
        return ""
    value = cells[j]
    return value if isinstance(value, dt.date) else str(value).strip()


def _date_iso(value: Any, field: str, today: dt.date) -> str:
    try:
        iso = parse_partial_date(value)
    except ValueError as exc:
        raise LookupError(f"date unparseable: {field}: {exc}") from None
    problem = out_of_range(iso, today)
    if problem and iso[:4] >= str(EARLIEST_YEAR):
        raise LookupError(f"date in the future: {field} {problem}")
    if problem:
        raise LookupError(f"date out of range: {field} {problem} (plausible: {EARLIEST_YEAR} to today)")
    return iso


def _parse_row(rec: dict[str, Any], ctx: dict[str, Any]) -> dict[str, str]:
    """One row -> canonical record; LookupError('<category>: <detail>') when it must be set aside."""
    for f in ctx["required"]:
        if rec.get(f) in ("", None):
            raise LookupError(f"missing required field: {f}")
    state = ctx["states"].get(normalise(rec["state"]))
    if state is None:
        raise LookupError(f"state not recognised: {rec['state']!r}")
    level, code = resolve_party(rec["mexican_party"], state, ctx["muni_index"], ctx["states"])
    iso3 = country_iso3(rec["partner_country"])
    if iso3 == "MEX":
        raise LookupError("partner in Mexico: the counterpart's country is Mexico, not a foreign country")
    signed = _date_iso(rec["signed_date"], "signed_date", ctx["today"])
    registered = _date_iso(rec["registered_date"], "registered_date", ctx["today"]) if rec.get("registered_date") else ""
    if registered and registered < signed[: len(registered)]:
        raise LookupError(f"date inconsistent: registered_date {registered} is before signed_date {signed}")
    return {"level": level, "inegi_code": code, "state_code": state, "partner_country_iso3": iso3,
            "signed_date": signed, "registered_date": registered}


def _content_key(rec: dict[str, Any], parsed: dict[str, str]) -> tuple[str, ...]:
    """What makes two rows the same agreement whatever their registry numbers."""
    party = parsed["inegi_code"] or f"{parsed['level']}:{parsed['state_code']}"
    return (party, normalise(str(rec.get("partner_name", ""))), parsed["partner_country_iso3"],
            normalise(str(rec.get("title", ""))), parsed["signed_date"])


def read_rai(path: Path, municipalities: pd.DataFrame, mapping_path: Path | None = None,
             today: dt.date | None = None) -> AdapterResult:
    """Import a RAI export (CSV or XLSX) into the canonical agreements table plus a review table."""
    path = Path(path)
    mapping = load_mapping(mapping_path)
    rows, encoding = read_table(path)
    h, columns = find_header(rows, mapping, path)
    col_of = {f: j for j, f in columns.items()}
    states = tuple(municipalities[["state_code", "state_name", "state_abbr"]].drop_duplicates().itertuples(index=False))
    ctx = {"required": mapping.required, "states": _state_index(states), "today": today or dt.date.today(),
           "muni_index": _municipal_index(municipalities)}
    kept, review, seen, blank, rows_in = [], [], set(), 0, 0
    content_seen: dict[tuple[str, ...], str] = {}
    for line, cells in rows[h + 1:]:
        if not any(str(c).strip() for c in cells):
            blank += 1
            continue
        rows_in += 1
        rec = {f: _cell(cells, col_of.get(f)) for f in mapping.variants}
        ref = f"{path.name}:{line}"
        number = str(rec.get("registry_number") or "")
        try:
            if number and number in seen:
                raise LookupError(f"duplicate registry number: {number!r} already imported")
            parsed = _parse_row(rec, ctx)
            key = _content_key(rec, parsed)
            if key in content_seen:
                raise LookupError(f"duplicate content: same Mexican party, partner, country, title and signing date "
                                  f"as {content_seen[key]}")
        except LookupError as exc:
            review.append({"source": SOURCE_LABEL, "source_ref": ref, "mexican_party": str(rec["mexican_party"]),
                           "partner_name": str(rec.get("partner_name", "")), "reason": str(exc)})
            continue
        seen.add(number)
        content_seen[key] = ref + (f" (registro {number})" if number else "")
        kept.append({"agreement_id": f"RAI-{number}" if number else f"RAI-L{line:05d}",
                     "mexican_party": rec["mexican_party"], "partner_name": str(rec.get("partner_name", "")),
                     "title": str(rec["title"]), "source": SOURCE_LABEL,
                     "source_ref": f"{ref} registro {number}" if number else ref, **parsed})
    if rows_in == 0:
        raise RaiFormatError(f"{path}: the export has no rows after its header (line {rows[h][0]}); nothing to import. "
                             "Export the registry again with its agreements (check the search filters of the export).")
    agreements = pd.DataFrame(kept, columns=[*kept[0]] if kept else None)
    if kept:
        agreements["agreement_type"] = classify_titles(agreements.title)
        agreements = validate_canonical(agreements)
    else:
        agreements = pd.DataFrame(columns=CANONICAL_COLUMNS)
    review_df = pd.DataFrame(review, columns=REVIEW_COLUMNS)
    counts = {"rows_in": rows_in, "kept": len(kept),
              "kept_municipal": int((agreements.level == "municipal").sum()),
              "kept_state": int((agreements.level == "state").sum()), "set_aside": len(review),
              "kept_month_precision_dates": int((agreements.signed_date.str.len() == 7).sum()),
              "blank_rows_ignored": blank, "header_line": rows[h][0]}
    notes = [f"{path.name}: read as {encoding}; header on line {rows[h][0]}; columns mapped: "
             + ", ".join(f"{rows[h][1][j]!s} -> {f}" for j, f in sorted(columns.items()))]
    result = AdapterResult(agreements, review_df, counts, notes)
    result.check()
    return result
