"""What a search can ask for: which kinds of record, in which order.

Kept apart from the engine so that the command line can name the choices
without loading Whoosh (``newsdex --help`` stays fast).
"""

from __future__ import annotations

from typing import Literal

from indexer.records import Kind

KindFilter = Kind | Literal["all"] | None
"""One kind, ``"all"``, or ``None`` for the default: articles and headlines."""
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
DEFAULT_KINDS: tuple[Kind, ...] = ("article", "headline")
"""Footers are boilerplate: searched only when asked for."""
Match = Literal["all", "any"]
"""Which of a query's words a record must have: all of them, or any (ranked OR)."""
MATCHES: tuple[Match, ...] = ("all", "any")
