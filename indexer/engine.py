"""The Whoosh side of indexing: the schema, records to documents and back, the writer.

This module and ``search/engine.py`` are the only places that import Whoosh, so
the engine can be changed here without touching the rest of newsdex.

One index holds two sorts of document: records (article, headline, footer),
which are searched, and one ``page`` document per page file, which remembers
what that page yielded so that reading it again can take back what it no
longer holds. Both are written in one commit, so they never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from indexer import __version__
from indexer.dedup import refresh
from indexer.errors import IndexLocked, IndexNotFound, NotAnIndex
from indexer.records import Article, Footer, Headline, Record, Source

FORMAT_VERSION = 1
"""Bump when the schema or the stored layout changes: old indexes must be rebuilt."""

MARKER_FILE = "newsdex.json"
PAGE_KIND = "page"
TITLE_BOOST = 2.0
"""A caption or headline says what the text is about: a match there counts double."""


def build_schema() -> Schema:
    """The fields of every document, records and pages alike."""
    stemming = StemmingAnalyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=stemming, stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=stemming, stored=True),
        # Unstemmed words, only for "did you mean": suggestions must be words,
        # and corrections drawn from a stemmed field come out as stems.
        spelling=TEXT(analyzer=StandardAnalyzer(stoplist=None), phrase=False),
        # Whoosh drops time zones silently: always naive UTC in the index.
        published=DATETIME(stored=True, sortable=True),
        # JSON: a record's sources, or a page's bookkeeping.
        data=STORED,
    )


@dataclass(frozen=True)
class PageEntry:
    """What the index remembers of one page file."""

    path: str
    record_ids: tuple[str, ...] = ()
    skipped: str | None = None
    warnings: tuple[str, ...] = ()
    size: int = 0
    mtime: float = 0.0


def to_naive_utc(moment: datetime) -> datetime:
    """The form Whoosh stores: UTC, without tzinfo."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def record_to_document(record: Record) -> dict[str, Any]:
    """The stored and indexed fields of one record."""
    document: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "data": json.dumps({"sources": [[s.path, s.line] for s in record.sources]}),
    }
    if isinstance(record, Headline):
        document["title"] = record.text
        document["body"] = ""
        document["published"] = to_naive_utc(record.published)
    else:
        document["title"] = record.title if isinstance(record, Article) else ""
        document["body"] = record.text
    document["spelling"] = f"{document['title']}\n{document['body']}"
    return document


def document_to_record(fields: dict[str, Any]) -> Record:
    """The record a stored document holds (inverse of :func:`record_to_document`)."""
    sources = tuple(Source(path, line) for path, line in json.loads(fields["data"])["sources"])
    kind = fields["kind"]
    if kind == "headline":
        published = fields["published"].replace(tzinfo=UTC)
        return Headline(fields["title"], published, sources, id=fields["id"])
    if kind == "article":
        paragraphs = tuple(fields["body"].split("\n\n")) if fields["body"] else ()
        return Article(fields["title"], paragraphs, sources, id=fields["id"])
    lines = tuple(fields["body"].split("\n")) if fields["body"] else ()
    return Footer(lines, sources, id=fields["id"])


def page_to_document(page: PageEntry) -> dict[str, Any]:
    data = {
        "path": page.path,
        "records": list(page.record_ids),
        "skipped": page.skipped,
        "warnings": list(page.warnings),
        "size": page.size,
        "mtime": page.mtime,
    }
    return {"id": f"page:{page.path}", "kind": PAGE_KIND, "data": json.dumps(data)}


def document_to_page(fields: dict[str, Any]) -> PageEntry:
    data = json.loads(fields["data"])
    return PageEntry(
        data["path"],
        tuple(data["records"]),
        data["skipped"],
        tuple(data["warnings"]),
        data["size"],
        data["mtime"],
    )


def open_storage(directory: Path) -> whoosh_index.FileIndex:
    """Open an existing newsdex index for reading, after checking it is one.

    Whoosh index files hold pickles, so a folder is only opened when it carries
    newsdex's marker with a format this version knows.
    """
    check_marker(directory)
    # Without mmap, opening does not copy every segment into memory: a
    # short-lived command opens in milliseconds whatever the index size.
    storage = FileStorage(str(directory), supports_mmap=False)
    return storage.open_index()


def check_marker(directory: Path) -> None:
    marker = directory / MARKER_FILE
    if not marker.is_file():
        if not directory.exists() or not any(directory.iterdir()):
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


def write_run(
    directory: Path,
    pages: Collection[PageEntry],
    records: dict[str, Record],
    *,
    rebuild: bool = False,
    wait_seconds: float = 5.0,
) -> None:
    """Commit one index run: the pages read and the records they yielded.

    Pages read in this run replace what the index knew of them; records keep
    the sources they have on pages not read again. With ``rebuild`` the index
    holds exactly this run, swapped in by the same commit, so searches see
    the old index until the new one is complete.
    """
    index = _open_for_writing(directory, rebuild)
    try:
        writer = index.writer(timeout=wait_seconds, limitmb=256)
    except whoosh_index.LockError as error:
        raise IndexLocked(
            f"the index at {directory} is being written by another process",
            hint="wait for it to finish, then run again",
        ) from error
    try:
        if rebuild:
            for record in records.values():
                writer.add_document(**record_to_document(record))
            for page in pages:
                writer.add_document(**page_to_document(page))
            writer.commit(mergetype=CLEAR)
            return
        with index.searcher() as searcher:
            _update(writer, searcher, pages, records)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        index.close()


def _update(
    writer: Any,
    searcher: Searcher,
    pages: Collection[PageEntry],
    records: dict[str, Record],
) -> None:
    reread_paths = {page.path for page in pages}
    affected = set(records)
    for page in pages:
        earlier = searcher.document(id=f"page:{page.path}")
        if earlier is not None:
            affected.update(document_to_page(earlier).record_ids)
    for record_id in sorted(affected):
        stored_fields = searcher.document(id=record_id)
        stored = document_to_record(stored_fields) if stored_fields else None
        updated = refresh(stored, records.get(record_id), reread_paths)
        if updated is None:
            writer.delete_by_term("id", record_id)
        elif updated != stored or stored_fields is None:
            writer.update_document(**record_to_document(updated))
    for page in pages:
        writer.update_document(**page_to_document(page))
