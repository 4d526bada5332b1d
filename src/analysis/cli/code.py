"""``python -m analysis code INPUT --codebook interviews/codebook.yml --out OUT.csv``.

INPUT is a folder of Markdown transcripts or a CSV with ``id`` and ``text`` columns. Texts are
pseudonymised with the participants register, segmented and coded in a streaming pass
(``nlp.pipe`` in batches), and the segment x code table is written row by row, so memory stays
flat on large corpora.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy
from analysis.ingest.transcripts import Transcript, TranscriptError, iter_corpus


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("code", help="code interview transcripts with a codebook (segment x code table)")
    p.add_argument("input", type=Path, help="folder of transcripts (*.md) or CSV with id and text columns")
    p.add_argument("--codebook", type=Path, default=paths.INTERVIEWS / "codebook.yml", help="YAML codebook")
    p.add_argument("--out", type=Path, required=True, help="output CSV: one row per segment and code")
    p.add_argument("--segments", type=Path, help="also write every segment (coded or not) to this CSV")
    p.add_argument("--register", type=Path, default=None,
                   help="participants register (default interviews/register/participants.csv); required for real transcripts")
    p.add_argument("--batch-size", type=int, default=64, help="texts per nlp.pipe batch")
    p.set_defaults(func=_run)


def _pseudonymised(corpus: Iterator[Transcript], register_path: Path | None) -> Iterator[Transcript]:
    first = list(itertools.islice(corpus, 50))
    path = register_path or privacy.DEFAULT_REGISTER
    if not Path(path).exists() and not all(t.synthetic for t in first):
        raise privacy.RegisterError(f"{path}: no participants register; real transcripts are never coded without one. "
                                    "Create it or pass --register.")
    register = privacy.load_register(path) if Path(path).exists() else privacy.load_register(privacy.EXAMPLE_REGISTER)
    for t in itertools.chain(first, corpus):
        if not t.synthetic and not Path(path).exists():
            raise privacy.RegisterError(f"{t.source}: real transcript {t.id} but no participants register at {path}.")
        yield from privacy.pseudonymise_corpus([t], register)


def _run(args: argparse.Namespace) -> int:
    try:
        cb = qda.load_codebook(args.codebook)
        coder = qda.Coder(cb, batch_size=args.batch_size)
        corpus = _pseudonymised(iter_corpus(args.input), args.register)
        counts = qda.write_coded_csv(coder.iter_coded(corpus), args.out, args.segments)
    except (TranscriptError, qda.CodebookError, privacy.RegisterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{counts['segments']} segments, {counts['coded_segments']} coded, {counts['codings']} codings -> {args.out}")
    return 0
