"""Whoosh's writers as newsdex runs them: its postings pool, child processes
that never outlive the run, and disk errors said in one line."""

from __future__ import annotations

import errno
import gc
import queue
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import IDTokenizer
from whoosh.fields import DATETIME, ID
from whoosh.formats import Existence
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import to_sortable
from whoosh.writing import SegmentWriter

from indexer import word_terms
from indexer.analysis import (
    indexed_positions,
    indexing_terms,
    is_newsdex_analyzer,
    remember_terms,
)
from indexer.codec import CompactPositions
from indexer.errors import IndexWriteFailed
from indexer.pool import PostingsPool, one_posting, posting_columns
from indexer.processes import start_child
from indexer.storage import INDEX_NAME


def remove_leftovers(index: whoosh_index.FileIndex) -> None:
    """Delete what killed or failed writers left: files no commit refers to.

    Only called with the write lock held. Searchers never need these files:
    they read the segments of the latest table of contents, which stay.
    """
    toc = index._read_toc()
    whoosh_index.clean_files(index.storage, INDEX_NAME, toc.generation, toc.segments)
    for name in index.storage.list():
        # Tables of contents, and the files kept beside the index
        # (indexer.known_pages, indexer.word_terms), are written to a
        # temporary name, then renamed.
        if (name.startswith(f"_{INDEX_NAME}_") and ".toc." in name) or (
            name.startswith("newsdex-") and name.endswith(".partial")
        ):
            index.storage.delete_file(name)


def _analysed_fast(field: Any) -> bool:
    """Whether a field's terms and positions can come from
    :func:`indexer.analysis.indexed_positions` (weights are counts)."""
    return (
        type(field.format) is CompactPositions
        and field.format.field_boost == 1
        and is_newsdex_analyzer(field.analyzer)
        and not field.separate_spelling()
        and not field.vector
    )


def write_postings(fieldwriter: Any, schema: Any, lengths: Any, pool: PostingsPool) -> None:
    """Every term of the pool to the segment, with all its postings at once
    (:meth:`indexer.codec.NewsdexFieldWriter.add_term`), as Whoosh's
    ``add_postings`` writes them a posting at a time."""
    field = None
    for fieldname, text, postings in pool.iter_terms():
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            field = fieldname
            fieldwriter.start_field(fieldname, schema[fieldname])
            codes = lengths.length_codes(fieldname) if lengths is not None else None
        single = one_posting(postings)
        if single is not None:
            fieldwriter.add_term_in_one(text, *single, codes or None)
            continue
        records, values = postings
        ids, weights, value_lengths = posting_columns(records)
        fieldwriter.add_term(text, ids, weights, value_lengths, values, codes or None)
    if field is not None:
        fieldwriter.finish_field()


def _use_newsdex_pool(writer: SegmentWriter, limitmb: float) -> None:
    """Give a Whoosh writer newsdex's postings pool in place of Whoosh's (see indexer.pool)."""
    writer.pool = PostingsPool(writer.storage.folder, int(limitmb * 1024 * 1024))


SegmentsHook = Callable[[list[Any]], None]
"""Told, at the commit, the segments a writer wrote, before they are committed."""


def add_pooled_document(writer: Any, fields: dict[str, Any]) -> None:
    """Whoosh's ``SegmentWriter.add_document`` (newsdex's schema has no spelling
    or vector fields, and gives no boosts), with newsdex's text fields analysed
    in one call and their postings pooled in one: each went through four
    generators and a call a word."""
    writer._check_state()
    perdocwriter, schema, pool = writer.perdocwriter, writer.schema, writer.pool
    docnum = writer.docnum
    names = sorted(name for name in fields if not name.startswith("_"))
    writer._check_fields(schema, names)
    perdocwriter.start_doc(docnum)
    try:
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                if isinstance(value, str) and _analysed_fast(field):
                    found = indexed_positions(value)
                    pool.add_terms(name, docnum, found, field.format.encode)
                    if field.scorable:
                        length = sum(map(len, found.values()))
                else:
                    for text, frequency, weight, encoded in indexed_terms(field, value):
                        if field.scorable:
                            length += frequency
                        pool.add((name, text, docnum, weight, encoded))
            perdocwriter.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                cv = field.to_column_value(value)
                perdocwriter.add_column_value(name, field.column_type, cv)
    except ValueError:
        perdocwriter.cancel_doc()
        raise
    perdocwriter.finish_doc()
    writer._added = True
    writer.docnum += 1


IndexedTerm = tuple[bytes, int, float, bytes]
"""(term, frequency, weight, value), as Whoosh's ``FieldType.index`` gives them."""


def indexed_terms(field: Any, value: Any) -> Iterable[IndexedTerm]:
    """``field.index(value)``, made at once for the fields besides text that
    every document has: an id (``ID``: the value itself, through a tokenizer,
    a format's set and two generators in Whoosh) and a date (``DATETIME``:
    eight terms, each converting the date to a sortable number anew in
    Whoosh); any other field, or value, as Whoosh makes them."""
    kind = type(field)
    if (
        kind is ID
        and type(value) is str
        and type(field.analyzer) is IDTokenizer
        and type(field.format) is Existence
    ):
        return ((value.encode("utf-8"), 1, field.format.field_boost, b""),)
    if kind is DATETIME and field.shift_step and isinstance(value, datetime):
        # DATETIME.to_bytes for each shift, the number made once.
        number = field.prepare_number(field.prepare_datetime(value))
        number = to_sortable(field.numtype, field.bits, field.signed, number)
        shifts = range(0, field.bits, field.shift_step)
        return [(field.sortable_to_bytes(number, shift), 1, 1.0, b"") for shift in shifts]
    return field.index(value)  # type: ignore[no-any-return]


def flush_pooled_segment(writer: Any) -> None:
    """Whoosh's ``_flush_segment``, giving the postings writer a term's postings
    at once where Whoosh gives them one at a time through five calls each."""
    writer.perdocwriter.close()
    lengths = writer.per_document_reader() if writer.codec.length_stats else None
    try:
        write_postings(writer.fieldwriter, writer.schema, lengths, writer.pool)
        writer.fieldwriter.close()
    finally:
        if lengths is not None:
            lengths.close()


class PooledSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's writer, pooling postings with :class:`PostingsPool`."""

    before_commit: SegmentsHook | None = None

    def __init__(self, index: Any, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(index, limitmb=limitmb, **kwargs)
        _use_newsdex_pool(self, limitmb)
        self._written: list[Any] = []

    def add_document(self, **fields: Any) -> None:
        add_pooled_document(self, fields)

    def _flush_segment(self) -> None:
        flush_pooled_segment(self)

    def _finalize_segment(self) -> Any:
        segment = super()._finalize_segment()
        self._written.append(segment)
        return segment

    def _commit_toc(self, segments: Any) -> None:
        if self.before_commit is not None:
            self.before_commit(self._written)
        super()._commit_toc(segments)


class _SubWriterTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's sub-writer loop (multisegment only), with :class:`PooledSegmentWriter`."""

    def run(self) -> None:
        if not self.multisegment:
            raise ValueError("newsdex's sub-writers each leave a segment of their own")
        folder = getattr(self.storage, "folder", None)
        # The words the last run kept (indexer.word_terms), not stemmed again.
        kept = (word_terms.read(Path(folder)) if folder else None) or {}
        remember_terms(kept)
        index = self.storage.open_index(self.indexname)
        writer = self.writer = PooledSegmentWriter(index, _lk=False, **self.kwargs)
        while (job := self.jobqueue.get()) is not None:
            self._process_file(*job)
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)
        met = indexing_terms()
        if folder and len(met) - len(kept) >= word_terms.NEW_WORDS_KEPT:
            word_terms.write(Path(folder), met)


def _watch_parent_then_run_subwriter(*args: Any) -> None:
    """A sub-writer process that ends when the newsdex process that started it ends.

    Whoosh's sub-writers wait on their job queue forever: if the parent is
    killed, they would live on (and, forked, hold the write lock).
    """
    start_child()
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


MORE_WRITERS_AFTER = 500
"""Documents an addition hands its first writer process before it starts the
others it may have (see :class:`SubprocessWriter`)."""


class SubprocessWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer, with sub-writers that never outlive newsdex,
    newsdex's postings pool in each, and a job queue that cannot hang the run.

    With ``small_runs_here`` (an addition), documents are written in this
    process when they are fewer than one batch of Whoosh's (a process would
    take longer to start than they take to write), or when no process can
    be started; the first process starts with the first batch, and the
    others (up to ``procs``) once :data:`MORE_WRITERS_AFTER` documents are
    handed over: a small addition leaves one segment, a large one is
    written, and its segments finished, on every core.
    """

    jobqueue: Any  # Whoosh's queue, then the watched one the parent puts jobs on
    procs: int  # Whoosh's: the sub-writers it starts at most
    docbuffer: list[Any]  # Whoosh's: documents waiting to be handed to a sub-writer
    before_commit: SegmentsHook | None = None
    while_finishing: Callable[[], None] | None = None
    """Called at the commit once every document is handed over, while the
    writer processes finish their segments (this process only waits then)."""

    def __init__(
        self, index: Any, limitmb: float = 128, small_runs_here: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(index, limitmb=limitmb, **kwargs)
        _use_newsdex_pool(self, limitmb)
        self._jobs = self.jobqueue
        self.jobqueue = _WatchedQueue(self._jobs, self.tasks)
        self._small_runs_here = small_runs_here
        self._most_tasks = self.procs
        self._handed_over = 0
        self._here = False
        self._committed = {segment.segment_id() for segment in self.segments}

    def add_document(self, **fields: Any) -> None:
        if self._here:
            add_pooled_document(self, fields)
        else:
            super().add_document(**fields)

    def _enqueue(self) -> None:
        if self._small_runs_here:
            if not self.tasks:
                try:
                    self._new_task()
                except OSError:  # no process to be had (a process limit)
                    self.tasks.clear()
                    self._write_here()
                    return
            elif len(self.tasks) < self._most_tasks and self._handed_over >= MORE_WRITERS_AFTER:
                started = len(self.tasks)
                try:
                    self._new_task()
                except OSError:  # no second process to be had: the first goes on alone
                    del self.tasks[started:]  # never started, so never to be joined
            self.procs = len(self.tasks)  # Whoosh's _enqueue starts no more
            self._handed_over += len(self.docbuffer)
        super()._enqueue()

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        if not self.tasks and self._small_runs_here:
            self._write_here()
        try:
            super().commit(mergetype, optimize, merge)
        except BaseException:
            self._close_queues(finished=False)
            raise
        self._close_queues(finished=True)

    def _merge_segments(self, mergetype: Any, optimize: Any, merge: Any) -> Any:
        # Whoosh's commit calls this after its last job and before it waits
        # for the writer processes.
        if self.while_finishing is not None:
            self.while_finishing()
        return super()._merge_segments(mergetype, optimize, merge)

    def _write_here(self) -> None:
        """The documents waiting for a sub-writer, and all that come after, written here."""
        self._here = True
        self._added_sub = False
        waiting, self.docbuffer = self.docbuffer, []
        for _, fields in waiting:
            add_pooled_document(self, fields)

    def _flush_segment(self) -> None:
        flush_pooled_segment(self)

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
        if self.before_commit is not None:
            # The segments this run wrote (or merged), not those it found.
            self.before_commit([s for s in segments if s.segment_id() not in self._committed])
        super()._commit_toc(segments)

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                task.terminate()
                task.join()
        finally:
            self._close_queues(finished=False)
            SegmentWriter.cancel(self)

    def _close_queues(self, finished: bool) -> None:
        """End the thread that feeds the job queue (Whoosh leaves it running):
        the next run in this process forks its writers only if it runs no
        other thread. Unfinished, jobs left in the queue are dropped."""
        if not finished:
            self._jobs.cancel_join_thread()
        for opened in (self._jobs, self.resultqueue):
            opened.close()
        if finished:
            self._jobs.join_thread()


def close_files_left_open(error: OSError) -> None:
    """Close the files a failed Whoosh commit left open, so their space is freed.

    Whoosh does not close the file it was writing when a write fails; only
    the failed call's frames, kept by the traceback, still refer to it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        error.__traceback__ = None
        gc.collect()


def write_error(directory: Path, error: OSError) -> IndexWriteFailed:
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
