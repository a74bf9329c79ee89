"""Searching a sharded index on a Dask cluster: workers hold the shards open,
a query runs on them in two phases, and the results merge here.

Each worker of the cluster opens some of the shards (shard ``i`` on worker
``i mod W``) as one :class:`~search.index.Index`, held by a Dask actor
(:class:`ShardHolder`) that keeps it open between queries and answers calls
from here directly, not through the scheduler. A query then goes, as
Elasticsearch's ``dfs_query_then_fetch``:

1. **Statistics.** Every worker parses the query over its shards and sends
   back what its shards hold of it: the words each pattern and fuzzy word
   stands for, each word's document count, each field's total length, the
   records of each kind. Added up here, they are the statistics of one index
   of all the shards; the patterns' words are their union.
2. **Top hits.** Every worker ranks its matches with those statistics (and
   those words), so a record scores as it does in one index, and sends back
   its first matches with their sort keys and its count; the best of all are
   picked here, in the same order (ties to the smaller record id).
3. **Hits.** The workers holding the records picked make their hits (stored
   fields, pages, snippets).

A record's shard follows from its id, so ``record`` asks one worker only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import query as whoosh_query

from indexer.errors import NewsdexError, QueryError
from indexer.manifest import read_manifest, shard_of
from indexer.records import KINDS, Record
from search.counting import Tally
from search.index import Index, _check_arguments, _Where
from search.options import SEARCHABLE_FIELDS, KindFilter, Match, Sort
from search.query import MAX_EXPANSIONS, words_and_mode
from search.ranking import PROXIMITY_WEIGHT, matching
from search.results import CountBy, IndexStats, SearchResults
from search.top_hits import SCORE_DECIMALS

if TYPE_CHECKING:
    from distributed import Client

from search.dates import DateLike
from search.filters import Sites

# --- the statistics of phase 1 ------------------------------------------------


@dataclass(frozen=True)
class Statistics:
    """What the shards hold of a query's words: BM25F's statistics, added up."""

    frequencies: dict[tuple[str, str], int]
    """Documents holding each (field, word), deleted ones included as Whoosh counts them."""
    lengths: dict[str, int]
    """Each text field's total length."""

    def __add__(self, other: Statistics) -> Statistics:
        frequencies = Counter(self.frequencies)
        frequencies.update(other.frequencies)
        lengths = Counter(self.lengths)
        lengths.update(other.lengths)
        return Statistics(dict(frequencies), dict(lengths))


@dataclass(frozen=True)
class _FirstPhase:
    statistics: Statistics
    expansions: dict[str, tuple[Any, ...]]
    pairs: dict[tuple[int, str], int]
    """Documents with each two query words side by side, by (pair, field)."""


@dataclass(frozen=True)
class _Ask:
    """A query as the workers run it: its text (or a ready query), with what
    phase 1 found over every shard."""

    text: str | None
    kind: KindFilter
    match: Match
    expansions: dict[str, tuple[Any, ...]]
    statistics: Statistics | None = None
    ready: whoosh_query.Query | None = None
    pairs: dict[tuple[int, str], int] | None = None


@dataclass(frozen=True)
class _Failed:
    """A newsdex error on a worker, sent back whole (a pickled exception loses its hint)."""

    kind: str
    message: str
    hint: str | None


# --- on the workers ----------------------------------------------------------


class ShardHolder:
    """The shards one worker holds open, as one :class:`~search.index.Index`: a
    Dask actor, so each phase is one call from here to the worker, without a
    task through the scheduler. A newsdex error comes back as a :class:`_Failed`."""

    def __init__(self, directory: str, shards: tuple[int, ...], mmap: bool) -> None:
        self.index = Index(Path(directory), mmap=mmap, shards=shards)
        self.shards = shards

    def call(self, name: str, *arguments: Any) -> Any:
        try:
            return getattr(self, name)(*arguments)
        except NewsdexError as error:
            return _Failed(type(error).__name__, error.message, error.hint)

    def close(self) -> None:
        self.index.close()

    def first_phase(self, ask: _Ask) -> _FirstPhase:
        """What this worker's shards hold of the query: its words' statistics, and
        the words its patterns stand for here."""
        index = self.index
        expansions: dict[str, tuple[Any, ...]] = dict(ask.expansions)
        reader = index._searcher.reader()
        parsed = ask.ready
        if parsed is None:
            assert ask.text is not None
            parsed = index._parser.parse(ask.text, reader, ask.kind, ask.match, expansions)
        words: set[tuple[str, str]] = {("kind", kind) for kind in KINDS}
        for leaf in parsed.leaves():
            for field, text in leaf.expanded_terms(reader, phrases=True):
                words.add((field, _text(text)))
        frequencies = {word: int(reader.doc_frequency(*word)) for word in sorted(words)}
        lengths = {field: int(reader.field_length(field)) for field in SEARCHABLE_FIELDS}
        pairs: dict[tuple[int, str], int] = {}
        mode = words_and_mode(parsed)
        if mode is not None and not mode[1] and len(mode[0]) > 1 and PROXIMITY_WEIGHT:
            # A query of any of the words scores words side by side, with an
            # idf of the documents having them so: counted here, added up there.
            matching(index._searcher, mode[0], every=False, near=True, pairs_seen=pairs)
        return _FirstPhase(Statistics(frequencies, lengths), expansions, pairs)

    def second_phase(
        self, ask: _Ask, where: _Where, sort: Sort, wanted: int
    ) -> tuple[list[Row], int]:
        """This worker's ``wanted`` first matches, with their sort keys, and its count."""
        index = self.index
        with _statistics_of_all(index, ask):
            parsed = _parsed(index, ask)
            best, total = index._ranked(parsed, where, sort, wanted)
            rows: list[Row] = []
            if sort == "relevance":
                for number, score in best:
                    assert score is not None
                    key = (-round(score, SCORE_DECIMALS), index._record_id(number))
                    rows.append((key, number, score))
            else:
                keys = index._date_keys([number for number, _ in best], sort)
                for (number, _), date in zip(best, keys, strict=True):
                    rows.append(((date, index._record_id(number)), number, None))
        return rows, total

    def hits(self, ask: _Ask, found: list[tuple[int, float | None]], scored: bool) -> SearchResults:
        """The hits of these documents of this worker (phase 3)."""
        index = self.index
        with _statistics_of_all(index, dataclasses.replace(ask, statistics=None)):
            parsed = _parsed(index, ask)
            return index._results(ask.text, parsed, found, 0, 0, scored=scored)

    def tally(self, ask: _Ask, by: CountBy, where: _Where) -> Tally:
        with _statistics_of_all(self.index, ask):
            return self.index._tally(ask.text, by, where, ask.match)

    def record(self, record_id: str) -> Record:
        return self.index.record(record_id)

    def stats(self) -> IndexStats:
        return self.index.stats()

    def suggestion(self, text: str, where: _Where) -> str | None:
        return self.index._suggest(text, where)


def _manifest(directory: str) -> tuple[int, int] | None:
    manifest = read_manifest(Path(directory))
    return None if manifest is None else (manifest.generation, manifest.count)


@contextlib.contextmanager
def _statistics_of_all(index: Index, ask: _Ask) -> Iterator[None]:
    """The worker's searcher scoring with the statistics of every shard, and its
    patterns standing for the words of every shard, for one query.

    BM25F reads document counts and field lengths from the top searcher
    (``search.ranking``); Whoosh's ``Searcher`` copies ``doc_frequency`` from
    its reader when made, so it is replaced on the instance."""
    searcher = index._searcher
    statistics = ask.statistics
    index._known_expansions = dict(ask.expansions)
    index._pairs_in_all = ask.pairs
    if statistics is not None:
        frequencies, lengths = statistics.frequencies, statistics.lengths

        def doc_frequency(field: str, text: str | bytes) -> int:
            return frequencies.get((field, _text(text)), 0)

        def field_length(field: str) -> int:
            return lengths.get(field, 0)

        searcher.doc_frequency = doc_frequency
        searcher.field_length = field_length
        _forget_statistics(searcher)
    try:
        yield
    finally:
        index._known_expansions = None
        index._pairs_in_all = None
        if statistics is not None:
            searcher.doc_frequency = searcher.ixreader.doc_frequency
            del searcher.field_length
            _forget_statistics(searcher)


def _forget_statistics(searcher: Any) -> None:
    searcher._idf_cache.clear()
    forget = getattr(searcher.weighting, "forget_statistics", None)
    if forget is not None:
        forget()


def _parsed(index: Index, ask: _Ask) -> whoosh_query.Query:
    if ask.ready is not None:
        return ask.ready
    assert ask.text is not None
    return index._parse(ask.text, ask.kind, ask.match)


Row = tuple[tuple[Any, ...], int, float | None]
"""A match as phase 2 sends it: its sort key (score or date, then record id),
its document number on the worker, its score."""


# --- here ---------------------------------------------------------------------


class ClusterIndex(Index):
    """A sharded index searched on a Dask cluster: an :class:`Index` whose
    queries run on the workers holding its shards (see the module's doc)."""

    def __init__(self, directory: Path, scheduler: str, *, mmap: bool = False) -> None:
        from indexer.dask_cluster import close, connect

        self.directory = directory
        self._mmap = mmap
        self._client: Client = connect(scheduler)
        try:
            self._place()
        except BaseException:
            close(self._client)
            raise

    def _place(self) -> None:
        """Give each worker its shards: an actor there holding them open."""
        workers = sorted(self._client.scheduler_info()["workers"])
        if not workers:
            raise NewsdexError("the Dask cluster has no worker", hint="start some workers")
        manifest = self._client.submit(_manifest, str(self.directory), pure=False).result()
        if manifest is None:
            raise NewsdexError(
                f"{self.directory} is not a sharded index, as the cluster's workers see it",
                hint="search it without --scheduler, or point --index at a sharded index",
            )
        self._generation, self._count = manifest
        held = {
            worker: tuple(range(number, self._count, len(workers)))
            for number, worker in enumerate(workers)
        }
        self._holders = {worker: shards for worker, shards in held.items() if shards}
        futures = [
            self._client.submit(
                ShardHolder,
                str(self.directory),
                shards,
                self._mmap,
                actor=True,
                workers=[worker],
                allow_other_workers=False,
                pure=False,
            )
            for worker, shards in self._holders.items()
        ]
        try:
            self._actors = dict(zip(self._holders, self._client.gather(futures), strict=True))
        except NewsdexError:
            raise
        except Exception as error:  # the actor's Index raised as it opened
            raise _as_newsdex_error(error) from error

    def _each(self, name: str, *arguments: Any) -> list[Any]:
        """The holder's method ``name`` called on every worker, its results in worker order."""
        calls = [actor.call(name, *arguments) for actor in self._actors.values()]
        return [_checked(call.result()) for call in calls]

    def _on(self, worker: str, name: str, *arguments: Any) -> Any:
        return _checked(self._actors[worker].call(name, *arguments).result())

    def close(self) -> None:
        from indexer.dask_cluster import close

        with contextlib.suppress(Exception):
            self._each("close")
        self._actors = {}
        close(self._client)

    def refresh(self) -> None:
        """See what a later run committed: the workers open its shards."""
        manifest = self._client.submit(_manifest, str(self.directory), pure=False).result()
        if manifest is not None and manifest[0] != self._generation:
            with contextlib.suppress(Exception):
                self._each("close")
            self._place()

    # The phases

    def _ask(self, text: str | None, kind: KindFilter, match: Match, ready: Any = None) -> _Ask:
        """Phase 1: the query's words over every shard, and their statistics."""
        ask = _Ask(text, kind, match, {}, ready=ready)
        phases: list[_FirstPhase] = self._each("first_phase", ask)
        expansions: dict[str, tuple[Any, ...]] = {}
        for phase in phases:
            for key, words in phase.expansions.items():
                expansions[key] = tuple(sorted({*expansions.get(key, ()), *words}))
        statistics = phases[0].statistics
        pairs: Counter[tuple[int, str]] = Counter(phases[0].pairs)
        for phase in phases[1:]:
            statistics = statistics + phase.statistics
            pairs.update(phase.pairs)
        if sum(len(words) for words in expansions.values()) > MAX_EXPANSIONS:
            # Each shard's words were within bounds; all of them together are not.
            raise QueryError(
                f"the query's patterns and fuzzy words stand for more than {MAX_EXPANSIONS:,}"
                " words of the index",
                hint="give more letters, or search the words themselves",
            )
        return _Ask(text, kind, match, expansions, statistics, ready, dict(pairs))

    def _find(self, ask: _Ask, where: _Where, sort: Sort, limit: int, offset: int) -> SearchResults:
        """Phases 2 and 3: the best matches of every worker, merged, made hits."""
        wanted = offset + limit
        answers: list[tuple[list[Row], int]] = self._each("second_phase", ask, where, sort, wanted)
        total = sum(count for _, count in answers)
        rows = [
            (key, worker, number, score)
            for worker, (found, _) in zip(self._holders, answers, strict=True)
            for key, number, score in found
        ]
        chosen = heapq.nsmallest(wanted, rows, key=lambda row: row[0])[offset:]
        by_worker: dict[str, list[tuple[int, float | None]]] = {}
        for _, worker, number, score in chosen:
            by_worker.setdefault(worker, []).append((number, score))
        scored = sort == "relevance"
        calls = {
            worker: self._actors[worker].call("hits", ask, found, scored)
            for worker, found in by_worker.items()
        }
        made = {worker: iter(_checked(call.result()).hits) for worker, call in calls.items()}
        hits = tuple(next(made[worker]) for _, worker, _, _ in chosen)
        return SearchResults(ask.text, total, offset, hits)

    # The Index interface

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
        _check_arguments(kind, sort, limit, offset, match)
        where = _Where(kind, since, until, site)
        results = self._find(self._ask(query, kind, match), where, sort, limit, offset)
        if results.total:
            return results
        suggestion = self._suggestion(query, where)
        any_total = 0
        if match == "all":
            any_total = self._find(self._ask(query, kind, "any"), where, sort, 1, 0).total
        return SearchResults(query, 0, offset, (), suggestion, any_total=any_total)

    def _suggestion(self, text: str, where: _Where) -> str | None:
        """A worker's "did you mean" (each knows the words of its own shards)."""
        for suggestion in self._each("suggestion", text, where):
            if suggestion is not None:
                return str(suggestion)
        return None

    def _every_headline(self, where: _Where, limit: int, offset: int) -> SearchResults:
        every = whoosh_query.Term("kind", "headline")
        ask = _Ask(None, "headline", "all", {}, ready=every)
        return self._find(ask, where, "newest", limit, offset)

    def _tally(self, query: str | None, by: CountBy, where: _Where, match: Match) -> Tally:
        """Every worker's tally of its shards, added up."""
        if query is not None and query.strip():
            ask = self._ask(query, where.kind, match)
        else:
            ask = _Ask(query, where.kind, match, {})
        tallies: list[Tally] = self._each("tally", ask, by, where)
        total = tallies[0]
        for tally in tallies[1:]:
            total = total + tally
        return total

    def record(self, record_id: str) -> Record:
        record_id = record_id.strip()
        number = shard_of(record_id, self._count)
        worker = next(w for w, shards in self._holders.items() if number in shards)
        found: Record = self._on(worker, "record", record_id)
        return found

    def stats(self) -> IndexStats:
        parts: list[IndexStats] = self._each("stats")
        return _merged_stats(self.directory, parts)


def _merged_stats(directory: Path, parts: Sequence[IndexStats]) -> IndexStats:
    records: Counter[str] = Counter()
    sites: Counter[str] = Counter()
    for part in parts:
        records.update(part.records)
        sites.update(part.sites)
    firsts = [part.first_published for part in parts if part.first_published is not None]
    lasts = [part.last_published for part in parts if part.last_published is not None]
    return dataclasses.replace(
        parts[0],
        index_directory=directory,
        size_bytes=sum(part.size_bytes for part in parts),
        pages_indexed=sum(part.pages_indexed for part in parts),
        records={kind: records[kind] for kind in KINDS},
        headline_occurrences=sum(part.headline_occurrences for part in parts),
        first_published=min(firsts, default=None),
        last_published=max(lasts, default=None),
        warnings=tuple(sorted((w for p in parts for w in p.warnings), key=lambda w: w.path)),
        skipped=tuple(sorted((s for p in parts for s in p.skipped), key=lambda s: s.path)),
        segments=sum(part.segments for part in parts),
        sites=dict(sorted(sites.items(), key=lambda item: (-item[1], item[0]))),
    )


def _as_newsdex_error(error: Exception) -> NewsdexError:
    if isinstance(error, NewsdexError):
        return error
    return NewsdexError(f"a worker could not open its shards: {type(error).__name__}: {error}")


def _checked(result: Any) -> Any:
    if isinstance(result, _Failed):
        import indexer.errors

        error_type = getattr(indexer.errors, result.kind, NewsdexError)
        raise error_type(result.message, hint=result.hint)
    return result


def _text(text: str | bytes) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text


__all__ = ["ClusterIndex", "Statistics"]
