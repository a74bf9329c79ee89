"""newsdex searching: ranked queries with snippets over an index of news pages.

>>> import search
>>> with search.open_index() as index:                 # doctest: +SKIP
...     for hit in index.search("Assad", limit=3):
...         print(hit.score, hit.title, hit.snippet.text)
"""

from __future__ import annotations

from search.engine import DEFAULT_KINDS, SORTS, Index, open_index
from search.results import Hit, IndexStats, SearchResults, Snippet
from search.snippets import make_snippet

__all__ = [
    "DEFAULT_KINDS",
    "SORTS",
    "Hit",
    "Index",
    "IndexStats",
    "SearchResults",
    "Snippet",
    "make_snippet",
    "open_index",
]
