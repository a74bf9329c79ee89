"""Finding page files and dumps, and reading pages as text, with a reason for every skip.

Pages come as ``.txt`` files (one page each) or as JSON Lines dumps (one page
per line, as C4, FineWeb and most crawl datasets ship), optionally gzipped.
Nothing here holds more than one page in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from indexer.limits import MAX_PAGE_BYTES
from indexer.report import Skipped
from indexer.sites import site_name, site_of_url
from indexer.timestamps import UnreadableDate, parse_timestamp

PAGE_SUFFIX = ".txt"
DUMP_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz")

_BINARY_SNIFF_BYTES = 8192
_MOSTLY = 0.25
"""A page with more than this share of control characters, or of bytes that
are not UTF-8, is not text (a Latin-1 page has a few per cent)."""
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
"""Control characters that text does not hold (tabs, newlines, form feeds do)."""
_SKIP_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class InputFile:
    """A file to read: a page (``.txt``) or a dump of pages (``.jsonl``...)."""

    path: str
    size: int
    mtime_ns: int

    @property
    def is_dump(self) -> bool:
        return self.path.endswith(DUMP_SUFFIXES)


@dataclass(frozen=True)
class Page:
    """A page read as text, with what identifies it.

    ``key`` is the page's identity in the index: a file's absolute path, or a
    dumped page's url (else ``dump-path:line``).
    """

    key: str
    text: str
    digest: str
    """A hash of the page's bytes: tells a changed page from a touched one."""
    warnings: tuple[str, ...] = ()
    url: str | None = None
    line: str | None = None
    """Where a dumped page was found (``dump-path:line``); None for a page file."""
    published: datetime | None = None
    """When the page says its article was published (a dump's date field)."""
    site: str | None = None
    """The site the page belongs to, as its dump's site field or url says."""


@dataclass(frozen=True)
class DumpFields:
    """Which fields of a dump's lines hold what: candidates, the first present wins.

    The defaults cover the usual crawl layouts: news-please and CC-NEWS
    (``title``, ``maintext``, ``date_publish``, ``url``, ``source_domain``),
    C4 and FineWeb (``text``, ``url``, ``timestamp`` or ``date``) and
    datasets such as the BBC set (``title``, ``body``).
    """

    text: tuple[str, ...] = ("text", "maintext", "body", "content")
    title: tuple[str, ...] = ("title", "headline")
    date: tuple[str, ...] = ("date_publish", "published", "date", "timestamp")
    url: tuple[str, ...] = ("url", "link")
    site: tuple[str, ...] = ("site", "source_domain", "domain")


class UnreadablePage(Exception):
    """Raised by :func:`read_page` with the reason as its message."""


def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> Iterator[InputFile | Skipped]:
    """Yield the page files and dumps under ``paths``, in a stable order.

    A file named on the command line is taken whatever its name; folders are
    walked recursively for ``.txt`` pages and dumps. Links to folders are
    followed, each folder walked once: a link to a folder walked already (a
    loop, or a second way to the same folder) is skipped with that reason.
    """
    walked: dict[tuple[int, int], str] = {}
    for given in paths:
        path = Path(os.path.abspath(given))  # absolute, without ".." parts
        if path.is_dir():
            yield from _walk(str(path), walked)
        elif path.exists():
            yield _stat(str(path))
        else:
            yield Skipped(str(path), "no such file or folder")


def _walk(folder: str, walked: dict[tuple[int, int], str]) -> Iterator[InputFile | Skipped]:
    # Paths as strings, not Path objects: making 50,000 of them was a large
    # part of a re-index with nothing changed.
    for root, folders, files in os.walk(folder, followlinks=True):
        here = _folder_id(root)
        if here is not None and walked.setdefault(here, root) != root:
            folders.clear()  # reached through a link: walked already
            yield Skipped(root, f"a link to a folder walked already ({walked[here]})")
            continue
        folders.sort()
        prefix = os.path.join(root, "")  # the folder and one separator
        for name in sorted(files):
            if name.endswith(PAGE_SUFFIX) or name.endswith(DUMP_SUFFIXES):
                yield _stat(prefix + name)


def _folder_id(folder: str) -> tuple[int, int] | None:
    """What tells two ways to one folder apart from two folders: device and inode."""
    try:
        status = os.stat(folder)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _stat(path: str) -> InputFile | Skipped:
    try:
        status = os.stat(path)
    except OSError as error:
        return Skipped(path, f"unreadable: {error.strerror or error}")
    if not stat.S_ISREG(status.st_mode):
        # A named pipe would block the run on open(); a device never ends.
        return Skipped(path, "not a regular file")
    return InputFile(path, status.st_size, status.st_mtime_ns)


def digest_of(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def read_page(path: str, max_bytes: int = MAX_PAGE_BYTES) -> Page:
    """Read one page file as UTF-8; raise :class:`UnreadablePage` if it is not text.

    Never holds more than ``max_bytes`` (plus one) of the file in memory, even
    if the file grows while it is read; a binary file costs its first 8 KB.
    """
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise UnreadablePage(f"too large ({size:,} bytes, the limit is {max_bytes:,})")
        with open(path, "rb") as file:
            head = file.read(min(_BINARY_SNIFF_BYTES, max_bytes + 1))
            _refuse_binary(head)
            raw = head + _read_rest(file, max_bytes + 1 - len(head), size - len(head))
    except OSError as error:
        raise UnreadablePage(f"unreadable: {error.strerror or error}") from error
    if len(raw) > max_bytes:
        raise UnreadablePage(f"too large (over {max_bytes:,} bytes, the limit)")
    # The head was sniffed already: the first bytes decode_page would sniff.
    text, warnings = _decoded(raw)
    return Page(path, text, digest_of(raw), warnings)


def _read_rest(file: BinaryIO, limit: int, expected: int) -> bytes:
    """Up to ``limit`` more bytes of a file that its size said has ``expected``
    more: asked for those and one more, which tells whether it grew since;
    only a file that grew is read on, up to the limit. Asking for the limit
    itself (50 MB) made a buffer of that size for every page."""
    first = max(expected, 0) + 1
    if first >= limit:
        return file.read(limit)
    rest = file.read(first)
    if len(rest) < first:
        return rest
    return rest + file.read(limit - first)


def _refuse_binary(head: bytes) -> None:
    """Raise :class:`UnreadablePage` if the first bytes of a page are not text.

    The test git and grep use (text has no NUL byte), and one for binary
    data without NULs: text is not mostly control characters.
    """
    sniffed = head[:_BINARY_SNIFF_BYTES]
    if b"\x00" in sniffed:
        raise UnreadablePage("binary")
    # Counted as the bytes deleting them leaves out: one C call, where a
    # regular expression made a list of them.
    controls = len(sniffed) - len(sniffed.translate(None, _CONTROL_BYTES))
    if controls > _MOSTLY * len(sniffed):
        raise UnreadablePage("binary")


def decode_page(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """The page's text; raise :class:`UnreadablePage` if it is empty or binary.

    Bytes that are not UTF-8 are replaced (U+FFFD) and the page is kept, with
    a warning: losing a whole page to one bad byte would be worse. A page
    that is mostly such bytes is not UTF-8 text at all and is skipped.
    """
    _refuse_binary(raw)  # no whitespace byte is a control character: either order
    return _decoded(raw)


def _decoded(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """:func:`decode_page` of a page whose first bytes were sniffed already."""
    if not raw or raw.isspace():
        raise UnreadablePage("empty")
    try:
        return raw.decode("utf-8"), ()
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
    if text.count("\ufffd") > _MOSTLY * len(text):
        raise UnreadablePage("not UTF-8 text (most bytes are not UTF-8)")
    return text, ("bytes that are not UTF-8 were replaced",)


def read_dump(
    path: str, fields: DumpFields | None = None, max_bytes: int = MAX_PAGE_BYTES
) -> Iterator[Page | Skipped]:
    """Yield the pages of a JSON Lines dump, one per line, streamed.

    A line that is not a JSON object with a text field (see :class:`DumpFields`)
    is skipped with its reason, and so is a line longer than ``max_bytes``,
    without ever holding more of it in memory; a dump that cannot be opened
    or decompressed raises :class:`UnreadablePage` (before any page, or where
    it breaks off).
    """
    fields = fields or DumpFields()
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as lines:
            number = 0
            while line := lines.readline(max_bytes + 1):
                number += 1
                where = f"{path}:{number}"
                if len(line) > max_bytes and not line.endswith(b"\n"):
                    # Past the limit: read the rest of the line in chunks, unkept.
                    while (rest := lines.readline(_SKIP_CHUNK_BYTES)) and not rest.endswith(b"\n"):
                        pass
                    yield Skipped(where, f"too large (over {max_bytes:,} bytes, the limit)")
                    continue
                if not line.strip():
                    continue
                try:
                    yield _dumped_page(line, where, fields)
                except UnreadablePage as reason:
                    yield Skipped(where, str(reason))
    except (OSError, EOFError) as error:
        why = getattr(error, "strerror", None) or str(error)
        raise UnreadablePage(f"unreadable: {why}") from error


def _dumped_page(line: bytes, where: str, fields: DumpFields) -> Page:
    try:
        record = json.loads(line)
    except ValueError as error:
        raise UnreadablePage(f"not JSON: {error}") from error
    if not isinstance(record, dict):
        raise UnreadablePage("not a JSON object")
    text = _first_text(record, fields.text)
    if text is None:
        raise UnreadablePage(
            f"no text field ({_field_list('text', fields.text)}; this line has"
            f" {_field_names(record)}): name it with --text-field"
        )
    if not text.strip():
        raise UnreadablePage("empty")
    if "\x00" in text[:_BINARY_SNIFF_BYTES]:
        raise UnreadablePage("binary")
    title = _first_text(record, fields.title)
    if title is not None and title.strip() and _first_line(text) != title.strip():
        text = f"{title.strip()}\n{text}"
    url = _first_text(record, fields.url)
    warnings: tuple[str, ...] = ()
    published = None
    stamp = _first_present(record, fields.date)
    if stamp is not None:
        try:
            published = parse_timestamp(stamp)
        except UnreadableDate as error:
            warnings = (f"{where}: {error}; the article is undated",)
    site = _first_text(record, fields.site)
    raw = line.strip()
    return Page(
        url or where,
        text,
        digest_of(raw),
        warnings,
        url,
        where,
        published,
        site_name(site) if site else site_of_url(url),
    )


def _first_present(record: dict[str, object], names: tuple[str, ...]) -> object | None:
    """The value of the first of ``names`` the record has (not null)."""
    for name in names:
        value = record.get(name)
        if value is not None:
            return value
    return None


def _first_text(record: dict[str, object], names: tuple[str, ...]) -> str | None:
    value = _first_present(record, names)
    return value if isinstance(value, str) else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


def _field_list(what: str, names: tuple[str, ...]) -> str:
    return f"{what} is read from " + " or ".join(repr(name) for name in names)


def _field_names(record: dict[str, object], shown: int = 8) -> str:
    names = sorted(record)
    if not names:
        return "no field"
    listed = ", ".join(repr(name) for name in names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{listed}{more}"
