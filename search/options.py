"""What a search can ask for: which kinds of record, in which order.

Kept apart from the engine so that the command line can name the choices
without loading Whoosh (``newsdex --help`` stays fast).
"""

from __future__ import annotations

from typing import Literal

from indexer.errors import QueryError
from indexer.records import KINDS, Kind

KindFilter = Kind | Literal["all"] | None
"""One kind, ``"all"``, or ``None`` for the default: articles and headlines."""
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
DEFAULT_KINDS: tuple[Kind, ...] = ("article", "headline")
"""Footers are boilerplate: searched only when asked for."""
Match = Literal["all", "any"]
"""Which of a query's words a record must have: all of them, or any (ranked OR)."""
MATCHES: tuple[Match, ...] = ("all", "any")

SEARCHABLE_FIELDS = ("title", "body", "boilerplate")
"""The index's text fields (``indexer.storage.build_schema``)."""
FIELDS_OF_KIND: dict[Kind, tuple[str, ...]] = {
    "article": ("title", "body"),
    "headline": ("title",),
    "footer": ("boilerplate",),
}
"""Where each kind's text is: footers have a field of their own, so searching
the fields of the kinds asked for leaves footers out at no cost."""


def wanted_kinds(kind: KindFilter) -> tuple[Kind, ...]:
    """The kinds a search of ``kind`` returns; :class:`QueryError` for an unknown one."""
    if kind == "all":
        return KINDS
    if kind is None:
        return DEFAULT_KINDS
    if kind in KINDS:
        return (kind,)
    raise QueryError(f"unknown kind {kind!r}", hint="use article, headline, footer or all")


def fields_of(kind: KindFilter) -> tuple[str, ...]:
    """The fields a search of ``kind`` looks in."""
    return tuple(dict.fromkeys(field for k in wanted_kinds(kind) for field in FIELDS_OF_KIND[k]))
