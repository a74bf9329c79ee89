"""The index's write lock: one run writes at a time, and a refused run can say who holds it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.errors import IndexLocked
from indexer.processes import is_running, keep_from_children, let_children_have
from indexer.storage import INDEX_NAME

LOCK_FILE = f"{INDEX_NAME}_WRITELOCK"
"""Whoosh's write lock: an OS file lock, released when its process ends. The
file stays; it never means the index is locked, so it is never deleted."""
WRITER_FILE = "newsdex-writer.json"
"""Who holds the write lock (pid, start time), so a refused writer can say."""
POLL_SECONDS = 0.05


def acquire(
    storage: Any,
    directory: Path,
    wait_seconds: float,
    waiting: Callable[[str], None] | None = None,
) -> Any:
    """Take the index's write lock, waiting up to ``wait_seconds`` for another run.

    ``waiting`` is told who holds the lock when this run has to wait. Returns
    the held lock (``release()`` frees it); raises :class:`IndexLocked` naming
    the process that holds it when the wait runs out.
    """
    lock = storage.lock(LOCK_FILE)
    deadline = time.monotonic() + wait_seconds
    told = False
    while not lock.acquire():
        if waiting is not None and not told:
            waiting(lock_holder(directory))
            told = True
        if time.monotonic() >= deadline:
            raise IndexLocked(
                f"the index at {directory} is being written by another process: "
                f"{lock_holder(directory)} holds its lock {directory / LOCK_FILE}",
                hint="wait for it to finish, or give --wait more seconds; "
                "never delete the lock file, it frees itself when its process ends",
            )
        time.sleep(POLL_SECONDS)
    try:
        _write_holder(directory)
    except BaseException:
        lock.release()
        raise
    return HeldLock(lock)


class HeldLock:
    """The write lock as a run holds it: its file is closed in the writer
    processes the run forks, so none of them can outlive it holding the lock."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._descriptor: int | None = getattr(lock, "fd", None)
        if self._descriptor is not None:
            keep_from_children(self._descriptor)

    def release(self) -> None:
        if self._descriptor is not None:
            let_children_have(self._descriptor)
        self._lock.release()


def lock_holder(directory: Path) -> str:
    """Who holds the index's write lock, as far as its writer file says."""
    try:
        holder = json.loads((directory / WRITER_FILE).read_text(encoding="utf-8"))
        pid, started = int(holder["pid"]), str(holder["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"
    if not is_running(pid):  # it has just ended; the lock is free soon
        return "another process"
    return f"process {pid} (running since {started})"


def _write_holder(directory: Path) -> None:
    """Name this process as the lock holder, for writers that are refused."""
    started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    holder = json.dumps({"pid": os.getpid(), "started": started}) + "\n"
    descriptor = os.open(directory / WRITER_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, holder.encode("utf-8"))
    finally:
        os.close(descriptor)
