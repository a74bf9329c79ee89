"""One index run's writer session: learn what the index knows, change it, commit once."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import query as whoosh_query
from whoosh.reading import SegmentReader
from whoosh.writing import CLEAR

from indexer import known_pages as known_pages_file
from indexer import lock
from indexer.codec import NewsdexCodec
from indexer.creation import open_for_writing
from indexer.errors import IndexDamaged
from indexer.ledger import COMMITTED, NEW, REWRITTEN, MetRecord, RunLedger
from indexer.merge import BackgroundMerge, merge_policy
from indexer.processes import child_start_method
from indexer.records import Article, Record
from indexer.storage import (
    INDEX_NAME,
    PageEntry,
    document_number,
    document_to_page,
    joined_sites,
    mark_current_format,
    page_document_count,
    page_document_id,
    page_documents,
    page_to_document,
    pages_of,
    record_to_document,
    sites_of_document,
)
from indexer.writers import (
    PooledSegmentWriter,
    SubprocessWriter,
    close_files_left_open,
    remove_leftovers,
    write_error,
)

WRITER_POOL_MB = 512
"""The writers' postings pools (indexer.pool), shared out among the writer processes."""
PAGE_CHANGES_KEPT = 100_000
"""Pages a run may write and still keep the list of pages beside the index
(indexer.known_pages); a larger run leaves none, so its memory stays flat."""
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
"""A first build reading at least this much runs two writer processes."""


@dataclass
class IndexSession:
    """One index run's writer: learn what the index knows, change it, commit once.

    Use it as a context manager, as Whoosh's writer: leaving the block
    commits, an exception cancels. Nothing is visible to searchers before
    :meth:`commit`; :meth:`cancel` (or a crash) leaves the index as it was.
    With ``rebuild`` the commit replaces everything, so searches see the old
    index until the new one is complete. A disk error while writing raises
    :class:`IndexWriteFailed`, with the index left as it was.
    """

    directory: Path
    rebuild: bool = False
    wait_seconds: float = 5.0
    input_bytes: int = 0
    """How much the run will read (at least): large first builds use two processes."""
    waiting: Callable[[str], None] | None = None
    """Told who holds the lock, when this run has to wait for another."""
    processes_beside: bool = True
    """Whether an addition may write its documents, and merge segments, in
    processes of its own (a shard written by a Dask worker does both in its
    own process: a worker's process may not start processes of its own)."""
    ledger: RunLedger = field(default_factory=RunLedger)
    """The pages and records this run has met (on disk: memory stays flat)."""
    documents: int | None = None
    """Documents in the index after the commit (records and page bookkeeping)."""
    _replaced_pages: set[int] = field(default_factory=set)
    _known: dict[str, PageEntry] | None = None
    """Every page the index held when the run began, once asked (:meth:`known_pages`)."""
    _page_changes: dict[str, known_pages_file.Row | None] | None = None
    """The pages this run wrote (``None``: removed), while :data:`PAGE_CHANGES_KEPT`
    at most: with what it knew, the list of pages kept beside the index."""
    _known_rows: list[known_pages_file.Row] | None = None
    """The same pages as the list kept beside the index gave them, if it did."""
    _pages_body: tuple[int, bytes] | None = None
    _merge: BackgroundMerge | None = None

    def __post_init__(self) -> None:
        try:
            self._start()
        except BaseException:
            self.ledger.close()
            raise

    def __enter__(self) -> IndexSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.commit()
        else:
            self.cancel()

    def _start(self) -> None:
        try:
            # An index folder this run creates is removed again if the run
            # is cancelled: a failed first run leaves nothing behind.
            self._index, self._created_folder = open_for_writing(self.directory, self.rebuild)
            self._lock = lock.acquire(
                self._index.storage, self.directory, self.wait_seconds, self.waiting
            )
        except OSError as error:
            raise write_error(self.directory, error) from error
        try:
            # Only now, with the lock held, is what the index holds read: a
            # run that waited for another sees what that one committed.
            remove_leftovers(self._index)
            mark_current_format(self.directory)  # before this run writes a segment
            self._writer = self._open_writer()
        except OSError as error:
            self._lock.release()
            raise write_error(self.directory, error) from error
        except BaseException:
            self._lock.release()
            raise

    def _open_writer(self) -> Any:
        """Whoosh's writer, without its own locking (the session holds the lock)."""
        self._searcher = self._index.searcher()
        self._documents_before = 0 if self.rebuild else int(self._searcher.doc_count())
        self._empty = self._documents_before == 0
        self._added = self._deleted = 0
        try:
            start = child_start_method() if (os.cpu_count() or 1) > 1 else None
            if start and self._empty and self.input_bytes >= PARALLEL_MIN_BYTES:
                # Two processes analyse documents side by side (nearly twice as
                # fast on 2 cores), each leaving its own segment. Only for
                # large first builds: a small one would mostly pay start-up.
                return self._writer_processes(2, start)
            if self._empty or not (start and self.processes_beside):
                return PooledSegmentWriter(
                    self._index, limitmb=WRITER_POOL_MB, codec=NewsdexCodec(), _lk=False
                )
            # An addition analyses and writes its documents in other processes
            # while this one reads and splits the pages: one process, leaving
            # one segment, and a second when the addition is large (see
            # SubprocessWriter); segments piling up are merged beside the run
            # (see indexer.merge).
            writer = self._writer_processes(2, start, small_runs_here=True)
            self._merge = BackgroundMerge(
                self._index.storage, writer.schema, INDEX_NAME, writer.segments, start
            )
            return writer
        except BaseException:
            self._searcher.close()
            raise

    def _writer_processes(
        self, count: int, start: str, small_runs_here: bool = False
    ) -> SubprocessWriter:
        """Whoosh's multi-process writer with ``count`` sub-writers started by
        ``start`` (see :func:`child_start_method`), sharing out the postings
        pools' memory."""
        pool_mb = WRITER_POOL_MB // count
        return SubprocessWriter(
            self._index,
            procs=count,
            multisegment=True,
            start_method=start,
            small_runs_here=small_runs_here,
            subargs={"limitmb": pool_mb, "codec": NewsdexCodec()},
            limitmb=pool_mb,
            codec=NewsdexCodec(),
            _lk=False,
        )

    def known_pages(self) -> dict[str, PageEntry]:
        """Every page (and dump) the index knows, by key, without the records
        each holds (the session reads those when it needs them); none when
        rebuilding."""
        if self._empty:
            # A first build (or a rebuild) keeps no list of pages: it would
            # hold every page in memory. The next run reads the page
            # documents once, and keeps the list from then on.
            self._known = {}
            return self._known
        self._page_changes = {}
        self.ledger.keep_pages_in_memory()  # as many as the index's pages held here
        # Read from the list kept at the last commit if it is the index's
        # (indexer.known_pages), else from the page documents.
        generation = self._index.latest_generation()
        pages = page_document_count(self._searcher)
        self._known_rows = known_pages_file.read(self.directory, generation, pages)
        if self._known_rows is not None:
            self._known = known_pages_file.pages_of(self._known_rows)
        else:
            self._known = {
                fields["page"]: document_to_page(fields, with_records=False)
                for fields in page_documents(self._searcher)
            }
        return self._known

    def _note_page(self, key: str, page: PageEntry | None) -> None:
        """Keep a page this run wrote (``None``: removed) for the list of pages."""
        changes = self._page_changes
        if changes is None:
            return
        changes[key] = None if page is None else known_pages_file.row_of(page)
        if len(changes) > PAGE_CHANGES_KEPT:
            self._page_changes = None  # memory stays flat: no list this time

    def _encode_pages(self) -> None:
        """The list of pages after this run, made ready to keep (at the commit,
        while the writer processes finish their segments)."""
        if self._page_changes is not None and self._known is not None:
            known = self._known_rows
            if known is None:
                known = [known_pages_file.row_of(page) for page in self._known.values()]
            rows = known_pages_file.updated(known, self._page_changes)
            self._pages_body = known_pages_file.encoded(rows)

    def put_page(self, page: PageEntry, records: Iterable[Record]) -> None:
        """Record a page read in this run, and write the records not yet indexed.

        A record is written by the first page of the run that holds it, unless
        the index has it already; written again when a page of a site it does
        not name yet holds it (a headline seen on several sites names them all).
        """
        with self._disk_errors():
            self._forget_page(page.key)
            for record in records:
                met = self.ledger.met_record(record.id) or self._first_meeting(record, page.site)
                if page.site is not None and page.site not in met.run_sites:
                    met = self._with_written(record.id, met)
                    met = replace(met, run_sites=met.run_sites | {page.site})
                    written = met.written or frozenset()
                    if page.site not in written:
                        met = self._rewrite(record.id, met, written | {page.site}, record)
                    self.ledger.note_record(record.id, met)
            self._add(page_to_document(page))
            self._note_page(page.key, page)

    def _first_meeting(self, record: Record, site: str | None) -> MetRecord:
        """Write a record the index lacks, or note that the index holds it (the
        sites its document names are read when a page with a site needs them)."""
        if self._empty or document_number(self._searcher, record.id) is None:
            sites = {site} if site is not None else set()
            self._add(record_to_document(record, sites))
            published = record.published.isoformat() if record.published is not None else None
            met = MetRecord(record.kind, NEW, frozenset(sites), frozenset(sites), published)
        else:
            met = MetRecord(record.kind, COMMITTED, None, frozenset(), None)
        self.ledger.note_record(record.id, met)
        return met

    def _with_written(
        self, record_id: str, met: MetRecord, committed: dict[str, Any] | None = None
    ) -> MetRecord:
        """``met`` with the sites its committed document names, read if not yet
        (``committed``: that document, if read already)."""
        if met.written is not None:
            return met
        if committed is None:
            committed = self._committed_document(record_id)
        assert committed is not None, "a record noted as committed is in the index"
        return replace(met, written=frozenset(sites_of_document(committed)))

    def _rewrite(
        self, record_id: str, met: MetRecord, sites: frozenset[str], record: Record | None = None
    ) -> MetRecord:
        """Write the record again, naming ``sites``; the documents it had go.

        Its content comes from the index as the run found it, else from
        ``record`` (a page of this run), with the date it was first written
        with. A committed document is deleted now; one this run wrote cannot
        be (Whoosh deletes only in committed segments), so it goes at the
        commit, which keeps the one naming the final sites.
        """
        committed = self._committed_document(record_id)
        if committed is not None:
            document = {name: value for name, value in committed.items() if name != "site"}
            if sites:
                document["site"] = joined_sites(sites)
        else:
            assert record is not None, "a record this run wrote came from one of its pages"
            if met.published is not None and isinstance(record, Article):
                record = replace(record, published=datetime.fromisoformat(met.published))
            document = record_to_document(record, sites)
        if met.state == COMMITTED:
            self._delete(record_id)
        self._add(document)
        return replace(met, state=REWRITTEN, written=sites)

    def _committed_document(self, record_id: str) -> dict[str, Any] | None:
        """The record's stored fields in the index as it was when the run began."""
        number = None if self._empty else document_number(self._searcher, record_id)
        return None if number is None else dict(self._searcher.stored_fields(number))

    def keep_page(self, key: str, mtime_ns: int) -> None:
        """A page file touched, its content unchanged: remember its new time."""
        with self._disk_errors():
            number = document_number(self._searcher, page_document_id(key))
            if number is None:
                raise KeyError(f"the index has no page {key}")
            page = document_to_page(self._searcher.stored_fields(number))
            self._forget_page(key, orphans=False)
            self.ledger.keep_records(record_id for record_id, _ in page.records)
            kept = replace(page, mtime_ns=mtime_ns)
            self._add(page_to_document(kept))
            self._note_page(key, kept)

    def remove_page(self, page: PageEntry) -> None:
        """A page gone from the indexed paths: it and its last-held records go."""
        with self._disk_errors():
            self._forget_page(page.key)
            self._note_page(page.key, None)

    def commit(self) -> int:
        """Make the run visible: remove records no page holds, then commit.

        Returns the number of documents in the index afterwards.
        """
        try:
            with self._disk_errors():
                self._settle_orphan_candidates()
        except BaseException:
            self.cancel()
            raise
        self._writer.before_commit = self._delete_rewritten
        if isinstance(self._writer, SubprocessWriter):
            self._writer.while_finishing = self._encode_pages
        else:
            self._encode_pages()
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
                close_files_left_open(failure)
                self._remove_leftovers_quietly()
                raise write_error(self.directory, failure) from failure
            with self._index.searcher() as searcher:
                documents = int(searcher.doc_count())
            self._keep_pages()
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
        self.documents = documents
        return documents

    def _keep_pages(self) -> None:
        """Keep the list of pages beside the index, stamped with this commit;
        without one (too many pages changed), an older list goes."""
        if self._pages_body is None:
            known_pages_file.remove(self.directory)
            return
        count, body = self._pages_body
        generation = self._index.latest_generation()
        known_pages_file.write(self.directory, generation, count, body)

    def _settle_orphan_candidates(self) -> None:
        """The records of pages this run forgot: each goes if no page holds it
        any more, and names only the sites of the pages that still do."""
        pages_at: dict[str, set[int]] = {}
        for record_id, held in self.ledger.orphan_candidates():
            surviving = {
                number
                for number in pages_of(self._searcher, record_id)
                if number not in self._replaced_pages
            }
            if not held and not surviving:
                self._delete(record_id)
                continue
            committed = self._committed_document(record_id)
            met = self.ledger.met_record(record_id) if held else None
            if met is None:
                if committed is None:
                    continue  # on pages kept unchanged only: nothing of it changed
                written = frozenset(sites_of_document(committed))
                met = MetRecord(committed["kind"], COMMITTED, written)
            met = self._with_written(record_id, met, committed)
            assert met.written is not None
            kept = frozenset(
                site
                for site in met.written
                if site in met.run_sites or surviving & self._pages_at(site, pages_at)
            )
            if kept != met.written:
                rewritten = self._rewrite(record_id, met, kept)
                if held:
                    self.ledger.note_record(record_id, rewritten)

    def _pages_at(self, site: str, known: dict[str, set[int]]) -> set[int]:
        """The committed page documents of a site (found once a commit)."""
        if site not in known:
            term = whoosh_query.Term("page_site", site)
            known[site] = set(self._searcher.docs_for_query(term))
        return known[site]

    def _delete_rewritten(self, segments: list[Any]) -> None:
        """Delete, in the segments this run wrote, the documents of records it
        wrote again: all but the one naming the record's final sites."""
        rewritten = self.ledger.rewritten_records()
        for segment in segments if rewritten else ():
            reader = SegmentReader(self._index.storage, self._index.schema, segment)
            try:
                for record_id, sites in rewritten:
                    if ("id", record_id) not in reader:
                        continue
                    for number in reader.postings("id", record_id).all_ids():
                        if segment.is_deleted(number):
                            continue
                        if frozenset(sites_of_document(reader.stored_fields(number))) != sites:
                            segment.delete_document(number)
                            self._deleted += 1
            finally:
                reader.close()

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
            remove_leftovers(self._index)

    @contextlib.contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """Report a failing disk as :class:`IndexWriteFailed`, with what to do."""
        try:
            yield
        except OSError as error:
            raise write_error(self.directory, error) from error

    def _forget_page(self, key: str, *, orphans: bool = True) -> None:
        """Delete a page's document; its records become candidates for removal."""
        if self._empty or (self._known is not None and key not in self._known):
            return  # a page new to the index: nothing to look up
        number = document_number(self._searcher, page_document_id(key))
        if number is None:
            return
        if orphans:
            old = document_to_page(self._searcher.stored_fields(number))
            self.ledger.add_orphan_candidates(record_id for record_id, _ in old.records)
            # A page kept (touched, unchanged) still holds its records, at its
            # site: only a page whose records go stops counting for them.
            self._replaced_pages.add(number)
        self._delete(page_document_id(key))

    def _add(self, document: dict[str, Any]) -> None:
        self._writer.add_document(**document)
        self._added += 1

    def _delete(self, document_id: str) -> None:
        """Delete a document that the committed index holds (ids are unique)."""
        self._writer.delete_by_term("id", document_id)
        self._deleted += 1
