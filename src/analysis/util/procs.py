"""Worker processes that end with their parent.

Owns :func:`die_with_parent`, the initializer of every worker pool of the compendium. It lives in
this small module, which imports nothing heavy, so that a freshly spawned worker arms it before
it imports spaCy or pandas: a parent killed with ``kill -9`` while its workers are still starting
leaves no worker behind.

May import: the standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

#: prctl option that asks the kernel to send a signal to this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` ends, even if the parent is killed with ``kill -9``.

    On Linux the kernel sends SIGKILL to this process when its parent dies (prctl
    PR_SET_PDEATHSIG); elsewhere a daemon thread polls the parent every half second. A parent
    already gone ends this process at once.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
