"""The search page and the record page of ``newsdex serve``, as HTML.

Results are data; this module only renders them, with Jinja2 templates
(``search/templates/``) that escape every value. The one piece of HTML that
goes in unescaped is a snippet as :func:`search.render.snippet_html` makes
it, which escapes the text itself and adds only ``<mark>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from indexer.errors import NewsdexError
from indexer.records import Article, Footer, Record
from search import render
from search.options import SORTS
from search.parameters import KIND_CHOICES, SearchRequest
from search.results import Counts, SearchResults, Snippet
from search.timeline import Timeline, timeline

PAGE_NUMBERS_AROUND = 2
"""Numbered links either side of the current page (with the first and the last)."""
MOST_SITES = 50
"""Sites offered by the site control, most matches first (any site can be asked for
in the address: ``?site=``)."""

_templates = Environment(
    loader=PackageLoader("search", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _marked(snippet: Snippet) -> Markup:
    """A snippet with its matches in ``<mark>``; ``snippet_html`` escapes everything else."""
    return Markup(render.snippet_html(snippet))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def _record_href(record_id: str) -> str:
    return "/records/" + quote(record_id, safe="")


_templates.filters.update(marked=_marked, when=_when, iso=render.iso_utc, record_href=_record_href)


@dataclass(frozen=True)
class Found:
    """What the server found for the search page."""

    results: SearchResults | None
    """``None`` when there was no query."""
    by_site: Counts
    """The matches (every record, without a query) by site, whatever site was chosen."""
    by_day: Counts | None
    """The matches by day, for the timeline."""


@dataclass(frozen=True)
class SiteChoice:
    site: str
    count: int | None
    """Matches at the site; ``None`` for a site asked for that has none."""
    chosen: bool


def site_choices(wanted: SearchRequest, by_site: Counts | None) -> list[SiteChoice]:
    """The site control's options: the sites of the matches, most first, and the chosen."""
    counts = {bucket.key: bucket.count for bucket in by_site or ()}
    shown = list(counts)[:MOST_SITES]
    shown += [site for site in wanted.sites if site not in shown]
    return [SiteChoice(site, counts.get(site), site in wanted.sites) for site in shown]


@dataclass(frozen=True)
class PageLink:
    """One link of the pagination: a page number (or "…" between them)."""

    label: str
    href: str | None
    """``None`` for the page shown and for a gap."""
    current: bool = False


@dataclass(frozen=True)
class Pagination:
    """Where a page of hits stands among them all, and the links to the others."""

    first: int
    """The number of the first hit shown, from 1."""
    last: int
    total: int
    previous: str | None
    next: str | None
    pages: tuple[PageLink, ...]


def pagination(wanted: SearchRequest, results: SearchResults) -> Pagination:
    """Numbered pages from the exact total, ``limit`` hits a page."""
    limit, total = wanted.limit, results.total
    count = math.ceil(total / limit)
    current = results.offset // limit + 1

    def href(page: int) -> str:
        return "?" + wanted.query_string(offset=(page - 1) * limit)

    numbers = {1, count, *range(current - PAGE_NUMBERS_AROUND, current + PAGE_NUMBERS_AROUND + 1)}
    links: list[PageLink] = []
    for number in sorted(n for n in numbers if 1 <= n <= count):
        if links and links[-1].label != "…" and number - int(links[-1].label) > 1:
            links.append(PageLink("…", None))
        is_current = number == current and results.offset % limit == 0
        links.append(PageLink(str(number), None if is_current else href(number), is_current))
    previous = "?" + wanted.query_string(offset=max(0, results.offset - limit))
    following = "?" + wanted.query_string(offset=results.offset + limit)
    return Pagination(
        first=results.offset + 1,
        last=results.offset + len(results.hits),
        total=total,
        previous=previous if results.offset > 0 else None,
        next=following if results.offset + limit < total else None,
        pages=tuple(links) if count > 1 else (),
    )


def search_page(
    wanted: SearchRequest,
    *,
    found: Found | None = None,
    error: NewsdexError | None = None,
    took_ms: float | None = None,
) -> str:
    """The search page: the form filled in as ``wanted``, then the results or the error."""
    results = found.results if found is not None else None
    bars: Timeline | None = None
    if found is not None and found.by_day is not None:
        bars = timeline(found.by_day)
    return _templates.get_template("search.html").render(
        wanted=wanted,
        results=results,
        error=error,
        took_ms=took_ms,
        pages=pagination(wanted, results) if results is not None and results.hits else None,
        suggestion_href=(
            "?" + wanted.query_string(query=results.suggestion, offset=0)
            if results is not None and results.suggestion
            else None
        ),
        any_href="?" + wanted.query_string(match="any", offset=0),
        kinds=KIND_CHOICES,
        sorts=SORTS,
        sites=site_choices(wanted, found.by_site if found is not None else None),
        timeline=bars,
        narrowed=lambda bar: (
            "?"
            + wanted.query_string(
                since=bar.since.isoformat(), until=bar.until.isoformat(), offset=0
            )
        ),
    )


def record_page(record: Record) -> str:
    """One whole record, and every page it was seen on."""
    return _templates.get_template("record.html").render(
        record=record,
        paragraphs=record.paragraphs if isinstance(record, Article) else (),
        lines=record.lines if isinstance(record, Footer) else (),
        sources=[(source, _is_web_address(source.path)) for source in record.sources],
    )


def error_page(status: int, message: str, hint: str | None) -> str:
    return _templates.get_template("error.html").render(status=status, message=message, hint=hint)


def _is_web_address(path: str) -> bool:
    """Whether a page's name is a web address to link to (a dumped page's ``url``)."""
    parts = urlsplit(path)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
