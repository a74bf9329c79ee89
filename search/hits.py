"""A hit: one matching record's stored fields, its pages and a snippet, as plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from indexer.segment import MAX_TITLE_CHARACTERS
from indexer.storage import document_to_record, pages_of, sites_of_document
from search.matches import match_spans
from search.results import Hit
from search.snippets import lead, make_snippet, whole_snippet

MAX_HIT_SOURCES = 10
"""A hit names at most this many of its pages; ``Hit.pages`` counts them all and
``Index.record`` lists every one."""


def make_hit(
    searcher: Any,
    number: int,
    score: float | None,
    terms: dict[str, frozenset[str]],
    stems: Callable[[str], tuple[str, ...]],
) -> Hit:
    fields = searcher.stored_fields(number)
    record = document_to_record(fields)
    sources: list[str] = []
    pages = 0
    for number in pages_of(searcher, record.id):
        pages += 1
        if len(sources) < MAX_HIT_SOURCES:
            sources.append(searcher.stored_fields(number)["page"])
    if record.kind == "headline":
        spans = match_spans(record.title, terms["title"], stems)
        if len(record.title) <= MAX_TITLE_CHARACTERS:
            snippet = whole_snippet(record.title, spans)
        else:  # a page's text run into its ticker: no hit prints more than a snippet
            snippet = make_snippet(record.title, spans, terms=spans)
    else:
        field = "body" if record.kind == "article" else "boilerplate"
        text = fields.get(field, "")
        spans = match_spans(text, terms[field], stems)
        snippet = make_snippet(text, spans, terms=spans)
    return Hit(
        record.id,
        record.kind,
        None if score is None else float(score),
        lead(record.title, MAX_TITLE_CHARACTERS),
        record.published,
        tuple(sources),
        snippet,
        pages,
        sites_of_document(fields),
    )
