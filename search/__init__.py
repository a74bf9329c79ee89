"""newsdex searching: ranked queries with snippets over an index of news pages.

>>> import search
>>> with search.open_index() as index:                 # doctest: +SKIP
...     for hit in index.search("Assad", limit=3):
...         print(hit.score, hit.title, hit.snippet.text)

``Index`` and ``open_index`` load Whoosh on first use, so that importing this
package (and starting the command line) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search.options import DEFAULT_KINDS, SORTS, KindFilter, Sort
from search.results import Hit, IndexStats, SearchResults, Snippet
from search.snippets import make_snippet

if TYPE_CHECKING:
    from search import render
    from search.index import Index
    from search.opening import open_index

__all__ = [
    "DEFAULT_KINDS",
    "SORTS",
    "Hit",
    "Index",
    "IndexStats",
    "KindFilter",
    "SearchResults",
    "Snippet",
    "Sort",
    "make_snippet",
    "open_index",
    "render",
]


def __getattr__(name: str) -> Any:
    if name == "Index":
        from search.index import Index

        return Index
    if name == "open_index":
        from search.opening import open_index

        return open_index
    if name == "render":
        import search.render

        return search.render
    raise AttributeError(f"module 'search' has no attribute {name!r}")
