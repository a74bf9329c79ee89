"""A sharded index run on Dask: pages split on the workers, records shuffled to
shards by id, each shard written by one task, committed by the manifest.

The run goes as an index run of one index (``indexer.run``), spread out:

1. This process takes the index's write lock, learns the pages the shards
   know, walks the paths and decides, file by file, what an index run
   decides without reading (unchanged files, skips, vanished pages).
2. The files to read go to the workers as the partitions of a Dask bag;
   each partition is read and split there by the same ``IndexRun`` code, its
   decisions recorded (:class:`_Recorder`) instead of written.
3. Each partition's pages are cut up by shard: a record goes to the shard
   its id hashes to (``indexer.manifest.shard_of``), with the part of its
   page's bookkeeping that lists it. That is the shuffle: one task per
   shard then gathers its pieces from every partition, so a headline read
   by several workers meets itself in one shard, with all its pages.
4. Each shard is written by one task, through an ``IndexSession`` (the
   codec, the pool, sites, orphan removal and merges of one index), into a
   new folder: hard links to the shard's last files, then one commit.
5. When every shard is written, the manifest naming the new folders
   replaces the old one (the commit), and the old folders are removed.

Killed at any moment, the manifest still names the folders of the last run,
which no run changes. Dask is imported here only, and only when a sharded
run starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer import lock
from indexer.dask_cluster import connected, is_dask_failure, one_line
from indexer.errors import (
    IndexNotFound,
    IndexWriteFailed,
    NewsdexError,
    NotAnIndex,
    NothingIndexed,
)
from indexer.limits import MAX_PAGE_BYTES
from indexer.location import bundled_seeds
from indexer.manifest import (
    MANIFEST_FILE,
    MAX_SHARDS,
    SHARD_PREFIX,
    Manifest,
    home_shard,
    read_manifest,
    shard_folder_name,
    shard_of,
    write_manifest,
)
from indexer.pages import DumpFields, InputFile, Page, find_inputs
from indexer.records import KINDS, Kind, Record
from indexer.report import IndexReport, PageWarning, Skipped
from indexer.run import IndexRun, PathLike, Progress
from indexer.sites import site_name
from indexer.storage import (
    INDEX_NAME,
    PageEntry,
    check_marker,
    document_to_page,
    page_documents,
)

if TYPE_CHECKING:
    from distributed import Client

SYNC = "sync"
"""The scheduler that runs every task in this process: no cluster (tests, debugging)."""
PARTITIONS_PER_WORKER = 4
"""Input partitions per worker: enough to keep every worker busy to the end."""
TASK_RETRIES = 2
"""Times Dask runs a task again whose worker died, before the run fails."""
KEEP_FILES = (lock.LOCK_FILE, lock.WRITER_FILE)
"""Files of a shard folder a new run does not take over (each folder has its own)."""


Order = tuple[int, int]
"""Where a page comes in the run: its file's place in the walk, its place in the file."""


@dataclass
class _MetPages:
    """The pages a partition (or this process) has met: a ``PagesMet`` in memory."""

    keys: set[str] = field(default_factory=set)

    def meet_page(self, key: str) -> bool:
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def meet_pages(self, keys: Iterable[str]) -> None:
        self.keys.update(keys)

    def pages_not_met(self, keys: Iterable[str]) -> Iterator[str]:
        return (key for key in keys if key not in self.keys)


@dataclass
class _Put:
    """A page read (or skipped) in this run, with its records."""

    order: Order
    page: PageEntry
    records: tuple[Record, ...]
    where: str | None = None
    """A dumped page's line (``dump:line``), to name it if another partition read it first."""


@dataclass
class _Recorder:
    """A ``RunSession`` that records an index run's decisions, for the shards."""

    ledger: _MetPages = field(default_factory=_MetPages)
    puts: list[_Put] = field(default_factory=list)
    kept: list[tuple[str, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    file_order: int = 0
    _where: str | None = None

    def put_page(self, page: PageEntry, records: Iterable[Record]) -> None:
        order = (self.file_order, len(self.puts))
        self.puts.append(_Put(order, page, tuple(records), self._where))
        self._where = None

    def keep_page(self, key: str, mtime_ns: int) -> None:
        self.kept.append((key, mtime_ns))

    def remove_page(self, page: PageEntry) -> None:
        self.removed.append(page.key)

    def indexing(self, page: Page) -> None:
        self._where = page.line


@dataclass
class _Partition:
    """What one partition of the input made: its pages and tallies."""

    puts: list[_Put]
    kept: list[tuple[str, int]]
    read: int
    unchanged: int
    skipped: list[Skipped]
    warnings: list[PageWarning]
    met: set[str]
    """Every page key the partition met (dumped pages included)."""
    size: int


@dataclass(frozen=True)
class _Summary:
    """A partition without its pages: what this process needs to know of it."""

    read: int
    unchanged: int
    skipped: list[Skipped]
    warnings: list[PageWarning]
    met: set[str]
    size: int


@dataclass
class _ShardWork:
    """What one shard gets of one partition: page parts with their records,
    pages to forget, touched pages to keep."""

    puts: list[_Put] = field(default_factory=list)
    forget: set[str] = field(default_factory=set)
    kept: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _ShardResult:
    number: int
    folder: str
    records: dict[Kind, int]
    documents: int


@dataclass(frozen=True)
class _FileToRead:
    order: int
    found: InputFile
    known: dict[str, PageEntry]
    """What the index knows of the file's pages (a page file's own entry, a dump's pages)."""


# --- on the workers ----------------------------------------------------------


def _read_files(
    files: Sequence[_FileToRead], fields: DumpFields, max_page_bytes: int, site: str | None
) -> list[_Partition]:
    """Read and split one partition's files, as an index run does (a Dask task)."""
    recorder = _Recorder()
    run = IndexRun(recorder, {}, fields, max_page_bytes, site, on_index=recorder.indexing)
    for item in files:
        run.known, run._by_dump = item.known, None
        recorder.file_order = item.order
        run.take(item.found)
    size = sum(item.found.size for item in files)
    partition = _Partition(
        recorder.puts,
        recorder.kept,
        run.read,
        run.unchanged,
        run.skipped,
        run.warnings,
        recorder.ledger.keys,
        size,
    )
    return [partition]


def _summarize(partitions: list[_Partition]) -> _Summary:
    (partition,) = partitions
    return _Summary(
        partition.read,
        partition.unchanged,
        partition.skipped,
        partition.warnings,
        partition.met,
        partition.size,
    )


def _route(
    partitions: list[_Partition] | _Partition,
    count: int,
    read_before: frozenset[str],
    fresh: bool = False,
) -> list[_ShardWork]:
    """Cut a partition's pages up by shard (the shuffle's first half, a Dask task).

    ``read_before``: dumped pages an earlier partition read; here they are
    duplicates, skipped as one index run skips them. ``fresh``: the shards
    start empty, so no shard has anything of a page to forget.
    """
    partition = partitions[0] if isinstance(partitions, list) else partitions
    works = [_ShardWork() for _ in range(count)]
    for put in partition.puts:
        page = put.page
        if page.key in read_before and put.records is not None and page.skipped is None:
            where = put.where or page.key
            reason = f"duplicate of a page read before ({page.key})"
            put = _Put(put.order, PageEntry(where, page.container, skipped=reason), ())
            page = put.page
        by_shard: dict[int, list[Record]] = {home_shard(page.key, count): []}
        for record in put.records:
            by_shard.setdefault(shard_of(record.id, count), []).append(record)
        home = home_shard(page.key, count)
        for number, records in by_shard.items():
            ids = {record.id for record in records}
            part = dataclasses.replace(
                page,
                records=tuple(pair for pair in page.records if pair[0] in ids),
                part=number != home,
            )
            works[number].puts.append(_Put(put.order, part, tuple(records)))
        # The shards without a part of the page forget what they had of it.
        for number in range(count if not fresh else 0):
            if number not in by_shard:
                works[number].forget.add(page.key)
    for number in range(count):
        works[number].kept.extend(partition.kept)
    return works


def _tally(partitions: list[_Partition], read_before: frozenset[str]) -> _Summary:
    """The partition's tallies with the dumped pages ``read_before`` counted as
    skipped, as duplicates (a Dask task, for the rare partition that has some)."""
    (partition,) = partitions
    again = [put for put in partition.puts if put.page.key in read_before]
    skipped = [
        Skipped(put.where or put.page.key, f"duplicate of a page read before ({put.page.key})")
        for put in again
        if put.page.skipped is None
    ]
    keys = {put.page.key for put in again}
    return _Summary(
        partition.read - len(skipped),
        partition.unchanged,
        partition.skipped + skipped,
        [warning for warning in partition.warnings if warning.path not in keys],
        partition.met,
        partition.size,
    )


def _write_shard(
    directory: str,
    number: int,
    generation: int,
    base: str | None,
    removed: Sequence[str],
    works: Sequence[_ShardWork],
) -> _ShardResult:
    """Write one shard into a new folder, from its last folder ``base`` and the
    run's pieces for it (the shuffle's second half, a Dask task)."""
    from indexer.session import IndexSession

    folder = shard_folder_name(number, generation)
    target = Path(directory) / folder
    if target.exists():
        shutil.rmtree(target)  # an earlier attempt at this task, which died
    if base is not None:
        _linked_copy(Path(directory) / base, target)
    puts = sorted((put for work in works for put in work.puts), key=operator.attrgetter("order"))
    forget = set(removed).union(*(work.forget for work in works))
    kept = {key: mtime for work in works for key, mtime in work.kept}
    with IndexSession(target, wait_seconds=0, processes_beside=False) as session:
        for key in sorted(forget):
            session.remove_page(PageEntry(key, key))
        for key, mtime in kept.items():
            with contextlib.suppress(KeyError):  # the page has no part in this shard
                session.keep_page(key, mtime)
        for put in puts:
            session.put_page(put.page, put.records)
        records = session.ledger.records_by_kind()
    return _ShardResult(number, folder, records, session.documents or 0)


def _linked_copy(source: Path, target: Path) -> None:
    """A shard folder's files, as hard links (copies where links fail), in a new
    folder: the new run's commit replaces files, never changes one in place,
    so the old folder stays as the manifest knows it."""
    staging = target.with_name(f".{target.name}.copying")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    for path in source.iterdir():
        if path.name in KEEP_FILES or not path.is_file():
            continue
        try:
            os.link(path, staging / path.name)
        except OSError:
            shutil.copy2(path, staging / path.name)
    os.rename(staging, target)


# --- in this process ----------------------------------------------------------


def index_sharded(
    paths: Sequence[PathLike],
    *,
    directory: Path,
    shards: int | None,
    scheduler: str | None,
    rebuild: bool = False,
    wait_seconds: float = 5.0,
    fields: DumpFields | None = None,
    site: str | None = None,
    max_page_bytes: int = MAX_PAGE_BYTES,
    progress: Progress | None = None,
) -> IndexReport:
    """Build or update a sharded index (see ``indexer.index_paths``)."""
    if shards is not None and not 1 <= shards <= MAX_SHARDS:
        raise NewsdexError(f"--shards must be 1 to {MAX_SHARDS:,}, not {shards}")
    site = site_name(site) if site is not None else None
    roots = [Path(os.path.abspath(path)) for path in paths] or [bundled_seeds()]
    created = _prepare(directory, rebuild)
    from whoosh.filedb.filestore import FileStorage

    waiting = progress.waiting if progress is not None else None
    try:
        held = lock.acquire(FileStorage(str(directory)), directory, wait_seconds, waiting)
    except BaseException:
        _remove_if_created(directory, created)
        raise
    committed = False
    try:
        manifest = read_manifest(directory)
        count = _shard_count(directory, manifest, shards, rebuild)
        _remove_abandoned(directory, manifest)
        base = None if rebuild else manifest
        generation = (manifest.generation if manifest is not None else 0) + 1
        run = _ShardedRun(directory, roots, base, count, generation, progress)
        with _dask(scheduler) as engine:
            report = run.go(engine, fields or DumpFields(), max_page_bytes, site)
        write_manifest(directory, Manifest(generation, run.folders))
        committed = True
        _remove_old(directory, run.folders)
        return report
    finally:
        if not committed:
            _remove_generation(directory, manifest_generation(directory) + 1)
            _remove_if_created(directory, created)
        held.release()


def manifest_generation(directory: Path) -> int:
    manifest = read_manifest(directory) if directory.is_dir() else None
    return manifest.generation if manifest is not None else 0


def _prepare(directory: Path, rebuild: bool) -> bool:
    """Make sure the folder is a newsdex index (an empty one is made whole or
    not at all); whether this run created it."""
    from indexer.creation import open_for_writing

    try:
        check_marker(directory)
        return False
    except IndexNotFound:
        pass
    except NotAnIndex:
        if not (rebuild and (directory / "newsdex.json").is_file()):
            raise
    try:
        index, created = open_for_writing(directory, rebuild)
    except OSError as error:
        raise IndexWriteFailed(f"cannot create the index at {directory}: {error}") from error
    index.close()
    return created


def _shard_count(
    directory: Path, manifest: Manifest | None, shards: int | None, rebuild: bool
) -> int:
    if manifest is not None:
        if shards is None or shards == manifest.count or rebuild:
            return shards or manifest.count
        raise NewsdexError(
            f"the index at {directory} has {manifest.count} shards, not {shards}",
            hint=f"add --rebuild to rebuild it with {shards} shards",
        )
    if shards is None:
        raise NewsdexError(
            f"the index at {directory} is not sharded", hint="give --shards N to shard it"
        )
    if not rebuild and any(directory.glob(f"_{INDEX_NAME}_*.toc")):
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(str(directory))
        with storage.open_index(INDEX_NAME).searcher() as searcher:
            if searcher.doc_count():
                raise NewsdexError(
                    f"the index at {directory} is one index, not sharded",
                    hint=f"add --rebuild to rebuild it as {shards} shards",
                )
    return shards


def _remove_abandoned(directory: Path, manifest: Manifest | None) -> None:
    """Remove shard folders no manifest names: those of runs that were killed."""
    named = set(manifest.shards) if manifest is not None else set()
    for path in directory.iterdir():
        if path.name.startswith((SHARD_PREFIX, f".{SHARD_PREFIX}")) and path.name not in named:
            shutil.rmtree(path, ignore_errors=True)


def _remove_old(directory: Path, folders: Sequence[str]) -> None:
    """After the commit: the folders of earlier runs, and the files of the one
    index the folder held before it was sharded (the lock file stays)."""
    _remove_abandoned(directory, Manifest(0, tuple(folders)))
    for path in directory.iterdir():
        old_index = path.name.startswith((f"_{INDEX_NAME}_", f"{INDEX_NAME}_"))
        if old_index and path.name != lock.LOCK_FILE and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()


def _remove_generation(directory: Path, generation: int) -> None:
    if not directory.is_dir():
        return
    suffix = f".g{generation}"
    for path in directory.iterdir():
        if path.name.startswith((SHARD_PREFIX, f".{SHARD_PREFIX}")) and suffix in path.name:
            shutil.rmtree(path, ignore_errors=True)


def _remove_if_created(directory: Path, created: bool) -> None:
    if created and not (directory / MANIFEST_FILE).exists():
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class _ShardedRun:
    """One sharded index run, as this process drives it."""

    directory: Path
    roots: list[Path]
    base: Manifest | None
    count: int
    generation: int
    progress: Progress | None
    folders: tuple[str, ...] = ()

    def known_pages(self) -> dict[str, PageEntry]:
        """Every page the shards know, from its home part (without records)."""
        from indexer.storage import open_storage

        known: dict[str, PageEntry] = {}
        for folder in self.base.shards if self.base is not None else ():
            index = open_storage(self.directory / folder)
            try:
                with index.searcher() as searcher:
                    for fields in page_documents(searcher):
                        page = document_to_page(fields, with_records=False)
                        if not page.part:
                            known[page.key] = page
            finally:
                index.close()
        return known

    def go(
        self, engine: _Engine, fields: DumpFields, max_page_bytes: int, site: str | None
    ) -> IndexReport:
        known = self.known_pages()
        here = _Recorder()
        run = IndexRun(here, known, fields, max_page_bytes, site, deferred=[])
        to_read: list[_FileToRead] = []
        total = sum(f.size for f in find_inputs(self.roots) if isinstance(f, InputFile))
        done = 0
        by_dump = _pages_by_dump(known)
        for order, found in enumerate(find_inputs(self.roots)):
            here.file_order = order
            waiting = len(run.deferred or ())
            run.take(found)
            if len(run.deferred or ()) > waiting:
                assert isinstance(found, InputFile)
                entries = {key: known[key] for key in by_dump.get(found.path, ())}
                if found.path in known:
                    entries[found.path] = known[found.path]
                to_read.append(_FileToRead(order, found, entries))
            elif isinstance(found, InputFile):
                done += found.size
                if self.progress is not None:
                    self.progress.reading(done, total)
        partitions = engine.read(to_read, fields, max_page_bytes, site, done, total, self.progress)
        summaries = engine.gather([engine.submit(_summarize, part) for part in partitions])
        read_before = _read_before(summaries)
        for summary in summaries:
            here.ledger.meet_pages(summary.met)
        run.remove_vanished(self.roots)
        tallies = list(summaries)
        for number, before in enumerate(read_before):
            if before:
                tallies[number] = engine.gather(
                    [engine.submit(_tally, partitions[number], before)]
                )[0]
        read = sum(t.read for t in tallies)
        unchanged = run.unchanged + sum(t.unchanged for t in tallies)
        skipped = [*run.skipped, *(skip for t in tallies for skip in t.skipped)]
        warnings = [warning for t in tallies for warning in t.warnings]
        if read == 0 and unchanged == 0 and run.removed == 0:
            where = ", ".join(str(root) for root in self.roots)
            report = IndexReport(self.directory, 0, {}, tuple(skipped))
            raise NothingIndexed(report, f"no readable page found in {where}")
        if self.progress is not None:
            self.progress.committing()
        local = _Partition(here.puts, here.kept, 0, 0, [], [], set(), 0)
        fresh = self.base is None
        routed = [engine.submit(_route, local, self.count, frozenset(), fresh)]
        routed += [
            engine.submit(_route, part, self.count, before, fresh)
            for part, before in zip(partitions, read_before, strict=True)
        ]
        writers = []
        for number in range(self.count):
            pieces = [engine.submit(operator.getitem, works, number) for works in routed]
            base = self.base.shards[number] if self.base is not None else None
            writers.append(
                engine.submit_spread(
                    number,
                    _write_shard,
                    str(self.directory),
                    number,
                    self.generation,
                    base,
                    tuple(here.removed),
                    pieces,
                )
            )
        results: list[_ShardResult] = engine.gather(writers)
        self.folders = tuple(result.folder for result in results)
        records: Counter[Kind] = Counter()
        for result in results:
            records.update(result.records)
        return IndexReport(
            self.directory,
            read,
            {kind: records[kind] for kind in KINDS if records[kind]},
            tuple(skipped),
            tuple(warnings),
            unchanged,
            run.removed,
            sum(result.documents for result in results),
        )


def _pages_by_dump(known: dict[str, PageEntry]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in known.values():
        if page.container != page.key:
            found.setdefault(page.container, []).append(page.key)
    return found


def _read_before(summaries: Sequence[_Summary]) -> list[frozenset[str]]:
    """For each partition, the page keys an earlier partition met: read there first."""
    seen: set[str] = set()
    before = []
    for summary in summaries:
        before.append(frozenset(summary.met & seen))
        seen |= summary.met
    return before


# --- Dask ------------------------------------------------------------------------


class _Engine:
    """Runs the tasks of a sharded run: on a Dask cluster, or here (``sync``)."""

    def __init__(self, client: Client | None) -> None:
        self.client = client

    def read(
        self,
        files: list[_FileToRead],
        fields: DumpFields,
        max_page_bytes: int,
        site: str | None,
        done: int,
        total: int,
        progress: Progress | None,
    ) -> list[Any]:
        """The files read and split as the partitions of a Dask bag; the
        partitions, as futures (or values, here), in order."""
        import dask.bag

        if not files:
            return []
        workers = len(self.client.scheduler_info()["workers"]) if self.client else 1
        partitions = max(1, min(len(files), PARTITIONS_PER_WORKER * max(workers, 1)))
        bag = dask.bag.from_sequence(files, npartitions=partitions)
        split = bag.map_partitions(_read_files, fields, max_page_bytes, site)
        delayed = split.to_delayed()
        if self.client is None:
            values = []
            for part in delayed:
                value = part.compute(scheduler=SYNC)
                values.append(value)
                done += value[0].size
                if progress is not None:
                    progress.reading(done, total)
            return values
        from distributed import as_completed

        futures = self.client.compute(delayed, retries=TASK_RETRIES)
        for finished in as_completed(futures):
            done += self.client.submit(_partition_size, finished).result()
            if progress is not None:
                progress.reading(done, total)
        return list(futures)

    def submit(self, function: Callable[..., Any], *arguments: Any) -> Any:
        if self.client is None:
            return function(*arguments)
        return self.client.submit(function, *arguments, retries=TASK_RETRIES, pure=False)

    def submit_spread(self, number: int, function: Callable[..., Any], *arguments: Any) -> Any:
        """As :meth:`submit`, the ``number``-th of a set of tasks spread over the
        workers in turn (Dask would put them where their inputs are: the shard
        writers all on one worker); elsewhere if that worker dies."""
        if self.client is None:
            return function(*arguments)
        workers = sorted(self.client.scheduler_info()["workers"])
        return self.client.submit(
            function,
            *arguments,
            retries=TASK_RETRIES,
            pure=False,
            workers=[workers[number % len(workers)]],
            allow_other_workers=True,
        )

    def gather(self, handles: list[Any]) -> Any:
        if self.client is None:
            return handles
        return self.client.gather(handles)


def _partition_size(partitions: list[_Partition]) -> int:
    return partitions[0].size


@contextlib.contextmanager
def _dask(scheduler: str | None) -> Iterator[_Engine]:
    """A Dask client for the run: of the scheduler at this address, or of a local
    cluster of this machine's cores; none for ``sync``. A worker that dies
    makes its tasks run again elsewhere (twice), then the run fails in one line."""
    if scheduler == SYNC:
        yield _Engine(None)
        return
    with connected(scheduler) as client:
        try:
            yield _Engine(client)
        except NewsdexError:
            raise
        except Exception as error:
            if is_dask_failure(error):
                raise NewsdexError(
                    f"the sharded run failed on the Dask cluster: {one_line(error)};"
                    " the index is unchanged",
                    hint="see the workers' logs, then run the same command again",
                ) from error
            raise


__all__ = ["SYNC", "index_sharded"]
