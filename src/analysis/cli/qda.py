"""``python -m analysis qda import|export|validate``: REFI-QDA files to and from ATLAS.ti, NVivo, MAXQDA,
QualCoder and Taguette.

- ``qda import FILE --out CODEBOOK.yml [--codings CODINGS.csv]`` reads a codebook (.qdc) or project
  (.qdpx) written by any of those programs and writes the codebook in the format of
  ``interviews/codebook.yml``, keeping each code's GUID, name, hierarchy, colour, description and
  ``isCodable`` and the file's Sets; with ``--codings``, one row per Coding of a project (source name
  and GUID, start and end, code GUID and name, coder). It prints what it read and what it could not
  carry (image, audio, video or PDF-area selections...).
- ``qda export --codebook CODEBOOK.yml --out FILE.qdc`` writes the codebook; ``--out FILE.qdpx`` a
  project, with ``--transcripts`` (pseudonymised with the participants register) and ``--codings``
  (the table of ``code --out``: the engine's suggestions; or of ``qda import --codings``: a person's).
  What is written is checked against the REFI-QDA schema and for register names before it is put in
  place.
- ``qda validate FILE`` checks a .qdc or .qdpx against the official schema of its kind.

Errors name the file and element and say what to do; exit status 1, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

from analysis.analyses import qda
from analysis.analyses.qda import privacy, refi
from analysis.ingest.transcripts import TranscriptError, load_corpus
from analysis.util.io import atomic_path, same_file


class UsageError(ValueError):
    """Options that cannot be honoured; the message says which and what to do."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("qda", help="REFI-QDA: import, export and validate .qdc/.qdpx files of QDA programs")
    cmds = p.add_subparsers(dest="qda_command", metavar="{import,export,validate}")
    imp = cmds.add_parser("import", help="a .qdc or .qdpx into the project's YAML codebook (and its codings)")
    imp.add_argument("file", type=Path, help=".qdc codebook or .qdpx project from ATLAS.ti, NVivo, MAXQDA, QualCoder...")
    imp.add_argument("--out", type=Path, required=True, help="YAML codebook to write (format of interviews/codebook.yml)")
    imp.add_argument("--codings", type=Path, help="also write one row per Coding of the project to this CSV")
    imp.add_argument("--register", type=Path, default=None,
                     help="participants register used to pseudonymise source names (default: "
                          "interviews/register/participants.csv when it exists)")
    imp.set_defaults(func=_import)
    exp = cmds.add_parser("export", help="the YAML codebook as .qdc, or a project (.qdpx) with transcripts and codings")
    exp.add_argument("--codebook", type=Path, required=True, help="YAML codebook")
    exp.add_argument("--out", type=Path, required=True, help="FILE.qdc (codebook) or FILE.qdpx (project)")
    exp.add_argument("--transcripts", type=Path, help="folder (or CSV) of transcripts, for a .qdpx")
    exp.add_argument("--codings", type=Path, help="CSV of codings: from `code --out` or `qda import --codings`")
    exp.add_argument("--coder", default=refi.ENGINE_CODER, help="coder name for codings without a coder column")
    exp.add_argument("--register", type=Path, default=None,
                     help="participants register (default interviews/register/participants.csv); "
                          "required for real transcripts")
    exp.set_defaults(func=_export)
    val = cmds.add_parser("validate", help="check a .qdc or .qdpx against the REFI-QDA schema of its kind")
    val.add_argument("file", type=Path)
    val.set_defaults(func=_validate)
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])


def _fail(message: object) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _optional_register(path: Path | None) -> privacy.Register | None:
    if path is not None and not path.exists():
        raise UsageError(f"--register {path}: no participants register there.")
    path = path or privacy.DEFAULT_REGISTER
    return privacy.load_register(path) if path.exists() else None


def _refuse_leaks(files: list[Path], register: privacy.Register | None, target: Path) -> None:
    if register is None:
        return
    leaks = privacy.find_leaks(files, register)
    if leaks:
        raise privacy.LeakScanError(f"{target}: {len(leaks)} participant name(s) or alias(es) from the register in the "
                                    "output; nothing was written. Rename the sources in the QDA program or add the "
                                    "names to the register (the names are not printed here).")


def _import(args: argparse.Namespace) -> int:
    try:
        for flag, out in [("--out", args.out), ("--codings", args.codings)]:
            if out is not None and same_file(out, args.file):
                raise UsageError(f"{flag} {out} is the file being imported; choose another output.")
        f = refi.read_refi(args.file)
        if args.codings is not None and f.kind != "project":
            raise UsageError(f"{args.file.name} is a codebook (.qdc): it holds no codings; drop --codings or give the "
                             "project (.qdpx).")
        register = _optional_register(args.register)
        cb = f.codebook
        text = ("# Libro de códigos importado de " + args.file.name + (f" ({f.origin})" if f.origin else "")
                + " con `python -m analysis qda import`.\n# Cada código conserva su GUID; los conjuntos (sets) "
                  "del archivo van al final.\n")
        text += yaml.safe_dump(qda.codebook_to_dict(cb), allow_unicode=True, sort_keys=False, width=110)
        with atomic_path(args.out) as tmp_out:
            tmp_out.write_text(text, encoding="utf-8")
            written = [tmp_out]
            if args.codings is not None:
                codings = f.codings
                if register is not None and register.entries:
                    codings = codings.assign(source_name=[privacy.pseudonymise_id(s, register)
                                                          for s in codings.source_name])
                with atomic_path(args.codings) as tmp_cod:
                    codings.to_csv(tmp_cod, index=False, lineterminator="\n")
                    _refuse_leaks([*written, tmp_cod], register, args.codings)
            else:
                _refuse_leaks(written, register, args.out)
    except (qda.CodebookError, privacy.RegisterError, privacy.LeakScanError, UsageError, OSError) as exc:
        return _fail(exc)
    nested = sum(1 for c in cb.codes if c.parent)
    where = f"{args.file.name}" + (f" ({f.member})" if f.member else "")
    print(f"read {where}: a REFI-QDA {f.kind} in namespace {f.namespace}" + (f", written by {f.origin}" if f.origin else ""))
    print(f"  {len(cb.codes)} codes ({nested} below another code), {len(cb.sets)} set(s), "
          f"{sum(1 for c in cb.codes if c.guid)} GUIDs kept")
    if f.kind == "project":
        coders = sorted(set(f.codings.coder)) if len(f.codings) else []
        print(f"  {len(f.sources)} source(s), {len(f.codings)} coding(s) of text"
              + (f" by {len(coders)} coder(s): {', '.join(coders)}" if coders else ""))
    for note in f.notes:
        print(f"  not carried: {note}")
    if not f.notes:
        print("  everything in the file was carried")
    print(f"-> {args.out}" + (f" and {args.codings}" if args.codings else ""))
    return 0


def _export(args: argparse.Namespace) -> int:
    try:
        suffix = args.out.suffix.lower()
        if suffix not in (".qdc", ".qdpx"):
            raise UsageError(f"--out {args.out}: give a .qdc (codebook) or .qdpx (project) file name.")
        if suffix == ".qdc" and (args.transcripts or args.codings):
            raise UsageError("--transcripts and --codings go into a project: use --out FILE.qdpx.")
        for iname, inp in [("--codebook", args.codebook), ("--codings", args.codings)]:
            if inp is not None and same_file(args.out, inp):
                raise UsageError(f"--out {args.out} is the same file as {iname}; choose another output.")
        cb = qda.load_codebook(args.codebook)
        if suffix == ".qdc":
            with atomic_path(args.out) as tmp:
                tmp.write_bytes(refi.codebook_xml(cb))
                _check_valid(tmp, args.out)
            print(f"{len(cb.codes)} codes, {len(cb.sets)} set(s) -> {args.out}")
            return 0
        corpus = load_corpus(args.transcripts) if args.transcripts else []
        register = privacy.resolve_register(args.register or privacy.DEFAULT_REGISTER, corpus) if corpus else \
            _optional_register(args.register)
        if corpus and register is not None:
            corpus = privacy.pseudonymise_corpus(corpus, register)
        codings = _read_codings(args.codings) if args.codings else pd.DataFrame(columns=["doc_id", "start", "end", "code"])
        if len(codings) and not corpus:
            raise UsageError("--codings need the transcripts they refer to: add --transcripts.")
        xml_name = args.out.stem
        with atomic_path(args.out) as tmp:
            refi.write_qdpx(corpus, codings, cb, tmp, name=xml_name, coder=args.coder)
            _check_valid(tmp, args.out)
            _refuse_leaks([tmp], register, args.out)
    except (qda.CodebookError, TranscriptError, privacy.RegisterError, privacy.LeakScanError, UsageError,
            OSError) as exc:
        return _fail(exc)
    print(f"{len(cb.codes)} codes, {len(cb.sets)} set(s), {len(corpus)} source(s), {len(codings)} coding(s) -> {args.out}")
    return 0


def _read_codings(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype={"start": "Int64", "end": "Int64"}, keep_default_na=False)
    except FileNotFoundError:
        raise UsageError(f"--codings {path}: file not found.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UsageError(f"--codings {path}: not a codings table ({str(exc).strip()}); give the CSV written by "
                         "`code --out` or `qda import --codings`.") from None
    return df


def _check_valid(tmp: Path, target: Path) -> None:
    _, errors = refi.validate(tmp)
    if errors:
        raise refi.RefiError(f"{target}: the file would not be valid REFI-QDA ({len(errors)} error(s), first: "
                             f"{errors[0].split(': ', 1)[-1]}); nothing was written.")


def _validate(args: argparse.Namespace) -> int:
    try:
        kind, errors = refi.validate(args.file)
    except (qda.CodebookError, OSError) as exc:
        return _fail(exc)
    schema = "Codebook 1.0 (REFI-QDA 1.5, section 5.2)" if kind == "codebook" else "Project (REFI-QDA, March 2019)"
    if errors:
        print(f"{args.file}: not valid against the {schema} schema; {len(errors)} error(s):", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid REFI-QDA {kind} (schema: {schema})")
    return 0
