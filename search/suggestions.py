"""Did you mean: a query's misspelt words replaced by words the index's text holds."""

from __future__ import annotations

import re
from typing import Any

from whoosh import query as whoosh_query

from indexer.words import is_mark
from search import spelling
from search.query import OPERATORS

_WORD = re.compile(r"[^\W\d_]{3,}")
SPELLING_DISTANCE = 2
"""Edits a suggestion may be away from the word typed: most typos are one or two."""
SPELLING_DOCUMENTS_READ = 1000
"""At most this many stored documents are read to check how the text spells a word
(a few milliseconds): a rare spelling of a frequent stem may be missed."""
SPELLING_STEM_DOCUMENTS = 200
"""A spelling in none of its stem's first this many documents is taken as too rare
to suggest: a frequent stem ("wa", 2,375 documents) must not eat the whole budget."""
SPELLING_SAMPLE = 50
"""Words one edit from a typo that share a stem are told apart by how many of the
stem's first this many documents spell each."""
MAX_CORRECTED_LETTERS = 40
"""Longer words get no spelling suggestion: Whoosh's edit-distance automaton
takes long to build for a very long word."""


def _cased_as(typed: str, word: str) -> str:
    """``word`` in the case ``typed`` was in: "Brexot" gives "Brexit", not "brexit"."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class Speller:
    """Spelling suggestions from one searcher's index: its stems, and its text."""

    def __init__(self, searcher: Any, analyzer: Any) -> None:
        self._searcher = searcher
        self._analyzer = analyzer

    def corrected(self, text: str, fields: tuple[str, ...]) -> str:
        """``text`` with each word that no record of ``fields`` holds replaced by
        the nearest word that some record does (unchanged if there is none).

        A word with combining marks (a diacritised Arabic word) is left as
        typed: the letters found here stop at a mark, and correcting a piece
        of the word made nonsense of it.
        """
        corrected = text
        for found in reversed(list(_WORD.finditer(text))):
            word = found.group()
            after = text[found.end() : found.end() + 1]
            if word in OPERATORS or after in (":", "*", "?", "~"):
                continue
            before = text[found.start() - 1 : found.start()]
            if (after and is_mark(after)) or (before and is_mark(before)):
                continue
            if len(word) > MAX_CORRECTED_LETTERS:
                continue
            replacement = self._correct(word.lower(), fields)
            if replacement is not None:
                replacement = _cased_as(word, replacement)
                corrected = corrected[: found.start()] + replacement + corrected[found.end() :]
        return corrected

    def _correct(self, word: str, fields: tuple[str, ...]) -> str | None:
        """A word of the text of ``fields`` close to ``word``, or None if ``word`` is known.

        The index holds stems, not words, and stems are no guide to how far
        apart two words are ("elecion" is one edit from "election" but its
        stem is nearest "electioneering"'s). So the words one edit away are
        tried first, each kept when its stem is in the index and the text
        spells it so; only if none is, the nearest stems within two edits.
        """
        stem = self._stem(word)
        if stem is None or any((field, stem) in self._searcher.reader() for field in fields):
            return None
        return self._one_edit_away(word, fields) or self._two_edits_away(word, stem, fields)

    def _stem(self, word: str) -> str | None:
        stems = [token.text for token in self._analyzer(word)]
        return stems[0] if len(stems) == 1 else None  # else a stop word, or not one word

    def _one_edit_away(self, word: str, fields: tuple[str, ...]) -> str | None:
        """The commonest word of the text one edit from ``word``.

        Words are ranked by their stem's frequency; words sharing a stem
        ("kilogram", "kilograms") by how many of the stem's documents spell them so.
        """
        edits = spelling.single_edits(word)
        # One analyzer call for all of them: they are letters only, so each is
        # one token, and stop words are kept in place to line the two up.
        stems = [token.text for token in self._analyzer(" ".join(edits), removestops=False)]
        if len(stems) != len(edits):
            return None
        reader = self._searcher.reader()
        frequencies: dict[str, int] = {}
        for stem in set(stems):
            frequency = sum(reader.doc_frequency(field, stem) for field in fields)
            if frequency:
                frequencies[stem] = frequency
        spellings: dict[str, list[str]] = {}
        for edit, stem in zip(edits, stems, strict=True):
            if stem in frequencies:
                spellings.setdefault(stem, []).append(edit)
        budget = SPELLING_DOCUMENTS_READ
        for stem in sorted(spellings, key=lambda stem: (-frequencies[stem], stem)):
            limit = min(budget, SPELLING_STEM_DOCUMENTS)
            counts, read = self._spellings_in_text(spellings[stem], stem, fields, limit)
            if counts:
                return max(spellings[stem], key=lambda edit: counts.get(edit, 0))
            budget -= read
            if budget <= 0:
                break
        return None

    def _spellings_in_text(
        self, words: list[str], stem: str, fields: tuple[str, ...], limit: int
    ) -> tuple[dict[str, int], int]:
        """How many documents holding ``stem`` spell it as each of ``words``, and
        how many documents were read to find out.

        A stem in the index says only that some word stems to it: "tinned"
        stems to "tin" but may be in no text. Counts over the stem's first
        :data:`SPELLING_SAMPLE` documents (one will do when there is only one
        word to check), reading on only until a spelling is found, and at most
        ``limit`` documents.
        """
        spelt = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, words))})(?!\w)", re.IGNORECASE)
        counts: dict[str, int] = {}
        read = 0
        for field in fields:
            for number in self._searcher.docs_for_query(whoosh_query.Term(field, stem)):
                enough = counts and (len(words) == 1 or read >= SPELLING_SAMPLE)
                if enough or read >= limit:
                    return counts, read
                read += 1
                text = self._searcher.stored_fields(number).get(field) or ""
                for found in {match.lower() for match in spelt.findall(text)}:
                    counts[found] = counts.get(found, 0) + 1
        return counts, read

    def _two_edits_away(self, word: str, stem: str, fields: tuple[str, ...]) -> str | None:
        """The nearest stem within two edits of ``stem`` with its first letter, spelt as
        the text spells it."""
        reader = self._searcher.reader()
        # Only among terms sharing the first letter: most typos keep it, and
        # searching the whole lexicon is slow.
        # A slip in the first letter is still found when it is the only one.
        candidates: dict[str, int] = {}
        for field in fields:
            for candidate in reader.terms_within(field, stem, SPELLING_DISTANCE, prefix=1):
                candidates[candidate] = candidates.get(candidate, 0) + reader.frequency(
                    field, candidate
                )
        best_stem = spelling.closest(stem, candidates.items())
        if best_stem is None:
            return None
        return self._surface_word(best_stem, word, fields)

    def _surface_word(self, stem: str, typed: str, fields: tuple[str, ...]) -> str:
        """How the text spells ``stem``: the spelling nearest to what was typed."""
        spellings: set[str] = set()
        for field in fields:
            for hit in self._searcher.search(whoosh_query.Term(field, stem), limit=3):
                text = hit.get(field) or ""
                spellings.update(
                    text[token.startchar : token.endchar].lower()
                    for token in self._analyzer(text, chars=True)
                    if token.text == stem
                )
        ranked = [(spelling.edit_distance(typed, form), form) for form in spellings]
        return min(ranked)[1] if ranked else stem
