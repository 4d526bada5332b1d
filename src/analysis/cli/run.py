"""``python -m analysis run [NOTEBOOK ...] [-p name=value] [-j N] [--wait S] [--force]``: execute the notebooks with papermill."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from analysis.ingest.sources import DataError
from analysis.workflow.pipeline import PipelineError, run, typed_overrides


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="execute the notebooks with papermill (only what changed; failed runs are rolled back)")
    p.add_argument("notebooks", nargs="*", help="run only these notebooks (name or prefix, e.g. 00 or 00_datos)")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="override a notebook parameter (repeatable); it must be a parameter of a selected notebook")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="notebooks that do not depend on each other run N at a time (default: the number of cores)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="if another run holds the lock, wait up to SECONDS for it instead of stopping at once")
    p.add_argument("--force", action="store_true", help="execute every selected notebook even if up to date")
    p.set_defaults(func=_cli)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _cli(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("error: -j/--jobs must be at least 1.", file=sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _terminate)  # SIGTERM rolls back like Ctrl-C
    try:
        overrides = typed_overrides(args.parameter, args.notebooks or None)
        run(args.notebooks or None, overrides, args.force, jobs=args.jobs, wait=args.wait)
    except (PipelineError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the notebooks that were running had their previous outputs restored; "
              "their state entries are unchanged.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
