"""The child processes of an index run (writers, merges): started safely, never left behind."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading


def is_running(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as another user's process
        return True
    return True


def end_with_parent() -> None:
    """Make this (spawned) process end when the newsdex process that started it
    ends, however that ends: killed, it could not tell its children."""
    parent = multiprocessing.parent_process()
    if parent is not None:

        def wait_then_exit() -> None:
            parent.join()
            os._exit(1)

        threading.Thread(target=wait_then_exit, daemon=True).start()


def can_spawn() -> bool:
    """Whether spawned processes can start. Each imports the program's main
    module again, from its file: a program read from standard input
    (``python - <<EOF``) has none, and every process would die at start-up."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return True  # run as a module (`python -m`): imported by name
    path = getattr(main, "__file__", None)
    return path is None or os.path.isfile(path)
