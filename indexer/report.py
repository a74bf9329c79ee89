"""What an index run did, as plain data: every page found is read, unchanged or skipped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indexer.records import KINDS, Kind


@dataclass(frozen=True)
class Skipped:
    """A file, or a dumped page, that could not be indexed, and why."""

    path: str
    reason: str

    @property
    def category(self) -> str:
        """The reason without its details ("unreadable", "too large", "not JSON"...)."""
        return self.reason.split(":")[0].split(" (")[0]


@dataclass(frozen=True)
class PageWarning:
    """Something odd in a page that was indexed anyway (bad bytes, an impossible stamp)."""

    path: str
    message: str


def skip_reasons(skipped: Iterable[Skipped]) -> str:
    """How many were skipped for each reason, e.g. "1 binary, 2 empty"."""
    reasons = Counter(skip.category for skip in skipped)
    return ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))


@dataclass(frozen=True)
class IndexReport:
    """What an index run did: every page found is read, unchanged or skipped."""

    index_directory: Path
    pages_read: int
    records: dict[Kind, int]
    """Distinct records the pages read in this run yielded, by kind."""
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[PageWarning, ...] = ()
    pages_unchanged: int = 0
    pages_removed: int = 0
    documents: int = 0
    """Documents in the index after the run (records and page bookkeeping)."""

    @property
    def pages_seen(self) -> int:
        return self.pages_read + self.pages_unchanged + len(self.skipped)

    def summary(self) -> str:
        """One line for people: pages seen = indexed + unchanged + skipped (by reason)."""
        records = ", ".join(_count(self.records.get(kind, 0), kind) for kind in KINDS)
        line = f"{_count(self.pages_seen, 'page')} seen: {self.pages_read} indexed ({records})"
        if self.pages_unchanged:
            line += f", {self.pages_unchanged} unchanged"
        line += f", {len(self.skipped)} skipped"
        if self.skipped:
            line += f" ({skip_reasons(self.skipped)})"
        if self.pages_removed:
            line += f"; {self.pages_removed} removed"
        if self.warnings:
            line += f"; {_count(len(self.warnings), 'warning')}"
        return f"{line} -> {self.index_directory}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
