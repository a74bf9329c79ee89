"""Query words that stand next to each other in a document, as in the query.

A query of plain words is ranked by BM25F over its words, each on its own:
"multiple sclerosis" scores the same in an abstract that names the disease
as in one that has "multiple" in one sentence and "sclerosis" in another.
Here each two words that follow each other in the query are also looked for
side by side in the text (the first right before the second; stop words, which
are not indexed, do not count as in between), and how often they are is scored
like one more word: with BM25 over the field, and an idf of its own from how
many documents have the pair. That is the ordered-window feature of Metzler and
Croft's sequential dependence model (2005), scored as BM25 scores words; its
weight against the words is ``search.ranking.PROXIMITY_WEIGHT``.

Engine-free: posting lists come as :class:`Postings` objects, which the engine
makes from the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Postings(Protocol):
    """One term's posting list in one field of one segment."""

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        """Every document number holding the term, ascending, and its weight in each."""
        ...

    def positions_at(self, wanted: Sequence[int]) -> dict[int, Sequence[int]]:
        """The word positions of the term in those of ``wanted`` (ascending) that hold it."""
        ...


def side_by_side(first: Postings, second: Postings) -> dict[int, int]:
    """How many times, in each document holding both terms, the second comes
    right after the first; documents where it never does are left out.

    Both posting lists are read whole (a query of any of its words reads them
    all anyway), positions only in the documents holding both terms.
    """
    both = sorted(set(first.all()[0]).intersection(second.all()[0]))
    if not both:
        return {}
    before, after = first.positions_at(both), second.positions_at(both)
    counts: dict[int, int] = {}
    for number in both:
        following = set(after[number])
        count = sum(1 for position in before[number] if position + 1 in following)
        if count:
            counts[number] = count
    return counts


def in_a_row(positions: Sequence[Sequence[int]]) -> bool:
    """Whether the words stand one right after another somewhere, as a phrase
    (``positions``: each word's positions in one document, in the phrase's
    order); Whoosh's phrase match with its default slop of 1."""
    if len(positions) == 2:  # most phrases
        first = set(positions[0])
        return any(position - 1 in first for position in positions[1])
    starts = set(positions[0])
    for offset, following in enumerate(positions[1:], start=1):
        if not starts:
            return False
        starts.intersection_update(position - offset for position in following)
    return bool(starts)
