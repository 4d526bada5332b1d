"""``python -m analysis partners INEGI_CODE|NAME [--top N] [--country ISO3] [--format table|csv|json]``."""

from __future__ import annotations

import argparse
import json
import sys

from analysis.analyses.partners import AmbiguousMunicipalityError, PartnerError, PartnerIndex, Recommendation
from analysis.features.profiles import profiles_or_build
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_twinnings
from analysis.util.countries import UnknownCountryError

EXIT_BAD_INPUT = 2


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "partners", help="recommend foreign partner cities for a Mexican municipality",
        description="Ciudades extranjeras que un municipio podría buscar como socias, con puntaje y motivo.",
    )
    p.add_argument("municipality", nargs="+", help="código INEGI (23005) o nombre (\"Cancún\", \"Benito Juárez, Quintana Roo\")")
    p.add_argument("--top", type=int, default=10, help="número de ciudades (default 10)")
    p.add_argument("--country", metavar="ISO3", help="solo ciudades de este país (ISO 3166-1 alfa-3, p. ej. USA)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="formato de salida")
    p.set_defaults(func=_run)


def load_index() -> PartnerIndex:
    """The index over the processed tables (profiles from notebook 06 when present)."""
    return PartnerIndex.build(read_twinnings(), read_processed(), profiles_or_build())


def _run(args: argparse.Namespace) -> int:
    query = " ".join(args.municipality)
    try:
        index = load_index()
    except (FileNotFoundError, PartnerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        rec = index.recommend(index.resolve(query), top=args.top, country=args.country)
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
