"""Segments are merged as additions pile them up (indexer.merge): the policy
picks which, and a merge keeps exactly what Whoosh's own merge would keep,
without the deleted documents."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT_ROOT, is_alive
from hypothesis import given
from hypothesis import strategies as st

import indexer
import search
from indexer import merge
from indexer.merge import LARGEST_MERGE_DOCUMENTS, MERGE_FACTOR, segments_to_merge

SMALL = 10  # live documents of a lowest-level segment
MIDDLE = merge.SMALLEST_LEVEL_DOCUMENTS * 2  # level 1


# --- the policy ------------------------------------------------------------------------


def test_a_level_with_fewer_segments_than_the_factor_is_left_alone() -> None:
    assert segments_to_merge([50_000, *[SMALL] * (MERGE_FACTOR - 1)]) == []


def test_a_full_level_is_merged_into_one_segment() -> None:
    sizes = [50_000, *[SMALL] * MERGE_FACTOR]
    assert segments_to_merge(sizes) == list(range(1, MERGE_FACTOR + 1))


def test_only_the_lowest_full_level_is_merged_in_one_commit() -> None:
    sizes = [*[MIDDLE] * MERGE_FACTOR, *[SMALL] * MERGE_FACTOR]
    assert segments_to_merge(sizes) == list(range(MERGE_FACTOR, 2 * MERGE_FACTOR))


def test_no_merge_makes_a_segment_larger_than_the_largest_merge() -> None:
    large = LARGEST_MERGE_DOCUMENTS // 3
    sizes = [large + index for index in range(MERGE_FACTOR)]
    chosen = segments_to_merge(sizes)
    assert chosen == [0, 1]  # the two smallest; a third would pass the limit
    assert sum(sizes[position] for position in chosen) <= LARGEST_MERGE_DOCUMENTS


def test_a_full_level_of_segments_too_large_to_merge_stays() -> None:
    sizes = [LARGEST_MERGE_DOCUMENTS] * MERGE_FACTOR
    assert segments_to_merge(sizes) == []


def test_segments_with_no_live_document_are_always_dropped() -> None:
    assert segments_to_merge([50_000, 0, SMALL, 0]) == [1, 3]


@given(st.lists(st.integers(min_value=0, max_value=3 * LARGEST_MERGE_DOCUMENTS), max_size=40))
def test_a_merge_is_of_two_segments_or_more_and_within_the_limit(sizes: list[int]) -> None:
    chosen = segments_to_merge(sizes)
    assert chosen == sorted(set(chosen))
    assert all(0 <= position < len(sizes) for position in chosen)
    live = [position for position in chosen if sizes[position]]
    assert len(live) != 1
    assert sum(sizes[position] for position in live) <= LARGEST_MERGE_DOCUMENTS
    assert all(position in chosen for position, size in enumerate(sizes) if size == 0)


# --- merging ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segmented_index(tmp_path_factory: pytest.TempPathFactory, bbc_news: Path) -> Iterator[Path]:
    """120 generated pages indexed in four runs (four segments), then ten of the
    first run's pages removed: segments with deleted documents."""
    from benchmarks.generate import write_pages

    folder = tmp_path_factory.mktemp("merge")
    crawl, index = folder / "crawl", folder / "index"
    for run in range(4):
        write_pages(crawl / f"run{run}", 30, start=30 * run)
        indexer.index_paths([crawl], index=index)
    for page in sorted((crawl / "run0").rglob("*.txt"))[:10]:
        page.unlink()
    indexer.index_paths([crawl], index=index)
    yield index
    shutil.rmtree(folder)


def merged_copy(source: Path, destination: Path, policy: Callable[[Any, list[Any]], Any]) -> Path:
    """A copy of the index, committed once with ``policy`` and nothing added."""
    from whoosh.filedb.filestore import FileStorage

    from indexer.codec import NewsdexCodec
    from indexer.storage import INDEX_NAME

    shutil.copytree(source, destination)
    writer = FileStorage(str(destination)).open_index(INDEX_NAME).writer(codec=NewsdexCodec())
    writer.commit(mergetype=policy)
    return destination


def whoosh_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's way: every segment fed document by document, posting by
    posting, into the writer's own new segment."""
    from whoosh.reading import SegmentReader

    for segment in segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return []


def newsdex_merge(writer: Any, segments: list[Any]) -> list[Any]:
    return [merge.merge_segments(writer.storage, writer.schema, writer.indexname, segments)]


def contents(index: Path) -> dict[str, Any]:
    """Everything a search can read: stored fields, field lengths and their
    totals, and every term's postings and statistics."""
    from whoosh.filedb.filestore import FileStorage

    from indexer.storage import INDEX_NAME

    opened = FileStorage(str(index)).open_index(INDEX_NAME)
    schema = opened.schema
    with opened.reader() as reader:
        numbers = list(reader.all_doc_ids())
        found: dict[str, Any] = {
            "documents": [reader.stored_fields(number) for number in numbers],
            "lengths": {
                name: [reader.doc_field_length(number, name) for number in numbers]
                for name in schema.names()
            },
            "totals": {name: reader.field_length(name) for name in schema.names()},
            "published": [
                reader.column_reader("published", translate=False)[number] for number in numbers
            ],
        }
        terms = {}
        for name in schema.names():
            if not schema[name].indexed:
                continue
            for text in reader.lexicon(name):
                postings = reader.postings(name, text)
                listed = []
                while postings.is_active():
                    listed.append((postings.id(), postings.weight(), postings.value()))
                    postings.next()
                if listed:  # Whoosh's merge keeps terms that lost every document
                    terms[name, text] = (
                        listed,
                        reader.doc_frequency(name, text),
                        reader.frequency(name, text),
                        reader.term_info(name, text).max_weight(),
                        reader.term_info(name, text).min_length(),
                        reader.term_info(name, text).max_length(),
                    )
        found["terms"] = terms
    return found


def test_the_fixture_has_segments_with_deletions(segmented_index: Path) -> None:
    from whoosh.filedb.filestore import FileStorage

    from indexer.storage import INDEX_NAME

    segments = FileStorage(str(segmented_index)).open_index(INDEX_NAME)._segments()
    assert len(segments) == 4
    assert any(segment.has_deletions() for segment in segments)


def test_a_merge_holds_what_whoosh_merging_the_same_segments_holds(
    segmented_index: Path, tmp_path: Path
) -> None:
    theirs = merged_copy(segmented_index, tmp_path / "whoosh", whoosh_merge)
    ours = merged_copy(segmented_index, tmp_path / "newsdex", newsdex_merge)
    expected, got = contents(theirs), contents(ours)
    assert got["documents"] == expected["documents"]
    assert got["lengths"] == expected["lengths"]
    assert got["totals"] == expected["totals"]
    assert got["published"] == expected["published"]
    assert got["terms"] == expected["terms"]


def test_a_merge_leaves_no_deleted_document_and_no_term_without_one(
    segmented_index: Path, tmp_path: Path
) -> None:
    from whoosh.filedb.filestore import FileStorage

    from indexer.storage import INDEX_NAME

    ours = merged_copy(segmented_index, tmp_path / "newsdex", newsdex_merge)
    with FileStorage(str(ours)).open_index(INDEX_NAME).reader() as reader:
        assert reader.doc_count_all() == reader.doc_count()
        for name in ("id", "records"):
            for text in reader.lexicon(name):
                assert reader.doc_frequency(name, text) > 0


def test_searches_find_the_same_matches_after_a_merge(
    segmented_index: Path, tmp_path: Path
) -> None:
    ours = merged_copy(segmented_index, tmp_path / "newsdex", newsdex_merge)
    queries = ["government", "minister said", '"prime minister"', "market OR shares"]
    with search.open_index(segmented_index) as before, search.open_index(ours) as after:
        assert after.stats().segments == 1
        for query in queries:
            expected = before.search(query, limit=1000)
            got = after.search(query, limit=1000)
            assert got.total == expected.total > 0
            assert {hit.id for hit in got.hits} == {hit.id for hit in expected.hits}


# --- additions ------------------------------------------------------------------------


@pytest.mark.usefixtures("bbc_news")
def test_additions_piling_up_are_merged_as_they_reach_the_factor(tmp_path: Path) -> None:
    from benchmarks.generate import write_pages

    crawl, index = tmp_path / "crawl", tmp_path / "index"
    counts = []
    for run in range(MERGE_FACTOR + 1):
        write_pages(crawl / f"run{run}", 2, start=2 * run)
        indexer.index_paths([crawl], index=index)
        with search.open_index(index) as opened:
            counts.append(opened.stats().segments)
    # The last run found MERGE_FACTOR small segments: merged into one, beside its own.
    assert counts == [*range(1, MERGE_FACTOR + 1), 2]
    with search.open_index(index) as opened:
        assert opened.stats().pages_indexed == 2 * (MERGE_FACTOR + 1)


@pytest.fixture
def piled_up(tmp_path: Path, bbc_news: Path) -> tuple[Path, Path]:
    """An index of MERGE_FACTOR additions of three pages each (a full lowest
    level), one page of the second removed on the way (deleted documents)."""
    from benchmarks.generate import write_pages

    crawl, index = tmp_path / "crawl", tmp_path / "index"
    for run in range(MERGE_FACTOR):
        write_pages(crawl / f"run{run}", 3, start=3 * run)
        if run == 2:
            sorted((crawl / "run1").rglob("*.txt"))[0].unlink()
        indexer.index_paths([crawl], index=index)
    return crawl, index


PAGES_AFTER = 3 * MERGE_FACTOR - 1
"""Pages indexed after :func:`add_and_remove`: two removed, two added."""


def add_and_remove(crawl: Path, index: Path) -> list[str]:
    """One more run: two pages added, and a page of the second and third runs
    removed: deletions in segments being merged, in one with deletions
    already and in one after it. Returns the removed pages' article ids."""
    from benchmarks.generate import write_pages

    removed = [sorted((crawl / run).rglob("*.txt"))[0] for run in ("run1", "run2")]
    splits = list(indexer.split_files(removed))
    for page in removed:
        page.unlink()
    write_pages(crawl / "last", 2, start=3 * MERGE_FACTOR)
    indexer.index_paths([crawl], index=index)
    return [split.article.id for split in splits if isinstance(split, indexer.SplitPage)]


def assert_removed_pages_gone(index: Path, removed: list[str], segments: int) -> None:
    assert len(removed) == 2
    with search.open_index(index) as opened:
        assert opened.stats().segments == segments
        assert opened.stats().pages_indexed == PAGES_AFTER
        for article in removed:
            with pytest.raises(indexer.RecordNotFound):
                opened.record(article)
        for hit in opened.search("said OR year OR people", limit=100).hits:
            opened.record(hit.id)  # every other record is still there, whole


def test_segments_are_merged_beside_the_run_and_its_deletions_kept(
    piled_up: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_in_this_process(writer: Any, segments: list[Any]) -> list[Any]:
        raise AssertionError("merged in the run's own process")

    monkeypatch.setattr("indexer.session.merge_policy", not_in_this_process)
    removed = add_and_remove(*piled_up)
    assert_removed_pages_gone(piled_up[1], removed, segments=2)


def test_a_merge_that_fails_leaves_the_segments_and_loses_nothing(
    piled_up: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_with = merge.BackgroundMerge.policy

    def killed_first(self: merge.BackgroundMerge, writer: Any, segments: list[Any]) -> list[Any]:
        self._process.kill()  # as the out-of-memory killer would
        return commit_with(self, writer, segments)

    monkeypatch.setattr(merge.BackgroundMerge, "policy", killed_first)
    removed = add_and_remove(*piled_up)
    assert_removed_pages_gone(piled_up[1], removed, segments=MERGE_FACTOR + 1)


def test_without_a_second_process_the_commit_merges(
    piled_up: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("indexer.session.child_start_method", lambda: None)
    removed = add_and_remove(*piled_up)
    assert_removed_pages_gone(piled_up[1], removed, segments=2)


KILLED_AT_COMMIT = """
import os, signal, sys, indexer
from indexer import merge

def killed(self, writer, segments):
    print(self._process.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

merge.BackgroundMerge.policy = killed
indexer.index_paths([sys.argv[1]], index=sys.argv[2])
"""


@pytest.mark.usefixtures("bbc_news")
def test_a_run_killed_while_merging_leaves_the_last_commit_and_no_merge_process(
    piled_up: tuple[Path, Path],
) -> None:
    from benchmarks.generate import write_pages

    crawl, index = piled_up
    write_pages(crawl / "last", 2, start=3 * MERGE_FACTOR)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AT_COMMIT, str(crawl), str(index)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    merging = int(killed.stdout)
    deadline = time.monotonic() + 30
    while is_alive(merging) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_alive(merging)  # it ended with the run that started it
    with search.open_index(index) as opened:
        assert opened.stats().segments == MERGE_FACTOR
        assert opened.stats().pages_indexed == 3 * MERGE_FACTOR - 1
    indexer.index_paths([crawl], index=index)
    with search.open_index(index) as opened:
        assert opened.stats().segments == 2
        assert opened.stats().pages_indexed == 3 * MERGE_FACTOR + 1


def test_a_merge_process_that_cannot_start_leaves_the_run_to_commit(
    piled_up: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.process

    def refused(self: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    removed = add_and_remove(*piled_up)
    assert_removed_pages_gone(piled_up[1], removed, segments=MERGE_FACTOR + 1)
