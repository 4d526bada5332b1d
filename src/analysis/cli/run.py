"""``python -m analysis run [NOTEBOOK ...] [-p name=value] [--force]``: execute the notebooks with papermill."""

from __future__ import annotations

import argparse
import sys

from analysis.ingest.sources import DataError
from analysis.workflow.pipeline import PipelineError, parse_overrides, run


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="execute the notebooks in order with papermill (only what changed)")
    p.add_argument("notebooks", nargs="*", help="run only these notebooks (name or prefix, e.g. 00 or 00_datos)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="override a notebook parameter (repeatable)")
    p.add_argument("--force", action="store_true", help="execute every selected notebook even if up to date")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    try:
        run(args.notebooks or None, parse_overrides(args.parameter), args.force)
    except (PipelineError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
