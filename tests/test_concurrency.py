"""Searches during index runs, and index runs against each other.

Searches never fail and never see a half-written index while a run commits;
a second writer waits for the lock, then names it and its holder; a writer
that died never leaves the index locked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT_ROOT, SEEDS, is_alive

import indexer
import search
from benchmarks.generate import write_pages
from indexer import processes
from indexer.lock import LOCK_FILE, WRITER_FILE
from indexer.session import IndexSession

SEARCHER = r"""
import json, sys, time
from pathlib import Path
import indexer, search

index, stop = Path(sys.argv[1]), Path(sys.argv[2])
opened = None
turn = 0
while True:
    stopping = stop.exists()
    try:
        # One turn in five opens the index anew, the others refresh the open one.
        if opened is None or turn % 5 == 4:
            if opened is not None:
                opened.close()
            opened = search.open_index(index)
        else:
            opened.refresh()
        stats = opened.stats()
        found = opened.search("police OR government", kind="all", limit=5)
        for hit in found.hits:
            opened.record(hit.id)
        opened.headlines(limit=5)
        seen = {"pages": stats.pages_indexed, "records": sum(stats.records.values())}
    except Exception as error:
        seen = {"error": f"{type(error).__name__}: {error}"}
        opened = None
    print(json.dumps({"time": time.monotonic(), **seen}), flush=True)
    turn += 1
    if stopping:
        break
"""


def environment(index: Path) -> dict[str, str]:
    return {**os.environ, "NEWSDEX_INDEX": str(index)}


def start_newsdex(*args: str, index: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "search", *args],
        cwd=PROJECT_ROOT,
        env=environment(index),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_it_holds_the_lock(process: subprocess.Popen[str], index: Path) -> None:
    """Wait until ``process`` has written itself into the index's writer file."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the writer ended before it was caught holding the lock"
        try:
            if json.loads((index / WRITER_FILE).read_text())["pid"] == process.pid:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.01)
    raise AssertionError("the writer never took the lock")


@pytest.fixture
def held_lock(seeded_index: Path) -> Iterator[IndexSession]:
    """This test process writing the seed index: it holds the write lock."""
    session = IndexSession(seeded_index)
    try:
        yield session
    finally:
        session.cancel()


# --- searches while runs commit ----------------------------------------------


def rewrite_article(page: Path, run: int) -> None:
    """Change a page's article (a paragraph more), so its old records are deleted."""
    title, rest = page.read_text(encoding="utf-8").split("\n", 1)
    page.write_text(f"{title}\nAn update written by run {run}.\n{rest}", encoding="utf-8")


@pytest.mark.usefixtures("bbc_news")
def test_searches_during_repeated_commits_never_fail_nor_see_half_a_run(
    tmp_path: Path, private_index: Path
) -> None:
    # Small runs, each adding pages and changing one: Whoosh merges small
    # segments and deletes replaced documents, both of which a searcher that
    # refreshes must see exactly as committed.
    pages = tmp_path / "pages"
    batch, runs = 4, 14
    write_pages(pages, batch, pool_size=20)
    committed = [indexer.index_paths([pages], index=private_index).pages_read]
    stop = tmp_path / "stop"
    searcher = subprocess.Popen(
        [sys.executable, "-c", SEARCHER, str(private_index), str(stop)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        writing_started = time.monotonic()
        for run in range(1, runs):
            written = sorted(pages.rglob("*.txt"))
            rewrite_article(written[run % len(written)], run)
            write_pages(pages, batch, start=run * batch, pool_size=20)
            report = indexer.index_paths([pages], index=private_index)
            committed.append(committed[-1] + report.pages_read - 1)
        writing_ended = time.monotonic()
    finally:
        stop.touch()
        output, errors = searcher.communicate(timeout=120)
    assert searcher.returncode == 0, errors
    seen = [json.loads(line) for line in output.splitlines()]
    assert [line["error"] for line in seen if "error" in line] == []
    pages_seen = [line["pages"] for line in seen]
    records_seen = [line["records"] for line in seen]
    assert pages_seen == sorted(pages_seen)
    assert records_seen == sorted(records_seen)
    assert set(pages_seen) <= set(committed)  # only whole runs, never part of one
    during = [line for line in seen if writing_started <= line["time"] <= writing_ended]
    print(f"{len(during)} searches ran during {runs - 1} index runs, {len(seen)} in all")
    assert len(during) >= 10
    assert pages_seen[-1] == committed[-1] == batch * runs


@pytest.mark.usefixtures("bbc_news")
def test_a_searcher_opened_before_a_rebuild_answers_from_the_old_index_until_refreshed(
    tmp_path: Path, seeded_index: Path
) -> None:
    other = tmp_path / "other"
    write_pages(other, 30)
    seen_while_writing: list[int] = []
    with search.open_index(seeded_index) as before:

        def look(done: int, total: int) -> None:
            with search.open_index(seeded_index) as fresh:
                seen_while_writing.append(fresh.search("Shughour").total)
            seen_while_writing.append(before.search("Shughour").total)

        progress = RecordedProgress(on_reading=look)
        indexer.index_paths([other], index=seeded_index, rebuild=True, progress=progress)
        old_answer = before.search("Shughour").total
        headline = before.headlines(limit=1).hits[0]
        assert before.record(headline.id).sources  # old segments still readable
        before.refresh()
        new_answer = before.search("Shughour").total
    assert seen_while_writing and set(seen_while_writing) == {1}
    assert (old_answer, new_answer) == (1, 0)


# --- writers against each other ---------------------------------------------


@dataclass
class RecordedProgress:
    """An index run's progress, phase by phase (reading once however often)."""

    on_reading: Callable[[int, int], None] | None = None
    phases: list[str] = field(default_factory=list)

    def waiting(self, holder: str) -> None:
        self.phases.append(f"waiting for {holder.split(' (')[0]}")

    def reading(self, done: int, total: int) -> None:
        if self.phases[-1:] != ["reading"]:
            self.phases.append("reading")
        if self.on_reading is not None:
            self.on_reading(done, total)

    def committing(self) -> None:
        self.phases.append("committing")


def test_a_second_writer_waits_then_exits_2_naming_the_lock_and_its_holder(
    held_lock: IndexSession, seeded_index: Path
) -> None:
    started = time.monotonic()
    second = start_newsdex("index", "--wait", "1", index=seeded_index)
    _, errors = second.communicate(timeout=120)
    waited = time.monotonic() - started
    assert second.returncode == 2
    assert errors.count("\n") == 1 and errors.startswith("Error: ")
    assert str(seeded_index / LOCK_FILE) in errors
    assert f"process {os.getpid()} " in errors
    assert "Traceback" not in errors
    assert waited >= 1


@pytest.mark.usefixtures("bbc_news")
def test_a_second_writer_goes_ahead_when_the_first_ends_within_its_wait(
    seeded_index: Path, tmp_path: Path
) -> None:
    write_pages(tmp_path / "more", 5)
    first = IndexSession(seeded_index)
    try:
        second = start_newsdex("index", "--wait", "60", str(tmp_path / "more"), index=seeded_index)
        time.sleep(1)
        assert second.poll() is None  # still waiting
    finally:
        first.cancel()
    _, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors
    assert errors.startswith("5 pages seen: 5 indexed")


@pytest.mark.usefixtures("bbc_news")
def test_a_run_that_waited_for_another_sees_what_that_one_committed(
    tmp_path: Path, private_index: Path
) -> None:
    # Regression: the waiting run read the index before it had the lock, so it
    # wrote against a stale view and ended in IndexDamaged.
    first_pages, second_pages = tmp_path / "first", tmp_path / "second"
    write_pages(first_pages, 20)
    write_pages(second_pages, 20, start=20)
    indexer.index_paths([SEEDS], index=private_index)
    first_has_lock, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_reads(done: int, total: int) -> None:
        first_has_lock.set()
        second_started.wait(timeout=60)

    second_progress = RecordedProgress()

    def second_run() -> None:
        first_has_lock.wait(timeout=60)
        second_started.set()
        try:
            outcome["second"] = indexer.index_paths(
                [second_pages, SEEDS],
                index=private_index,
                wait_seconds=60,
                progress=second_progress,
            )
        except Exception as error:
            outcome["second"] = error

    thread = threading.Thread(target=second_run)
    thread.start()
    try:
        time.sleep(0.5)  # let the second run get as far as the lock
        first = RecordedProgress(on_reading=first_reads)
        indexer.index_paths([first_pages], index=private_index, progress=first, wait_seconds=60)
    finally:
        first_has_lock.set()
        thread.join(timeout=120)
    assert isinstance(outcome["second"], indexer.IndexReport), outcome["second"]
    assert second_progress.phases[0] == f"waiting for process {os.getpid()}"
    assert second_progress.phases[-1] == "committing"
    with search.open_index(private_index) as opened:
        assert opened.stats().pages_indexed == 41


@pytest.mark.usefixtures("bbc_news")
def test_a_writer_killed_while_it_holds_the_lock_leaves_the_index_unlocked(
    tmp_path: Path, private_index: Path
) -> None:
    write_pages(tmp_path / "pages", 300)
    writer = start_newsdex("index", str(tmp_path / "pages"), index=private_index)
    wait_until_it_holds_the_lock(writer, private_index)
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)
    started = time.monotonic()
    session = IndexSession(private_index, wait_seconds=0)  # raises IndexLocked if not
    session.cancel()
    assert time.monotonic() - started < 30
    assert (private_index / LOCK_FILE).exists()  # the file stays; the OS lock went


def children_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


PARALLEL_NEWSDEX = (
    "import sys, indexer.session, search.cli; "
    "indexer.session.PARALLEL_MIN_BYTES = 0; "
    "sys.argv[0] = 'newsdex'; search.cli.main()"
)


@pytest.mark.usefixtures("bbc_news")
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_a_killed_two_process_build_leaves_no_sub_writer_and_no_lock_behind(
    tmp_path: Path, private_index: Path
) -> None:
    # Regression: Whoosh's forked sub-writers outlived a killed newsdex, still
    # holding the write lock, so every later run failed with "locked".
    write_pages(tmp_path / "pages", 400)
    writer = subprocess.Popen(
        [sys.executable, "-c", PARALLEL_NEWSDEX, "index", str(tmp_path / "pages")],
        cwd=PROJECT_ROOT,
        env=environment(private_index),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(sub_writers := children_of(writer.pid)) < 2 and time.monotonic() < deadline:
        assert writer.poll() is None, writer.communicate()[1]
        time.sleep(0.01)
    assert len(sub_writers) >= 2
    wait_until_it_holds_the_lock(writer, private_index)
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while any(is_alive(pid) for pid in sub_writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(is_alive(pid) for pid in sub_writers)
    session = IndexSession(private_index, wait_seconds=0)
    session.cancel()
    with search.open_index(private_index) as opened:
        assert opened.stats().pages_indexed == 0  # the empty index of a first run


def indexed_then_grown(pages: Path, index: Path) -> Path:
    """100 pages indexed into ``index``, then 300 more written beside them: an
    addition that its writer processes (two of them) write."""
    write_pages(pages, 100)
    indexer.index_paths([pages], index=index)
    write_pages(pages, 300, start=100)
    return pages


FORKED_ADDITION = r"""
import gc, json, os, sys
import indexer
from indexer import writers
from indexer.lock import LOCK_FILE

pages, index, seen = sys.argv[1:]
lock = os.path.realpath(os.path.join(index, LOCK_FILE))


def holds_lock():
    folder = f"/proc/{os.getpid()}/fd"
    return lock in {os.path.realpath(os.path.join(folder, fd)) for fd in os.listdir(folder)}


run = writers._SubWriterTask.run


def look_then_run(self):
    # In a forked writer (a spawned one imports writers anew, unchanged).
    with open(os.path.join(seen, str(os.getpid())), "w") as file:
        json.dump({"holds lock": holds_lock(), "frozen": gc.get_freeze_count()}, file)
    return run(self)


writers._SubWriterTask.run = look_then_run
finish = writers.SubprocessWriter._merge_segments


def look_then_finish(self, *arguments):
    with open(os.path.join(seen, "parent"), "w") as file:
        json.dump({"start": self._mpctx.get_start_method(), "holds lock": holds_lock()}, file)
    return finish(self, *arguments)


writers.SubprocessWriter._merge_segments = look_then_finish
indexer.index_paths([pages], index=index)
"""


@pytest.fixture
def forked_addition(
    tmp_path: Path, private_index: Path, bbc_news: Path
) -> tuple[dict[str, Any], list[Any]]:
    """What an addition's process and each of its writer processes saw of
    themselves (writers forked: the program runs no other thread)."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs Linux's /proc")
    pages = indexed_then_grown(tmp_path / "pages", private_index)
    seen = tmp_path / "seen"
    seen.mkdir()
    ran = subprocess.run(
        [sys.executable, "-c", FORKED_ADDITION, str(pages), str(private_index), seen],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    parent = json.loads((seen / "parent").read_text())
    writers = [json.loads(file.read_text()) for file in seen.iterdir() if file.name != "parent"]
    assert parent["start"] == "fork" and writers
    return parent, writers


def test_an_addition_s_forked_writers_hold_no_copy_of_the_write_lock(
    forked_addition: tuple[dict[str, Any], list[Any]],
) -> None:
    # A flock lives as long as any copy of its file: a forked writer holding
    # one, stopped or stuck, would keep the index locked after newsdex died.
    parent, writers = forked_addition
    assert parent["holds lock"]
    assert not any(writer["holds lock"] for writer in writers)


def test_a_forked_writer_leaves_its_parent_s_objects_out_of_its_collections(
    forked_addition: tuple[dict[str, Any], list[Any]],
) -> None:
    # A collection writes to each object it looks at: the parent's memory,
    # shared until then, would be copied into every writer.
    _, writers = forked_addition
    assert all(writer["frozen"] > 1000 for writer in writers)


@pytest.mark.usefixtures("bbc_news")
def test_an_addition_leaves_no_thread_behind(tmp_path: Path, private_index: Path) -> None:
    # The thread feeding the writers' job queue, left running, made the next
    # run in the same process spawn its writers instead of forking them.
    pages = indexed_then_grown(tmp_path / "pages", private_index)
    before = threading.active_count()
    report = indexer.index_paths([pages], index=private_index)
    assert report.pages_read == 300
    assert threading.active_count() == before


def test_writer_processes_are_spawned_while_another_thread_runs() -> None:
    # A fork copies only the forking thread: a lock another one held would
    # stay held in the child for good.
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert processes.child_start_method() in ("spawn", None)
    finally:
        release.set()
        other.join()


@pytest.mark.usefixtures("bbc_news")
def test_a_two_process_build_gives_the_records_of_a_one_process_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pages(tmp_path / "pages", 150)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "one")
    monkeypatch.setattr("indexer.session.PARALLEL_MIN_BYTES", 0)
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "two")
    assert len(list((tmp_path / "two").glob("*.seg"))) >= 2  # one segment per sub-writer
    with search.open_index(tmp_path / "one") as one, search.open_index(tmp_path / "two") as two:
        assert one.stats().records == two.stats().records
        for query in ("police", "government OR minister", "Brexit"):
            # Every hit, not the top ones: scores may differ across segments.
            found_by_one = {hit.id for hit in one.search(query, limit=10_000).hits}
            found_by_two = {hit.id for hit in two.search(query, limit=10_000).hits}
            assert found_by_one == found_by_two


def test_a_failed_first_run_keeps_the_index_another_run_committed_while_it_waited(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: a first run that found nothing removed the folder it had
    # created, with what another run had committed there in the meantime.
    from indexer import lock

    real_acquire = lock.acquire

    def another_run_commits_first(*arguments: Any) -> Any:
        monkeypatch.setattr(lock, "acquire", real_acquire)
        indexer.index_paths([SEEDS], index=private_index)
        return real_acquire(*arguments)

    monkeypatch.setattr(lock, "acquire", another_run_commits_first)
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(indexer.NothingIndexed):
        indexer.index_paths([tmp_path / "empty.txt"], index=private_index)
    with search.open_index(private_index) as opened:
        assert opened.stats().pages_indexed == 1


def test_a_failed_first_run_leaves_no_folder_behind(tmp_path: Path, private_index: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(indexer.NothingIndexed):
        indexer.index_paths([tmp_path / "empty.txt"], index=private_index)
    assert not private_index.exists()
    assert sorted(path.name for path in private_index.parent.iterdir()) == ["empty.txt"]
