"""Opening an index to search: one index, a sharded one, or a sharded one on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from indexer.location import index_directory
from search import lazy_modules

if TYPE_CHECKING:
    from search.index import Index


def open_index(
    index: str | Path | None = None, *, mmap: bool = False, scheduler: str | None = None
) -> Index:
    """Open the index at ``index`` (default: ``$NEWSDEX_INDEX`` or the user's data folder).

    A sharded index is opened whole, its shards read as one index: the same
    hits, in the same order, with the same scores as one index of the same
    pages.

    :param mmap: let Whoosh copy the postings into memory when it opens:
        slower to open and about twice the index size in memory, queries
        somewhat faster (see docs/performance.md). Off by default: memory
        that grows with the index is the wrong default for a library.
    :param scheduler: search a sharded index on the Dask cluster of this
        scheduler (``tcp://host:8786``), each worker holding some shards open
        (:mod:`search.cluster`; needs ``newsdex[dask]``)
    """
    lazy_modules.defer()  # before the engine loads Whoosh
    if scheduler is not None:
        from search.cluster import ClusterIndex

        return ClusterIndex(index_directory(index), scheduler, mmap=mmap)
    from search.index import Index

    return Index(index_directory(index), mmap=mmap)


__all__ = ["open_index"]
