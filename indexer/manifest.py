"""A sharded index: its manifest, which record goes to which shard, and its shards opened as one.

A sharded index is a folder holding newsdex's marker, a manifest
(``shards.json``) and one folder per shard, each a complete newsdex index.
The manifest names the shard folders of the last completed run; a run
writes new shard folders and commits by replacing the manifest (written
whole, then renamed over the old one), so a run killed at any moment leaves
the manifest of the run before it, and the folders it names, untouched.

Every record lives in the shard its id hashes to, so a headline seen on
pages read by different workers is one record, in one shard. A page's
bookkeeping document is split the same way: each shard holding some of the
page's records has a part of it listing those records, and the page's home
shard (its key's hash) always has one, so a page without records is known too.

Storage layer: the writer (``indexer.sharded``) and the searcher
(``search.index``) both read this module.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import IndexDamaged, IndexNotFound
from indexer.storage import MARKER_FILE, check_marker, open_storage, page_document_id

MANIFEST_FILE = "shards.json"
SHARD_PREFIX = "shard-"
MAX_SHARDS = 4096
"""More shards than this is a mistake (each costs every query a little)."""


@dataclass(frozen=True)
class Manifest:
    """The shard folders of a sharded index's last completed run, in shard order."""

    generation: int
    shards: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.shards)


def shard_of(document_id: str, count: int) -> int:
    """The shard a record (or page part) with this id lives in, of ``count``."""
    digest = hashlib.blake2b(document_id.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % count


def home_shard(page_key: str, count: int) -> int:
    """The shard that always holds a page's bookkeeping, records or not."""
    return shard_of(page_document_id(page_key), count)


def shard_folder_name(number: int, generation: int) -> str:
    """The folder of shard ``number`` as written by run ``generation``."""
    return f"{SHARD_PREFIX}{number:04d}.g{generation}"


def read_manifest(directory: Path) -> Manifest | None:
    """The folder's manifest, or ``None`` if it is not a sharded index."""
    try:
        text = (directory / MANIFEST_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise IndexDamaged(f"cannot read {directory / MANIFEST_FILE}: {error}") from error
    try:
        data = json.loads(text)
        manifest = Manifest(int(data["generation"]), tuple(str(name) for name in data["shards"]))
    except (ValueError, KeyError, TypeError) as error:
        raise IndexDamaged(
            f"{directory / MANIFEST_FILE} is damaged: {error}",
            hint="rebuild it with `newsdex index --rebuild --shards N PATH...`",
        ) from error
    if any(os.sep in name or not name.startswith(SHARD_PREFIX) for name in manifest.shards):
        raise IndexDamaged(f"{directory / MANIFEST_FILE} names a folder that is not a shard")
    return manifest


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Commit a sharded index: the manifest is written whole, then renamed into place."""
    data = {"generation": manifest.generation, "shards": list(manifest.shards)}
    temporary = directory / f".{MANIFEST_FILE}.{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(json.dumps(data, indent=1) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, directory / MANIFEST_FILE)


OPEN_ATTEMPTS = 20


class ShardedStorage:
    """The shards of a sharded index opened as one index: its searcher reads
    every shard's segments through one Whoosh ``MultiReader``, which adds up
    document counts, document frequencies and field lengths over all of
    them, so BM25F scores as one index of the same records would."""

    def __init__(self, directory: Path, *, mmap: bool = False, shards: Sequence[int] = ()) -> None:
        self.directory = directory
        self._mmap = mmap
        self._only = tuple(shards)
        """Open only these shards (a worker of a cluster search); all when empty."""
        self._closed: list[Any] = []
        self.manifest, self._indexes = self._open()
        self.schema = self._indexes[0].schema

    def _open(self) -> tuple[Manifest, list[Any]]:
        for attempt in range(OPEN_ATTEMPTS):
            manifest = read_manifest(self.directory)
            if manifest is None:
                raise IndexNotFound(f"no sharded index at {self.directory}")
            numbers = self._only or range(manifest.count)
            try:
                indexes = [
                    open_storage(self.directory / manifest.shards[number], mmap=self._mmap)
                    for number in numbers
                ]
            except (IndexNotFound, FileNotFoundError):
                # A later run committed and removed the folders this manifest
                # named: the next look finds the new manifest.
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)
                continue
            return manifest, indexes
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def holds_first(self) -> bool:
        """Whether the first shard is open: its holder also counts the folder's
        own files (a worker of a cluster search holds some shards only)."""
        return not self._only or 0 in self._only

    @property
    def folders(self) -> list[Path]:
        """The shard folders open, in shard order."""
        numbers = self._only or range(self.manifest.count)
        return [self.directory / self.manifest.shards[number] for number in numbers]

    def latest_generation(self) -> int:
        manifest = read_manifest(self.directory)
        return manifest.generation if manifest is not None else -1

    def reader(self) -> Any:
        """One reader over every segment of every shard open."""
        from whoosh.reading import MultiReader

        if self.latest_generation() != self.manifest.generation:
            self._closed.extend(self._indexes)
            self.manifest, self._indexes = self._open()
        readers = [index.reader() for index in self._indexes]
        leaves = [leaf for reader in readers for leaf, _ in reader.leaf_readers()]
        leaves = [leaf for leaf in leaves if leaf.doc_count_all()]
        if not leaves:
            return readers[0]  # no shard has a document yet
        return MultiReader(leaves, generation=self.manifest.generation)

    def searcher(self, **options: Any) -> Any:
        from whoosh.searching import Searcher

        return Searcher(self.reader(), **options)

    def close(self) -> None:
        for index in [*self._closed, *self._indexes]:
            index.close()


def open_index_storage(directory: Path, *, mmap: bool = False, shards: Sequence[int] = ()) -> Any:
    """A Whoosh index, or the shards of a sharded one as one index
    (:class:`ShardedStorage`; only the ``shards`` given, if any)."""
    check_marker(directory)
    if (directory / MANIFEST_FILE).is_file():
        return ShardedStorage(directory, mmap=mmap, shards=shards)
    first_build = not any(directory.glob("*.toc"))
    if first_build and any(path.name.startswith(SHARD_PREFIX) for path in directory.iterdir()):
        # The first sharded build has not committed yet (or was killed).
        raise IndexNotFound(f"no index at {directory} yet", hint="run `newsdex index` first")
    return open_storage(directory, mmap=mmap)


__all__ = [
    "MANIFEST_FILE",
    "MARKER_FILE",
    "Manifest",
    "ShardedStorage",
    "home_shard",
    "open_index_storage",
    "read_manifest",
    "shard_folder_name",
    "shard_of",
    "write_manifest",
]
