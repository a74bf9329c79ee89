"""Plain-word queries ranked from the posting lists (search.top_hits) find the
true best matches, scored as Whoosh scores them."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import indexer
import search
from search import top_hits
from search.query import any_words_of, phrase_of, words_of
from search.ranking import Postings, matching_phrase, rank_words, segment_term


@pytest.fixture(scope="module")
def crawl_index(
    tmp_path_factory: pytest.TempPathFactory, bbc_news: Path
) -> Iterator[tuple[Path, Path]]:
    """300 generated pages indexed in two runs (two segments), then 20 pages
    removed (deleted documents): posting lists of many blocks."""
    from benchmarks.generate import write_pages

    folder = tmp_path_factory.mktemp("top-hits")
    crawl, index = folder / "crawl", folder / "index"
    write_pages(crawl / "first", 200)
    indexer.index_paths([crawl], index=index)
    write_pages(crawl / "second", 100, start=200)
    indexer.index_paths([crawl], index=index)
    for page in sorted((crawl / "first").rglob("*.txt"))[:20]:
        page.unlink()
    indexer.index_paths([crawl], index=index)
    yield crawl, index
    shutil.rmtree(folder)


def exhaustive_top(
    index: search.Index, text: str, kind: str | None, limit: int, match: str = "all"
) -> list[tuple[int, float]]:
    """The best matches as Whoosh finds them when it scores every match: without
    block skipping, and without the matcher rewriting that can lose them."""
    from whoosh.collectors import UnlimitedCollector

    parsed = index._parse(text, kind, match)  # type: ignore[arg-type]
    restriction = index._filters.restrict(kind, None, None)  # type: ignore[arg-type]
    assert restriction is not None
    keep, leave_out = restriction.get("filter"), restriction.get("mask") or set()
    collector = UnlimitedCollector()
    collector.replace = 0
    index._searcher.search_with_collector(parsed, collector)
    every = [
        (hit.docnum, hit.score)
        for hit in collector.results()
        if (keep is None or hit.docnum in keep) and hit.docnum not in leave_out
    ]
    # Ties (to nine decimals) go to the smaller record id, in one index as in shards.
    return sorted(every, key=lambda pair: (-round(pair[1], 9), record_id(index, pair[0])))[:limit]


def record_id(index: search.Index, number: int) -> str:
    return str(index._searcher.stored_fields(number)["id"])


def whoosh_count(index: search.Index, parsed: object, restriction: dict[str, set[int]]) -> int:
    keep, leave_out = restriction.get("filter"), restriction.get("mask") or set()
    matching = index._searcher.docs_for_query(parsed)
    return sum(1 for n in matching if (keep is None or n in keep) and n not in leave_out)


def test_plain_words_rank_as_whoosh_scoring_every_match(crawl_index: tuple[Path, Path]) -> None:
    from benchmarks.queries import make_queries

    crawl, index_folder = crawl_index
    with search.open_index(index_folder) as index:
        assert len(index._searcher.leaf_searchers()) >= 2
        assert any(reader.has_deletions() for reader, _ in index._searcher.reader().leaf_readers())
        checked = 0
        for query in make_queries(crawl):
            if query.phrase:
                continue
            for kind in (None, "article", "headline", "all"):
                parsed = index._parse(query.text, kind)  # type: ignore[arg-type]
                words = words_of(parsed)
                assert words is not None, query.text
                restriction = index._filters.restrict(kind, None, None)  # type: ignore[arg-type]
                assert restriction is not None
                key = functools.partial(record_id, index)
                ranked = rank_words(index._searcher, words, restriction, 20, key)
                assert ranked is not None
                top, total = ranked
                assert top == exhaustive_top(index, query.text, kind, 20), (query.text, kind)
                assert total == whoosh_count(index, parsed, restriction)
                checked += 1
        assert checked == 4 * 180


def other_queries(crawl: Path) -> list[str]:
    """Queries Whoosh runs itself, made of the benchmark's words: phrases, ORs
    with a phrase, NOTs and words in a field."""
    from benchmarks.queries import make_queries

    made = make_queries(crawl)
    texts = [query.text for query in made if query.phrase]
    pairs = [query.words for query in made if len(query.words) >= 2]
    texts += [f"{a} NOT {b}" for a, b, *_ in pairs]
    texts += [f'"{a} {b}" OR {b}' for a, b, *_ in pairs]
    texts += [f"title:{a} {b}" for a, b, *_ in pairs]
    return texts


def test_a_word_in_a_segment_is_found_as_whoosh_reader_finds_it(
    crawl_index: tuple[Path, Path],
) -> None:
    # One term dictionary lookup stands for Whoosh's four (is it there, its
    # statistics, its postings, its scorer's best case): the same answers in
    # every segment; the list holds deleted documents too (ranking drops them).
    _, index_folder = crawl_index
    with search.open_index(index_folder) as index:
        weighting = index._searcher.weighting
        for leaf, _ in index._searcher.leaf_searchers():
            reader = leaf.reader()
            words = {text for field, text in reader.all_terms() if field == "body"}
            for field, text in [("body", word) for word in sorted(words)[::7]] + [
                ("title", "minister"),
                ("body", "nosuchword"),
                ("nosuchfield", "minister"),
            ]:
                found = segment_term(reader, field, text)
                if (field, text) not in reader:
                    assert found is None, (field, text)
                    continue
                assert found is not None
                info, matcher = found
                assert info.doc_frequency() == reader.doc_frequency(field, text)
                ids, weights = Postings(matcher).all()
                live = [number for number in ids if not reader.is_deleted(number)]
                whooshs = reader.postings(field, text)
                assert live == list(whooshs.all_ids())
                assert len(ids) == info.doc_frequency()
                assert [w for n, w in zip(ids, weights, strict=True) if n in live] == [
                    m.weight() for m in iter_matcher(reader.postings(field, text))
                ]
                quick = weighting.scorer(leaf, field, text, info=info)
                assert quick.max_quality() == weighting.scorer(leaf, field, text).max_quality()


def iter_matcher(matcher: Any) -> Iterator[Any]:
    while matcher.is_active():
        yield matcher
        matcher.next()


def test_other_queries_rank_as_whoosh_scoring_every_match(crawl_index: tuple[Path, Path]) -> None:
    crawl, index_folder = crawl_index
    with search.open_index(index_folder) as index:
        for text in other_queries(crawl):
            for kind in (None, "article"):
                best = exhaustive_top(index, text, kind, 20)
                ids = [index._searcher.stored_fields(number)["id"] for number, _ in best]
                found = index.search(text, kind=kind, limit=20)  # type: ignore[arg-type]
                assert [(hit.id, hit.score) for hit in found.hits] == [
                    (record_id, score) for record_id, (_, score) in zip(ids, best, strict=True)
                ], (text, kind)


def phrase_queries(crawl: Path) -> list[str]:
    """Phrases of two to four words, some with a word twice, some in one field,
    made of the benchmark's words."""
    from benchmarks.queries import make_queries

    made = [query.words for query in make_queries(crawl) if len(query.words) >= 2]
    texts = [f'"{" ".join(words)}"' for words in made]
    texts += [f'"{a} {b} {a}"' for a, b, *_ in made]
    texts += [f'"{a} {a}"' for a, *_ in made]
    texts += [f'title:"{a} {b}"' for a, b, *_ in made]
    return texts


def test_phrases_rank_as_whoosh_scoring_every_match(crawl_index: tuple[Path, Path]) -> None:
    """Found from the posting lists and the positions of the candidates only:
    the same matches, scores (to the last bit), order and total as Whoosh's
    phrase matcher, over two segments with deletions."""
    crawl, index_folder = crawl_index
    found_some = 0
    with search.open_index(index_folder) as index:
        for text in phrase_queries(crawl):
            for kind in (None, "article"):
                parsed = index._parse(text, kind)  # type: ignore[arg-type]
                assert phrase_of(parsed) is not None, text
                restriction = index._filters.restrict(kind, None, None)  # type: ignore[arg-type]
                assert restriction is not None
                best = exhaustive_top(index, text, kind, 20)
                expected = [(record_id(index, number), score) for number, score in best]
                found = index.search(text, kind=kind, limit=20)  # type: ignore[arg-type]
                assert [(hit.id, hit.score) for hit in found.hits] == expected, (text, kind)
                assert found.total == whoosh_count(index, parsed, restriction), (text, kind)
                found_some += bool(expected)
    assert found_some > 50


def test_a_phrase_is_a_quoted_phrase_or_the_same_in_each_field(
    open_seeded: search.Index,
) -> None:
    assert phrase_of(open_seeded._parse('"security forces"')) == [
        ("title", ("secur", "forc")),
        ("body", ("secur", "forc")),
    ]
    assert phrase_of(open_seeded._parse('title:"security forces"')) == [
        ("title", ("secur", "forc"))
    ]
    for text in ('"security forces" army', '"security forces"^2', '"security forces"~3'):
        assert phrase_of(open_seeded._parse(text)) is None, text


def test_a_phrase_missing_from_the_index_matches_nothing(open_seeded: search.Index) -> None:
    phrase = phrase_of(open_seeded._parse('"security zebra"'))
    assert phrase is not None
    assert matching_phrase(open_seeded._searcher, phrase) == ([], [])


def any_word_queries(crawl: Path) -> list[tuple[str, str]]:
    """(query, match) of any of some words: the benchmark's with ``match="any"``,
    and ORs of two of its words."""
    from benchmarks.queries import make_queries

    made = [query for query in make_queries(crawl) if not query.phrase]
    texts = [(query.text, "any") for query in made]
    texts += [(f"{a} OR {b}", "all") for a, b, *_ in (q.words for q in made if len(q.words) > 1)]
    return texts


def test_any_of_the_words_ranks_as_whoosh_scores_every_match(
    crawl_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the bonus for words side by side, which Whoosh does not give:
    the same matches, scores and total (scores added in another order may
    differ in their last bit, so ties may come in another order)."""
    crawl, index_folder = crawl_index
    monkeypatch.setattr("search.ranking.PROXIMITY_WEIGHT", 0.0)
    checked = 0
    with search.open_index(index_folder) as index:
        for text, match in any_word_queries(crawl):
            for kind in (None, "article", "all"):
                parsed = index._parse(text, kind, match)  # type: ignore[arg-type]
                assert any_words_of(parsed) is not None or words_of(parsed)
                restriction = index._filters.restrict(kind, None, None)  # type: ignore[arg-type]
                assert restriction is not None
                best = exhaustive_top(index, text, kind, 20, match)
                expected = [(index._searcher.stored_fields(n)["id"], s) for n, s in best]
                found = index.search(text, kind=kind, limit=20, match=match)  # type: ignore[arg-type]
                got = [(hit.id, hit.score) for hit in found.hits]
                assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-12)
                cutoff = expected[-1][1] + 1e-9 if expected else 0.0
                assert {i for i, s in got if s > cutoff} == {i for i, s in expected if s > cutoff}
                assert found.total == whoosh_count(index, parsed, restriction)
                checked += 1
    assert checked > 3 * 180


def test_words_side_by_side_add_to_any_word_queries_only(
    crawl_index: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    crawl, index_folder = crawl_index
    made = [query for query in any_word_queries(crawl) if query[1] == "any"]
    raised = 0
    with search.open_index(index_folder) as index:
        for text, _ in made:
            monkeypatch.setattr("search.ranking.PROXIMITY_WEIGHT", 0.0)
            without = {hit.id: hit.score for hit in index.search(text, match="any", limit=500).hits}
            plain = [(hit.id, hit.score) for hit in index.search(text, limit=50).hits]
            monkeypatch.setattr("search.ranking.PROXIMITY_WEIGHT", 0.1)
            found = index.search(text, match="any", limit=500)
            for hit in found.hits:
                assert hit.id in without  # the same matches, none lower
                assert hit.score is not None and hit.score >= without[hit.id]
                raised += hit.score > without[hit.id]
            assert [(hit.id, hit.score) for hit in index.search(text, limit=50).hits] == plain
    assert raised > 0


def test_search_counts_plain_word_matches_exactly(crawl_index: tuple[Path, Path]) -> None:
    _, index_folder = crawl_index
    with search.open_index(index_folder) as index:
        found = index.search("said")
        assert found.total == whoosh_count(index, index._parse("said"), {}) > 100


def test_queries_other_than_plain_words_are_left_to_whoosh(open_seeded: search.Index) -> None:
    for text in ('"security forces"', "syr*", "Syria NOT Turkey", "Syria OR Turkey", "army~"):
        assert words_of(open_seeded._parse(text)) is None, text
    assert words_of(open_seeded._parse("Syria army", match="any")) is None
    for text in ('"security forces"', "syr*", "Syria NOT Turkey", "title:Syria^2 OR army"):
        assert any_words_of(open_seeded._parse(text, match="any")) is None, text


def test_any_of_plain_words_are_words_in_the_order_typed(open_seeded: search.Index) -> None:
    words = [[("title", "syria"), ("body", "syria")], [("title", "armi"), ("body", "armi")]]
    assert any_words_of(open_seeded._parse("Syria army", match="any")) == words
    assert any_words_of(open_seeded._parse("Syria OR army")) == words
    assert any_words_of(open_seeded._parse("army Syria army", match="any")) == [
        words[1],
        words[0],
    ]
    assert words_of(open_seeded._parse("Syria title:army")) is not None


class ListPostings:
    def __init__(self, postings: dict[int, int]) -> None:
        self.postings = dict(sorted(postings.items()))

    def all(self) -> tuple[Sequence[int], Sequence[float]]:
        return list(self.postings), list(self.postings.values())

    def weights_at(self, wanted: Sequence[int]) -> dict[int, float]:
        return {number: self.postings[number] for number in wanted if number in self.postings}


def term(postings: dict[int, int], factor: float) -> top_hits.Term:
    def scores(numbers: Sequence[int], weights: Sequence[float]) -> list[float]:
        pairs = zip(numbers, weights, strict=True)
        return [factor * weight / (weight + 1 + number % 7) for number, weight in pairs]

    return top_hits.Term(ListPostings(postings), len(postings), scores)


postings_strategy = st.dictionaries(st.integers(0, 60), st.integers(1, 5), max_size=40)


@given(
    st.lists(
        st.lists(st.tuples(postings_strategy, st.floats(0.1, 3)), min_size=1, max_size=2),
        min_size=1,
        max_size=4,
    )
)
def test_matches_are_the_documents_holding_every_word(
    spec: list[list[tuple[dict[int, int], float]]],
) -> None:
    words = [[term(postings, factor) for postings, factor in word] for word in spec]
    numbers, scores = top_hits.matches(words)
    expected = sorted(set.intersection(*({n for p, _ in word for n in p} for word in spec)))
    assert numbers == expected
    for number, score in zip(numbers, scores, strict=True):
        each_word = [
            sum(
                t.scores([number], [p[number]])[0]
                for t, (p, _) in zip(w, word, strict=True)
                if number in p
            )
            for w, word in zip(words, spec, strict=True)
        ]
        assert score == pytest.approx(sum(each_word))


@given(
    st.lists(
        st.lists(st.tuples(postings_strategy, st.floats(0.1, 3)), min_size=1, max_size=2),
        min_size=1,
        max_size=3,
    ),
    st.sets(st.integers(0, 60)),
)
def test_matches_kept_are_scored_as_without_keeping(
    spec: list[list[tuple[dict[int, int], float]]], kept: set[int]
) -> None:
    words = [[term(postings, factor) for postings, factor in word] for word in spec]
    every = dict(zip(*top_hits.matches(words), strict=True))
    asked: list[list[int]] = []

    def keep(numbers: list[int]) -> list[int]:
        asked.append(numbers)
        return [number for number in numbers if number in kept]

    numbers, scores = top_hits.matches(words, keep=keep)
    assert asked in ([sorted(every)], [])  # asked once, with every match (none: not asked)
    assert numbers == sorted(set(every) & kept)
    assert scores == [every[number] for number in numbers]


def test_top_orders_by_score_then_smaller_key() -> None:
    ids = {5: "a-5", 3: "h-3", 9: "a-9", 1: "f-1"}
    assert top_hits.top([5, 3, 9, 1], [1.0, 2.0, 2.0, 0.5], 3, ids.__getitem__) == [
        (9, 2.0),
        (3, 2.0),
        (5, 1.0),
    ]


def test_scores_equal_to_nine_decimals_tie_and_only_candidates_have_their_key_read() -> None:
    read: list[int] = []

    def key(number: int) -> str:
        read.append(number)
        return f"r-{number:03d}"

    scores = [1.0, 3.0 + 1e-15, 3.0, 2.0, 0.5]
    assert top_hits.top([0, 1, 2, 3, 4], scores, 2, key) == [(1, 3.0 + 1e-15), (2, 3.0)]
    assert top_hits.top([7, 1, 2, 3, 4], [3.0, 3.0 + 1e-15, 9.0, 0.1, 0.2], 2, key)[1] == (
        1,
        3.0 + 1e-15,
    )
    assert sorted(set(read)) == [1, 2, 7]


def test_no_key_is_read_when_no_scores_near_the_top_tie() -> None:
    def key(number: int) -> str:
        raise AssertionError(f"key of {number} read")

    scores = [1.0, 3.0, 2.0, 0.5, 0.5]
    assert top_hits.top([10, 11, 12, 13, 14], scores, 3, key) == [(11, 3.0), (12, 2.0), (10, 1.0)]
    assert top_hits.first([10, 11, 12, 13], [4, 2, 3, 1], 2, key) == [13, 11]


def test_first_orders_by_key_then_record_id() -> None:
    ids = {4: "b", 5: "a", 6: "c"}
    assert top_hits.first([4, 5, 6], [10, 10, 5], 2, ids.__getitem__) == [6, 5]
