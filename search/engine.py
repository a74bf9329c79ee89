"""The Whoosh side of searching: parse a query, run it, find what to highlight.

Only this module (and ``indexer/engine.py``, ``codec.py`` and ``merge.py``)
imports Whoosh. An :class:`Index` keeps one searcher open for all its
queries; close it when done (or use it as a context manager).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import query as whoosh_query
from whoosh import scoring, sorting
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.util.numeric import byte_to_length

from indexer.codec import NewsdexLeafMatcher, NewsdexPerDocReader
from indexer.engine import (
    PAGE_KIND,
    document_to_page,
    document_to_record,
    open_storage,
    pages_of,
    to_naive_utc,
)
from indexer.errors import QueryError, RecordNotFound
from indexer.location import index_directory
from indexer.pages import Skipped
from indexer.records import KINDS, Kind, Record, Source
from search import spelling, top_hits
from search.dates import DateLike, date_bound
from search.options import DEFAULT_KINDS, MATCHES, SORTS, KindFilter, Match, Sort
from search.results import Hit, IndexStats, SearchResults
from search.snippets import make_snippet, whole_snippet

SEARCHABLE_FIELDS = ("title", "body", "boilerplate")
FIELDS_OF_KIND: dict[Kind, tuple[str, ...]] = {
    "article": ("title", "body"),
    "headline": ("title",),
    "footer": ("boilerplate",),
}
MAX_HIT_SOURCES = 10
"""A hit names at most this many of its pages; ``Hit.pages`` counts them all and
``Index.record`` lists every one."""
_WORD = re.compile(r"[^\W\d_]{3,}")
STEMS_CACHED = 65536
"""Words of the text whose stems an open index remembers, for marking matches."""
SPELLING_DISTANCE = 2
"""Edits a suggestion may be away from the word typed: most typos are one or two."""
SPELLING_DOCUMENTS_READ = 1000
"""At most this many stored documents are read to check how the text spells a word
(a few milliseconds): a rare spelling of a frequent stem may be missed."""
SPELLING_STEM_DOCUMENTS = 200
"""A spelling in none of its stem's first this many documents is taken as too rare
to suggest: a frequent stem ("wa", 2,375 documents) must not eat the whole budget."""
SPELLING_SAMPLE = 50
"""Words one edit from a typo that share a stem are told apart by how many of the
stem's first this many documents spell each."""
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO"}
BM25_K1 = 1.2
BM25_B = 0.75
"""BM25's term-frequency saturation and length normalisation: Whoosh's defaults,
which scored better on BEIR SciFact than Lucene's k1=0.9, b=0.4 (see README,
Search quality)."""
TITLE_WEIGHT = 0.5
"""How much a match in an article's caption (or a headline) counts against one in
the body. Scores of fields add up, so a word in both caption and body already
counts twice; half a weight for the caption keeps it ahead of the body without
letting a caption word outweigh the text (SciFact nDCG@10: 0.658 at 1.0, 0.688
at 0.5). Applied by the scorer, to every title match however the query names
the field: as a query boost, Whoosh wraps every title posting list in one more
matcher."""
FIELD_WEIGHTS = {"title": TITLE_WEIGHT}

# Bounds on queries that expand to many index words. Whoosh ORs together every
# word a pattern, range or fuzzy term expands to; on 5,000 pages `?*` (25,000
# words) took 19 s and `ab~9` 40 s. Lucene has the same limits (no leading
# wildcard, at most 2 edits, at most 1,024 clauses; this one is stricter).
MAX_QUERY_CHARACTERS = 1000
"""Longer queries are refused: Whoosh's parser takes time quadratic in some
queries' length (10,000 "[" took 8 s), and no one types a query this long."""
MAX_CORRECTED_LETTERS = 40
"""Longer words get no spelling suggestion: Whoosh's edit-distance automaton
for a 10,000-letter word took 24 s to build."""
MIN_PATTERN_LETTERS = 2
"""Letters a wildcard needs before its first * or ?: `*ing` scans every word."""
MAX_FUZZY_EDITS = 2
MIN_FUZZY_SAME_LETTERS = 1
"""A fuzzy word's matches share its first letter (as most typos do): 15x fewer words to try."""
MAX_EXPANSIONS = 256
"""Index words the patterns, ranges and fuzzy words of one query may stand for,
all fields together. Query time grows with it: on 5,000 generated pages `co*`
took 3.1 s under a limit of 1,024 (Lucene's); under this one the slowest of
228 pathological queries (every 2-letter prefix, fuzzy short words, ranges)
took 1.4 s, the median 0.3 s. Time grows with the index's postings too."""
MAX_PATTERNS = 10
"""Patterns, ranges and fuzzy words in one query: each costs a walk of the index's words."""
_FIELD_NAME = re.compile(r"(?<![\w:])(\w+):")


def open_index(index: str | Path | None = None, *, mmap: bool = False) -> Index:
    """Open the index at ``index`` (default: ``$NEWSDEX_INDEX`` or the user's data folder).

    :param mmap: let Whoosh copy the postings into memory when it opens:
        slower to open and about twice the index size in memory, queries
        about 15% faster (50,000-page benchmark: open 2 -> 131 ms, query
        RSS 33 -> 653 MB, p50 7.6 -> 6.4 ms). Off by default: memory that
        grows with the index is the wrong default for a library.
    """
    return Index(index_directory(index), mmap=mmap)


class Index:
    """An open index: run many searches on one searcher, then :meth:`close`."""

    def __init__(self, directory: Path, *, mmap: bool = False) -> None:
        self.directory = directory
        self._index = open_storage(directory, mmap=mmap)
        self._searcher = self._new_searcher()
        self._parsers: dict[tuple[tuple[str, ...], Match], MultifieldParser] = {}
        self._analyzer = self._index.schema["body"].analyzer
        self._stems_of = functools.lru_cache(maxsize=STEMS_CACHED)(self._analyzed)
        self._kind_documents: dict[Kind, set[int]] = {}

    def _analyzed(self, word: str) -> tuple[str, ...]:
        """The index terms of a word of the text, as the analyzer makes them."""
        return tuple(token.text for token in self._analyzer(word))

    def __enter__(self) -> Index:
        return self

    def _new_searcher(self) -> Any:
        return self._index.searcher(weighting=_BM25F(BM25_B, BM25_K1, FIELD_WEIGHTS))

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
        """See what was committed since the index was opened (or last refreshed)."""
        if self._index.latest_generation() == self._searcher.reader().generation():
            return
        # Not Whoosh's Searcher.refresh: it reuses the open segment readers,
        # which know neither the documents the commit deleted nor that it
        # merged or cleared segments away (whoosh3 3.54), so replaced pages
        # and old documents stayed visible.
        fresh = self._new_searcher()
        self._searcher.close()
        self._searcher = fresh
        self._kind_documents.clear()

    def _restrict(
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
        wanted = _wanted_kinds(kind)
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
                return None  # Whoosh would swap the bounds
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
        count: bool = True,
        match: Match = "all",
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
        :param count: no longer changes anything, kept for callers written for
            it: every total is exact, as finding the top hits sees every match
        :param match: ``"all"``: a record must have every word; ``"any"``: at
            least one, records with more of them (and rarer ones) first, for
            questions and other natural-language queries
        :raises QueryError: the query or a date cannot be understood
        """
        if match not in MATCHES:
            raise QueryError(f"unknown match {match!r}", hint=f"use one of {MATCHES}")
        parsed = self._parse(query, kind, match)
        results = self._run(parsed, kind, since, until, sort, limit, offset)
        if results.total == 0:
            suggestion = self._suggest(query, kind, since, until)
            any_total = self._any_total(query, parsed, kind, since, until) if match == "all" else 0
            return SearchResults(query, 0, offset, (), suggestion, any_total=any_total)
        return results

    def _any_total(
        self,
        query: str,
        parsed: whoosh_query.Query,
        kind: KindFilter,
        since: DateLike | None,
        until: DateLike | None,
    ) -> int:
        """How many records have at least one of the words, when that differs from all."""
        any_parsed = self._parse(query, kind, "any")
        if any_parsed == parsed:
            return 0
        return self._run(any_parsed, kind, since, until, "relevance", 1, 0).total

    def headlines(
        self,
        query: str | None = None,
        *,
        since: DateLike | None = None,
        until: DateLike | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResults:
        """Dated headlines, newest first; all of them when there is no query."""
        if query is None or not query.strip():
            every = whoosh_query.Term("kind", "headline")
            return self._run(every, "headline", since, until, "newest", limit, offset)
        return self.search(
            query,
            kind="headline",
            since=since,
            until=until,
            sort="newest",
            limit=limit,
            offset=offset,
        )

    def record(self, record_id: str) -> Record:
        """The whole record with this id, with every page (and line) it was seen on."""
        record_id = record_id.strip()
        fields = self._searcher.document(id=record_id)
        if fields is None or fields["kind"] == PAGE_KIND:
            raise RecordNotFound(
                f"no record with id {record_id!r}",
                hint="ids are shown by `newsdex search --json`",
            )
        sources = []
        for number in pages_of(self._searcher, record_id):
            page = document_to_page(self._searcher.stored_fields(number))
            lines = (line for found, line in page.records if found == record_id)
            sources.append(Source(page.key, next(lines, 0)))
        return document_to_record(fields, tuple(sorted(sources)))

    def stats(self) -> IndexStats:
        """Counts of what the index holds, and the page files it skipped."""
        occurrences = warnings = pages = 0
        skipped: list[Skipped] = []
        for fields in self._searcher.documents(kind=PAGE_KIND):
            page = document_to_page(fields)
            if page.is_dump and page.skipped is None:
                continue
            warnings += len(page.warnings)
            if page.skipped is None:
                pages += 1
                occurrences += sum(1 for found, _ in page.records if found.startswith("h-"))
            else:
                skipped.append(Skipped(page.key, page.skipped))
        records = {
            kind: sum(1 for _ in self._searcher.docs_for_query(whoosh_query.Term("kind", kind)))
            for kind in KINDS
        }
        size = sum(_file_size(path) for path in self.directory.iterdir())
        return IndexStats(
            self.directory,
            size,
            pages,
            records,
            occurrences,
            self._published_end(newest=False),
            self._published_end(newest=True),
            warnings,
            tuple(sorted(skipped, key=lambda skip: skip.path)),
            len(self._searcher.reader().leaf_readers()),
        )

    def _published_end(self, *, newest: bool) -> datetime | None:
        every = whoosh_query.Term("kind", "headline")
        found = self._searcher.search(every, sortedby="published", reverse=newest, limit=1)
        return _aware(found[0]["published"]) if len(found) else None

    def _parser(self, kind: KindFilter, match: Match) -> MultifieldParser:
        fields = _fields_of(kind)
        if (fields, match) not in self._parsers:
            group = {"group": OrGroup} if match == "any" else {}
            parser = MultifieldParser(list(fields), self._index.schema, **group)
            parser.add_plugin(FuzzyTermPlugin())
            self._parsers[fields, match] = parser
        return self._parsers[fields, match]

    def _parse(
        self, text: str, kind: KindFilter = None, match: Match = "all"
    ) -> whoosh_query.Query:
        """A Whoosh query, or a :class:`QueryError` that says what to fix."""
        if len(text) > MAX_QUERY_CHARACTERS:
            raise QueryError(
                f"the query is {len(text):,} characters long; the limit is"
                f" {MAX_QUERY_CHARACTERS:,}",
                hint="search for fewer words",
            )
        shown = _shortened(text)
        if text.count('"') % 2:
            raise QueryError(
                f"unbalanced quote in query {shown}",
                hint='close the phrase with a second "',
            )
        if text.count("(") != text.count(")"):
            raise QueryError(f"unbalanced parenthesis in query {shown}")
        self._check_field_names(text, shown)
        try:
            parsed = self._plain_words_query(text, kind, match)
            if parsed is None:
                parsed = self._parser(kind, match).parse(text)
        except Exception as error:  # Whoosh raises many types for odd input
            raise QueryError(f"cannot parse query {shown}: {error}") from error
        if parsed is whoosh_query.NullQuery or isinstance(parsed, type(whoosh_query.NullQuery)):
            raise QueryError(
                f"query {shown} has no word to search for",
                hint="very common words such as 'the' are not indexed",
            )
        for leaf in parsed.leaves():
            field = leaf.field()
            if field is not None and field not in SEARCHABLE_FIELDS:
                raise QueryError(
                    f"cannot search the field {field!r}",
                    hint="use title: or body:, and --kind, --since, --until",
                )
        expanded = _Expansions()
        bounded = functools.partial(self._bounded, kinds=_wanted_kinds(kind), expanded=expanded)
        return parsed.accept(bounded)

    def _plain_words_query(
        self, text: str, kind: KindFilter, match: Match
    ) -> whoosh_query.Query | None:
        """The query Whoosh's parser makes of plain words, which most queries
        are, made without it (``None`` for any other query).

        Parsing took 0.23 ms, 7% of a rare word's query at 50,000 pages. The
        parser's own ``term_query`` analyses each word, so the query is the
        same, object for object (``tests/test_search.py`` checks).
        """
        words = text.split()
        if match != "all" or not _PLAIN_WORDS.fullmatch(text) or _OPERATORS.intersection(words):
            return None
        parser = self._parser(kind, match)
        fields = _fields_of(kind)
        groups = []
        for word in words:
            terms = [parser.term_query(field, word, whoosh_query.Term) for field in fields]
            found = [term for term in terms if term is not None]
            if found:
                groups.append(whoosh_query.Or(found))
        return whoosh_query.And(groups).normalize()

    def _check_field_names(self, text: str, shown: str) -> None:
        """Refuse `id:x` (not a text field) and `title:` with nothing after it.

        Whoosh would search `title:` for the word "title", and reads a name
        that is not a field of the index (`nosuch:word`) as words, as here.
        """
        unquoted = re.sub(r'"[^"]*"', " ", text)
        for named in _FIELD_NAME.finditer(unquoted):
            field, after = named[1], unquoted[named.end() : named.end() + 1]
            if field not in self._index.schema.names():
                continue
            if field not in SEARCHABLE_FIELDS:
                raise QueryError(
                    f"cannot search the field {field!r}",
                    hint="use title: or body:, and --kind, --since, --until",
                )
            if not after.strip() or after == ")":
                raise QueryError(
                    f"nothing to search for after '{field}:' in query {shown}",
                    hint=f"write the word right after the colon: {field}:brexit",
                )

    def _bounded(
        self, query: whoosh_query.Query, kinds: tuple[Kind, ...], expanded: _Expansions
    ) -> whoosh_query.Query:
        """The query part as it is run, or a :class:`QueryError` if it would expand too far.

        Applied to every part of a parsed query in turn, adding up in
        ``expanded``: see :data:`MAX_EXPANSIONS` and :data:`MAX_PATTERNS`.
        """
        if isinstance(query, whoosh_query.Every):
            # `*` alone: every record of the kinds asked (that have the field).
            # Whoosh's own reads every posting of the field (15 s on 5,000
            # pages), and `*:*` would match the page documents too.
            field = query.field()
            return whoosh_query.Or(
                [
                    whoosh_query.Term("kind", kind)
                    for kind in kinds
                    if field is None or field in FIELDS_OF_KIND[kind]
                ]
            )
        if isinstance(query, whoosh_query.Prefix | whoosh_query.Wildcard):
            letters = re.split(r"[*?\[]", query.text, maxsplit=1)[0]
            if len(letters) < MIN_PATTERN_LETTERS:
                raise QueryError(
                    f"{query.text!r} has fewer than {MIN_PATTERN_LETTERS} letters before its"
                    " first * or ?",
                    hint="too many words would match; give more letters",
                )
        if isinstance(query, whoosh_query.FuzzyTerm):
            if query.maxdist > MAX_FUZZY_EDITS:
                raise QueryError(
                    f"{query.text}~{query.maxdist} allows more than {MAX_FUZZY_EDITS} edits",
                    hint="use word~ (one edit) or word~2",
                )
            query.prefixlength = max(query.prefixlength, MIN_FUZZY_SAME_LETTERS)
        if isinstance(query, whoosh_query.MultiTerm):
            typed = str(query).split(":", 1)[-1]  # without the field: as typed
            expanded.patterns.add((type(query).__name__, typed))
            if len(expanded.patterns) > MAX_PATTERNS:
                raise QueryError(
                    f"the query has more than {MAX_PATTERNS} patterns, ranges and fuzzy words",
                    hint="search for fewer of them at a time",
                )
            allowed = MAX_EXPANSIONS - expanded.words
            words = itertools.islice(query.expanded_terms(self._searcher.reader()), allowed + 1)
            expanded.words += sum(1 for _ in words)
            if expanded.words > MAX_EXPANSIONS:
                raise QueryError(
                    f"{typed!r} takes the query past {MAX_EXPANSIONS:,} words of the index"
                    " (its patterns, ranges and fuzzy words together)",
                    hint="give more letters, or search the words themselves",
                )
        return query

    def _run(
        self,
        parsed: whoosh_query.Query,
        kind: KindFilter,
        since: DateLike | None,
        until: DateLike | None,
        sort: Sort,
        limit: int,
        offset: int,
    ) -> SearchResults:
        if limit < 1 or offset < 0:
            raise QueryError("limit must be at least 1 and offset at least 0")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}", hint=f"use one of {SORTS}")
        restriction = self._restrict(kind, since, until)
        if restriction is None:
            return SearchResults(str(parsed), 0, offset, ())
        if sort == "relevance" and (words := _words_of(parsed)) is not None:
            ranked = self._rank_words(words, restriction, offset + limit)
            if ranked is not None:
                best, total = ranked
                return self._results(parsed, best[offset:], total, offset, scored=True)
        options: dict[str, Any] = {"limit": offset + limit, **restriction}
        if sort != "relevance":
            options["sortedby"] = _date_order(newest_first=sort == "newest")
        results = self._search_every_match(parsed, options)
        found = [(hit.docnum, hit.score) for hit in results[offset : offset + limit]]
        return self._results(parsed, found, len(results), offset, scored=sort == "relevance")

    def _results(
        self,
        parsed: whoosh_query.Query,
        found: Sequence[tuple[int, float | None]],
        total: int,
        offset: int,
        *,
        scored: bool,
    ) -> SearchResults:
        """The hits of these (document, score) pairs, with their snippets."""
        terms = _positive_terms(parsed, self._searcher.reader())
        hits = tuple(
            _hit(self._searcher, number, score if scored else None, terms, self._stems_of)
            for number, score in found
        )
        return SearchResults(str(parsed), total, offset, hits)

    def _rank_words(
        self, words: list[list[tuple[str, str]]], restriction: dict[str, set[int]], wanted: int
    ) -> tuple[list[tuple[int, float]], int] | None:
        """The ``wanted`` best matches of a query of words (:func:`_words_of`),
        best first, and how many there are, worked out by :mod:`search.top_hits`;
        ``None`` if a scorer is not newsdex's (an index of another codec): Whoosh
        runs it then."""
        weighting = self._searcher.weighting
        keep, leave_out = restriction.get("filter"), restriction.get("mask")
        all_numbers: list[int] = []
        all_scores: list[float] = []
        for searcher, offset in self._searcher.leaf_searchers():
            reader = searcher.reader()
            segment_words: list[list[top_hits.Term]] = []
            for word in words:
                terms = []
                for field, text in word:
                    if (field, text) not in reader:
                        continue
                    scorer = weighting.scorer(searcher, field, text)
                    if not isinstance(scorer, _BM25FScorer) or scorer.lengths is None:
                        return None
                    postings = _Postings(reader.postings(field, text))
                    documents = reader.doc_frequency(field, text)
                    terms.append(top_hits.Term(postings, documents, scorer.scores))
                segment_words.append(terms)
            numbers, scores = top_hits.matches(segment_words)
            deleted = reader.deleted_docs_set
            numbers = [number + offset for number in numbers]
            if deleted or keep is not None or leave_out:
                admitted = [
                    (number, score)
                    for number, score in zip(numbers, scores, strict=True)
                    if number - offset not in deleted
                    and (keep is None or number in keep)
                    and (not leave_out or number not in leave_out)
                ]
                numbers, scores = [n for n, _ in admitted], [s for _, s in admitted]
            all_numbers.extend(numbers)
            all_scores.extend(scores)
        return top_hits.top(all_numbers, all_scores, wanted), len(all_numbers)

    def _search_every_match(self, parsed: whoosh_query.Query, options: dict[str, Any]) -> Any:
        """Whoosh's search, scoring every match.

        Whoosh's shortcuts for top hits lose some: an AND-like matcher skips
        blocks of one posting list on the best score of the other list's
        current block, which lies over other documents (``AndMaybeMatcher``'s
        and ``IntersectionMatcher``'s ``skip_to_quality``), and rewrites
        itself (``replace``) on such bounds as it goes. At 50,000 pages "play
        game" lost its best match in one build of the benchmark and its
        third-best in the next. Queries of plain words do not come here
        (:meth:`_rank_words`).
        """
        collector = self._searcher.collector(optimize=False, **options)
        scored = collector
        while hasattr(scored, "child"):  # a filter or mask wraps the collector that scores
            scored = scored.child
        scored.replace = 0
        self._searcher.search_with_collector(parsed, collector)
        return collector.results()

    def _suggest(
        self,
        text: str,
        kind: KindFilter,
        since: DateLike | None,
        until: DateLike | None,
    ) -> str | None:
        """The query with misspelt words replaced, if that finds something."""
        fields = _fields_of(kind)
        corrected = text
        for found in reversed(list(_WORD.finditer(text))):
            word = found.group()
            after = text[found.end() : found.end() + 1]
            if word in _OPERATORS or after in (":", "*", "?", "~"):
                continue
            if len(word) > MAX_CORRECTED_LETTERS:
                continue
            replacement = self._correct(word.lower(), fields)
            if replacement is not None:
                corrected = corrected[: found.start()] + replacement + corrected[found.end() :]
        if corrected == text:
            return None
        try:
            parsed = self._parse(corrected, kind)
        except QueryError:
            return None
        restriction = self._restrict(kind, since, until)
        if restriction is None:
            return None
        found_any = self._searcher.search(parsed, limit=1, **restriction)
        return corrected if len(found_any) else None

    def _correct(self, word: str, fields: tuple[str, ...]) -> str | None:
        """A word of the text of ``fields`` close to ``word``, or None if ``word`` is known.

        The index holds stems, not words, and stems are no guide to how far
        apart two words are ("elecion" is one edit from "election" but its
        stem is nearest "electioneering"'s). So the words one edit away are
        tried first, each kept when its stem is in the index and the text
        spells it so; only if none is, the nearest stems within two edits.
        """
        stem = self._stem(word)
        if stem is None or any((field, stem) in self._searcher.reader() for field in fields):
            return None
        return self._one_edit_away(word, fields) or self._two_edits_away(word, stem, fields)

    def _stem(self, word: str) -> str | None:
        stems = [token.text for token in self._analyzer(word)]
        return stems[0] if len(stems) == 1 else None  # else a stop word, or not one word

    def _one_edit_away(self, word: str, fields: tuple[str, ...]) -> str | None:
        """The commonest word of the text one edit from ``word``.

        Words are ranked by their stem's frequency; words sharing a stem
        ("kilogram", "kilograms") by how many of the stem's documents spell them so.
        """
        edits = spelling.single_edits(word)
        # One analyzer call for all of them: they are letters only, so each is
        # one token, and stop words are kept in place to line the two up.
        stems = [token.text for token in self._analyzer(" ".join(edits), removestops=False)]
        if len(stems) != len(edits):
            return None
        reader = self._searcher.reader()
        frequencies: dict[str, int] = {}
        for stem in set(stems):
            frequency = sum(reader.doc_frequency(field, stem) for field in fields)
            if frequency:
                frequencies[stem] = frequency
        spellings: dict[str, list[str]] = {}
        for edit, stem in zip(edits, stems, strict=True):
            if stem in frequencies:
                spellings.setdefault(stem, []).append(edit)
        budget = SPELLING_DOCUMENTS_READ
        for stem in sorted(spellings, key=lambda stem: (-frequencies[stem], stem)):
            limit = min(budget, SPELLING_STEM_DOCUMENTS)
            counts, read = self._spellings_in_text(spellings[stem], stem, fields, limit)
            if counts:
                return max(spellings[stem], key=lambda edit: counts.get(edit, 0))
            budget -= read
            if budget <= 0:
                break
        return None

    def _spellings_in_text(
        self, words: list[str], stem: str, fields: tuple[str, ...], limit: int
    ) -> tuple[dict[str, int], int]:
        """How many documents holding ``stem`` spell it as each of ``words``, and
        how many documents were read to find out.

        A stem in the index says only that some word stems to it: "tinned"
        stems to "tin" but may be in no text. Counts over the stem's first
        :data:`SPELLING_SAMPLE` documents (one will do when there is only one
        word to check), reading on only until a spelling is found, and at most
        ``limit`` documents.
        """
        spelt = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, words))})(?!\w)", re.IGNORECASE)
        counts: dict[str, int] = {}
        read = 0
        for field in fields:
            for number in self._searcher.docs_for_query(whoosh_query.Term(field, stem)):
                enough = counts and (len(words) == 1 or read >= SPELLING_SAMPLE)
                if enough or read >= limit:
                    return counts, read
                read += 1
                text = self._searcher.stored_fields(number).get(field) or ""
                for found in {match.lower() for match in spelt.findall(text)}:
                    counts[found] = counts.get(found, 0) + 1
        return counts, read

    def _two_edits_away(self, word: str, stem: str, fields: tuple[str, ...]) -> str | None:
        """The nearest stem within two edits of ``stem`` with its first letter, spelt as
        the text spells it."""
        reader = self._searcher.reader()
        # Only among terms sharing the first letter: most typos keep it, and
        # searching the whole lexicon took 0.4-0.9 s a word on 5,000 pages.
        # A slip in the first letter is still found when it is the only one.
        candidates: dict[str, int] = {}
        for field in fields:
            for candidate in reader.terms_within(field, stem, SPELLING_DISTANCE, prefix=1):
                candidates[candidate] = candidates.get(candidate, 0) + reader.frequency(
                    field, candidate
                )
        best_stem = spelling.closest(stem, candidates.items())
        if best_stem is None:
            return None
        return self._surface_word(best_stem, word, fields)

    def _surface_word(self, stem: str, typed: str, fields: tuple[str, ...]) -> str:
        """How the text spells ``stem``: the spelling nearest to what was typed."""
        spellings: set[str] = set()
        for field in fields:
            for hit in self._searcher.search(whoosh_query.Term(field, stem), limit=3):
                text = hit.get(field) or ""
                spellings.update(
                    text[token.startchar : token.endchar].lower()
                    for token in self._analyzer(text, chars=True)
                    if token.text == stem
                )
        ranked = [(spelling.edit_distance(typed, form), form) for form in spellings]
        return min(ranked)[1] if ranked else stem


_PLAIN_WORDS = re.compile(r"\s*\w+(?:\s+\w+)*\s*")


def _fields_of(kind: KindFilter) -> tuple[str, ...]:
    """The fields a search of ``kind`` looks in."""
    return tuple(dict.fromkeys(field for k in _wanted_kinds(kind) for field in FIELDS_OF_KIND[k]))


def _file_size(path: Path) -> int:
    """A file's size; 0 for a folder, or for a file a commit removed just now."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:
        return 0


def _records_with(searcher: Any, field: str) -> int:
    """How many records have ``field`` (page documents and other kinds do not)."""
    reader = searcher.reader()
    kinds = [kind for kind in KINDS if field in FIELDS_OF_KIND[kind]]
    return max(int(sum(reader.doc_frequency("kind", kind) for kind in kinds)), 1)


def _length_codes(reader: Any, field: str) -> bytes | None:
    """The field's length code of every document of one segment (read once, kept by
    the codec's reader); ``None`` if the segment's codec does not keep them or
    no document has the field (the scorer then asks Whoosh)."""
    per_document = getattr(reader, "_perdoc", None)
    if not isinstance(per_document, NewsdexPerDocReader):
        return None
    return per_document.length_codes(field)


class _BM25F(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F with each field's statistics taken over the records having it.

    Whoosh divides a field's total length, and the idf, by every document in
    the index: page bookkeeping and headlines too, which makes articles look
    twice their length. Here the average length and the idf (Lucene's form,
    ``log(1 + (N - n + 0.5) / (n + 0.5))``) count only the records the field
    belongs to.

    A field's matches count ``weights[field]`` times (1 if not given).
    One instance serves one searcher, so the record counts it works out once
    per field are kept for the searcher's life.
    """

    def __init__(self, B: float, K1: float, weights: dict[str, float]) -> None:
        super().__init__(B=B, K1=K1)
        self._weights = weights
        self._records: dict[str, int] = {}

    def _records_with(self, searcher: Any, field: str) -> int:
        if field not in self._records:
            self._records[field] = _records_with(searcher, field)
        return self._records[field]

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        documents = self._records_with(parent, fieldname)
        having = parent.doc_frequency(fieldname, text)
        return math.log(1 + (documents - having + 0.5) / (having + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        parent = searcher.get_parent()
        average = parent.field_length(fieldname) / self._records_with(parent, fieldname)
        b = self._field_B.get(fieldname, self.B)
        lengths = _length_codes(searcher.reader(), fieldname)
        weight = self._weights.get(fieldname, 1.0)
        return _BM25FScorer(searcher, fieldname, text, b, self.K1, average or 1, lengths, weight)


class _BM25FScorer(scoring.BM25FScorer):  # type: ignore[misc]
    """Whoosh's BM25F scorer, with the length part of the formula worked out once
    for each of the 256 length codes, lengths read from memory, and the field's
    weight applied (to block and best-case scores too, so skipping stays right)."""

    def __init__(
        self,
        searcher: Any,
        fieldname: str,
        text: str,
        b: float,
        k1: float,
        average: float,
        lengths: bytes | None,
        field_weight: float,
    ) -> None:
        self._field_weight = field_weight
        self.idf = searcher.get_parent().idf(fieldname, text)
        self.avgfl = average
        self.B = b
        self.K1 = k1
        self.setup(searcher, fieldname, text)
        self._lengths = lengths
        # The terms of scoring.bm25, computed in the same order, so scores
        # are the same to the last bit.
        self._saturation = k1 + 1
        self._norms = _length_norms(b, k1, average)

    @property
    def lengths(self) -> bytes | None:
        """The segment's length codes of the field, if the codec keeps them."""
        return self._lengths

    def _score(self, weight: float, length: int) -> float:
        return float(super()._score(weight, length) * self._field_weight)

    def scores(self, numbers: Sequence[int], weights: Sequence[float]) -> list[float]:
        """:meth:`score` of each of these documents holding the term with these
        weights, in one pass (needs :attr:`lengths`)."""
        assert self._lengths is not None
        idf, saturation, field_weight = self.idf, self._saturation, self._field_weight
        norms, lengths = self._norms, self._lengths
        return [
            float(idf * ((weight * saturation) / (weight + norms[lengths[number]])) * field_weight)
            for number, weight in zip(numbers, weights, strict=True)
        ]

    def score(self, matcher: Any) -> float:
        if self._lengths is None:
            return float(super().score(matcher))
        weight = matcher.weight()
        norm = self._norms[self._lengths[matcher.id()]]
        return float(
            self.idf * ((weight * self._saturation) / (weight + norm)) * self._field_weight
        )


@functools.lru_cache(maxsize=64)
def _length_norms(b: float, k1: float, average: float) -> tuple[float, ...]:
    """BM25's length part for each of the 256 length codes (one field of one index)."""
    return tuple(k1 * ((1 - b) + b * byte_to_length(code) / average) for code in range(256))


@dataclasses.dataclass
class _Expansions:
    """What the patterns of one query expanded to so far."""

    words: int = 0
    patterns: set[tuple[str, str]] = dataclasses.field(default_factory=set)


def _shortened(text: str) -> str:
    """The query as error messages quote it: one line, at most about 60 characters."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _wanted_kinds(kind: KindFilter) -> tuple[Kind, ...]:
    if kind == "all":
        return KINDS
    if kind is None:
        return DEFAULT_KINDS
    if kind in KINDS:
        return (kind,)
    raise QueryError(f"unknown kind {kind!r}", hint="use article, headline, footer or all")


# Whoosh gives records without a date the largest sort key; newest-first
# would put every undated article before the headlines. Undated go last.
_UNDATED = 2**64 - 1


def _date_order(*, newest_first: bool) -> sorting.FacetType:
    published = sorting.FieldFacet("published")
    if not newest_first:
        return published
    return sorting.TranslateFacet(lambda key: (key == _UNDATED, -key), published)


def _words_of(parsed: whoosh_query.Query) -> list[list[tuple[str, str]]] | None:
    """The query as words, each the (field, term) pairs any of which it may match
    in, if it is only that: a term, an OR of one term in each of several
    fields (one word, as the parser makes it), or an AND of those. ``None``
    for any other query (phrases, patterns, NOT, boosts...)."""
    parts = parsed.subqueries if type(parsed) is whoosh_query.And else [parsed]
    if parsed.boost != 1:
        return None
    words = []
    for part in parts:
        alternatives = part.subqueries if type(part) is whoosh_query.Or else [part]
        if part.boost != 1 or (type(part) is whoosh_query.Or and (part.scale or part.minmatch)):
            return None
        word = []
        for term in alternatives:
            if type(term) is not whoosh_query.Term or term.boost != 1:
                return None
            if term.fieldname not in SEARCHABLE_FIELDS or not isinstance(term.text, str):
                return None
            word.append((term.fieldname, term.text))
        if len({field for field, _ in word}) != len(word):
            return None  # several terms of one field: how Whoosh adds them up matters
        words.append(word)
    return words


class _Postings:
    """A posting list as :mod:`search.top_hits` reads it."""

    def __init__(self, matcher: Any) -> None:
        # A segment with deletions wraps the list in a filter; they are left
        # out by top_hits.matches instead.
        self._matcher = getattr(matcher, "child", matcher)

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        matcher = self._matcher
        if isinstance(matcher, NewsdexLeafMatcher):
            return matcher.all_postings()
        numbers, weights = [], []  # a term in one document, kept in the term dictionary
        while matcher.is_active():
            numbers.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return numbers, weights

    def weights_at(self, wanted: Sequence[int]) -> dict[int, float]:
        if isinstance(self._matcher, NewsdexLeafMatcher):
            return self._matcher.weights_at(wanted)
        every = dict(zip(*self.all(), strict=True))
        return {number: every[number] for number in wanted if number in every}


def _positive_terms(parsed: whoosh_query.Query, reader: Any) -> dict[str, frozenset[str]]:
    """The indexed words a hit can match, by field: expansions in, negations out."""
    words: dict[str, set[str]] = {field: set() for field in SEARCHABLE_FIELDS}
    for leaf in _positive_leaves(parsed):
        for field, text in leaf.expanded_terms(reader, phrases=True):
            if field in words:
                words[field].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return {field: frozenset(found) for field, found in words.items()}


def _positive_leaves(parsed: whoosh_query.Query) -> Iterator[whoosh_query.Query]:
    if isinstance(parsed, whoosh_query.Not):
        return
    if isinstance(parsed, whoosh_query.AndNot):
        yield from _positive_leaves(parsed.a)
        return
    if parsed.is_leaf():
        yield parsed
        return
    for child in parsed.children():
        yield from _positive_leaves(child)


def _match_spans(
    text: str, words: frozenset[str], stems: Callable[[str], tuple[str, ...]]
) -> dict[tuple[int, int], str]:
    """Where in ``text`` a word stems to one of ``words``, and to which.

    Index terms are stems, so "killed" in the text matches the query
    "killings". Running the analyzer over a whole article for each hit was
    most of a query's time; stemming only changes a word's ending, so only
    the words that start like a query stem are stemmed, one by one
    (``stems`` remembers the words seen). They are found with ``str.find``
    in the lowercased text: a case-blind regular expression doing the same
    took 50 to 80 microseconds a hit (at 50,000 pages), this 15 to 20.
    """
    if not words:
        return {}
    lowered = text.lower()
    candidates: Iterator[tuple[int, int]]
    if len(lowered) != len(text):
        # Lowercasing made a letter two ("İ"): offsets in it would drift, and
        # a stem's start may not be found. Every word is stemmed instead.
        candidates = (match.span() for match in _TOKEN.finditer(text))
    else:
        candidates = _words_starting_like(lowered, words)
    spans: dict[tuple[int, int], str] = {}
    for start, end in candidates:
        for stem in stems(text[start:end]):
            if stem in words:
                spans[start, end] = stem
    return spans


def _prefix(stem: str) -> str:
    # A stem's last letter may not be the word's ("any" -> "ani", "fly" ->
    # "fli", "hoping" -> "hope"); the letters before it are (Porter's rules
    # only cut, or change the last letter).
    return stem[: max(len(stem) - 1, 1)]


_WORD_CHARACTER = re.compile(r"\w")
_REST_OF_TOKEN = re.compile(r"(?:\.?\w+)*")
_TOKEN = re.compile(r"\w+(?:\.?\w+)*")
"""A word as Whoosh's tokenizer cuts it."""


def _words_starting_like(lowered: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """The words of ``lowered`` (as :data:`_TOKEN` cuts them) that start like
    one of ``stems``, in order."""
    starts: dict[int, int] = {}  # where a prefix is found: its shortest length there
    for prefix in {_prefix(stem) for stem in stems}:
        found = lowered.find(prefix)
        while found >= 0:
            starts[found] = min(starts.get(found, len(prefix)), len(prefix))
            found = lowered.find(prefix, found + 1)
    for start, length in sorted(starts.items()):
        if _inside_token(lowered, start):
            continue
        rest = _REST_OF_TOKEN.match(lowered, start + length)
        assert rest is not None  # the rest may be empty, so it always matches
        yield start, rest.end()


def _inside_token(text: str, position: int) -> bool:
    """A token cannot start right after a word character, nor after "x." (that
    dot belongs to the token before)."""
    if position == 0:
        return False
    if _WORD_CHARACTER.match(text, position - 1):
        return True
    after_dot = position > 1 and text[position - 1] == "."
    return after_dot and _WORD_CHARACTER.match(text, position - 2) is not None


def _hit(
    searcher: Any,
    number: int,
    score: float | None,
    terms: dict[str, frozenset[str]],
    stems: Callable[[str], tuple[str, ...]],
) -> Hit:
    fields = searcher.stored_fields(number)
    record = document_to_record(fields)
    sources: list[str] = []
    pages = 0
    for number in pages_of(searcher, record.id):
        pages += 1
        if len(sources) < MAX_HIT_SOURCES:
            sources.append(searcher.stored_fields(number)["page"])
    if record.kind == "headline":
        snippet = whole_snippet(record.title, _match_spans(record.title, terms["title"], stems))
    else:
        field = "body" if record.kind == "article" else "boilerplate"
        text = fields.get(field, "")
        spans = _match_spans(text, terms[field], stems)
        snippet = make_snippet(text, spans, terms=spans)
    return Hit(
        record.id,
        record.kind,
        None if score is None else float(score),
        record.title,
        record.published,
        tuple(sources),
        snippet,
        pages,
    )


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


__all__ = ["DEFAULT_KINDS", "SORTS", "Index", "open_index"]
