"""Where a record's text matches the query: the words that stem to a query term (pure).

Index terms are stems, so "killed" in the text matches the query "killings".
No Whoosh here: the analyzer's stemming comes in as a function, its word rule
from ``indexer.words``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from indexer.words import (
    ASCII_WORD_CHARACTERS,
    has_arabic_indic_digit,
    inside_token,
    is_arabic,
    token,
    token_end,
)


def match_spans(
    text: str, words: frozenset[str], stems: Callable[[str], tuple[str, ...]]
) -> dict[tuple[int, int], str]:
    """Where in ``text`` a word stems to one of ``words``, and to which.

    Index terms are stems, so "killed" in the text matches the query
    "killings". Running the analyzer over a whole article for each hit was
    most of a query's time; stemming only changes a word's ending, so only
    the words that start like a query stem are stemmed, one by one
    (``stems`` remembers the words seen). They are found with ``str.find``
    in the lowercased text, much faster than a case-blind regular expression.

    Arabic breaks that rule: its stemmer takes off prefixes (``المدرسة`` stems
    to ``مدرس``) and harakat sit between the letters. So when a query term
    is Arabic every word of the text is stemmed; an English query never
    pays for it.
    """
    if not words:
        return {}
    lowered = text.lower()
    candidates: Iterator[tuple[int, int]]
    if len(lowered) != len(text) or _needs_every_word(text, words):
        # Lowercasing made a letter two ("İ"): offsets in it would drift, and
        # a stem's start may not be found; or a word may not start like its
        # stem. Every word is stemmed instead.
        candidates = (match.span() for match in token().finditer(text))
    else:
        candidates = _words_starting_like(lowered, words)
    spans: dict[tuple[int, int], str] = {}
    for start, end in candidates:
        for stem in stems(text[start:end]):
            if stem in words:
                spans[start, end] = stem
    return spans


def _needs_every_word(text: str, words: frozenset[str]) -> bool:
    """Whether a word of ``text`` may match a query term without starting like it.

    An Arabic term; or a number, which the Arabic stemmer makes of ``٢٠١٨``
    too (checked only in a text with such digits).
    """
    arabic, number = _kinds_of_terms(words)
    return arabic or (number and has_arabic_indic_digit(text))


@functools.lru_cache(maxsize=256)
def _kinds_of_terms(words: frozenset[str]) -> tuple[bool, bool]:
    """Whether some term is Arabic, and whether some is a number (asked once a query)."""
    return any(is_arabic(word) for word in words), any(word.isdigit() for word in words)


def _prefix(stem: str) -> str:
    # A stem's last letter may not be the word's ("any" -> "ani", "fly" ->
    # "fli", "hoping" -> "hope"); the letters before it are (Porter's rules
    # only cut, or change the last letter).
    return stem[: max(len(stem) - 1, 1)]


def _words_starting_like(lowered: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """The words of ``lowered`` (as :func:`indexer.words.token` cuts them) that
    start like one of ``stems``, in order."""
    starts: dict[int, int] = {}  # where a prefix is found: its shortest length there
    for prefix in {_prefix(stem) for stem in stems}:
        found = lowered.find(prefix)
        while found >= 0:
            # Most finds are inside a word of ASCII letters ("ar" of "war"):
            # no token starts there, known without asking inside_token.
            if not found or lowered[found - 1] not in ASCII_WORD_CHARACTERS:
                starts[found] = min(starts.get(found, len(prefix)), len(prefix))
            found = lowered.find(prefix, found + 1)
    for start, length in sorted(starts.items()):
        if inside_token(lowered, start):
            # Inside an Arabic word, a Latin one may be its stem ("cia" of
            # the article and tatweel before "cia"): stemmed whole.
            if not lowered[start - 1].isascii() and is_arabic(lowered[start - 1]):
                yield from _arabic_word_around(lowered, start)
            continue
        yield start, token_end(lowered, start + length)


def _arabic_word_around(lowered: str, position: int) -> Iterator[tuple[int, int]]:
    """The token of ``lowered`` that holds ``position`` (its Arabic part starts it)."""
    start = position
    while start > 0 and inside_token(lowered, start):
        start -= 1
    found = token().search(lowered, start)
    if found is not None and found.start() < position < found.end():
        yield found.span()
