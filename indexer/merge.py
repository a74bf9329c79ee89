"""Keeping the segment count down as an index grows by additions: which
segments to merge, and merging them a posting list at a time.

Each run that adds pages leaves one segment, and every segment costs every
query, as each is searched in turn. Whoosh's own policy only merges segments
of a few dozen documents, and merges by feeding every posting back through a
writer's pool, about twice as slow as here (docs/performance.md).

So the policy here is logarithmic, as in Lucene's LogMergePolicy: segments
are put in levels by their live documents, each a factor of
:data:`MERGE_FACTOR` larger than the one below, and when a level holds that
many segments they are merged into one of the level above. A document is
merged once per level, a handful of times in its life. The merge copies
each term's postings as whole lists, renumbered, into blocks written as the
codec writes them, and holds what Whoosh's merge of the same segments holds
(tests/test_merge.py compares them). It runs in a second process beside
the run that finds the segments (:class:`BackgroundMerge`).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import multiprocessing
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.reading import SegmentReader

from indexer.codec import LENGTH_OF_CODE, NewsdexCodec, read_posting_list
from indexer.processes import start_child

MERGE_FACTOR = 8
"""Segments of one level merged into one of the next level up."""
SMALLEST_LEVEL_DOCUMENTS = 1000
"""Segments with up to this many live documents are all in the lowest level."""
LARGEST_MERGE_DOCUMENTS = 50_000
"""No merge makes a segment larger than this, so no merge takes long (its time
grows with its documents), and segments this large are few (a full build
of 50,000 pages leaves two)."""


def level_of(documents: int) -> int:
    """A segment's level: 0 up to :data:`SMALLEST_LEVEL_DOCUMENTS` live
    documents, one more for each :data:`MERGE_FACTOR` times as many."""
    if documents <= SMALLEST_LEVEL_DOCUMENTS:
        return 0
    return 1 + int(math.log(documents / SMALLEST_LEVEL_DOCUMENTS, MERGE_FACTOR))


def segments_to_merge(live_documents: Sequence[int]) -> list[int]:
    """Which segments (positions in ``live_documents``) to merge now.

    The lowest level holding :data:`MERGE_FACTOR` segments or more has its
    smallest merged, as many as stay within :data:`LARGEST_MERGE_DOCUMENTS`
    (two at least); segments with no live document left are always dropped.
    One merge a commit at most, so no commit pays for more than one.
    """
    empty = [position for position, documents in enumerate(live_documents) if documents == 0]
    levels: dict[int, list[int]] = {}
    for position, documents in enumerate(live_documents):
        if documents:
            levels.setdefault(level_of(documents), []).append(position)
    for level in sorted(levels):
        if len(levels[level]) < MERGE_FACTOR:
            continue
        chosen: list[int] = []
        total = 0
        for position in sorted(levels[level], key=lambda position: live_documents[position]):
            if total + live_documents[position] > LARGEST_MERGE_DOCUMENTS:
                break
            chosen.append(position)
            total += live_documents[position]
        if len(chosen) >= 2:
            return sorted([*chosen, *empty])
    return empty


def merge_policy(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's merge hook (``commit(mergetype=...)``): the segments the commit
    keeps, with those :func:`segments_to_merge` picks replaced by one."""
    chosen = segments_to_merge([segment.doc_count() for segment in segments])
    if not chosen:
        return segments
    merging = [segments[position] for position in chosen]
    kept = [segment for position, segment in enumerate(segments) if position not in chosen]
    if sum(segment.doc_count() for segment in merging) == 0:
        return kept
    return [*kept, merge_segments(writer.storage, writer.schema, writer.indexname, merging)]


class BackgroundMerge:
    """The merge :func:`segments_to_merge` picks from the committed segments,
    run in a process of its own while the run indexes its pages.

    The merge takes no time from the run's own process (which reads the
    pages while a second one writes them, see indexer.session); the
    commit waits for the merge, applies the deletions the run made meanwhile
    to the merged segment, and commits it in place of its sources. A merge
    that failed (its process killed, say) is left out: the sources stay as
    they were and the next run tries again, so nothing is lost either way.
    """

    def __init__(
        self, storage: Any, schema: Any, indexname: str, segments: Sequence[Any], start: str
    ) -> None:
        chosen = segments_to_merge([segment.doc_count() for segment in segments])
        picked = [segments[position] for position in chosen]
        self._dropped = {segment.segment_id() for segment in picked}
        self._sources = [segment for segment in picked if segment.doc_count()]
        # Deletions are copied now: the run marks more on these same objects.
        self._deleted_before = [sorted(segment.deleted_docs()) for segment in self._sources]
        self._process: Any = None
        if len(self._sources) < 2:
            return
        context: Any = multiprocessing.get_context(start)  # see processes.child_start_method
        self._results, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_merge_in_child,
            args=(storage, schema, indexname, self._sources, sender),
            daemon=True,
        )
        try:
            process.start()
        except OSError:  # no process to be had (a process limit): no merge this run
            self._results.close()
        else:
            self._process = process
        finally:
            sender.close()

    def policy(self, writer: Any, segments: list[Any]) -> list[Any]:
        """Whoosh's merge hook for the commit: the merged segment, if the merge
        finished, in place of its sources; segments left empty dropped."""
        kept = [segment for segment in segments if segment.doc_count()]
        merged = self._result()
        if merged is None:
            return kept
        for source, deleted_before in zip(self._sources, self._deleted_before, strict=True):
            # The run deleted these after the merge began: the same documents,
            # renumbered, are deleted in the merged segment.
            for number in set(source.deleted_docs()).difference(deleted_before):
                merged.delete_document(self._new_number(source, number))
        kept = [segment for segment in kept if segment.segment_id() not in self._dropped]
        return [*kept, merged] if merged.doc_count() else kept

    def _new_number(self, source: Any, number: int) -> int:
        """A source document's number in the merged segment: the live documents
        of the sources before it, then its own place among the live."""
        base = 0
        for segment, deleted in zip(self._sources, self._deleted_before, strict=True):
            if segment is source:
                return base + number - bisect.bisect_left(deleted, number)
            base += segment.doc_count_all() - len(deleted)
        raise ValueError(f"{source} is not merged here")

    def _result(self) -> Any:
        if self._process is None:
            return None
        try:
            merged = self._results.recv()  # None, or EOFError, if the merge failed
        except (EOFError, OSError):
            merged = None
        self.stop()
        return merged

    def stop(self) -> None:
        """End the merge, finished or not (its files are removed as leftovers)."""
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._results.close()
        self._process = None


def _merge_in_child(
    storage: Any, schema: Any, indexname: str, segments: Sequence[Any], sender: Any
) -> None:
    """A merge process, ending when the newsdex process that started it ends."""
    start_child()
    try:
        merged = merge_segments(storage, schema, indexname, segments)
    except BaseException:
        sender.send(None)
        raise
    sender.send(merged)


def merge_segments(storage: Any, schema: Any, indexname: str, segments: Sequence[Any]) -> Any:
    """One new segment holding the live documents of ``segments``, in order."""
    codec = NewsdexCodec()
    merged = codec.new_segment(storage, indexname)
    readers = [SegmentReader(storage, schema, segment) for segment in segments]
    try:
        new_numbers, lengths = _copy_documents(codec, storage, schema, merged, readers)
        _copy_postings(codec, storage, schema, merged, readers, new_numbers, lengths)
    finally:
        for reader in readers:
            reader.close()
    merged.set_doc_count(sum(segment.doc_count() for segment in segments))
    if merged.should_assemble():
        merged.create_compound_file(storage)
        merged.compound = True
    return merged


def _copy_documents(
    codec: Any, storage: Any, schema: Any, merged: Any, readers: Sequence[Any]
) -> tuple[list[list[int] | int], dict[str, list[int]]]:
    """Write the live documents' stored fields, lengths and columns to the
    merged segment, as Whoosh's ``write_per_doc`` does.

    Returns, for each segment, how its document numbers map to the merged
    segment's (a list, -1 for a deleted document, or the offset to add when
    it has no deletions), and every field's length in each merged document.
    """
    writer = codec.per_document_writer(storage, merged)
    names = schema.names()
    columns = {
        name: schema[name].column_type for name in names if schema[name].column_type is not None
    }
    lengths: dict[str, list[int]] = {name: [] for name in names if schema[name].indexed}
    new_numbers: list[list[int] | int] = []
    number = 0
    for reader in readers:
        codes = {name: reader._perdoc.length_codes(name) for name in lengths}
        column_readers = {
            name: reader.column_reader(name, column, translate=False)
            for name, column in columns.items()
            if reader.has_column(name)
        }
        mapping = [-1] * reader.doc_count_all() if reader.has_deletions() else None
        new_numbers.append(number if mapping is None else mapping)
        for old, stored in reader.iter_docs():
            if mapping is not None:
                mapping[old] = number
            writer.start_doc(number)
            for name in names:
                field = schema[name]
                length = 0
                if name in lengths:
                    field_codes = codes[name]
                    length = LENGTH_OF_CODE[field_codes[old]] if field_codes else 0
                    lengths[name].append(length)
                writer.add_field(name, field, stored.get(name), length)
                if name in column_readers:
                    writer.add_column_value(name, columns[name], column_readers[name][old])
            writer.finish_doc()
            number += 1
    writer.close()
    return new_numbers, lengths


def _copy_postings(
    codec: Any,
    storage: Any,
    schema: Any,
    merged: Any,
    readers: Sequence[Any],
    new_numbers: Sequence[list[int] | int],
    lengths: dict[str, list[int]],
) -> None:
    """Write every term's postings, each list renumbered and concatenated in
    segment order (so still in document order); terms left with no live
    document are dropped."""
    terms_readers = [reader._terms for reader in readers]
    writer = codec.field_writer(storage, merged)
    try:
        for name in sorted(lengths):
            field = schema[name]
            field_lengths = lengths[name]
            started = False
            for text, found in _terms_of_field(terms_readers, name):
                ids: list[int] = []
                weights: list[float] = []
                values: list[bytes] = []
                for source, terminfo in found:
                    old_ids, old_weights, old_values = read_posting_list(
                        terms_readers[source]._postfile, terminfo
                    )
                    mapping = new_numbers[source]
                    if isinstance(mapping, int):
                        ids.extend(old + mapping for old in old_ids)
                        weights.extend(old_weights)
                        values.extend(old_values)
                        continue
                    for at, old in enumerate(old_ids):
                        new = mapping[old]
                        if new >= 0:
                            ids.append(new)
                            weights.append(old_weights[at])
                            if old_values:
                                values.append(old_values[at])
                if not ids:
                    continue
                if not started:
                    writer.start_field(name, field)
                    started = True
                writer.start_term(text)
                posting_lengths = [field_lengths[new] for new in ids]
                writer._postwriter.add_posting_list(ids, weights, values, posting_lengths)
                writer.finish_term()
            if started:
                writer.finish_field()
    finally:
        writer.close()


def _terms_of_field(
    terms_readers: Sequence[Any], name: str
) -> Iterator[tuple[bytes, list[tuple[int, Any]]]]:
    """The field's terms across segments in order, each with the segments
    holding it (their positions) and its term info in each."""

    def of_segment(source: int) -> Iterator[tuple[bytes, int, Any]]:
        for (fieldname, text), terminfo in terms_readers[source].items_from(name, b""):
            if fieldname != name:
                return
            yield text, source, terminfo

    every = heapq.merge(*(of_segment(source) for source in range(len(terms_readers))))
    for text, group in itertools.groupby(every, key=lambda entry: entry[0]):
        yield text, [(source, terminfo) for _, source, terminfo in group]
