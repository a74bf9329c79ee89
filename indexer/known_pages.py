"""What an index knows of its pages, kept beside it as of its last commit.

Every index run starts by learning every page the index holds, to tell the
files that changed from those that did not. Read from the index's page
documents (each one's stored fields decompressed and unpickled, its JSON
parsed), that was the largest fixed cost of an addition and of a re-index
with nothing changed (docs/performance.md). So after each commit the
session writes the same list to one file, stamped with the commit's
generation and its number of pages; a run that finds the index at that
generation, with that many page documents, reads the file instead.

A first build keeps no list (it would hold every page in memory): the run
after it reads the page documents once and keeps the list. A commit that
wrote no file (a full disk, a newsdex without this file, a run too large to
list) leaves a stamp that no longer matches, and the next run reads the page
documents, as before. The file is a cache: deleting it loses nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import zstandard

from indexer.storage import PageEntry

FILE = "newsdex-pages.cache"
_PARTIAL = FILE + ".partial"
"""Written first, then renamed over :data:`FILE`: a reader never sees half a file."""
_HEADER = struct.Struct("<8sQQ")
_MAGIC = b"NDXPAGE1"
"""The file's first bytes: their last one is the layout's version."""
_FIELDS = tuple(field.name for field in dataclasses.fields(PageEntry) if field.name != "records")
"""A page's values in the file, in this order: what the index remembers of
it but its records (which a run reads from the index when it needs them)."""

Row = tuple[Any, ...]
"""A page as the file keeps it: its values in the order of :data:`_FIELDS`."""


def row_of(page: PageEntry) -> Row:
    return tuple(getattr(page, name) for name in _FIELDS)


def pages_of(rows: Iterable[Row]) -> dict[str, PageEntry]:
    """The pages of rows, by key, without records (as a run knows them).

    Made as unpickling makes an object, its attributes set at once: a
    frozen dataclass's ``__init__`` sets each through ``object.__setattr__``,
    and for 20,000 pages that was most of reading the list."""
    new, names = object.__new__, _FIELDS
    pages = {}
    for row in rows:
        page = new(PageEntry)
        attributes = page.__dict__
        attributes.update(zip(names, row, strict=True))
        attributes["records"] = ()
        pages[row[0]] = page
    return pages


def read(directory: Path, generation: int, pages: int) -> list[Row] | None:
    """The pages the file lists (see :func:`pages_of`), if it was written for
    this generation of the index and lists ``pages`` pages; else ``None``
    (read the index)."""
    try:
        with open(directory / FILE, "rb") as file:
            header = file.read(_HEADER.size)
            if len(header) != _HEADER.size:
                return None
            magic, stamped, count = _HEADER.unpack(header)
            if (magic, stamped, count) != (_MAGIC, generation, pages):
                return None
            fields, rows = pickle.loads(zstandard.ZstdDecompressor().decompress(file.read()))
        if fields != _FIELDS or len(rows) != pages or not all(map(_is_row, rows)):
            return None
        return rows  # type: ignore[no-any-return]
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, zstandard.ZstdError):
        return None


def _is_row(row: Any) -> bool:
    return type(row) is tuple and len(row) == len(_FIELDS) and type(row[0]) is str


def encoded(rows: Iterable[Row]) -> tuple[int, bytes]:
    """The file's body for these pages, and how many they are (made while the
    writer processes finish their segments, before the commit)."""
    listed = list(rows)
    body = pickle.dumps((_FIELDS, listed), protocol=pickle.HIGHEST_PROTOCOL)
    # Level 1: faster than level 3 on the benchmark's pages, and no larger
    # (docs/performance.md, the eleventh stop).
    return len(listed), zstandard.ZstdCompressor(level=1, write_checksum=True).compress(body)


def write(directory: Path, generation: int, pages: int, body: bytes) -> None:
    """Keep the list for this generation; on a disk error, remove any older one
    (its stamp would not match anyway: this frees its space)."""
    try:
        with open(directory / _PARTIAL, "wb") as file:
            file.write(_HEADER.pack(_MAGIC, generation, pages) + body)
        os.replace(directory / _PARTIAL, directory / FILE)
    except OSError:
        remove(directory)


def remove(directory: Path) -> None:
    for name in (_PARTIAL, FILE):
        with contextlib.suppress(OSError):
            os.remove(directory / name)


def updated(known: Iterable[Row], changes: Mapping[str, Row | None]) -> list[Row]:
    """The pages after a run: those it knew, with its changes (``None``: removed)."""
    kept = [row for row in known if row[0] not in changes]
    return kept + [row for row in changes.values() if row is not None]
