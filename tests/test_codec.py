"""The index's layout on disk: posting blocks and positions give back what was written."""

from __future__ import annotations

import io
import itertools
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard
from helpers import index_numbered_pages, write_page
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import W3PerDocReader, W3TermInfo
from whoosh.columns import VarBytesColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Existence

import indexer
import search
from indexer.codec import (
    BLOCK_LEVEL,
    BLOCK_ZSTD,
    LENGTH_OF_CODE,
    STORED_COLUMN,
    STORED_LEVEL,
    CompactPositions,
    NewsdexCodec,
    _block_data,
    _VarBytesValues,
    decode_block,
    decompress_stored,
    encode_block,
)
from indexer.storage import (
    PAGE_KIND,
    document_number,
    page_documents,
    pages_of,
    record_pages,
    stored_fields,
)

# Document numbers, any gaps (deltas of 1 byte to 4 bytes), as Whoosh passes them.
BLOCK_IDS = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=128, unique=True).map(sorted)


@given(st.lists(st.integers(min_value=0, max_value=2**40), unique=True).map(sorted))
def test_compact_positions_give_back_the_positions_they_encode(positions: list[int]) -> None:
    encoded = CompactPositions().encode(positions)
    assert CompactPositions().decode_positions(encoded) == positions
    assert CompactPositions().decode_frequency(encoded) == len(positions)


@pytest.mark.parametrize("position", [0, 127, 128, 300, 16_383, 16_384, 2**21])
def test_one_position_is_encoded_as_one_varint(position: int) -> None:
    # Most words are once in a document, and encoded without a loop.
    encoded = CompactPositions().encode([position])
    assert CompactPositions().decode_positions(encoded) == [position]
    assert len(encoded) == max(1, -(-position.bit_length() // 7))


# Positions of one, two and three bytes (a word once in a document is often
# one position, compared without decoding a list).
POSITIONS = st.lists(
    st.integers(0, 300) | st.integers(16_370, 16_400), min_size=1, max_size=6, unique=True
).map(sorted)


@given(POSITIONS, st.data())
def test_words_are_next_to_each_other_as_their_positions_say(
    before: list[int], data: st.DataObject
) -> None:
    # Checked on the encoded positions, as a phrase of two words checks its
    # candidates; the second word's positions are often near the first's.
    near = st.sampled_from(
        [place + step for place in before for step in (-1, 1, 2) if place + step >= 0]
    )
    after = data.draw(
        st.lists(near | st.integers(0, 300), min_size=1, max_size=6, unique=True).map(sorted)
    )
    positions = CompactPositions()
    in_a_row = any(position + 1 in after for position in before)
    assert positions.next_to(positions.encode(before), positions.encode(after)) == in_a_row


@given(BLOCK_IDS, st.data())
def test_block_gives_back_ids_whole_weights_and_values(ids: list[int], data: st.DataObject) -> None:
    weights = data.draw(st.lists(st.integers(1, 70_000), min_size=len(ids), max_size=len(ids)))
    values = data.draw(
        st.lists(st.binary(min_size=1, max_size=300), min_size=len(ids), max_size=len(ids))
    )
    encoded = encode_block(array("I", ids), array("f", weights), values)
    decoded_ids, decoded_weights, decoded_values = decode_block(encoded, len(ids))
    assert (decoded_ids, list(decoded_weights), decoded_values) == (ids, weights, values)


@given(BLOCK_IDS, st.data())
def test_block_gives_back_fractional_weights(ids: list[int], data: st.DataObject) -> None:
    weights = array(
        "f", data.draw(st.lists(st.floats(0.1, 100), min_size=len(ids), max_size=len(ids)))
    )
    _, decoded, _ = decode_block(encode_block(array("I", ids), weights, []), len(ids))
    assert list(decoded) == list(weights)


def test_block_without_values_or_weights_stores_only_ids() -> None:
    ids = list(range(0, 1280, 10))
    encoded = encode_block(array("I", ids), array("f", [1.0] * len(ids)), [])
    assert decode_block(encoded, len(ids)) == (ids, [1] * len(ids), None)
    assert len(encoded) < 2 * len(ids)  # a byte a delta, and a small header


@st.composite
def term_postings(draw: st.DrawFn) -> tuple[list[int], array[float], list[bytes], bytes]:
    """A term's postings as a writer gets them: ascending documents (inlined,
    one block, or several of 128), weights as the pool keeps them (float32,
    whole or not), a value each, and the field length codes of the documents
    (1 to 255: a document holding the term has a length). Long lists repeat a
    few drawn gaps, weights and values."""

    def repeated(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
        some = draw(st.lists(strategy, min_size=1, max_size=12))
        return [some[at % len(some)] for at in range(count)]

    count = draw(st.sampled_from([1, 2, 5, 127, 128, 129, 256, 300]))
    ids = list(itertools.accumulate(repeated(st.integers(1, 400), count)))
    whole = st.integers(1, 9).map(float)
    weight = st.one_of(whole, st.floats(0.01, 50)) if draw(st.booleans()) else whole
    weights = array("f", repeated(weight, count))
    values = repeated(st.binary(min_size=1, max_size=6), count)
    some_codes = draw(st.lists(st.integers(1, 255), min_size=1, max_size=12))
    codes = bytes(some_codes[number % len(some_codes)] for number in range(ids[-1] + 1))
    return ids, weights, values, codes


def written(write: Callable[[Any], Any]) -> tuple[bytes, bytes]:
    """The postings file and the term info that ``write`` leaves with a fresh postings writer."""
    postings = io.BytesIO()
    written = write(NewsdexCodec().postings_writer(StructFile(postings)))
    entry = written if isinstance(written, bytes) else written.to_bytes()  # a term's info
    return postings.getvalue(), entry


@settings(max_examples=150, deadline=None)
@given(term_postings(), st.sampled_from([CompactPositions(), Existence()]), st.booleans())
def test_a_term_written_whole_is_what_writing_it_a_posting_at_a_time_writes(
    postings: tuple[list[int], array[float], list[bytes], bytes],
    format_: Any,
    with_lengths: bool,
) -> None:
    ids, weights, values, codes = postings
    if format_.fixed_value_size() == 0:
        values = [b""] * len(ids)

    def one_at_a_time(writer: Any) -> Any:
        writer.start_postings(format_, W3TermInfo())
        for number, weight, value in zip(ids, weights, values, strict=True):
            length = LENGTH_OF_CODE[codes[number]] if with_lengths else None
            writer.add_posting(number, weight, value, length)
        return writer.finish_postings()

    def whole(writer: Any) -> Any:
        lengths = array("I", [len(value) for value in values])
        field_codes = codes if with_lengths else None
        columns = (array("I", ids), weights, lengths, b"".join(values), field_codes)
        return writer.write_columns(format_, *columns)

    assert written(whole) == written(one_at_a_time)


def test_words_in_many_blocks_are_found_in_every_document(tmp_path: Path) -> None:
    # 300 documents: a word in all of them spans three blocks of postings, and
    # the positions of a phrase must be read back from each block.
    index_numbered_pages(
        tmp_path / "pages", 300, lambda n: f"Caption {n}\n\nThe prime minister {n}.\n"
    )
    with search.open_index() as index:
        assert index.search("minister", limit=1).total == 300
        assert index.search('"prime minister"', limit=1).total == 300
        assert index.search('"minister prime"', limit=1).total == 0


def index_minister_pages(folder: Path, again: str) -> None:
    """300 pages, each with "minister" (three blocks of postings), and ``again``
    after it in every third one."""
    index_numbered_pages(
        folder, 300, lambda n: f"Caption {n}\n\nThe minister{again if n % 3 == 0 else ''} {n}.\n"
    )


def test_a_posting_list_read_whole_or_at_some_ids_gives_what_stepping_through_gives(
    tmp_path: Path,
) -> None:
    # A word in 300 documents (three blocks), twice in every third one.
    index_minister_pages(tmp_path / "pages", again=" minister")
    with search.open_index() as index:
        reader = index._searcher.reader()
        stepping = reader.postings("body", "minist")
        expected = {}
        while stepping.is_active():
            expected[stepping.id()] = stepping.weight()
            stepping.next()
        assert len(expected) == 300
        assert sorted(set(expected.values())) == [1, 2]
        ids, weights = reader.postings("body", "minist").all_postings()
        assert dict(zip(ids, weights, strict=True)) == expected
        assert ids == sorted(expected)
        wanted = [number for number in range(max(expected) + 2) if number % 7 == 0]
        found = reader.postings("body", "minist").weights_at(wanted)
        assert found == {number: expected[number] for number in wanted if number in expected}


def test_a_posting_list_asked_for_weights_then_positions_gives_what_fresh_lists_give(
    tmp_path: Path,
) -> None:
    # A phrase asks one list for the weights of its candidates, then for the
    # positions of those left: the second answer comes from the list read once.
    index_minister_pages(tmp_path / "pages", again=" and the minister")
    with search.open_index() as index:
        reader = index._searcher.reader()
        wanted = [number for number in range(400) if number % 5 == 0]
        fresh_weights = reader.postings("body", "minist").weights_at(wanted)
        fresh_values = reader.postings("body", "minist").values_at(wanted)
        assert reader.postings("body", "minist").weights_and_values_at(wanted) == (
            fresh_weights,
            fresh_values,
        )
        asked_twice = reader.postings("body", "minist")
        assert asked_twice.weights_at(wanted) == fresh_weights
        assert asked_twice.values_at(wanted) == fresh_values
        assert asked_twice.all_postings() == reader.postings("body", "minist").all_postings()
        positions = asked_twice.format.decode_positions
        assert {len(positions(value)) for value in fresh_values.values()} == {1, 2}
        assert len(fresh_values) == len(fresh_weights) > 0


def test_the_term_dictionary_gives_every_entry_whoosh_reads_and_none_it_lacks(
    tmp_path: Path,
) -> None:
    # newsdex walks Whoosh's on-disk hash table itself, with positioned reads:
    # each term's entry must be the bytes Whoosh's own reader gives, with the
    # segment's file read or mapped.
    index_numbered_pages(
        tmp_path / "pages", 120, lambda n: f"Caption {n}\n\nWord{n} and more {n}.\n"
    )
    for mmap in (False, True):
        with search.open_index(mmap=mmap) as index:
            for leaf, _ in index._searcher.reader().leaf_readers():
                terms = leaf._terms
                keys = [terms._keycoder(field, text) for field, text in terms.terms()]
                assert len(keys) > 500
                absent = [key + b"-absent" for key in keys[:50]]
                for key in keys + absent:
                    whoosh_entry = terms._tindex.get(key)
                    expected = None if whoosh_entry is None else bytes(whoosh_entry)
                    assert terms._read_entry(key) == expected


def test_stored_fields_are_what_whoosh_reads(tmp_path: Path) -> None:
    # newsdex reads a document's stored fields with one positioned read, where
    # Whoosh goes through its column readers: the same dict for every document.
    index_numbered_pages(tmp_path / "pages", 60, lambda n: f"Caption {n}\n\nBody {n}.\n")
    for mmap in (False, True):
        with search.open_index(mmap=mmap) as index:
            for leaf, _ in index._searcher.reader().leaf_readers():
                perdoc = leaf._perdoc
                whoosh_column = perdoc._cached_reader("_stored", STORED_COLUMN)
                for number in range(leaf.doc_count_all()):
                    expected = whoosh_column[number]
                    assert expected
                    assert perdoc.stored_fields(number) == expected


def test_stored_fields_are_compressed_with_zstd(tmp_path: Path) -> None:
    index_numbered_pages(tmp_path / "pages", 5, lambda n: f"Caption {n}\n\nBody {n}.\n")
    with search.open_index() as index:
        for leaf, _ in index._searcher.reader().leaf_readers():
            raw = leaf._perdoc._cached_reader("_stored", VarBytesColumn())
            values = [raw[number] for number in range(leaf.doc_count_all())]
            assert values and all(value.startswith(b"\x28\xb5\x2f\xfd") for value in values)


@given(st.binary(max_size=5000))
def test_stored_bytes_come_back_from_zstd_and_from_zlib(data: bytes) -> None:
    # Format 9's stored fields are zlib's (Whoosh's level 3); format 10's zstd's.
    assert decompress_stored(zstandard.ZstdCompressor(level=STORED_LEVEL).compress(data)) == data
    assert decompress_stored(zlib.compress(data, 3)) == data


@given(st.binary(max_size=2000))
def test_block_data_comes_back_from_zstd_and_from_zlib(data: bytes) -> None:
    # A block's info says how its data was compressed: zstd, a zlib level, or not at all.
    zstd = zstandard.ZstdCompressor(level=BLOCK_LEVEL).compress(data)
    assert bytes(_block_data(zstd, BLOCK_ZSTD)) == data
    assert bytes(_block_data(zlib.compress(data, 3), 3)) == data
    assert bytes(_block_data(data, 0)) == data


def test_posting_blocks_are_compressed_with_zstd(tmp_path: Path) -> None:
    index_numbered_pages(tmp_path / "pages", 300, lambda n: f"Caption {n}\n\nZebras {n}.\n")
    with search.open_index() as index:
        (leaf, _), *_ = index._searcher.reader().leaf_readers()
        matcher = leaf.postings("body", "zebra")
        codes = set()  # each block's, as its postings are walked
        while matcher.is_active():
            codes.add(matcher._compression)
            matcher.next()
        assert codes == {BLOCK_ZSTD}


def test_byte_columns_give_what_whoosh_reads(tmp_path: Path) -> None:
    # A hit names its pages and breaks ties by id from columns, each value one
    # positioned read: the same bytes as Whoosh's column reader, for every
    # document, ids and page names alike (and a page name that is not UTF-8).
    pages = tmp_path / "pages"
    write_page(pages, "caf\udce9.txt", "Caption odd\n\nBody odd.\n")
    index_numbered_pages(pages, 40, lambda n: f"Caption {n}\n\nBody {n}.\n")
    for mmap in (False, True):
        with search.open_index(mmap=mmap) as index:
            for leaf, _ in index._searcher.reader().leaf_readers():
                perdoc = leaf._perdoc
                for field in ("id", "page"):
                    column = leaf.schema[field].column_type
                    ours = perdoc.column_reader(field, column)
                    whoosh = W3PerDocReader.column_reader(perdoc, field, column)
                    values = [ours[number] for number in range(leaf.doc_count_all())]
                    assert values == [whoosh[number] for number in range(leaf.doc_count_all())]
                    assert any(values)


def test_posting_lists_read_with_positioned_reads_match_whooshs_reads(tmp_path: Path) -> None:
    # The postings file is read with positioned reads (os.pread), not through
    # Whoosh's file objects: every list is the bytes Whoosh's file gives.
    index_numbered_pages(
        tmp_path / "pages", 150, lambda n: f"Caption\n\nCommon words here, {n} again.\n"
    )
    with search.open_index() as index:
        for leaf, _ in index._searcher.reader().leaf_readers():
            terms = leaf._terms
            ours, whoosh_file = terms._postfile, terms._postfile._file
            assert ours.get is not whoosh_file.get
            compared = 0
            for field, text in [("body", b"common"), ("body", b"word"), ("title", b"caption")]:
                info = terms.term_info(field, text)
                if info.is_inlined():
                    continue
                offset, length = info.extent()
                length = length[0] if isinstance(length, tuple) else length  # Whoosh's 1-tuple
                assert bytes(ours.get(offset, length)) == bytes(whoosh_file.get(offset, length))
                compared += 1
            assert compared >= 2


def test_a_byte_column_reads_the_same_with_or_without_its_offsets_written(tmp_path: Path) -> None:
    # Whoosh writes a column's offsets only past 32,768 documents, else the
    # reader sums the lengths: both layouts give back every value.
    values = [b"", b"one", b"\xff" * 300, b"", b"last"]
    storage = FileStorage(str(tmp_path))
    for cutoff in (0, 2**15):
        name = f"column-{cutoff}"
        with storage.create_file(name) as output:
            writer = VarBytesColumn(write_offsets_cutoff=cutoff).writer(output)
            for number, value in enumerate(values):
                if value:
                    writer.add(number, value)
            writer.finish(len(values))
        with storage.open_file(name) as stored:
            column = _VarBytesValues(stored, 0, storage.file_length(name), len(values))
            assert [column[number] for number in range(len(values))] == values


def test_segments_write_their_byte_columns_offsets(tmp_path: Path) -> None:
    # Whoosh would leave the offsets out below 32,768 documents, and every
    # opening of a column would sum its lengths: newsdex writes them (the
    # column's last byte is Whoosh's "X" for that) in stored fields, ids and pages.
    index_numbered_pages(tmp_path / "pages", 30, lambda n: f"Caption {n}\n\nBody {n}.\n")
    with search.open_index() as index:
        leaves = index._searcher.reader().leaf_readers()
        assert leaves
        for leaf, _ in leaves:
            for field in ("_stored", "id", "page"):
                dbfile, start, length = leaf._perdoc._column_file(field)
                assert dbfile.get_byte(start + length - 1) == ord("X"), field


def test_page_documents_are_whooshs_live_page_documents(tmp_path: Path) -> None:
    # Read past Whoosh's stored-fields copy: the same documents, in the same
    # order, and none a later run replaced or removed.
    pages = tmp_path / "pages"
    index_numbered_pages(pages, 30, lambda n: f"Caption {n}\n\nThe minister {n}.\n")
    write_page(pages, "004.txt", "Caption 4\n\nThe minister again.\n")
    (pages / "007.txt").unlink()
    indexer.index_paths([pages])
    with search.open_index() as index:
        searcher = index._searcher
        assert any(leaf.has_deletions() for leaf, _ in searcher.reader().leaf_readers())
        ours = list(page_documents(searcher))
        assert ours == list(searcher.documents(kind=PAGE_KIND))
        assert len(ours) == 29


def test_stored_fields_by_number_are_whooshs_in_every_segment(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    index_numbered_pages(pages, 20, lambda n: f"Caption {n}\n\nThe minister {n}.\n")
    write_page(pages, "later.txt", "Caption later\n\nThe minister once more.\n")
    indexer.index_paths([pages])
    with search.open_index() as index:
        searcher = index._searcher
        assert len(searcher.reader().leaf_readers()) == 2
        fields = stored_fields(searcher)
        numbers = range(searcher.reader().doc_count_all())
        assert [fields(n) for n in numbers] == [searcher.stored_fields(n) for n in numbers]


def test_pages_and_documents_are_found_as_whoosh_finds_them(tmp_path: Path) -> None:
    # A hit's pages and a record by id are looked up in each segment's term
    # dictionary past Whoosh's reader: the same documents as Whoosh's own
    # lookup, over two segments, a replaced page, and ids that are not there.
    pages = tmp_path / "pages"
    write_page(pages, "caf\u00e9.txt", "Caption caf\u00e9\n\nBody caf\u00e9.\n")
    index_numbered_pages(pages, 12, lambda n: f"Caption {n}\n\nThe minister {n}.\n")
    write_page(pages, "003.txt", "Caption 3\n\nThe minister again.\n")
    write_page(pages, "later.txt", "Caption 5\n\nThe minister 5.\n")
    indexer.index_paths([pages])
    with search.open_index() as index:
        searcher = index._searcher
        assert len(searcher.reader().leaf_readers()) == 2
        assert any(leaf.has_deletions() for leaf, _ in searcher.reader().leaf_readers())
        reader = searcher.reader()
        every = [reader.stored_fields(n) for n in range(reader.doc_count_all())]  # deleted too
        record_ids = {fields["id"] for fields in every if "title" in fields}
        live = {fields["id"] for fields in searcher.all_stored_fields() if "title" in fields}
        assert len(live) > 12
        assert record_ids - live  # the replaced page's record, on no live page
        for record_id in record_ids:
            expected = sorted(searcher.document_numbers(records=record_id))
            assert expected or record_id not in live
            assert list(pages_of(searcher, record_id)) == expected
            assert list(record_pages(searcher)(record_id)) == expected
            assert document_number(searcher, record_id) == searcher.document_number(id=record_id)
        for absent in ("r-0000", "caf\u00e9", "\udce9"):
            assert list(pages_of(searcher, absent)) == []
            assert list(record_pages(searcher)(absent)) == []
            assert document_number(searcher, absent) is None


class _KeptBytes(io.BytesIO):
    """A file whose bytes can be read once a writer has closed it."""

    def close(self) -> None:
        self.kept = self.getvalue()
        super().close()


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.binary(min_size=1, max_size=12), st.binary(max_size=80), max_size=60),
    st.integers(1, 8),
)
def test_term_entries_are_added_as_whoosh_adds_them(entries: dict[bytes, bytes], held: int) -> None:
    from whoosh.filedb.filetables import OrderedHashWriter, md5_hash

    from indexer import codec
    from indexer.codec import TermEntries, _md5_low_word

    def whooshs(table: Any, keys: list[bytes]) -> None:
        for key in keys:
            table.add(key, entries[key])

    def in_batches(table: Any, keys: list[bytes]) -> None:
        # Two fields' worth, each its own batches of at most ``held``.
        for part in (keys[: len(keys) // 2], keys[len(keys) // 2 :]):
            batch = TermEntries(table)
            for key in part:
                batch.add(key, entries[key])
            batch.write()

    files = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "TERM_ENTRIES_HELD", held)
        for add in (whooshs, in_batches):
            file = _KeptBytes()
            table = OrderedHashWriter(StructFile(file))
            add(table, sorted(entries))
            table.close()
            files.append(file.kept)
    assert files[0] == files[1]
    assert all(_md5_low_word(key) == md5_hash(key) for key in entries)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2000),
    st.one_of(st.integers(1, 9).map(float), st.floats(0.01, 50)),
    st.binary(min_size=1, max_size=6),
    st.sampled_from([CompactPositions(), Existence()]),
    st.one_of(st.none(), st.integers(0, 255)),
)
def test_a_term_in_one_document_is_written_as_its_columns_would_be(
    docnum: int, weight: float, value: bytes, format_: Any, code: int | None
) -> None:
    weight = array("f", [weight])[0]  # as the pool keeps it
    if format_.fixed_value_size() == 0:
        value = b""
    codes = None if code is None else bytes(docnum) + bytes([code])
    columns = (array("I", [docnum]), array("f", [weight]), array("I", [len(value)]), value)
    as_columns = written(lambda writer: writer.write_columns(format_, *columns, codes))
    assert written(lambda writer: writer.write_one(format_, docnum, weight, value, codes)) == (
        as_columns
    )


def test_a_term_in_one_document_is_given_back_by_the_pool_as_one_posting() -> None:
    from indexer.pool import PostingsPool, one_posting

    pool = PostingsPool(None, 1 << 20)
    pool.add(("body", b"once", 7, 2.0, b"\x03\x01"))
    pool.add(("body", b"twice", 7, 1.0, b"\x05"))
    pool.add(("body", b"twice", 9, 1.0, b"\x06"))
    pool.add(("id", b"x", 9, 1.0, None))
    found = {(field, text): one_posting(postings) for field, text, postings in pool.iter_terms()}
    assert found == {
        ("body", b"once"): (7, 2.0, b"\x03\x01"),
        ("body", b"twice"): None,
        ("id", b"x"): (9, 1.0, b""),
    }


def test_a_single_position_is_encoded_as_its_varint_first_time_and_after() -> None:
    from indexer.codec import _append_varint

    format_ = CompactPositions()
    for _ in range(2):  # the two-byte values are kept once made
        for position in range(0x4000 + 300):
            varint = bytearray()
            _append_varint(varint, position)
            assert format_.encode([position]) == bytes(varint)
            assert format_.decode_positions(format_.encode([position])) == [position]
