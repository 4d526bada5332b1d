"""``python -m analysis bench``: measure the compendium's costs into book/benchmarks.csv."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.workflow.bench import (
    BENCH_CSV,
    DEFAULT_GROUPS,
    GROUPS,
    BenchError,
    merge_rows,
    parse_groups,
    run_benchmarks,
    write_rows,
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="measure install, pipeline, book, scale, NLP, SDG and partner-finder costs")
    p.add_argument("--groups", default=None,
                   help=f"comma-separated groups to measure, among {','.join(GROUPS)} (default "
                        f"{','.join(DEFAULT_GROUPS)}, plus escala with --scale-words); their rows replace "
                        "the same groups' rows in the table, the others are kept")
    p.add_argument("--repeats", type=int, default=3, help="repeats per measurement (median reported)")
    p.add_argument("--cold-repeats", type=int, default=1, help="repeats of the cold pipeline run and of each install")
    p.add_argument("--jobs", type=int, default=2, help="-j of the second cold pipeline run (the first uses -j 1)")
    p.add_argument("--coding-words", type=int, default=50_000, help="size of the generated corpus for NLP coding")
    p.add_argument("--sdg-texts", type=int, default=2000, help="number of short texts to classify")
    p.add_argument("--scale-words", type=int, default=0,
                   help="size of the generated corpus of the escala group (0: skip that group)")
    p.add_argument("--processes", type=int, default=os.cpu_count(), help="worker processes for --scale-words")
    p.add_argument("--skip-pipeline", action="store_true", help="leave out the pipeline and book groups")
    p.add_argument("--out", type=Path, default=BENCH_CSV, help="the table to update (default book/benchmarks.csv)")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    if args.repeats < 1 or args.cold_repeats < 1 or args.jobs < 2:
        print("error: --repeats and --cold-repeats must be at least 1, --jobs at least 2", file=sys.stderr)
        return 2
    for option, value in (("--coding-words", args.coding_words), ("--sdg-texts", args.sdg_texts)):
        if value < 1:
            print(f"error: {option} must be at least 1, got {value}", file=sys.stderr)
            return 2
    if args.scale_words < 0 or (args.processes is not None and args.processes < 1):
        print("error: --scale-words must be 0 or more and --processes at least 1", file=sys.stderr)
        return 2
    try:
        if args.groups is not None:
            groups = parse_groups(args.groups)
        else:
            groups = DEFAULT_GROUPS + (("escala",) if args.scale_words > 0 else ())
        if args.skip_pipeline:
            groups = tuple(g for g in groups if g not in {"pipeline", "book"})
        rows = run_benchmarks(args.repeats, args.cold_repeats, args.coding_words, args.sdg_texts, groups,
                              scale_words=args.scale_words, processes=args.processes, jobs=args.jobs)
        print(f"wrote {write_rows(merge_rows(rows, args.out), args.out)}")
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
