"""Finding page files and reading them as text, with a reason for every one skipped."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PAGE_SUFFIX = ".txt"
MAX_PAGE_BYTES = 50 * 1024 * 1024
"""Pages larger than this are skipped: no real news page comes near it."""

_BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Page:
    """A page file read as text."""

    path: str
    text: str
    size: int
    mtime: float
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file that could not be indexed, and why."""

    path: str
    reason: str


class UnreadablePage(Exception):
    """Raised by :func:`read_page` with the reason as its message."""


def find_pages(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | Skipped]:
    """Yield the page files under ``paths`` in a stable order.

    A file named on the command line is taken whatever its name; folders are
    walked recursively for ``*.txt`` files, without following links to folders
    (so a link loop cannot trap the walk). A path that does not exist is
    yielded as :class:`Skipped`.
    """
    for given in paths:
        path = Path(given)
        if path.is_file():
            yield path.absolute()
        elif path.is_dir():
            yield from _walk(path.absolute())
        else:
            yield Skipped(str(path.absolute()), "no such file or folder")


def _walk(folder: Path) -> Iterator[Path]:
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            if name.endswith(PAGE_SUFFIX):
                yield Path(root, name)


def read_page(path: Path, max_bytes: int = MAX_PAGE_BYTES) -> Page:
    """Read one page as UTF-8; raise :class:`UnreadablePage` if it is not text.

    Bytes that are not UTF-8 are replaced (U+FFFD) and the page is kept, with
    a warning: losing a whole page to one bad byte would be worse.
    """
    try:
        status = path.stat()
        if status.st_size > max_bytes:
            raise UnreadablePage(f"too large ({status.st_size:,} bytes)")
        raw = path.read_bytes()
    except OSError as error:
        raise UnreadablePage(f"unreadable: {error.strerror or error}") from error
    if not raw.strip():
        raise UnreadablePage("empty")
    # The same test git and grep use: text files do not contain NUL bytes.
    if b"\x00" in raw[:_BINARY_SNIFF_BYTES]:
        raise UnreadablePage("binary")
    warnings: tuple[str, ...] = ()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        warnings = (f"{path}: bytes that are not UTF-8 were replaced",)
    return Page(str(path), text, status.st_size, status.st_mtime, warnings)
