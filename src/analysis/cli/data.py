"""``python -m analysis data fetch|verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import paths
from analysis.ingest.sources import DataError, fetch, load_manifest, verify


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("data", help="fetch and verify the public data sources")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    f = dsub.add_parser("fetch", help="get every source (mirror first, then URL) and verify its SHA-256")
    f.add_argument("--mirror", type=Path, help=f"mirror folder (default: ${paths.MIRROR_ENV}, else ../shared/data)")
    f.add_argument("--no-mirror", action="store_true", help="ignore any mirror folder")
    f.add_argument("--offline", action="store_true", help="never use the network")
    f.add_argument("--only", nargs="+", metavar="ID", help="fetch only these source ids")
    f.set_defaults(func=_fetch)
    v = dsub.add_parser("verify", help="report each source's state without fetching")
    v.set_defaults(func=_verify)


def _fetch(args: argparse.Namespace) -> int:
    try:
        sources = load_manifest()
        if args.only:
            unknown = set(args.only) - {s.id for s in sources}
            if unknown:
                raise DataError(f"Unknown source id(s) {sorted(unknown)}; see data/sources.yml.")
            sources = [s for s in sources if s.id in args.only]
        if args.mirror is not None and not args.mirror.is_dir():
            raise DataError(f"Mirror folder {args.mirror} does not exist; fix --mirror or drop it.")
        fetch(sources, mirror=args.mirror, use_mirror=not args.no_mirror, allow_network=not args.offline)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(sources)} source(s) present and verified in {paths.RAW.relative_to(paths.ROOT)}/")
    return 0


def _verify(_args: argparse.Namespace) -> int:
    try:
        report = verify()
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    width = max(len(r["id"]) for r in report)
    for r in report:
        line = f"{r['id']:<{width}}  {r['state']:<8}  {r['path']}"
        if r["state"] == "mismatch":
            line += f"\n{'':<{width}}  expected {r['expected']}\n{'':<{width}}  actual   {r['actual']}"
        print(line)
    bad = [r for r in report if r["state"] != "ok"]
    if bad:
        print(
            f"error: {len(bad)} of {len(report)} source(s) not verified ({', '.join(r['id'] for r in bad)}); "
            "run `python -m analysis data fetch` (a corrupt file is replaced).",
            file=sys.stderr,
        )
        return 1
    print(f"all {len(report)} sources verified")
    return 0
