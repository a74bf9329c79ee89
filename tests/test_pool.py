"""The postings pool gives back every posting sorted, whether it spilled to disk or not."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.pool import Posting, PostingsPool

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
