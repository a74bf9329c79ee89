"""Snippets: the best fragments around the matches, as text plus match offsets."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from search.snippets import SEPARATOR, make_snippet, whole_snippet


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
    assert len(snippet.text) <= 200


def test_long_text_gives_about_two_hundred_characters_around_the_match() -> None:
    text = f"{FILLER} the Assad regime {FILLER}"
    snippet = make_snippet(text, spans_of(text, "Assad"))
    assert marked_words(snippet) == ["Assad"]
    assert 150 <= len(snippet.text) <= 200


def test_distant_matches_give_up_to_three_fragments_joined_by_an_ellipsis() -> None:
    text = f"alpha {FILLER} bravo {FILLER} charlie {FILLER} delta {FILLER}"
    spans = [s for w in ("alpha", "bravo", "charlie", "delta") for s in spans_of(text, w)]
    snippet = make_snippet(text, spans)
    assert snippet.text.count(SEPARATOR) == 2
    assert len(marked_words(snippet)) == 3
    assert len(snippet.text) <= 200


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
