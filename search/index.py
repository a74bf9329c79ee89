"""An open index: the search library's facade over parsing, filtering, ranking and hits.

An :class:`Index` keeps one searcher open for all its queries; close it when
done (or use it as a context manager).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from whoosh import query as whoosh_query
from whoosh.util.times import long_to_datetime

from indexer.analysis import indexed_positions
from indexer.errors import QueryError, RecordNotFound
from indexer.manifest import open_index_storage
from indexer.records import KINDS, Record, Source
from indexer.storage import (
    PAGE_KIND,
    check_marker,
    document_ids,
    document_number,
    document_to_page,
    document_to_record,
    page_documents,
    page_keys,
    record_pages,
    stored_fields,
)
from search import top_hits
from search.counting import UNDATED, DateColumn, Tally, tally_matches
from search.dates import DateLike
from search.filters import Filters, Sites
from search.hits import make_hit
from search.options import MATCHES, SORTS, KindFilter, Match, Sort, fields_of, wanted_kinds
from search.query import QueryParser, phrase_of, positive_terms, words_and_mode
from search.ranking import (
    BM25_B,
    BM25_K1,
    BM25F,
    FIELD_WEIGHTS,
    admitted,
    matching,
    matching_phrase,
    score_every_match,
)
from search.results import COUNT_BY, CountBy, Counts, IndexStats, SearchResults
from search.suggestions import Speller

STEMS_CACHED = 65536
"""Words of the text whose stems an open index remembers, for marking matches."""
IDS_CACHED = 65536
"""Documents whose record id (from the id column) an open index remembers, for breaking ties."""


class Index:
    """An open index: run many searches on one searcher, then :meth:`close`."""

    def __init__(self, directory: Path, *, mmap: bool = False, shards: Sequence[int] = ()) -> None:
        """:param shards: of a sharded index, open only these (a worker of a
        cluster search, ``search.cluster``); all of them when empty."""
        self.directory = directory
        self._index = open_index_storage(directory, mmap=mmap, shards=shards)
        self._parser = QueryParser(self._index.schema)
        self._analyzer = self._index.schema["body"].analyzer
        self._stems_of = functools.lru_cache(maxsize=STEMS_CACHED)(self._analyzed)
        self._use(self._new_searcher())

    def _analyzed(self, word: str) -> tuple[str, ...]:
        """The index terms of a word of the text, as the analyzer makes them
        (through the writer's path past its token objects, three times as fast)."""
        return tuple(indexed_positions(word))

    def _new_searcher(self) -> Any:
        return self._index.searcher(weighting=BM25F(BM25_B, BM25_K1, FIELD_WEIGHTS))

    _known_expansions: dict[str, tuple[Any, ...]] | None = None
    """What patterns stand for, when a cluster search decided it over every shard."""
    _pairs_in_all: dict[tuple[int, str], int] | None = None
    """Documents with each two query words side by side, when a cluster search
    counted them over every shard (``search.ranking.matching``)."""

    def _use(self, searcher: Any) -> None:
        self._searcher = searcher
        # The record id of a document: the key that breaks ties in every order.
        self._record_id = functools.lru_cache(maxsize=IDS_CACHED)(document_ids(searcher))
        self._filters = Filters(searcher)
        self._speller = Speller(searcher, self._analyzer)
        self._dates = DateColumn(searcher)
        self._page_key = page_keys(searcher)
        self._stored_fields = stored_fields(searcher)
        self._record_pages = record_pages(searcher)

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._index.close()

    def refresh(self) -> None:
        """See what was committed since the index was opened (or last refreshed).

        :raises IndexNotFound, NotAnIndex: the folder is gone, or no longer holds an
            index this version reads (the searches made so far stay as they were)
        """
        if self._index.latest_generation() == self._searcher.reader().generation():
            return
        check_marker(self.directory)
        # Not Whoosh's Searcher.refresh: it reuses the open segment readers,
        # which know neither the documents the commit deleted nor that it
        # merged or cleared segments away (whoosh3 3.54), so replaced pages
        # and old documents stayed visible.
        fresh = self._new_searcher()
        self._searcher.close()
        self._use(fresh)

    def search(
        self,
        query: str,
        *,
        kind: KindFilter = None,
        since: DateLike | None = None,
        until: DateLike | None = None,
        sort: Sort = "relevance",
        limit: int = 10,
        offset: int = 0,
        match: Match = "all",
        site: Sites = None,
    ) -> SearchResults:
        """Ranked (BM25F) search; every word must match unless ``OR`` or ``match`` says otherwise.

        :param query: words, ``"phrases"``, ``OR``, ``NOT``, ``title:``/``body:``,
            ``prefix*`` and ``word~`` (fuzzy)
        :param kind: one kind, ``"all"``, or ``None`` for articles and headlines
        :param since: keep records published at or after this (UTC; a day means
            its start)
        :param until: keep records published at or before this (a day means
            its end)
        :param sort: ``"relevance"``, ``"newest"`` or ``"oldest"`` first
        :param match: ``"all"``: a record must have every word; ``"any"``: at
            least one, records with more of them (and rarer ones) first, for
            questions and other natural-language queries
        :param site: keep records seen on pages of this site (or of any of these)
        :raises QueryError: the query, a date or another argument cannot be understood
        """
        _check_arguments(kind, sort, limit, offset, match)
        parsed = self._parse(query, kind, match)
        where = _Where(kind, since, until, site)
        results = self._run(query, parsed, where, sort, limit, offset)
        if results.total == 0:
            suggestion = self._suggest(query, where)
            any_total = self._any_total(query, parsed, where) if match == "all" else 0
            return SearchResults(query, 0, offset, (), suggestion, any_total=any_total)
        return results

    def _any_total(self, query: str, parsed: whoosh_query.Query, where: _Where) -> int:
        """How many records have at least one of the words, when that differs from all."""
        any_parsed = self._parse(query, where.kind, "any")
        if any_parsed == parsed:
            return 0
        return self._run(query, any_parsed, where, "relevance", 1, 0).total

    def headlines(
        self,
        query: str | None = None,
        *,
        since: DateLike | None = None,
        until: DateLike | None = None,
        limit: int = 20,
        offset: int = 0,
        site: Sites = None,
    ) -> SearchResults:
        """Dated headlines, newest first; all of them when there is no query."""
        if query is None or not query.strip():
            _check_arguments("headline", "newest", limit, offset, "all")
            return self._every_headline(_Where("headline", since, until, site), limit, offset)
        return self.search(
            query,
            kind="headline",
            since=since,
            until=until,
            sort="newest",
            limit=limit,
            offset=offset,
            site=site,
        )

    def _every_headline(self, where: _Where, limit: int, offset: int) -> SearchResults:
        every = whoosh_query.Term("kind", "headline")
        return self._run(None, every, where, "newest", limit, offset)

    def count(
        self,
        query: str | None = None,
        *,
        by: CountBy = "day",
        kind: KindFilter = None,
        since: DateLike | None = None,
        until: DateLike | None = None,
        site: Sites = None,
        match: Match = "all",
    ) -> Counts:
        """How many records match (all records, without a query), by the ``day``,
        ``week``, ``month`` or ``year`` of their date (UTC), by ``site`` or by
        ``kind``: every match counted, none read from its stored document.

        Periods run from the first to the last with a match, empty ones as 0;
        matches without a date are counted apart (``Counts.undated``).
        """
        _check_arguments(kind, "relevance", 1, 0, match)
        if by not in COUNT_BY:
            raise QueryError(f"unknown count by {by!r}", hint=f"use one of {', '.join(COUNT_BY)}")
        where = _Where(kind, since, until, site)
        return self._tally(query, by, where, match).counts_in_order()

    def _tally(self, query: str | None, by: CountBy, where: _Where, match: Match) -> Tally:
        numbers = self._matches(query, where, match)
        sites = [_text(term) for term in self._searcher.reader().lexicon("site")]
        return tally_matches(
            numbers, by, self._filters, self._dates, wanted_kinds(where.kind), sites
        )

    def _matches(self, query: str | None, where: _Where, match: Match) -> list[int]:
        """Every document that matches, within the kinds, dates and sites asked for."""
        restriction = self._filters.restrict(*where)
        if restriction is None:
            return []
        found: Iterable[int]
        if query is None or not query.strip():
            every = [self._filters.documents_of(kind) for kind in wanted_kinds(where.kind)]
            found = set().union(*every)
        else:
            parsed = self._parse(query, where.kind, match)
            mode = words_and_mode(parsed)
            ranked = None
            if mode is not None:
                ranked = matching(self._searcher, mode[0], every=mode[1], near=False)
            if ranked is not None:
                found = ranked[0]
            else:
                found = list(self._searcher.docs_for_query(parsed))
                found, _ = self._records_only(parsed, found, [])
        keep, leave_out = restriction.get("filter"), restriction.get("mask")
        return [
            number
            for number in found
            if (keep is None or number in keep) and (not leave_out or number not in leave_out)
        ]

    def record(self, record_id: str) -> Record:
        """The whole record with this id, with every page (and line) it was seen on."""
        record_id = record_id.strip()
        number = document_number(self._searcher, record_id) if record_id else None
        fields = None if number is None else self._searcher.stored_fields(number)
        if fields is None or fields["kind"] == PAGE_KIND:
            raise RecordNotFound(
                f"no record with id {record_id!r}",
                hint="ids are shown by `newsdex search --json`",
            )
        sources = []
        for number in self._record_pages(record_id):
            page = document_to_page(self._searcher.stored_fields(number))
            lines = (line for found, line in page.records if found == record_id)
            sources.append(Source(page.key, next(lines, 0), page.site))
        return document_to_record(fields, tuple(sorted(sources)))

    def stats(self) -> IndexStats:
        """Counts of what the index holds, and the page files it skipped."""
        from indexer.report import PageWarning, Skipped  # a search never loads the report

        occurrences = pages = 0
        skipped: list[Skipped] = []
        warnings: list[PageWarning] = []
        for fields in page_documents(self._searcher):
            page = document_to_page(fields)
            if page.part:  # a sharded index's part of a page counted at its home
                occurrences += sum(1 for found, _ in page.records if found.startswith("h-"))
                continue
            if page.is_dump and page.skipped is None:
                continue
            warnings.extend(PageWarning(page.key, warning) for warning in page.warnings)
            if page.skipped is None:
                pages += 1
                occurrences += sum(1 for found, _ in page.records if found.startswith("h-"))
            else:
                skipped.append(Skipped(page.key, page.skipped))
        records = {kind: len(self._filters.documents_of(kind)) for kind in KINDS}
        reader = self._searcher.reader()
        sites = {
            site: len(self._filters.documents_at([site]))
            for site in (_text(term) for term in reader.lexicon("site"))
        }
        folders = getattr(self._index, "folders", [self.directory])
        size = sum(_file_size(path) for folder in folders for path in folder.iterdir())
        if folders != [self.directory] and getattr(self._index, "holds_first", True):
            size += sum(_file_size(path) for path in self.directory.iterdir())
        return IndexStats(
            self.directory,
            size,
            pages,
            records,
            occurrences,
            self._published_end(newest=False),
            self._published_end(newest=True),
            tuple(sorted(warnings, key=lambda warning: warning.path)),
            tuple(sorted(skipped, key=lambda skip: skip.path)),
            sum(1 for leaf, _ in reader.leaf_readers() if leaf.segment()),
            {site: count for site, count in sorted(sites.items(), key=lambda s: (-s[1], s[0]))},
        )

    def _published_end(self, *, newest: bool) -> datetime | None:
        """The newest (or oldest) date of a live record."""
        values = self._dates.values()
        live = (self._filters.documents_of(kind) for kind in KINDS)
        dated = [values[number] for numbers in live for number in numbers]
        dated = [value for value in dated if value != UNDATED]
        if not dated:
            return None
        moment: datetime = long_to_datetime(max(dated) if newest else min(dated))
        return moment.replace(tzinfo=UTC)

    def _parse(
        self, text: str, kind: KindFilter = None, match: Match = "all"
    ) -> whoosh_query.Query:
        reader = self._searcher.reader()
        return self._parser.parse(text, reader, kind, match, self._known_expansions)

    def _run(
        self,
        query: str | None,
        parsed: whoosh_query.Query,
        where: _Where,
        sort: Sort,
        limit: int,
        offset: int,
    ) -> SearchResults:
        best, total = self._ranked(parsed, where, sort, offset + limit)
        scored = sort == "relevance"
        return self._results(query, parsed, best[offset:], total, offset, scored=scored)

    def _ranked(
        self, parsed: whoosh_query.Query, where: _Where, sort: Sort, wanted: int
    ) -> tuple[list[tuple[int, float | None]], int]:
        """The ``wanted`` first matches in the order asked for, as (document,
        score) pairs (no score when sorted by date), and how many match."""
        restriction = self._filters.restrict(*where)
        if restriction is None:
            return [], 0
        if sort == "relevance":
            mode = words_and_mode(parsed)
            scored = None
            if mode is not None:
                words, every = mode
                scored = matching(
                    self._searcher, words, every=every, pairs_in_all=self._pairs_in_all
                )
            elif (phrase := phrase_of(parsed)) is not None:
                scored = matching_phrase(self._searcher, phrase)
            if scored is not None:
                numbers, scores = admitted(*scored, restriction)
            else:
                numbers, scores = score_every_match(self._searcher, parsed, restriction)
                numbers, scores = self._records_only(parsed, numbers, scores)
            best = top_hits.top(numbers, scores, wanted, self._record_id)
            return list(best), len(numbers)
        found = self._searcher.docs_for_query(parsed)
        numbers = self._admitted(found, restriction)
        numbers, _ = self._records_only(parsed, numbers, [])
        keys = self._date_keys(numbers, sort)
        ordered = top_hits.first(numbers, keys, wanted, self._record_id)
        return [(number, None) for number in ordered], len(numbers)

    def _date_keys(self, numbers: Sequence[int], sort: Sort) -> list[int]:
        return date_keys(self._dates.values(), numbers, newest_first=sort == "newest")

    def _records_only(
        self, parsed: whoosh_query.Query, numbers: list[int], scores: list[float]
    ) -> tuple[list[int], list[float]]:
        """The matches without page documents and deleted documents, which
        only a NOT can match (``x NOT y`` with ``match="any"`` is ``x OR NOT
        y``, and Whoosh's NOT matches every other document, deleted or not)."""
        if not _has_not(parsed):
            return numbers, scores
        pages = self._filters.page_documents()
        deleted = self._searcher.reader().is_deleted
        kept = [
            i for i, number in enumerate(numbers) if number not in pages and not deleted(number)
        ]
        return [numbers[i] for i in kept], [scores[i] for i in kept] if scores else []

    @staticmethod
    def _admitted(found: Iterable[int], restriction: dict[str, set[int]]) -> list[int]:
        keep, leave_out = restriction.get("filter"), restriction.get("mask")
        return [
            number
            for number in found
            if (keep is None or number in keep) and (not leave_out or number not in leave_out)
        ]

    def _results(
        self,
        query: str | None,
        parsed: whoosh_query.Query,
        found: Sequence[tuple[int, float | None]],
        total: int,
        offset: int,
        *,
        scored: bool,
    ) -> SearchResults:
        """The hits of these (document, score) pairs, with their snippets."""
        terms = positive_terms(parsed, self._searcher.reader())
        hits = tuple(
            make_hit(
                number,
                score if scored else None,
                terms,
                self._stems_of,
                self._page_key,
                self._stored_fields,
                self._record_pages,
            )
            for number, score in found
        )
        return SearchResults(query, total, offset, hits)

    def _suggest(self, text: str, where: _Where) -> str | None:
        """The query with misspelt words replaced, if that finds something."""
        kind = where.kind
        corrected = self._speller.corrected(text, fields_of(kind))
        if corrected == text:
            return None
        restriction = self._filters.restrict(*where)
        if restriction is None:
            return None
        # Suggested if it finds something, or if only "all the words" stops it:
        # the correction is worth saying beside what --any finds.
        for match in ("all", "any"):
            try:
                parsed = self._parse(corrected, kind, match)
            except QueryError:
                return None
            if len(self._searcher.search(parsed, limit=1, **restriction)):
                return corrected
        return None


def _has_not(query: whoosh_query.Query) -> bool:
    if isinstance(query, whoosh_query.Not):
        return True
    return any(_has_not(child) for child in query.children())


def date_keys(values: Sequence[int], numbers: Sequence[int], *, newest_first: bool) -> list[int]:
    """The documents' keys in a date order: the column's value (oldest first) or
    its complement (newest first); records without a date last either way."""
    if not newest_first:
        return [values[number] for number in numbers]
    return [UNDATED if values[n] == UNDATED else UNDATED - 1 - values[n] for n in numbers]


class _Where(NamedTuple):
    """Where a search looks: the kinds, dates and sites asked for."""

    kind: KindFilter
    since: DateLike | None
    until: DateLike | None
    sites: Sites


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _check_arguments(kind: KindFilter, sort: Sort, limit: int, offset: int, match: Match) -> None:
    """Refuse an argument the query itself is not to blame for, naming it."""
    wanted_kinds(kind)
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}", hint=f"use one of {', '.join(SORTS)}")
    if match not in MATCHES:
        raise QueryError(f"unknown match {match!r}", hint=f"use one of {', '.join(MATCHES)}")
    if limit < 1 or offset < 0:
        raise QueryError("limit must be at least 1 and offset at least 0")


def _file_size(path: Path) -> int:
    """A file's size; 0 for a folder, or for a file a commit removed just now."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:
        return 0


__all__ = ["Index"]
