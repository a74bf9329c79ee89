"""Snippets: the best fragments around the matches, as text plus match offsets."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from search.snippets import (
    _SENTENCE_END,
    SEPARATOR,
    SNIPPET_CHARS,
    _Sentences,
    make_snippet,
    whole_snippet,
)


def spans_of(text: str, word: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rf"\b{word}\b", text)]


def marked_words(snippet) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


FILLER = " ".join(f"filler{n}" for n in range(200))


def test_short_text_is_shown_whole_with_its_marks() -> None:
    text = "Syria's army besieged the town."
    snippet = make_snippet(text, spans_of(text, "army"))
    assert snippet.text == text
    assert marked_words(snippet) == ["army"]


def test_text_without_matches_gives_its_lead() -> None:
    snippet = make_snippet(FILLER, [])
    assert snippet.text.startswith("filler0 filler1")
    assert snippet.marks == ()
    assert len(snippet.text) <= SNIPPET_CHARS


def test_long_text_gives_at_most_snippet_chars_around_the_match() -> None:
    text = f"{FILLER} the Assad regime {FILLER}"
    snippet = make_snippet(text, spans_of(text, "Assad"))
    assert marked_words(snippet) == ["Assad"]
    assert SNIPPET_CHARS - 15 <= len(snippet.text) <= SNIPPET_CHARS


def test_distant_matches_give_up_to_three_fragments_joined_by_an_ellipsis() -> None:
    text = f"alpha {FILLER} bravo {FILLER} charlie {FILLER} delta {FILLER}"
    spans = [s for w in ("alpha", "bravo", "charlie", "delta") for s in spans_of(text, w)]
    snippet = make_snippet(text, spans)
    assert snippet.text.count(SEPARATOR) == 2
    assert len(marked_words(snippet)) == 3
    assert len(snippet.text) <= SNIPPET_CHARS


def test_fragments_prefer_words_not_shown_yet() -> None:
    text = f"alpha {FILLER} alpha {FILLER} bravo {FILLER}"
    spans = spans_of(text, "alpha") + spans_of(text, "bravo")
    snippet = make_snippet(text, spans, max_fragments=2)
    assert sorted(set(marked_words(snippet))) == ["alpha", "bravo"]


def test_snippet_does_not_cut_words() -> None:
    text = f"{FILLER} target {FILLER}"
    snippet = make_snippet(text, spans_of(text, "target"))
    words = set(text.split())
    assert all(word in words for word in snippet.text.split())


def test_fragment_starts_at_a_sentence_start_close_before_the_match() -> None:
    text = f"{FILLER}. The army shelled the target town today. {FILLER}"
    snippet = make_snippet(text, spans_of(text, "target"))
    assert snippet.text.startswith("The army shelled")


def test_a_sentence_that_fits_is_shown_whole_with_the_whole_sentences_after_it() -> None:
    sentences = [f"Sentence {n} says {'a lot ' * (n % 4)}about nothing." for n in range(30)]
    sentences[10] = "The army shelled the target town today."
    text = " ".join(sentences)
    snippet = make_snippet(text, spans_of(text, "target"))
    assert snippet.text.startswith("The army shelled the target town today.")
    assert snippet.text.endswith(".")  # no dangling start of a sentence
    assert len(snippet.text) > 150  # it reads on past the short sentence


def test_fragment_starts_at_its_sentence_start_when_the_match_fits_from_there() -> None:
    long_sentence = "The long report " + " ".join(f"word{n}" for n in range(60)) + "."
    text = f"{FILLER}. {long_sentence} {FILLER}"
    snippet = make_snippet(text, spans_of(text, "word20"))
    assert snippet.text.startswith("The long report word0")
    assert marked_words(snippet) == ["word20"]


def test_a_match_late_in_a_long_sentence_gets_context_before_it() -> None:
    long_sentence = "The long report " + " ".join(f"word{n}" for n in range(200)) + "."
    text = f"{FILLER}. {long_sentence}"
    snippet = make_snippet(text, spans_of(text, "word150"))
    assert not snippet.text.startswith("The long report")
    assert snippet.text.index("word150") > 20
    assert len(snippet.text) <= SNIPPET_CHARS


def test_the_first_fragment_leaves_room_for_a_term_found_elsewhere() -> None:
    first = "The army " + " ".join(f"alpha{n}" for n in range(40)) + "."
    text = f"{first} {FILLER}. Bravo was there."
    spans = spans_of(text, "army") + spans_of(text, "Bravo")
    snippet = make_snippet(text, spans)
    assert marked_words(snippet) == ["army", "Bravo"]
    assert len(snippet.text) <= SNIPPET_CHARS


def test_a_long_hyphenated_word_is_cut_between_its_parts_not_inside_one() -> None:
    long_word = "-".join(["autophagy"] + [f"part{n}" for n in range(60)])
    text = f"{FILLER} {long_word} {FILLER}"
    snippet = make_snippet(text, [(len(FILLER) + 1, len(FILLER) + 10)])
    assert marked_words(snippet) == ["autophagy"]
    assert re.search(r"-part\d+$", snippet.text)


def test_newlines_are_folded_and_marks_still_point_at_the_match() -> None:
    text = "First paragraph.\n\nSecond   paragraph about Assad.\n\nThird."
    snippet = make_snippet(text, spans_of(text, "Assad"))
    assert "\n" not in snippet.text
    assert "  " not in snippet.text
    assert marked_words(snippet) == ["Assad"]


def test_whole_snippet_marks_every_match_of_a_headline() -> None:
    text = "Turkey will enter Syria if Syria agrees"
    snippet = whole_snippet(text, spans_of(text, "Syria"))
    assert snippet.text == text
    assert marked_words(snippet) == ["Syria", "Syria"]


def test_parts_split_the_text_into_matched_and_unmatched_pieces() -> None:
    snippet = whole_snippet("a Syria b", [(2, 7)])
    assert list(snippet.parts()) == [("a ", False), ("Syria", True), (" b", False)]


words = st.lists(st.sampled_from(["syria", "army", "town", "the", "of", "Assad"]), max_size=200)
prose = st.lists(
    st.sampled_from(["syria", "army", "town.", "the", "of", "Assad", "co-operation", "x", "\n\n"]),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(words, st.sampled_from(["syria", "army", "Assad"]), st.integers(40, 300))
def test_marks_always_cover_the_matched_word_and_size_is_bounded(
    tokens: list[str], word: str, size: int
) -> None:
    text = " ".join(tokens)
    snippet = make_snippet(text, spans_of(text, word), size=size)
    assert all(found == word for found in marked_words(snippet))
    assert len(snippet.text) <= max(size, len(word))
    if word in tokens:
        assert marked_words(snippet), "a text with a match gives a marked snippet"


@settings(max_examples=200, deadline=None)
@given(prose, st.sampled_from(["syria", "army", "Assad"]), st.integers(40, 300))
def test_fragments_start_and_end_between_words_and_fit_the_size(
    tokens: list[str], word: str, size: int
) -> None:
    text = " ".join(tokens)
    snippet = make_snippet(text, spans_of(text, word), size=size)
    assert len(snippet.text) <= size
    folded = " ".join(text.split())
    for fragment in snippet.text.split(SEPARATOR):
        cuts_a_word = rf"(?<![^\W_]){re.escape(fragment)}(?![^\W_])"
        assert re.search(cuts_a_word, folded), fragment
    if word in tokens:
        assert marked_words(snippet)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["word", "Assad", " ", "\n", "\n\n", "  ", "x"]), max_size=60))
def test_folding_whitespace_keeps_words_and_their_marks(pieces: list[str]) -> None:
    from search.snippets import _fold_whitespace

    text = "".join(pieces)
    spans = spans_of(text, "Assad")
    folded, marks = _fold_whitespace(text, 0, len(text), spans)
    assert folded == " ".join(text.split())
    assert [folded[s:e] for s, e in marks] == ["Assad"] * len(spans)


def test_html_rendering_escapes_text_and_marks_matches() -> None:
    from search.render import snippet_html

    text = "<b>Assad</b> & co"
    snippet = whole_snippet(text, spans_of(text, "Assad"))
    assert snippet_html(snippet) == "&lt;b&gt;<mark>Assad</mark>&lt;/b&gt; &amp; co"


def search_page(tmp_path, text: str, query: str):
    from helpers import write_page

    import indexer
    import search

    write_page(tmp_path / "pages", "page.txt", text)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as index:
        return index.search(query, kind="article").hits[0].snippet


def test_stemmed_variants_of_the_query_words_are_marked(tmp_path) -> None:
    text = "Measles report\n\nThe vaccine works. Vaccines were given and vaccination rose.\n"
    snippet = search_page(tmp_path, text, "vaccines")
    assert marked_words(snippet) == ["vaccine", "Vaccines", "vaccination"]


def test_words_whose_stem_ends_in_another_letter_are_marked(tmp_path) -> None:
    # "any" stems to "ani": the word does not start with its stem.
    text = "Field notes\n\nAny of the flies will do; any one.\n"
    snippet = search_page(tmp_path, text, "any")
    assert marked_words(snippet) == ["Any", "any"]


@given(st.text(st.sampled_from(list("ab .!?\n\"')]")), max_size=80), st.data())
def test_the_sentence_holding_a_position_is_the_one_a_scan_of_the_whole_text_finds(
    text: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, max(len(text) - 1, 0)))
    start = 0
    for found in _SENTENCE_END.finditer(text):
        end = found.start() if found.group() == "\n" else found.end()
        if found.end() > position:
            expected = (start, end, found.end())
            break
        start = found.end()
    else:
        expected = (start, len(text), len(text) + 1)
    sentences = _Sentences(text)
    assert sentences.holding(position) == expected
    every_end = [
        (found.start() if found.group() == "\n" else found.end(), found.end())
        for found in _SENTENCE_END.finditer(text)
    ] + [(len(text), len(text) + 1)]
    from_there = [(end, following) for end, following in every_end if following > position]
    assert list(sentences.ends_from(position)) == from_there
    assert from_there[0] == expected[1:]
