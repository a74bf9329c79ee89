"""The analyzer of every text field: words of any script, each stemmed by its script.

Whoosh's ``StemmingAnalyzer`` (tokenizer, lower case, English stop words,
Porter stems) cut Arabic words at their first haraka (``المَدْرَسَةُ`` was
indexed as ``الم``). This analyzer cuts tokens with their combining marks
(``indexer.words.TOKEN``) and chooses per word: an Arabic word is normalised
and stemmed as Arabic (``indexer.words.arabic_term``), any other keeps
exactly what ``StemmingAnalyzer`` did, so English is indexed as before.

Whoosh pickles the analyzer into every index's schema, by class and module
path: the names here are part of the index format, and a change to what
they do needs ``indexer.storage.FORMAT_VERSION`` bumped. They pickle
without state, so an index always analyses with the code that reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import RegexTokenizer, StopFilter
from whoosh.analysis.filters import Filter
from whoosh.lang.porter import stem as porter_stem

from indexer.words import TOKEN, arabic_term, is_arabic

STEMS_CACHED = 50000
"""Stems each filter remembers, per script: Whoosh's ``StemFilter`` default."""


class WordTokenizer(RegexTokenizer):  # type: ignore[misc]
    """Whoosh's tokenizer with newsdex's word rule (:data:`indexer.words.TOKEN`)."""

    def __init__(self) -> None:
        super().__init__(TOKEN)

    def __reduce__(self) -> tuple[Any, ...]:
        return (WordTokenizer, ())


class ScriptFilter(Filter):  # type: ignore[misc]
    """Lower case, stop words and stems, chosen for each word by its script.

    One filter in place of Whoosh's ``LowercaseFilter``, ``StopFilter`` and
    ``StemFilter`` (each filter is a generator that every token passes
    through: two fewer pay for the script check): words that are not Arabic
    go through exactly what those three did (lower case, English stop words,
    at least 2 letters, Porter stems, positions renumbered over the words
    left out); Arabic words through :func:`indexer.words.arabic_term`. An
    ASCII word is never Arabic, so English pays one ``str.isascii`` a word.
    Both stemmers' results are cached, as ``StemFilter`` caches them.
    """

    is_morph = True

    def __init__(self) -> None:
        self._stops: frozenset[str] = StopFilter().stops
        self._minimum: int = StopFilter().min
        self._english = functools.lru_cache(maxsize=STEMS_CACHED)(porter_stem)
        self._arabic = functools.lru_cache(maxsize=STEMS_CACHED)(arabic_term)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScriptFilter, ())

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        stops, minimum = self._stops, self._minimum
        english, arabic = self._english, self._arabic
        position = None
        for token in tokens:
            text = token.text = token.text.lower()
            term: str | None
            if text.isascii() or not is_arabic(text):
                term = None if len(text) < minimum or text in stops else english(text)
            else:
                term = arabic(text)
            if term is not None:
                if token.positions:  # as StopFilter(renumber=True)
                    if position is None:
                        position = token.pos
                    else:
                        position += 1
                        token.pos = position
                token.text = term
                token.stopped = False
                yield token
            elif not token.removestops:
                token.stopped = True  # kept lowercased, not stemmed
                yield token


def analyzer() -> Any:
    """The analyzer of newsdex's text fields."""
    return WordTokenizer() | ScriptFilter()
