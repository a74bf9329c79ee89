"""Open indexes lent to a server's requests, one request at a time, each up to date.

Whoosh's searchers are not known to be safe to share between threads, so no
:class:`search.Index` here is used by two requests at once: a request borrows
one, refreshes it (a commit made since is seen by the next request after it,
with no restart) and gives it back. At most ``size`` are open; a request
beyond that waits for one to come back. Why this and not one shared index
behind a lock, or one opened per request: docs/performance.md.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from search.index import Index
from search.opening import open_index


class Searchers:
    """Up to ``size`` open indexes of one folder, lent one request at a time."""

    def __init__(self, directory: str | Path | None, size: int) -> None:
        # Opened now, so that a folder that is not an index fails at start-up.
        first = open_index(directory)
        self.directory = first.directory
        self._idle = [first]
        self._open = 1
        self._size = size
        self._turns = threading.Semaphore(size)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[Index]:
        """An index no other request is using, showing the latest commit."""
        with self._turns:
            index = self._take()
            try:
                index.refresh()
                yield index
            finally:
                with self._lock:
                    self._idle.append(index)

    def _take(self) -> Index:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return open_index(self.directory)
        except BaseException:
            with self._lock:
                self._open -= 1
            raise

    @property
    def open(self) -> int:
        """How many indexes are open now (lent or idle)."""
        return self._open

    def close(self) -> None:
        """Close the idle indexes; call when no request is running."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for index in idle:
            index.close()
