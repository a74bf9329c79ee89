"""Spelling suggestions: nearest word first, then the commonest."""

from __future__ import annotations

import pytest

import search
from search.spelling import closest, edit_distance


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("syria", "syria", 0),
        ("syira", "syria", 1),  # two neighbours swapped: one edit
        ("srai", "syria", 2),
        ("vacines", "vaccines", 1),
        ("vaccine", "vaccines", 1),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
    ],
)
def test_edit_distance_counts_inserts_deletes_substitutions_and_swaps(
    first: str, second: str, distance: int
) -> None:
    assert edit_distance(first, second) == distance
    assert edit_distance(second, first) == distance


def test_closest_prefers_the_nearest_word_over_a_commoner_one() -> None:
    assert closest("syira", [("syrian", 500), ("syria", 3)]) == "syria"


def test_closest_breaks_ties_by_frequency() -> None:
    assert closest("hause", [("haste", 1), ("house", 9)]) == "house"


def test_closest_never_suggests_the_word_itself() -> None:
    assert closest("syria", [("syria", 10)]) is None


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("syira", "syria"), ("kilings", "killings"), ("Hodieda", "hodeida"), ("coffns", "coffins")],
)
def test_suggestions_are_words_of_the_text_not_stems(
    open_seeded: search.Index, typed: str, suggested: str
) -> None:
    assert open_seeded.search(typed).suggestion == suggested


def test_only_the_misspelt_word_of_a_query_is_replaced(open_seeded: search.Index) -> None:
    assert open_seeded.search("Assad regme").suggestion == "Assad regime"
