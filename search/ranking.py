"""Ranking: BM25F over the records that have each field, and the top hits of a query.

Queries of plain words are ranked from their posting lists by
:mod:`search.top_hits`; every other query by Whoosh, scoring every match.
Either way the hits are the best scores and every total is exact.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

from whoosh import query as whoosh_query
from whoosh import scoring, sorting
from whoosh.util.numeric import byte_to_length

from indexer.codec import NewsdexLeafMatcher, NewsdexPerDocReader
from indexer.records import KINDS
from search import top_hits
from search.options import FIELDS_OF_KIND

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


def rank_words(
    searcher: Any,
    words: list[list[tuple[str, str]]],
    restriction: dict[str, set[int]],
    wanted: int,
    key: Callable[[int], str],
) -> tuple[list[tuple[int, float]], int] | None:
    """The ``wanted`` best matches of a query of words (:func:`search.query.words_of`),
    best first (ties to the smaller ``key``, the record id), and how many there
    are, worked out by :mod:`search.top_hits`; ``None`` if a scorer is not
    newsdex's (an index of another codec): Whoosh runs it then."""
    found = matching(searcher, words)
    if found is None:
        return None
    numbers, scores = admitted(*found, restriction)
    return top_hits.top(numbers, scores, wanted, key), len(numbers)


def admitted(
    numbers: list[int], scores: list[float], restriction: dict[str, set[int]]
) -> tuple[list[int], list[float]]:
    """The matches a filter or mask (:meth:`search.filters.Filters.restrict`) lets through."""
    keep, leave_out = restriction.get("filter"), restriction.get("mask")
    if keep is None and not leave_out:
        return numbers, scores
    kept = [
        (number, score)
        for number, score in zip(numbers, scores, strict=True)
        if (keep is None or number in keep) and (not leave_out or number not in leave_out)
    ]
    return [n for n, _ in kept], [s for _, s in kept]


def matching(
    searcher: Any, words: list[list[tuple[str, str]]]
) -> tuple[list[int], list[float]] | None:
    """Every live document matching a query of words, with its score, by document
    number; ``None`` if a scorer is not newsdex's (see :func:`rank_words`)."""
    weighting = searcher.weighting
    all_numbers: list[int] = []
    all_scores: list[float] = []
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        segment_words: list[list[top_hits.Term]] = []
        for word in words:
            terms = []
            for field, text in word:
                if (field, text) not in reader:
                    continue
                scorer = weighting.scorer(leaf, field, text)
                if not isinstance(scorer, BM25FScorer) or scorer.lengths is None:
                    return None
                postings = Postings(reader.postings(field, text))
                documents = reader.doc_frequency(field, text)
                terms.append(top_hits.Term(postings, documents, scorer.scores))
            segment_words.append(terms)
        numbers, scores = top_hits.matches(segment_words)
        # (An index with no segment yet has Whoosh's EmptyReader, which has no set.)
        if reader.has_deletions():
            deleted = reader.deleted_docs_set
            kept = [i for i, number in enumerate(numbers) if number not in deleted]
            numbers, scores = [numbers[i] for i in kept], [scores[i] for i in kept]
        all_numbers.extend([number + offset for number in numbers] if offset else numbers)
        all_scores.extend(scores)
    return all_numbers, all_scores


def score_every_match(
    searcher: Any, parsed: whoosh_query.Query, restriction: dict[str, set[int]]
) -> tuple[list[int], list[float]]:
    """Every match of a query Whoosh runs, and its score (see :func:`search_every_match`),
    in no order: the top is picked by :func:`search.top_hits.top`."""
    collector = searcher.collector(limit=None, optimize=False, **restriction)
    scored = collector
    while hasattr(scored, "child"):  # a filter or mask wraps the collector that scores
        scored = scored.child
    scored.replace = 0
    searcher.search_with_collector(parsed, collector)
    return [number for _, number in scored.items], [score for score, _ in scored.items]


def search_every_match(searcher: Any, parsed: whoosh_query.Query, options: dict[str, Any]) -> Any:
    """Whoosh's search, scoring every match.

    Whoosh's shortcuts for top hits lose some: an AND-like matcher skips
    blocks of one posting list on the best score of the other list's
    current block, which lies over other documents (``AndMaybeMatcher``'s
    and ``IntersectionMatcher``'s ``skip_to_quality``), and rewrites
    itself (``replace``) on such bounds as it goes. At 50,000 pages "play
    game" lost its best match in one build of the benchmark and its
    third-best in the next. Queries of plain words do not come here
    (:func:`rank_words`).
    """
    collector = searcher.collector(optimize=False, **options)
    scored = collector
    while hasattr(scored, "child"):  # a filter or mask wraps the collector that scores
        scored = scored.child
    scored.replace = 0
    searcher.search_with_collector(parsed, collector)
    return collector.results()


def _records_with(searcher: Any, field: str) -> int:
    """How many records have ``field`` (page documents and other kinds do not).

    Asked of the searcher, not its reader: a cluster search gives the searcher
    the statistics of every shard (``search.cluster``)."""
    kinds = [kind for kind in KINDS if field in FIELDS_OF_KIND[kind]]
    return max(int(sum(searcher.doc_frequency("kind", kind) for kind in kinds)), 1)


def _length_codes(reader: Any, field: str) -> bytes | None:
    """The field's length code of every document of one segment (read once, kept by
    the codec's reader); ``None`` if the segment's codec does not keep them or
    no document has the field (the scorer then asks Whoosh)."""
    per_document = getattr(reader, "_perdoc", None)
    if not isinstance(per_document, NewsdexPerDocReader):
        return None
    return per_document.length_codes(field)


class BM25F(scoring.BM25F):  # type: ignore[misc]
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
        return BM25FScorer(searcher, fieldname, text, b, self.K1, average or 1, lengths, weight)


class BM25FScorer(scoring.BM25FScorer):  # type: ignore[misc]
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


# Whoosh gives records without a date the largest sort key; newest-first
# would put every undated article before the headlines. Undated go last.
_UNDATED = 2**64 - 1


def date_order(*, newest_first: bool) -> sorting.FacetType:
    published = sorting.FieldFacet("published")
    if not newest_first:
        return published
    return sorting.TranslateFacet(lambda key: (key == _UNDATED, -key), published)


class Postings:
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
