"""split_page: how a scraped page splits into article, ticker headlines and footer.

Each test states one rule of the page format; the seed page checks them together.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.records import Headline, Source, SplitPage
from indexer.segment import (
    BOILERPLATE_PHRASES,
    MAX_TITLE_CHARACTERS,
    MONTHS,
    STAMP,
    WEEKDAYS,
    split_page,
)

APOSTROPHE = "\u2019"  # the page's typographic apostrophe (RIGHT SINGLE QUOTATION MARK)
FRIDAY_EVENING = datetime(2018, 12, 14, 18, 45, tzinfo=UTC)
FRIDAY_AFTERNOON = datetime(2018, 12, 14, 15, 21, tzinfo=UTC)
THURSDAY_MORNING = datetime(2018, 12, 13, 11, 33, tzinfo=UTC)


def stamp(moment: datetime, comma: str = " ,") -> str:
    """A ticker stamp for moment, e.g. "GMT 18:45 2018 Friday ,14 December"."""
    weekday = WEEKDAYS[moment.weekday()]
    month = MONTHS[moment.month - 1]
    return (
        f"GMT {moment.hour}:{moment.minute:02d} {moment.year:04d} "
        f"{weekday}{comma}{moment.day} {month}"
    )


def page(*lines: str) -> str:
    """A page made of lines, each ending in a newline."""
    return "".join(line + "\n" for line in lines)


def non_space(*texts: str) -> Counter[str]:
    """How often each non-whitespace character occurs in texts."""
    return Counter(char for text in texts for char in text if not char.isspace())


def record_texts(split: SplitPage) -> list[str]:
    """Every piece of text the records hold."""
    texts: list[str] = []
    if split.article is not None:
        texts += [split.article.title, *split.article.paragraphs]
    texts += [headline.text for headline in split.headlines]
    if split.footer is not None:
        texts += split.footer.lines
    return texts


# The seed page ----------------------------------------------------------------


def test_seed_article_title(seed_text: str) -> None:
    article = split_page(seed_text).article
    assert article is not None
    assert article.title == (
        "Security officers carry coffins at a funeral for their slain"
        " counterparts in Jisr al-Shughour"
    )


def test_seed_article_has_twelve_paragraphs(seed_text: str) -> None:
    article = split_page(seed_text).article
    assert article is not None
    assert len(article.paragraphs) == 12
    assert article.paragraphs[1].startswith(
        "Most inhabitants fled to nearby Turkey in fear of expected retaliation"
    )


def test_seed_has_eight_headlines(seed_text: str) -> None:
    assert len(split_page(seed_text).headlines) == 8


def test_seed_first_headline(seed_text: str) -> None:
    first = split_page(seed_text).headlines[0]
    assert first.text == ("French police nationwide prepare for fifth wave of yellow vest protests")
    assert first.published == FRIDAY_EVENING


def test_seed_last_headline_keeps_the_pages_apostrophe(seed_text: str) -> None:
    last = split_page(seed_text).headlines[-1]
    assert last.text == (
        f"UK{APOSTROPHE}s PM Theresa May wins vote of confidence in her leadership"
        " while 117 voted against her"
    )
    assert last.published == THURSDAY_MORNING


def test_seed_footer_lines(seed_text: str) -> None:
    footer = split_page(seed_text).footer
    assert footer is not None
    assert footer.lines == (
        "Maintained and developed by Arabs Today Group SAL.",
        "All rights reserved to Arab Today Media Group 2021 ©",
        "Send your comments",
        "Your comment as a visitor",
    )


def test_seed_source_lines(seed_text: str) -> None:
    split = split_page(seed_text, "seed.txt")
    assert split.article is not None and split.footer is not None
    assert split.article.sources == (Source("seed.txt", 1),)
    assert [h.sources for h in split.headlines] == [
        (Source("seed.txt", line),) for line in range(15, 23)
    ]
    assert split.footer.sources == (Source("seed.txt", 23),)


def test_seed_has_no_warnings_and_keeps_its_path(seed_text: str) -> None:
    split = split_page(seed_text, "seeds/000.txt")
    assert split.warnings == ()
    assert split.path == "seeds/000.txt"


def test_path_defaults_to_a_placeholder() -> None:
    assert split_page("Title\n").path == "<page>"


# Line ends --------------------------------------------------------------------

SMALL_PAGE = page(
    "Title",
    "A paragraph.",
    stamp(FRIDAY_EVENING),
    "A headline",
    "Copyright 2021 ©",
)


@pytest.mark.parametrize(
    "variant",
    [
        SMALL_PAGE.replace("\n", "\r\n"),
        SMALL_PAGE.replace("\n", "\r"),
        "\ufeff" + SMALL_PAGE,
        SMALL_PAGE.rstrip("\n"),
        "\ufeff" + SMALL_PAGE.replace("\n", "\r\n").rstrip("\r\n"),
    ],
    ids=["crlf", "cr", "bom", "no-final-newline", "all-at-once"],
)
def test_crlf_cr_bom_and_missing_final_newline_are_tolerated(variant: str) -> None:
    assert split_page(variant) == split_page(SMALL_PAGE)


def test_crlf_counts_as_one_line_end() -> None:
    split = split_page(SMALL_PAGE.replace("\n", "\r\n"))
    assert split.headlines[0].sources[0].line == 3
    assert split.footer is not None
    assert split.footer.sources[0].line == 5


# Article ----------------------------------------------------------------------


def test_title_is_first_non_empty_line() -> None:
    article = split_page(page("", "   ", "  The title  ", "A paragraph.")).article
    assert article is not None
    assert article.title == "The title"
    assert article.sources[0].line == 3


def test_each_non_empty_line_after_the_title_is_a_stripped_paragraph() -> None:
    article = split_page(page("Title", "  One.  ", "", "Two.", "Three")).article
    assert article is not None
    assert article.paragraphs == ("One.", "Two.", "Three")


def test_line_without_sentence_end_continues_onto_lowercase_line() -> None:
    article = split_page(page("Title", "Most fled to Turkey", "in fear.")).article
    assert article is not None
    assert article.paragraphs == ("Most fled to Turkey in fear.",)


def test_a_broken_paragraph_can_continue_over_several_lines() -> None:
    article = split_page(page("Title", "One", "two", "three.", "four")).article
    assert article is not None
    assert article.paragraphs == ("One two three.", "four")


@pytest.mark.parametrize("ending", [".", "!", "?", ":", '"', "'", "\u201d", APOSTROPHE, "\u00bb"])
def test_line_ending_in_sentence_punctuation_does_not_continue(ending: str) -> None:
    article = split_page(page("Title", f"It ended{ending}", "and began")).article
    assert article is not None
    assert article.paragraphs == (f"It ended{ending}", "and began")


def test_line_without_sentence_end_does_not_continue_onto_capitalised_line() -> None:
    article = split_page(page("Title", "A caption", "The story.")).article
    assert article is not None
    assert article.paragraphs == ("A caption", "The story.")


def test_blank_line_ends_a_broken_paragraph() -> None:
    article = split_page(page("Title", "A caption", "", "and more.")).article
    assert article is not None
    assert article.paragraphs == ("A caption", "and more.")


def test_title_line_is_never_joined() -> None:
    article = split_page(page("A title without a full stop", "continues here.")).article
    assert article is not None
    assert article.title == "A title without a full stop"
    assert article.paragraphs == ("continues here.",)


def test_page_starting_with_a_stamp_has_no_article() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "A headline"))
    assert split.article is None
    assert [h.text for h in split.headlines] == ["A headline"]


def test_empty_page_yields_nothing() -> None:
    assert split_page("\n \n") == SplitPage("<page>", None, (), None, ())


def test_full_stamp_mid_line_before_the_ticker_is_article_text() -> None:
    line = f"It was reported at {stamp(FRIDAY_EVENING)} by wire."
    split = split_page(page("Title", line))
    assert split.headlines == ()
    assert split.article is not None
    assert split.article.paragraphs == (line,)


# Ticker -----------------------------------------------------------------------


def test_ticker_starts_at_first_stamp_beginning_a_line() -> None:
    split = split_page(page("Title", "Story.", stamp(FRIDAY_EVENING), "Headline"))
    assert split.article is not None
    assert split.article.paragraphs == ("Story.",)
    assert [(h.text, h.published) for h in split.headlines] == [("Headline", FRIDAY_EVENING)]


def test_stamp_with_leading_spaces_starts_the_ticker() -> None:
    split = split_page(page("Title", "   " + stamp(FRIDAY_EVENING), "Headline"))
    assert [h.text for h in split.headlines] == ["Headline"]


def test_stamp_glued_to_previous_headline_starts_a_new_headline() -> None:
    split = split_page(
        page(
            stamp(FRIDAY_EVENING),
            "Yellow vest protests" + stamp(FRIDAY_AFTERNOON),
            "Ceasefire agreed",
        )
    )
    assert [(h.text, h.published) for h in split.headlines] == [
        ("Yellow vest protests", FRIDAY_EVENING),
        ("Ceasefire agreed", FRIDAY_AFTERNOON),
    ]
    assert [h.sources[0].line for h in split.headlines] == [1, 2]


def test_headline_spanning_lines_is_collapsed_to_one_line() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "  Talks \t resume", "in  Paris "))
    assert [h.text for h in split.headlines] == ["Talks resume in Paris"]


def test_last_headline_runs_to_the_end_of_a_page_without_footer() -> None:
    split = split_page(stamp(FRIDAY_EVENING) + "\nLast words")
    assert [h.text for h in split.headlines] == ["Last words"]
    assert split.footer is None


def test_gmt_inside_ordinary_text_is_not_a_stamp() -> None:
    split = split_page(
        page(
            "Title",
            "Markets open at 09:00 GMT on Friday.",
            stamp(FRIDAY_EVENING),
            "Markets open at 09:00 GMT 2018 Friday",
        )
    )
    assert split.article is not None
    assert split.article.paragraphs == ("Markets open at 09:00 GMT on Friday.",)
    assert [h.text for h in split.headlines] == ["Markets open at 09:00 GMT 2018 Friday"]


@pytest.mark.parametrize("comma", [" ,", " , ", ", ", ",", "  ,  "])
def test_comma_spacing_variants_are_all_stamps(comma: str) -> None:
    split = split_page(page(stamp(FRIDAY_EVENING, comma), "Headline"))
    assert [(h.text, h.published) for h in split.headlines] == [("Headline", FRIDAY_EVENING)]


def test_one_and_two_digit_hours_are_stamps() -> None:
    early = datetime(2018, 12, 14, 7, 5, tzinfo=UTC)
    split = split_page(page("GMT 07:05 2018 Friday ,14 December", "A", stamp(early), "B"))
    assert [h.published for h in split.headlines] == [early, early]


def test_published_is_timezone_aware_utc() -> None:
    published = split_page(page(stamp(FRIDAY_EVENING), "Headline")).headlines[0]
    assert published.published.tzinfo is UTC


def test_month_glued_to_a_lowercase_letter_is_not_a_stamp() -> None:
    mayor = "GMT 10:00 2018 Friday ,11 Mayor resigns"
    split = split_page(page("Title", mayor))
    assert split.headlines == ()
    assert split.article is not None
    assert split.article.paragraphs == (mayor,)


def test_stamp_regex_matches_a_whole_stamp_only() -> None:
    match = STAMP.search("protestsGMT 15:21 2018 Friday , 14 December\n")
    assert match is not None
    assert match[0] == "GMT 15:21 2018 Friday , 14 December"
    assert STAMP.search("markets open at 09:00 GMT") is None


def test_weekday_that_disagrees_is_ignored_with_a_warning() -> None:
    wrong_weekday = "GMT 18:45 2018 Monday ,14 December"
    split = split_page(page("Title", wrong_weekday, "Headline"))
    assert [(h.text, h.published) for h in split.headlines] == [("Headline", FRIDAY_EVENING)]
    assert len(split.warnings) == 1
    assert "line 2" in split.warnings[0]
    assert "Monday" in split.warnings[0] and "Friday" in split.warnings[0]


def test_two_stamps_in_a_row_yield_no_empty_headline_but_a_warning() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), stamp(FRIDAY_AFTERNOON), "Only"))
    assert [(h.text, h.published) for h in split.headlines] == [("Only", FRIDAY_AFTERNOON)]
    assert len(split.warnings) == 1
    assert "line 1" in split.warnings[0]


@pytest.mark.parametrize(
    "impossible",
    [
        "GMT 25:61 2018 Friday ,31 February",
        "GMT 12:00 2019 Friday ,29 February",
        "GMT 12:00 2018 Friday ,0 December",
        "GMT 12:00 0000 Friday ,1 December",
    ],
)
def test_impossible_stamp_stays_text_with_warning(impossible: str) -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), f"Talks{impossible} resume"))
    assert [(h.text, h.published) for h in split.headlines] == [
        (f"Talks{impossible} resume", FRIDAY_EVENING)
    ]
    assert len(split.warnings) == 1
    assert "line 2" in split.warnings[0] and impossible in split.warnings[0]


def test_impossible_stamp_at_line_start_does_not_start_the_ticker() -> None:
    impossible = "GMT 25:61 2018 Friday ,31 February"
    split = split_page(page("Title", impossible, "Story."))
    assert split.headlines == ()
    assert split.article is not None
    assert split.article.paragraphs == (impossible, "Story.")
    assert len(split.warnings) == 1


# Footer after a ticker ---------------------------------------------------------


def test_footer_starts_mid_line_after_last_stamp() -> None:
    split = split_page(
        page(stamp(FRIDAY_EVENING), "May wins the voteMaintained and developed by X.")
    )
    assert [h.text for h in split.headlines] == ["May wins the vote"]
    assert split.footer is not None
    assert split.footer.lines == ("Maintained and developed by X.",)
    assert split.footer.sources[0].line == 2


def test_footer_phrase_beginning_a_line_starts_the_footer() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "Headline", "  Send your comments"))
    assert [h.text for h in split.headlines] == ["Headline"]
    assert split.footer is not None
    assert split.footer.lines == ("Send your comments",)
    assert split.footer.sources[0].line == 3


def test_boilerplate_phrase_after_a_space_in_a_headline_stays_headline() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "Court rules on Copyright case"))
    assert [h.text for h in split.headlines] == ["Court rules on Copyright case"]
    assert split.footer is None


def test_boilerplate_phrase_before_the_last_stamp_is_headline_text() -> None:
    split = split_page(
        page(stamp(FRIDAY_EVENING), "Copyright law", stamp(FRIDAY_AFTERNOON), "Next")
    )
    assert [h.text for h in split.headlines] == ["Copyright law", "Next"]
    assert split.footer is None


def test_line_with_copyright_sign_starts_the_footer_at_its_start() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "Headline", "Arab Today 2021 ©"))
    assert [h.text for h in split.headlines] == ["Headline"]
    assert split.footer is not None
    assert split.footer.lines == ("Arab Today 2021 ©",)
    assert split.footer.sources[0].line == 3


def test_phrase_before_the_copyright_sign_starts_the_footer() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "May winsCopyright Arab Today ©"))
    assert [h.text for h in split.headlines] == ["May wins"]
    assert split.footer is not None
    assert split.footer.lines == ("Copyright Arab Today ©",)


def test_everything_from_the_footer_start_to_the_end_is_footer() -> None:
    split = split_page(page(stamp(FRIDAY_EVENING), "Headline", "Copyright X", "", "Contact us"))
    assert split.footer is not None
    assert split.footer.lines == ("Copyright X", "Contact us")


def test_repeated_footer_lines_are_kept_once() -> None:
    split = split_page(
        page(stamp(FRIDAY_EVENING), "HeadlineCopyright X", "Send", "Copyright X", "Send")
    )
    assert split.footer is not None
    assert split.footer.lines == ("Copyright X", "Send")


# Footer without a ticker -------------------------------------------------------


def test_trailing_boilerplate_lines_are_footer_without_ticker() -> None:
    split = split_page(page("Title", "Story.", "", "All rights reserved 2021", "", "Arab Today ©"))
    assert split.article is not None
    assert split.article.paragraphs == ("Story.",)
    assert split.footer is not None
    assert split.footer.lines == ("All rights reserved 2021", "Arab Today ©")
    assert split.footer.sources[0].line == 4


@pytest.mark.parametrize("phrase", BOILERPLATE_PHRASES)
def test_each_boilerplate_phrase_starts_a_footer_line(phrase: str) -> None:
    split = split_page(page("Title", "Story.", f"{phrase} Arab Today"))
    assert split.footer is not None
    assert split.footer.lines == (f"{phrase} Arab Today",)


def test_long_paragraph_mentioning_copyright_is_article_text() -> None:
    long_paragraph = "Copyright holders sued. " + "The court heard evidence. " * 10
    assert len(long_paragraph.strip()) > 200
    split = split_page(page("Title", long_paragraph, "Copyright 2021 ©"))
    assert split.article is not None
    assert split.article.paragraphs == (long_paragraph.strip(),)
    assert split.footer is not None
    assert split.footer.lines == ("Copyright 2021 ©",)


def test_boilerplate_phrase_quoted_inside_the_article_is_article_text() -> None:
    split = split_page(page("Title", "Copyright law changed.", "Critics objected."))
    assert split.article is not None
    assert split.article.paragraphs == ("Copyright law changed.", "Critics objected.")
    assert split.footer is None


def test_title_line_is_never_footer() -> None:
    split = split_page(page("Copyright news ©", "All rights reserved"))
    assert split.article is not None
    assert split.article.title == "Copyright news ©"
    assert split.footer is not None
    assert split.footer.lines == ("All rights reserved",)


# Ids --------------------------------------------------------------------------


def test_identical_headlines_at_the_same_time_have_equal_ids() -> None:
    first = split_page(page(stamp(FRIDAY_EVENING), "Headline"), "a.txt")
    second = split_page(page("Title", stamp(FRIDAY_EVENING), "Headline"), "b.txt")
    assert first.headlines[0].id == second.headlines[0].id


def test_the_same_headline_at_another_time_has_a_different_id() -> None:
    first = split_page(page(stamp(FRIDAY_EVENING), "Headline"))
    second = split_page(page(stamp(FRIDAY_AFTERNOON), "Headline"))
    assert first.headlines[0].id != second.headlines[0].id


# Robustness -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\ufeff",
        "\r",
        "\r\n\r",
        "GMT",
        "©",
        "\ud800",
        "x" * 10_000,
        stamp(FRIDAY_EVENING),
    ],
)
def test_odd_pages_do_not_raise(text: str) -> None:
    assert isinstance(split_page(text), SplitPage)


def test_lone_surrogates_are_dropped_with_a_warning() -> None:
    # Found by hand: record ids hash UTF-8, which lone surrogates can't encode.
    split = split_page("Ti\udcfftle\nStory.\ud800\n")
    assert split.article is not None
    assert (split.article.title, split.article.paragraphs) == ("Title", ("Story.",))
    assert split.warnings == ("dropped 2 lone surrogate character(s)",)


# Property: never raises, never invents text ----------------------------------

PIECES = [
    "GMT",
    "GMT ",
    stamp(FRIDAY_EVENING),
    stamp(FRIDAY_AFTERNOON, ", "),
    "GMT 25:61 2018 Friday ,31 February",
    "GMT 18:45 2018 Monday ,14 December",
    "Friday",
    " ,",
    "December",
    "09:00",
    "©",
    "\ufeff",
    "\r\n",
    APOSTROPHE,
    *BOILERPLATE_PHRASES,
]
MESSY_PAGES = st.lists(
    st.one_of(
        st.text(alphabet="abcXYZ \t\n\r©0123456789:,.GMT", max_size=20),
        st.sampled_from(PIECES),
        st.text(max_size=5),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(MESSY_PAGES)
def test_split_page_never_raises_and_never_invents_text(text: str) -> None:
    split = split_page(text)
    assert non_space(*record_texts(split)) <= non_space(text)


# Property: on well-formed pages every character lands in exactly one record ----

# Lowercase words, digits and a few capitalised names can't form a stamp (it needs
# a weekday name) or a boilerplate phrase (they start with other capitals).
WORDS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz'-" + APOSTROPHE, min_size=1, max_size=8),
    st.sampled_from(["Syria", "Turkey", "EU", "Brexit", "GMT", "09:00", "2018", "."]),
)
SENTENCE_ENDS = st.sampled_from(["", ".", "?", '"', APOSTROPHE])
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def sentences(draw: st.DrawFn, min_words: int = 0) -> str:
    words = draw(st.lists(WORDS, min_size=min_words, max_size=6))
    return " ".join(words) + draw(SENTENCE_ENDS)


@st.composite
def ticker_entries(draw: st.DrawFn) -> tuple[str, datetime, str]:
    """A stamp, its time and the page text of its headline (may be empty)."""
    moment = draw(
        st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
    ).replace(second=0, microsecond=0)
    comma = draw(st.sampled_from([" ,", ", ", " , ", ","]))
    words = draw(st.lists(WORDS, max_size=5))
    gaps = draw(
        st.lists(
            st.sampled_from([" ", "  ", "\n", "\t"]),
            min_size=len(words),
            max_size=len(words),
        )
    )
    headline = "".join(gap + word for gap, word in zip(gaps, words, strict=True))
    return stamp(moment, comma), moment, headline


@st.composite
def well_formed_pages(
    draw: st.DrawFn,
) -> tuple[str, list[str], list[tuple[str, datetime]], list[str]]:
    """A page, its stamps, its expected headlines and its repeated footer lines."""
    entries = draw(st.lists(ticker_entries(), max_size=5))
    has_article = not entries or draw(st.booleans())
    parts: list[str] = []
    if has_article:
        parts.append(draw(st.sampled_from(["", "\n", "  "])) + draw(sentences(1)))
        parts += [
            draw(st.sampled_from(["", " "])) + s for s in draw(st.lists(sentences(), max_size=5))
        ]
    text = "".join(part + "\n" for part in parts)
    for stamp_text, _, headline in entries:
        text += stamp_text + draw(st.sampled_from(["\n", " "])) + headline
        text += draw(st.sampled_from(["", "\n", " "]))

    footer_lines = [
        draw(st.sampled_from(BOILERPLATE_PHRASES))
        + " "
        + draw(sentences())
        + draw(st.sampled_from(["", " ©"]))
        for _ in range(draw(st.integers(0, 3)))
    ]
    if footer_lines:
        footer_lines += draw(st.lists(st.sampled_from(footer_lines), max_size=3))
        # Glue the footer to the last headline only where that counts as a start.
        glued = bool(entries) and not text[-1].isspace() and draw(st.booleans())
        text += ("" if glued else "\n") + "\n".join(footer_lines)
    repeated = [
        line
        for index, line in enumerate(footer_lines)
        if line.strip() in [earlier.strip() for earlier in footer_lines[:index]]
    ]

    text = text.replace("\n", draw(LINE_ENDS))
    headlines = [(" ".join(h.split()), moment) for _, moment, h in entries if h.split()]
    return text, [s for s, _, _ in entries], headlines, repeated


@settings(max_examples=200, deadline=None)
@given(well_formed_pages())
def test_every_character_of_a_well_formed_page_lands_in_one_record(
    generated: tuple[str, list[str], list[tuple[str, datetime]], list[str]],
) -> None:
    text, stamps, expected_headlines, repeated_footer_lines = generated
    split = split_page(text)
    assert non_space(text) == non_space(*record_texts(split), *stamps, *repeated_footer_lines)
    assert [(h.text, h.published) for h in split.headlines] == expected_headlines


def test_a_first_line_too_long_for_a_title_is_cut_at_a_word_and_the_rest_is_the_body() -> None:
    line = " ".join(f"word{n}" for n in range(200))  # about 1,300 characters
    split = split_page(page(line, "Second paragraph."))
    assert split.article is not None
    title, (first, second) = split.article.title, split.article.paragraphs
    assert len(title) <= MAX_TITLE_CHARACTERS and title.endswith(title.split()[-1])
    assert line.startswith(title + " ") and f"{title} {first}" == line
    assert second == "Second paragraph."


def test_a_long_first_line_with_no_space_is_cut_at_the_title_length() -> None:
    split = split_page("x" * 1000 + "\n")
    assert split.article is not None
    assert split.article.title == "x" * MAX_TITLE_CHARACTERS
    assert split.article.paragraphs == ("x" * (1000 - MAX_TITLE_CHARACTERS),)


def test_a_title_of_reasonable_length_is_the_whole_first_line() -> None:
    line = "word " * (MAX_TITLE_CHARACTERS // 5)
    split = split_page(page(line.strip(), "Body."))
    assert split.article is not None
    assert (split.article.title, split.article.paragraphs) == (line.strip(), ("Body.",))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=st.just(UTC)), st.text(max_size=20))
def test_a_headline_id_names_its_minute_as_strftime_writes_it(moment: datetime, text: str) -> None:
    from indexer.records import record_id

    stamp = moment.strftime("%Y-%m-%dT%H:%M")
    assert Headline(text, moment).id == record_id("headline", text, stamp)
