"""Entry point for ``python -m analysis``.

A reader that goes away (``python -m analysis partners 23010 | head -3``) ends the command quietly
with the status of a closed pipe (141), for every subcommand: what is still buffered for standard
output is dropped instead of raising ``BrokenPipeError`` at exit.
"""

import os
import sys

from analysis.cli import main


def _run() -> int:
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush writes nowhere
        return 128 + 13  # SIGPIPE, as a shell reports a command stopped by a closed pipe
    return status


raise SystemExit(_run())
