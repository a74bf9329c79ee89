"""Postings waiting to be written: grouped by term in memory, spilled to sorted runs.

A writer collects every (field, term, document, weight, value) posting of
the documents it indexes, and at commit needs them sorted by field, term and
document. Whoosh's pool keeps each posting as a tuple (about 200 bytes), so
it fills up quickly; it then pickles each posting to a run file and, at
commit, unpickles them all and merges the runs through a heap, posting by
posting: a large part of a build.

Here postings are grouped by term as they arrive: each term's postings are
packed, one after the other, into two byte strings, one of 12-byte records
(document, weight, the value's length) and one of the values. Records of a
fixed size read back as arrays in a few C calls (:func:`posting_columns`),
where unpacking them one by one was most of a commit. Documents are
numbered in the order they are added, so each term's postings are already
in document order, and only the distinct terms are sorted. When the pool
outgrows its limit, its terms are written to a run in order; the merge at
commit goes term by term, joining a term's postings from each run in turn,
which keeps them in document order.

Nothing here knows Whoosh: a posting is a plain tuple.
"""

from __future__ import annotations

import heapq
import itertools
import struct
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

Posting = tuple[str, bytes, int, float, bytes | None]
"""(field name, term, document number, weight, value)."""

_POSTING = struct.Struct("<IfI")
_POSTING_SIZE = _POSTING.size
"""A posting's record in a term's records: document, weight, the value's length."""
_RUN_ENTRY = struct.Struct("<HIII")
"""A term in a run file: its field's number, the lengths of its text, records and values."""
_TERM_OVERHEAD = 240
"""Bytes a new term takes beyond its text: the tuple, its two bytearrays, the dict slot."""
_WORD_OVERHEAD = 100
"""Bytes a term's entry by its word (:meth:`PostingsPool.add_terms`) takes: a dict slot."""

TermPostings = tuple[bytes | bytearray, bytes | bytearray]
"""One term's postings: their records (:data:`_POSTING` each), then their values."""
_GROWTH = 1.125
"""A bytearray grows by about an eighth beyond what it holds."""


class PostingsPool:
    """Collects postings and gives them back sorted, within about ``limit_bytes`` of memory.

    Postings must arrive, for each term, in document order (a writer numbers
    documents as it adds them, so this holds). Runs are anonymous temporary
    files in ``directory``: they vanish when closed, or if the process dies.
    """

    def __init__(self, directory: str | Path | None, limit_bytes: int) -> None:
        self.directory = directory
        self.limit_bytes = limit_bytes
        self.fieldnames: set[str] = set()
        """The fields that received postings (Whoosh's multi-process writer reads it)."""
        self._terms: dict[str, dict[bytes, tuple[bytearray, bytearray]]] = {}
        self._size = 0
        self._runs: list[IO[bytes]] = []
        self._last_field = ""
        self._last_terms: dict[bytes, tuple[bytearray, bytearray]] = {}
        self._words: dict[str, dict[str, tuple[bytearray, bytearray]]] = {}
        """The postings of each field's terms again, by the term as a word (str):
        :meth:`add_terms` is given words, whose hashes Python keeps, where a
        term's bytes are made, and hashed, anew for each posting."""
        self._last_words_field = ""
        self._last_words: dict[str, tuple[bytearray, bytearray]] = {}

    def add(self, posting: Posting) -> None:
        fieldname, text, docnum, weight, value = posting
        postings = self._postings_of(fieldname, text)
        value = value or b""
        records, values = postings
        records += _POSTING.pack(docnum, weight, len(value))
        values += value
        self._size += _POSTING.size + len(value)
        if self._size * _GROWTH > self.limit_bytes:
            self._spill()

    def add_terms(
        self,
        fieldname: str,
        docnum: int,
        positions: dict[str, list[int]],
        encode: Callable[[list[int]], bytes],
    ) -> None:
        """One document's words in one field, each with its positions: a posting
        each, as :meth:`add` would take them one at a time (the word's count as
        its weight, its positions encoded by ``encode`` as its value)."""
        if fieldname != self._last_words_field or not self._last_words:
            self._last_words = self._words.setdefault(fieldname, {})
            self._last_words_field = fieldname
            self.fieldnames.add(fieldname)
        by_word, pack = self._last_words, _POSTING.pack
        size = self._size
        for word, places in positions.items():
            postings = by_word.get(word)
            if postings is None:
                self._size = size
                postings = by_word[word] = self._term_postings(fieldname, word.encode())
                size = self._size
            value = encode(places)
            records, values = postings
            records += pack(docnum, len(places), len(value))
            values += value
            size += _POSTING_SIZE + len(value)
        self._size = size
        if size * _GROWTH > self.limit_bytes:
            self._spill()

    def _term_postings(self, fieldname: str, text: bytes) -> tuple[bytearray, bytearray]:
        """A word's postings (a term's, kept by the word too: its overhead counted)."""
        postings = self._postings_of(fieldname, text)
        self._size += _WORD_OVERHEAD
        return postings

    def _postings_of(self, fieldname: str, text: bytes) -> tuple[bytearray, bytearray]:
        """A term's postings, new (and empty) if the pool has none of it yet."""
        if fieldname != self._last_field or not self._last_terms:
            # A document's postings come field by field: one lookup per field.
            self._last_terms = self._terms.setdefault(fieldname, {})
            self._last_field = fieldname
            self.fieldnames.add(fieldname)
        postings = self._last_terms.get(text)
        if postings is None:
            postings = self._last_terms[text] = (bytearray(), bytearray())
            self._size += _TERM_OVERHEAD + len(text)
        return postings

    @property
    def run_count(self) -> int:
        """How many times the pool has spilled to disk."""
        return len(self._runs)

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, by field, term and document; the pool is empty afterwards."""
        for fieldname, text, postings in self._merged_terms():
            for docnum, weight, value in unpack_postings(postings):
                yield fieldname, text, docnum, weight, value

    def iter_terms(self) -> Iterator[tuple[str, bytes, TermPostings]]:
        """Every term with its postings packed (:func:`posting_columns` and
        :func:`unpack_posting_list` read them), by field and term; the pool is
        empty afterwards."""
        return self._merged_terms()

    def cleanup(self) -> None:
        """Drop what the pool holds, in memory and on disk."""
        self._terms = {}
        self._last_terms = {}
        self._words = {}
        self._last_words = {}
        self._size = 0
        for run in self._runs:
            run.close()
        self._runs = []

    def _sorted_terms(self) -> Iterator[tuple[str, bytes, TermPostings]]:
        terms, self._terms, self._last_terms, self._size = self._terms, {}, {}, 0
        self._words, self._last_words = {}, {}
        for fieldname in sorted(terms):
            by_text = terms.pop(fieldname)
            for text in sorted(by_text):
                records, values = by_text.pop(text)
                yield fieldname, text, (records, values)

    def _spill(self) -> None:
        # Open until the merge at commit reads it back (or cleanup closes it).
        run = tempfile.TemporaryFile(dir=self.directory, prefix="newsdex-pool-")  # noqa: SIM115
        fieldnames = sorted(self.fieldnames)
        number = {name: index for index, name in enumerate(fieldnames)}
        write = run.write
        write(struct.pack("<H", len(fieldnames)))
        for name in fieldnames:
            encoded = name.encode("utf-8")
            write(struct.pack("<H", len(encoded)) + encoded)
        for fieldname, text, (records, values) in self._sorted_terms():
            write(_RUN_ENTRY.pack(number[fieldname], len(text), len(records), len(values)))
            write(text)
            write(records)
            write(values)
        run.flush()
        self._runs.append(run)

    def _merged_terms(self) -> Iterator[tuple[str, bytes, TermPostings]]:
        """Terms in order, each with its postings from every run, oldest run first."""
        if not self._runs:
            yield from self._sorted_terms()
            return
        sources: list[Iterable[tuple[str, bytes, TermPostings]]] = [
            _read_run(run) for run in self._runs
        ]
        sources.append(self._sorted_terms())
        # heapq.merge keeps equal keys in the order of their sources: the
        # postings of a term stay in document order.
        merged = heapq.merge(*sources, key=lambda entry: (entry[0], entry[1]))
        try:
            for (fieldname, text), group in itertools.groupby(
                merged, key=lambda entry: (entry[0], entry[1])
            ):
                parts = [postings for _, _, postings in group]
                if len(parts) == 1:
                    yield fieldname, text, parts[0]
                else:
                    records = b"".join(records for records, _ in parts)
                    yield fieldname, text, (records, b"".join(values for _, values in parts))
        finally:
            self.cleanup()


def one_posting(postings: TermPostings) -> tuple[int, float, bytes] | None:
    """The document, weight and value (empty: none) of a term's only posting;
    ``None`` if it has more than one."""
    records, values = postings
    if len(records) != _POSTING_SIZE:
        return None
    docnum, weight, length = _POSTING.unpack(records)
    return docnum, weight, bytes(values[:length])


def posting_columns(records: bytes | bytearray) -> tuple[array[int], array[float], array[int]]:
    """The documents, weights and value lengths of one term's postings, each
    an array (the values follow one another in the term's values)."""
    numbers, weights = array("I", records), array("f", records)
    if sys.byteorder == "big":
        numbers.byteswap()
        weights.byteswap()
    return numbers[0::3], weights[1::3], numbers[2::3]


def unpack_posting_list(postings: TermPostings) -> tuple[list[int], list[float], list[bytes]]:
    """The documents, weights and values of one term's postings, in lists (no
    values when its postings have none)."""
    ids, weights, lengths = posting_columns(postings[0])
    values = bytes(postings[1])
    ends = itertools.accumulate((length for length in lengths if length), initial=0)
    return list(ids), list(weights), [values[start:end] for start, end in itertools.pairwise(ends)]


def unpack_postings(postings: TermPostings) -> Iterator[tuple[int, float, bytes | None]]:
    """(document, weight, value) of each posting of one term."""
    ids, weights, lengths = posting_columns(postings[0])
    values, start = postings[1], 0
    for docnum, weight, length in zip(ids, weights, lengths, strict=True):
        if length:
            yield docnum, weight, bytes(values[start : start + length])
            start += length
        else:
            yield docnum, weight, None


def _read_run(run: IO[bytes]) -> Iterator[tuple[str, bytes, TermPostings]]:
    run.seek(0)
    (count,) = struct.unpack("<H", run.read(2))
    fieldnames = []
    for _ in range(count):
        (length,) = struct.unpack("<H", run.read(2))
        fieldnames.append(run.read(length).decode("utf-8"))
    read = run.read
    while header := read(_RUN_ENTRY.size):
        field_number, text_length, records_length, values_length = _RUN_ENTRY.unpack(header)
        text, records = read(text_length), read(records_length)
        yield fieldnames[field_number], text, (records, read(values_length))
