"""Where a record's text matches the query: the words that stem to a query term (pure).

Index terms are stems, so "killed" in the text matches the query "killings".
No Whoosh here: the analyzer's stemming comes in as a function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


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
    """
    if not words:
        return {}
    lowered = text.lower()
    candidates: Iterator[tuple[int, int]]
    if len(lowered) != len(text):
        # Lowercasing made a letter two ("İ"): offsets in it would drift, and
        # a stem's start may not be found. Every word is stemmed instead.
        candidates = (match.span() for match in _TOKEN.finditer(text))
    else:
        candidates = _words_starting_like(lowered, words)
    spans: dict[tuple[int, int], str] = {}
    for start, end in candidates:
        for stem in stems(text[start:end]):
            if stem in words:
                spans[start, end] = stem
    return spans


def _prefix(stem: str) -> str:
    # A stem's last letter may not be the word's ("any" -> "ani", "fly" ->
    # "fli", "hoping" -> "hope"); the letters before it are (Porter's rules
    # only cut, or change the last letter).
    return stem[: max(len(stem) - 1, 1)]


_WORD_CHARACTER = re.compile(r"\w")
_REST_OF_TOKEN = re.compile(r"(?:\.?\w+)*")
_TOKEN = re.compile(r"\w+(?:\.?\w+)*")
"""A word as Whoosh's tokenizer cuts it."""


def _words_starting_like(lowered: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """The words of ``lowered`` (as :data:`_TOKEN` cuts them) that start like
    one of ``stems``, in order."""
    starts: dict[int, int] = {}  # where a prefix is found: its shortest length there
    for prefix in {_prefix(stem) for stem in stems}:
        found = lowered.find(prefix)
        while found >= 0:
            starts[found] = min(starts.get(found, len(prefix)), len(prefix))
            found = lowered.find(prefix, found + 1)
    for start, length in sorted(starts.items()):
        if _inside_token(lowered, start):
            continue
        rest = _REST_OF_TOKEN.match(lowered, start + length)
        assert rest is not None  # the rest may be empty, so it always matches
        yield start, rest.end()


def _inside_token(text: str, position: int) -> bool:
    """A token cannot start right after a word character, nor after "x." (that
    dot belongs to the token before)."""
    if position == 0:
        return False
    if _WORD_CHARACTER.match(text, position - 1):
        return True
    after_dot = position > 1 and text[position - 1] == "."
    return after_dot and _WORD_CHARACTER.match(text, position - 2) is not None
