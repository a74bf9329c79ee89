"""newsdex indexing: news pages to article, headline and footer records, to an index.

>>> import indexer
>>> report = indexer.index_paths(["seeds/"])          # doctest: +SKIP
>>> print(report.summary())                           # doctest: +SKIP

Importing this package does not import Whoosh; writing an index does.
"""

from __future__ import annotations

from indexer.build import index_paths, index_records, split_files
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
from indexer.pages import DumpFields, PageWarning, Skipped
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
from indexer.report import IndexReport
from indexer.segment import split_page
from indexer.version import __version__

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
