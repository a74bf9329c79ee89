"""newsdex's own exceptions: each says what went wrong and what to do about it.

The command line shows ``str(error)`` as one line on stderr and exits with
status 2; Python callers can catch :class:`NewsdexError` for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.report import IndexReport


class NewsdexError(Exception):
    """Base of every error newsdex raises on purpose."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class IndexNotFound(NewsdexError):
    """There is no index where one was expected."""


class NotAnIndex(NewsdexError):
    """The folder exists but is not a newsdex index this version can read."""


class IndexLocked(NewsdexError):
    """Another process is writing to the index."""


class IndexWriteFailed(NewsdexError):
    """The disk refused a write (full, read-only); the index is left as it was."""


class IndexDamaged(NewsdexError):
    """The index does not hold what a run wrote to it."""


class NothingIndexed(NewsdexError):
    """An index run found no page it could read; ``report`` says what it found."""

    def __init__(self, report: IndexReport, message: str) -> None:
        super().__init__(message, hint=report.summary())
        self.report = report


class RecordNotFound(NewsdexError):
    """No record has the id asked for."""


class QueryError(NewsdexError):
    """The query cannot be understood: bad syntax, unknown field or bad date."""
