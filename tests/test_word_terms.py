"""The words' terms kept beside an index for its next run's writer processes:
read only when sound and in agreement with the analyzer, and never a cause
of an index different from one built without them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import write_page

import indexer
from benchmarks.generate import write_pages
from indexer import analysis, known_pages, storage, word_terms

TERMS = {"reports": "report", "the": None, "councils": "council", "met": "met"}


def test_words_kept_are_read_back(tmp_path: Path) -> None:
    word_terms.write(tmp_path, TERMS)
    assert word_terms.read(tmp_path) == TERMS


def test_no_file_is_no_words(tmp_path: Path) -> None:
    assert word_terms.read(tmp_path) is None


def test_words_kept_by_another_newsdex_or_python_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_terms, "_STAMP", b"('newsdex words 1', '0.0.1', 9, (3, 11, 4))")
    word_terms.write(tmp_path, TERMS)
    monkeypatch.undo()
    assert word_terms.read(tmp_path) is None


@pytest.mark.parametrize("damage", [b"\x00", b"garbage" * 20])
def test_damaged_words_are_not_read(tmp_path: Path, damage: bytes) -> None:
    word_terms.write(tmp_path, TERMS)
    kept = tmp_path / word_terms.FILE
    data = bytearray(kept.read_bytes())
    data[-len(damage) :] = damage
    kept.write_bytes(bytes(data))
    assert word_terms.read(tmp_path) is None


def test_words_whose_terms_the_analyzer_no_longer_makes_are_not_read(tmp_path: Path) -> None:
    # As kept by an analyzer that stemmed differently (its version not bumped).
    word_terms.write(tmp_path, {word: f"{word}-old" for word in TERMS})
    assert word_terms.read(tmp_path) is None


def test_a_writer_process_starts_from_the_words_read(tmp_path: Path) -> None:
    before = analysis.indexing_terms()
    try:
        analysis.remember_terms({"zyzzyvas": "not-porter's"})
        assert analysis.indexed_positions("zyzzyvas met") == {"not-porter's": [0], "met": [1]}
    finally:
        analysis._INDEXING_TERMS.clear()
        analysis._INDEXING_TERMS.update(before)


def test_a_writer_process_remembers_three_quarters_of_the_words_it_may_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past the words it may hold it forgets them all: room is left for new ones.
    monkeypatch.setattr(analysis, "_INDEXING_TERMS", {})
    monkeypatch.setattr(analysis, "STEMS_CACHED", 8)
    analysis.remember_terms({f"word{number}": f"word{number}" for number in range(10)})
    assert list(analysis.indexing_terms()) == [f"word{number}" for number in range(6)]


def test_files_half_written_beside_an_index_are_removed_by_the_next_run(
    tmp_path: Path, private_index: Path
) -> None:
    write_page(tmp_path / "crawl", "a.txt", "Caption\nStory.\n")
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    left = [
        private_index / f"{known_pages.FILE}.partial",
        private_index / f"{word_terms.FILE}.1.partial",
    ]
    for path in left:
        path.write_bytes(b"half")
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert not any(path.exists() for path in left)


def all_postings(index: Path) -> dict[tuple[str, bytes], list[tuple[int, bytes]]]:
    """Every term of the index with its documents' ids and values."""
    opened = storage.open_storage(index)
    found = {}
    with opened.searcher() as searcher:
        reader = searcher.reader()
        ids = storage.document_ids(searcher)
        for fieldname, text in reader.all_terms():
            postings, documents = reader.postings(fieldname, text), []
            while postings.is_active():
                documents.append((ids(postings.id()), postings.value()))
                postings.next()
            found[fieldname, text] = sorted(documents)
    return found


@pytest.mark.usefixtures("bbc_news")
def test_an_index_built_from_kept_words_is_the_index_built_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("indexer.session.PARALLEL_MIN_BYTES", 0)  # two writer processes
    write_pages(tmp_path / "pages", 300)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "first")
    kept = word_terms.read(tmp_path / "first")
    assert kept is not None and len(kept) >= word_terms.NEW_WORDS_KEPT
    # The same pages again, into an index that has the words (a rebuild).
    write_page(tmp_path / "other", "a.txt", "Caption\nStory.\n")
    indexer.index_paths([tmp_path / "other"], index=tmp_path / "second")
    shutil.copy(tmp_path / "first" / word_terms.FILE, tmp_path / "second")
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "second", rebuild=True)
    assert all_postings(tmp_path / "second") == all_postings(tmp_path / "first")
