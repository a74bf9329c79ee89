"""Counting matches by period, site or kind, from postings and the date column.

A count never reads a stored document: a match's date comes from the
``published`` column, read whole once per searcher (8 bytes a document), its
sites and kind from the postings of the ``site`` and ``kind`` fields.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from indexer.records import Kind
from search.filters import Filters
from search.periods import Period, counts_by_period
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


@dataclass
class Tally:
    """Matches counted by kind, site or day, before they are put in order:
    the tallies of several shards' workers add up (``search.cluster``)."""

    by: CountBy
    counts: Counter[str | int]
    """By kind or site name; by day ordinal for the periods."""
    total: int
    undated: int = 0
    unsited: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.by,
            self.counts + other.counts,
            self.total + other.total,
            self.undated + other.undated,
            self.unsited + other.unsited,
        )

    def counts_in_order(self) -> Counts:
        if self.by in ("kind", "site"):
            buckets = _most_first([(str(key), count) for key, count in self.counts.items()])
            return Counts(self.by, buckets, self.total, unsited=self.unsited)
        days: Counter[int] = Counter({int(day): count for day, count in self.counts.items()})
        periods = counts_by_period(days, cast(Period, self.by))
        buckets = tuple(Bucket(key, count) for key, count in periods)
        return Counts(self.by, buckets, self.total, self.undated)


def count_matches(
    numbers: Iterable[int],
    by: CountBy,
    filters: Filters,
    dates: DateColumn,
    kinds: tuple[Kind, ...],
    sites: Iterable[str],
) -> Counts:
    """The matching documents ``numbers`` counted ``by`` period, site or kind."""
    return tally_matches(numbers, by, filters, dates, kinds, sites).counts_in_order()


def tally_matches(
    numbers: Iterable[int],
    by: CountBy,
    filters: Filters,
    dates: DateColumn,
    kinds: tuple[Kind, ...],
    sites: Iterable[str],
) -> Tally:
    """The matching documents ``numbers`` counted ``by`` day, site or kind."""
    matched = list(numbers)
    if by == "kind":
        found = set(matched)
        by_kind = Counter({str(kind): len(found & filters.documents_of(kind)) for kind in kinds})
        return Tally(by, Counter(dict(by_kind)), len(found))
    if by == "site":
        found = set(matched)
        buckets: Counter[str | int] = Counter()
        sited: set[int] = set()
        for site in sites:
            at_site = found & filters.documents_at([site])
            sited |= at_site
            buckets[site] = len(at_site)
        return Tally(by, buckets, len(found), unsited=len(found - sited))
    values = dates.values()
    days: Counter[str | int] = Counter(values[number] // TICKS_A_DAY + 1 for number in matched)
    undated = days.pop(UNDATED // TICKS_A_DAY + 1, 0)
    return Tally(by, days, len(matched), undated)


def _most_first(buckets: list[tuple[str, int]]) -> tuple[Bucket, ...]:
    found = sorted((bucket for bucket in buckets if bucket[1]), key=lambda b: (-b[1], b[0]))
    return tuple(Bucket(key, count) for key, count in found)
