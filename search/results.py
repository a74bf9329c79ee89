"""What a search returns: plain data, rendered as text, JSON or HTML at the edge."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from indexer.records import Kind

if TYPE_CHECKING:
    from indexer.report import PageWarning, Skipped


@dataclass(frozen=True)
class Snippet:
    """A short passage of a record's text and where the matched words are in it.

    ``marks`` are ``(start, end)`` character offsets into ``text``, sorted and
    not overlapping: ``text[start:end]`` is a matched word.
    """

    text: str
    marks: tuple[tuple[int, int], ...] = ()

    def parts(self) -> Iterator[tuple[str, bool]]:
        """The text in pieces, each with whether it is a match: what renderers need."""
        position = 0
        for start, end in self.marks:
            if start > position:
                yield self.text[position:start], False
            yield self.text[start:end], True
            position = end
        if position < len(self.text):
            yield self.text[position:], False


@dataclass(frozen=True)
class Hit:
    """One record that matched, with its score and a snippet."""

    id: str
    kind: Kind
    score: float | None
    """BM25F relevance; ``None`` when the results are sorted by date."""
    title: str
    """An article's caption, a headline's text, a footer's first line."""
    published: datetime | None
    """When it was published (UTC): a headline's stamp, an article's date as its
    page gave it; ``None`` if undated."""
    sources: tuple[str, ...]
    """Pages the record was seen on: the first ten (``Index.record`` has all)."""
    snippet: Snippet
    pages: int = 1
    """How many pages carry the record (a ticker headline: often many)."""
    sites: tuple[str, ...] = ()
    """The sites of the pages that carry it, sorted."""


@dataclass(frozen=True)
class SearchResults:
    """A page of hits, the total that matched, and a spelling suggestion if none did."""

    query: str | None
    """The query as given; ``None`` when all headlines were asked for."""
    total: int
    """How many records matched, every one counted."""
    offset: int
    hits: tuple[Hit, ...]
    suggestion: str | None = None
    any_total: int = 0
    """When no record has all the words: how many have at least one of them
    (what ``match="any"`` would find); else 0."""

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)


@dataclass(frozen=True)
class IndexStats:
    """What an index holds, and every page file it accounts for."""

    index_directory: Path
    size_bytes: int
    pages_indexed: int
    records: dict[Kind, int]
    headline_occurrences: int
    """Ticker entries seen across all pages; ``records["headline"]`` counts distinct ones."""
    first_published: datetime | None
    last_published: datetime | None
    warnings: tuple[PageWarning, ...]
    """What looked odd in pages that were indexed all the same, page by page."""
    skipped: tuple[Skipped, ...] = field(default=())
    segments: int = 1
    """Parts the index is stored in: each run that adds pages leaves one, and
    newsdex merges them as they pile up; each one costs every query a little."""
    sites: dict[str, int] = field(default_factory=dict)
    """Records by the site of their pages (a record seen on two sites counts for each)."""

    @property
    def pages_seen(self) -> int:
        """Every page the index accounts for: indexed or skipped with a reason."""
        return self.pages_indexed + len(self.skipped)


CountBy = Literal["day", "week", "month", "year", "site", "kind"]
COUNT_BY: tuple[CountBy, ...] = ("day", "week", "month", "year", "site", "kind")


@dataclass(frozen=True)
class Bucket:
    """How many records matched in one period (``2018-12-13``, ``2018-W50``,
    ``2018-12``, ``2018``), at one site, or of one kind."""

    key: str
    count: int


@dataclass(frozen=True)
class Counts:
    """How many records matched, by period, site or kind.

    Periods run from the first to the last with a record, empty ones
    included (count 0), in order; sites and kinds come most first.
    """

    by: CountBy
    buckets: tuple[Bucket, ...]
    total: int
    """Every record that matched, counted once."""
    undated: int = 0
    """By period: the records that matched and have no date."""
    unsited: int = 0
    """By site: the records that matched and no site is known for."""

    def __iter__(self) -> Iterator[Bucket]:
        return iter(self.buckets)
