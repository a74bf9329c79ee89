"""Split one scraped news page into its article, ticker headlines and footer.

A page is plain text in three parts, in this order (the last two are optional):

1. the article: a caption line (the title), then one paragraph per line;
2. the ticker: dated headlines, each after a stamp such as
   ``GMT 18:45 2018 Friday ,14 December``;
3. the footer: site boilerplate ("Maintained and developed by ...", "©").

Scraping glued parts together: a stamp may follow the previous headline on the
same line ("...protestsGMT 15:21 ...") and the footer may follow the last
headline ("...against herMaintained and developed by ..."). This module is pure
(no I/O), never raises, and reports anything odd as a warning string.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from datetime import UTC, datetime

from indexer.records import MAX_TITLE_CHARACTERS, Article, Footer, Headline, Source, SplitPage

WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# A ticker stamp: "GMT H:MM YYYY Weekday ,D Month". The comma may have spaces on
# either side. Nothing is required before "GMT" because stamps are glued to the
# previous headline. A month glued to a lowercase letter is a longer word
# ("Mayor"), not a stamp. Whether the date and time are possible is checked in
# Python (see _stamp_time), so "GMT 25:61 ..." matches here but is not a stamp.
STAMP = re.compile(
    r"GMT (?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}) (?P<year>[0-9]{4}) "
    rf"(?P<weekday>{'|'.join(WEEKDAYS)}) *, *(?P<day>[0-9]{{1,2}}) "
    rf"(?P<month>{'|'.join(MONTHS)})(?![a-z])"
)

_NEWLINE = re.compile("\n")

# Text starting with one of these phrases is site boilerplate, not content.
BOILERPLATE_PHRASES = (
    "Maintained and developed by",
    "All rights reserved",
    "Copyright",
    "Send your comments",
    "Your comment as a visitor",
)
BOILERPLATE_PHRASE = re.compile("|".join(map(re.escape, BOILERPLATE_PHRASES)))
COPYRIGHT_SIGN = "©"

# Without a ticker, only lines up to this long can be footer lines: a long
# paragraph that happens to mention a copyright is article text.
MAX_FOOTER_LINE_LENGTH = 200

# A line ending in one of these ends its sentence; any other line followed by a
# line starting in lowercase was broken mid-sentence by the scraper. The escapes
# are the closing quotes U+201D, U+2019 and U+00BB (right guillemet).
SENTENCE_END = (".", "!", "?", ":", '"', "'", "\u201d", "\u2019", "\u00bb")


def split_page(text: str, path: str = "<page>") -> SplitPage:
    """Split a page's text into its article, ticker headlines and footer."""
    warnings: list[str] = []
    text = _normalise(text, warnings)
    # Found by a regular expression: a loop over the characters is slow on a large page.
    line_starts = [0] + [newline.end() for newline in _NEWLINE.finditer(text)]

    def line_of(offset: int) -> int:
        """The 1-based line number of a character offset in the text."""
        return bisect.bisect_right(line_starts, offset)

    stamps = _ticker_stamps(text, line_of, warnings)
    headlines: list[Headline] = []
    if stamps:
        # The ticker's first stamp begins a line, so the article ends just before.
        article_end = line_starts[line_of(stamps[0][0].start()) - 1]
        footer_start = _footer_start_after(text, stamps[-1][0].end())
        ends = [match.start() for match, _ in stamps[1:]]
        ends.append(len(text) if footer_start is None else footer_start)
        for (match, published), end in zip(stamps, ends, strict=True):
            line = line_of(match.start())
            headline_text = " ".join(text[match.end() : end].split())
            if headline_text:
                source = Source(path, line)
                headlines.append(Headline(headline_text, published, (source,)))
            else:
                warnings.append(f"line {line}: stamp {match[0]!r} has no headline")
    else:
        footer_start = _trailing_footer_start(text, line_starts)
        article_end = len(text) if footer_start is None else footer_start

    footer = None
    if footer_start is not None:
        footer = _footer(text[footer_start:], Source(path, line_of(footer_start)))
    return SplitPage(
        path=path,
        article=_article(text[:article_end], path),
        headlines=tuple(headlines),
        footer=footer,
        warnings=tuple(warnings),
    )


def _normalise(text: str, warnings: list[str]) -> str:
    """Drop a leading byte order mark and turn CRLF and lone CR into LF.

    Lone surrogates (undecodable bytes smuggled into a str) are dropped too:
    records must be encodable as UTF-8 to get their ids.
    """
    encodable = text.encode("utf-8", "ignore").decode("utf-8")
    if encodable != text:
        dropped = len(text) - len(encodable)
        warnings.append(f"dropped {dropped} lone surrogate character(s)")
    text = encodable.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _begins_line(text: str, position: int) -> bool:
    """Whether only spaces stand between the start of the line and position.

    Looks back over the spaces only: scanning back to the line's start for
    every stamp took time quadratic in the length of a long line of stamps.
    """
    while position > 0 and text[position - 1] != "\n" and text[position - 1].isspace():
        position -= 1
    return position == 0 or text[position - 1] == "\n"


def _stamp_time(match: re.Match[str]) -> datetime | None:
    """The stamp's time in UTC, or None if no such date and time exists."""
    try:
        return datetime(
            int(match["year"]),
            MONTHS.index(match["month"]) + 1,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            tzinfo=UTC,
        )
    except ValueError:  # e.g. hour 25, minute 61, 31 February, year 0
        return None


def _ticker_stamps(
    text: str, line_of: Callable[[int], int], warnings: list[str]
) -> list[tuple[re.Match[str], datetime]]:
    """The ticker's stamps with their times, in page order.

    The ticker starts at the first possible stamp that begins a line; from then
    on stamps count anywhere, since they are glued to the previous headline.
    Impossible stamps stay text and add a warning, wherever they are.
    """
    stamps: list[tuple[re.Match[str], datetime]] = []
    for match in STAMP.finditer(text):
        line = line_of(match.start())
        published = _stamp_time(match)
        if published is None:
            warnings.append(
                f"line {line}: {match[0]!r} is not a possible date and time; kept as text"
            )
        elif stamps or _begins_line(text, match.start()):
            actual_weekday = WEEKDAYS[published.weekday()]
            if match["weekday"] != actual_weekday:
                warnings.append(
                    f"line {line}: stamp {match[0]!r} says {match['weekday']} but"
                    f" {published:%Y-%m-%d} is a {actual_weekday}; weekday ignored"
                )
            stamps.append((match, published))
    return stamps


def _footer_start_after(text: str, search_from: int) -> int | None:
    """Where the footer starts after the ticker's last stamp, if it has one.

    That is the first boilerplate phrase beginning a line or glued to the
    character before it ("...against herMaintained and developed by"), but not
    one after a space inside a headline ("Court rules on Copyright case"). A
    line carrying the copyright sign starts the footer if no phrase came first.
    """
    phrase_start = None
    for match in BOILERPLATE_PHRASE.finditer(text, search_from):
        before = text[match.start() - 1] if match.start() > 0 else "\n"
        if not before.isspace() or _begins_line(text, match.start()):
            phrase_start = match.start()
            break
    sign = text.find(COPYRIGHT_SIGN, search_from)
    if sign != -1 and (phrase_start is None or sign < phrase_start):
        # The sign's line start, but never before the end of the last stamp.
        return max(text.rfind("\n", 0, sign) + 1, search_from)
    return phrase_start


def _trailing_footer_start(text: str, line_starts: list[int]) -> int | None:
    """Where the trailing run of boilerplate lines starts, on a page without ticker.

    Walks back from the end over non-empty lines while they are short lines
    that start with a boilerplate phrase or carry the copyright sign. The title
    (first non-empty line) is never footer.
    """
    lines = text.split("\n")
    title_index = next((index for index, line in enumerate(lines) if line.strip()), len(lines))
    footer_index = None
    for index in range(len(lines) - 1, title_index, -1):
        line = lines[index].strip()
        if not line:
            continue
        is_boilerplate = line.startswith(BOILERPLATE_PHRASES) or COPYRIGHT_SIGN in line
        if len(line) > MAX_FOOTER_LINE_LENGTH or not is_boilerplate:
            break
        footer_index = index
    return None if footer_index is None else line_starts[footer_index]


def _footer(footer_text: str, source: Source) -> Footer | None:
    """The footer's non-empty stripped lines, each distinct line once."""
    lines = [line.strip() for line in footer_text.split("\n") if line.strip()]
    distinct_lines = tuple(dict.fromkeys(lines))  # keeps first-occurrence order
    return Footer(distinct_lines, (source,)) if distinct_lines else None


def _article(article_text: str, path: str) -> Article | None:
    """The title (first non-empty line) and paragraphs of the page's article."""
    lines = article_text.split("\n")
    title_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_index is None:
        return None
    # Each paragraph as its lines: joining a broken paragraph's lines one by one
    # took time quadratic in its length (minutes for a 6 MB run of lowercase lines).
    paragraphs: list[list[str]] = []
    mid_sentence = False  # the previous line ended without sentence punctuation
    for line in lines[title_index + 1 :]:
        paragraph_line = line.strip()
        if mid_sentence and paragraph_line[:1].islower():
            # A paragraph the scraper broke mid-sentence: joined with one space.
            paragraphs[-1].append(paragraph_line)
        elif paragraph_line:
            paragraphs.append([paragraph_line])
        mid_sentence = bool(paragraph_line) and not paragraphs[-1][-1].endswith(SENTENCE_END)
    title, rest = _title_and_rest(lines[title_index].strip())
    joined = tuple(" ".join(parts) for parts in paragraphs)
    if rest:
        joined = (rest, *joined)
    return Article(title, joined, (Source(path, title_index + 1),))


def _title_and_rest(line: str) -> tuple[str, str]:
    """The title a line makes, and what is left of it past a reasonable length."""
    if len(line) <= MAX_TITLE_CHARACTERS:
        return line, ""
    cut = line.rfind(" ", 0, MAX_TITLE_CHARACTERS + 1)
    if cut <= 0:  # no space to cut at: one long word
        cut = MAX_TITLE_CHARACTERS
    return line[:cut].rstrip(), line[cut:].strip()
