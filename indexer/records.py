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

MAX_TITLE_CHARACTERS = 300
"""A title is a line of reasonable length: a longer first line (a page scraped
into one line, say) is cut at a word boundary, and the rest starts the body."""


@dataclass(frozen=True, order=True)
class Source:
    """Where a record was seen: a page, the 1-based line its text starts on, and
    the site the page belongs to (if known)."""

    path: str
    line: int
    site: str | None = None


def sites_of(sources: tuple[Source, ...]) -> tuple[str, ...]:
    """The distinct sites of these sources, sorted."""
    return tuple(sorted({source.site for source in sources if source.site}))


class _SeenOnPages:
    """What every record knows of the pages it was seen on."""

    sources: tuple[Source, ...]

    @property
    def sites(self) -> tuple[str, ...]:
        """The sites of the pages it was seen on, sorted."""
        return sites_of(self.sources)


def record_id(kind: Kind, *parts: str) -> str:
    """A short id stable across rebuilds: the kind's initial and a content hash."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8)
    return f"{kind[0]}-{digest.hexdigest()}"


@dataclass(frozen=True)
class Article(_SeenOnPages):
    """A page's article: its caption line, its paragraphs and, when its page
    says, when it was published (timezone-aware UTC)."""

    title: str
    paragraphs: tuple[str, ...]
    sources: tuple[Source, ...] = ()
    id: str = field(default="", compare=False)
    published: datetime | None = None
    kind: ClassVar[Kind] = "article"

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", record_id("article", self.title, *self.paragraphs))
        if self.published is not None and self.published.tzinfo is None:
            raise ValueError("Article.published must be timezone-aware (UTC)")

    @property
    def text(self) -> str:
        """The paragraphs, separated by blank lines."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Headline(_SeenOnPages):
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
            object.__setattr__(
                self, "id", record_id("headline", self.text, _minute(self.published))
            )

    @property
    def title(self) -> str:
        """A headline is its own title."""
        return self.text


def _minute(moment: datetime) -> str:
    """``moment.strftime("%Y-%m-%dT%H:%M")``, made by formatting its numbers
    (strftime took most of making a headline's id); a year before 1000 as the
    platform's strftime writes it (glibc's without leading zeros)."""
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M")
    return (
        f"{moment.year}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"
    )


@dataclass(frozen=True)
class Footer(_SeenOnPages):
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
