"""``python -m analysis code INPUT --codebook interviews/codebook.yml --out OUT.csv``.

INPUT is a folder of Markdown transcripts or a CSV with ``id`` and ``text`` columns. Texts are
pseudonymised with the participants register, segmented and coded in a streaming pass
(``nlp.pipe`` in batches), and the segment x code table is written row by row, so memory stays
flat on large corpora.

Outputs are written to temporary files next to their targets and scanned for every register name
and alias; only when no name is found are they renamed into place. If a name is found the
temporary files are deleted, the command stops with an error naming the file and the number of
names found (never the names), and any earlier output is left untouched. An output path that is
also an input (the transcripts, the codebook, the register, or --out equal to --segments) is refused.

``--jobs N`` codes the corpus in N worker processes (``--scheduler dask``: on a Dask cluster, local or
at ``--address tcp://host:port``). The corpus is still read, checked and pseudonymised here, and
only pseudonymised chunks are sent to the workers; their results come back in corpus order and are
written and scanned exactly as above, so the output is byte-identical to ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy
from analysis.ingest.transcripts import Transcript, TranscriptError, iter_corpus
from analysis.util.io import atomic_path, same_file
from analysis.workflow import parallel


class UsageError(ValueError):
    """Options that cannot be honoured; the message says which and what to do."""


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("code", help="code interview transcripts with a codebook (segment x code table)")
    p.add_argument("input", type=Path, help="folder of transcripts (*.md, *.markdown) or CSV with id and text columns")
    p.add_argument("--codebook", type=Path, default=paths.INTERVIEWS / "codebook.yml", help="YAML codebook")
    p.add_argument("--out", type=Path, required=True, help="output CSV: one row per segment and code")
    p.add_argument("--segments", type=Path, help="also write every segment (coded or not) to this CSV")
    p.add_argument("--register", type=Path, default=None,
                   help="participants register (default interviews/register/participants.csv); required for real transcripts")
    p.add_argument("--batch-size", type=positive_int, default=64, help="texts per nlp.pipe batch (at least 1)")
    add_parallel_options(p)
    p.set_defaults(func=_run)


def add_parallel_options(p: argparse.ArgumentParser) -> None:
    """--jobs, --scheduler and --address (shared with ``sdg classify``)."""
    p.add_argument("--jobs", type=positive_int, default=1,
                   help="worker processes (at least 1; default 1: everything in this process)")
    p.add_argument("--scheduler", choices=parallel.SCHEDULERS, default="processes",
                   help="where the workers run: 'processes' (a local process pool, default) or 'dask' "
                        "(a Dask cluster; needs pip install 'analysis[dask]')")
    p.add_argument("--address", default=None, metavar="tcp://HOST:PORT",
                   help="address of a running Dask scheduler (with --scheduler dask); without it a local "
                        "cluster of --jobs workers is started and closed")


def _check_paths(args: argparse.Namespace) -> None:
    try:
        parallel.check_options(args.jobs, args.scheduler, args.address)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    outputs = [("--out", args.out)] + ([("--segments", args.segments)] if args.segments else [])
    inputs = [("the input", args.input), ("--codebook", args.codebook),
              ("--register" if args.register is not None else "the participants register",
               args.register if args.register is not None else privacy.DEFAULT_REGISTER)]
    for oname, out in outputs:
        if out.exists() and out.is_dir():
            raise UsageError(f"{oname} {out} is a folder; give a CSV file name.")
        for iname, inp in inputs:
            if same_file(out, inp):
                raise UsageError(f"{oname} {out} is the same file as {iname}; writing there would destroy the input. "
                                 "Choose another output file.")
        if args.input.is_dir() and out.resolve().parent == args.input.resolve() and \
                out.suffix.lower() in (".md", ".markdown"):
            raise UsageError(f"{oname} {out} would be written among the transcripts it reads; choose another folder.")
    if args.segments and same_file(args.out, args.segments):
        raise UsageError(f"--segments {args.segments} is the same file as --out; give them different names.")


def _prepare(corpus: Iterator[Transcript], register_path: Path | None) -> tuple[privacy.Register, Iterator[Transcript]]:
    """The register to use and the pseudonymised stream; fails closed for real transcripts."""
    first = list(itertools.islice(corpus, 50))
    path = Path(register_path or privacy.DEFAULT_REGISTER)
    if register_path is not None and not path.exists():
        raise privacy.RegisterError(f"{path}: no participants register there (the file given with --register does not exist).")
    exists = path.exists()
    if exists:
        register = privacy.load_register(path)
    elif all(t.synthetic for t in first):
        register = privacy.load_register(privacy.EXAMPLE_REGISTER)
    else:
        raise privacy.RegisterError(f"{path}: no participants register; real transcripts are never coded without one. "
                                    "Create it or pass --register.")
    privacy.require_usable(register, first)

    def guarded() -> Iterator[Transcript]:
        for t in itertools.chain(first, corpus):
            if not t.synthetic and not exists:
                raise privacy.RegisterError(f"{t.source}: a real transcript, but no participants register at {path}; "
                                            "create it or pass --register.")
            if not t.synthetic and not register.entries:
                privacy.require_usable(register, [t])
            yield t

    return register, privacy.iter_pseudonymised(guarded(), register)


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        _check_paths(args)
        cb = qda.load_codebook(args.codebook)
        if not any(c.terms or c.patterns for c in cb.codes):
            raise UsageError(f"{args.codebook.name}: no code has terms or patterns, so nothing would be coded; "
                             "add terms to the codes (see interviews/codebook.yml).")
        serial = args.jobs == 1 and args.scheduler == "processes"
        coder = qda.Coder(cb, batch_size=args.batch_size) if serial else None
        register, corpus = _prepare(iter_corpus(args.input, report=_note), args.register)
        with contextlib.ExitStack() as stack:
            tmp_out = stack.enter_context(atomic_path(args.out))
            tmp_seg = stack.enter_context(atomic_path(args.segments)) if args.segments else None
            if coder is not None:
                coded = coder.iter_coded(corpus)
            else:
                runner = stack.enter_context(parallel.Runner(args.jobs, args.scheduler, args.address))
                coded = parallel.code_stream(corpus, cb, runner, batch_size=args.batch_size)
            counts = qda.write_coded_csv(coded, tmp_out, tmp_seg)
            for target, tmp in [(args.out, tmp_out), (args.segments, tmp_seg)]:
                if tmp is None:
                    continue
                leaks = privacy.find_leaks([tmp], register)
                if leaks:
                    raise privacy.LeakScanError(
                        f"{target}: {len(leaks)} participant name(s) or alias(es) from the register found in the "
                        "output after pseudonymisation; nothing was written. Check the register's spelling and "
                        "aliases (the names are not printed here).")
    except (TranscriptError, qda.CodebookError, privacy.RegisterError, privacy.LeakScanError, UsageError,
            parallel.SchedulerError, OSError, UnicodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{counts['segments']} segments, {counts['coded_segments']} coded, {counts['codings']} codings -> {args.out}")
    return 0
