"""Choosing a correction for a misspelt word: the closest candidate, then the commonest.

Pure string work; the search engine supplies the candidates (words of the
index within a small edit distance) and their frequencies.
"""

from __future__ import annotations

import string
from collections.abc import Iterable


def edit_distance(first: str, second: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from one word to the other."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def single_edits(word: str) -> list[str]:
    """Every string one edit from ``word``: a letter inserted, deleted or replaced, or
    two neighbours swapped (sorted, without ``word`` itself).

    A word of n letters has about 54n of them, few enough to look each up in
    the index: the cheapest way to find the words a typo was meant to be.
    """
    letters = sorted(set(string.ascii_lowercase) | set(word))
    edits: set[str] = set()
    for at in range(len(word) + 1):
        before, after = word[:at], word[at:]
        edits.update(before + letter + after for letter in letters)
        if after:
            edits.add(before + after[1:])
            edits.update(before + letter + after[1:] for letter in letters)
        if len(after) > 1:
            edits.add(before + after[1] + after[0] + after[2:])
    edits.discard(word)
    return sorted(edits)


def ranked(word: str, candidates: Iterable[tuple[str, int]]) -> list[str]:
    """The candidates, nearest ``word`` first; among equally near ones, the most frequent.

    ``candidates`` are ``(word, frequency)`` pairs; ``word`` itself is left out.
    """
    keyed = sorted(
        (edit_distance(word, candidate), -frequency, candidate)
        for candidate, frequency in candidates
        if candidate != word
    )
    return [candidate for _, _, candidate in keyed]


def closest(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The first of :func:`ranked`, or None when there is no candidate."""
    return next(iter(ranked(word, candidates)), None)
