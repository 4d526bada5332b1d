"""``python -m analysis bench``: measure the compendium's costs into book/benchmarks.csv."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.workflow.bench import BENCH_CSV, run_benchmarks, write_rows


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="measure pipeline, book, NLP, SDG and partner-finder costs")
    p.add_argument("--repeats", type=int, default=3, help="repeats per measurement (median reported)")
    p.add_argument("--cold-repeats", type=int, default=1, help="repeats of the cold pipeline run")
    p.add_argument("--coding-words", type=int, default=50_000, help="size of the generated corpus for NLP coding")
    p.add_argument("--sdg-texts", type=int, default=2000, help="number of short texts to classify")
    p.add_argument("--scale-words", type=int, default=0,
                   help="also code a generated corpus of this many words in parallel (0: skip)")
    p.add_argument("--processes", type=int, default=os.cpu_count(), help="worker processes for --scale-words")
    p.add_argument("--skip-pipeline", action="store_true", help="skip the pipeline and book measurements")
    p.add_argument("--out", type=Path, default=BENCH_CSV, help="where to write the table (default book/benchmarks.csv)")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    if args.repeats < 1 or args.cold_repeats < 1:
        print("error: --repeats and --cold-repeats must be at least 1", file=sys.stderr)
        return 2
    if args.scale_words < 0 or (args.processes is not None and args.processes < 1):
        print("error: --scale-words must be 0 or more and --processes at least 1", file=sys.stderr)
        return 2
    rows = run_benchmarks(args.repeats, args.cold_repeats, args.coding_words, args.sdg_texts, args.skip_pipeline,
                          scale_words=args.scale_words, processes=args.processes)
    print(f"wrote {write_rows(rows, args.out)}")
    return 0
