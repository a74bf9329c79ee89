"""Arabic text searched right, and English searched as before (issue 14).

Whoosh's default tokenizer cut ``المَدْرَسَةُ`` at its first haraka; now words
of any script keep their combining marks, Arabic words are normalised and
stemmed as Arabic, and every other word is analysed exactly as the English
analysis Whoosh's parts make (:func:`english_analyzer`: Whoosh's tokenizer,
lower case, stop words and stem filter, with newsdex's mended Porter stems and
hyphenated words taken apart; checked token by token, and search by search on
generated English pages).
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import assert_one_line_error, newsdex, write_page
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.tokenizers import default_pattern

import indexer
import search
from indexer import analysis, words
from search.matches import match_spans

# -- The word rule ------------------------------------------------------------


class _Compounds(Filter):  # type: ignore[misc]
    """A hyphenated token as its parts, then, with a digit, the parts together."""

    def __call__(self, tokens: Any) -> Any:
        for token in tokens:
            text, start = token.text, token.startchar if token.chars else 0
            parts = [part for part in words.HYPHEN.split(text) if part]
            if len(parts) < 2:
                yield token
                continue
            offset = 0
            for part in parts:
                offset = text.index(part, offset)
                token.text = part
                if token.chars:
                    token.startchar, token.endchar = start + offset, start + offset + len(part)
                offset += len(part)
                yield token
            if re.search(r"\d", text):
                token.text = "".join(parts)
                if token.chars:
                    token.startchar, token.endchar = start, start + len(text)
                yield token


def english_analyzer() -> Any:
    """English analysis from Whoosh's own parts, as newsdex chose it (issue 16):
    what every word that is not Arabic must still get."""
    word = r"[\w\*]+(?:\.?[\w\*]+)*"  # Whoosh's default token pattern
    return (
        RegexTokenizer(rf"{word}(?:[{words.HYPHENS}]{word})*")
        | LowercaseFilter()
        | _Compounds()
        | StopFilter()
        | StemFilter(stemfn=analysis.porter_stem)
    )


def test_the_marks_are_every_combining_mark_of_this_python() -> None:
    marks = [code for code in range(0x110000) if unicodedata.category(chr(code))[0] == "M"]
    assert {
        code for first, last in words._scanned_marks() for code in range(first, last + 1)
    } == set(marks)
    in_use = {code for first, last in words._mark_ranges() for code in range(first, last + 1)}
    assert in_use >= set(marks)
    # A newer Unicode's marks, unassigned in this Python's: no text has them.
    assert {unicodedata.category(chr(code)) for code in in_use - set(marks)} <= {"Cn"}
    assert re.fullmatch(f"[{words.MARKS}]*", "".join(map(chr, marks)))
    assert not re.search(f"[{words.MARKS}]", "abc ا ب 1 _ * . \U0001f600")


MARKED = st.sampled_from(
    ["a", "Z", "_", "7", "*", ".", " ", "-", "'", "ب", "ـ", "\u064e", "\u0651", "\u0301", "\u0903",
     "\u20dd", "\U00011001", "\U0001e944", "\U000e0100", "\U0001f600", "\u0660", "İ"]
)  # fmt: skip


@given(st.text(MARKED, max_size=40))
def test_tokens_are_whooshs_runs_with_the_marks_after_a_character(text: str) -> None:
    marks = words.MARKS
    plain = re.compile(rf"[\w*][\w*{marks}]*(?:\.?[\w*][\w*{marks}]*)*")
    assert [m.span() for m in words.token().finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]


@given(st.text(max_size=60))
def test_text_without_marks_is_cut_as_whoosh_cuts_it(text: str) -> None:
    text = "".join(c for c in text if not unicodedata.category(c).startswith("M"))
    assert [m.span() for m in words.token().finditer(text)] == [
        m.span() for m in default_pattern.finditer(text)
    ]


@given(st.text(MARKED, max_size=40))
def test_inside_token_says_where_no_token_starts(text: str) -> None:
    starts = {m.start() for m in words.token().finditer(text)}
    for position, character in enumerate(text):
        if re.fullmatch(r"[\w*]", character):
            assert (position in starts) == (not words.inside_token(text, position)), position


def test_after_an_ascii_word_character_a_position_is_inside_a_token() -> None:
    # Snippets skip a query stem found right after one of these without
    # asking inside_token: they must be exactly the ASCII characters it counts.
    after = {chr(c) for c in range(128) if words.inside_token(chr(c) + "a", 1)}
    assert after == words.ASCII_WORD_CHARACTERS
    assert {"a", "Z", "7", "_", "*"} <= after


def test_the_rest_of_a_token_is_found_from_inside_it() -> None:
    text = "المَدْرَسَةُ U.S.A co\u0301op."
    for found in words.token().finditer(text):
        for inside in range(found.start() + 1, found.end()):
            rest = words.token_rest().match(text, inside)
            assert rest is not None and rest.end() == found.end()


@given(
    st.text(st.one_of(MARKED, st.sampled_from(["\u2019", "\u201c", "\u0378", "é"])), max_size=40)
)
def test_a_token_ends_where_the_pattern_with_the_marks_ends_it(text: str) -> None:
    # token_end finds most ends without the marks' pattern (curly quotes and
    # accented letters are no marks; U+0378 is unassigned, a mark of no Unicode).
    for position in range(len(text) + 1):
        rest = words.token_rest().match(text, position)
        assert rest is not None and words.token_end(text, position) == rest.end(), position


def test_a_combining_mark_is_a_character_of_the_class_of_marks() -> None:
    # is_mark asks Python's Unicode database first, the table only for a
    # character unassigned there: the same answer for every character.
    marks = re.compile(f"[{words.MARKS}]")
    planes = [*range(0x30000), *range(0xE0000, 0xE1000)]  # marks' planes, and the next
    wrong = [
        code for code in planes if words.is_mark(chr(code)) != bool(marks.fullmatch(chr(code)))
    ]
    assert not wrong, [hex(code) for code in wrong[:5]]


def test_a_word_is_arabic_when_it_has_an_arabic_letter() -> None:
    assert words.is_arabic("مدرسة")
    assert words.is_arabic("الـcia")
    assert words.is_arabic("٢٠١٨")
    assert not words.is_arabic("school")
    assert not words.is_arabic("café")
    assert not words.is_arabic("школа")


# -- Normalising and stemming -------------------------------------------------


def test_the_normaliser_writes_arabic_as_lucenes_does() -> None:
    assert words.normalise_arabic("آمن أحمد إسلام") == "امن احمد اسلام"
    assert words.normalise_arabic("مستشفى") == "مستشفي"
    assert words.normalise_arabic("مدرسة") == "مدرسه"
    assert words.normalise_arabic("المَدْرَسَةُ") == "المدرسه"
    assert words.normalise_arabic("جـامـعـة") == "جامعه"
    assert words.normalise_arabic("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652") == ""


@pytest.mark.parametrize(
    "forms",
    [
        ("المدرسة", "مدرسة", "المَدْرَسَةُ", "مدرسه", "المدرسه", "مدرســة", "بالمدرسة"),
        ("أحمد", "احمد"),
        ("إعلان", "اعلان"),
        ("آثار", "اثار"),
        ("مستشفى", "مستشفي"),
        ("الجامعة", "جامعة", "الجامعه", "جامعه", "جـامـعـة", "والجامعة"),
        ("والكتاب", "الكتاب", "كتاب", "فالكتاب"),
        ("المياه", "مياه"),
        ("العربية", "عربية", "العربيه", "عربيه"),
    ],
)
def test_forms_of_a_word_have_one_term(forms: tuple[str, ...]) -> None:
    assert len({words.arabic_term(form) for form in forms}) == 1, {
        form: words.arabic_term(form) for form in forms
    }


def test_pronoun_heh_and_teh_marbuta_stay_apart_where_the_stemmer_tells_them() -> None:
    # "his school" and "school" share a stem; "mother" is not "and the d..."
    assert words.arabic_term("مدرسته") == words.arabic_term("مدرسة")
    assert words.arabic_term("والدة") == words.arabic_term("الوالدة")


def test_arabic_stop_words_are_savoys_before_the_letters_are_normalised() -> None:
    assert words.arabic_term("على") is None
    assert words.arabic_term("عَلَى") is None
    assert words.arabic_term("في") is None
    assert words.arabic_term("علي") is not None  # the name Ali
    assert words.arabic_term("و") is None  # one letter


def test_the_article_check_is_snowballs() -> None:
    from snowballstemmer.arabic_stemmer import ArabicStemmer

    for word in ["الكتاب", "الله", "بالله", "بالغ", "كالبحر", "للمدرسة", "لله", "المياه", "وال"]:
        stemmer = ArabicStemmer()
        stemmer.stemWord(word)
        assert words._has_article(word) == stemmer.B_is_defined, word


# -- The analyzer -------------------------------------------------------------


def analysed(analyzer: object, text: str, **options: object) -> list[tuple[object, ...]]:
    return [
        (t.text, t.pos, t.startchar, t.endchar, t.stopped)
        for t in analyzer(text, positions=True, chars=True, **options)  # type: ignore[operator]
    ]


def test_english_is_analysed_exactly_as_stemming_analyzer_did(bbc_news: Path) -> None:
    import json

    old, new = english_analyzer(), analysis.analyzer()
    with bbc_news.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            for text in (article["title"], article["body"]):
                assert analysed(new, text) == analysed(old, text)
                assert analysed(new, text, removestops=False) == analysed(
                    old, text, removestops=False
                )


NEWSDEX_MARK = re.compile(f"[{words.MARKS}]")
"""A mark as newsdex's word rule knows marks: by a newer Unicode than Python
3.11's (U+0ECE is a mark there, unassigned in 3.11's tables)."""


def without_marks_or_arabic(text: str) -> str:
    return "".join(
        c
        for c in text
        if not unicodedata.category(c).startswith("M")
        and not NEWSDEX_MARK.match(c)
        and not words.is_arabic(c)
    )


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_any_text_without_marks_or_arabic_is_analysed_as_before(text: str) -> None:
    text = without_marks_or_arabic(text)
    assert analysed(analysis.analyzer(), text) == analysed(english_analyzer(), text)


def test_a_mark_python_does_not_know_yet_is_no_text_without_marks() -> None:
    # Found by the test above in a fresh clone: a digit and U+0ECE (Lao
    # Yamakkan, a mark since Unicode 15) are one word to newsdex.
    assert without_marks_or_arabic("0\u0ece") == "0"


def test_words_are_stemmed_by_their_script_and_positions_skip_stop_words() -> None:
    # As Whoosh's StopFilter numbers them: from the first word kept, with no
    # gap for the stop words between ("في", "and").
    text = "The killings في المَدْرَسَةُ and Apple شركة"
    assert [(t, p) for t, p, *_ in analysed(analysis.analyzer(), text)] == [
        ("kill", 1),
        ("مدرس", 2),
        ("appl", 3),
        ("شرك", 4),
    ]


def test_the_analyzer_is_pickled_by_name_without_its_state() -> None:
    pickled = pickle.dumps(analysis.analyzer())
    assert b"indexer.analysis" in pickled and b"WordTokenizer" in pickled
    assert len(pickled) < 400  # no pattern, stop list or cache
    again = pickle.loads(pickled)
    assert again == analysis.analyzer()
    assert [t.text for t in again("المدارس والمدرسة")] == ["مدارس", "مدرس"]


# -- Searching ----------------------------------------------------------------

DIACRITISED = "افتتاح مدرسة في القاهرة\n\nافتتح الوزير المَدْرَسَةُ الجَدِيدَةُ في القاهرة يوم الأحد.\n"
PLAIN = "زيارة الطلاب\n\nزار الطلاب الجامعة الكبيرة في الإسكندرية يوم الاثنين.\n"
MIXED = (
    "Apple opens its largest store in Dubai\n\n"
    "Apple opened its largest store in the Middle East on Sunday. "
    "افتتحت شركة آبل أكبر متاجرها في دبي يوم الأحد، والـCIA لم تعلق. "
    "Two shoppers were killed in the crush at the doors.\n"
)


def index_pages(tmp_path: Path, *pages: str) -> Path:
    for number, text in enumerate(pages):
        write_page(tmp_path / "pages", f"{number}.txt", text)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "index")
    return tmp_path / "index"


def found(index: Path, query: str) -> list[tuple[str, list[str]]]:
    """(title, marked words) of each hit, every kind."""
    with search.open_index(index) as opened:
        return [
            (hit.title, [hit.snippet.text[a:b] for a, b in hit.snippet.marks])
            for hit in opened.search(query, kind="all").hits
        ]


def titles(index: Path, query: str) -> list[str]:
    return [title for title, _ in found(index, query)]


def test_a_diacritised_page_is_found_by_the_plain_spelling_and_the_other_way_round(
    tmp_path: Path,
) -> None:
    index = index_pages(tmp_path, DIACRITISED, PLAIN)
    assert titles(index, "المدرسة الجديدة") == ["افتتاح مدرسة في القاهرة"]
    assert titles(index, "الجَامِعَةُ") == ["زيارة الطلاب"]
    assert titles(index, "الجَامِعَةُ الكَبِيرَةُ") == ["زيارة الطلاب"]


def test_the_article_and_its_absence_find_each_other(tmp_path: Path) -> None:
    index = index_pages(tmp_path, "مدرسة الأمل\n\nزار الطلاب مدرسة الأمل يوم الأحد.\n", PLAIN)
    assert titles(index, "المدرسة") == ["مدرسة الأمل"]
    assert titles(index, "جامعة") == ["زيارة الطلاب"]
    assert titles(index, "والجامعة") == ["زيارة الطلاب"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("أحمد", "احمد"),  # alef with hamza above
        ("إعلان", "اعلان"),  # alef with hamza below
        ("آثار", "اثار"),  # alef with madda
        ("مستشفى", "مستشفي"),  # alef maksura and yeh
        ("جامعة", "جامعه"),  # teh marbuta written heh
        ("الجامعة", "الجامعه"),
        ("جـامـعـة", "جامعة"),  # tatweel
    ],
)
def test_letter_variants_find_each_other(tmp_path: Path, written: str, typed: str) -> None:
    index = index_pages(tmp_path, f"خبر اليوم\n\nقال التقرير إن {written} كان هناك.\n")
    assert titles(index, typed) == ["خبر اليوم"]
    assert titles(index, written) == ["خبر اليوم"]
    with search.open_index(index) as opened:
        assert opened.search(typed, kind="all").hits[0].snippet.marks


def test_an_arabic_phrase_finds_the_words_together_only(tmp_path: Path) -> None:
    apart = "مدرسة بعيدة\n\nالجديدة هي المكتبة، أما المدرسة فقديمة.\n"
    index = index_pages(tmp_path, DIACRITISED, apart)
    assert sorted(titles(index, "المدرسة الجديدة")) == ["افتتاح مدرسة في القاهرة", "مدرسة بعيدة"]
    assert titles(index, '"المدرسة الجديدة"') == ["افتتاح مدرسة في القاهرة"]
    assert titles(index, '"المَدْرَسَةُ الجَدِيدَةُ"') == ["افتتاح مدرسة في القاهرة"]


def test_snippet_marks_fall_on_the_arabic_words(tmp_path: Path) -> None:
    index = index_pages(tmp_path, DIACRITISED, PLAIN)
    assert found(index, "مدرسة") == [("افتتاح مدرسة في القاهرة", ["المَدْرَسَةُ"])]
    assert found(index, '"المدرسة الجديدة"') == [
        ("افتتاح مدرسة في القاهرة", ["المَدْرَسَةُ", "الجَدِيدَةُ"])
    ]
    assert found(index, "جامعة الإسكندرية") == [("زيارة الطلاب", ["الجامعة", "الإسكندرية"])]


def test_a_page_of_both_scripts_is_found_by_both_and_english_stems_as_before(
    tmp_path: Path,
) -> None:
    index = index_pages(tmp_path, MIXED, PLAIN)
    title = "Apple opens its largest store in Dubai"
    assert found(index, "apple") == [(title, ["Apple"])]
    assert found(index, "آبل") == [(title, ["آبل"])]
    assert found(index, "دبي stores") == [(title, ["store", "دبي"])]
    assert found(index, "killings") == [(title, ["killed"])]  # Porter: kill
    assert found(index, "CIA") == [(title, ["والـCIA"])]  # the Arabic prefix comes off


def test_arabic_digits_are_found_and_marked_by_either_spelling(tmp_path: Path) -> None:
    index = index_pages(tmp_path, "أرقام\n\nفي عام ٢٠١٨ وفي عام 2019 كانت الأرقام كبيرة.\n")
    assert found(index, "2018") == [("أرقام", ["٢٠١٨"])]
    assert found(index, "٢٠١٩") == [("أرقام", ["2019"])]


def test_arabic_typos_are_corrected_and_diacritised_words_left_whole(
    tmp_path: Path, runner: CliRunner
) -> None:
    index = index_pages(tmp_path, DIACRITISED, MIXED)
    suggestions = {
        "مدرصة": "مدرسة",
        "مدرصة apple": "مدرسة apple",
        # The letters of "المَدْرَسَةُ" stop at its first haraka: "الم" was
        # corrected and the suggestion read "الأحدَدْرَسَةُ مدرسة".
        "المَدْرَسَةُ مدرصة": "المَدْرَسَةُ مدرسة",
        "المَدْرَصَةُ": None,
        "aple": "apple",
    }
    with search.open_index(index) as opened:
        for query, suggestion in suggestions.items():
            results = opened.search(query)
            assert (results.total, results.suggestion) == (0, suggestion), query
    result = newsdex(runner, "search", "المَدْرَصَةُ", "--index", str(index))
    assert (result.exit_code, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr


def test_a_query_of_arabic_stop_words_only_says_so(tmp_path: Path, runner: CliRunner) -> None:
    index = index_pages(tmp_path, "علي في المدرسة\n\nذهب علي إلى المدرسة في الصباح.\n")
    result = newsdex(runner, "search", "في على", "--index", str(index))
    assert "has no word that can be searched" in assert_one_line_error(result)
    assert titles(index, "علي") == ["علي في المدرسة"]  # a name, not the preposition


# -- Marks, against the analyzer ------------------------------------------------

MARK_WORDS = [
    "المَدْرَسَةُ",
    "مدرسة",
    "المدرسه",
    "والكتاب",
    "كتاب",
    "الـcia",
    "CIA",
    "٢٠١٨",
    "2018",
    "على",
    "علي",
    "Killing",
    "killed",
    "u.s",
    "co\u0301op",
    "f*ck",
]
MARK_GLUE = [" ", ". ", ".", "ـ", "*", "\u064e", "-", "\n", "x.", "و", "،"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(MARK_WORDS), st.sampled_from(MARK_GLUE)), max_size=10),
    st.lists(st.sampled_from(MARK_WORDS), min_size=1, max_size=3),
)
def test_marks_fall_where_the_analyzer_finds_the_terms(
    pieces: list[tuple[str, str]], query: list[str]
) -> None:
    text = "".join(word + glue for word, glue in pieces)
    analyzer = analysis.analyzer()

    def stems_of(word: str) -> tuple[str, ...]:
        return tuple(token.text for token in analyzer(word))

    stems = frozenset(token.text for token in analyzer(" ".join(query)))
    expected = {
        (token.startchar, token.endchar): token.text
        for token in analyzer(text, chars=True)
        if token.text in stems
    }
    assert match_spans(text, stems, stems_of) == expected


# -- English unchanged, search by search ------------------------------------------

ENGLISH_QUERIES = [
    "killings",
    "Syria OR Brexit",
    "economy NOT growth",
    "govern*",
    "elecion~",
    "title:economy",
    '"prime minister"',
    "the",
    "U.S.",
    "don't",
    "goverment",
    "econmy growht",
    "film -award",
]


def outcome(index: search.Index, text: str, options: dict[str, object]) -> object:
    try:
        return index.search(text, **options)  # type: ignore[arg-type]
    except indexer.NewsdexError as error:
        return repr(error)


@pytest.mark.usefixtures("bbc_news")
def test_english_results_are_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same generated English pages, indexed with English analysis from
    Whoosh's parts (:func:`english_analyzer`) and with newsdex's: the same hits, scores, snippets
    and marks, totals and suggestions for the benchmark's 200 queries and more."""
    from benchmarks import generate, queries

    generate.write_pages(tmp_path / "pages", 300)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "new")
    with monkeypatch.context() as patch:
        patch.setattr(analysis, "analyzer", english_analyzer)
        indexer.index_paths([tmp_path / "pages"], index=tmp_path / "old")
    texts = [query.text for query in queries.make_queries(tmp_path / "pages")] + ENGLISH_QUERIES
    with search.open_index(tmp_path / "old") as old, search.open_index(tmp_path / "new") as new:
        assert type(old._analyzer[-1]).__name__ == "StemFilter"  # the old analyzer was used
        assert type(new._analyzer[-1]) is analysis.ScriptFilter
        marks = 0
        for text in texts:
            for options in ({}, {"kind": "all"}, {"match": "any", "limit": 20}):
                after = outcome(new, text, options)
                assert after == outcome(old, text, options), (text, options)
                if isinstance(after, search.SearchResults):
                    marks += sum(len(hit.snippet.marks) for hit in after.hits)
        assert old.headlines("government") == new.headlines("government")
    assert marks > 1000  # the comparison saw marks, not empty snippets
