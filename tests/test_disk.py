"""Disk trouble and untrusted folders.

A disk that fills up during a run, or an index folder that cannot be written,
gives one clear error (IndexWriteFailed, exit 2) and leaves the last commit
intact and searchable. Folders newsdex did not make, or of a format it does
not know, are refused before any of their files is read: Whoosh's files hold
pickles, and loading a pickle runs code.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import PROJECT_ROOT, SEEDS, write_page
from whoosh.codec import whoosh3
from whoosh.columns import VarBytesColumn

import indexer
import indexer.codec
import search
from benchmarks.generate import write_pages
from indexer.codec import BLOCK_ZSTD, NewsdexLeafMatcher, NewsdexPostingsWriter
from indexer.session import IndexSession
from indexer.storage import FORMAT_VERSION, MARKER_FILE
from search.cli import cli

REAL_OPEN = builtins.open


@dataclass
class DiskFault:
    """Writes into ``folder`` fail with ENOSPC once ``budget`` bytes are written.

    Counting starts when ``armed``; ``only`` limits the failure to files whose
    name contains it.
    """

    folder: Path
    budget: float = float("inf")
    only: str = ""
    armed: bool = False
    written: int = 0

    def write(self, handle: Any, name: str, data: Any) -> int:
        if self.armed and self.only in name:
            if self.written + len(data) > self.budget:
                room = max(int(self.budget) - self.written, 0)
                handle.write(data[:room])
                self.written += room
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
            self.written += len(data)
        return int(handle.write(data))


class FaultyFile:
    """A file opened for writing whose writes go through a :class:`DiskFault`."""

    def __init__(self, handle: Any, name: str, fault: DiskFault) -> None:
        self._handle, self._name, self._fault = handle, name, fault

    def write(self, data: Any) -> int:
        return self._fault.write(self._handle, self._name, data)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._handle, attribute)

    def __enter__(self) -> FaultyFile:
        return self

    def __exit__(self, *exception: object) -> None:
        self._handle.close()


def is_inside(path: Any, folder: Path) -> bool:
    if not isinstance(path, (str, os.PathLike)):
        return False
    return Path(os.path.abspath(path)).is_relative_to(folder)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, seeded_index: Path) -> DiskFault:
    """A disk under the seed index that fills up when a commit starts writing."""
    fault = DiskFault(seeded_index.resolve())

    def open_through_fault(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = REAL_OPEN(file, mode, *args, **kwargs)
        if any(flag in mode for flag in "wax+") and is_inside(file, fault.folder):
            return FaultyFile(handle, os.path.basename(file), fault)
        return handle

    real_commit = IndexSession.commit

    def commit(session: IndexSession) -> int:
        fault.armed = True
        try:
            return real_commit(session)
        finally:
            fault.armed = False

    monkeypatch.setattr(builtins, "open", open_through_fault)
    monkeypatch.setattr(IndexSession, "commit", commit)
    return fault


Snapshot = tuple[list[str], list[str], int]


def snapshot(index: Path) -> Snapshot:
    """What searches see: hit ids for a few queries and the number of pages."""
    with search.open_index(index) as opened:
        hits = [hit.id for query in ("Assad", "Brexit", "police") for hit in opened.search(query)]
        headlines = [hit.id for hit in opened.headlines(limit=50).hits]
        return hits, headlines, opened.stats().pages_indexed


@pytest.fixture
def more_pages(tmp_path: Path, bbc_news: Path) -> Path:
    write_pages(tmp_path / "more", 30)
    return tmp_path / "more"


def bytes_a_commit_writes(seeded_index: Path, pages: Path, fault: DiskFault, work: Path) -> int:
    copy = work / "measured"
    shutil.copytree(seeded_index, copy)
    fault.folder = copy.resolve()
    indexer.index_paths([SEEDS, pages], index=copy)
    fault.folder, written, fault.written = seeded_index.resolve(), fault.written, 0
    return written


@pytest.mark.parametrize("share", [0.0, 0.3, 0.7, 0.99])
def test_a_disk_filling_up_mid_commit_fails_clearly_and_leaves_the_last_commit(
    full_disk: DiskFault, seeded_index: Path, more_pages: Path, tmp_path: Path, share: float
) -> None:
    full_disk.budget = share * bytes_a_commit_writes(seeded_index, more_pages, full_disk, tmp_path)
    before, files_before = snapshot(seeded_index), sorted(os.listdir(seeded_index))
    with pytest.raises(indexer.IndexWriteFailed) as failure:
        indexer.index_paths([SEEDS, more_pages], index=seeded_index)
    assert "No space left on device" in str(failure.value)
    assert failure.value.hint == "free some disk space, then run again"
    assert snapshot(seeded_index) == before
    assert sorted(os.listdir(seeded_index)) == files_before  # the failed run's files went


def test_a_disk_filling_up_while_the_table_of_contents_is_written_leaves_the_last_commit(
    full_disk: DiskFault, seeded_index: Path, more_pages: Path
) -> None:
    full_disk.budget, full_disk.only = 10, ".toc"
    before = snapshot(seeded_index)
    with pytest.raises(indexer.IndexWriteFailed, match="No space left on device"):
        indexer.index_paths([SEEDS, more_pages], index=seeded_index)
    assert snapshot(seeded_index) == before


def test_the_run_after_a_full_disk_completes(
    full_disk: DiskFault, seeded_index: Path, more_pages: Path
) -> None:
    full_disk.budget = 1000
    with pytest.raises(indexer.IndexWriteFailed):
        indexer.index_paths([SEEDS, more_pages], index=seeded_index)
    full_disk.budget = float("inf")
    report = indexer.index_paths([SEEDS, more_pages], index=seeded_index)
    assert (report.pages_read, report.pages_unchanged) == (30, 1)
    assert snapshot(seeded_index)[2] == 31


def test_index_command_on_a_full_disk_exits_2_with_one_line_and_a_hint(
    full_disk: DiskFault, more_pages: Path, runner: CliRunner
) -> None:
    full_disk.budget = 1000
    result = runner.invoke(cli, ["index", str(SEEDS), str(more_pages)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "No space left on device" in result.stderr
    assert "free some disk space" in result.stderr


@pytest.fixture
def full_temporary_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary folder fills up: the run's ledger can grow by a few pages only."""
    from indexer.ledger import RunLedger

    start = RunLedger.__init__

    def small_ledger(self: RunLedger) -> None:
        start(self)
        self._db.execute("PRAGMA max_page_count = 4")

    monkeypatch.setattr(RunLedger, "__init__", small_ledger)


@pytest.mark.usefixtures("bbc_news")
def test_a_full_temporary_folder_stops_the_run_with_one_line_and_keeps_the_index(
    full_temporary_folder: None, seeded_index: Path, tmp_path: Path, runner: CliRunner
) -> None:
    write_pages(tmp_path / "crawl", 200)  # more records than the ledger's pages hold
    before = snapshot(seeded_index)
    result = runner.invoke(cli, ["index", str(SEEDS), str(tmp_path / "crawl")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "temporary folder" in result.stderr and "TMPDIR" in result.stderr
    assert snapshot(seeded_index) == before


@pytest.fixture
def writer_processes_that_die(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build in two processes, whose processes exit at once (ask for it
    after the fixtures that build an index beforehand)."""
    from indexer import session, writers

    def dying_task(writer: Any) -> Any:
        task = writer._mpctx.Process(target=os._exit, args=(1,))
        writer.tasks.append(task)
        task.start()
        return task

    monkeypatch.setattr(session, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(writers.SubprocessWriter, "_new_task", dying_task)


def test_a_writer_process_that_dies_fails_the_run_and_keeps_the_last_commit(
    seeded_index: Path, more_pages: Path, writer_processes_that_die: None
) -> None:
    before = snapshot(seeded_index)
    with pytest.raises(indexer.IndexWriteFailed, match="writer process failed"):
        indexer.index_paths([SEEDS, more_pages], index=seeded_index, rebuild=True)
    assert snapshot(seeded_index) == before


@pytest.mark.usefixtures("bbc_news")
def test_writer_processes_that_stop_fail_the_run_instead_of_leaving_it_waiting(
    seeded_index: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer_processes_that_die: None,
) -> None:
    from indexer import writers

    # Enough documents to fill the job queue, which no process empties.
    write_pages(tmp_path / "crawl", 400)
    monkeypatch.setattr(writers, "QUEUE_WAIT_SECONDS", 0.05)
    before = snapshot(seeded_index)
    with pytest.raises(indexer.IndexWriteFailed, match="writer processes stopped"):
        indexer.index_paths([tmp_path / "crawl"], index=seeded_index, rebuild=True)
    assert snapshot(seeded_index) == before


@pytest.mark.parametrize("other_thread", [False, True])
def test_a_program_read_from_standard_input_builds_its_index(
    tmp_path: Path, other_thread: bool
) -> None:
    # Spawned writer processes import the main module again from its file,
    # and a program piped to Python has none: they would all die at start,
    # so it builds in one process. Forked ones (Linux, a process running no
    # other thread) start from the program as it is.
    program = f"""
import threading
import indexer
from indexer import session, writers
if {other_thread}:
    threading.Thread(target=threading.Event().wait, daemon=True).start()
started = []
start = writers.SubprocessWriter._new_task
writers.SubprocessWriter._new_task = lambda self: started.append(1) or start(self)
session.PARALLEL_MIN_BYTES = 0
report = indexer.index_paths([{str(SEEDS)!r}], index={str(tmp_path / "index")!r})
print(report.documents, len(started))
"""
    done = subprocess.run(
        [sys.executable, "-"],
        input=program,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    documents, writer_processes = map(int, done.stdout.split())
    assert documents > 0
    forked = sys.platform == "linux" and not other_thread and (os.cpu_count() or 1) > 1
    assert (writer_processes > 0) == forked


# --- folders that cannot be written ---------------------------------------


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@pytest.fixture(params=["read-only file system", "folder without write permission"])
def unwritable(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, seeded_index: Path
) -> int:
    """Make the seed index folder unwritable, as a read-only mount or ``chmod a-w`` would.

    Simulated (tests often run as root, whom permissions do not stop): on a
    read-only file system every write fails with EROFS; in a folder without
    write permission, creating, renaming and deleting entries fail with EACCES
    while files that exist can still be written.
    """
    folder = seeded_index.resolve()
    number = errno.EROFS if request.param == "read-only file system" else errno.EACCES

    def refused(path: Any) -> OSError:
        return OSError(number, os.strerror(number), os.fspath(path))

    def creates(path: Any, writes: bool) -> bool:
        if not is_inside(path, folder):
            return False
        return writes if number == errno.EROFS else writes and not os.path.exists(path)

    real_os_open, real_mkdir = os.open, os.mkdir

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if creates(path, bool(flags & WRITE_FLAGS)):
            raise refused(path)
        return real_os_open(path, flags, *args, **kwargs)

    def builtin_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if creates(file, any(flag in mode for flag in "wax+")):
            raise refused(file)
        return REAL_OPEN(file, mode, *args, **kwargs)

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if is_inside(path, folder):
            raise refused(path)
        real_mkdir(path, *args, **kwargs)

    def refusing(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if is_inside(path, folder):
                raise refused(path)
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", builtin_open)
    monkeypatch.setattr(os, "mkdir", mkdir)
    for name in ("rename", "replace", "remove", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, refusing(getattr(os, name)))
    return number


def test_an_unwritable_index_folder_fails_clearly_and_stays_searchable(
    unwritable: int, seeded_index: Path, more_pages: Path
) -> None:
    before = snapshot(seeded_index)
    with pytest.raises(indexer.IndexWriteFailed) as failure:
        indexer.index_paths([SEEDS, more_pages], index=seeded_index)
    assert os.strerror(unwritable) in str(failure.value)
    assert failure.value.hint == "make the folder writable, or give another with --index"
    assert snapshot(seeded_index) == before


def test_index_command_on_an_unwritable_folder_exits_2_with_one_line(
    unwritable: int, more_pages: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["index", str(SEEDS), str(more_pages)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "make the folder writable" in result.stderr
    assert newsdex_search_still_works(runner)


def newsdex_search_still_works(runner: CliRunner) -> bool:
    result = runner.invoke(cli, ["search", "Assad"])
    return result.exit_code == 0 and "Jisr al-Shughour" in result.stdout


# --- first runs killed while creating the index -------------------------------


KILLED_WHILE_CREATING = (
    "import os, signal, sys, indexer, indexer.creation as creation; "
    "creation.write_marker = lambda folder: os.kill(os.getpid(), signal.SIGKILL); "
    "indexer.index_paths([sys.argv[1]], index=sys.argv[2])"
)


def test_a_first_run_killed_while_creating_the_index_leaves_nothing_to_refuse(
    tmp_path: Path,
) -> None:
    # Regression: Whoosh's files were written into the folder before the
    # marker, so a kill between them left a folder every later run refused.
    index = tmp_path / "fresh"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_CREATING, str(SEEDS), str(index)],
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not index.exists()
    with pytest.raises(indexer.IndexNotFound):
        search.open_index(index)
    report = indexer.index_paths([SEEDS], index=index)
    assert report.pages_read == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["fresh"]  # staging removed


def test_a_new_index_replaces_an_empty_folder_and_is_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    index = tmp_path / "made-by-the-user"
    index.mkdir(mode=0o755)
    indexer.index_paths([SEEDS], index=index)
    assert oct(index.stat().st_mode & 0o777) == oct(0o700)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["made-by-the-user"]


# --- folders newsdex did not make ---------------------------------------------


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if anything is unpickled."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    yield


def copy_without_marker(seeded_index: Path, tmp_path: Path) -> Path:
    stranger = tmp_path / "whoosh-index-from-elsewhere"
    shutil.copytree(seeded_index, stranger)
    (stranger / MARKER_FILE).unlink()
    return stranger


def test_a_whoosh_index_without_the_marker_is_refused_before_a_pickle_is_read(
    seeded_index: Path, tmp_path: Path, no_unpickling: None
) -> None:
    stranger = copy_without_marker(seeded_index, tmp_path)
    files = sorted(os.listdir(stranger))
    with pytest.raises(indexer.NotAnIndex, match="not a newsdex index"):
        search.open_index(stranger)
    with pytest.raises(indexer.NotAnIndex):
        indexer.index_paths([SEEDS], index=stranger)
    with pytest.raises(indexer.NotAnIndex):
        indexer.index_paths([SEEDS], index=stranger, rebuild=True)
    assert sorted(os.listdir(stranger)) == files


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('{"format": 999}', "has format 999"),
        ('{"format": "3"}', "has format 3"),
        ("not json", "is damaged"),
        ('{"created_by": "newsdex"}', "is damaged"),
        ("", "is damaged"),
    ],
)
def test_an_index_whose_marker_is_unknown_or_damaged_is_refused_before_a_pickle_is_read(
    seeded_index: Path, no_unpickling: None, marker: str, message: str
) -> None:
    (seeded_index / MARKER_FILE).write_text(marker)
    with pytest.raises(indexer.NotAnIndex, match=message):
        search.open_index(seeded_index)
    with pytest.raises(indexer.NotAnIndex, match=message):
        indexer.index_paths([SEEDS], index=seeded_index)


def many_pages(folder: Path, animal: str = "Zebras") -> Path:
    """Pages enough for posting lists of several compressed blocks."""
    for number in range(300):
        text = f"Caption {number}\n\n{animal} and lions {number}.\n"
        write_page(folder, f"{number:03}.txt", text)
    return folder


def index_of_format_9(folder: Path, pages: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index of the seed page and ``pages`` as format 9 wrote it: stored
    fields and posting blocks compressed with zlib (level 3, Whoosh's)."""
    with monkeypatch.context() as patched:
        patched.setattr(indexer.codec, "STORED_COLUMN", whoosh3.STORED_COLUMN)
        patched.setattr(
            NewsdexPostingsWriter, "_compressed", lambda _, data: (3, zlib.compress(data, 3))
        )
        indexer.index_paths([SEEDS, pages], index=folder)
    (folder / MARKER_FILE).write_text(json.dumps({"format": 9}))
    return folder


def compressions(index: Path) -> set[str]:
    """How the index's stored fields and posting blocks are compressed, as
    "stored: zstd", "blocks: zlib" and so on."""
    with search.open_index(index) as opened:
        found = set()
        for leaf, _ in opened._searcher.reader().leaf_readers():
            raw = leaf._perdoc._cached_reader("_stored", VarBytesColumn())
            for number in range(leaf.doc_count_all()):
                zstd = raw[number].startswith(b"\x28\xb5\x2f\xfd")
                found.add("stored: zstd" if zstd else "stored: zlib")
            for field, text in leaf._terms.terms():
                matcher = leaf.postings(field, text)
                if isinstance(matcher, NewsdexLeafMatcher) and matcher._compression:
                    zstd = matcher._compression == BLOCK_ZSTD
                    found.add("blocks: zstd" if zstd else "blocks: zlib")
        return found


def test_an_index_of_format_9_is_searched_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = many_pages(tmp_path / "pages")
    old = index_of_format_9(tmp_path / "old", pages, monkeypatch)
    assert compressions(old) == {"stored: zlib", "blocks: zlib"}
    new = tmp_path / "new"
    indexer.index_paths([SEEDS, pages], index=new)
    assert compressions(new) == {"stored: zstd", "blocks: zstd"}
    assert snapshot(old) == snapshot(new)
    with search.open_index(old) as in_old, search.open_index(new) as in_new:
        for query in ("zebras", "zebras lions", '"zebras and lions"', "Assad"):
            assert in_old.search(query, limit=500) == in_new.search(query, limit=500)
    assert json.loads((old / MARKER_FILE).read_text())["format"] == 9


def test_a_run_that_writes_to_a_format_9_index_marks_it_format_10(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = many_pages(tmp_path / "pages")
    old = index_of_format_9(tmp_path / "old", pages, monkeypatch)
    before = snapshot(old)
    many_pages(tmp_path / "more", "Giraffes")
    indexer.index_paths([SEEDS, pages, tmp_path / "more"], index=old)
    assert json.loads((old / MARKER_FILE).read_text())["format"] == FORMAT_VERSION == 10
    assert compressions(old) == {"stored: zlib", "blocks: zlib", "stored: zstd", "blocks: zstd"}
    hits, headlines, pages_indexed = snapshot(old)
    assert (hits, headlines, pages_indexed) == (before[0], before[1], before[2] + 300)
    with search.open_index(old) as opened:
        assert opened.search("lions", limit=1000).total == 600
        assert opened.search("zebras", limit=1000).total == 300


def test_an_index_of_an_unknown_format_is_rebuilt_when_asked(seeded_index: Path) -> None:
    (seeded_index / MARKER_FILE).write_text('{"format": 2}')
    report = indexer.index_paths([SEEDS], index=seeded_index, rebuild=True)
    assert report.pages_read == 1
    assert json.loads((seeded_index / MARKER_FILE).read_text())["format"] != 2
    assert snapshot(seeded_index)[2] == 1


def test_a_marked_folder_without_whoosh_files_is_reported_damaged(tmp_path: Path) -> None:
    folder = tmp_path / "marker-only"
    folder.mkdir()
    (folder / MARKER_FILE).write_text(json.dumps({"format": FORMAT_VERSION}))
    with pytest.raises(indexer.IndexDamaged, match="rebuild"):
        search.open_index(folder)
