"""The records a page yields: plain data, independent of any search engine.

A page holds one article, a ticker of dated headlines and footer boilerplate.
Each record's id is derived from its content alone, so the same headline at the
same time seen on many pages is one record listing every page it was seen on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal

Kind = Literal["article", "headline", "footer"]
KINDS: tuple[Kind, ...] = ("article", "headline", "footer")


@dataclass(frozen=True, order=True)
class Source:
    """Where a record was seen: a page and the 1-based line its text starts on."""

    path: str
    line: int


def record_id(kind: Kind, *parts: str) -> str:
    """A short id stable across rebuilds: the kind's initial and a content hash."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8)
    return f"{kind[0]}-{digest.hexdigest()}"


@dataclass(frozen=True)
class Article:
    """A page's article: its caption line and its paragraphs."""

    title: str
    paragraphs: tuple[str, ...]
    sources: tuple[Source, ...] = ()
    id: str = field(default="", compare=False)
    kind: ClassVar[Kind] = "article"

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", record_id("article", self.title, *self.paragraphs))

    @property
    def text(self) -> str:
        """The paragraphs, separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def published(self) -> datetime | None:
        """Articles carry no date of their own on these pages."""
        return None


@dataclass(frozen=True)
class Headline:
    """One ticker entry: the headline and its stamp's time (timezone-aware UTC)."""

    text: str
    published: datetime
    sources: tuple[Source, ...] = ()
    id: str = field(default="", compare=False)
    kind: ClassVar[Kind] = "headline"

    def __post_init__(self) -> None:
        if self.published.tzinfo is None:
            raise ValueError("Headline.published must be timezone-aware (UTC)")
        if not self.id:
            stamp = self.published.strftime("%Y-%m-%dT%H:%M")
            object.__setattr__(self, "id", record_id("headline", self.text, stamp))

    @property
    def title(self) -> str:
        """A headline is its own title."""
        return self.text


@dataclass(frozen=True)
class Footer:
    """Site boilerplate, each distinct line once, kept apart from the content."""

    lines: tuple[str, ...]
    sources: tuple[Source, ...] = ()
    id: str = field(default="", compare=False)
    kind: ClassVar[Kind] = "footer"

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", record_id("footer", *self.lines))

    @property
    def title(self) -> str:
        """The first boilerplate line names the footer well enough."""
        return self.lines[0] if self.lines else ""

    @property
    def text(self) -> str:
        """The lines, one per line."""
        return "\n".join(self.lines)

    @property
    def published(self) -> datetime | None:
        return None


Record = Article | Headline | Footer


@dataclass(frozen=True)
class SplitPage:
    """Everything one page yields, in page order, plus what looked wrong in it."""

    path: str
    article: Article | None
    headlines: tuple[Headline, ...]
    footer: Footer | None
    warnings: tuple[str, ...] = ()

    @property
    def records(self) -> tuple[Record, ...]:
        """Article, then headlines, then footer: the order they stand on the page."""
        found: list[Record] = []
        if self.article is not None:
            found.append(self.article)
        found.extend(self.headlines)
        if self.footer is not None:
            found.append(self.footer)
        return tuple(found)
