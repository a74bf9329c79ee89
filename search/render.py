"""Renderers: search results, records and statistics as text, ANSI, JSON or HTML.

Everything here turns plain data into strings; nothing here searches.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from indexer.records import Article, Footer, Record, SplitPage
from search.results import Counts, Hit, IndexStats, SearchResults, Snippet

if TYPE_CHECKING:
    from indexer.report import PageWarning, Skipped

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def iso_utc(moment: datetime | None) -> str | None:
    """``2018-12-14T18:45:00Z``, or ``None``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def snippet_ansi(snippet: Snippet, color: bool) -> str:
    """The snippet with matches in bold when ``color``; plain text otherwise."""
    if not color:
        return snippet.text
    return "".join(f"{BOLD}{part}{RESET}" if hit else part for part, hit in snippet.parts())


def snippet_html(snippet: Snippet) -> str:
    """The snippet as HTML, matches in ``<mark>``."""
    import html  # only JSON and HTML need it; a one-query command loads it otherwise not

    return "".join(
        f"<mark>{html.escape(part)}</mark>" if hit else html.escape(part)
        for part, hit in snippet.parts()
    )


def hit_json(hit: Hit) -> dict[str, Any]:
    """One JSON Lines object per hit: the fields other tools rely on."""
    return {
        "id": hit.id,
        "kind": hit.kind,
        "score": round(hit.score, 4) if hit.score is not None else None,
        "title": hit.title,
        "published": iso_utc(hit.published),
        "site": _one_or_list(hit.sites),
        "sources": list(hit.sources),
        "pages": hit.pages,
        "snippet": hit.snippet.text,
        "marks": [list(mark) for mark in hit.snippet.marks],
    }


def _one_or_list(sites: tuple[str, ...]) -> str | list[str] | None:
    """A record's sites as JSON gives them: one, a list of several, or null."""
    if not sites:
        return None
    return sites[0] if len(sites) == 1 else list(sites)


def results_json(results: SearchResults, *, limit: int, took_ms: float) -> dict[str, Any]:
    """A page of results as ``newsdex serve`` answers it: each hit as ``--json`` prints
    it, with its snippet as HTML beside it, and the totals a client pages with."""
    return {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": limit,
        "hits": [{**hit_json(hit), "snippet_html": snippet_html(hit.snippet)} for hit in results],
        "suggestion": results.suggestion,
        "any_total": results.any_total,
        "took_ms": took_ms,
    }


def count_json(counts: Counts, *, query: str | None, took_ms: float) -> dict[str, Any]:
    """A count as ``newsdex serve`` answers it: the buckets as ``newsdex count --json``
    prints them (the undated, or those of no known site, last with the key null)."""
    return {
        "query": query,
        "by": counts.by,
        "total": counts.total,
        "buckets": counts_json(counts),
        "took_ms": took_ms,
    }


def error_json(message: str, hint: str | None) -> dict[str, Any]:
    """An error as ``newsdex serve`` answers it: the command line's message and hint."""
    return {"error": message, "hint": hint}


def hit_text(hit: Hit, color: bool) -> str:
    """A block for people: the title, what it is and when, then the snippet."""
    dim, reset = (DIM, RESET) if color else ("", "")
    about: list[str] = [hit.kind]
    if hit.published is not None:
        about.append(hit.published.strftime("%Y-%m-%d %H:%M UTC"))
    if hit.sites:
        about.append(", ".join(hit.sites))
    about.append(hit.id)
    if hit.kind == "headline":
        # A headline's snippet is the headline itself: show it once, marked.
        return f"{snippet_ansi(hit.snippet, color)}\n{dim}{'  '.join(about)}{reset}"
    title = f"{BOLD}{hit.title}{RESET}" if color else hit.title
    lines = [title, f"{dim}{'  '.join(about)}{reset}"]
    if hit.snippet.text:
        lines.append(f"  {snippet_ansi(hit.snippet, color)}")
    return "\n".join(lines)


def record_json(record: Record) -> dict[str, Any]:
    """A whole record: ``kind``, ``title``, ``text``, ``published`` and its parts."""
    document: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "title": record.title,
        "text": record.text,
        "published": iso_utc(record.published),
    }
    if isinstance(record, Article):
        document["paragraphs"] = list(record.paragraphs)
    elif isinstance(record, Footer):
        document["lines"] = list(record.lines)
    document["site"] = _one_or_list(record.sites)
    document["sources"] = [{"path": s.path, "line": s.line, "site": s.site} for s in record.sources]
    return document


def record_text(record: Record) -> str:
    """A whole record for people to read."""
    lines = [f"{record.kind} {record.id}"]
    if record.published is not None:
        lines.append(f"published {iso_utc(record.published)}")
    lines += [
        f"seen at {s.path}:{s.line}" + (f" ({s.site})" if s.site else "") for s in record.sources
    ]
    lines.append("")
    if isinstance(record, Article):
        lines += [record.title, ""]
    lines.append(record.text)
    return "\n".join(lines)


def split_text(page: SplitPage) -> str:
    """The records of one page, one line each: kind, date and title."""
    lines = []
    for record in page.records:
        when = iso_utc(record.published) or "-"
        lines.append(f"{record.kind:<8}  {when:<20}  {record.title}")
    lines += [f"warning: {warning}" for warning in page.warnings]
    return "\n".join(lines)


def stats_json(stats: IndexStats) -> dict[str, Any]:
    return {
        "index": str(stats.index_directory),
        "size_bytes": stats.size_bytes,
        "pages_seen": stats.pages_seen,
        "pages_indexed": stats.pages_indexed,
        "pages_skipped": len(stats.skipped),
        "records": stats.records,
        "headline_occurrences": stats.headline_occurrences,
        "unique_headlines": stats.records.get("headline", 0),
        "first_published": iso_utc(stats.first_published),
        "last_published": iso_utc(stats.last_published),
        "warnings": len(stats.warnings),
        "segments": stats.segments,
        "sites": stats.sites,
        "skipped": [skipped_json(skip) for skip in stats.skipped],
        "warned": [warning_json(warning) for warning in stats.warnings],
    }


def skipped_json(skip: Skipped) -> dict[str, str]:
    return {"path": skip.path, "reason": skip.reason}


def warning_json(warning: PageWarning) -> dict[str, str]:
    return {"path": warning.path, "warning": warning.message}


def stats_text(stats: IndexStats) -> str:
    from indexer.report import skip_reasons  # the report's module: a search never loads it

    document = stats_json(stats)
    records = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in stats.records.items())
    reasons = f" ({skip_reasons(stats.skipped)})" if stats.skipped else ""
    lines = [
        f"index               {document['index']}",
        f"size                {stats.size_bytes:,} bytes",
        f"pages               {stats.pages_seen} seen: {stats.pages_indexed} indexed, "
        f"{len(stats.skipped)} skipped{reasons}",
        f"records             {records}",
        f"headlines           {stats.headline_occurrences} occurrences, "
        f"{document['unique_headlines']} unique",
        f"published           {document['first_published'] or '-'} .. "
        f"{document['last_published'] or '-'}",
        f"warnings            {len(stats.warnings)}",
        f"segments            {stats.segments}",
    ]
    if stats.sites:
        shown = ", ".join(f"{site} {count:,}" for site, count in list(stats.sites.items())[:20])
        more = f" and {len(stats.sites) - 20:,} more" if len(stats.sites) > 20 else ""
        lines.append(f"sites               {shown}{more}")
    lines += [f"skipped             {s.path}: {s.reason}" for s in stats.skipped]
    lines += [f"warning             {w.path}: {w.message}" for w in stats.warnings]
    return "\n".join(lines)


def json_line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)


def counts_json(counts: Counts) -> list[dict[str, Any]]:
    """One JSON object a bucket (``{"key": "2018-12-13", "count": 5}``); the
    records without a date (or a site) last, with the key null."""
    rows: list[dict[str, Any]] = [{"key": bucket.key, "count": bucket.count} for bucket in counts]
    apart = counts.unsited if counts.by == "site" else counts.undated
    if apart:
        rows.append({"key": None, "count": apart})
    return rows


def counts_chart(counts: Counts, width: int = 60, color: bool = False) -> str:
    """A bar chart for people: one row a bucket, bars scaled to the largest."""
    apart = counts.unsited if counts.by == "site" else counts.undated
    rows = [(bucket.key, bucket.count) for bucket in counts]
    if apart:
        rows.append(("(no site)" if counts.by == "site" else "(undated)", apart))
    if not rows:
        return ""
    label_width = max(len(key) for key, _ in rows)
    number_width = max(len(f"{count:,}") for _, count in rows)
    room = max(width - label_width - number_width - 4, 10)
    largest = max(count for _, count in rows) or 1
    dim, reset = (DIM, RESET) if color else ("", "")
    lines = []
    for key, count in rows:
        eighths = round(count * room * 8 / largest)
        bar = "\u2588" * (eighths // 8) + (_PARTS[eighths % 8] if eighths % 8 else "")
        if count and not bar:
            bar = _PARTS[1]  # never no bar for a count that is not 0
        lines.append(f"{key:<{label_width}}  {count:>{number_width},}  {dim}{bar}{reset}")
    return "\n".join(lines)


_PARTS = ("", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589")
"""Bars an eighth to seven eighths of a character wide."""
