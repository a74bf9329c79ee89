"""newsdex indexing: news pages to article, headline and footer records, to an index.

>>> import indexer
>>> report = indexer.index_paths(["seeds/"])          # doctest: +SKIP
>>> print(report.summary())                           # doctest: +SKIP

Importing this package loads the records and the errors only: the report of
a run, reading and splitting pages load when first used, Whoosh when an
index is written, so that a search (which needs none of them) starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from indexer.errors import (
    IndexDamaged,
    IndexLocked,
    IndexNotFound,
    IndexWriteFailed,
    NewsdexError,
    NotAnIndex,
    NothingIndexed,
    QueryError,
    RecordNotFound,
)
from indexer.location import bundled_seeds, index_directory
from indexer.records import (
    KINDS,
    Article,
    Footer,
    Headline,
    Kind,
    Record,
    Source,
    SplitPage,
)
from indexer.version import __version__

if TYPE_CHECKING:
    from indexer.build import index_paths, index_records, split_files
    from indexer.pages import DumpFields
    from indexer.report import IndexReport, PageWarning, Skipped
    from indexer.segment import split_page

_LOADED_WHEN_USED = {
    "index_paths": "indexer.build",
    "index_records": "indexer.build",
    "split_files": "indexer.build",
    "DumpFields": "indexer.pages",
    "IndexReport": "indexer.report",
    "PageWarning": "indexer.report",
    "Skipped": "indexer.report",
    "split_page": "indexer.segment",
}

__all__ = [
    "KINDS",
    "Article",
    "DumpFields",
    "Footer",
    "Headline",
    "IndexDamaged",
    "IndexLocked",
    "IndexNotFound",
    "IndexReport",
    "IndexWriteFailed",
    "Kind",
    "NewsdexError",
    "NotAnIndex",
    "NothingIndexed",
    "PageWarning",
    "QueryError",
    "Record",
    "RecordNotFound",
    "Skipped",
    "Source",
    "SplitPage",
    "__version__",
    "bundled_seeds",
    "index_directory",
    "index_paths",
    "index_records",
    "split_files",
    "split_page",
]


def __getattr__(name: str) -> Any:
    if name in _LOADED_WHEN_USED:
        return getattr(importlib.import_module(_LOADED_WHEN_USED[name]), name)
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
