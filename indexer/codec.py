"""How newsdex's index is laid out on disk: Whoosh's codec, made smaller and faster.

Whoosh writes each block of up to 128 postings as a pickle (protocol 2) of
three tuples: document ids, weights and values. Protocol 2 pickles every
value (a word's positions in one document) as a call to ``codecs.encode``
of a Latin-1 string, about 13 bytes of overhead each, and every weight as a
9-byte float. Here a block is packed arrays instead: id deltas, integer
weights and value lengths as the smallest unsigned type that holds them,
then the values one after the other. The block's header (count, last id,
maximum weight, shortest and longest field) is a struct where Whoosh
pickles it, with the same figures, so skipping and block-quality pruning
work as before.

The codec and the positions format are saved, by name, with every segment
and schema: renaming or moving them means a new index format.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import operator
import os
import pickle
import struct
import sys
import threading
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import zstandard
from whoosh.codec.whoosh3 import (
    COMPRESSION_MIN_SIZE,
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.columns import PickleColumn, VarBytesColumn
from whoosh.filedb.compound import SubFile
from whoosh.filedb.filetables import md5_hash
from whoosh.formats import Positions, tokens
from whoosh.matching import ReadTooFar
from whoosh.reading import CorruptIndexError, TermNotFound
from whoosh.system import emptybytes, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.analysis import indexed_positions, is_newsdex_analyzer

INLINE_POSTINGS_BELOW = 2
"""Terms in fewer documents than this keep their postings in the term dictionary."""

_UNSIGNED = tuple((1 << 8 * array(code).itemsize, code) for code in "BHIQ")
"""Array types tried in turn for a list of whole numbers (1, 2, 4, then 8
bytes), each after the bound of its values."""
_NONE = "-"
"""In a block's header: the list is not stored (all weights 1, values of size 0)."""
_FLOAT = "f"
_HEADER = struct.Struct("<3sI")
"""A block's data: type codes of the id deltas, weights and value lengths; first id."""
_BLOCK_INFO = struct.Struct("<iHIdBBB")
"""Before a block's data: its length after this int (negative for a posting list's
last block), postings, last id, maximum weight, compression (Whoosh's zlib
level, or :data:`BLOCK_ZSTD`), shortest and longest
field length (Whoosh's one-byte codes). Whoosh pickles these."""
_LENGTH_SIZE = 4
BLOCK_LEVEL = 3
"""zstd's level for posting blocks (its default; 1 and 9 make blocks within 1%)."""
BLOCK_ZSTD = 0xFF
"""In a block's info, where Whoosh has its zlib level (1 to 9, 0 for none):
the block is a zstd frame (index format 10). Posting blocks come out 2%
larger than zlib's and are given back in half the time, and a phrase or a
frequent word reads many (docs/performance.md)."""
_HIGH_BYTES = bytes(range(0x80, 0x100))
_ONE_BYTE = [bytes((number,)) for number in range(0x80)]
_TWO_BYTES: list[bytes | None] = [None] * 0x4000
"""The value of a single position from 128 to 16,383 (two bytes), by position,
kept once made: the commonest value of a document's words (a word once, past
its 128th word), where making a bytes object each time was half of encoding."""
_TERM_INFO = struct.Struct("!BfIBBfII")
"""A term's dictionary entry before its postings' place or inlined postings
(``W3TermInfo``: inlined, total weight, documents, shortest and longest
field as length codes, heaviest weight, first and last document)."""
_EXTENT = struct.Struct("!qi")
"""Where a term's posting list is in the postings file, and its size (``W3TermInfo``)."""


class CompactPositions(Positions):  # type: ignore[misc]
    """Word positions as varint deltas, where Whoosh pickles a list per posting.

    Positions are most of an index (they make phrase queries work); this form
    takes a byte a position for most words. The count is not stored: it is
    the posting's weight, and the number of varints in the value.
    """

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        # Whoosh's word_values without adding up token boosts: newsdex's
        # analyzer gives every token a boost of 1, so a word's weight is its
        # count. It runs for every field of every document indexed.
        if isinstance(value, str) and is_newsdex_analyzer(analyzer):
            found = indexed_positions(value)
        else:
            kwargs["positions"] = True
            found = defaultdict(list)
            for token in tokens(value, analyzer, kwargs):
                found[token.text].append(token.pos)
        boost = self.field_boost
        for word, places in found.items():
            yield word, len(places), len(places) * boost, self.encode(places)

    def encode(self, poslist: Sequence[int]) -> bytes:
        if len(poslist) == 1:  # most words of a document: one varint
            position = poslist[0]
            if position < 0x80:
                return _ONE_BYTE[position]
            if position < 0x4000:  # two bytes, made once for each position
                value = _TWO_BYTES[position]
                if value is None:
                    value = _TWO_BYTES[position] = bytes(((position & 0x7F) | 0x80, position >> 7))
                return value
        encoded = bytearray()
        previous = 0
        for position in poslist:
            _append_varint(encoded, position - previous)
            previous = position
        return bytes(encoded)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if valuestring.isascii():  # every delta under 128: one byte each
            return list(itertools.accumulate(valuestring))
        return list(itertools.accumulate(_varints(valuestring)))

    def next_to(self, before: bytes, after: bytes) -> bool:
        """Whether a position of ``after`` (encoded) is one past a position of
        ``before``: two words in a row. Most words are once in a document (a
        value of one varint: the position itself), and such a position is
        compared, or looked for among the other word's positions as they are
        decoded."""
        first, second = _single_position(before), _single_position(after)
        if first is not None:
            return first + 1 == second if second is not None else first + 1 in _positions(after)
        if second is not None:
            return second - 1 in _positions(before)
        return not set(_positions(after)).isdisjoint(map(_ONE_MORE, _positions(before)))

    def decode_frequency(self, valuestring: bytes) -> int:
        # A varint's last byte is the only one below 0x80.
        return len(valuestring.translate(None, _HIGH_BYTES))


_ONE_MORE = (1).__add__


def _single_position(valuestring: bytes) -> int | None:
    """The position of a value of one position under 16,384 (one or two bytes), else ``None``."""
    if len(valuestring) == 1:
        return valuestring[0]
    if len(valuestring) == 2 and valuestring[0] & 0x80:
        return (valuestring[0] & 0x7F) | (valuestring[1] << 7)
    return None


def _positions(valuestring: bytes) -> Iterator[int]:
    """The positions of a value of :class:`CompactPositions`, as they are decoded."""
    return itertools.accumulate(valuestring if valuestring.isascii() else _varints(valuestring))


def _append_varint(encoded: bytearray, number: int) -> None:
    while number >= 0x80:
        encoded.append((number & 0x7F) | 0x80)
        number >>= 7
    encoded.append(number)


def _varints(encoded: bytes) -> list[int]:
    numbers = []
    number = shift = 0
    for byte in encoded:
        number |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(number)
            number = shift = 0
    return numbers


def _packed(numbers: Sequence[int]) -> tuple[str, bytes]:
    """Whole numbers as the smallest unsigned array type, little-endian."""
    largest = max(numbers, default=0)
    if largest < 0x100:  # most blocks' numbers: one byte each, in any byte order
        return "B", array("B", numbers).tobytes()
    code = next(code for bound, code in _UNSIGNED if largest < bound)
    packed = array(code, numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return code, packed.tobytes()


def _unpacked(code: str, data: bytes | memoryview) -> array[Any]:
    numbers = array(code)
    numbers.frombytes(data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def encode_block(ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes]) -> bytes:
    """One block of postings as packed arrays (see the module's docstring).

    ``values`` is empty for formats that store none (ids, dates), else one
    per id.
    """
    lengths = [len(value) for value in values] if values else None
    return encode_columns(ids, weights, lengths, b"".join(values))


def encode_columns(
    ids: Sequence[int],
    weights: Sequence[float],
    value_lengths: Sequence[int] | None,
    values: bytes | bytearray,
) -> bytes:
    """:func:`encode_block` of postings given as columns: the values one after
    the other, with their lengths (``None``: a format that stores none)."""
    id_code, deltas = _packed(list(map(operator.sub, ids[1:], ids)))
    if weights.count(1) == len(weights):
        weight_code, packed_weights = _NONE, b""
    elif (whole := list(map(int, weights))) == list(weights):
        weight_code, packed_weights = _packed(whole)
    else:
        floats = array(_FLOAT, weights)
        if sys.byteorder == "big":
            floats.byteswap()
        weight_code, packed_weights = _FLOAT, floats.tobytes()
    if value_lengths is not None:
        length_code, lengths = _packed(value_lengths)
    else:
        length_code, lengths = _NONE, b""
    codes = f"{id_code}{weight_code}{length_code}".encode("ascii")
    return b"".join((_HEADER.pack(codes, ids[0]), deltas, packed_weights, lengths, values))


def decode_block(data: bytes, count: int) -> tuple[list[int], Sequence[float], list[bytes] | None]:
    """The ids, weights and values of a block of ``count`` postings (``None``: no values)."""
    ids, weights, values_at = decode_ids_and_weights(data, count)
    return ids, weights, decode_values(data, count, values_at)


def decode_ids_and_weights(
    data: bytes | memoryview, count: int
) -> tuple[list[int], Sequence[float], int]:
    """A block's ids and weights, and where its values begin: most blocks a query
    reads are only skipped through or scored, never asked for positions."""
    codes, first = _HEADER.unpack_from(data)
    id_code, weight_code = chr(codes[0]), chr(codes[1])
    view = memoryview(data)
    start = _HEADER.size
    end = start + array(id_code).itemsize * (count - 1)
    ids = list(itertools.accumulate(_unpacked(id_code, view[start:end]), initial=first))
    if weight_code == _NONE:
        return ids, [1] * count, end
    start, end = end, end + array(weight_code).itemsize * count
    return ids, _unpacked(weight_code, view[start:end]), end


def decode_values(data: bytes, count: int, start: int) -> list[bytes] | None:
    """A block's values, which begin at ``start`` (``None``: the block has none)."""
    length_code = chr(data[2])  # the third type code of the header
    if length_code == _NONE:
        return None
    end = start + array(length_code).itemsize * count
    lengths = _unpacked(length_code, memoryview(data)[start:end])
    ends = list(itertools.accumulate(lengths, initial=end))
    return [data[begin:stop] for begin, stop in itertools.pairwise(ends)]


def _values_of(data: bytes, count: int, start: int, places: Sequence[int]) -> list[bytes]:
    """The values of some postings of a block (by place, ascending), the others
    left unsliced."""
    length_code = chr(data[2])
    if length_code == _NONE:
        return [emptybytes] * len(places)
    end = start + array(length_code).itemsize * count
    ends = list(
        itertools.accumulate(_unpacked(length_code, memoryview(data)[start:end]), initial=end)
    )
    return [data[ends[at] : ends[at + 1]] for at in places]


class NewsdexPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, writing blocks with :func:`encode_block` and
    with its inlining of short posting lists working.

    whoosh3 3.54 calls ``terminfo.set_inline``, a method W3TermInfo spells
    ``set_inlined``, so any ``inlinelimit`` above 1 fails. A posting list of
    its own costs about 120 bytes even for one document, and a third of all
    terms (every record id, most dates, rare words) are in one document only:
    inlining them makes the index 8% smaller (5,000 benchmark pages).
    """

    # The block being filled, and the term's info (Whoosh's attributes).
    _terminfo: Any
    _ids: Any
    _weights: Any
    _values: list[bytes]
    _maxweight: float
    _minlength: int | None
    _maxlength: int

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self._compress = zstandard.ZstdCompressor(level=BLOCK_LEVEL).compress

    def finish_postings(self) -> Any:
        terminfo = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            # Formats without values (ids, dates) leave ``_values`` empty, and
            # Whoosh then reads a value back as "" where merging wants bytes.
            values = self._values or [b""] * len(self._ids)
            terminfo.set_inlined(self._ids, self._weights, values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        # Whoosh's add_posting without its type checks: it runs once for
        # every word of every document written (1.9% of a build's instructions).
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_posting_list(
        self,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        lengths: Sequence[int],
    ) -> None:
        """A whole term's postings at once, as :meth:`add_posting` one by one
        would write them (the same blocks, the same statistics): segments are
        merged a posting list at a time. ``values`` is empty for formats that
        store none; ``lengths`` holds each document's field length (0: none)."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if self._ids:
                self._write_block()
            stop = start + limit
            self._ids = array("I", ids[start:stop])
            self._weights = array("f", weights[start:stop])
            self._values = list(values[start:stop])
            self._maxweight = max(0, *weights[start:stop])
            known = [length for length in lengths[start:stop] if length]
            self._minlength = min(known) if known else None
            self._maxlength = max(known, default=0)

    def write_one(
        self,
        format_: Any,
        docnum: int,
        weight: float,
        value: bytes,
        length_codes: bytes | None,
    ) -> bytes:
        """:meth:`write_columns` of a term in one document (a third to a half of
        a segment's terms, their postings inlined in the term's entry), without
        making its columns into arrays and back; ``value`` is empty for a
        format that stores none."""
        if self._inlinelimit < 2:
            lengths = array("I", [len(value)])
            columns = (array("I", [docnum]), array("f", [weight]), lengths, value)
            return self.write_columns(format_, *columns, length_codes)
        code = length_codes[docnum] if length_codes is not None else 0
        return _inlined_entry((docnum,), (weight,), (value,), code, code)

    def write_columns(
        self,
        format_: Any,
        ids: Sequence[int],
        weights: Sequence[float],
        value_lengths: Sequence[int],
        values: bytes | bytearray,
        length_codes: bytes | None,
    ) -> bytes:
        """A whole term's postings given as columns (see indexer.pool), written
        as :meth:`start_postings`, :meth:`add_posting` for each and
        :meth:`finish_postings` would write them; returns the term's entry
        in the term dictionary (its info's ``to_bytes()``).

        ``value_lengths`` gives each posting's value length (the values follow
        one another in ``values``), ``length_codes`` each document's field
        length code (Whoosh's byte), ``None`` for a field without lengths.
        """
        count, limit = len(ids), self._blocklimit
        if self._inlinelimit <= count <= limit:
            # One block, as most terms have: the term's entry is the block's,
            # made at once (each term was a W3TermInfo, filled, then packed:
            # a segment's terms are written after its last document, and
            # alone they were a sixth of an addition's time).
            shortest, longest = _code_range(length_codes, ids)
            heaviest = max(0, max(weights))
            start = self._postfile.tell()
            data = _encoded(format_, ids, weights, value_lengths, values)
            block = self._framed(data, count, ids[-1], heaviest, shortest, longest, last=True)
            self._postfile.write(WHOOSH3_HEADER_MAGIC + block)
            first, last = ids[0], ids[-1]
            info = _TERM_INFO.pack(0, sum(weights), count, shortest, longest, heaviest, first, last)
            return info + _EXTENT.pack(start, len(WHOOSH3_HEADER_MAGIC) + len(block))
        if count <= limit:  # fewer than the inline limit: as finish_postings inlines them
            shortest, longest = _code_range(length_codes, ids)
            inlined = _split(values, value_lengths) or [b""] * count
            return _inlined_entry(ids, weights, inlined, shortest, longest)
        # Several blocks: each added to the term's info by Whoosh's add_block.
        self.start_postings(format_, W3TermInfo())
        value_start = 0
        for start in range(0, count, limit):
            stop = start + limit
            self._ids, self._weights = ids[start:stop], weights[start:stop]
            self._maxweight = max(0, max(self._weights))
            self._minlength, self._maxlength = _length_range(length_codes, self._ids)
            lengths = value_lengths[start:stop]
            value_end = value_start + sum(lengths)
            block_values = values[value_start:value_end]
            data = _encoded(format_, self._ids, self._weights, lengths, block_values)
            value_start = value_end
            self._write_encoded_block(data, last=stop >= count)
        terminfo = self._terminfo
        terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo.to_bytes()  # type: ignore[no-any-return]

    def _write_block(self, last: bool = False) -> None:
        # Whoosh's _write_block, with the block's info as a struct and its
        # data from encode_block.
        if self._format.fixed_value_size() == 0:
            values: list[bytes] = []
        else:
            values = self._values
            if len(values) != len(self._ids):  # Whoosh keeps only non-empty values
                raise ValueError(f"{type(self._format).__name__} gave an empty value")
        self._write_encoded_block(encode_block(self._ids, self._weights, values), last)
        self._new_block()

    def _write_encoded_block(self, data: bytes, last: bool) -> None:
        """The buffered block, encoded as ``data``, to the postings file."""
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        shortest, longest = length_to_byte(self._minlength), length_to_byte(self._maxlength)
        block = self._framed(data, len(ids), ids[-1], self._maxweight, shortest, longest, last)
        self._postfile.write(block)
        self._blockcount += 1

    def _compressed(self, data: bytes) -> tuple[int, bytes]:
        """A block's data compressed, and the block info's code for how."""
        return BLOCK_ZSTD, self._compress(data)

    def _framed(
        self,
        data: bytes,
        count: int,
        last_id: int,
        heaviest: float,
        shortest: int,
        longest: int,
        last: bool,
    ) -> bytes:
        """A block's encoded postings, compressed if worth it, after the block's
        info (``shortest`` and ``longest``: its documents' field lengths as
        length codes, 0 for none)."""
        compression = 0
        if self._compression and len(data) >= COMPRESSION_MIN_SIZE:
            compression, data = self._compressed(data)
        length = _BLOCK_INFO.size - _LENGTH_SIZE + len(data)
        info = _BLOCK_INFO.pack(
            -length if last else length,
            count,
            last_id,
            heaviest,
            compression,
            shortest,
            longest,
        )
        return info + data


def _encoded(
    format_: Any,
    ids: Sequence[int],
    weights: Sequence[float],
    value_lengths: Sequence[int],
    values: bytes | bytearray,
) -> bytes:
    """A block given as columns, encoded: the values only if the format stores
    them, and then one for each posting (as Whoosh's _write_block checks)."""
    if format_.fixed_value_size() == 0:
        return encode_columns(ids, weights, None, b"")
    if 0 in value_lengths:
        raise ValueError(f"{type(format_).__name__} gave an empty value")
    return encode_columns(ids, weights, value_lengths, values)


def _inlined_entry(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    shortest: int,
    longest: int,
) -> bytes:
    """A term's entry holding its postings (``W3TermInfo.to_bytes()`` of
    inlined postings: its info, then the ids, weights and values pickled);
    ``shortest`` and ``longest`` are length codes, 0 for none."""
    heaviest = max(0, max(weights))
    info = _TERM_INFO.pack(1, sum(weights), len(ids), shortest, longest, heaviest, ids[0], ids[-1])
    return info + pickle.dumps((tuple(ids), tuple(weights), tuple(values)), 2)


def _code_range(codes: bytes | None, ids: Sequence[int]) -> tuple[int, int]:
    """The shortest and longest field of documents ``ids`` as length codes
    (Whoosh's ``length_to_byte`` of the lengths its writer keeps), 0 for none."""
    if codes is None:
        return 0, 0
    known = bytes(map(codes.__getitem__, ids)).translate(None, b"\0")
    return (min(known), max(known)) if known else (0, 0)


def _length_range(codes: bytes | None, ids: Sequence[int]) -> tuple[int | None, int]:
    """:func:`_code_range` as the lengths Whoosh's writer keeps (no length: ``None`` and 0)."""
    shortest, longest = _code_range(codes, ids)
    return (LENGTH_OF_CODE[shortest] if shortest else None), LENGTH_OF_CODE[longest]


def _split(values: bytes | bytearray, lengths: Sequence[int]) -> list[bytes]:
    """Values given one after the other, by their lengths (empty ones left out,
    as Whoosh's writer keeps them)."""
    ends = itertools.accumulate((length for length in lengths if length), initial=0)
    return [bytes(values[start:end]) for start, end in itertools.pairwise(ends)]


class NewsdexFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer, also taking a term with all its postings at once,
    and adding its terms' entries to the term dictionary by batches."""

    _entries: TermEntries | None = None

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        self._entries = TermEntries(self._tindex, pack_ushort(self._fieldid))

    def finish_field(self) -> None:
        if self._entries is not None:
            self._entries.write()
            self._entries = None
        super().finish_field()

    def add_term(
        self,
        btext: bytes,
        ids: Sequence[int],
        weights: Sequence[float],
        value_lengths: Sequence[int],
        values: bytes | bytearray,
        length_codes: bytes | None,
    ) -> None:
        """A term and its postings as columns (see
        :meth:`NewsdexPostingsWriter.write_columns`), as :meth:`start_term`,
        :meth:`add` for each posting and :meth:`finish_term` would write them."""
        entry = self._postwriter.write_columns(
            self._format, ids, weights, value_lengths, values, length_codes
        )
        assert self._entries is not None, "add_term comes after start_field"
        self._entries.add(btext, entry)

    def add_term_in_one(
        self, btext: bytes, docnum: int, weight: float, value: bytes, length_codes: bytes | None
    ) -> None:
        """:meth:`add_term` of a term in one document (see
        :meth:`NewsdexPostingsWriter.write_one`)."""
        entry = self._postwriter.write_one(self._format, docnum, weight, value, length_codes)
        assert self._entries is not None, "add_term_in_one comes after start_field"
        self._entries.add(btext, entry)


TERM_ENTRIES_HELD = 4096
"""Term entries a field writer holds before it adds them to the term dictionary."""


class TermEntries:
    """A field's terms' entries (their info), added to the term dictionary (a
    Whoosh ``OrderedHashWriter``) a batch at a time: the same bytes and table
    as its ``add`` for each, in one write, each entry's place counted here and
    the low 32 bits of its key's MD5 read from the digest, where Whoosh's made
    five calls through its file wrapper and parsed the digest's hexadecimal
    form. A segment's terms are written after its last document: for a small
    segment (an addition's), adding them one by one was over a quarter of it.

    ``prefix`` comes before each term's bytes in its key (the field's number).
    """

    def __init__(self, table: Any, prefix: bytes = b"") -> None:
        self._table = table
        self._prefix = prefix
        self._keys: list[bytes] = []
        self._values: list[bytes] = []

    def add(self, term: bytes, value: bytes) -> None:
        self._keys.append(self._prefix + term)
        self._values.append(value)
        if len(self._keys) >= TERM_ENTRIES_HELD:
            self.write()

    def write(self) -> None:
        """Add the entries held to the table."""
        keys, values = self._keys, self._values
        if not keys:
            return
        self._keys, self._values = [], []
        table = self._table
        if table.hashfn is not md5_hash:
            for key, value in zip(keys, values, strict=True):
                table.add(key, value)
            return
        if keys[0] <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{keys[0]!r}")
        file = table.dbfile.raw_file()
        position = file.tell()
        places, buckets, pack = table.index.append, table.buckets, _LENGTHS.pack
        records = []
        for key, value in zip(keys, values, strict=True):
            record = pack(len(key), len(value)) + key + value
            records.append(record)
            places(position)
            keyhash = _md5_low_word(key)
            buckets[keyhash & 255].append((keyhash, position))
            position += len(record)
        file.write(b"".join(records))
        table.lastkey = keys[-1]


def _md5_low_word(key: bytes) -> int:
    """Whoosh's ``md5_hash``: the low 32 bits of the key's MD5 (its digest's last 4 bytes)."""
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[12:], "big")


class PostingBlocks:
    """A posting list read by whole blocks of :class:`NewsdexPostingsWriter`:
    every posting, or the weights (and positions) of some documents, decoding
    only the blocks that can hold them. Ranking reads lists this way; it
    never steps through one as Whoosh's matchers do.

    Needs ``_postfile`` (with positioned reads: ``get``), ``_startoffset``,
    ``_length`` and ``format``, as Whoosh's matcher has them."""

    _postfile: Any
    _startoffset: int
    _length: int | tuple[int]
    format: Any
    _blocks_read: list[tuple[int, int, Callable[[], bytes | memoryview]]] | None = None
    """The list's blocks, once read (:meth:`_block_list`)."""

    def _blocks(self) -> Iterator[tuple[int, int, Callable[[], bytes | memoryview]]]:
        """Each block of the list, from the first: its postings, last id and
        how to read its data (decompressed when read).

        The list is read in one go, its magic number with it: walking a
        frequent word's blocks header by header, a read each, was a large
        part of AND queries of a frequent and a rare word."""
        whole = memoryview(self._postfile.get(self._startoffset, self._end - self._startoffset))
        magic = len(WHOOSH3_HEADER_MAGIC)
        if whole[:magic] != WHOOSH3_HEADER_MAGIC:
            # Whoosh's matcher checks it first thing, and names the file.
            W3LeafMatcher(self._postfile, self._startoffset, self._length, self.format)
            raise CorruptIndexError(f"bad postings block tag at offset {self._startoffset}")
        return _blocks_of(whole[magic:])

    @property
    def _end(self) -> int:
        # Whoosh's term info unpacks the list's length as a 1-tuple.
        length = self._length[0] if isinstance(self._length, tuple) else self._length
        return int(self._startoffset + length)

    def all_postings(self) -> tuple[list[int], list[float]]:
        """Every id of the list and its weight."""
        ids: list[int] = []
        weights: list[float] = []
        for count, _, read in self._block_list():
            block_ids, block_weights, _ = decode_ids_and_weights(read(), count)
            ids.extend(block_ids)
            weights.extend(block_weights)
        return ids, weights

    def all_postings_and_values(self) -> tuple[list[int], list[float], list[bytes]]:
        """Every id of the list, its weight and its value (the encoded positions)."""
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for count, _, read in self._block_list():
            block_ids, block_weights, block_values = decode_block(bytes(read()), count)
            ids.extend(block_ids)
            weights.extend(block_weights)
            values.extend(block_values or (emptybytes,) * count)
        return ids, weights, values

    def weights_at(self, wanted: Sequence[int]) -> dict[int, float]:
        """The weights of those of ``wanted`` (ascending) that are in the list,
        decoding only the blocks that can hold one (a block's header says its
        last id)."""
        found: dict[int, float] = {}
        for count, read, asked in self._blocks_holding(wanted):
            ids, weights, _ = decode_ids_and_weights(read(), count)
            if len(asked) * 8 < count:  # a few: look each one up
                for number in asked:
                    at = bisect.bisect_left(ids, number)
                    if at < count and ids[at] == number:
                        found[number] = weights[at]
            else:
                block = dict(zip(ids, weights, strict=True))
                for number in asked:
                    if number in block:
                        found[number] = block[number]
        return found

    def weights_and_values_at(
        self, wanted: Sequence[int]
    ) -> tuple[dict[int, float], dict[int, bytes]]:
        """:meth:`weights_at` and :meth:`values_at` in one reading of each block:
        a phrase scores its candidates and reads their positions."""
        weights_found: dict[int, float] = {}
        values_found: dict[int, bytes] = {}
        for count, read, asked in self._blocks_holding(wanted):
            data = bytes(read())
            ids, weights, values_start = decode_ids_and_weights(data, count)
            places = []
            for number in asked:
                at = bisect.bisect_left(ids, number)
                if at < count and ids[at] == number:
                    places.append(at)
                    weights_found[number] = weights[at]
            values = _values_of(data, count, values_start, places)
            values_found.update(zip((ids[at] for at in places), values, strict=True))
        return weights_found, values_found

    def values_at(self, wanted: Sequence[int]) -> dict[int, bytes]:
        """The values (encoded positions) of those of ``wanted`` (ascending) that
        are in the list, decoding only the blocks that can hold one: a phrase
        reads the positions of its candidates, not of the whole list."""
        return self.weights_and_values_at(wanted)[1]

    def _blocks_holding(
        self, wanted: Sequence[int]
    ) -> Iterator[tuple[int, Callable[[], bytes | memoryview], Sequence[int]]]:
        """Each block whose id range holds some of ``wanted`` (ascending): its
        postings, how to read its data, and those of ``wanted`` in its range."""
        start = 0
        for count, last_id, read in self._block_list():
            if start == len(wanted):
                return
            end = bisect.bisect_right(wanted, last_id, start)
            if end > start:
                yield count, read, wanted[start:end]
                start = end

    def _block_list(self) -> list[tuple[int, int, Callable[[], bytes | memoryview]]]:
        """The list's blocks (:meth:`_blocks`), read once for this matcher: a
        phrase asks a list for its weights, then for its candidates' positions.
        Decoded blocks are not kept: that slowed frequent words' queries (see
        "Tried and not kept" in docs/performance.md)."""
        if self._blocks_read is None:
            self._blocks_read = list(self._blocks())
        return self._blocks_read


class BlockReader(PostingBlocks):
    """:class:`PostingBlocks` of one term, made without reading anything: Whoosh's
    matcher reads the list's header and first block when it is made, most of
    setting up a rare word's list, which ranking then reads whole anyway."""

    def __init__(self, postfile: Any, terminfo: Any, format_: Any) -> None:
        self._postfile = postfile
        self._startoffset, self._length = terminfo.extent()
        self.format = format_


class NewsdexLeafMatcher(PostingBlocks, W3LeafMatcher):  # type: ignore[misc]
    """Whoosh's posting list reader for blocks written by :class:`NewsdexPostingsWriter`,
    skipping within a block by bisection.

    An AND query leapfrogs its words' posting lists with ``skip_to``; Whoosh
    then steps through the target block one posting (three method calls) at
    a time, which was most of the time of a frequent-word query.
    """

    # The current block, read when first needed (Whoosh's attributes).
    _data: Any
    _ids: Any
    _weights: Any
    _values: Any
    _i: int

    def _read_header(self) -> None:
        # Whoosh's check of the list's magic number, as one positioned read
        # where Whoosh seeks and reads through three layers of file objects.
        magic = self._postfile.get(self._startoffset, len(WHOOSH3_HEADER_MAGIC))
        if magic != WHOOSH3_HEADER_MAGIC:
            super()._read_header()  # raises Whoosh's error, naming the file
        self._baseoffset = self._startoffset + len(WHOOSH3_HEADER_MAGIC)

    def _goto(self, position: int) -> None:
        # Whoosh's _goto, reading the block's header with one struct where
        # Whoosh unpickles it from many small reads: a frequent word's posting
        # list is walked block by block when an AND query skips through it.
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        (
            length,
            self._blocklength,
            self._maxid,
            self._maxweight,
            self._compression,
            shortest,
            longest,
        ) = _BLOCK_INFO.unpack(self._postfile.get(position, _BLOCK_INFO.size))
        if length < 0:  # the last block
            self._lastblock = True
            length = -length
        self._nextoffset = position + _LENGTH_SIZE + length
        self._dataoffset = position + _BLOCK_INFO.size
        self._minlength = byte_to_length(shortest)
        self._maxlength = byte_to_length(longest)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        data = _block_data(data, self._compression)
        self._data = (data, *decode_ids_and_weights(data, self._blocklength))

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data[1]

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data[2]

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        data, _, _, values_at = self._data
        values = decode_values(data, self._blocklength, values_at)
        self._values = (emptybytes,) * self._blocklength if values is None else values

    def skip_to(self, targetid: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        if targetid > self.block_max_id():
            self._skip_to_block(lambda: targetid > self.block_max_id())
            if not self.is_active():
                return
        if self._ids is None:
            self._read_ids()
        # The block's last id is at least the target, so the target's place
        # is inside the block.
        self._i = bisect.bisect_left(self._ids, targetid, self._i)


def _blocks_of(
    postings: bytes | memoryview,
) -> Iterator[tuple[int, int, Callable[[], bytes | memoryview]]]:
    """The blocks of a posting list read whole (after its magic header)."""
    whole = memoryview(postings)
    position = 0
    while True:
        length, count, last_id, _, compression, _, _ = _BLOCK_INFO.unpack_from(whole, position)
        end = position + _LENGTH_SIZE + abs(length)
        data = whole[position + _BLOCK_INFO.size : end]
        yield count, last_id, functools.partial(_block_data, data, compression)
        if length < 0:  # the last block
            return
        position = end


def _block_data(data: bytes | memoryview, compression: int) -> bytes | memoryview:
    """A block's data as written: decompressed with zstd or zlib, or as it is."""
    if compression == BLOCK_ZSTD:
        return zstd_decompress(data)
    return zlib.decompress(data) if compression else data


def read_posting_list(postfile: Any, terminfo: Any) -> tuple[list[int], list[float], list[bytes]]:
    """Every posting of a term, from its term info and the segment's postings
    file: ids, weights and values (empty for formats that store none)."""
    if terminfo.is_inlined():
        inlined_ids, inlined_weights, inlined_values = terminfo.inlined_postings()
        return (
            list(inlined_ids),
            list(inlined_weights),
            [value for value in inlined_values if value],
        )
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh's term info unpacks it as a 1-tuple
        (length,) = length
    magic = len(WHOOSH3_HEADER_MAGIC)
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    for count, _, read in _blocks_of(postfile.get(offset + magic, length - magic)):
        block_ids, block_weights, block_values = decode_block(bytes(read()), count)
        ids.extend(block_ids)
        weights.extend(block_weights)
        if block_values is not None:
            values.extend(block_values)
    return ids, weights, values


TERMS_CACHED = 4096
"""Term dictionary entries a segment reader keeps, most recently used first."""
_SLOT = struct.Struct("!Iq")
"""A slot of Whoosh's on-disk hash table: the key's hash, where its entry is."""
_LENGTHS = struct.Struct("!ii")
"""Before an entry of the hash table: the key's length and the value's."""
_SLOTS_READ = 8
"""Slots of the hash table read at once: a lookup probes two or three on
average (the table is half full), each a read of its own before."""
_ENTRY_READ = 64
"""Bytes of a term's entry read with its key: most entries fit (a term in
one document has its posting there too), the rest take a second read."""


def _positioned_reads(dbfile: Any) -> Callable[[int, int], bytes | memoryview]:
    """``get(position, length)`` of a Whoosh file (on its own, or part of a
    segment's compound file) as one ``os.pread``; Whoosh's own ``get`` for a
    file in memory (``mmap=True``) or of another kind. Whoosh's ``get`` is a
    seek and a read through three layers of file objects.

    Not a memory map, though slicing one is faster still: the pages a process
    touches count in its memory, and with the page cache dropped a mapped
    file is read around each touch, not just the bytes asked for (see "Tried
    and not kept" in docs/performance.md)."""
    source = getattr(dbfile, "file", None)
    if isinstance(source, SubFile):
        whole, base = source._file, source._offset
    else:
        whole, base = source, 0
    try:
        descriptor = whole.fileno()
    except (AttributeError, OSError, ValueError):
        return dbfile.get  # type: ignore[no-any-return]
    pread = os.pread
    return lambda position, length: pread(descriptor, length, base + position)


class _PositionedReads:
    """A Whoosh file whose ``get(position, length)`` is a positioned read
    (:func:`_positioned_reads`); everything else is the file's own. The
    postings file: a query reads each of its words' lists, block by block."""

    def __init__(self, dbfile: Any) -> None:
        self._file = dbfile
        self.get = _positioned_reads(dbfile)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class _VarBytesValues(VarBytesColumn.Reader):  # type: ignore[misc]
    """Whoosh's reader of a column of byte strings (stored fields, page names,
    ids), each value one positioned read, where Whoosh's reader takes four
    layers of objects, a seek and a read."""

    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
        super().__init__(dbfile, basepos, length, doccount)
        self._get = _positioned_reads(dbfile)

    def _read_offsets_and_lengths(self) -> None:
        # Whoosh's layout, read as Whoosh reads it; but a column written
        # without offsets (by Whoosh's writer, in a segment of fewer than
        # 32,768 documents; NewsdexPerDocWriter always writes them) has them
        # summed in C, where Whoosh's loop took milliseconds a column.
        dbfile, doccount = self._dbfile, self._doccount
        last = self._basepos + self._length - 1
        lengths_code = chr(dbfile.get_byte(last))
        offsets = None
        if lengths_code == "X":  # the offsets were written
            lengths_code = chr(dbfile.get_byte(last - 2))
            offsets_code = chr(dbfile.get_byte(last - 1))
            last = last - 2 - doccount * struct.calcsize(offsets_code)
            offsets = dbfile.get_array(last, offsets_code, doccount)
        lengths = dbfile.get_array(
            last - doccount * struct.calcsize(lengths_code), lengths_code, doccount
        )
        self._lengths = lengths
        self._offsets = (
            array("L", itertools.accumulate(lengths, initial=0)) if offsets is None else offsets
        )

    def __getitem__(self, docnum: int) -> bytes:
        length = self._lengths[docnum]
        if not length:
            return b""
        return bytes(self._get(self._basepos + self._offsets[docnum], length))


class NewsdexTermsReader(W3TermsReader):  # type: ignore[misc]
    """Whoosh's term dictionary reader, remembering the entries it looked up,
    and looking them up in fewer, cheaper reads.

    Running one query word looks its entry up three or four times in each
    segment (is it there, its statistics, its postings), and a hit looks up
    its record in each segment's ``records``: keeping the entries, parsed,
    saves all but the first. The first walks Whoosh's on-disk hash table (the same
    table, read the same way as ``HashReader.ranges_for_key``), each read a
    positioned read of the file: Whoosh's make four reads a lookup, each a
    seek and a read through three layers of file objects, about four times
    the cost.
    """

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        super().__init__(codec, dbfile, length, _PositionedReads(postfile))
        self._info = functools.lru_cache(maxsize=TERMS_CACHED)(self._read_info)
        self.info_of: Callable[[bytes], Any] = self._info
        """A term's info by its key (Whoosh's ``_keycoder``: the field's
        number, then the term's bytes), or ``None``: a lookup without the
        layers of Whoosh's reader, for the lookups a hit makes."""
        self._get = _positioned_reads(dbfile)

    def _read_info(self, key: bytes) -> Any:
        """The term's info, or ``None``; kept parsed: a term in one document
        has its posting pickled in its entry, unpickled on each parse."""
        entry = self._read_entry(key)
        return None if entry is None else W3TermInfo.from_bytes(entry)

    def _read_entry(self, key: bytes) -> bytes | None:
        table = self._tindex
        keyhash = table.hashfn(key)
        start, slots = table.tables[keyhash & 255]
        if not slots:
            return None
        end = start + slots * _SLOT.size
        slot = start + ((keyhash >> 8) % slots) * _SLOT.size
        window: bytes | memoryview = b""
        at = 0
        for _ in range(slots):
            if at == len(window):  # the next slots, up to the table's end, in one read
                window, at = self._get(slot, min(_SLOTS_READ * _SLOT.size, end - slot)), 0
            found_hash, position = _SLOT.unpack_from(window, at)
            if not position:
                return None
            if found_hash == keyhash:
                head = self._get(position, _LENGTHS.size + len(key) + _ENTRY_READ)
                key_length, length = _LENGTHS.unpack_from(head)
                data_start = _LENGTHS.size + key_length
                if key_length == len(key) and head[_LENGTHS.size : data_start] == key:
                    entry = head[data_start : data_start + length]
                    if len(entry) < length:
                        entry = self._get(position + data_start, length)
                    return bytes(entry)
            slot += _SLOT.size
            at += _SLOT.size
            if slot == end:
                slot, window, at = start, b"", 0
        return None

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._info(self._keycoder(*term)) is not None

    def posting_list(self, info: Any, format_: Any, term: tuple[str, bytes]) -> Any:
        """A term's postings from its info, to be read by blocks: a
        :class:`BlockReader`, or Whoosh's matcher of a list kept in the
        term's entry (one document)."""
        if info.is_inlined():
            return self._codec.postings_reader(self._postfile, info, format_, term=term)
        return BlockReader(self._postfile, info, format_)

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        try:
            return self._known(fieldname, tbytes)
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return float(self._known(fieldname, tbytes).weight())

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return int(self._known(fieldname, tbytes).doc_frequency())

    def _known(self, fieldname: str, tbytes: bytes) -> Any:
        """The term's info; KeyError if absent, as Whoosh's readers expect here."""
        info = self._info(self._keycoder(fieldname, tbytes))
        if info is None:
            raise KeyError((fieldname, tbytes))
        return info


LENGTH_OF_CODE = [0, *(byte_to_length(code) for code in range(1, 256))]
"""A field's length from Whoosh's one-byte code of it (0: the field is empty)."""
_LENGTH_OF_CODE: list[int | None] = [None, *LENGTH_OF_CODE[1:]]
"""A field's length from its one-byte code, as Whoosh reads it (0: no length)."""


STORED_LEVEL = 3
"""zstd's compression level for stored fields (its default): they come out
the size zlib's level 3, Whoosh's, made them (docs/performance.md)."""
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""How a zstd frame begins; a zlib stream's first byte is never 0x28."""
_THIS_THREAD = threading.local()


def decompress_stored(data: bytes) -> bytes:
    """A document's stored fields (a pickle) from their compressed bytes: zstd
    since index format 10, zlib (Whoosh's) before. A hit reads its record's
    fields, and zlib took three times zstd's time to give an article back."""
    return zstd_decompress(data) if data[:4] == _ZSTD_MAGIC else zlib.decompress(data)


def zstd_decompress(data: bytes | memoryview) -> bytes:
    """A zstd frame's data, by this thread's decompressor, made once:
    python-zstandard's are not to be used by two threads at once, and making
    one took most of a small frame's time."""
    decompress = getattr(_THIS_THREAD, "decompress", None)
    if decompress is None:
        decompress = _THIS_THREAD.decompress = zstandard.ZstdDecompressor().decompress
    return decompress(data)


class StoredBytes(VarBytesColumn):  # type: ignore[misc]
    """Whoosh's column of compressed byte strings for stored fields
    (``CompressedBytesColumn``), compressed with zstd instead of zlib: as
    small, and read in a third of the time (see :func:`decompress_stored`)."""

    class Writer(VarBytesColumn.Writer):  # type: ignore[misc]
        def __init__(self, dbfile: Any, *options: Any) -> None:
            super().__init__(dbfile, *options)
            self._compress = zstandard.ZstdCompressor(level=STORED_LEVEL).compress

        def add(self, docnum: int, value: bytes) -> None:
            super().add(docnum, self._compress(value))

    class Reader(VarBytesColumn.Reader):  # type: ignore[misc]
        def __getitem__(self, docnum: int) -> bytes:
            value: bytes = super().__getitem__(docnum)
            return decompress_stored(value) if value else value

        def __iter__(self) -> Iterator[bytes]:
            for value in super().__iter__():
                yield decompress_stored(value) if value else value


STORED_COLUMN = PickleColumn(StoredBytes())
"""The column of every document's stored fields: Whoosh's, compressed with zstd."""


class NewsdexPerDocWriter(W3PerDocWriter):  # type: ignore[misc]
    """Whoosh's writer of stored fields and columns, with the stored fields
    compressed with zstd (:data:`STORED_COLUMN`), and each byte-string
    column's offsets (stored fields, ids, page names) written as Whoosh does
    past 32,768 documents: below that a reader sums the lengths when it opens
    the column, which every whole ``newsdex search`` paid for each column it
    read. Whoosh's own reader reads both layouts."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        if fieldname == "_stored":
            column = STORED_COLUMN
        super()._create_column(fieldname, column)
        writer = self._colwriters[fieldname]
        writer = getattr(writer, "_child", writer)  # under a pickling wrapper
        if isinstance(writer, VarBytesColumn.Writer):
            writer.cutoff = 0


class NewsdexPerDocReader(W3PerDocReader):  # type: ignore[misc]
    """Whoosh's reader of per-document values, with each field's lengths read once.

    Whoosh reads a document's field length from disk each time it is asked:
    once per posting when a segment is written, once per match when a query
    is scored. A field's lengths are one byte a document, so they are read
    whole the first time.
    """

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._length_codes: dict[str, bytes | None] = {}
        self._stored: Callable[[int], dict[str, Any]] | None = None

    def column_reader(self, fieldname: str, column: Any) -> Any:
        if type(column) is not VarBytesColumn:
            return super().column_reader(fieldname, column)
        return _VarBytesValues(*self._column_file(fieldname), self._doccount)

    def _column_file(self, fieldname: str) -> tuple[Any, int, int]:
        """The column's file, where its data starts and its length (Whoosh's)."""
        if fieldname not in self._colfiles:
            self._colfiles[fieldname] = self._get_column_file(fieldname)
        return self._colfiles[fieldname]  # type: ignore[no-any-return]

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, as Whoosh stores them (a pickled dict,
        compressed, in a column), read with one positioned read: Whoosh's
        column readers take five layers of objects to the same bytes."""
        if self._stored is None:
            self._stored = self._stored_reader()
        return self._stored(docnum)

    def _stored_reader(self) -> Callable[[int], dict[str, Any]]:
        if not self.has_column("_stored"):
            return lambda docnum: {}
        # A pickle, compressed (STORED_COLUMN; zlib before format 10), in a byte column.
        column = _VarBytesValues(*self._column_file("_stored"), self._doccount)

        def stored(docnum: int) -> dict[str, Any]:
            compressed = column[docnum]
            if not compressed:
                return {}
            fields: dict[str, Any] = pickle.loads(decompress_stored(compressed))
            return fields or {}

        return stored

    def length_codes(self, fieldname: str) -> bytes | None:
        """The field's length code (Whoosh's one byte) of every document, or
        ``None`` when no document has the field."""
        if fieldname not in self._length_codes:
            column = self._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
            codes = None
            if column is not None:
                stored = column._dbfile.get(column._basepos, column._count)
                codes = bytes(stored).ljust(self._doccount, b"\0")
            self._length_codes[fieldname] = codes
        return self._length_codes[fieldname]

    def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Any:
        codes = self.length_codes(fieldname)
        if codes is None:
            return lambda docnum: default
        return lambda docnum: _LENGTH_OF_CODE[codes[docnum]]


class NewsdexCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec with newsdex's posting blocks, inlining the postings of
    terms found in one document, the term entries looked up kept, and field
    lengths read whole.

    The codec is saved with each segment, so indexes written with it are read
    with it too.
    """

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_POSTINGS_BELOW)

    def field_writer(self, storage: Any, segment: Any) -> NewsdexFieldWriter:
        return NewsdexFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors: newsdex stores none
            return super().postings_writer(dbfile, byteids=byteids)
        return NewsdexPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def terms_reader(self, storage: Any, segment: Any) -> NewsdexTermsReader:
        name = segment.make_filename(self.TERMS_EXT)
        postings = segment.open_file(storage, self.POSTS_EXT)
        return NewsdexTermsReader(
            self, storage.open_file(name), storage.file_length(name), postings
        )

    def per_document_writer(self, storage: Any, segment: Any) -> NewsdexPerDocWriter:
        return NewsdexPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> NewsdexPerDocReader:
        return NewsdexPerDocReader(storage, segment)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return NewsdexLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
