"""Command line: ``python -m analysis <command> ...``.

Owns: the entry point and one module per subcommand (``data``, ``run``, ``sdg``, ``code``,
``qda``, ``partners``, ``bench``), each exposing ``add_parser(subparsers)``. The top layer: it may import
every other layer, and nothing imports it. A command's module is imported only when that command
is used (by name, through ``COMMANDS``), so ``python -m analysis data verify`` does not load spaCy
or papermill; this is for start-up time, not to break a cycle (the layer contract test checks
that there is none).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: command name -> (module, one-line help). Each module defines add_parser(subparsers).
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("analysis.cli.data", "fetch and verify the public data sources"),
    "run": ("analysis.cli.run", "execute the notebooks in order with papermill"),
    "sdg": ("analysis.cli.sdg", "code texts against the 17 Sustainable Development Goals (ODS)"),
    "code": ("analysis.cli.code", "code interview transcripts with a codebook (segment x code table)"),
    "qda": ("analysis.cli.qda", "REFI-QDA: import, export and validate .qdc/.qdpx files of QDA programs"),
    "partners": ("analysis.cli.partners", "recommend foreign partner cities for a Mexican municipality"),
    "bench": ("analysis.cli.bench", "measure pipeline, book, NLP, SDG and partner-finder costs"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the command ``only`` is imported (the others show their help line)."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if only == name:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and dispatch; every command returns an exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)
