"""``python -m analysis sdg classify INPUT.csv --text-col text --id-col id --out OUTPUT.csv``.

Writes one row per input row: ``id``, ``top_sdg`` (1-17, empty when the coder abstains), ``sdgs``
(detected goals, strongest first, separated by semicolons), ``score_1`` .. ``score_17`` (goal
dictionary), then ``top_target`` (the best SDG target, "11.2"; empty when the coder abstains),
``targets`` (the three best candidate targets, "11.2;11.6;11.b", listed even on abstention),
``target_score_1`` .. ``target_score_3`` (their combined scores) and ``evidence`` (matched lemmas of
the official target text and matched dictionary terms). ``--threshold`` sets the minimum combined
score for an answer (default: the value calibrated on the tuning set).

``--jobs N`` classifies the rows in chunks of ``--chunk-rows`` texts on N worker processes
(``--scheduler dask``: on a Dask cluster, local or at ``--address tcp://host:port``); chunks come
back in input order, so the output is byte-identical to ``--jobs 1``. ``--jobs`` is capped by the
cores and the memory available (with a note); ids must be unique.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from analysis.analyses.sdg import SCORE_COLUMNS, DictionaryError, load_sdg_dictionary
from analysis.analyses.sdg_targets import (
    DEFAULT_THRESHOLD,
    TARGET_COLUMNS,
    TargetsError,
    classify_targets,
    load_target_index,
)
from analysis.cli.code import add_parallel_options, positive_int
from analysis.util.io import (
    BinaryFileError,
    CsvFormatError,
    decode_text,
    encoding_note,
    new_part,
    publish,
    read_csv_records,
    same_file,
)
from analysis.workflow import parallel


class InputError(ValueError):
    """Bad input file; the message names the file and what to do."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sdg", help="code texts against the 17 Sustainable Development Goals (ODS)")
    ssub = p.add_subparsers(dest="sdg_command", metavar="ACTION", required=True)
    c = ssub.add_parser("classify", help="classify the texts of a CSV column; one output row per input row")
    c.add_argument("input", type=Path, metavar="INPUT.csv")
    c.add_argument("--text-col", default="text", help="column holding the texts (default: text)")
    c.add_argument("--id-col", default="id", help="column holding the row ids, copied verbatim (default: id)")
    c.add_argument("--out", type=Path, required=True, metavar="OUTPUT.csv")
    c.add_argument("--dictionary", type=Path, default=None,
                   help="ODS dictionary YAML, with the link vocabulary per target under 'metas:' "
                        "(default: data/curated/ods_diccionario.yml)")
    c.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD, metavar="SCORE",
                   help="minimum combined score of the best target for an answer; below it top_sdg and top_target "
                        f"are left empty (default: {DEFAULT_THRESHOLD}, calibrated on the tuning set; 0 answers on any evidence)")
    add_parallel_options(c)
    c.add_argument("--chunk-rows", type=positive_int, default=parallel.CHUNK_ROWS, metavar="N",
                   help=f"texts per chunk sent to a worker with --jobs (default {parallel.CHUNK_ROWS}); lower it if "
                        "workers run out of memory")
    c.set_defaults(func=_classify)


#: Longest text classified (characters): the limit of the spaCy pipeline for one text.
MAX_TEXT_CHARS = 1_000_000


def _threshold(value: str) -> float:
    try:
        x = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--threshold expects a number such as 3.5, got {value!r}.") from exc
    if not (x >= 0 and x < float("inf")):
        raise argparse.ArgumentTypeError(f"--threshold must be a non-negative number, got {value!r}.")
    return x


def read_rows(path: Path, text_col: str, id_col: str) -> tuple[list[str], list[str], str]:
    """(ids, texts, encoding used) from a CSV; ids and texts are kept as exact strings.

    UTF-8 (with or without BOM), UTF-16/UTF-32 (byte-order mark), Windows-1252 or Latin-1. Parsing
    is strict: an unclosed quote is an error naming the line; a workbook or other binary file
    given as CSV is named as such.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a folder, expected a CSV file.") from exc
    try:
        content, enc = decode_text(raw, path)
    except BinaryFileError as exc:
        raise InputError(str(exc).replace("not a text file", "not a CSV")) from None
    except UnicodeError as exc:
        raise InputError(str(exc)) from None
    if not content.strip():
        raise InputError(f"{path}: the file is empty; expected a CSV with a header row and columns {id_col!r}, {text_col!r}.")
    records = read_csv_records(content, path)
    try:
        _, header = next(records)
        missing = [c for c in (id_col, text_col) if c not in header]
        if missing:
            raise InputError(
                f"{path}: column {missing[0]!r} not found; available columns: {', '.join(repr(h) for h in header)}. "
                "Use --text-col / --id-col to name the right columns."
            )
        twice = [c for c in (id_col, text_col) if header.count(c) > 1]
        if twice:
            raise InputError(f"{path}: line 1: column {twice[0]!r} appears {header.count(twice[0])} times in the header; "
                             "rename the extra column so the one to use is unambiguous.")
        i_id, i_text = header.index(id_col), header.index(text_col)
        ids: list[str] = []
        texts: list[str] = []
        first_line: dict[str, int] = {}
        for line_no, row in records:
            if not row:
                continue
            if len(row) < len(header):
                row = row + [""] * (len(header) - len(row))
            if len(row) > len(header):
                raise InputError(
                    f"{path}: line {line_no} has {len(row)} fields, the header has {len(header)}; quote texts containing commas."
                )
            if len(row[i_text]) > MAX_TEXT_CHARS:
                raise InputError(f"{path}: line {line_no}: the text has {len(row[i_text]):,} characters, more than the "
                                 f"{MAX_TEXT_CHARS:,} the classifier reads at once; split it into several rows.")
            rid = row[i_id]
            if rid in first_line:
                raise InputError(f"{path}: line {line_no}: id {rid!r} already appears on line {first_line[rid]}; "
                                 f"ids must be unique (column {id_col!r}), or each output row could not be told apart.")
            first_line[rid] = line_no
            ids.append(rid)
            texts.append(row[i_text])
    except CsvFormatError as exc:
        raise InputError(str(exc)) from None
    if not ids:
        raise InputError(f"{path}: no data rows after the header; nothing to classify.")
    return ids, texts, enc


def check_paths(input_path: Path, out: Path, dictionary: Path | None) -> None:
    """Refuse an output that would overwrite an input (the CSV or the dictionary) or is a folder."""
    if out.is_dir():
        raise InputError(f"--out {out} is a folder; give a CSV file name.")
    for name, inp in [("the input", input_path), ("--dictionary", dictionary)]:
        if inp is not None and same_file(out, inp):
            raise InputError(f"--out {out} is the same file as {name}; writing there would destroy it. "
                             "Choose another output file.")


def write_rows(out: Path, ids: list[str], result: object) -> None:
    """Write the classification atomically (temporary file, then rename)."""
    write_chunks(out, [(ids, result)])


def write_chunks(out: Path, chunks: Iterable[tuple[Sequence[str], object]]) -> None:
    """Write ``(ids, classification)`` chunks in order, atomically (temporary file, then rename)."""
    fd, tmp = new_part(out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["id", "top_sdg", "sdgs", *SCORE_COLUMNS, *TARGET_COLUMNS, "evidence"])
            for ids, result in chunks:
                for i, rid in enumerate(ids):
                    top = result["top_sdg"].iloc[i]  # type: ignore[index]
                    scores = [f"{float(result[c].iloc[i]):g}" for c in SCORE_COLUMNS]  # type: ignore[index]
                    tscores = [_num(result[f"target_score_{k}"].iloc[i]) for k in (1, 2, 3)]  # type: ignore[index]
                    w.writerow([rid, "" if top is None or str(top) == "<NA>" else int(top), result["sdgs"].iloc[i], *scores,  # type: ignore[index]
                                result["top_target"].iloc[i], result["targets"].iloc[i], *tscores, result["evidence"].iloc[i]])  # type: ignore[index]
        publish(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _num(x: object) -> str:
    """A score as text; empty when there is no such candidate."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if v != v else f"{v:g}"


def _classify(args: argparse.Namespace) -> int:
    try:
        parallel.check_options(args.jobs, args.scheduler, args.address)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        check_paths(args.input, args.out, args.dictionary)
        ids, texts, enc = read_rows(args.input, args.text_col, args.id_col)
        d = load_sdg_dictionary(args.dictionary) if args.dictionary else load_sdg_dictionary()
        index = load_target_index(bridge_path=args.dictionary) if args.dictionary else load_target_index()
    except (InputError, DictionaryError, TargetsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    note = encoding_note(args.input, enc)
    if note:
        print(note, file=sys.stderr)
    answered: list[bool] = []
    candidates: list[bool] = []

    def tally(frames: Iterable[object]) -> Iterator[tuple[Sequence[str], object]]:
        start = 0
        for frame in frames:
            n = len(frame)  # type: ignore[arg-type]
            answered.extend(frame["top_sdg"].notna().tolist())  # type: ignore[index]
            candidates.extend(bool(c) for c in frame["targets"])  # type: ignore[index]
            yield ids[start:start + n], frame
            start += n

    try:
        if args.jobs == 1 and args.scheduler == "processes":
            write_chunks(args.out, tally([classify_targets(texts, d, threshold=args.threshold, index=index)]))
        else:
            with parallel.Runner(args.jobs, args.scheduler, args.address) as runner:
                write_chunks(args.out, tally(parallel.classify_stream(texts, args.dictionary, args.threshold, runner,
                                                                       chunk_rows=args.chunk_rows)))
    except (parallel.SchedulerError, DictionaryError, TargetsError) as exc:
        print(f"error: {exc}; nothing was written.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {args.out}: cannot write the output ({exc.strerror or exc}); nothing was written.", file=sys.stderr)
        return 1
    n_top = sum(answered)
    n_empty = sum(1 for t in texts if not t.strip())
    n_abstain = sum(1 for ok, c in zip(answered, candidates, strict=True) if c and not ok)
    print(
        f"{len(ids)} rows read from {args.input} (encoding {enc}); {n_top} with a goal and target, "
        f"{len(ids) - n_top} without: {n_abstain} abstentions (evidence below the threshold {args.threshold:g}), "
        f"{len(ids) - n_top - n_abstain - n_empty} without any evidence, {n_empty} empty texts; written to {args.out}",
        file=sys.stderr,
    )
    return 0
