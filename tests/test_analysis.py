"""The analyzer: mended Porter stems, hyphenated words as parts (and joined, with a digit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.lang.porter import stem as whoosh_stem

import indexer
import search
from indexer import analysis
from indexer.analysis import porter_stem
from indexer.records import Article, Source
from indexer.words import HYPHENS, MARKS, compound, token_end

# Step 1b of Porter's paper (Porter 1980, "An algorithm for suffix stripping"):
# after "ed" or "ing" goes, "at", "bl", "iz" take an "e" back, and a double
# consonant other than l, s or z loses one.
PAPER_STEP_1B = {
    "conflated": "conflat",  # conflate, then step 4 and 5 as in the paper's vocabulary
    "troubled": "troubl",
    "sized": "size",
    "hopping": "hop",
    "tanned": "tan",
    "falling": "fall",
    "hissing": "hiss",
    "fizzed": "fizz",
    "failing": "fail",
    "filing": "file",
    "motoring": "motor",
    "plastered": "plaster",
}


@pytest.mark.parametrize(("word", "stem"), PAPER_STEP_1B.items())
def test_step_1b_as_porter_wrote_it(word: str, stem: str) -> None:
    assert porter_stem(word) == stem


def test_inflections_share_a_stem_where_whoosh_split_them() -> None:
    for words in (
        ("activated", "activation", "activates"),
        ("associated", "association"),
        ("stopped", "stop", "stops"),
        ("regulated", "regulation"),
    ):
        assert len({porter_stem(word) for word in words}) == 1, words
    assert whoosh_stem("activated") != whoosh_stem("activation")  # why it is mended


def test_other_words_stem_as_whoosh_stems_them() -> None:
    for word in ("generalizations", "oscillators", "relational", "happy", "sky", "caresses"):
        assert porter_stem(word) == whoosh_stem(word)


def test_the_analyzer_stems_and_drops_stop_words() -> None:
    analyzer = analysis.analyzer()
    assert [token.text for token in analyzer("The activated cells were stopped")] == [
        "activ",
        "cell",
        "were",
        "stop",
    ]


def terms(text: str) -> list[str]:
    return [token.text for token in analysis.analyzer()(text)]


def test_a_hyphenated_name_with_a_digit_is_also_its_parts_written_together() -> None:
    assert terms("IL-10 and 4-PBA") == ["il", "10", "il10", "pba", "4pba"]
    assert terms("COVID\u201119 cases") == ["covid", "19", "covid19", "case"]  # non-breaking hyphen
    assert terms("IL10") == ["il10"]  # so "IL-10" finds it


def test_a_compound_of_words_is_its_words() -> None:
    assert terms("anti-inflammatory state-of-the-art") == ["anti", "inflammatori", "state", "art"]
    assert terms("Ca2+ a+b p62/SQSTM1") == ["ca2", "p62", "sqstm1"]  # only hyphens join


def test_parts_have_their_places_in_the_text_and_positions_count_on() -> None:
    text = "high IL-10 levels"
    tokens = [
        (token.text, token.pos, text[token.startchar : token.endchar])
        for token in analysis.analyzer()(text, positions=True, chars=True)
    ]
    assert tokens == [
        ("high", 0, "high"),
        ("il", 1, "IL"),
        ("10", 2, "10"),
        ("il10", 3, "IL-10"),
        ("level", 4, "levels"),
    ]


def test_a_search_for_il_10_finds_it_however_written_before_other_interleukins(
    tmp_path: Path,
) -> None:
    texts = {
        "IL-6": "IL-6 levels rose in 10 patients.",
        "IL-10": "IL-10 levels rose in patients.",
        "IL10": "IL10 was measured.",
        **{f"other {n}": "Other cells were measured." for n in range(5)},
    }
    records = [Article(title, (text,), (Source(title, 1),)) for title, text in texts.items()]
    indexer.index_records(records, index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as index:
        found = index.search("IL-10", match="any")
    assert found.hits[0].title == "IL-10"
    assert {hit.title for hit in found.hits} == {"IL-10", "IL10", "IL-6"}


def pipeline_positions(text: str) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for token in analysis.analyzer()(text, positions=True, mode="index"):
        positions.setdefault(token.text, []).append(token.pos)
    return positions


@pytest.mark.parametrize(
    "text",
    [
        "The killings في المَدْرَسَةُ and Apple شركة IL-10 state-of-the-art covid-19 4-PBA",
        "-x- a--b e.g. U.S. 1.5 *brexit* don't O'Neill's",
        "",
        "the of and",
    ],
)
def test_indexing_gives_the_terms_and_positions_the_analyzer_gives(text: str) -> None:
    assert analysis.indexed_positions(text) == pipeline_positions(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "IL-10",
                "the",
                "killings",
                "المَدْرَسَةُ",
                "مدرسة",
                "a",
                "x-ray",
                "4-PBA",
                "U.S.",
                "café",
                "naïve",
                "e\u0301",
                "-",
                "--",
                "2019",
                "ٱلْ",
                " ",
                "\n",
                ".",
                "*",
                "'s",
            ]
        ),
        max_size=30,
    )
)
def test_indexing_gives_what_the_analyzer_gives_on_any_mix(pieces: list[str]) -> None:
    text = " ".join(pieces)
    assert analysis.indexed_positions(text) == pipeline_positions(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.sampled_from([*"aZ7_sing\u212a", "İ", "é", "\u0301", "ب", "\u064e", "ا", "ل", "\u0660"]),
        max_size=12,
    )
)
def test_a_query_word_has_the_terms_the_analyzer_gives_in_query_mode(word: str) -> None:
    expected = [token.text for token in analysis.analyzer()(word, mode="query")]
    assert analysis.query_terms(word) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*"a7_*.- '\u2010", "é", "\u0301", "\U0001d165"]), max_size=24))
def test_tokens_are_those_of_the_patterns_written_without_runs_kept_whole(text: str) -> None:
    # Runs are never given back (possessive quantifiers, or atomic groups on
    # a Python before 3.11.5, whose possessive ones matched "7." whole): the
    # same tokens as the patterns with plain quantifiers, which backtrack.
    token = rf"[\w*](?:[\w*{MARKS}]+|\.(?=[\w*]))*"
    plain = re.compile(rf"{token}(?:[{HYPHENS}]{token})*")
    assert compound().findall(text) == plain.findall(text)
    ascii_text = text.encode("ascii", "ignore").decode()
    ascii_plain = re.compile(r"[\w*]+(?:[.-][\w*]+)*", re.ASCII)
    assert analysis._ASCII_COMPOUND.findall(ascii_text) == ascii_plain.findall(ascii_text)
    for found in plain.finditer(text):
        assert token_end(text, found.start() + 1) >= found.start() + 1


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from([*"aZ7_*.-' \u2010", "é", "\u0301", "ب", "\u064e", "\U0001f600"])))
def test_the_tokenizer_cuts_what_the_compound_pattern_cuts(text: str) -> None:
    # ASCII text is cut with a simpler pattern, any other with the whole one.
    tokens = [token.text for token in analysis.WordTokenizer()(text)]
    assert tokens == compound().findall(text)


FORMER_ASCII_COMPOUND = r"[\w*]+(?:\.?[\w*]+)*(?:-[\w*]+(?:\.?[\w*]+)*)*"
"""The ASCII token pattern before it matched possessively."""


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from([*"aZ7_*.-' \n"]), max_size=40))
def test_ascii_text_is_cut_as_the_former_ascii_pattern_cut_it(text: str) -> None:
    import re

    former = re.compile(FORMER_ASCII_COMPOUND, re.ASCII)
    assert [m.span() for m in analysis._ASCII_COMPOUND.finditer(text)] == [
        m.span() for m in former.finditer(text)
    ]
