"""Queries: the query language parsed into Whoosh's queries, within bounds.

Patterns, ranges and fuzzy words expand to index words, and Whoosh ORs
together every word they stand for: unbounded, `?*` or `ab~9` took tens of
seconds. The bounds below are Lucene's kind (no leading wildcard, at most 2
edits, a limit on clauses), stricter. See docs/performance.md for their costs.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from whoosh import query as whoosh_query
from whoosh.matching import AndNotMatcher, NullMatcher

from indexer import analysis
from indexer.errors import QueryError
from indexer.records import Kind
from search.options import (
    FIELDS_OF_KIND,
    SEARCHABLE_FIELDS,
    KindFilter,
    Match,
    fields_of,
    wanted_kinds,
)

if TYPE_CHECKING:
    from whoosh.qparser import MultifieldParser

OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO"}
MAX_QUERY_CHARACTERS = 1000
"""Longer queries are refused: Whoosh's parser takes time quadratic in some
queries' length, and no one types a query this long."""
MIN_PATTERN_LETTERS = 2
"""Letters a wildcard needs before its first * or ?: `*ing` scans every word."""
MAX_FUZZY_EDITS = 2
MIN_FUZZY_SAME_LETTERS = 1
"""A fuzzy word's matches share its first letter (as most typos do): far fewer words to try."""
MAX_EXPANSIONS = 256
"""Index words the patterns, ranges and fuzzy words of one query may stand for,
all fields together. Query time grows with it, and with the index's
postings: this is stricter than Lucene's 1,024 clauses."""
MAX_PATTERNS = 10
"""Patterns, ranges and fuzzy words in one query: each costs a walk of the index's words."""
_FIELD_NAME = re.compile(r"(?<![\w:])(\w+):")
_SIGN_AT_START = r"(?<![^\s(]){sign}(?=[^\s+-])"
"""A + or - that starts a word (at the query's start, after a space or "(")."""
_NEVER = r"(?!)"
_LEFT_OUT = re.compile(r"(?<![^\s(])-(?=[^\s+-])")
_PLAIN_WORDS = re.compile(r"\s*\w+(?:\s+\w+)*\s*")


class QueryParser:
    """Parses query text against one schema; the parsers of each kind are kept."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self._parsers: dict[tuple[tuple[str, ...], Match], MultifieldParser] = {}
        newsdex_analysis = analysis.analyzer()
        # The fields analysed as newsdex analyses text: their terms of a word
        # come from indexer.analysis directly.
        self._analysed_here = {
            field
            for field in SEARCHABLE_FIELDS
            if field in schema and schema[field].analyzer == newsdex_analysis
        }

    def _parser_for(self, kind: KindFilter, match: Match) -> MultifieldParser:
        fields = fields_of(kind)
        if (fields, match) not in self._parsers:
            # Loaded on the first query with syntax: plain words never need it.
            from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup, PlusMinusPlugin

            group = {"group": OrGroup} if match == "any" else {}
            parser = MultifieldParser(list(fields), self._schema, **group)
            parser.add_plugin(FuzzyTermPlugin())
            # -word leaves a word out, as in Google, tantivy and Meilisearch;
            # with --any, +word must be there. Only at a word's start: not
            # the hyphen of "al-Assad" or "covid-19", nor "C++".
            plus = _SIGN_AT_START.format(sign=r"\+") if match == "any" else _NEVER
            minus = _SIGN_AT_START.format(sign="-")
            parser.add_plugin(PlusMinusPlugin(plusexpr=plus, minusexpr=minus))
            self._parsers[fields, match] = parser
        return self._parsers[fields, match]

    def parse(
        self,
        text: str,
        reader: Any,
        kind: KindFilter = None,
        match: Match = "all",
        expansions: dict[str, tuple[Any, ...]] | None = None,
    ) -> whoosh_query.Query:
        """A Whoosh query, or a :class:`QueryError` that says what to fix.

        :param expansions: the index words of each pattern and fuzzy word,
            by :func:`pattern_key`: a pattern found there stands for those
            words (a cluster search expands over every shard first); one not
            found is expanded over ``reader`` and added
        """
        if len(text) > MAX_QUERY_CHARACTERS:
            raise QueryError(
                f"the query is {len(text):,} characters long; the limit is"
                f" {MAX_QUERY_CHARACTERS:,}",
                hint="search for fewer words",
            )
        plain = self._plain_words(text, kind, match)
        if plain is not None:
            return plain
        shown = _shortened(text)
        if text.count('"') % 2:
            raise QueryError(
                f"unbalanced quote in query {shown}",
                hint='close the phrase with a second "',
            )
        if text.count("(") != text.count(")"):
            raise QueryError(f"unbalanced parenthesis in query {shown}")
        self._check_field_names(text, shown)
        try:
            parsed = self._parser_for(kind, match).parse(text)
        except Exception as error:  # Whoosh raises many types for odd input
            raise QueryError(f"cannot parse query {shown}: {error}") from error
        if parsed is whoosh_query.NullQuery or isinstance(parsed, type(whoosh_query.NullQuery)):
            raise _nothing_to_search(text, shown)
        for leaf in parsed.leaves():
            field = leaf.field()
            if field is not None and field not in SEARCHABLE_FIELDS:
                raise QueryError(
                    f"cannot search the field {field!r}",
                    hint="use title: or body:, and --kind, --since, --until",
                )
        expanded = _Expansions(known=expansions if expansions is not None else {})
        bounded = functools.partial(
            self._bounded, reader=reader, kinds=wanted_kinds(kind), expanded=expanded
        )
        return parsed.accept(bounded)

    def _plain_words(self, text: str, kind: KindFilter, match: Match) -> whoosh_query.Query | None:
        """The query of plain words, with nothing for :meth:`parse`'s checks
        to refuse (no quotes, brackets, field names or patterns), or ``None``."""
        try:
            parsed = self._plain_words_query(text, kind, match)
        except Exception as error:  # as the parser's: odd input is the user's to fix
            raise QueryError(f"cannot parse query {_shortened(text)}: {error}") from error
        if parsed is whoosh_query.NullQuery:
            raise _nothing_to_search(text, _shortened(text))
        return parsed

    def _plain_words_query(
        self, text: str, kind: KindFilter, match: Match
    ) -> whoosh_query.Query | None:
        """The query Whoosh's parser makes of plain words, which most queries
        are, made without it (``None`` for any other query).

        Whoosh's parser is a noticeable part of a rare word's query, and
        loading it part of a one-query command's. Each word is analysed as the
        parser's ``term_query`` does it, so the query is the same, object for
        object (``tests/test_search.py`` checks); a word the analyser makes
        several terms of is left to the parser.
        """
        words = text.split()
        if match != "all" or not _PLAIN_WORDS.fullmatch(text) or OPERATORS.intersection(words):
            return None
        fields = fields_of(kind)
        if not all(field in self._schema for field in fields):
            return None
        analysers = [(field, self._schema[field]) for field in fields]
        groups: list[whoosh_query.Query] = []
        for word in words:
            found = []
            here = None  # the word's terms from indexer.analysis, made once for every field
            for field, analyser in analysers:
                if field in self._analysed_here:
                    terms = here = analysis.query_terms(word) if here is None else here
                else:
                    terms = list(analyser.process_text(word, mode="query"))
                if len(terms) > 1:  # the parser's multitoken_query decides
                    return None
                if terms:
                    found.append(whoosh_query.Term(field, terms[0]))
            # What And(Or(...) for each word).normalize() gives, made directly
            # (normalizing took most of the time): a word's one term stands
            # alone, a repeated group goes, one group is the query.
            if not found:
                continue
            group = found[0] if len(found) == 1 else whoosh_query.Or(found)
            if group not in groups:
                groups.append(group)
        if not groups:
            return whoosh_query.NullQuery
        return groups[0] if len(groups) == 1 else whoosh_query.And(groups)

    def _check_field_names(self, text: str, shown: str) -> None:
        """Refuse `id:x` (not a text field) and `title:` with nothing after it.

        Whoosh would search `title:` for the word "title", and reads a name
        that is not a field of the index (`nosuch:word`) as words, as here.
        """
        unquoted = re.sub(r'"[^"]*"', '""', text)  # a phrase stays a thing after a colon
        for named in _FIELD_NAME.finditer(unquoted):
            field, after = named[1], unquoted[named.end() : named.end() + 1]
            if field not in self._schema.names():
                continue
            if field not in SEARCHABLE_FIELDS:
                raise QueryError(
                    f"cannot search the field {field!r}",
                    hint="use title: or body:, and --kind, --since, --until",
                )
            if not after.strip() or after == ")":
                raise QueryError(
                    f"nothing to search for after '{field}:' in query {shown}",
                    hint=f"write the word right after the colon: {field}:brexit",
                )

    def _bounded(
        self,
        query: whoosh_query.Query,
        reader: Any,
        kinds: tuple[Kind, ...],
        expanded: _Expansions,
    ) -> whoosh_query.Query:
        """The query part as it is run, or a :class:`QueryError` if it would expand too far.

        Applied to every part of a parsed query in turn, adding up in
        ``expanded``: see :data:`MAX_EXPANSIONS` and :data:`MAX_PATTERNS`.
        """
        if type(query) is whoosh_query.AndNot:
            return _AndNot(query.a, query.b)
        if isinstance(query, whoosh_query.Every):
            # `*` alone: every record of the kinds asked (that have the field).
            # Whoosh's own reads every posting of the field, and `*:*` would
            # match the page documents too.
            field = query.field()
            return whoosh_query.Or(
                [
                    whoosh_query.Term("kind", kind)
                    for kind in kinds
                    if field is None or field in FIELDS_OF_KIND[kind]
                ]
            )
        if isinstance(query, whoosh_query.Prefix | whoosh_query.Wildcard):
            letters = re.split(r"[*?\[]", query.text, maxsplit=1)[0]
            if len(letters) < MIN_PATTERN_LETTERS:
                raise QueryError(
                    f"{query.text!r} has fewer than {MIN_PATTERN_LETTERS} letters before its"
                    " first * or ?",
                    hint="too many words would match; give more letters",
                )
        if isinstance(query, whoosh_query.FuzzyTerm):
            if query.maxdist > MAX_FUZZY_EDITS:
                raise QueryError(
                    f"{query.text}~{query.maxdist} allows more than {MAX_FUZZY_EDITS} edits",
                    hint="use word~ (one edit) or word~2",
                )
            query.prefixlength = max(query.prefixlength, MIN_FUZZY_SAME_LETTERS)
        if isinstance(query, whoosh_query.MultiTerm):
            typed = str(query).split(":", 1)[-1]  # without the field: as typed
            expanded.patterns.add((type(query).__name__, typed))
            if len(expanded.patterns) > MAX_PATTERNS:
                raise QueryError(
                    f"the query has more than {MAX_PATTERNS} patterns, ranges and fuzzy words",
                    hint="search for fewer of them at a time",
                )
            allowed = MAX_EXPANSIONS - expanded.words
            key = pattern_key(query)
            if key in expanded.known:
                found = [(query.field(), word) for word in expanded.known[key]]
            else:
                found = list(itertools.islice(expansion_of(query, reader), allowed + 1))
                expanded.known[key] = tuple(word for _, word in found[:allowed])
            expanded.words += len(found)
            if expanded.words > MAX_EXPANSIONS:
                raise QueryError(
                    f"{typed!r} takes the query past {MAX_EXPANSIONS:,} words of the index"
                    " (its patterns, ranges and fuzzy words together)",
                    hint="give more letters, or search the words themselves",
                )
            if query.field() is not None and not isinstance(query, whoosh_query.RangeMixin):
                return Expansion.of(query, [text for _, text in found])
        return query


def pattern_key(query: whoosh_query.MultiTerm) -> str:
    """A pattern's (or fuzzy word's, or range's) key among a query's expansions."""
    return f"{type(query).__name__} {query}"


def expansion_of(query: whoosh_query.MultiTerm, reader: Any) -> Iterator[tuple[str, Any]]:
    """The index words a pattern, range or fuzzy word stands for, in order: the
    union of each segment's (and each shard's). Whoosh expands a fuzzy word
    over one segment with an automaton, over several by another rule that also
    takes swapped letters: one rule for every layout."""
    leaves = reader.leaf_readers()
    if len(leaves) == 1:
        yield from query.expanded_terms(leaves[0][0])
        return
    found: set[tuple[str, Any]] = set()
    for leaf, _ in leaves:
        found.update(query.expanded_terms(leaf))
    yield from sorted(found)


class Expansion(whoosh_query.MultiTerm):  # type: ignore[misc]
    """A pattern or fuzzy word as the words of the whole index it stands for.

    Whoosh expands a pattern segment by segment, and scores a segment's words
    in a way that depends on how many of them that segment holds and on its
    size: the same record scored differently as the segments (or shards)
    changed. Expanded once over the whole index (every shard), a match
    scores the same everywhere: the sum of the BM25F scores of the words it
    holds.
    """

    def __init__(
        self,
        fieldname: str,
        text: str,
        words: tuple[bytes | str, ...],
        boost: float,
        constant: bool,
    ) -> None:
        self.fieldname = fieldname
        self.text = text
        self.words = words
        self.boost = boost
        self.constantscore = constant

    @classmethod
    def of(cls, query: whoosh_query.MultiTerm, words: list[bytes | str]) -> Expansion:
        text = getattr(query, "text", str(query))
        return cls(query.field(), text, tuple(words), query.boost, query.constantscore)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expansion) and (
            self.fieldname,
            self.text,
            self.words,
            self.boost,
        ) == (other.fieldname, other.text, other.words, other.boost)

    def __hash__(self) -> int:
        return hash((self.fieldname, self.text, self.words, self.boost))

    def __repr__(self) -> str:
        return f"Expansion({self.fieldname!r}, {self.text!r}, {len(self.words)} words)"

    def __str__(self) -> str:
        return f"{self.fieldname}:{self.text}"

    def _btexts(self, ixreader: Any) -> list[bytes | str]:
        return [word for word in self.words if (self.fieldname, word) in ixreader]

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if len(self.words) == 1:
            term = whoosh_query.Term(self.fieldname, self.words[0], boost=self.boost)
            return term.matcher(searcher, context)
        terms = [
            whoosh_query.Term(self.fieldname, word, boost=self.boost)
            for word in self._btexts(searcher.reader())
        ]
        if not terms:
            return NullMatcher()
        return _Union(terms).matcher(searcher, context)


class _AndNotMatcher(AndNotMatcher):  # type: ignore[misc]
    """Whoosh's ``AndNotMatcher``, whose first match is checked against the
    words left out: Whoosh's checks it only when both lists start on the same
    document, so ``analysts -years`` returned a record with "years" when the
    list of "years" started before it (as the records of a segment fell)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            if self.b.id() < self.a.id():
                self.b.skip_to(self.a.id())
            if self.b.is_active() and self.a.id() == self.b.id():
                self._find_next()


class _AndNot(whoosh_query.AndNot):  # type: ignore[misc]
    """``a ANDNOT b`` (``NOT``, ``-word``) matched by :class:`_AndNotMatcher`."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        scored = self.a.matcher(searcher, context)
        left_out = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(scored, left_out)


class _Union(whoosh_query.Or):  # type: ignore[misc]
    """An OR whose matches score the sum of their words' BM25F scores, always.

    Whoosh's own OR chooses its matcher by the segment's size: under 5,000
    documents one that scores each match by how many of the words it has,
    above it one that adds up their scores."""

    matcher_type = whoosh_query.Or.DEFAULT_MATCHER


@dataclasses.dataclass
class _Expansions:
    """What the patterns of one query expanded to so far."""

    words: int = 0
    patterns: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    known: dict[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)


def _nothing_to_search(text: str, shown: str) -> QueryError:
    """Why a query made nothing to search for, and what to type instead."""
    if _LEFT_OUT.search(text):
        return QueryError(
            f"query {shown} only leaves words out",
            hint="add a word to search for, as in: yukos -oil",
        )
    if re.search(r"\w", text):
        hint = "one-letter words and very common words such as 'the' are not indexed"
    else:
        hint = "search for words or numbers; punctuation and symbols are not indexed"
    return QueryError(f"query {shown} has no word that can be searched", hint=hint)


def _shortened(text: str) -> str:
    """The query as error messages quote it: one line, at most about 60 characters."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


Words = list[list[tuple[str, str]]]
"""A query's words, each the (field, term) pairs any of which it may match in."""


def words_and_mode(parsed: whoosh_query.Query) -> tuple[Words, bool] | None:
    """The query as words (:func:`words_of`, :func:`any_words_of`), and whether a
    match must hold every one; ``None`` for any other query."""
    words = words_of(parsed)
    if words is not None:
        return words, True
    words = any_words_of(parsed)
    return None if words is None else (words, False)


Phrase = list[tuple[str, tuple[str, ...]]]
"""A phrase query: its words in each field it is looked for in."""


def phrase_of(parsed: whoosh_query.Query) -> Phrase | None:
    """The query as phrases, if it is only that: a quoted phrase in one field, or
    an OR of phrases in several (as the parser makes an unfielded one), each
    with Whoosh's default slop (words one right after another). ``None`` for
    any other query."""
    phrases = _alternatives(parsed)
    if phrases is None:
        return None
    found: Phrase = []
    for phrase in phrases:
        if type(phrase) is not whoosh_query.Phrase or phrase.boost != 1 or phrase.slop != 1:
            return None
        if phrase.fieldname not in SEARCHABLE_FIELDS or not phrase.words:
            return None
        if not all(isinstance(word, str) for word in phrase.words):
            return None
        found.append((phrase.fieldname, tuple(phrase.words)))
    if len({field for field, _ in found}) != len(found):
        return None  # one field twice: how Whoosh adds it up matters
    return found


def any_words_of(parsed: whoosh_query.Query) -> Words | None:
    """The words of an OR of terms, as ``match="any"`` makes it of plain words
    (or a typed ``a OR b``): each word the (field, term) pairs of one term text,
    in the order the query first names them. ``None`` for any other query."""
    terms = _alternatives(parsed) if type(parsed) is whoosh_query.Or else None
    if terms is None:
        return None
    words: dict[str, list[tuple[str, str]]] = {}
    for term in terms:
        if type(term) is not whoosh_query.Term or term.boost != 1:
            return None
        if term.fieldname not in SEARCHABLE_FIELDS or not isinstance(term.text, str):
            return None
        word = words.setdefault(term.text, [])
        if any(field == term.fieldname for field, _ in word):
            return None  # one term twice in a field: not as Whoosh adds it up
        word.append((term.fieldname, term.text))
    return list(words.values())


def words_of(parsed: whoosh_query.Query) -> Words | None:
    """The query as words, each the (field, term) pairs any of which it may match
    in, if it is only that: a term, an OR of one term in each of several
    fields (one word, as the parser makes it), or an AND of those. ``None``
    for any other query (phrases, patterns, NOT, boosts...)."""
    parts = parsed.subqueries if type(parsed) is whoosh_query.And else [parsed]
    if parsed.boost != 1:
        return None
    words = []
    for part in parts:
        alternatives = _alternatives(part)
        if alternatives is None:
            return None
        word = []
        for term in alternatives:
            if type(term) is not whoosh_query.Term or term.boost != 1:
                return None
            if term.fieldname not in SEARCHABLE_FIELDS or not isinstance(term.text, str):
                return None
            word.append((term.fieldname, term.text))
        if len({field for field, _ in word}) != len(word):
            return None  # several terms of one field: how Whoosh adds them up matters
        words.append(word)
    return words


def _alternatives(query: whoosh_query.Query) -> list[whoosh_query.Query] | None:
    """The parts of a plain OR (of any other query: the query itself); ``None``
    for a boosted query or an OR that weighs its parts (``scale``, ``minmatch``),
    which Whoosh scores otherwise than a sum."""
    if query.boost != 1:
        return None
    if type(query) is not whoosh_query.Or:
        return [query]
    return None if query.scale or query.minmatch else list(query.subqueries)


def positive_terms(parsed: whoosh_query.Query, reader: Any) -> dict[str, frozenset[str]]:
    """The indexed words a hit can match, by field: expansions in, negations out."""
    words: dict[str, set[str]] = {field: set() for field in SEARCHABLE_FIELDS}
    for leaf in _positive_leaves(parsed):
        for field, text in leaf.expanded_terms(reader, phrases=True):
            if field in words:
                words[field].add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return {field: frozenset(found) for field, found in words.items()}


def _positive_leaves(parsed: whoosh_query.Query) -> Iterator[whoosh_query.Query]:
    if isinstance(parsed, whoosh_query.Not):
        return
    if isinstance(parsed, whoosh_query.AndNot):
        yield from _positive_leaves(parsed.a)
        return
    if parsed.is_leaf():
        yield parsed
        return
    for child in parsed.children():
        yield from _positive_leaves(child)
