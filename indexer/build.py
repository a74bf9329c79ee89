"""An index run: find the pages, read only what changed, split it, commit once.

The decisions of a run, file by file, are ``indexer.run``'s; here they are
written to one index (``indexer.session``), or to the shards of a sharded
index on Dask (``indexer.sharded``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from indexer.errors import NewsdexError, NothingIndexed
from indexer.limits import MAX_PAGE_BYTES
from indexer.location import bundled_seeds, index_directory
from indexer.pages import DumpFields, InputFile, find_inputs
from indexer.records import Kind, Record
from indexer.report import IndexReport, Skipped
from indexer.run import IndexRun, PathLike, Progress, split_files
from indexer.sites import site_name

__all__ = ["PathLike", "Progress", "index_paths", "index_records", "split_files"]


def _peek(
    inputs: Iterator[InputFile | Skipped], enough: int
) -> tuple[Iterator[InputFile | Skipped], int]:
    """The inputs unchanged, and the bytes of their first files, up to ``enough``."""
    head: list[InputFile | Skipped] = []
    size = 0
    for found in inputs:
        head.append(found)
        size += found.size if isinstance(found, InputFile) else 0
        if size >= enough:
            break
    return itertools.chain(head, inputs), size


def index_paths(
    paths: Sequence[PathLike] = (),
    *,
    index: PathLike | None = None,
    rebuild: bool = False,
    wait_seconds: float = 5.0,
    fields: DumpFields | None = None,
    site: str | None = None,
    max_page_bytes: int = MAX_PAGE_BYTES,
    progress: Progress | None = None,
    shards: int | None = None,
    scheduler: str | None = None,
) -> IndexReport:
    """Index the pages under ``paths`` (the bundled seeds when empty).

    ``paths`` are ``.txt`` pages, JSON Lines dumps (``.jsonl``, ``.jsonl.gz``,
    ``.json.gz``) and folders holding them. Running again reads only what
    changed, and removes pages that disappeared from under ``paths``. Raises
    :class:`NothingIndexed` when no page at all could be read (the index is
    left as it was).

    :param index: the index folder (default: ``$NEWSDEX_INDEX``, else the user's
        data folder)
    :param rebuild: start afresh: the index holds exactly these pages afterwards
    :param wait_seconds: how long to wait for another writer to finish
    :param fields: which fields of a dump's lines hold the text, title, date,
        url and site (default: the usual names, see :class:`DumpFields`)
    :param site: the site of the pages read in this run that do not say
        theirs (a dump's site field or url does)
    :param max_page_bytes: pages larger than this are skipped ("too large"),
        never read whole: it bounds the memory one page can take
    :param progress: told of each phase as the run goes (:class:`Progress`)
    :param shards: build a sharded index of this many shards on Dask (needs
        ``newsdex[dask]``); an index that is sharded already stays so, with
        its shard count, unless ``rebuild`` gives another
    :param scheduler: the Dask scheduler of a sharded run (``tcp://host:8786``);
        ``None``: a local cluster of this machine's cores; ``"sync"``: no
        cluster, everything in this process (tests, debugging)
    """
    directory = index_directory(index)
    if shards is not None or scheduler is not None or _is_sharded(directory):
        from indexer.sharded import index_sharded

        return index_sharded(
            paths,
            directory=directory,
            shards=shards,
            scheduler=scheduler,
            rebuild=rebuild,
            wait_seconds=wait_seconds,
            fields=fields,
            site=site,
            max_page_bytes=max_page_bytes,
            progress=progress,
        )
    # Imported here so that `import indexer` stays light: Whoosh loads only
    # when an index is really written.
    from indexer.session import PARALLEL_MIN_BYTES, IndexSession

    site = site_name(site) if site is not None else None
    roots = [Path(os.path.abspath(path)) for path in paths] or [bundled_seeds()]
    # The files are streamed as the folders are walked, never listed whole:
    # a crawl of millions would fill memory. A progress bar needs the total
    # first, which costs one more walk (sizes only).
    if progress is not None:
        total = sum(found.size for found in find_inputs(roots) if isinstance(found, InputFile))
        inputs, foreseen = find_inputs(roots), total
    else:
        inputs, foreseen = _peek(find_inputs(roots), PARALLEL_MIN_BYTES)
    waiting = progress.waiting if progress is not None else None
    with IndexSession(directory, rebuild, wait_seconds, foreseen, waiting) as session:
        run = IndexRun(session, session.known_pages(), fields or DumpFields(), max_page_bytes, site)
        done = 0
        for found in inputs:
            run.take(found)
            if progress is not None and isinstance(found, InputFile):
                done += found.size
                progress.reading(done, total)
        run.remove_vanished(roots)
        report = IndexReport(
            directory,
            run.read,
            session.ledger.records_by_kind(),
            tuple(run.skipped),
            tuple(run.warnings),
            run.unchanged,
            run.removed,
        )
        if run.read == 0 and run.unchanged == 0 and run.removed == 0:
            where = ", ".join(str(root) for root in roots)
            raise NothingIndexed(report, f"no readable page found in {where}")
        if progress is not None:
            progress.committing()
    return dataclasses.replace(report, documents=session.documents or 0)


def _is_sharded(directory: Path) -> bool:
    from indexer.manifest import MANIFEST_FILE

    return (directory / MANIFEST_FILE).is_file()


def index_records(
    records: Iterable[Record],
    *,
    index: PathLike | None = None,
    rebuild: bool = False,
    wait_seconds: float = 5.0,
) -> IndexReport:
    """Index ready-made records (an article per abstract, say) without page files.

    Each record's ``sources`` name the pages it is on (``Source(key, line)``,
    e.g. ``Source("scifact/corpus.jsonl:12", 12)``): the index keeps a page
    entry per key, as for pages read from files, so ``show`` and ``stats``
    account for every record. A key indexed before is replaced; other pages
    stay unless ``rebuild``. The records are held in memory until the commit.

    :raises ValueError: a record has no source
    :raises NothingIndexed: there is no record at all (the index is left as it was)
    """
    from indexer.session import IndexSession
    from indexer.storage import PageEntry

    by_page: dict[str, list[tuple[Record, int]]] = {}
    kinds: dict[str, Kind] = {}
    for record in records:
        if not record.sources:
            raise ValueError(f"record {record.id} has no source: give it Source(key, line)")
        kinds[record.id] = record.kind
        for source in record.sources:
            by_page.setdefault(source.path, []).append((record, source.line))
    directory = index_directory(index)
    if _is_sharded(directory):
        raise NewsdexError(
            f"the index at {directory} is sharded; index_records writes one index",
            hint="give index_records another folder",
        )
    size = sum(len(record.text) for held in by_page.values() for record, _ in held)
    report = IndexReport(directory, len(by_page), dict(Counter(kinds.values())))
    with IndexSession(directory, rebuild, wait_seconds, input_bytes=size) as session:
        if not by_page:
            raise NothingIndexed(report, "no record to index")
        for key, held in by_page.items():
            lines = tuple((record.id, line) for record, line in held)
            digest = hashlib.blake2b(repr(lines).encode("utf-8"), digest_size=16).hexdigest()
            text_size = sum(len(record.text) for record, _ in held)
            entry = PageEntry(key, key, text_size, 0, digest, lines)
            session.put_page(entry, (record for record, _ in held))
    return dataclasses.replace(report, documents=session.documents or 0)
