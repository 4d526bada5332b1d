"""``python -m analysis partners INEGI_CODE|NAME [--top N] [--country ISO3] [--finder network|foreign]
[--format table|csv|json]``.

``--finder network`` (default) is the first finder, over the Wikipedia network
(:class:`analysis.analyses.partners.PartnerIndex`); ``--finder foreign`` is the finder over the
two-source links that also weighs the foreign city (:mod:`analysis.analyses.partners.foreign`),
with the weights notebook 06 fitted and wrote to data/processed/partner_finder_weights.csv.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from analysis import paths
from analysis.analyses.partners import AmbiguousMunicipalityError, PartnerError, PartnerIndex, Recommendation
from analysis.analyses.partners import foreign as fo
from analysis.features.covariates import CovariateError, covariates_or_build
from analysis.features.profiles import profiles_or_build
from analysis.ingest.sources import require
from analysis.ingest.wikidata import read_gexf
from analysis.tables.municipalities import read_processed
from analysis.tables.sources_union import read_links
from analysis.tables.store import read_twinnings
from analysis.util.countries import UnknownCountryError

EXIT_BAD_INPUT = 2
WEIGHTS_CSV = "partner_finder_weights.csv"
FINDERS = ("network", "foreign")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "partners", help="recommend foreign partner cities for a Mexican municipality",
        description="Ciudades extranjeras que un municipio podría buscar como socias, con puntaje y motivo.",
    )
    p.add_argument("municipality", nargs="+", help="código INEGI (23005) o nombre (\"Cancún\", \"Benito Juárez, Quintana Roo\")")
    p.add_argument("--top", type=int, default=10, help="número de ciudades (default 10)")
    p.add_argument("--country", metavar="ISO3", help="solo ciudades de este país (ISO 3166-1 alfa-3, p. ej. USA)")
    p.add_argument("--finder", choices=FINDERS, default="network",
                   help="network: red de Wikipedia, perfil y popularidad (default); foreign: las dos fuentes "
                        "(Wikipedia y Wikidata) y los rasgos de la ciudad extranjera, con los pesos del cuaderno 06")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="formato de salida")
    p.set_defaults(func=_run)


def load_index() -> PartnerIndex:
    """The index over the processed tables (profiles from notebook 06 when present)."""
    return PartnerIndex.build(read_twinnings(), read_processed(), profiles_or_build())


def load_foreign() -> fo.ForeignFinder:
    """The foreign-side finder over twinning_links.csv and the Wikidata graph, with the weights notebook 06 wrote."""
    weights_path = paths.PROCESSED / WEIGHTS_CSV
    if not weights_path.exists():
        raise FileNotFoundError(f"{weights_path} not found; run notebook 06 (`python -m analysis run 06`), "
                                "which evaluates the finder and writes its weights.")
    finder, _ = fo.build_foreign_finder(read_links(), read_gexf(require("wikidata_hermanamientos")), read_processed(),
                                        profiles_or_build(), covariates_or_build())
    fo.set_weights(finder, pd.read_csv(weights_path))
    return finder


def _run(args: argparse.Namespace) -> int:
    query = " ".join(args.municipality)
    try:
        finder: PartnerIndex | fo.ForeignFinder = load_foreign() if args.finder == "foreign" else load_index()
    except (FileNotFoundError, PartnerError, CovariateError) as exc:
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
    print(render_foreign(rec, args.format) if isinstance(rec, fo.ForeignRecommendation) else render(rec, args.format))
    return 0


def render(rec: Recommendation, fmt: str) -> str:
    """The recommendation as a readable table, CSV or JSON."""
    if fmt == "csv":
        return str(rec.table.assign(inegi_code=rec.inegi_code).to_csv(index=False, lineterminator="\n")).rstrip("\n")
    if fmt == "json":
        payload = {"inegi_code": rec.inegi_code, "municipality": rec.label, "method": rec.method, "note": rec.note,
                   "existing_partners": rec.existing, "recommendations": rec.table.to_dict(orient="records")}
        return json.dumps(payload, ensure_ascii=False, indent=2)
    lines = [f"Socios sugeridos para {rec.label}", rec.note, ""]
    if rec.table.empty:
        lines.append("Ninguna ciudad candidata con ese filtro.")
    for r in rec.table.itertuples():
        lines.append(f"{r.rank:>2}. {r.partner_city} ({r.partner_country}) — puntaje {r.score:.3f} "
                     f"[red {r.network:.3f} + perfil {r.profile:.3f} + popularidad {r.popularity:.3f}]")
        lines.append(f"    {r.reason}")
    return "\n".join(lines)


def render_foreign(rec: fo.ForeignRecommendation, fmt: str) -> str:
    """A recommendation of the foreign-side finder as a readable table, CSV or JSON."""
    if fmt == "csv":
        return str(rec.table.assign(inegi_code=rec.inegi_code).to_csv(index=False, lineterminator="\n")).rstrip("\n")
    if fmt == "json":
        payload = {"inegi_code": rec.inegi_code, "municipality": rec.label, "method": "foreign", "note": rec.note,
                   "existing_partners": rec.existing,
                   "recommendations": json.loads(rec.table.to_json(orient="records", force_ascii=False))}
        return json.dumps(payload, ensure_ascii=False, indent=2)
    lines = [f"Socios sugeridos para {rec.label}", rec.note, ""]
    if rec.table.empty:
        lines.append("Ninguna ciudad candidata con ese filtro.")
    for r in rec.table.itertuples():
        where = f", a {r.distance_km:,.0f} km" if pd.notna(r.distance_km) else ""
        lines.append(f"{r.rank:>2}. {r.partner_city} ({r.partner_country}{where}) — puntaje {r.score:.3f}")
        lines.append(f"    {r.reason}")
    return "\n".join(lines)
