"""The analyzer of every text field: words of any script, each stemmed by its script.

Whoosh's ``StemmingAnalyzer`` (tokenizer, lower case, English stop words,
Porter stems) cut Arabic words at their first haraka (``المَدْرَسَةُ`` was
indexed as ``الم``). This analyzer cuts tokens with their combining marks
(``indexer.words.token``) and chooses per word: an Arabic word is normalised
and stemmed as Arabic (``indexer.words.arabic_term``), any other as
``StemmingAnalyzer`` did, with two changes chosen on SciFact's train queries
(issue 16, ``docs/search-quality.md``):

- :func:`porter_stem`: Whoosh's Porter stemmer with its step 1b mended.
  Whoosh ported it from a JavaScript version whose unanchored regular
  expressions became ``re.match``, anchored at the word's start, so two rules
  never fire: "activated" stemmed to "activat" but "activation" to "activ",
  "stopped" to "stopp" but "stop" to "stop".
- A hyphenated word ("IL-10", "4-PBA", "COVID-19", "anti-inflammatory") is
  cut whole (``indexer.words.compound``) and indexed as its parts, as
  Whoosh's tokenizer cut it, and, when a part has a digit, as the parts
  written together too ("il10"): the name of a gene, drug or strain, rarer
  and so weightier than its parts, found however the text writes it.

Whoosh pickles the analyzer into every index's schema, by class and module
path: the names here are part of the index format, and a change to what
they do needs ``indexer.storage.FORMAT_VERSION`` bumped. They pickle
without state, so an index always analyses with the code that reads it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh.analysis import RegexTokenizer, StopFilter
from whoosh.analysis.filters import Filter
from whoosh.lang.porter import (  # the tables and patterns of Whoosh's Porter stemmer
    _c_v,
    _ed_ing,
    _meq1,
    _mgr0,
    _mgr1,
    _s_v,
    _step2,
    _step2list,
    _step3,
    _step3list,
    _step4_1,
    _step4_2,
    _step5,
)

from indexer.words import (
    COMPOUND_PATTERN,
    HYPHEN,
    POSSESSIVE_WORKS,
    arabic_term,
    compound,
    is_arabic,
)

STEMS_CACHED = 50000
"""Stems each filter remembers, per script: Whoosh's ``StemFilter`` default."""


class WordTokenizer(RegexTokenizer):  # type: ignore[misc]
    """Whoosh's tokenizer with newsdex's word rule: words, hyphenated ones whole
    (:func:`indexer.words.compound`)."""

    def __init__(self) -> None:
        super().__init__(_WordPattern())

    def __reduce__(self) -> tuple[Any, ...]:
        return (WordTokenizer, ())


class _WordPattern:
    """:func:`indexer.words.compound` as the tokenizer uses it: found with
    :data:`_ASCII_COMPOUND` in ASCII text (all a query of English words is),
    so that the pattern with every combining mark in it is compiled only for
    text that may have one."""

    pattern = COMPOUND_PATTERN  # Whoosh tells tokenizers apart by their patterns

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return (_ASCII_COMPOUND if text.isascii() else compound()).finditer(text)


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
        self._term = _term_cache()

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScriptFilter, ())

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        term_of = self._term
        position = None
        for token in tokens:
            whole = token.text.lower()
            for text in _words_of(whole, token) if HYPHEN.search(whole) else (whole,):
                token.text = text
                term = term_of(text)
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


_STOPS: frozenset[str] = StopFilter().stops
_SHORTEST: int = StopFilter().min


def _term(word: str) -> str | None:
    """A lower-case word's index term: Porter's stem, or Arabic's; ``None`` for
    a stop word or a word too short to index."""
    if word.isascii() or not is_arabic(word):
        return None if len(word) < _SHORTEST or word in _STOPS else porter_stem(word)
    return arabic_term(word)


def _term_cache() -> Callable[[str], str | None]:
    """:func:`_term`, remembering the words it has seen (as ``StemFilter`` does)."""
    return functools.lru_cache(maxsize=STEMS_CACHED)(_term)


_INDEXING_TERMS: dict[str, str | None] = {}
"""Terms of the words indexing met, up to :data:`STEMS_CACHED` (then met afresh)."""


def term_of(word: str) -> str | None:
    """A lower-case word's index term (``None``: not indexed), as indexing makes it."""
    return _term(word)


def indexing_terms() -> dict[str, str | None]:
    """The words indexing has met in this process, with their terms."""
    return dict(_INDEXING_TERMS)


def remember_terms(terms: dict[str, str | None]) -> None:
    """Start indexing from these words' terms (see indexer.word_terms), the
    first met first, up to three quarters of :data:`STEMS_CACHED`: the
    words remembered are forgotten all at once when they overflow it."""
    room = max(0, STEMS_CACHED * 3 // 4 - len(_INDEXING_TERMS))
    _INDEXING_TERMS.update(itertools.islice(terms.items(), room))


_ASCII_COMPOUND = re.compile(
    r"[\w*]++(?:[.-][\w*]++)*+" if POSSESSIVE_WORKS else r"(?>[\w*]+)(?>(?:[.-](?>[\w*]+))*)",
    re.ASCII,
)
""":func:`indexer.words.compound` on ASCII text, which has no marks: a simpler
pattern, and lower case makes no difference to it. Runs of word characters
joined by single dots or hyphens, the tokens that the pattern with a dot and
a hyphen group apart cut; a run is never given back,
where nested quantifiers retried the end of every word (possessive where
:data:`indexer.words.POSSESSIVE_WORKS`, else atomic groups)."""


def indexed_positions(text: str) -> dict[str, list[int]]:
    """Every term of ``text`` with its positions, as :func:`analyzer` gives them
    when indexing (tokens, lower case, compounds, stop words, stems, positions
    numbered over the words kept), without making a token a word.

    Indexing analyses every field of every document: going through Whoosh's
    token objects and filter generators was most of a build's analysis. The
    first word kept takes its token's place, each one after it the next
    place: so the hyphenated tokens are taken apart first, and the loop
    over the words needs no token numbers.
    """
    ascii_only = text.isascii()
    if ascii_only:
        tokens = _ASCII_COMPOUND.findall(text.lower())
        hyphenated = "-" in text
    else:
        tokens = [token.lower() for token in compound().findall(text)]
        hyphenated = HYPHEN.search(text) is not None
    known = _INDEXING_TERMS
    if len(known) > STEMS_CACHED:
        known.clear()
    positions: dict[str, list[int]] = {}
    position = _first_kept(tokens, known) - 1
    for word in _words(tokens, ascii_only) if hyphenated else tokens:
        term = known.get(word, _UNSEEN)
        if term is _UNSEEN:
            term = known[word] = _term(word)
        if term is not None:
            position += 1
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
    return positions


def query_terms(word: str) -> list[str]:
    """The terms the analyzer makes of a query's word, in their order (none for
    a stop word): :func:`indexed_positions`' terms, each at its places.

    Whoosh's ``process_text`` makes the same through token objects and
    filter generators, several times slower: a plain-words query analyses
    each word once for each field searched."""
    placed = sorted(
        (place, term) for term, places in indexed_positions(word).items() for place in places
    )
    return [term for _, term in placed]


_UNSEEN: Any = object()
"""A word not in :data:`_INDEXING_TERMS` (where ``None`` is a word not indexed)."""


def _words(tokens: list[str], ascii_only: bool) -> list[str]:
    """The tokens with each hyphenated one as its words (:func:`_parts`)."""
    words: list[str] = []
    for whole in tokens:
        if "-" in whole or (not ascii_only and HYPHEN.search(whole)):
            words.extend(_parts(whole))
        else:
            words.append(whole)
    return words


def _first_kept(tokens: list[str], known: dict[str, str | None]) -> int:
    """The place of the first token with a word that is indexed (0 if none is)."""
    for raw, whole in enumerate(tokens):
        for word in _parts(whole) if "-" in whole or HYPHEN.search(whole) else (whole,):
            if word not in known:
                known[word] = _term(word)
            if known[word] is not None:
                return raw
    return 0


def _parts(compound: str) -> list[str]:
    """A hyphenated word's words, then, if one has a digit, them written together."""
    parts = [part for part in HYPHEN.split(compound) if part]
    if len(parts) > 1 and _DIGIT.search(compound):
        parts.append("".join(parts))
    return parts


def is_newsdex_analyzer(analyzer: Any) -> bool:
    """Whether ``analyzer`` is what :func:`analyzer` makes (its terms can be had
    from :func:`indexed_positions`)."""
    items: list[Any] = list(getattr(analyzer, "items", ()))
    return [type(item) for item in items] == [WordTokenizer, ScriptFilter]


def _words_of(compound: str, token: Any) -> Iterator[str]:
    """A hyphenated token's words, in order, each with its own characters on
    ``token``; then, if a word has a digit, the words written together, over
    the whole token ("il-10": "il", "10", "il10")."""
    chars = token.chars
    start = token.startchar if chars else 0
    end = token.endchar if chars else 0
    parts = [part for part in HYPHEN.split(compound) if part]
    offset = 0
    for part in parts:
        offset = compound.index(part, offset)
        if chars:
            token.startchar, token.endchar = start + offset, start + offset + len(part)
        offset += len(part)
        yield part
    if len(parts) > 1 and _DIGIT.search(compound):
        if chars:
            token.startchar, token.endchar = start, end
        yield "".join(parts)


_DIGIT = re.compile(r"\d")


def analyzer() -> Any:
    """The analyzer of newsdex's text fields."""
    return WordTokenizer() | ScriptFilter()


def porter_stem(word: str) -> str:
    """The Porter stem of a lower-case word: ``whoosh.lang.porter.stem`` (Matt
    Chaput's port of the JavaScript Porter stemmer, BSD licence, as newsdex),
    with the two tests of step 1b that must look at the word's end doing so
    (``search``, where Whoosh's ``match`` looked at its start).
    """
    if len(word) < 3:
        return word
    first_is_y = word[0] == "y"
    if first_is_y:
        word = "Y" + word[1:]

    # Step 1a
    if word.endswith("s"):
        if word.endswith(("sses", "ies")):
            word = word[:-2]
        elif word[-2] != "s":
            word = word[:-1]

    # Step 1b
    if word.endswith("eed"):
        if _mgr0.match(word[:-3]):
            word = word[:-1]
    else:
        found = _ed_ing.match(word)
        if found and _s_v.match(found.group(1)):
            word = found.group(1)
            if _AT_BL_IZ.search(word):  # Whoosh: .match, never true
                word += "e"
            elif _DOUBLE_CONSONANT.search(word):  # Whoosh: .match, never true
                word = word[:-1]
            elif _c_v.match(word):
                word += "e"

    # Step 1c
    if word.endswith("y") and _s_v.match(word[:-1]):
        word = word[:-1] + "i"

    # Steps 2 and 3
    for step, replacements in ((_step2, _step2list), (_step3, _step3list)):
        found = step.match(word)
        if found and _mgr0.match(found.group(1)):
            word = found.group(1) + replacements[found.group(2)]

    # Step 4
    found = _step4_1.match(word)
    if found:
        if _mgr1.match(found.group(1)):
            word = found.group(1)
    else:
        found = _step4_2.match(word)
        if found and _mgr1.match(found.group(1) + found.group(2)):
            word = found.group(1) + found.group(2)

    # Step 5
    found = _step5.match(word)
    if found:
        stem = found.group(1)
        if _mgr1.match(stem) or (_meq1.match(stem) and not _c_v.match(stem)):
            word = stem
    if word.endswith("ll") and _mgr1.match(word):
        word = word[:-1]

    if first_is_y:
        word = "y" + word[1:]
    return word


_AT_BL_IZ = re.compile("(at|bl|iz)$")
_DOUBLE_CONSONANT = re.compile(r"([^aeiouylsz])\1$")
