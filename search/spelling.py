"""Choosing a correction for a misspelt word: the closest candidate, then the commonest.

Pure string work; the search engine supplies the candidates (words of the
index within a small edit distance) and their frequencies.
"""

from __future__ import annotations

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


def closest(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The candidate nearest ``word``; among equally near ones, the most frequent.

    ``candidates`` are ``(word, frequency)`` pairs; ``word`` itself never wins.
    """
    ranked = [
        (edit_distance(word, candidate), -frequency, candidate)
        for candidate, frequency in candidates
        if candidate != word
    ]
    return min(ranked)[2] if ranked else None
