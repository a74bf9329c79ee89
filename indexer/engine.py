"""The Whoosh side of indexing: the schema, records to documents and back, the writer.

This module and ``search/engine.py`` are the only places that import Whoosh, so
the engine can be changed here without touching the rest of newsdex.

One index holds two sorts of document. Records (article, headline, footer)
are searched; each is content-addressed and written once, however many pages
carry it. Page documents remember each page file (or dumped page): its size,
modification time and hash, and the records it yielded, in an indexed
``records`` field, so a record's pages are found by a term lookup and a
record no page holds any more can be removed. Both are written in one commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.query import Term
from whoosh.writing import CLEAR

from indexer import __version__
from indexer.errors import IndexDamaged, IndexLocked, IndexNotFound, NotAnIndex
from indexer.records import Article, Footer, Headline, Record, Source

FORMAT_VERSION = 4
"""Bump when the schema or the stored layout changes: old indexes must be rebuilt."""

MARKER_FILE = "newsdex.json"
PAGE_KIND = "page"
TITLE_BOOST = 2.0
"""A caption or headline says what the text is about: a match there counts double."""
WRITER_POOL_MB = 512
"""Whoosh's in-memory posting pool: larger pools mean fewer, bigger runs to merge."""
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
INLINE_POSTINGS_BELOW = 2
"""Terms in fewer documents than this keep their postings in the term dictionary."""


class CompactPositions(Positions):  # type: ignore[misc]
    """Word positions as varint deltas, where Whoosh pickles a list per posting.

    Positions are most of an index (they make phrase queries work); this form
    takes 1 to 2 bytes a position instead of Whoosh's 6 to 7, and is quicker
    to write. The class is named in the index's schema, so it must stay here.
    """

    def encode(self, poslist: Any) -> bytes:
        encoded = bytearray()
        _append_varint(encoded, len(poslist))
        previous = 0
        for position in poslist:
            _append_varint(encoded, position - previous)
            previous = position
        return bytes(encoded)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        numbers = _varints(valuestring)
        next(numbers)  # the count
        positions = []
        position = 0
        for delta in numbers:
            position += delta
            positions.append(position)
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return next(_varints(valuestring))


def _append_varint(encoded: bytearray, number: int) -> None:
    while number >= 0x80:
        encoded.append((number & 0x7F) | 0x80)
        number >>= 7
    encoded.append(number)


def _varints(encoded: bytes) -> Iterator[int]:
    number = shift = 0
    for byte in encoded:
        number |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            yield number
            number = shift = 0


class InliningPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings writer, with its inlining of short posting lists working.

    whoosh3 3.54 calls ``terminfo.set_inline``, a method W3TermInfo spells
    ``set_inlined``, so any ``inlinelimit`` above 1 fails. A posting list of
    its own costs about 120 bytes even for one document, and a third of all
    terms (every record id, most dates, rare words) are in one document only:
    inlining them makes the index 8% smaller (5,000 benchmark pages).
    """

    def finish_postings(self) -> Any:
        terminfo = self._terminfo  # type: ignore[has-type]
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            # Formats without values (ids, dates) leave ``_values`` empty, and
            # Whoosh then reads a value back as "" where merging wants bytes.
            values = self._values or [b""] * len(self._ids)
            terminfo.set_inlined(self._ids, self._weights, values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class NewsdexCodec(W3Codec):  # type: ignore[misc]
    """Whoosh's codec, inlining the postings of terms found in one document."""

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_POSTINGS_BELOW)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> InliningPostingsWriter:
        return InliningPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def _text_field(analyzer: Any, field_boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=analyzer, stored=True, field_boost=field_boost)
    field.format = CompactPositions(field_boost=field_boost)
    return field


def build_schema() -> Schema:
    """The fields of every document, records and pages alike."""
    stemming = StemmingAnalyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        kind=ID(stored=True),
        title=_text_field(stemming, TITLE_BOOST),
        body=_text_field(stemming),
        # Footers' text, apart: searches leave boilerplate out unless asked,
        # and a separate field does that at no cost per query.
        boilerplate=_text_field(stemming),
        # Whoosh drops time zones silently: always naive UTC in the index.
        published=DATETIME(stored=True, sortable=True),
        # Page documents only: the ids of the records the page yields, its
        # key (path or url) and its bookkeeping as JSON.
        records=KEYWORD(commas=True, scorable=False),
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


def document_to_page(fields: dict[str, Any]) -> PageEntry:
    data = json.loads(fields["data"])
    records = (pair.rsplit(":", 1) for pair in data["records"].split())
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
    """Document numbers of the (live) pages that yield the record."""
    return iter(searcher.docs_for_query(Term("records", record_id)))


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
    return storage.open_index()


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


def _create(directory: Path) -> whoosh_index.FileIndex:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    index = FileStorage(str(directory), supports_mmap=False).create_index(build_schema())
    marker = {"format": FORMAT_VERSION, "created_by": f"newsdex {__version__}"}
    (directory / MARKER_FILE).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    return index


def _open_for_writing(directory: Path, rebuild: bool) -> whoosh_index.FileIndex:
    try:
        return open_storage(directory)
    except IndexNotFound:
        return _create(directory)
    except NotAnIndex:
        # Only an old newsdex index may be replaced, and only when asked to;
        # a folder newsdex did not make is never overwritten.
        if rebuild and (directory / MARKER_FILE).is_file():
            return _create(directory)
        raise


@dataclass
class IndexSession:
    """One index run's writer: learn what the index knows, change it, commit once.

    Nothing is visible to searchers before :meth:`commit`; :meth:`cancel` (or
    a crash) leaves the index as it was. With ``rebuild`` the commit replaces
    everything, so searches see the old index until the new one is complete.
    """

    directory: Path
    rebuild: bool = False
    wait_seconds: float = 5.0
    input_bytes: int = 0
    """How much the run may read: large first builds use two processes."""
    _written: set[str] = field(default_factory=set)
    _present: set[str] = field(default_factory=set)
    _orphan_candidates: set[str] = field(default_factory=set)
    _referenced: set[str] = field(default_factory=set)
    _replaced_pages: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        # An index folder this run creates is removed again if the run is
        # cancelled: a failed first run leaves nothing behind.
        self._created_folder = not self.directory.exists()
        self._index = _open_for_writing(self.directory, self.rebuild)
        self._searcher = self._index.searcher()
        self._documents_before = 0 if self.rebuild else int(self._searcher.doc_count())
        self._empty = self._documents_before == 0
        self._added = self._deleted = 0
        options: dict[str, Any] = {
            "timeout": self.wait_seconds,
            "limitmb": WRITER_POOL_MB,
            "codec": NewsdexCodec(),
        }
        if self._empty and self.input_bytes >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1:
            # Two processes analyse documents side by side (1.9x faster on
            # 5,000 pages, 2 cores), each leaving its own segment. Only for
            # large first builds: a small run would mostly pay start-up.
            options.update(procs=2, multisegment=True, limitmb=WRITER_POOL_MB // 2)
        try:
            self._writer = self._index.writer(**options)
        except whoosh_index.LockError as error:
            self._searcher.close()
            self._index.close()
            raise IndexLocked(
                f"the index at {self.directory} is being written by another process",
                hint="wait for it to finish, or give --wait more seconds",
            ) from error

    def known_pages(self) -> dict[str, PageEntry]:
        """Every page (and dump) the index knows, by key; none when rebuilding."""
        if self._empty:
            return {}
        return {
            fields["page"]: document_to_page(fields)
            for fields in self._searcher.documents(kind=PAGE_KIND)
        }

    def put_page(self, page: PageEntry, records: Iterable[Record]) -> None:
        """Record a page read in this run, and write the records not yet indexed."""
        self._forget_page(page.key)
        for record in records:
            self._referenced.add(record.id)
            if not self._exists(record.id):
                self._add(record_to_document(record))
                self._written.add(record.id)
        self._add(page_to_document(page))

    def keep_page(self, page: PageEntry) -> None:
        """A page whose content did not change: update its bookkeeping only."""
        self._forget_page(page.key, orphans=False)
        self._referenced.update(record_id for record_id, _ in page.records)
        self._add(page_to_document(page))

    def remove_page(self, page: PageEntry) -> None:
        """A page gone from the indexed paths: it and its last-held records go."""
        self._forget_page(page.key)

    def commit(self) -> int:
        """Make the run visible: remove records no page holds, then commit.

        Returns the number of documents in the index afterwards.
        """
        try:
            for record_id in sorted(self._orphan_candidates - self._referenced):
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
            if self.rebuild:
                self._writer.commit(mergetype=CLEAR)
            else:
                self._writer.commit()
            with self._index.searcher() as searcher:
                documents = int(searcher.doc_count())
        finally:
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
            self._writer.cancel()
        finally:
            self._index.close()
            if self._created_folder:
                shutil.rmtree(self.directory, ignore_errors=True)

    def _exists(self, record_id: str) -> bool:
        if record_id in self._written or record_id in self._present:
            return True
        if self._empty:
            return False
        if self._searcher.document_number(id=record_id) is not None:
            self._present.add(record_id)
            return True
        return False

    def _forget_page(self, key: str, *, orphans: bool = True) -> None:
        """Delete a page's document; its records become candidates for removal."""
        if self._empty:
            return
        number = self._searcher.document_number(id=page_document_id(key))
        if number is None:
            return
        if orphans:
            old = document_to_page(self._searcher.stored_fields(number))
            self._orphan_candidates.update(record_id for record_id, _ in old.records)
        self._replaced_pages.add(number)
        self._delete(page_document_id(key))

    def _add(self, document: dict[str, Any]) -> None:
        self._writer.add_document(**document)
        self._added += 1

    def _delete(self, document_id: str) -> None:
        """Delete a document that the committed index holds (ids are unique)."""
        self._writer.delete_by_term("id", document_id)
        self._deleted += 1
