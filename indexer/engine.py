"""The Whoosh side of indexing: the schema, records to documents and back, the writer.

This module, ``indexer/codec.py`` (the layout on disk), ``indexer/merge.py``
(merging segments) and ``search/engine.py`` are the only places that import
Whoosh, so the engine can be changed there without touching the rest of newsdex.

One index holds two sorts of document. Records (article, headline, footer)
are searched; each is content-addressed and written once, however many pages
carry it. Page documents remember each page file (or dumped page): its size,
modification time and hash, and the records it yielded, in an indexed
``records`` field, so a record's pages are found by a term lookup and a
record no page holds any more can be removed. Both are written in one commit.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import queue
import shutil
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import TermNotFound
from whoosh.writing import CLEAR, SegmentWriter

from indexer import __version__
from indexer.codec import CompactPositions, NewsdexCodec
from indexer.errors import (
    IndexDamaged,
    IndexLocked,
    IndexNotFound,
    IndexWriteFailed,
    NotAnIndex,
)
from indexer.ledger import RunLedger
from indexer.merge import BackgroundMerge, merge_policy
from indexer.pool import PostingsPool
from indexer.records import Article, Footer, Headline, Record, Source

FORMAT_VERSION = 6
"""Bump when the schema or the stored layout changes: old indexes must be rebuilt."""

MARKER_FILE = "newsdex.json"
INDEX_NAME = "MAIN"
"""Whoosh's name for the index in its folder: its files start with it."""
LOCK_FILE = f"{INDEX_NAME}_WRITELOCK"
"""Whoosh's write lock: an OS file lock, released when its process ends. The
file stays; it never means the index is locked, so it is never deleted."""
WRITER_FILE = "newsdex-writer.json"
"""Who holds the write lock (pid, start time), so a refused writer can say."""
OPEN_ATTEMPTS = 20
"""Opening retries when a commit removes the files it was about to read."""
PAGE_KIND = "page"
WRITER_POOL_MB = 512
"""The writers' postings pools (indexer.pool), shared out among the writer processes."""
PARALLEL_MIN_BYTES = 16 * 1024 * 1024


def _records_field() -> KEYWORD:
    """Record ids, comma-separated: found by lookup, never scored, so only
    whether a page has a record is kept (no frequency per posting)."""
    records = KEYWORD(commas=True, scorable=False)
    records.format = Existence()
    return records


def _text_field(analyzer: Any) -> TEXT:
    """A stored text field whose postings keep word positions, compactly."""
    field = TEXT(analyzer=analyzer, stored=True)
    field.format = CompactPositions()
    return field


def build_schema() -> Schema:
    """The fields of every document, records and pages alike."""
    stemming = StemmingAnalyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        kind=ID(stored=True),
        # Weighed against the body at query time (search.engine.TITLE_WEIGHT),
        # not here: an index-time boost would be baked into every posting.
        title=_text_field(stemming),
        body=_text_field(stemming),
        # Footers' text, apart: searches leave boilerplate out unless asked,
        # and a separate field does that at no cost per query.
        boilerplate=_text_field(stemming),
        # Whoosh drops time zones silently: always naive UTC in the index.
        published=DATETIME(stored=True, sortable=True),
        # Page documents only: the ids of the records the page yields, its
        # key (path or url) and its bookkeeping as JSON.
        records=_records_field(),
        page=STORED,
        data=STORED,
    )


@dataclass(frozen=True)
class PageEntry:
    """What the index remembers of one page, or of one dump file.

    ``container`` is the file the page was read from (the page file itself,
    or its dump): pages whose container lies under the paths of an index run
    and that the run no longer finds are removed.
    """

    key: str
    container: str
    size: int = 0
    mtime_ns: int = 0
    digest: str = ""
    records: tuple[tuple[str, int], ...] = ()
    """(record id, line) for each record the page yields."""
    skipped: str | None = None
    warnings: tuple[str, ...] = ()
    url: str | None = None
    timestamp: str | None = None
    is_dump: bool = False


def to_naive_utc(moment: datetime) -> datetime:
    """The form Whoosh stores: UTC, without tzinfo."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def record_to_document(record: Record) -> dict[str, Any]:
    """The stored and indexed fields of one record (its sources live on page documents)."""
    document: dict[str, Any] = {"id": record.id, "kind": record.kind}
    if isinstance(record, Headline):
        document["title"] = record.text
        document["published"] = to_naive_utc(record.published)
    elif isinstance(record, Article):
        document["title"] = record.title
        document["body"] = record.text
    else:
        document["boilerplate"] = record.text
    return document


def document_to_record(fields: dict[str, Any], sources: tuple[Source, ...] = ()) -> Record:
    """The record a stored document holds (inverse of :func:`record_to_document`)."""
    kind = fields["kind"]
    if kind == "headline":
        published = fields["published"].replace(tzinfo=UTC)
        return Headline(fields["title"], published, sources, id=fields["id"])
    if kind == "article":
        body = fields.get("body", "")
        paragraphs = tuple(body.split("\n\n")) if body else ()
        return Article(fields["title"], paragraphs, sources, id=fields["id"])
    lines = fields.get("boilerplate", "")
    return Footer(tuple(lines.split("\n")) if lines else (), sources, id=fields["id"])


def page_document_id(key: str) -> str:
    """A page document's id: short, as a page's key (a path or url) may be long."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8)
    return f"p-{digest.hexdigest()}"


def page_to_document(page: PageEntry) -> dict[str, Any]:
    # There is one page document per page (on 5,000 benchmark pages they
    # cost 10% of the build and 12% of the index), so it is kept small:
    # fields at their defaults are left out and the records are one string.
    # That saved 1.3% of the index; the rest is Whoosh's cost per document.
    data: dict[str, Any] = {
        "size": page.size,
        "mtime_ns": page.mtime_ns,
        "digest": page.digest,
        "records": " ".join(f"{record_id}:{line}" for record_id, line in page.records),
    }
    optional = {
        "container": page.container if page.container != page.key else None,
        "skipped": page.skipped,
        "warnings": list(page.warnings),
        "url": page.url,
        "timestamp": page.timestamp,
        "is_dump": page.is_dump,
    }
    data.update((name, value) for name, value in optional.items() if value)
    document: dict[str, Any] = {
        "id": page_document_id(page.key),
        "kind": PAGE_KIND,
        "page": page.key,
        "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    }
    if page.records:
        document["records"] = ",".join(record_id for record_id, _ in page.records)
    return document


def document_to_page(fields: dict[str, Any], *, with_records: bool = True) -> PageEntry:
    """The page a page document remembers; without its records if not asked for
    (splitting them up was a fifth of a re-index with nothing changed)."""
    data = json.loads(fields["data"])
    records = (pair.rsplit(":", 1) for pair in data["records"].split()) if with_records else ()
    return PageEntry(
        key=fields["page"],
        container=data.get("container") or fields["page"],
        size=data["size"],
        mtime_ns=data["mtime_ns"],
        digest=data["digest"],
        records=tuple((record_id, int(line)) for record_id, line in records),
        skipped=data.get("skipped"),
        warnings=tuple(data.get("warnings", ())),
        url=data.get("url"),
        timestamp=data.get("timestamp"),
        is_dump=data.get("is_dump", False),
    )


def pages_of(searcher: Any, record_id: str) -> Iterator[int]:
    """Document numbers of the (live) pages that yield the record.

    Read from the reader's postings, not through a query: that sets up a
    scorer for each segment, and took three times as long (127 against 40
    microseconds a record at 50,000 pages), for every hit shown.
    """
    reader = searcher.reader()
    try:
        postings = reader.postings("records", record_id)
    except TermNotFound:
        return iter(())
    return iter(postings.all_ids())


def open_storage(directory: Path, *, mmap: bool = False) -> whoosh_index.FileIndex:
    """Open an existing newsdex index, after checking it is one.

    Whoosh index files hold pickles, so a folder is only opened when it carries
    newsdex's marker with a format this version knows. With ``mmap`` Whoosh
    copies each segment's postings into memory when it opens (see
    ``search.open_index``); without it, opening takes milliseconds whatever
    the index's size.
    """
    check_marker(directory)
    storage = FileStorage(str(directory), supports_mmap=mmap)
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return storage.open_index(INDEX_NAME)
        except FileNotFoundError:
            # A commit replaced the generation between listing the folder and
            # opening its table of contents: the next look finds the new one.
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.01)
        except whoosh_index.EmptyIndexError as error:
            raise IndexDamaged(
                f"the index at {directory} has no table of contents",
                hint="rebuild it with `newsdex index --rebuild PATH...`",
            ) from error
        except (whoosh_index.IndexError, EOFError, struct.error, pickle.UnpicklingError) as error:
            raise IndexDamaged(
                f"the index at {directory} cannot be read: {error}",
                hint="rebuild it with `newsdex index --rebuild PATH...`",
            ) from error
    raise AssertionError("unreachable")  # pragma: no cover


def check_marker(directory: Path) -> None:
    marker = directory / MARKER_FILE
    if not marker.is_file():
        if not directory.exists() or (directory.is_dir() and not any(directory.iterdir())):
            raise IndexNotFound(f"no index at {directory}", hint="run `newsdex index` first")
        raise NotAnIndex(
            f"{directory} is not a newsdex index",
            hint="point --index or NEWSDEX_INDEX at a folder newsdex created",
        )
    try:
        version = json.loads(marker.read_text(encoding="utf-8"))["format"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NotAnIndex(f"{marker} is damaged: {error}") from error
    if version != FORMAT_VERSION:
        raise NotAnIndex(
            f"the index at {directory} has format {version}; "
            f"this newsdex reads format {FORMAT_VERSION}",
            hint="rebuild it with `newsdex index --rebuild PATH...`",
        )


def _write_marker(directory: Path) -> None:
    """Write the marker whole or not at all (a temporary file renamed over it)."""
    marker = {"format": FORMAT_VERSION, "created_by": f"newsdex {__version__}"}
    temporary = directory / f".{MARKER_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(marker) + "\n", encoding="utf-8")
    os.replace(temporary, directory / MARKER_FILE)


def _staging_prefix(directory: Path) -> str:
    return f".{directory.name}.creating-"


def _create(directory: Path) -> bool:
    """Create an empty index so that the folder appears complete or not at all.

    It is made in a hidden sibling folder and renamed into place: a run killed
    meanwhile leaves no half-made folder that later runs would refuse. When
    another process creates the index at the same moment, its index is used.
    Returns whether this process made the folder.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(directory)
    try:
        staging = Path(
            tempfile.mkdtemp(
                prefix=f"{_staging_prefix(directory)}{os.getpid()}-", dir=directory.parent
            )
        )
    except PermissionError:
        if not directory.is_dir():
            raise
        # An empty folder the user made, in a parent we may not write to.
        _create_in_place(directory)
        return False
    try:
        FileStorage(str(staging), supports_mmap=False).create_index(build_schema(), INDEX_NAME)
        _write_marker(staging)
        try:
            os.rename(staging, directory)  # also replaces an empty folder
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            return False  # another process created it first: it is used as it is
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned_staging(directory: Path) -> None:
    """Remove the staging folders of creations whose process is gone."""
    prefix = _staging_prefix(directory)
    for staging in directory.parent.glob(f"{prefix}*"):
        pid = staging.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and not _is_running(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as another user's process
        return True
    return True


def _create_in_place(directory: Path) -> None:
    """Create (or replace) the index inside ``directory``; the marker comes last."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    FileStorage(str(directory), supports_mmap=False).create_index(build_schema(), INDEX_NAME)
    _write_marker(directory)


def _open_for_writing(directory: Path, rebuild: bool) -> tuple[whoosh_index.FileIndex, bool]:
    """The index to write, and whether this process created its folder."""
    try:
        return open_storage(directory), False
    except IndexNotFound:
        created = _create(directory)
        return open_storage(directory), created
    except NotAnIndex:
        # Only an old newsdex index may be replaced, and only when asked to;
        # a folder newsdex did not make is never overwritten.
        if rebuild and (directory / MARKER_FILE).is_file():
            _create_in_place(directory)
            return open_storage(directory), False
        raise


def _lock_holder(directory: Path) -> str:
    """Who holds the index's write lock, as far as its writer file says."""
    try:
        holder = json.loads((directory / WRITER_FILE).read_text(encoding="utf-8"))
        pid, started = int(holder["pid"]), str(holder["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"
    if not _is_running(pid):  # it has just ended; the lock is free soon
        return "another process"
    return f"process {pid} (running since {started})"


def _write_holder(directory: Path) -> None:
    """Name this process as the lock holder, for writers that are refused."""
    started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    holder = json.dumps({"pid": os.getpid(), "started": started}) + "\n"
    descriptor = os.open(directory / WRITER_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, holder.encode("utf-8"))
    finally:
        os.close(descriptor)


def _remove_leftovers(index: whoosh_index.FileIndex) -> None:
    """Delete what killed or failed writers left: files no commit refers to.

    Only called with the write lock held. Searchers never need these files:
    they read the segments of the latest table of contents, which stay.
    """
    toc = index._read_toc()
    whoosh_index.clean_files(index.storage, INDEX_NAME, toc.generation, toc.segments)
    for name in index.storage.list():
        # Tables of contents are written to a temporary name, then renamed.
        if name.startswith(f"_{INDEX_NAME}_") and ".toc." in name:
            index.storage.delete_file(name)


def _use_newsdex_pool(writer: SegmentWriter, limitmb: float) -> None:
    """Give a Whoosh writer newsdex's postings pool in place of Whoosh's (see indexer.pool)."""
    writer.pool = PostingsPool(writer.storage.folder, int(limitmb * 1024 * 1024))


class _PooledSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's writer, pooling postings with :class:`PostingsPool`."""

    def __init__(self, index: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(index, limitmb=limitmb, **kwargs)
        _use_newsdex_pool(self, limitmb)


class _SubWriterTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's sub-writer loop (multisegment only), with :class:`_PooledSegmentWriter`."""

    def run(self) -> None:
        if not self.multisegment:
            raise ValueError("newsdex's sub-writers each leave a segment of their own")
        index = self.storage.open_index(self.indexname)
        writer = self.writer = _PooledSegmentWriter(index, _lk=False, **self.kwargs)
        while (job := self.jobqueue.get()) is not None:
            self._process_file(*job)
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


def end_with_parent() -> None:
    """Make this (spawned) process end when the newsdex process that started it
    ends, however that ends: killed, it could not tell its children."""
    parent = multiprocessing.parent_process()
    if parent is not None:

        def wait_then_exit() -> None:
            parent.join()
            os._exit(1)

        threading.Thread(target=wait_then_exit, daemon=True).start()


def _watch_parent_then_run_subwriter(*args: Any) -> None:
    """A sub-writer process that ends when the newsdex process that started it ends.

    Whoosh's sub-writers wait on their job queue forever: if the parent is
    killed, they would live on (and, forked, hold the write lock).
    """
    end_with_parent()
    _SubWriterTask(*args).run()


QUEUE_WAIT_SECONDS = 1.0
"""How long a full job queue is waited on before the writer processes are
checked for life."""


class _WatchedQueue:
    """The writer processes' job queue, as the parent puts jobs on it: a queue
    that no live process empties fails the run instead of blocking forever.

    Whoosh's queue holds eight jobs and its parent puts each without a time
    limit, so writer processes that stopped (killed, or unable to start)
    left the run waiting for good.
    """

    def __init__(self, jobs: Any, tasks: list[Any]) -> None:
        self._jobs = jobs
        self._tasks = tasks

    def put(self, job: Any) -> None:
        while True:
            try:
                self._jobs.put(job, timeout=QUEUE_WAIT_SECONDS)
                return
            except queue.Full:
                if not any(task.is_alive() for task in self._tasks):
                    raise OSError(errno.ECHILD, "the writer processes stopped") from None


def _can_spawn() -> bool:
    """Whether spawned writer processes can start. Each imports the program's
    main module again, from its file: a program read from standard input
    (``python - <<EOF``) has none, and every process would die at start-up."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return True  # run as a module (`python -m`): imported by name
    path = getattr(main, "__file__", None)
    return path is None or os.path.isfile(path)


class _SubprocessWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer, with sub-writers that never outlive newsdex,
    newsdex's postings pool in each, and a job queue that cannot hang the run."""

    jobqueue: Any  # Whoosh's queue, then the watched one the parent puts jobs on

    def __init__(self, index: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(index, limitmb=limitmb, **kwargs)
        _use_newsdex_pool(self, limitmb)
        self._jobs = self.jobqueue
        self.jobqueue = _WatchedQueue(self._jobs, self.tasks)

    def _new_task(self) -> Any:
        arguments = (
            self.storage,
            self.indexname,
            self._jobs,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task = self._mpctx.Process(target=_watch_parent_then_run_subwriter, args=arguments)
        self.tasks.append(task)
        task.start()
        return task

    def _commit_toc(self, segments: Any) -> None:
        # Whoosh commits whatever segments its sub-writers handed back: one
        # that died (a full disk, the out-of-memory killer) would leave its
        # documents out of a committed index. Refused here, before the new
        # table of contents is written, so the last commit stands.
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if failed:
            raise OSError(errno.ECHILD, f"a writer process failed (exit status {failed[0]})")
        super()._commit_toc(segments)

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                task.terminate()
                task.join()
        finally:
            SegmentWriter.cancel(self)


def _close_files_left_open(error: OSError) -> None:
    """Close the files a failed Whoosh commit left open, so their space is freed.

    Whoosh does not close the file it was writing when a write fails; only
    the failed call's frames, kept by the traceback, still refer to it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        error.__traceback__ = None
        gc.collect()


def _write_error(directory: Path, error: OSError) -> IndexWriteFailed:
    """A disk error while writing, said in one line with what to do."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some disk space, then run again"
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "make the folder writable, or give another with --index"
    elif error.errno == errno.ECHILD:  # newsdex's own: its writer processes
        hint = "one may have been killed (out of memory?); run again"
    else:
        hint = "fix the disk problem, then run again"
    return IndexWriteFailed(
        f"cannot write the index at {directory}: {reason}; the index is unchanged",
        hint=hint,
    )


@dataclass
class IndexSession:
    """One index run's writer: learn what the index knows, change it, commit once.

    Nothing is visible to searchers before :meth:`commit`; :meth:`cancel` (or
    a crash) leaves the index as it was. With ``rebuild`` the commit replaces
    everything, so searches see the old index until the new one is complete.
    A disk error while writing raises :class:`IndexWriteFailed`, with the
    index left as it was.
    """

    directory: Path
    rebuild: bool = False
    wait_seconds: float = 5.0
    input_bytes: int = 0
    """How much the run will read (at least): large first builds use two processes."""
    ledger: RunLedger = field(default_factory=RunLedger)
    """The pages and records this run has met (on disk: memory stays flat)."""
    _replaced_pages: set[int] = field(default_factory=set)
    _merge: BackgroundMerge | None = None

    def __post_init__(self) -> None:
        try:
            self._start()
        except BaseException:
            self.ledger.close()
            raise

    def _start(self) -> None:
        try:
            # An index folder this run creates is removed again if the run
            # is cancelled: a failed first run leaves nothing behind.
            self._index, self._created_folder = _open_for_writing(self.directory, self.rebuild)
            self._lock = self._acquire_lock()
        except OSError as error:
            raise _write_error(self.directory, error) from error
        try:
            # Only now, with the lock held, is what the index holds read: a
            # run that waited for another sees what that one committed.
            _remove_leftovers(self._index)
            self._writer = self._open_writer()
        except OSError as error:
            self._lock.release()
            raise _write_error(self.directory, error) from error
        except BaseException:
            self._lock.release()
            raise

    def _acquire_lock(self) -> Any:
        lock = self._index.storage.lock(LOCK_FILE)
        deadline = time.monotonic() + self.wait_seconds
        while not lock.acquire():
            if time.monotonic() >= deadline:
                holder = _lock_holder(self.directory)
                raise IndexLocked(
                    f"the index at {self.directory} is being written by another process: "
                    f"{holder} holds its lock {self.directory / LOCK_FILE}",
                    hint="wait for it to finish, or give --wait more seconds; "
                    "never delete the lock file, it frees itself when its process ends",
                )
            time.sleep(0.05)
        try:
            _write_holder(self.directory)
        except BaseException:
            lock.release()
            raise
        return lock

    def _open_writer(self) -> Any:
        """Whoosh's writer, without its own locking (the session holds the lock)."""
        self._searcher = self._index.searcher()
        self._documents_before = 0 if self.rebuild else int(self._searcher.doc_count())
        self._empty = self._documents_before == 0
        self._added = self._deleted = 0
        try:
            large = self._empty and self.input_bytes >= PARALLEL_MIN_BYTES
            if large and (os.cpu_count() or 1) > 1 and _can_spawn():
                # Two processes analyse documents side by side (1.9x faster on
                # 5,000 pages, 2 cores), each leaving its own segment. Only for
                # large first builds: a small run would mostly pay start-up,
                # and each addition would leave two segments where one does
                # (Whoosh never merges segments that large, and each one
                # slows every query).
                # Spawned, not forked: a forked child would hold the write lock.
                return _SubprocessWriter(
                    self._index,
                    procs=2,
                    multisegment=True,
                    start_method="spawn",
                    subargs={"limitmb": WRITER_POOL_MB // 2, "codec": NewsdexCodec()},
                    limitmb=WRITER_POOL_MB // 2,
                    codec=NewsdexCodec(),
                    _lk=False,
                )
            writer = _PooledSegmentWriter(
                self._index, limitmb=WRITER_POOL_MB, codec=NewsdexCodec(), _lk=False
            )
            if not self._empty and (os.cpu_count() or 1) > 1 and _can_spawn():
                # An addition runs in one process: segments it piles up are
                # merged on the other core meanwhile (see indexer.merge).
                self._merge = BackgroundMerge(
                    self._index.storage, writer.schema, INDEX_NAME, writer.segments
                )
            return writer
        except BaseException:
            self._searcher.close()
            raise

    def known_pages(self) -> dict[str, PageEntry]:
        """Every page (and dump) the index knows, by key, without the records
        each holds (the session reads those when it needs them); none when
        rebuilding."""
        if self._empty:
            return {}
        return {
            fields["page"]: document_to_page(fields, with_records=False)
            for fields in self._searcher.documents(kind=PAGE_KIND)
        }

    def put_page(self, page: PageEntry, records: Iterable[Record]) -> None:
        """Record a page read in this run, and write the records not yet indexed."""
        with self._disk_errors():
            self._forget_page(page.key)
            for record in records:
                # Written by the first page of the run that holds it, unless
                # the index has it already.
                if self.ledger.meet_record(record.id, record.kind) and not self._indexed(record.id):
                    self._add(record_to_document(record))
            self._add(page_to_document(page))

    def keep_page(self, key: str, mtime_ns: int) -> None:
        """A page file touched, its content unchanged: remember its new time."""
        with self._disk_errors():
            number = self._searcher.document_number(id=page_document_id(key))
            if number is None:
                raise KeyError(f"the index has no page {key}")
            page = document_to_page(self._searcher.stored_fields(number))
            self._forget_page(key, orphans=False)
            self.ledger.keep_records(record_id for record_id, _ in page.records)
            self._add(page_to_document(replace(page, mtime_ns=mtime_ns)))

    def remove_page(self, page: PageEntry) -> None:
        """A page gone from the indexed paths: it and its last-held records go."""
        with self._disk_errors():
            self._forget_page(page.key)

    def commit(self) -> int:
        """Make the run visible: remove records no page holds, then commit.

        Returns the number of documents in the index afterwards.
        """
        try:
            with self._disk_errors():
                for record_id in self.ledger.unmet_orphan_candidates():
                    surviving = (
                        number
                        for number in pages_of(self._searcher, record_id)
                        if number not in self._replaced_pages
                    )
                    if next(surviving, None) is None:
                        self._delete(record_id)
        except BaseException:
            self.cancel()
            raise
        try:
            self._searcher.close()
            failure: OSError | None = None
            try:
                if self.rebuild:
                    self._writer.commit(mergetype=CLEAR)
                else:
                    # Additions each leave a segment: newsdex's policy merges
                    # them as they pile up, where Whoosh's would never.
                    policy = merge_policy if self._merge is None else self._merge.policy
                    self._writer.commit(mergetype=policy)
            except OSError as error:
                failure = error
            if failure is not None:
                # The new table of contents was never renamed into place, so
                # the last commit still stands. Whoosh's writer is done with;
                # cancelled, it closes the files of a commit that stopped
                # before writing them (writer processes that stopped).
                writer, self._writer = self._writer, None
                with contextlib.suppress(Exception):
                    writer.cancel()
                self._stop_merge()
                del writer
                _close_files_left_open(failure)
                self._remove_leftovers_quietly()
                raise _write_error(self.directory, failure) from failure
            with self._index.searcher() as searcher:
                documents = int(searcher.doc_count())
        finally:
            self.ledger.close()
            self._lock.release()
            self._index.close()
        expected = self._documents_before + self._added - self._deleted
        if documents != expected:
            # Whoosh's multi-process writer has lost documents silently before
            # (mchaput/whoosh#35): never let that pass unnoticed.
            raise IndexDamaged(
                f"the index holds {documents} documents after this run, not {expected}",
                hint="rebuild it with `newsdex index --rebuild PATH...`",
            )
        return documents

    def cancel(self) -> None:
        """Leave the index as it was (or not there at all, if this run made it)."""
        try:
            self._searcher.close()
            self._stop_merge()
            self._writer.cancel()
            self._remove_leftovers_quietly()
        finally:
            try:
                # Not if another run committed to it while this one waited.
                if self._created_folder and self._index.latest_generation() == 0:
                    shutil.rmtree(self.directory, ignore_errors=True)
            finally:
                self.ledger.close()
                self._lock.release()
                self._index.close()

    def _stop_merge(self) -> None:
        if self._merge is not None:
            self._merge.stop()

    def _remove_leftovers_quietly(self) -> None:
        """Free the space a failed run took; a later run retries what fails here."""
        with contextlib.suppress(OSError):
            _remove_leftovers(self._index)

    @contextlib.contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """Report a failing disk as :class:`IndexWriteFailed`, with what to do."""
        try:
            yield
        except OSError as error:
            raise _write_error(self.directory, error) from error

    def _indexed(self, record_id: str) -> bool:
        """Whether the committed index holds the record."""
        if self._empty or ("id", record_id) not in self._searcher.reader():
            # Most records of a new page are new, and the term dictionary says
            # so without reading postings (a deleted record's id stays in it).
            return False
        return self._searcher.document_number(id=record_id) is not None

    def _forget_page(self, key: str, *, orphans: bool = True) -> None:
        """Delete a page's document; its records become candidates for removal."""
        if self._empty:
            return
        number = self._searcher.document_number(id=page_document_id(key))
        if number is None:
            return
        if orphans:
            old = document_to_page(self._searcher.stored_fields(number))
            self.ledger.add_orphan_candidates(record_id for record_id, _ in old.records)
        self._replaced_pages.add(number)
        self._delete(page_document_id(key))

    def _add(self, document: dict[str, Any]) -> None:
        self._writer.add_document(**document)
        self._added += 1

    def _delete(self, document_id: str) -> None:
        """Delete a document that the committed index holds (ids are unique)."""
        self._writer.delete_by_term("id", document_id)
        self._deleted += 1
