"""Ranking: BM25F over the records that have each field, and the top hits of a query.

Queries of plain words are ranked from their posting lists by
:mod:`search.top_hits`; every other query by Whoosh, scoring every match.
Either way the hits are the best scores and every total is exact.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from whoosh import query as whoosh_query
from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from indexer.codec import NewsdexPerDocReader, NewsdexTermsReader, PostingBlocks
from indexer.records import KINDS
from search import proximity, top_hits
from search.options import FIELDS_OF_KIND
from search.query import Phrase, Words

if TYPE_CHECKING:
    from whoosh import sorting

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
PROXIMITY_WEIGHT = 0.1
"""How much two query words side by side in a field count, as one more word of
the query, against a word (:mod:`search.proximity`): about the weight of ordered
pairs against words in Metzler and Croft's sequential dependence model (0.1
to 0.85). For queries of any of some plain words (``match="any"``, or words
joined by OR), which :mod:`search.top_hits` ranks; not when every word must
match (it made those queries' p95 about twice as long, and SciFact measures
only ``match="any"``), nor for other queries, which Whoosh ranks. 0: none.
Chosen on SciFact's train queries (docs/search-quality.md)."""


def rank_words(
    searcher: Any,
    words: Words,
    restriction: dict[str, set[int]],
    wanted: int,
    key: Callable[[int], str],
    *,
    every: bool = True,
) -> tuple[list[tuple[int, float]], int] | None:
    """The ``wanted`` best matches of a query of words (:func:`search.query.words_and_mode`),
    best first (ties to the smaller ``key``, the record id), and how many there
    are (see :func:`matching`); ``None`` if a scorer is not newsdex's (an index
    of another codec): Whoosh runs it then."""
    found = matching(searcher, words, every=every)
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
    searcher: Any,
    words: Words,
    *,
    every: bool = True,
    near: bool | None = None,
    pairs_seen: dict[tuple[int, str], int] | None = None,
    pairs_in_all: dict[tuple[int, str], int] | None = None,
) -> tuple[list[int], list[float]] | None:
    """Every live document holding every word (or, if not ``every``, any of
    them), with its score, by document number, worked out by
    :mod:`search.top_hits`; ``None`` if a scorer is not newsdex's (see
    :func:`rank_words`).

    When any of the words will do, each two words next to each other in the
    query also add their score side by side (:mod:`search.proximity`,
    :data:`PROXIMITY_WEIGHT`), unless ``near`` is False (a count needs no scores).
    Their idf counts the documents having them side by side, in every
    segment: ``pairs_seen`` is told this searcher's counts, and
    ``pairs_in_all`` gives every shard's instead (a cluster search, whose
    workers each hold some shards: ``search.cluster``).
    """
    weighting = searcher.weighting
    if near is None:
        near = bool(PROXIMITY_WEIGHT) and not every and len(words) > 1
    segments = []
    having: dict[tuple[int, str], int] = {}  # (pair, field): documents with it, all segments
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        segment_words: list[list[top_hits.Term]] = []
        fields_of: list[dict[str, tuple[Postings, BM25FScorer]]] = []
        for word in words:
            terms = []
            in_fields = {}
            for field, text in word:
                term = segment_term(reader, field, text)
                if term is None:
                    continue
                info, matcher = term
                scorer = _scorer(weighting, leaf, field, text, info)
                if not isinstance(scorer, BM25FScorer) or scorer.lengths is None:
                    return None
                postings = Postings(matcher, positions=near)
                documents = info.doc_frequency()
                terms.append(top_hits.Term(postings, documents, scorer.scores))
                in_fields[field] = postings, scorer
            segment_words.append(terms)
            fields_of.append(in_fields)
        if every:
            numbers, scores = top_hits.matches(segment_words)
        else:
            numbers, scores = top_hits.matches_any(segment_words)
        side: dict[tuple[int, str], tuple[dict[int, int], BM25FScorer]] = {}
        for pair in range(len(words) - 1) if near else ():
            for field, (first, scorer) in fields_of[pair].items():
                if field not in fields_of[pair + 1]:
                    continue
                counts = proximity.side_by_side(first, fields_of[pair + 1][field][0])
                if counts:
                    side[pair, field] = counts, scorer
                    having[pair, field] = having.get((pair, field), 0) + len(counts)
        segments.append((reader, offset, numbers, scores, side))
    if pairs_seen is not None:
        pairs_seen.update(having)
    if pairs_in_all is not None:
        having = pairs_in_all
    all_numbers: list[int] = []
    all_scores: list[float] = []
    for reader, offset, numbers, scores, side in segments:
        if side:
            at = {number: place for place, number in enumerate(numbers)}
            for (pair, field), (counts, scorer) in side.items():
                idf = weighting.idf_of(searcher, field, having[pair, field])
                matched = [number for number in counts if number in at]
                found = [counts[number] for number in matched]
                for number, bonus in zip(
                    matched, scorer.scores(matched, found, idf=idf), strict=True
                ):
                    scores[at[number]] += PROXIMITY_WEIGHT * bonus
        # (An index with no segment yet has Whoosh's EmptyReader, which has no set.)
        if reader.has_deletions():
            deleted = reader.deleted_docs_set
            kept = [i for i, number in enumerate(numbers) if number not in deleted]
            numbers, scores = [numbers[i] for i in kept], [scores[i] for i in kept]
        all_numbers.extend([number + offset for number in numbers] if offset else numbers)
        all_scores.extend(scores)
    return all_numbers, all_scores


def segment_term(reader: Any, field: str, text: str) -> tuple[Any, Any] | None:
    """A word's term info in one segment and its posting list (to be read
    whole or by blocks, as :class:`Postings` reads it, deleted documents
    left in), or ``None`` if the segment lacks it.

    One lookup in the segment's term dictionary, where asking Whoosh's reader
    whether the term is there, for its statistics, its postings and its
    scorer's best case makes four, each converting the word and its field
    again: most of a rare word's ranking, once per segment and field."""
    terms = getattr(reader, "_terms", None)
    schema = reader.schema
    if not isinstance(terms, NewsdexTermsReader) or field not in schema:
        if (field, text) not in reader:
            return None
        return reader.term_info(field, text), reader.postings(field, text)
    word = schema[field].to_bytes(text)
    info = terms.info_of(terms._keycoder(field, word))
    if info is None:
        return None
    return info, terms.posting_list(info, schema[field].format, (field, word))


def _present(found: Sequence[tuple[Any, Any] | None]) -> list[tuple[Any, Any]]:
    return [term for term in found if term is not None]


def _scorer(weighting: Any, searcher: Any, field: str, text: str, info: Any) -> Any:
    """The weighting's scorer of a word in a segment whose term info is known."""
    if isinstance(weighting, BM25F):
        return weighting.scorer(searcher, field, text, info=info)
    return weighting.scorer(searcher, field, text)


def matching_phrase(searcher: Any, phrase: Phrase) -> tuple[list[int], list[float]] | None:
    """Every live document holding a phrase (:func:`search.query.phrase_of`) in a
    field, with its score, by document number; ``None`` if a scorer is not
    newsdex's (see :func:`rank_words`).

    Scored as Whoosh scores a phrase: the sum of its words' scores in each
    field it is in (a word twice in the phrase counts twice), added up over
    those fields. Whoosh checks the words' positions document by document as
    it walks the lists in step; here the documents holding every word are
    found first (:func:`search.top_hits.matches`), then only their positions
    are read, from the blocks holding them."""
    weighting = searcher.weighting
    all_numbers: list[int] = []
    all_scores: list[float] = []
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        totals: dict[int, float] = {}
        for field, texts in phrase:
            found = [segment_term(reader, field, text) for text in texts]
            if any(term is None for term in found):
                continue  # as Whoosh: a word the segment lacks, no match in the field
            postings = []
            words: list[list[top_hits.Term]] = []
            for text, (info, matcher) in zip(texts, _present(found), strict=True):
                scorer = _scorer(weighting, leaf, field, text, info)
                if not isinstance(scorer, BM25FScorer) or scorer.lengths is None:
                    return None
                postings.append(Postings(matcher, keep_positions=True))
                words.append([top_hits.Term(postings[-1], info.doc_frequency(), scorer.scores)])
            keep = functools.partial(_in_a_row, postings) if len(texts) > 1 else None
            numbers, scores = top_hits.matches(words, in_halves=True, keep=keep)
            for number, score in zip(numbers, scores, strict=True):
                totals[number] = totals.get(number, 0.0) + score
        numbers = sorted(totals)
        if reader.has_deletions():
            deleted = reader.deleted_docs_set
            numbers = [number for number in numbers if number not in deleted]
        all_numbers.extend(number + offset for number in numbers)
        all_scores.extend(totals[number] for number in numbers)
    return all_numbers, all_scores


def _in_a_row(words: Sequence[Postings], numbers: list[int]) -> list[int]:
    """Those of the documents (ascending, each holding every word) that hold the
    words in a row, as a phrase."""
    if len(words) == 2 and all(word.encoded for word in words):  # most phrases
        # Checked on the encoded positions: most words are once in a document.
        before, after = (word.values_at(numbers) for word in words)
        next_to = words[0].positions_format.next_to
        return [number for number in numbers if next_to(before[number], after[number])]
    positions = [word.positions_at(numbers) for word in words]
    return [
        number for number in numbers if proximity.in_a_row([word[number] for word in positions])
    ]


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
        self._averages: dict[str, float] = {}

    def _records_with(self, searcher: Any, field: str) -> int:
        if field not in self._records:
            self._records[field] = _records_with(searcher, field)
        return self._records[field]

    def _average_length(self, parent: Any, field: str) -> float:
        """The field's average length over the records having it (Whoosh's
        reader adds the segments' lengths up each time it is asked)."""
        if field not in self._averages:
            average = parent.field_length(field) / self._records_with(parent, field)
            self._averages[field] = average or 1
        return self._averages[field]

    def forget_statistics(self) -> None:
        """Forget the record counts and average lengths kept: a cluster search
        gives the searcher every shard's for one query (``search.cluster``)."""
        self._records.clear()
        self._averages.clear()

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return self.idf_of(parent, fieldname, parent.doc_frequency(fieldname, text))

    def idf_of(self, searcher: Any, fieldname: str, having: int) -> float:
        """The idf of something ``having`` records of the field have (a word, or
        two words side by side)."""
        documents = self._records_with(searcher.get_parent(), fieldname)
        return math.log(1 + (documents - having + 0.5) / (having + 0.5))

    def scorer(
        self, searcher: Any, fieldname: str, text: str, qf: int = 1, info: Any = None
    ) -> Any:
        """Whoosh's scorer of a word in a segment; ``info``: the word's term info
        there, if known (:func:`segment_term`)."""
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        average = self._average_length(searcher.get_parent(), fieldname)
        b = self._field_B.get(fieldname, self.B)
        lengths = _length_codes(searcher.reader(), fieldname)
        weight = self._weights.get(fieldname, 1.0)
        return BM25FScorer(
            searcher, fieldname, text, b, self.K1, average, lengths, weight, info=info
        )


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
        info: Any = None,
    ) -> None:
        self._field_weight = field_weight
        self.idf = searcher.get_parent().idf(fieldname, text)
        self.avgfl = average
        self.B = b
        self.K1 = k1
        if info is None:
            self.setup(searcher, fieldname, text)
        else:  # Whoosh's setup, with the term info it would look up again
            self.dfl = lambda docid: searcher.doc_field_length(docid, fieldname, 1)
            self._maxquality = self._score(info.max_weight(), info.min_length())
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

    def scores(
        self, numbers: Sequence[int], weights: Sequence[float], idf: float | None = None
    ) -> list[float]:
        """:meth:`score` of each of these documents holding the term with these
        weights, in one pass (needs :attr:`lengths`); with another ``idf``, the
        score of something else counted in the field (two words side by side)."""
        assert self._lengths is not None
        idf = self.idf if idf is None else idf
        saturation, field_weight = self._saturation, self._field_weight
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
    from whoosh import sorting  # here: most searches rank by score

    published = sorting.FieldFacet("published")
    if not newest_first:
        return published
    return sorting.TranslateFacet(lambda key: (key == _UNDATED, -key), published)


class Postings:
    """A posting list as :mod:`search.top_hits` and :mod:`search.proximity` read it."""

    def __init__(
        self, matcher: Any, *, positions: bool = False, keep_positions: bool = False
    ) -> None:
        """``positions``: read the whole list with its positions (proximity);
        ``keep_positions``: keep the encoded positions of the documents whose
        weights are read, for the positions asked next (a phrase's candidates),
        where they would be read and decoded again from the same blocks."""
        # A segment with deletions wraps the list in a filter; they are left
        # out by top_hits.matches instead.
        self._matcher = getattr(matcher, "child", matcher)
        self._with_positions = positions
        self._all: tuple[Sequence[int], Sequence[float]] | None = None
        self._values: Sequence[Any] = ()  # encoded (or, off the codec, decoded) positions
        self._keep_positions = keep_positions
        self._kept: dict[int, bytes] | None = None  # encoded positions, by document

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        """Read once, with the positions if asked (:mod:`search.proximity` reads
        them); a term kept in the term dictionary (one document) with its
        positions always."""
        if self._all is not None:
            return self._all
        matcher = self._matcher
        if isinstance(matcher, PostingBlocks):
            if self._with_positions:
                numbers, weights, self._values = matcher.all_postings_and_values()
                self._all = numbers, weights
            elif self._keep_positions:
                numbers, weights, values = matcher.all_postings_and_values()
                self._kept = dict(zip(numbers, values, strict=True))
                self._all = numbers, weights
            else:
                self._all = matcher.all_postings()
            return self._all
        # A term in one document, kept in the term dictionary.
        numbers, weights, values = [], [], []
        while matcher.is_active():
            numbers.append(matcher.id())
            weights.append(matcher.weight())
            if matcher.supports("positions"):
                values.append(matcher.value_as("positions"))
            matcher.next()
        self._all, self._values = (numbers, weights), values
        return self._all

    def weights_at(self, wanted: Sequence[int]) -> dict[int, float]:
        if isinstance(self._matcher, PostingBlocks):
            if self._keep_positions:
                weights, self._kept = self._matcher.weights_and_values_at(wanted)
                return weights
            return self._matcher.weights_at(wanted)
        every = dict(zip(*self.all(), strict=True))
        return {number: every[number] for number in wanted if number in every}

    @property
    def encoded(self) -> bool:
        """Whether :meth:`values_at` gives the codec's encoded positions."""
        return isinstance(self._matcher, PostingBlocks) and not self._with_positions

    @property
    def positions_format(self) -> Any:
        """The codec's positions format, which decodes (and compares) them."""
        return self._matcher.format

    def values_at(self, wanted: Sequence[int]) -> dict[int, bytes]:
        """The encoded positions of those of ``wanted`` (ascending) holding the
        term (the dict may hold others too), kept if they were read already."""
        kept = self._kept
        if kept is not None and all(map(kept.__contains__, wanted)):
            return kept
        return self._matcher.values_at(wanted)  # type: ignore[no-any-return]

    def positions_at(self, wanted: Sequence[int]) -> dict[int, Sequence[int]]:
        """The positions of the term in those of ``wanted`` (ascending) holding it:
        from the list read whole if it was read with its positions, else from
        the blocks holding one of ``wanted`` only."""
        matcher = self._matcher
        codec = isinstance(matcher, PostingBlocks)
        if codec and not self._with_positions:
            decode_positions = matcher.format.decode_positions
            values = self.values_at(wanted)
            return {
                number: decode_positions(values[number]) for number in wanted if number in values
            }
        numbers, _ = self.all()
        decode = matcher.format.decode_positions if codec else None
        found = {}
        for number in wanted:
            at = bisect.bisect_left(numbers, number)
            if at < len(numbers) and numbers[at] == number:
                value = self._values[at]
                found[number] = value if decode is None else decode(value)
        return found
