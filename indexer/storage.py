"""The storage layer: the schema, records and pages as documents and back, opening an index.

Both sides sit on this module: the writer (``indexer.session``) and the
searcher (``search.index``) never import each other. One index holds two
sorts of document. Records (article, headline, footer) are searched; each is
content-addressed and written once, however many pages carry it. Page
documents remember each page file (or dumped page): its size, modification
time and hash, and the records it yielded, in an indexed ``records`` field,
so a record's pages are found by a term lookup and a record no page holds
any more can be removed. Both are written in one commit.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import pickle
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.columns import VarBytesColumn
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence
from whoosh.reading import TermNotFound

from indexer import analysis
from indexer.codec import CompactPositions
from indexer.errors import IndexDamaged, IndexNotFound, NotAnIndex
from indexer.records import Article, Footer, Headline, Kind, Record, Source
from indexer.version import __version__

FORMAT_VERSION = 10
"""Bump when the schema or the stored layout changes: old indexes must be
rebuilt, unless this version reads them too (:data:`READABLE_FORMATS`)."""
READABLE_FORMATS = (9, FORMAT_VERSION)
"""Formats searched and written as they are. Format 9 differs only in how
its stored fields and posting blocks are compressed (zlib where 10 has
zstd), which is read either way; a run that writes to such an index marks
it format 10 first, so that an older newsdex refuses it rather than
misreads what the run adds."""

MARKER_FILE = "newsdex.json"
INDEX_NAME = "MAIN"
"""Whoosh's name for the index in its folder: its files start with it."""
OPEN_ATTEMPTS = 20
"""Opening retries when a commit removes the files it was about to read."""
PAGE_KIND = "page"


def _records_field() -> KEYWORD:
    """Record ids, comma-separated: found by lookup, never scored, so only
    whether a page has a record is kept (no frequency per posting)."""
    records = KEYWORD(commas=True, scorable=False)
    records.format = Existence()
    return records


def _sites_field() -> KEYWORD:
    """The sites a record was seen on, comma-separated: filtered and counted by,
    never scored; stored, so a hit names them without reading its pages."""
    sites = KEYWORD(commas=True, scorable=False, stored=True)
    sites.format = Existence()
    return sites


def _text_field(analyzer: Any) -> TEXT:
    """A stored text field whose postings keep word positions, compactly."""
    field = TEXT(analyzer=analyzer, stored=True)
    field.format = CompactPositions()
    return field


class _PageKey(STORED):  # type: ignore[misc]
    """A page document's key (its path or url): stored, and kept in a column as
    well, so a hit names its pages without unpickling each page's whole
    stored document, bookkeeping and all."""

    column_type = VarBytesColumn()

    def to_column_value(self, value: str) -> bytes:
        # A file name that is not UTF-8 holds lone surrogates (Python's
        # surrogateescape): kept as they are, as the stored field keeps them.
        return value.encode("utf-8", "surrogatepass")

    def from_column_value(self, value: bytes) -> str:
        return value.decode("utf-8", "surrogatepass")


def build_schema() -> Schema:
    """The fields of every document, records and pages alike."""
    # Words of any script, stemmed by their script (indexer.analysis): the
    # analyzer's classes are pickled into the index by module path.
    stemming = analysis.analyzer()
    return Schema(
        # In a column too: ties between hits are broken by id, read from there
        # without unpickling the documents' stored fields.
        id=ID(unique=True, stored=True, sortable=True),
        kind=ID(stored=True),
        # Weighed against the body at query time (search.ranking.TITLE_WEIGHT),
        # not here: an index-time boost would be baked into every posting.
        title=_text_field(stemming),
        body=_text_field(stemming),
        # Footers' text, apart: searches leave boilerplate out unless asked,
        # and a separate field does that at no cost per query.
        boilerplate=_text_field(stemming),
        # Whoosh drops time zones silently: always naive UTC in the index.
        published=DATETIME(stored=True, sortable=True),
        site=_sites_field(),
        # Page documents only: the ids of the records the page yields, its
        # site, its key (path or url) and its bookkeeping as JSON.
        records=_records_field(),
        page_site=ID,
        page=_PageKey(),
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
    published: str | None = None
    """When the page says its article was published (ISO 8601, UTC)."""
    site: str | None = None
    is_dump: bool = False
    part: bool = False
    """A sharded index's part of the page in a shard other than its home: it
    lists the page's records of that shard; the page is counted at home."""


def to_naive_utc(moment: datetime) -> datetime:
    """The form Whoosh stores: UTC, without tzinfo."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def record_to_document(record: Record, sites: Iterable[str] = ()) -> dict[str, Any]:
    """The stored and indexed fields of one record, seen on pages of ``sites``
    (its sources live on page documents)."""
    document: dict[str, Any] = {"id": record.id, "kind": record.kind}
    if isinstance(record, Headline):
        document["title"] = record.text
    elif isinstance(record, Article):
        document["title"] = record.title
        document["body"] = record.text
    else:
        document["boilerplate"] = record.text
    if record.published is not None:
        document["published"] = to_naive_utc(record.published)
    if sites := joined_sites(sites):
        document["site"] = sites
    return document


def joined_sites(sites: Iterable[str]) -> str:
    """Sites as the ``site`` field holds them: sorted, comma-separated."""
    return ",".join(sorted(set(sites)))


def sites_of_document(fields: dict[str, Any]) -> tuple[str, ...]:
    """The sites a record's stored document names."""
    joined = fields.get("site")
    return tuple(joined.split(",")) if joined else ()


def document_to_record(fields: dict[str, Any], sources: tuple[Source, ...] = ()) -> Record:
    """The record a stored document holds (inverse of :func:`record_to_document`)."""
    kind = fields["kind"]
    if kind == "headline":
        published = fields["published"].replace(tzinfo=UTC)
        return Headline(fields["title"], published, sources, id=fields["id"])
    if kind == "article":
        body = fields.get("body", "")
        paragraphs = tuple(body.split("\n\n")) if body else ()
        published = fields.get("published")
        when = published.replace(tzinfo=UTC) if published is not None else None
        return Article(fields["title"], paragraphs, sources, id=fields["id"], published=when)
    lines = fields.get("boilerplate", "")
    return Footer(tuple(lines.split("\n")) if lines else (), sources, id=fields["id"])


def record_heading(fields: dict[str, Any]) -> tuple[str, Kind, str, datetime | None]:
    """A record's id, kind, title and date from its stored document, without
    making the whole record (a hit needs no more, and splitting an article
    into paragraphs cost a tenth of a hit)."""
    kind: Kind = fields["kind"]
    if kind == "footer":
        return fields["id"], kind, document_to_record(fields).title, None
    published = fields.get("published")
    when = published.replace(tzinfo=UTC) if published is not None else None
    return fields["id"], kind, fields["title"], when


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
        "published": page.published,
        "site": page.site,
        "is_dump": page.is_dump,
        "part": page.part,
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
    if page.site:
        document["page_site"] = page.site
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
        published=data.get("published"),
        site=data.get("site"),
        is_dump=data.get("is_dump", False),
        part=data.get("part", False),
    )


def pages_of(searcher: Any, record_id: str) -> Iterator[int]:
    """Document numbers of the (live) pages that yield the record."""
    return iter(
        offset + number
        for leaf, offset in searcher.reader().leaf_readers()
        for number in _live_documents(leaf, "records", record_id)
    )


def record_pages(searcher: Any) -> Callable[[str], Iterator[int]]:
    """:func:`pages_of` for one searcher, with each segment's lookup set up
    once: a hit asks for its record's pages in every segment, and the lookup
    itself is a fraction of getting to it through the segment's reader."""
    lookups = [_record_lookup(leaf, offset) for leaf, offset in searcher.reader().leaf_readers()]

    def pages(record_id: str) -> Iterator[int]:
        try:
            word = record_id.encode("utf-8")
        except UnicodeEncodeError:  # not a record id (see _term_info)
            return
        for lookup in lookups:
            yield from lookup(record_id, word)

    return pages


def _record_lookup(leaf: Any, offset: int) -> Callable[[str, bytes], Iterable[int]]:
    """The numbers of a segment's live documents holding a record id (a
    text and its UTF-8), as :func:`_live_documents` finds them."""
    terms = getattr(leaf, "_terms", None)
    if terms is None:  # not a segment's reader

        def through_reader(record_id: str, word: bytes) -> Iterable[int]:
            return (offset + n for n in _live_documents(leaf, "records", record_id))

        return through_reader
    info_of, key = terms.info_of, terms._keycoder("records", b"")
    is_deleted = leaf.is_deleted if leaf.has_deletions() else None

    def lookup(record_id: str, word: bytes) -> Iterable[int]:
        info = info_of(key + word)
        if info is None:
            return ()
        if info.doc_frequency() == 1:
            number = info.min_id()
            return () if is_deleted is not None and is_deleted(number) else (offset + number,)
        return (offset + n for n in leaf.postings("records", record_id).all_ids())

    return lookup


def page_documents(searcher: Any) -> Iterator[dict[str, Any]]:
    """The stored fields of every live page document, in document order (a
    re-index reads every page: see :func:`_segment_stored_fields`)."""
    for leaf, _ in searcher.reader().leaf_readers():
        stored = _segment_stored_fields(leaf)
        for number in _live_documents(leaf, "kind", PAGE_KIND):
            yield stored(number)


def page_document_count(searcher: Any) -> int:
    """How many live page documents the index holds: their kind's document
    count in each segment, or, in a segment with deletions, its live ones."""
    count = 0
    for leaf, _ in searcher.reader().leaf_readers():
        if leaf.has_deletions():
            count += sum(1 for _ in _live_documents(leaf, "kind", PAGE_KIND))
            continue
        with contextlib.suppress(TermNotFound):  # a segment without pages
            count += _term_info(leaf, "kind", PAGE_KIND).doc_frequency()
    return count


def document_number(searcher: Any, document_id: str) -> int | None:
    """The number of the live document with this id (a record's, or a page's
    :func:`page_document_id`), or ``None``."""
    for leaf, offset in searcher.reader().leaf_readers():
        for number in _live_documents(leaf, "id", document_id):
            return int(offset + number)
    return None


def _live_documents(leaf: Any, field: str, text: str) -> Iterable[int]:
    """The segment's live documents holding the term, ascending.

    Read from the term dictionary, not through a query (Whoosh's
    ``document_number`` and ``documents`` set one up, with a scorer, for each
    segment), and not even from the posting list when one document holds the
    term, as for most record ids and most records' pages: the dictionary
    entry names that document.
    """
    try:
        info = _term_info(leaf, field, text)
    except TermNotFound:
        return ()
    if info.doc_frequency() == 1:
        number = info.min_id()
        return () if leaf.is_deleted(number) else (number,)
    return leaf.postings(field, text).all_ids()  # type: ignore[no-any-return]


def _term_info(leaf: Any, field: str, text: str) -> Any:
    """A term's dictionary entry in a segment, asked of its term dictionary.

    Whoosh's segment reader checks the field and converts the word through
    the schema first, several times the lookup's own cost once the entry is
    known: a hit asks for its record in every segment. The fields looked up
    here (ids, kinds, record ids) hold their words as UTF-8 (tested); a text
    that has no UTF-8 (a lone surrogate, from a command line's undecodable
    bytes) is in none of them.
    """
    try:
        word = text.encode("utf-8")
    except UnicodeEncodeError:
        raise TermNotFound(f"no term {field}:{text!r}") from None
    terms = getattr(leaf, "_terms", None)
    if terms is None:  # not a segment's reader
        return leaf.term_info(field, text)
    return terms.term_info(field, word)


def stored_fields(searcher: Any) -> Callable[[int], dict[str, Any]]:
    """A document's stored fields, by its number (see :func:`_segment_stored_fields`)."""
    leaves = searcher.reader().leaf_readers()
    offsets = [offset for _, offset in leaves]
    readers = [_segment_stored_fields(leaf) for leaf, _ in leaves]

    def fields(number: int) -> dict[str, Any]:
        leaf = bisect.bisect_right(offsets, number) - 1
        found: dict[str, Any] = readers[leaf](number - offsets[leaf])
        return found

    return fields


def _segment_stored_fields(leaf: Any) -> Callable[[int], dict[str, Any]]:
    """A segment's stored fields by document number, as written: past Whoosh's
    segment reader, which copies each document's fields to keep the schema's
    (all of them, here), a noticeable part of a hit and of a re-index
    (docs/performance.md, issue 17's fourth stop)."""
    reader: Callable[[int], dict[str, Any]] = getattr(leaf, "_perdoc", leaf).stored_fields
    return reader


def document_ids(searcher: Any) -> Callable[[int], str]:
    """The id of a document, by its number (from the id column)."""
    return _column_values(searcher, "id")


def page_keys(searcher: Any) -> Callable[[int], str]:
    """The key of a page document, by its number (from the page column)."""
    return _column_values(searcher, "page")


def _column_values(searcher: Any, fieldname: str) -> Callable[[int], str]:
    """A field's value in a document, by the document's number: read from the
    field's column, which is opened on the first call."""
    column: list[Any] = []

    def value(number: int) -> str:
        if not column:
            column.append(searcher.reader().column_reader(fieldname, translate=True))
        return str(column[0][number])

    return value


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
    if version not in READABLE_FORMATS:
        known = " and ".join(map(str, READABLE_FORMATS))
        raise NotAnIndex(
            f"the index at {directory} has format {version}; this newsdex reads formats {known}",
            hint="rebuild it with `newsdex index --rebuild PATH...`",
        )


def mark_current_format(directory: Path) -> None:
    """Mark an index of an older readable format as :data:`FORMAT_VERSION`
    before a run writes to it (see :data:`READABLE_FORMATS`)."""
    marker = directory / MARKER_FILE
    if json.loads(marker.read_text(encoding="utf-8"))["format"] != FORMAT_VERSION:
        write_marker(directory)


def write_marker(directory: Path) -> None:
    """Write the marker whole or not at all (a temporary file renamed over it)."""
    marker = {"format": FORMAT_VERSION, "created_by": f"newsdex {__version__}"}
    temporary = directory / f".{MARKER_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(marker) + "\n", encoding="utf-8")
    os.replace(temporary, directory / MARKER_FILE)
