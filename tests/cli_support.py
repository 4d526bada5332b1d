"""Run ``python -m analysis ARGS`` inside the test process (no interpreter start-up, no re-imports).

The result looks like ``subprocess.run``'s, so a test reads ``returncode``, ``stdout`` and
``stderr`` the same way. The real entry point is still exercised by a few tests that start
``python -m analysis`` as a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import subprocess

from analysis import cli


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse errors exit
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())
