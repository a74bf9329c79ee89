"""A hit: one matching record's stored fields, its pages and a snippet, as plain data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from indexer.records import MAX_TITLE_CHARACTERS
from indexer.storage import record_heading, sites_of_document
from search.matches import match_spans
from search.results import Hit
from search.snippets import lead, make_snippet, whole_snippet

MAX_HIT_SOURCES = 10
"""A hit names at most this many of its pages; ``Hit.pages`` counts them all and
``Index.record`` lists every one."""


def make_hit(
    number: int,
    score: float | None,
    terms: dict[str, frozenset[str]],
    stems: Callable[[str], tuple[str, ...]],
    page_key: Callable[[int], str],
    stored_fields: Callable[[int], dict[str, Any]],
    pages_of: Callable[[str], Iterable[int]],
) -> Hit:
    """The hit of document ``number``: ``terms`` are the query's terms by field
    (``search.query.positive_terms``), ``stems`` the analyzer's stems of a word,
    ``page_key`` a page document's key (``indexer.storage.page_keys``) and
    ``stored_fields`` a document's fields (``indexer.storage.stored_fields``)
    and ``pages_of`` the page documents of a record (``indexer.storage.record_pages``)."""
    fields = stored_fields(number)
    record_id, kind, title, published = record_heading(fields)
    sources: list[str] = []
    pages = 0
    for page in pages_of(record_id):
        pages += 1
        if len(sources) < MAX_HIT_SOURCES:
            sources.append(page_key(page))
    if kind == "headline":
        spans = match_spans(title, terms["title"], stems)
        if len(title) <= MAX_TITLE_CHARACTERS:
            snippet = whole_snippet(title, spans)
        else:  # a page's text run into its ticker: no hit prints more than a snippet
            snippet = make_snippet(title, spans, terms=spans)
    else:
        field = "body" if kind == "article" else "boilerplate"
        text = fields.get(field, "")
        spans = match_spans(text, terms[field], stems)
        snippet = make_snippet(text, spans, terms=spans)
    return Hit(
        record_id,
        kind,
        None if score is None else float(score),
        lead(title, MAX_TITLE_CHARACTERS),
        published,
        tuple(sources),
        snippet,
        pages,
        sites_of_document(fields),
    )
