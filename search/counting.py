"""Counting matches by period, site or kind, from postings and the date column.

A count never reads a stored document: a match's date comes from the
``published`` column, read whole once per searcher (8 bytes a document), its
sites and kind from the postings of the ``site`` and ``kind`` fields.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from typing import Any

from indexer.records import Kind
from search.filters import Filters
from search.periods import counts_by_period
from search.results import Bucket, CountBy, Counts

UNDATED = 2**64 - 1
"""The column's value for a document without a date (Whoosh's default)."""
TICKS_A_DAY = 86_400_000_000
"""The column counts microseconds from 0001-01-01: whole days are date ordinals - 1."""


class DateColumn:
    """Every document's date, as the ``published`` column holds it, for one searcher."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._values: array[int] | None = None

    def values(self) -> array[int]:
        """The column's value of every document, by document number."""
        if self._values is None:
            values: array[int] = array("Q")
            for reader, offset in self._searcher.reader().leaf_readers():
                values.extend([UNDATED] * (offset - len(values)))
                values.extend(_column_of(reader))
            self._values = values
        return self._values


def _column_of(reader: Any) -> array[int]:
    """One segment's column, read in one go (Whoosh reads a value at a time)."""
    count = reader.doc_count_all()
    if not reader.has_column("published"):
        return array("Q", [UNDATED] * count)
    column = reader.column_reader("published", translate=False)
    stored = min(column._count, count)  # documents past the last dated one are left out
    values: array[int] = array("Q")
    values.frombytes(bytes(column._dbfile.get(column._basepos, stored * 8)))
    if column._typecode != "Q" or values.itemsize != 8:
        return array("Q", (column[number] for number in range(count)))
    values.byteswap()  # stored big-endian
    values.extend([column._default] * (count - stored))
    return values


def count_matches(
    numbers: Iterable[int],
    by: CountBy,
    filters: Filters,
    dates: DateColumn,
    kinds: tuple[Kind, ...],
    sites: Iterable[str],
) -> Counts:
    """The matching documents ``numbers`` counted ``by`` period, site or kind."""
    matched = list(numbers)
    if by == "kind":
        found = set(matched)
        by_kind = [(str(kind), len(found & filters.documents_of(kind))) for kind in kinds]
        return Counts(by, _most_first(by_kind), len(found))
    if by == "site":
        found = set(matched)
        buckets: list[tuple[str, int]] = []
        sited: set[int] = set()
        for site in sites:
            at_site = found & filters.documents_at([site])
            sited |= at_site
            buckets.append((site, len(at_site)))
        return Counts(by, _most_first(buckets), len(found), unsited=len(found - sited))
    values = dates.values()
    days: Counter[int] = Counter(values[number] // TICKS_A_DAY + 1 for number in matched)
    undated = days.pop(UNDATED // TICKS_A_DAY + 1, 0)
    periods = counts_by_period(days, by)
    return Counts(by, tuple(Bucket(key, count) for key, count in periods), len(matched), undated)


def _most_first(buckets: list[tuple[str, int]]) -> tuple[Bucket, ...]:
    found = sorted((bucket for bucket in buckets if bucket[1]), key=lambda b: (-b[1], b[0]))
    return tuple(Bucket(key, count) for key, count in found)
