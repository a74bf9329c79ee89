"""Filters: which documents a search may return, by kind, date and site."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from whoosh import query as whoosh_query

from indexer.errors import QueryError
from indexer.records import Kind
from indexer.sites import site_name
from indexer.storage import PAGE_KIND, to_naive_utc
from search.dates import DateLike, date_bound
from search.options import KindFilter, wanted_kinds

Sites = str | Sequence[str] | None
"""One site, several (a record of any of them), or ``None`` for every site."""


class Filters:
    """The kinds', dates' and sites' documents of one searcher, as Whoosh's
    ``filter`` or ``mask``.

    A kind's and a site's documents are found once and kept for the
    searcher's life.
    """

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._kind_documents: dict[Kind, set[int]] = {}
        self._site_documents: dict[str, set[int]] = {}
        self._pages: set[int] | None = None

    def restrict(
        self,
        kind: KindFilter,
        since: DateLike | None,
        until: DateLike | None,
        sites: Sites = None,
    ) -> dict[str, set[int]] | None:
        """Whoosh's ``filter`` or ``mask`` for the kinds, dates and sites asked for.

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
            leave_out = self.documents_of("headline")  # they share the title field
        elif wanted == ("headline",):
            keep = self.documents_of("headline")
        if since is not None or until is not None:
            start = to_naive_utc(date_bound(since)) if since is not None else None
            end = to_naive_utc(date_bound(until, end=True)) if until is not None else None
            if start is not None and end is not None and start > end:
                raise QueryError(
                    f"the date range is reversed: since {since} is after until {until}",
                    hint="swap the two dates",
                )
            in_range = whoosh_query.DateRange("published", start, end)
            dated = set(self._searcher.docs_for_query(in_range))
            keep = dated if keep is None else keep & dated
        if sites is not None:
            at_sites = self.documents_at(site_names(sites))
            keep = at_sites if keep is None else keep & at_sites
        if keep is not None:
            keep = keep - leave_out if leave_out else keep
            return {"filter": keep} if keep else None
        return {"mask": leave_out} if leave_out else {}

    def documents_of(self, kind: Kind) -> set[int]:
        """The kind's documents (a set Whoosh accepts as filter; never changed)."""
        if kind not in self._kind_documents:
            term = whoosh_query.Term("kind", kind)
            self._kind_documents[kind] = set(self._searcher.docs_for_query(term))
        return self._kind_documents[kind]

    def page_documents(self) -> set[int]:
        """The page bookkeeping documents (no search returns them)."""
        if self._pages is None:
            term = whoosh_query.Term("kind", PAGE_KIND)
            self._pages = set(self._searcher.docs_for_query(term))
        return self._pages

    def documents_at(self, sites: Iterable[str]) -> set[int]:
        """The records seen on pages of any of ``sites`` (a new set)."""
        found: set[int] = set()
        for site in sites:
            if site not in self._site_documents:
                term = whoosh_query.Term("site", site)
                self._site_documents[site] = set(self._searcher.docs_for_query(term))
            found |= self._site_documents[site]
        return found


def site_names(sites: str | Sequence[str]) -> list[str]:
    """Sites as the index names them (lowercase, no ``www.``); :class:`QueryError`
    for a name that is empty."""
    given = [sites] if isinstance(sites, str) else list(sites)
    names = []
    for site in given:
        name = site_name(site) if isinstance(site, str) else None
        if name is None:
            raise QueryError(f"bad site {site!r}", hint="name a site, such as bbc.co.uk")
        names.append(name)
    return names
