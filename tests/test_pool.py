"""The postings pool gives back every posting sorted, whether it spilled to disk or not."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import write_pages
from indexer.pool import Posting, PostingsPool, unpack_posting_list

FIELDS = st.sampled_from(["body", "id", "title"])
TERMS = st.binary(min_size=1, max_size=6)
VALUES = st.one_of(st.none(), st.binary(min_size=1, max_size=40))
# One document's postings: each (field, term) once, as a writer gives them.
Document = dict[tuple[str, bytes], tuple[int, bytes | None]]
DOCUMENT = st.dictionaries(
    st.tuples(FIELDS, TERMS), st.tuples(st.integers(1, 1000), VALUES), max_size=12
)


def postings_of(documents: list[Document]) -> list[Posting]:
    """The postings of documents numbered in order, field by field as Whoosh adds them."""
    return [
        (field, term, docnum, float(weight), value)
        for docnum, document in enumerate(documents)
        for (field, term), (weight, value) in sorted(document.items())
    ]


def pooled(
    postings: list[Posting], limit_bytes: int, directory: Path | None
) -> tuple[list[Posting], int]:
    pool = PostingsPool(directory, limit_bytes)
    for posting in postings:
        pool.add(posting)
    spilled = pool.run_count
    return list(pool.iter_postings()), spilled


@settings(max_examples=60, deadline=None)
@given(st.lists(DOCUMENT, max_size=40))
def test_pool_gives_back_postings_sorted_by_field_term_and_document(
    documents: list[Document],
) -> None:
    postings = postings_of(documents)
    given_back, _ = pooled(postings, 1 << 30, None)
    assert given_back == sorted(postings, key=lambda posting: posting[:3])


@settings(max_examples=60, deadline=None)
@given(st.lists(DOCUMENT, min_size=1, max_size=20))  # at most 240 runs open at once
def test_pool_that_spills_to_disk_gives_back_the_same_postings(
    documents: list[Document],
) -> None:
    postings = postings_of(documents)
    in_memory, _ = pooled(postings, 1 << 30, None)
    spilling_now_and_then, _ = pooled(postings, 600, None)
    spilling_every_posting, runs = pooled(postings, 1, None)
    assert spilling_now_and_then == spilling_every_posting == in_memory
    assert runs == len(postings)


def test_pool_spills_once_it_outgrows_its_limit(tmp_path: Path) -> None:
    pool = PostingsPool(tmp_path, 10_000)
    for docnum in range(200):
        pool.add(("body", b"word", docnum, 1.0, b"\x01"))
    assert pool.run_count == 0
    for docnum in range(200, 2000):
        pool.add(("body", b"word%d" % docnum, docnum, 1.0, b"\x01"))
    assert pool.run_count >= 3
    pool.cleanup()


def test_pool_runs_leave_no_file_behind(tmp_path: Path) -> None:
    pool = PostingsPool(tmp_path, 1_000)
    for docnum in range(500):
        pool.add(("body", b"word%d" % docnum, docnum, 2.0, b"\x01\x02"))
    assert pool.run_count > 0
    assert len(list(pool.iter_postings())) == 500
    assert list(tmp_path.iterdir()) == []


def test_pool_keeps_fractional_weights_as_the_index_stores_them(tmp_path: Path) -> None:
    pool = PostingsPool(tmp_path, 1 << 20)
    pool.add(("body", b"word", 0, 0.5, None))
    pool.add(("body", b"word", 1, 3.0, b""))
    assert list(pool.iter_postings()) == [
        ("body", b"word", 0, 0.5, None),
        ("body", b"word", 1, 3.0, None),
    ]


def test_pool_is_empty_once_given_back(tmp_path: Path) -> None:
    pool = PostingsPool(tmp_path, 1_000)
    for docnum in range(300):
        pool.add(("id", b"d%d" % docnum, docnum, 1.0, None))
    assert len(list(pool.iter_postings())) == 300
    assert list(pool.iter_postings()) == []


def test_terms_given_back_packed_unpack_to_the_postings_given_one_by_one(
    tmp_path: Path,
) -> None:
    postings = [
        ("body", b"word%d" % (docnum % 7), docnum, float(docnum % 3 + 1), b"\x01" * (docnum % 4))
        for docnum in range(400)
    ]
    one_by_one, packed = PostingsPool(tmp_path, 2_000), PostingsPool(tmp_path, 2_000)
    for posting in sorted(postings, key=lambda p: p[2]):
        one_by_one.add(posting)
        packed.add(posting)
    expected = [(f, t, d, w, v or b"") for f, t, d, w, v in one_by_one.iter_postings()]
    unpacked = []
    for field, text, term_postings in packed.iter_terms():
        ids, weights, values = unpack_posting_list(term_postings)
        with_values = iter(values)
        for docnum, weight in zip(ids, weights, strict=True):
            value = next(with_values) if docnum % 4 else b""
            unpacked.append((field, text, docnum, weight, value))
    assert unpacked == expected
    assert next(with_values, None) is None


@pytest.mark.usefixtures("bbc_news")
def test_a_segment_written_a_posting_list_at_a_time_is_the_one_whoosh_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk write at commit against Whoosh's own, posting by posting:
    the same term and posting files, byte for byte."""
    from whoosh.writing import SegmentWriter

    import indexer
    from indexer.writers import PooledSegmentWriter

    write_pages(tmp_path / "pages", 200)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "bulk")
    monkeypatch.setattr(PooledSegmentWriter, "_flush_segment", SegmentWriter._flush_segment)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "whoosh")
    assert segment_files(tmp_path / "bulk") == segment_files(tmp_path / "whoosh")


def segment_files(index: Path) -> dict[str, bytes]:
    """The term and posting files of an index's one segment, by extension."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    (segment,) = [name for name in os.listdir(index) if name.endswith(".seg")]
    files = CompoundStorage(FileStorage(str(index)).open_file(segment), use_mmap=False)
    found = {}
    try:
        for name in files.list():
            extension = name.rsplit(".", 1)[-1]
            if extension in ("trm", "pst"):
                found[extension] = files.open_file(name).read()
    finally:
        files.close()
    assert set(found) == {"trm", "pst"}
    return found


WORDS = st.text(alphabet="abcé\u0627-", min_size=1, max_size=4)
# One document's fields, each word with its positions, and whether a field's
# postings come one by one (add) or a field's words at once (add_terms).
FIELD_WORDS = st.dictionaries(
    WORDS, st.lists(st.integers(0, 300), min_size=1, max_size=4, unique=True).map(sorted)
)
TERMS_DOCUMENT = st.lists(st.tuples(FIELDS, st.booleans(), FIELD_WORDS), max_size=4)


@settings(max_examples=80, deadline=None)
@given(st.lists(TERMS_DOCUMENT, max_size=25), st.sampled_from([1, 700, 1 << 30]))
def test_words_pooled_at_once_give_back_the_postings_given_one_by_one(
    documents: list[list[tuple[str, bool, dict[str, list[int]]]]], limit_bytes: int
) -> None:
    """add_terms keeps a term's postings by its word as well as by its bytes: a
    term given both ways, spilled or not, keeps its postings in document order."""
    from indexer.codec import CompactPositions

    encode = CompactPositions().encode
    at_once, one_by_one = PostingsPool(None, limit_bytes), PostingsPool(None, 1 << 30)
    for docnum, fields in enumerate(documents):
        for field, whole, positions in fields:
            if whole:
                at_once.add_terms(field, docnum, positions, encode)
            else:
                for word, places in positions.items():
                    at_once.add((field, word.encode(), docnum, len(places), encode(places)))
            for word, places in positions.items():
                one_by_one.add((field, word.encode(), docnum, len(places), encode(places)))
    assert list(at_once.iter_postings()) == list(one_by_one.iter_postings())


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=30),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
)
def test_ids_and_dates_are_indexed_as_whoosh_indexes_them(text: str, moment: datetime) -> None:
    from indexer.storage import build_schema
    from indexer.writers import indexed_terms

    schema = build_schema()
    values = {"id": text, "kind": text, "page_site": text, "published": moment, "site": text}
    for name, value in values.items():
        try:
            expected = sorted(schema[name].index(value))
        except UnicodeEncodeError:  # a lone surrogate: neither can index it
            with pytest.raises(UnicodeEncodeError):
                list(indexed_terms(schema[name], value))
            continue
        assert sorted(indexed_terms(schema[name], value)) == expected
