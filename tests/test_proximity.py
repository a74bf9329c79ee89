"""Query words side by side in the text (search.proximity) raise a match of any of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

import indexer
import search
from indexer.records import Article, Source
from search import proximity, ranking


class Positions:
    def __init__(self, postings: dict[int, list[int]]) -> None:
        self.postings = dict(sorted(postings.items()))

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        return list(self.postings), [len(found) for found in self.postings.values()]

    def positions_at(self, wanted: Sequence[int]) -> dict[int, Sequence[int]]:
        return {number: self.postings[number] for number in wanted if number in self.postings}


def test_side_by_side_counts_the_second_word_right_after_the_first() -> None:
    first = Positions({1: [0, 7, 20], 2: [5], 3: [9], 5: [1]})
    second = Positions({1: [1, 8, 30], 2: [4], 4: [10], 5: [3]})
    # 1: twice (0-1, 7-8); 2: the wrong way round; 3, 4: one word only; 5: a word between.
    assert proximity.side_by_side(first, second) == {1: 2}


def test_words_in_a_row_follow_each_other_one_position_apart() -> None:
    assert proximity.in_a_row([[3, 9], [10]])
    assert not proximity.in_a_row([[3, 9], [11]])
    assert proximity.in_a_row([[0, 4], [5, 1], [2]])
    assert not proximity.in_a_row([[0, 4], [1, 5], [3]])
    assert proximity.in_a_row([[4, 5], [4, 5]])  # a word twice: "new new"
    assert not proximity.in_a_row([[4], [4]])


@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=6), min_size=1, max_size=4))
def test_words_in_a_row_as_a_brute_force_look_at_each_start(positions: list[list[int]]) -> None:
    expected = any(
        all(start + offset in word for offset, word in enumerate(positions))
        for start in positions[0]
    )
    assert proximity.in_a_row(positions) == expected


TEXTS = {
    "together": "Risk of multiple sclerosis in twins was studied here.",
    "stop word between": "Risk of multiple of sclerosis in twins was studied.",
    "apart": "Multiple twins were studied for the risk of sclerosis.",
    "reversed": "Sclerosis multiple risk in twins was studied here today.",
    **{f"other {n}": "Twins were studied for other risks here." for n in range(6)},
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[search.Index]:
    folder = tmp_path_factory.mktemp("proximity") / "index"
    records = [Article(title, (text,), (Source(title, 1),)) for title, text in TEXTS.items()]
    indexer.index_records(records, index=folder)
    with search.open_index(folder) as opened:
        yield opened


def scores(index: search.Index, text: str, weight: float, match: str = "any") -> dict[str, float]:
    saved = ranking.PROXIMITY_WEIGHT
    ranking.PROXIMITY_WEIGHT = weight
    try:
        found = index.search(text, match=match, limit=20)  # type: ignore[arg-type]
    finally:
        ranking.PROXIMITY_WEIGHT = saved
    return {hit.title: hit.score for hit in found.hits if hit.score is not None}


def test_words_side_by_side_as_in_the_query_score_more(index: search.Index) -> None:
    without = scores(index, "multiple sclerosis", 0.0)
    with_it = scores(index, "multiple sclerosis", ranking.PROXIMITY_WEIGHT)
    raised = {title for title in with_it if with_it[title] > without[title]}
    # Stop words are not indexed: "multiple of sclerosis" has the two side by side.
    assert raised == {"together", "stop word between"}
    assert (
        with_it.keys() == without.keys() == {"together", "stop word between", "apart", "reversed"}
    )
    assert {title: with_it[title] for title in ("apart", "reversed")} == {
        title: without[title] for title in ("apart", "reversed")
    }


def test_the_bonus_is_bm25_of_the_pair_weighed_against_the_words(index: search.Index) -> None:
    # Both "together" and "stop word between" have the pair once, in bodies of
    # 7 and 6 indexed words: the bonus is the weight times the pair's BM25 in
    # the body, whose idf is that of a term in 2 of the 10 records.
    bonus = {
        title: scores(index, "multiple sclerosis", 1.0)[title]
        - scores(index, "multiple sclerosis", 0.0)[title]
        for title in ("together", "stop word between")
    }
    doubled = {
        title: scores(index, "multiple sclerosis", 2.0)[title]
        - scores(index, "multiple sclerosis", 0.0)[title]
        for title in bonus
    }
    for title in bonus:
        assert doubled[title] == pytest.approx(2 * bonus[title])
    assert bonus["stop word between"] > bonus["together"] > 0  # the shorter body weighs more


def test_every_word_required_gets_no_bonus(index: search.Index) -> None:
    assert scores(index, "multiple sclerosis", 0.0, "all") == scores(
        index, "multiple sclerosis", 1.0, "all"
    )
