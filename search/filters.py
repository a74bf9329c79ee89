"""Filters: which documents a search may return, by kind and by date."""

from __future__ import annotations

from typing import Any

from whoosh import query as whoosh_query

from indexer.errors import QueryError
from indexer.records import Kind
from indexer.storage import to_naive_utc
from search.dates import DateLike, date_bound
from search.options import KindFilter, wanted_kinds


class Filters:
    """The kinds' and dates' documents of one searcher, as Whoosh's ``filter`` or ``mask``.

    A kind's documents are found once and kept for the searcher's life.
    """

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._kind_documents: dict[Kind, set[int]] = {}

    def restrict(
        self, kind: KindFilter, since: DateLike | None, until: DateLike | None
    ) -> dict[str, set[int]] | None:
        """Whoosh's ``filter`` or ``mask`` for the kinds and dates asked for.

        Most searches need neither: footers have a field of their own, so the
        fields searched already choose the kinds. Whoosh skips blocks of
        documents that cannot reach the top hits only when there is no filter
        or mask, and building one costs a pass over its postings, so the sets
        of a kind's documents are kept for the searcher's life. ``None``
        means nothing can match (Whoosh reads an empty filter as no filter).
        """
        wanted = wanted_kinds(kind)
        keep: set[int] | None = None
        leave_out: set[int] = set()
        if wanted == ("article",):
            leave_out = self._documents_of("headline")  # they share the title field
        elif wanted == ("headline",):
            keep = self._documents_of("headline")
        if since is not None or until is not None:
            start = to_naive_utc(date_bound(since)) if since is not None else None
            end = to_naive_utc(date_bound(until, end=True)) if until is not None else None
            if start is not None and end is not None and start > end:
                raise QueryError(
                    f"the date range is reversed: since {since} is after until {until}",
                    hint="swap the two dates",
                )
            dated = whoosh_query.DateRange("published", start, end)
            keep = set(self._searcher.docs_for_query(dated)) & (
                keep or self._documents_of("headline")
            )
        if keep is not None:
            keep = keep - leave_out if leave_out else keep
            return {"filter": keep} if keep else None
        return {"mask": leave_out} if leave_out else {}

    def _documents_of(self, kind: Kind) -> set[int]:
        """The kind's documents (a set Whoosh accepts as filter; never changed)."""
        if kind not in self._kind_documents:
            term = whoosh_query.Term("kind", kind)
            self._kind_documents[kind] = set(self._searcher.docs_for_query(term))
        return self._kind_documents[kind]
