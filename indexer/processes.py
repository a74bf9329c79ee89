"""The child processes of an index run (writers, merges): started safely, never left behind."""

from __future__ import annotations

import contextlib
import gc
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


_PARENT_ONLY_FILES: set[int] = set()
"""Open files of this process that a forked child must not keep open (the write lock)."""


def keep_from_children(descriptor: int) -> None:
    """Close ``descriptor`` in every child this process forks from now on: a
    forked child holds a copy of each open file, and a file lock lives as
    long as any copy of it."""
    _PARENT_ONLY_FILES.add(descriptor)


def let_children_have(descriptor: int) -> None:
    """Undo :func:`keep_from_children`, before ``descriptor`` is closed (its number
    may then name a file the children need)."""
    _PARENT_ONLY_FILES.discard(descriptor)


def child_start_method() -> str | None:
    """How writer and merge processes are started, or ``None`` if they cannot be.

    Forked on Linux when this process runs no other thread: a fork copies
    only the thread that forks, and a lock another thread held stays held
    in the child for good. Else spawned: a new interpreter that imports
    newsdex again, the largest part of an addition's writer's start-up.
    (A second writer is forked beside one thread, multiprocessing's own
    that feeds the job queue: multiprocessing resets the queue in the
    child, as its pools fork workers beside their own threads.)
    """
    if sys.platform == "linux" and _threads_running() == 1:
        return "fork"
    return "spawn" if can_spawn() else None


def _threads_running() -> int:
    """This process's threads, the operating system's count (C libraries' too)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def start_child() -> None:
    """What a writer or merge process does first: let go of its parent's files
    (when forked), leave the objects it started with out of its garbage
    collections, and end when its parent ends.

    Forked, a child shares its parent's memory until either writes to it;
    a collection writes to every object it looks at, so the parent's (the
    pages an addition learnt, say) would be copied into each child. Frozen,
    they are never looked at (what ``gc.freeze`` is for)."""
    for descriptor in _PARENT_ONLY_FILES:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _PARENT_ONLY_FILES.clear()
    gc.freeze()
    end_with_parent()


def end_with_parent() -> None:
    """Make this (child) process end when the newsdex process that started it
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
