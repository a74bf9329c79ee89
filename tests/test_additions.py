"""Adding pages to an index: other processes analyse and write them, one for a
small addition (one segment), more for a large one."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import write_page

import indexer
import search
from indexer import writers

MANY = 60
"""New pages enough for more than one batch of documents (Whoosh's 100): an
article, a headline and the page's own document each."""


def page_text(number: int) -> str:
    return (
        f"Report {number} from the valley\nThe valley council met on day {number}.\n"
        f"GMT 10:00 2018 Friday ,14 December\nValley bulletin number {number}\n"
        "All rights reserved ©\n"
    )


def add_pages(folder: Path, start: int, count: int) -> None:
    for number in range(start, start + count):
        write_page(folder, f"{number:03}.txt", page_text(number))


def segments_and_hits(index: Path) -> tuple[int, int]:
    with search.open_index(index) as opened:
        return opened.stats().segments, opened.search("valley council", limit=1).total


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine of two cores, where additions use a second process."""
    monkeypatch.setattr("indexer.session.os.cpu_count", lambda: 2)


@pytest.fixture
def started_tasks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The writer processes started, as they start."""
    started: list[Any] = []
    new_task = writers.SubprocessWriter._new_task

    def counted(writer: Any) -> Any:
        task = new_task(writer)
        started.append(task)
        return task

    monkeypatch.setattr(writers.SubprocessWriter, "_new_task", counted)
    return started


def index_then_add_many(crawl: Path, index: Path) -> indexer.IndexReport:
    """Index three pages, then add :data:`MANY` more: the addition's report."""
    add_pages(crawl, 0, 3)
    indexer.index_paths([crawl], index=index)
    add_pages(crawl, 3, MANY)
    return indexer.index_paths([crawl], index=index)


def test_an_addition_of_many_pages_is_written_by_a_second_process_into_one_segment(
    tmp_path: Path, private_index: Path, started_tasks: list[Any]
) -> None:
    report = index_then_add_many(tmp_path / "crawl", private_index)
    assert report.pages_read == MANY
    assert len(started_tasks) == 1
    assert segments_and_hits(private_index) == (2, 3 + MANY)


def test_a_large_addition_is_written_by_a_process_per_core_into_a_segment_each(
    tmp_path: Path,
    private_index: Path,
    started_tasks: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writers, "MORE_WRITERS_AFTER", 100)  # a batch of Whoosh's
    report = index_then_add_many(tmp_path / "crawl", private_index)
    assert report.pages_read == MANY
    assert len(started_tasks) == 2
    assert segments_and_hits(private_index) == (3, 3 + MANY)


def test_a_large_addition_whose_second_process_cannot_start_is_written_by_the_first(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_task = writers.SubprocessWriter._new_task

    def only_one(writer: Any) -> Any:
        if writer.tasks:  # as Whoosh's: the task is listed, then fails to start
            writer.tasks.append(writer._mpctx.Process(target=os._exit, args=(0,)))
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        return new_task(writer)

    monkeypatch.setattr(writers, "MORE_WRITERS_AFTER", 100)
    monkeypatch.setattr(writers.SubprocessWriter, "_new_task", only_one)
    report = index_then_add_many(tmp_path / "crawl", private_index)
    assert report.pages_read == MANY
    assert segments_and_hits(private_index) == (2, 3 + MANY)


def test_a_small_addition_is_written_in_the_run_s_own_process(
    tmp_path: Path, private_index: Path, started_tasks: list[Any]
) -> None:
    add_pages(tmp_path / "crawl", 0, 3)
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    add_pages(tmp_path / "crawl", 3, 2)
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert started_tasks == []
    assert segments_and_hits(private_index) == (2, 5)


def test_an_addition_whose_process_cannot_start_is_written_in_the_run_s_own(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(writer: Any) -> Any:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    add_pages(tmp_path / "crawl", 0, 3)
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    monkeypatch.setattr(writers.SubprocessWriter, "_new_task", refused)
    add_pages(tmp_path / "crawl", 3, MANY)
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert segments_and_hits(private_index) == (2, 3 + MANY)


def test_an_addition_whose_process_dies_fails_and_keeps_the_last_commit(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dying(writer: Any) -> Any:
        task = writer._mpctx.Process(target=os._exit, args=(1,))
        writer.tasks.append(task)
        task.start()
        return task

    add_pages(tmp_path / "crawl", 0, 3)
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    monkeypatch.setattr(writers.SubprocessWriter, "_new_task", dying)
    add_pages(tmp_path / "crawl", 3, MANY)
    with pytest.raises(indexer.IndexWriteFailed, match="writer process"):
        indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert segments_and_hits(private_index) == (1, 3)


def test_records_of_an_addition_seen_on_more_sites_are_written_once_naming_them_all(
    tmp_path: Path, private_index: Path, started_tasks: list[Any]
) -> None:
    # "strike" was indexed before, at alpha.org; "bridge" is new, and both are
    # on every page of the addition, from two more sites: each is written
    # again in the second process's segment, and its older documents go.
    ticker = (
        "GMT 10:00 2018 Friday ,14 December\nValley strike ends\n"
        "GMT 11:00 2018 Friday ,14 December\nValley bridge opens\n"
    )
    first_ticker = ticker.split("Valley strike ends\n")[0] + "Valley strike ends\n"
    write_page(tmp_path / "first", "a.txt", f"Alpha caption\nAlpha story.\n{first_ticker}")
    indexer.index_paths([tmp_path / "first"], index=private_index, site="alpha.org")
    rows = [
        {"text": f"Caption {n}\nStory {n}.\n{ticker}", "url": f"https://{site}/{n}"}
        for n in range(MANY)
        for site in ("beta.org", "gamma.org")
    ]
    dump = tmp_path / "crawl" / "dump.jsonl"
    dump.parent.mkdir()
    dump.write_text("".join(json.dumps(row) + "\n" for row in rows))
    indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert len(started_tasks) == 1
    with search.open_index(private_index) as opened:
        strike = opened.headlines("strike").hits
        bridge = opened.headlines("bridge").hits
    assert [hit.sites for hit in strike] == [("alpha.org", "beta.org", "gamma.org")]
    assert [hit.sites for hit in bridge] == [("beta.org", "gamma.org")]
