"""The matches of a query of plain words, worked out from their posting lists.

Whoosh runs an AND query as a tree of matcher objects that leapfrog through
the posting lists one posting at a time, several method calls a step, and
asks each matcher for its score on every match: most of a typical query's
time went there. Most queries are plain words, every one required,
ranked by relevance, and for them this module does the same work a block of
postings at a time: the rarest word's postings are read whole, each other
word's only in the blocks that can hold a candidate, and the documents left
are scored with the same scorers, adding up in the same order, as Whoosh.

Engine-free: a segment's words come as :class:`Term` objects, which the
engine makes from its posting lists and scorers.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


class Postings(Protocol):
    """One term's posting list in one segment."""

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        """Every document number holding the term, ascending, and its weight in each."""
        ...

    def weights_at(self, wanted: Sequence[int]) -> dict[int, float]:
        """The weights of those of ``wanted`` (ascending) that hold the term."""
        ...


@dataclass(frozen=True)
class Term:
    """A query word in one field of one segment."""

    postings: Postings
    documents: int
    """How many documents of the segment hold it: which word is read first."""
    scores: Callable[[Sequence[int], Sequence[float]], list[float]]
    """The scores of documents (segment numbers) holding it with these weights."""


Word = Sequence[Term]
"""One query word in each field searched that holds it (an empty word matches nothing)."""


def matches(
    words: Sequence[Word],
    *,
    in_halves: bool = False,
    keep: Callable[[list[int]], list[int]] | None = None,
) -> tuple[list[int], list[float]]:
    """Every document holding every word, ascending, and each one's score: the
    sum of its words' scores, each word's the sum of its fields', added up as
    Whoosh's AND adds them (:func:`_added_up`), or ``in_halves`` as its phrase
    does (:func:`_added_in_halves`).

    ``keep`` narrows the documents holding every word before they are scored
    (a phrase keeps those holding the words in a row: most do not)."""
    if not words or not all(words):
        return [], []
    order = sorted(range(len(words)), key=lambda i: sum(term.documents for term in words[i]))
    weights: dict[tuple[int, int], dict[int, float]] = {}  # by word and field: document -> weight
    first = order[0]
    wanted: list[int] = []
    for field, term in enumerate(words[first]):
        numbers, found = term.postings.all()
        weights[first, field] = dict(zip(numbers, found, strict=True))
        wanted = list(numbers) if field == 0 else sorted({*wanted, *numbers})
    for word in order[1:]:
        present: set[int] = set()
        for field, term in enumerate(words[word]):
            found_weights = term.postings.weights_at(wanted)
            weights[word, field] = found_weights
            present.update(found_weights)
        wanted = [number for number in wanted if number in present]
        if not wanted:
            return [], []
    if keep is not None:
        wanted = keep(wanted)
    scores = [_word_scores(words[i], i, weights, wanted) for i in range(len(words))]
    if in_halves:
        return wanted, _added_in_halves(scores)
    return wanted, _added_up(scores, [sum(t.documents for t in word) for word in words])


def matches_any(words: Sequence[Word]) -> tuple[list[int], list[float]]:
    """Every document holding at least one of the words, ascending, and each one's
    score: the sum of the scores of the words it holds, in each field holding
    them, added word by word in the query's order (Whoosh's OR adds the same
    scores in an order of its own, so a score may differ in its last bit)."""
    totals: dict[int, float] = {}
    for word in words:
        for term in word:
            numbers, weights = term.postings.all()
            for number, score in zip(numbers, term.scores(numbers, weights), strict=True):
                totals[number] = totals.get(number, 0.0) + score
    numbers = sorted(totals)
    return numbers, [totals[number] for number in numbers]


def _word_scores(
    word: Word, number: int, weights: dict[tuple[int, int], dict[int, float]], wanted: list[int]
) -> list[float]:
    """One word's score in each wanted document: its fields' scores added up.

    A document holds a word in at most two of the fields (an article's title
    and body), so the order of adding does not change the sum."""
    total: list[float] | None = None
    for field, term in enumerate(word):
        found = weights[number, field]
        weight_in = [found.get(document) for document in wanted]
        if None not in weight_in:
            field_scores = term.scores(wanted, weight_in)  # type: ignore[arg-type]
        else:
            having = [d for d, weight in zip(wanted, weight_in, strict=True) if weight is not None]
            scored = iter(term.scores(having, [w for w in weight_in if w is not None]))
            field_scores = [0.0 if weight is None else next(scored) for weight in weight_in]
        total = field_scores if total is None else list(map(operator.add, total, field_scores))
    assert total is not None  # words are not empty
    return total


def _added_up(scores: list[list[float]], documents: list[int]) -> list[float]:
    """The words' scores added up as Whoosh adds them: its AND is a tree built
    like a Huffman code, joining the two words (or subtrees) in the most
    documents first. Floating-point addition is not associative, so the
    grouping decides the last bit, and the last bit decides ties. Words in
    as many documents are joined here in the query's order; Whoosh orders
    them by comparing matcher objects, so with three or more words two of
    which are in exactly as many documents, a score may differ in its last
    bit."""
    trees: list[tuple[int, int, list[float]]] = [
        (-count, order, word)
        for order, (count, word) in enumerate(zip(documents, scores, strict=True))
    ]
    trees.sort(key=operator.itemgetter(0, 1))
    made = len(trees)
    while len(trees) > 1:
        weight_a, _, a = trees.pop(0)
        weight_b, _, b = trees.pop(0)
        joined = (weight_a + weight_b, made, list(map(operator.add, a, b)))
        made += 1
        bisect.insort(trees, joined, key=operator.itemgetter(0, 1))
    return trees[0][2]


SCORE_DECIMALS = 9
"""Scores equal to this many decimal places are a tie. Whoosh adds a record's
words up in an order its segment decides, so one record may score a few
units in the last bit apart in two layouts of the same records (one index,
shards); rounded, they tie, and ties go to the smaller record id."""


def _added_in_halves(scores: list[list[float]]) -> list[float]:
    """The words' scores added up as Whoosh's phrase adds them: the first half
    of the words, then the second, each split in halves the same way."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return list(map(operator.add, _added_in_halves(scores[:half]), _added_in_halves(scores[half:])))


def top(
    numbers: Sequence[int], scores: Sequence[float], count: int, key: Callable[[int], str]
) -> list[tuple[int, float]]:
    """The ``count`` best documents and their scores: highest score first,
    ties (:data:`SCORE_DECIMALS`) to the smaller ``key`` (the record id), so
    the order is the same however the records are laid out in segments or
    shards. Only documents tied with another near the top have their key read
    (a read of stored fields each)."""
    candidates: Sequence[int] = range(len(scores))
    if count < len(scores):
        lowest = heapq.nlargest(count, scores)[-1] - 10.0**-SCORE_DECIMALS
        candidates = [i for i, score in enumerate(scores) if score >= lowest]
    rounded = [-round(scores[i], SCORE_DECIMALS) for i in candidates]
    ordered = _ties_by_key(candidates, rounded, count, lambda i: key(numbers[i]))
    return [(numbers[i], scores[i]) for i in ordered]


def first(
    numbers: Sequence[int], keys: Sequence[int], count: int, key: Callable[[int], str]
) -> list[int]:
    """The ``count`` documents with the smallest ``keys`` (a date order), ties
    to the smaller ``key`` (the record id), read only for the tied."""
    candidates: Sequence[int] = range(len(keys))
    if count < len(keys):
        highest = heapq.nsmallest(count, keys)[-1]
        candidates = [i for i, value in enumerate(keys) if value <= highest]
    order = [keys[i] for i in candidates]
    return [numbers[i] for i in _ties_by_key(candidates, order, count, lambda i: key(numbers[i]))]


def _ties_by_key(
    candidates: Sequence[int], order: Sequence[float], count: int, key: Callable[[int], str]
) -> list[int]:
    """The first ``count`` candidates by ``order`` (one value per candidate,
    smallest first), those with equal values by ``key``."""
    ranked = sorted(range(len(candidates)), key=order.__getitem__)
    chosen: list[int] = []
    for _, group in itertools.groupby(ranked, key=order.__getitem__):
        tied = [candidates[place] for place in group]
        if len(tied) > 1:
            tied.sort(key=key)
        chosen.extend(tied)
        if len(chosen) >= count:
            break
    return chosen[:count]
