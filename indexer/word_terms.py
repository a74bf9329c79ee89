"""The terms of words indexing has met, kept beside an index for its next run.

A writer process makes each word's term (its stem) the first time it meets
the word, and remembers it (:func:`indexer.analysis.indexed_positions`). A
build's processes meet each word once in thousands of pages; an addition's
processes start afresh, and meet most of the index's words again, each
stemmed anew: about a seventh of their work on 1,000 pages
(docs/performance.md). So a writer process starts from the words the last
one kept, and keeps its own when it has met many new ones.

The file is a cache: deleting it loses nothing. It is read only by the
newsdex, index format and Python that wrote it, only if its checksum holds,
and only if a sample of its words still makes the terms it says; else the
words are stemmed as they are met.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import random
import sys
from pathlib import Path

import zstandard

from indexer import analysis
from indexer.storage import FORMAT_VERSION
from indexer.version import __version__

FILE = "newsdex-words.cache"
_STAMP = repr(("newsdex words 2", __version__, FORMAT_VERSION, sys.version_info[:3])).encode()
"""What the file begins with: a file of another newsdex, format or Python is not read."""
SAMPLE = 64
"""Words of the file stemmed again when it is read: any that differs, and it is not used."""
NEW_WORDS_KEPT = 5000
"""New words a writer process must meet, beyond those it read, to keep its own."""

Terms = dict[str, str | None]
"""Words and their terms (``None``: a word not indexed, such as a stop word)."""


def read(directory: Path) -> Terms | None:
    """The words kept beside the index, if the file is sound and agrees with
    this analyzer; else ``None``."""
    try:
        data = (directory / FILE).read_bytes()
    except OSError:
        return None
    stamp, payload = data[: len(_STAMP)], data[len(_STAMP) :]
    if stamp != _STAMP:
        return None
    try:  # zstd's checksum of the words refuses a damaged file
        terms = pickle.loads(zstandard.ZstdDecompressor().decompress(payload))
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, zstandard.ZstdError):
        return None
    if not isinstance(terms, dict) or not _agrees(terms):
        return None
    return terms


def _agrees(terms: Terms) -> bool:
    """Whether a sample of the words still makes the terms the file says."""
    words = random.sample(list(terms), min(SAMPLE, len(terms)))
    return all(isinstance(word, str) and analysis.term_of(word) == terms[word] for word in words)


def write(directory: Path, terms: Terms) -> None:
    """Keep ``terms`` beside the index (written whole under a name of this
    process's, then renamed over the last: a reader never sees half a file,
    and the run's writer processes never write one file together); a disk
    error keeps none."""
    payload = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(
        pickle.dumps(terms, protocol=pickle.HIGHEST_PROTOCOL)
    )
    partial = directory / f"{FILE}.{os.getpid()}.partial"
    try:
        with open(partial, "wb") as file:
            file.write(_STAMP + payload)
        os.replace(partial, directory / FILE)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(partial)
