"""``python -m analysis partners INEGI_CODE|NAME [--top N] [--country ISO3] [--format table|csv|json]``.

The one partner finder of the compendium (:mod:`analysis.analyses.partners.foreign`): the
two-source links (Wikipedia and Wikidata), the Wikidata twinning graph and the weights notebook 06
selected and wrote to ``data/processed/partner_finder_weights.csv``; the same finder, weights and
reasons as chapter 6 and the book's finder page.

Every input is checked where it is read: the processed tables must be whole (a file cut mid-row,
an empty file or one that differs from what notebook 00 wrote is an error that says which file
and what to run), the weights must be finite numbers with every feature, and a corrupt Wikidata
file is named. Bad input ends in one ``error:`` line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import paths
from analysis.analyses.partners import AmbiguousMunicipalityError, PartnerError
from analysis.analyses.partners import foreign as fo
from analysis.features.covariates import CovariateError, covariates_or_build
from analysis.features.profiles import profiles_or_build
from analysis.ingest.openflights import OpenFlightsFormatError, read_airports, read_routes
from analysis.ingest.sources import DataError, require, sha256_file
from analysis.ingest.wikidata import WikidataFormatError, read_gexf
from analysis.tables.municipalities import read_processed
from analysis.tables.sources_union import LINKS_CSV, read_links
from analysis.util.countries import UnknownCountryError

EXIT_BAD_INPUT = 2
WEIGHTS_CSV = "partner_finder_weights.csv"
#: Columns of twinning_links.csv the finder reads.
LINK_COLUMNS = ("inegi_code", "partner_id", "partner_city", "partner_country_iso3", "partner_lat", "partner_lon")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "partners", help="recommend foreign partner cities for a Mexican municipality",
        description="Ciudades extranjeras que un municipio podría buscar como socias, con su lugar y su motivo "
                    "(el buscador del capítulo 6 y de la página del libro).",
    )
    p.add_argument("municipality", nargs="+", help="código INEGI (23005) o nombre (\"Cancún\", \"Benito Juárez, Quintana Roo\")")
    p.add_argument("--top", type=int, default=10, help="número de ciudades (default 10)")
    p.add_argument("--country", metavar="ISO3", help="solo ciudades de este país (ISO 3166-1 alfa-3, p. ej. USA)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="formato de salida")
    p.set_defaults(func=_run)


def recorded_digest(path: Path) -> str | None:
    """SHA-256 the pipeline recorded for ``path`` when the notebook that writes it last succeeded (None if unknown)."""
    try:
        state = json.loads(paths.PIPELINE_STATE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        rel = str(path.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return None
    for entry in state.values() if isinstance(state, dict) else ():
        outputs = entry.get("outputs") if isinstance(entry, dict) else None
        if isinstance(outputs, dict) and isinstance(outputs.get(rel), str):
            return str(outputs[rel])
    return None


def check_whole(path: Path, writer: str = "notebook 00 (`python -m analysis run 00`)") -> None:
    """A processed table is present, not empty, not cut mid-row and, when the pipeline recorded it, the same file."""
    if not path.exists():
        raise PartnerError(f"{path} not found; run {writer}.")
    data = path.read_bytes()
    if not data.strip():
        raise PartnerError(f"{path} is empty; run {writer} again.")
    if not data.endswith(b"\n"):
        raise PartnerError(f"{path} ends in the middle of a row (the file was cut short); run {writer} again.")
    expected = recorded_digest(path)
    if expected is not None and expected != sha256_file(path):
        rows = data.count(b"\n") - 1
        raise PartnerError(f"{path} ({rows:,} rows) is not the file {writer.split(' (')[0]} wrote (its checksum differs: "
                           f"truncated or edited?); run {writer} again.")


def read_table(path: Path, reader: Callable[[], pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    """``reader()`` after :func:`check_whole`; a malformed CSV, a missing column or no rows is a PartnerError."""
    check_whole(path)
    try:
        df = reader()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PartnerError(f"{path} is not a readable CSV ({str(exc).strip()}); run notebook 00 again.") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise PartnerError(f"{path}: missing column(s) {missing}; run notebook 00 again.")
    if df.empty:
        raise PartnerError(f"{path} has a header but no rows; run notebook 00 again.")
    return df


def read_weights(path: Path) -> pd.DataFrame:
    """partner_finder_weights.csv, read and checked (:func:`analysis.analyses.partners.foreign.check_weights`)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 06 (`python -m analysis run 06`), "
                                "which evaluates the finder and writes its weights.")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise PartnerError(f"{path} is empty; re-run notebook 06 (`python -m analysis run 06`).") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise PartnerError(f"{path} is not a readable CSV ({str(exc).strip()}); re-run notebook 06.") from None
    return fo.check_weights(table, str(path))


def load_airports() -> tuple[pd.DataFrame, pd.DataFrame]:
    """OpenFlights' airports and direct routes (the finder's ``air_route`` feature)."""
    try:
        airports = read_airports(require("openflights_airports"))
        routes, _ = read_routes(require("openflights_routes"), airports)
    except OpenFlightsFormatError as exc:
        raise PartnerError(str(exc)) from None
    return airports, routes


def load_foreign() -> fo.ForeignFinder:
    """The finder over twinning_links.csv and the Wikidata graph, with the weights notebook 06 wrote."""
    weights = read_weights(paths.PROCESSED / WEIGHTS_CSV)
    links = read_table(paths.PROCESSED / LINKS_CSV, read_links, LINK_COLUMNS)
    try:
        graph = read_gexf(require("wikidata_hermanamientos"))
    except WikidataFormatError as exc:
        raise PartnerError(str(exc)) from None
    airports, routes = load_airports()
    finder, _ = fo.build_foreign_finder(links, graph, read_processed(), profiles_or_build(), covariates_or_build(),
                                        airports=airports, routes=routes)
    fo.set_weights(finder, weights, str(paths.PROCESSED / WEIGHTS_CSV))
    return finder


def _run(args: argparse.Namespace) -> int:
    query = " ".join(args.municipality)
    try:
        finder = load_foreign()
    except (FileNotFoundError, PartnerError, CovariateError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        rec = finder.recommend(finder.resolve(query), top=args.top, country=args.country)
    except AmbiguousMunicipalityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for _, label in exc.candidates:
            print(f"  {label}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PartnerError, UnknownCountryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(render(rec, args.format))
    return 0


def render(rec: fo.ForeignRecommendation, fmt: str) -> str:
    """A recommendation as a readable list, CSV or JSON."""
    if fmt == "csv":
        return str(rec.table.assign(inegi_code=rec.inegi_code).to_csv(index=False, lineterminator="\n")).rstrip("\n")
    if fmt == "json":
        payload: dict[str, Any] = {
            "inegi_code": rec.inegi_code, "municipality": rec.label, "method": rec.method, "note": rec.note,
            "existing_partners": rec.existing,
            "recommendations": json.loads(rec.table.to_json(orient="records", force_ascii=False))}
        return json.dumps(payload, ensure_ascii=False, indent=2)
    lines = [f"Socios sugeridos para {rec.label}", rec.note, ""]
    if rec.table.empty:
        lines.append("Ninguna ciudad candidata con ese filtro.")
    for r in rec.table.itertuples():
        lines.append(f"{r.rank:>2}. {r.partner_city} ({r.partner_country})")
        lines.append(f"    {r.reason}")
    return "\n".join(lines)
