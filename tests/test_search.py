"""Searching through the Python API: the query language, filters, order and errors."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import ARTICLE_TITLE, FRENCH_POLICE, TURKEY, write_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexer
import search

UTC = UTC


def titles(results: search.SearchResults) -> list[str]:
    return [hit.title for hit in results]


def marked(hit: search.Hit) -> list[str]:
    return [hit.snippet.text[start:end] for start, end in hit.snippet.marks]


def test_assad_finds_the_article_with_marks_on_assad(open_seeded: search.Index) -> None:
    results = open_seeded.search("Assad")
    assert [hit.kind for hit in results] == ["article"]
    assert set(marked(results.hits[0])) == {"Assad"}
    assert results.hits[0].score is not None and results.hits[0].score > 0


def test_all_words_must_match_by_default(open_seeded: search.Index) -> None:
    assert titles(open_seeded.search("Brexit backstop")) == [
        "EU leaders offer to 'demystify' Brexit deal but won't change backstop"
    ]
    assert open_seeded.search("Brexit Hodeida").total == 0


def test_or_matches_either_word(open_seeded: search.Index) -> None:
    assert open_seeded.search("Brexit OR Hodeida", kind="headline").total == 2


def test_not_leaves_out_records_with_the_word(open_seeded: search.Index) -> None:
    results = open_seeded.search("Syria NOT Turkey", kind="headline")
    assert titles(results) == [
        "Al-Jaafari calls for stopping the politicization of humanitarian affair in Syria"
    ]


def test_quoted_phrase_matches_the_words_in_order(open_seeded: search.Index) -> None:
    assert open_seeded.search('"yellow vest"').total == 1
    assert open_seeded.search('"vest yellow"').total == 0


def test_field_prefix_searches_only_that_field(open_seeded: search.Index) -> None:
    assert [hit.kind for hit in open_seeded.search("title:coffins")] == ["article"]
    assert open_seeded.search("body:coffins").total == 0


def test_prefix_star_matches_word_starts(open_seeded: search.Index) -> None:
    assert open_seeded.search("Hodei*").total == 1


def test_fuzzy_tilde_matches_a_near_spelling(open_seeded: search.Index) -> None:
    assert open_seeded.search("Hodieda").total == 0
    assert open_seeded.search("Hodieda~2").total == 1


def test_stemming_lets_killings_find_killed(open_seeded: search.Index) -> None:
    hit = open_seeded.search("killings").hits[0]
    assert "killed" in marked(hit) or "killing" in [w.lower() for w in marked(hit)]


def test_snippet_marks_stemmed_variants_of_the_query_word(open_seeded: search.Index) -> None:
    hit = open_seeded.search("kill").hits[0]
    assert {word.lower() for word in marked(hit)} <= {"killed", "killing", "killings"}
    assert marked(hit)


def test_headline_snippet_is_the_whole_headline(open_seeded: search.Index) -> None:
    hit = open_seeded.search("Hodeida").hits[0]
    assert hit.snippet.text == hit.title
    assert marked(hit) == ["Hodeida"]


def test_footers_are_left_out_unless_asked_for(open_seeded: search.Index) -> None:
    assert open_seeded.search("Maintained").total == 0
    assert [hit.kind for hit in open_seeded.search("Maintained", kind="footer")] == ["footer"]
    assert open_seeded.search("Maintained", kind="all").total == 1


def test_since_and_until_are_inclusive_whole_days(open_seeded: search.Index) -> None:
    assert open_seeded.headlines(since="2018-12-14").total == 3
    assert open_seeded.headlines(until="2018-12-13").total == 5
    assert open_seeded.headlines(since="2018-12-13", until="2018-12-13").total == 5


def test_a_bound_with_a_time_is_exact_and_utc(open_seeded: search.Index) -> None:
    assert open_seeded.headlines(since="2018-12-14T15:21").total == 2
    assert open_seeded.headlines(since="2018-12-14T16:21+01:00").total == 2
    moment = datetime(2018, 12, 14, 15, 21, tzinfo=UTC)
    assert open_seeded.headlines(until=moment).total == 7


def test_headlines_without_a_query_are_all_of_them_newest_first(
    open_seeded: search.Index,
) -> None:
    results = open_seeded.headlines()
    stamps = [hit.published for hit in results]
    assert len(stamps) == 8
    assert stamps == sorted(stamps, reverse=True)  # type: ignore[type-var]
    assert stamps[0] == datetime(2018, 12, 14, 18, 45, tzinfo=UTC)


def test_sort_oldest_and_newest_order_by_time(open_seeded: search.Index) -> None:
    newest = open_seeded.search("Syria", kind="headline", sort="newest")
    oldest = open_seeded.search("Syria", kind="headline", sort="oldest")
    assert titles(oldest) == list(reversed(titles(newest)))
    assert newest.hits[0].published == datetime(2018, 12, 14, 15, 21, tzinfo=UTC)
    assert newest.hits[0].score is None


def test_sorting_by_date_puts_undated_records_last(open_seeded: search.Index) -> None:
    for order in ("newest", "oldest"):
        kinds = [hit.kind for hit in open_seeded.search("Syria", sort=order)]
        assert kinds[-1] == "article" and "article" not in kinds[:-1]


def test_limit_and_offset_page_through_hits(open_seeded: search.Index) -> None:
    everything = titles(open_seeded.headlines(limit=8))
    first = open_seeded.headlines(limit=3)
    second = open_seeded.headlines(limit=3, offset=3)
    assert titles(first) + titles(second) == everything[:6]
    assert first.total == second.total == 8


def test_no_hits_suggests_a_close_spelling(open_seeded: search.Index) -> None:
    results = open_seeded.search("syira")
    assert results.total == 0
    assert results.suggestion == "syria"


def test_no_suggestion_for_a_word_nothing_resembles(open_seeded: search.Index) -> None:
    assert open_seeded.search("zqxjvw").suggestion is None


def test_match_any_finds_records_with_either_word(open_seeded: search.Index) -> None:
    assert open_seeded.search("Brexit Hodeida").total == 0
    assert open_seeded.search("Brexit Hodeida", match="any").total == 2


def test_match_any_ranks_records_with_more_of_the_words_first(private_index: Path) -> None:
    texts = ["lichen moss rain", "lichen fern sand", "lichen moss fern", "pebble sand rain"]
    indexer.index_records(
        indexer.Article(f"note {n}", (text,), (indexer.Source(f"notes:{n}", n),))
        for n, text in enumerate(texts, start=1)
    )
    with search.open_index(private_index) as opened:
        results = opened.search("lichen moss fern", match="any")
    assert titles(results)[0] == "note 3"
    assert sorted(titles(results)[1:]) == ["note 1", "note 2"]


def test_no_record_with_all_words_says_how_many_have_any(open_seeded: search.Index) -> None:
    assert open_seeded.search("Brexit Hodeida").any_total == 2


def test_any_total_is_zero_when_all_words_found_or_no_word_is(
    open_seeded: search.Index,
) -> None:
    assert open_seeded.search("Brexit backstop").any_total == 0
    assert open_seeded.search("zqxjvw qwxzvbn").any_total == 0


def test_unknown_match_raises_query_error(open_seeded: search.Index) -> None:
    with pytest.raises(indexer.QueryError, match="unknown match"):
        open_seeded.search("Syria", match="some")  # type: ignore[arg-type]


def test_a_word_in_the_body_outweighs_the_same_word_in_the_caption_alone(
    private_index: Path,
) -> None:
    indexer.index_records(
        [
            indexer.Article("lichen", ("moss grows on rocks",), (indexer.Source("a:1", 1),)),
            indexer.Article("moss", ("lichen grows on rocks",), (indexer.Source("a:2", 2),)),
        ]
    )
    with search.open_index(private_index) as opened:
        assert titles(opened.search("lichen")) == ["moss", "lichen"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"yellow vest', "unbalanced quote"),
        ("(Syria OR Turkey", "unbalanced parenthesis"),
        ("kind:article", "cannot search the field 'kind'"),
        ("the", "no word that can be searched"),
    ],
)
def test_bad_queries_raise_query_error_saying_why(
    open_seeded: search.Index, query: str, message: str
) -> None:
    with pytest.raises(indexer.QueryError, match=message):
        open_seeded.search(query)


def test_bad_date_raises_query_error_with_an_example(open_seeded: search.Index) -> None:
    with pytest.raises(indexer.QueryError, match="2018-12-13"):
        open_seeded.search("Syria", since="2018-13-45")


def test_record_returns_the_whole_record(open_seeded: search.Index) -> None:
    hit = open_seeded.search("Assad").hits[0]
    record = open_seeded.record(hit.id)
    assert isinstance(record, indexer.Article)
    assert len(record.paragraphs) == 12
    assert record.sources[0].line == 1


def test_unknown_record_id_raises_record_not_found(open_seeded: search.Index) -> None:
    with pytest.raises(indexer.RecordNotFound):
        open_seeded.record("h-0000000000000000")


def test_opening_a_missing_index_says_to_run_index_first(tmp_path: Path) -> None:
    with pytest.raises(indexer.IndexNotFound, match="run `newsdex index` first"):
        search.open_index(tmp_path / "none")


def test_refresh_sees_pages_indexed_after_opening(
    tmp_path: Path, open_seeded: search.Index, seeded_index: Path
) -> None:
    page = write_page(tmp_path, "new.txt", "Fresh caption\nA story about zeppelins.")
    indexer.index_paths([page], index=seeded_index)
    assert open_seeded.search("zeppelins").total == 0
    open_seeded.refresh()
    assert open_seeded.search("zeppelins").total == 1


def test_refresh_of_an_index_whose_folder_is_gone_raises_index_not_found(
    open_seeded: search.Index, seeded_index: Path
) -> None:
    shutil.rmtree(seeded_index)
    with pytest.raises(indexer.IndexNotFound, match="run `newsdex index` first"):
        open_seeded.refresh()


def test_refreshed_index_scores_as_one_opened_afresh(
    tmp_path: Path, open_seeded: search.Index, seeded_index: Path
) -> None:
    page = write_page(tmp_path, "new.txt", "Syria caption\nA story about Syria and zeppelins.")
    indexer.index_paths([page], index=seeded_index)
    open_seeded.refresh()
    with search.open_index(seeded_index) as fresh:
        expected = [(hit.id, hit.score) for hit in fresh.search("Syria zeppelins", match="any")]
    assert [(hit.id, hit.score) for hit in open_seeded.search("Syria zeppelins", match="any")] == (
        expected
    )


def test_a_field_query_marks_only_that_field(open_seeded: search.Index) -> None:
    hit = open_seeded.search("title:Shughour").hits[0]
    assert hit.kind == "article"
    assert marked(hit) == []
    assert open_seeded.search("body:Shughour").hits[0].snippet.marks


def test_offset_past_the_end_keeps_the_total(open_seeded: search.Index) -> None:
    results = open_seeded.headlines(offset=50)
    assert results.hits == ()
    assert results.total == 8


def assert_marks_fall_where_the_analyzer_finds_the_terms(text: str, query: str) -> None:
    from whoosh.analysis import StemmingAnalyzer

    from search.matches import match_spans

    analyzer = StemmingAnalyzer()

    def stems_of(word: str) -> tuple[str, ...]:
        return tuple(token.text for token in analyzer(word))

    stems = frozenset(token.text for token in analyzer(query))
    expected = {
        (token.startchar, token.endchar): token.text
        for token in analyzer(text, chars=True)
        if token.text in stems
    }
    assert match_spans(text, stems, stems_of) == expected, query


def test_snippet_marks_fall_exactly_where_the_analyzer_finds_the_terms(seed_text: str) -> None:
    for query in ("killings", "security officers", "Syria's army", "u.s al-Shughour", "the"):
        assert_marks_fall_where_the_analyzer_finds_the_terms(seed_text, query)


WORDS_OF_TEXT = ["Killing", "killed", "İstanbul", "istanbul", "Straße", "ΟΔΟΣ", "co_op"]
WORDS = [*WORDS_OF_TEXT, "u.s", "U.S.", "army's"]
GLUE = [" ", ". ", ".", "-", "\n", "_", "'", "x.", "İ"]


QUERY_WORDS = [
    "Syria",
    "syria's",
    "the",
    "a",
    "x",
    "2018",
    "AND",
    "OR",
    "NOT",
    "and",
    "TO",
    "REQUIRE",
]


# Plain-word queries of the words above and of the seed page, and a kind to search.
plain_queries = given(
    st.lists(st.sampled_from(QUERY_WORDS + WORDS_OF_TEXT), min_size=1, max_size=4),
    st.sampled_from([None, "all", "article", "headline", "footer"]),
)
on_the_seed = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@on_the_seed
@plain_queries
def test_plain_words_make_the_query_whoosh_parser_makes(
    open_seeded: search.Index, words: list[str], kind: str | None
) -> None:
    text = " ".join(words)
    fast = open_seeded._parser._plain_words_query(text, kind, "all")  # type: ignore[arg-type]
    if fast is not None:
        parsed = open_seeded._parser._parser_for(kind, "all").parse(text)  # type: ignore[arg-type]
        assert (fast, str(fast)) == (parsed, str(parsed))


@on_the_seed
@plain_queries
def test_parsing_plain_words_gives_what_the_parser_and_its_checks_give(
    open_seeded: search.Index, words: list[str], kind: str | None
) -> None:
    text = " ".join(words)
    parser, reader = open_seeded._parser, open_seeded._searcher.reader()
    outcomes = []
    for plain_words in (parser._plain_words, lambda *_: None):  # then Whoosh's parser, every check
        parser._plain_words = plain_words  # type: ignore[method-assign]
        try:
            parsed = parser.parse(text, reader, kind)  # type: ignore[arg-type]
            outcomes.append((parsed, str(parsed)))
        except indexer.QueryError as error:
            outcomes.append((None, str(error)))
        finally:
            del parser._plain_words
    assert outcomes[0] == outcomes[1]


def test_queries_with_syntax_are_left_to_whoosh_parser(open_seeded: search.Index) -> None:
    for text in ("Syria AND army", "syr*", '"security forces"', "title:Syria", "army~", "-x"):
        assert open_seeded._parser._plain_words_query(text, None, "all") is None, text
    assert open_seeded._parser._plain_words_query("Syria army", None, "any") is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GLUE)), max_size=12),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
)
def test_snippet_marks_fall_where_the_analyzer_finds_the_terms_in_any_text(
    pieces: list[tuple[str, str]], query: list[str]
) -> None:
    text = "".join(word + glue for word, glue in pieces)
    assert_marks_fall_where_the_analyzer_finds_the_terms(text, " ".join(query))


@pytest.mark.parametrize(
    "query", ["Syria", "Syria army", "Syria OR Brexit", "Syria NOT Turkey", '"yellow vest"', "syr*"]
)
def test_totals_count_every_match_exactly(open_seeded: search.Index, query: str) -> None:
    expected = len(list(open_seeded._searcher.docs_for_query(open_seeded._parse(query, "all"))))
    found = open_seeded.search(query, kind="all", limit=1)
    assert found.total == expected
    assert expected > 0


def test_whoosh_memory_copy_finds_what_the_default_finds(seeded_index: Path) -> None:
    with (
        search.open_index(seeded_index) as mapped,
        search.open_index(seeded_index, mmap=True) as copied,
    ):
        for query in ("Syria", "security forces", '"Jisr al-Shughour"'):
            assert mapped.search(query).hits == copied.search(query).hits, query


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ('title:"yellow vest"', FRENCH_POLICE),
        ('body:"Assad regime"', ARTICLE_TITLE),
        ('title:("yellow vest")', FRENCH_POLICE),
    ],
)
def test_a_field_takes_a_phrase(open_seeded: search.Index, query: str, title: str) -> None:
    assert titles(open_seeded.search(query)) == [title]


def test_a_field_phrase_is_searched_in_that_field_only(open_seeded: search.Index) -> None:
    assert open_seeded.search('body:"yellow vest"').total == 0


@pytest.mark.parametrize("query", ["syria -turkey", "-turkey syria", "(syria -turkey)"])
def test_a_leading_minus_leaves_the_word_out(open_seeded: search.Index, query: str) -> None:
    with_turkey = {hit.id for hit in open_seeded.search("syria turkey", kind="all").hits}
    without = {hit.id for hit in open_seeded.search(query, kind="all", limit=100).hits}
    every = {hit.id for hit in open_seeded.search("syria", kind="all", limit=100).hits}
    assert with_turkey and without == every - with_turkey


def test_a_minus_before_a_field_leaves_the_word_out_of_that_field(
    open_seeded: search.Index,
) -> None:
    found = open_seeded.search("syria -title:turkey", kind="all", limit=100)
    assert TURKEY not in titles(found)  # Turkey in its headline
    assert ARTICLE_TITLE in titles(found)  # Turkey in its body only


@pytest.mark.parametrize("query", ["al-Assad", "covid-19 cases", "Jisr al-Shughour"])
def test_a_hyphen_inside_a_word_is_no_minus(open_seeded: search.Index, query: str) -> None:
    assert open_seeded._parse(query).__class__.__name__ != "AndNot"


def test_a_minus_with_any_leaves_the_word_out_and_a_plus_requires_one(
    open_seeded: search.Index,
) -> None:
    either = open_seeded.search("syria turkey", match="any", kind="all", limit=100)
    no_turkey = open_seeded.search("syria -turkey", match="any", kind="all", limit=100)
    must_turkey = open_seeded.search("syria +turkey", match="any", kind="all", limit=100)
    both = open_seeded.search("syria turkey", kind="all", limit=100)
    assert no_turkey.total == either.total - open_seeded.search("turkey", kind="all").total
    assert {hit.id for hit in must_turkey.hits} == {
        hit.id for hit in open_seeded.search("turkey", kind="all", limit=100).hits
    }
    assert both.total <= must_turkey.total


@pytest.mark.parametrize("query", ["€", "🙂", "!!!", '""', "x", "the"])
def test_a_query_with_no_searchable_word_says_so(open_seeded: search.Index, query: str) -> None:
    with pytest.raises(indexer.QueryError, match="has no word that can be searched") as raised:
        open_seeded.search(query)
    assert "not indexed" in str(raised.value)


def test_a_query_that_only_leaves_words_out_says_so(open_seeded: search.Index) -> None:
    with pytest.raises(indexer.QueryError, match="only leaves words out"):
        open_seeded.search("-turkey")


def test_a_reversed_date_range_is_an_error_not_an_empty_answer(
    open_seeded: search.Index,
) -> None:
    with pytest.raises(indexer.QueryError, match="the date range is reversed"):
        open_seeded.search("syria", since="2019-01-01", until="2018-01-01")


@pytest.mark.parametrize(
    ("arguments", "blamed"),
    [
        ({"kind": "bogus"}, "unknown kind 'bogus'"),
        ({"sort": "bogus"}, "unknown sort 'bogus'"),
        ({"match": "bogus"}, "unknown match 'bogus'"),
        ({"limit": 0}, "limit must be at least 1"),
    ],
)
def test_a_bad_argument_is_blamed_not_the_query(
    open_seeded: search.Index, arguments: dict[str, Any], blamed: str
) -> None:
    with pytest.raises(indexer.QueryError) as raised:
        open_seeded.search("yemen", **arguments)
    assert str(raised.value).startswith(blamed)
    assert "yemen" not in str(raised.value)


def test_not_leaves_out_the_first_match_too(tmp_path: Path) -> None:
    """Whoosh's AndNotMatcher checked its first match against the words left out
    only when both lists began on the same record: ``harbour -strike`` gave
    the first page with "harbour", which has "strike" too (found by the
    sharded tests)."""
    pages = tmp_path / "pages"
    write_page(pages, "0.txt", "Strike\nA strike elsewhere.\n")
    write_page(pages, "1.txt", "Harbour\nThe harbour strike goes on.\n")
    write_page(pages, "2.txt", "Harbour calm\nThe harbour is calm.\n")
    indexer.index_paths([pages], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as opened:
        assert [hit.title for hit in opened.search("harbour -strike").hits] == ["Harbour calm"]
        assert opened.search("harbour NOT strike").total == 1


def test_a_not_matches_no_page_bookkeeping_and_no_deleted_record(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    page = write_page(pages, "0.txt", "Harbour\nThe harbour strike goes on.\n")
    write_page(pages, "1.txt", "Calm\nAll is calm.\n")
    indexer.index_paths([pages], index=tmp_path / "index")
    page.write_text("Harbour\nThe harbour strike is over.\n")
    indexer.index_paths([pages], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as opened:
        found = opened.search("harbour NOT calm", match="any", limit=50)
        assert sorted(hit.title for hit in found.hits) == ["Harbour"]
        assert opened.count("harbour NOT calm", match="any", by="kind").total == 1
