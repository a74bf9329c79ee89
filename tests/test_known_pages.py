"""The list of an index's pages kept beside it: what a run learns first, without
reading every page document, and never trusted once it is not the index's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import write_page

import indexer
from indexer import known_pages, session, storage
from indexer.storage import PageEntry


def page_documents_say(index: Path) -> dict[str, PageEntry]:
    """What the index's page documents say of its pages (records left out, as listed)."""
    opened = storage.open_storage(index)
    with opened.searcher() as searcher:
        return {
            fields["page"]: storage.document_to_page(fields, with_records=False)
            for fields in storage.page_documents(searcher)
        }


def listed(index: Path) -> dict[str, PageEntry] | None:
    """The list kept beside the index, if it is the index's."""
    opened = storage.open_storage(index)
    with opened.searcher() as searcher:
        count = storage.page_document_count(searcher)
    rows = known_pages.read(index, opened.latest_generation(), count)
    return None if rows is None else known_pages.pages_of(rows)


def index_with_a_list(crawl: Path, index: Path) -> None:
    """Index ``crawl`` into a new index, then again: a first build keeps no
    list of pages (it would hold them all in memory), the run after it does."""
    indexer.index_paths([crawl], index=index)
    assert not (index / known_pages.FILE).exists()
    indexer.index_paths([crawl], index=index)
    assert listed(index) is not None


@pytest.fixture
def crawl(tmp_path: Path, private_index: Path) -> Path:
    """A crawl of one page, indexed so that the index keeps a list of it."""
    folder = tmp_path / "crawl"
    write_page(folder, "a.txt", "Caption a\nStory a.\n")
    index_with_a_list(folder, private_index)
    return folder


def test_the_list_says_what_the_page_documents_say_after_each_kind_of_change(
    tmp_path: Path, private_index: Path
) -> None:
    crawl = tmp_path / "crawl"
    for name in ("a", "b", "c"):
        write_page(crawl, f"{name}.txt", f"Caption {name}\nStory {name}.\n")
    (crawl / "broken.txt").write_bytes(b"\x00\x01binary")
    dump = crawl / "dump.jsonl"
    dump.write_text(json.dumps({"text": "Dumped\nA dumped story.", "url": "https://x.org/1"}))
    index_with_a_list(crawl, private_index)
    runs = [
        lambda: write_page(crawl, "d.txt", "Caption d\nStory d.\n"),  # an addition
        lambda: write_page(crawl, "a.txt", "Caption a\nStory a, changed.\n"),
        lambda: os.utime(crawl / "b.txt", ns=(1, 10**18)),  # touched, not changed
        lambda: (crawl / "c.txt").unlink(),  # gone
    ]
    for change in runs:
        change()
        indexer.index_paths([crawl], index=private_index)
        assert listed(private_index) == page_documents_say(private_index)
    assert set(page_documents_say(private_index)) == {
        str(crawl / name) for name in ("a.txt", "b.txt", "d.txt", "broken.txt", "dump.jsonl")
    } | {"https://x.org/1"}


def test_a_run_reads_the_list_and_not_the_page_documents(
    crawl: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_read(searcher: object) -> None:
        raise AssertionError("the page documents were read")

    monkeypatch.setattr(session, "page_documents", not_read)
    write_page(crawl, "b.txt", "Caption b\nStory b.\n")
    report = indexer.index_paths([crawl], index=private_index)
    assert (report.pages_read, report.pages_unchanged) == (1, 1)


def test_a_rebuild_keeps_no_list(crawl: Path, private_index: Path) -> None:
    indexer.index_paths([crawl], index=private_index, rebuild=True)
    assert not (private_index / known_pages.FILE).exists()


def test_a_list_that_is_not_the_index_s_is_not_read(crawl: Path, private_index: Path) -> None:
    # A commit by a newsdex that keeps no list: the list's stamp is older.
    kept = (private_index / known_pages.FILE).read_bytes()
    write_page(crawl, "b.txt", "Caption b\nStory b.\n")
    indexer.index_paths([crawl], index=private_index)
    (private_index / known_pages.FILE).write_bytes(kept)
    assert listed(private_index) is None
    os.remove(crawl / "b.txt")
    report = indexer.index_paths([crawl], index=private_index)
    assert (report.pages_removed, report.pages_unchanged) == (1, 1)
    assert listed(private_index) == page_documents_say(private_index)


@pytest.mark.parametrize("damage", [b"", b"NDXPAGE1", b"\x00" * 40])
def test_a_damaged_list_is_not_read(crawl: Path, private_index: Path, damage: bytes) -> None:
    with open(private_index / known_pages.FILE, "r+b") as file:
        file.seek(len(damage) and 24)  # past the stamp, else over it
        file.write(damage or b"garbage")
    assert listed(private_index) is None
    report = indexer.index_paths([crawl], index=private_index)
    assert report.pages_unchanged == 1


def test_a_list_with_any_byte_of_its_pages_changed_is_not_read(
    crawl: Path, private_index: Path
) -> None:
    # Some changes would still decompress and unpickle, a page's name or time
    # changed: the pages' checksum refuses every one. A few bits of a zstd
    # frame do not change what it decodes to (which of them depends on the
    # bytes, here on the test's folder): such a list is read, and is the same.
    kept = private_index / known_pages.FILE
    whole = kept.read_bytes()
    before = listed(private_index)
    assert before is not None
    for place in range(known_pages._HEADER.size, len(whole)):
        changed = bytearray(whole)
        changed[place] ^= 0x01
        kept.write_bytes(bytes(changed))
        assert listed(private_index) in (None, before), place


def test_a_run_writing_more_pages_than_kept_leaves_no_list(
    crawl: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "PAGE_CHANGES_KEPT", 2)
    for name in "bcd":
        write_page(crawl, f"{name}.txt", f"Caption {name}\nStory {name}.\n")
    indexer.index_paths([crawl], index=private_index)
    assert not (private_index / known_pages.FILE).exists()


def test_a_failed_run_leaves_the_list_of_the_index_it_leaves(
    crawl: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: object, *arguments: object, **options: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(session.PooledSegmentWriter, "commit", failing)
    monkeypatch.setattr(session.SubprocessWriter, "commit", failing)
    write_page(crawl, "b.txt", "Caption b\nStory b.\n")
    with pytest.raises(indexer.IndexWriteFailed):
        indexer.index_paths([crawl], index=private_index)
    assert listed(private_index) == page_documents_say(private_index)
    assert set(page_documents_say(private_index)) == {str(crawl / "a.txt")}
