"""Generate N seed-style news pages from the BBC articles, seeded and deterministic.

Usage::

    python -m benchmarks.generate --pages 5000 --out bench-data/pages [--seed 0]
        [--format txt|jsonl] [--source ../shared/data/news/bbc-news-2225.jsonl]

Each page looks like ``seeds/000_e90479ad7ef70cfc.txt`` and is about 3.5 KB:

- a caption line (one article's title) and 3-6 paragraphs mixed from 2-3 articles, so
  every page's article differs; about 10% of paragraphs are broken mid-sentence into two
  lines, the second starting in lowercase, as scrapers do;
- a ticker of 6-10 headlines, newest first, each after a stamp in the seed's format
  (``GMT 18:45 2018 Friday ,14 December``, right weekday, the site's comma style), the
  next stamp glued to the end of the previous headline. Headlines come from a pool of
  about N/5 (headline, time) pairs, so they recur across pages as on a real site;
- the footer of one of 4 sites, glued to the last headline, with no final newline.

``txt`` writes ``OUT/0000/000123.txt`` (at most 1,000 pages a folder); ``jsonl`` writes
one ``OUT/pages.jsonl`` with ``{"url", "timestamp", "text"}`` per page. Same arguments,
same bytes: every page draws from its own random generator seeded by (seed, number).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The page format's own names and sentence ends, so pages split as intended.
from indexer.segment import MONTHS, SENTENCE_END, WEEKDAYS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "data" / "news" / "bbc-news-2225.jsonl"
PAGES_PER_FOLDER = 1000
GENERATOR_VERSION = 1
"""Bump when the pages change, so that cached pages are generated again."""

# Text that would start a footer or a stamp inside a headline: such headlines are not used.
FOOTER_WORDS = (
    "Maintained and developed by",
    "All rights reserved",
    "Copyright",
    "Send your comments",
    "Your comment as a visitor",
    "©",
    "GMT",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WEAK_STARTS = {"I", "He", "She", "It", "They", "We", "But", "And", "This", "That", "There"}
BREAK_RATE = 0.10
TICKER_START = datetime(2018, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Site:
    """A news site: where its pages live, how it writes stamps, its footer lines."""

    host: str
    comma: str
    """What stands between weekday and day in a stamp: the seed has " ,"."""
    footer: tuple[str, ...]


SITES = (
    Site(
        "arabstoday.example",
        " ,",
        (
            "Maintained and developed by Arabs Today Group SAL.",
            "All rights reserved to Arab Today Media Group 2021 ©",
            "Maintained and developed by Arabs Today Group SAL.",
            "All rights reserved to Arab Today Media Group 2021 ©",
            "Send your comments",
            "Your comment as a visitor",
        ),
    ),
    Site(
        "gulfwire.example",
        ", ",
        ("Copyright © 2019 Gulf Wire Media. All rights reserved.", "Send your comments"),
    ),
    Site(
        "levantpost.example",
        " , ",
        (
            "All rights reserved to Levant Post 2020 ©",
            "Maintained and developed by Levant Post IT",
            "Your comment as a visitor",
        ),
    ),
    Site(
        "niledaily.example",
        " ,",
        (
            "Maintained and developed by Nile Daily Digital",
            "Copyright 2021 Nile Daily. All rights reserved ©",
        ),
    ),
)


@dataclass(frozen=True)
class Corpus:
    """The source articles, reduced to what pages are made of."""

    titles: tuple[str, ...]
    paragraphs: tuple[tuple[str, ...], ...]
    """Per article, the paragraphs that end a sentence and do not start in lowercase,
    so that newsdex's splitter gives back exactly these paragraphs."""
    headlines: tuple[str, ...]
    """Candidate ticker headlines: the titles and short sentences from the bodies."""


@dataclass(frozen=True)
class TickerEntry:
    text: str
    time: datetime


@dataclass(frozen=True)
class GeneratedPage:
    number: int
    name: str
    """Relative file name, e.g. ``0000/000123.txt``."""
    url: str
    timestamp: str
    text: str


@functools.cache
def load_corpus(source: Path = DEFAULT_SOURCE) -> Corpus:
    """Read the JSONL articles (``title``, ``body`` with one paragraph a line)."""
    titles: list[str] = []
    paragraphs: list[tuple[str, ...]] = []
    headlines: set[str] = set()
    with Path(source).open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            title = " ".join(article["title"].split())
            body = [" ".join(p.split()) for p in article["body"].split("\n")]
            usable = tuple(p for p in body if p.endswith(SENTENCE_END) and not p[:1].islower())
            if not title or len(usable) < 2:
                continue
            titles.append(title)
            paragraphs.append(usable)
            headlines.add(title)
            for paragraph in body:
                for sentence in _SENTENCE.split(paragraph):
                    words = sentence.split()
                    if (
                        6 <= len(words) <= 14
                        and sentence.endswith(".")
                        and sentence[0].isupper()
                        and words[0] not in _WEAK_STARTS
                    ):
                        headlines.add(sentence[:-1])
    usable_headlines = sorted(h for h in headlines if not any(w in h for w in FOOTER_WORDS))
    return Corpus(tuple(titles), tuple(paragraphs), tuple(usable_headlines))


def pool_size_for(pages: int) -> int:
    """About N/5 distinct (headline, time) pairs, and enough for one ticker."""
    return max(10, pages // 5)


def headline_pool(corpus: Corpus, size: int, seed: int) -> list[TickerEntry]:
    """``size`` (headline, time) pairs, oldest first, 3 to 90 minutes apart.

    A pool bigger than the candidate headlines reuses them at other times.
    """
    rng = random.Random(f"newsdex-bench:{seed}:pool")
    texts = list(corpus.headlines)
    rng.shuffle(texts)
    moment = TICKER_START
    pool = []
    for index in range(size):
        moment += timedelta(minutes=rng.randint(3, 90))
        pool.append(TickerEntry(texts[index % len(texts)], moment))
    return pool


def stamp(moment: datetime, comma: str = " ,") -> str:
    """A ticker stamp in the seed's format: ``GMT 18:45 2018 Friday ,14 December``."""
    weekday = WEEKDAYS[moment.weekday()]
    return (
        f"GMT {moment.hour}:{moment.minute:02d} {moment.year} {weekday}"
        f"{comma}{moment.day} {MONTHS[moment.month - 1]}"
    )


def page_name(number: int) -> str:
    return f"{number // PAGES_PER_FOLDER:04d}/{number:06d}.txt"


class PageMaker:
    """Makes page number i from its own generator: pages do not depend on each other."""

    def __init__(self, corpus: Corpus, pool: Sequence[TickerEntry], seed: int) -> None:
        self.corpus = corpus
        self.pool = pool
        self.seed = seed

    def page(self, number: int, attempt: int = 0) -> GeneratedPage:
        rng = random.Random(f"newsdex-bench:{self.seed}:{number}:{attempt}")
        caption, paragraphs = self._article(rng)
        entries = self._ticker(rng)
        site = rng.choice(SITES)
        ticker = "".join(f"{stamp(entry.time, site.comma)}\n{entry.text}" for entry in entries)
        text = "\n".join([caption, *paragraphs, ticker]) + "\n".join(site.footer)
        seen = entries[0].time + timedelta(minutes=rng.randint(1, 120))
        return GeneratedPage(
            number,
            page_name(number),
            f"https://{site.host}/a/{number}",
            seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
            text,
        )

    def _article(self, rng: random.Random) -> tuple[str, list[str]]:
        """A caption and 3-6 paragraph lines drawn from 2-3 articles."""
        corpus = self.corpus
        sources = rng.sample(range(len(corpus.titles)), rng.randint(2, 3))
        lead = corpus.paragraphs[sources[0]]
        others = [p for source in sources[1:] for p in corpus.paragraphs[source]] + list(lead[1:])
        chosen = [lead[0]]
        target = rng.randint(2200, 3300)
        rng.shuffle(others)
        for paragraph in others:
            if len(chosen) >= 6 or (len(chosen) >= 3 and sum(map(len, chosen)) >= target):
                break
            chosen.append(paragraph)
        lines = [_break(p, rng) if rng.random() < BREAK_RATE else p for p in chosen]
        return corpus.titles[sources[0]], lines

    def _ticker(self, rng: random.Random) -> list[TickerEntry]:
        """6-10 recent headlines of the pool, newest first."""
        count = rng.randint(6, 10)
        window = min(len(self.pool), 3 * count)
        start = rng.randint(0, len(self.pool) - window)
        entries = rng.sample(self.pool[start : start + window], count)
        return sorted(entries, key=lambda entry: entry.time, reverse=True)


def _break(paragraph: str, rng: random.Random) -> str:
    """The paragraph broken into two lines mid-sentence, the second starting in lowercase."""
    low, high = len(paragraph) // 5, len(paragraph) * 4 // 5
    spots = [
        i
        for i in range(max(low, 1), high)
        if paragraph[i] == " "
        and paragraph[i + 1].islower()
        and paragraph[i - 1] not in SENTENCE_END
        and not paragraph[i - 1].isspace()
    ]
    if not spots:
        return paragraph
    at = rng.choice(spots)
    return f"{paragraph[:at]}\n{paragraph[at + 1 :]}"


def iter_pages(
    n: int,
    seed: int = 0,
    source: Path = DEFAULT_SOURCE,
    *,
    start: int = 0,
    pool_size: int | None = None,
) -> Iterator[GeneratedPage]:
    """Pages ``start`` to ``start + n - 1``; every page's article differs.

    :param pool_size: distinct ticker (headline, time) pairs; default about
        (start + n) / 5. Give the first run's to add pages to the same site.
    """
    corpus = load_corpus(Path(source))
    pool = headline_pool(corpus, pool_size or pool_size_for(start + n), seed)
    maker = PageMaker(corpus, pool, seed)
    articles: set[bytes] = set()
    for number in range(start, start + n):
        for attempt in range(100):
            page = maker.page(number, attempt)
            article = page.text[: page.text.index("\nGMT ")]
            key = hashlib.blake2b(article.encode("utf-8"), digest_size=16).digest()
            if key not in articles:
                articles.add(key)
                break
        yield page


def generate_pages(
    n: int, seed: int = 0, source: Path = DEFAULT_SOURCE
) -> Iterator[tuple[str, str]]:
    """``n`` pages as (relative file name, text)."""
    for page in iter_pages(n, seed, source):
        yield page.name, page.text


def write_pages(
    out: Path,
    n: int,
    seed: int = 0,
    source: Path = DEFAULT_SOURCE,
    *,
    fmt: str = "txt",
    start: int = 0,
    pool_size: int | None = None,
) -> int:
    """Write the pages under ``out``; return the bytes of page text written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    pages = iter_pages(n, seed, source, start=start, pool_size=pool_size)
    if fmt == "jsonl":
        with (out / "pages.jsonl").open("w", encoding="utf-8", newline="\n") as dump:
            for page in pages:
                record = {"url": page.url, "timestamp": page.timestamp, "text": page.text}
                dump.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += len(page.text.encode("utf-8"))
        return written
    for page in pages:
        path = out / page.name
        path.parent.mkdir(exist_ok=True)
        data = page.text.encode("utf-8")
        path.write_bytes(data)
        written += len(data)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--pages", type=int, required=True, help="how many pages")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("txt", "jsonl"), default="txt")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="articles (JSONL)")
    args = parser.parse_args(argv)
    written = write_pages(args.out, args.pages, args.seed, args.source, fmt=args.format)
    print(f"wrote {args.pages:,} pages ({written / 1e6:.1f} MB) to {args.out}")


if __name__ == "__main__":
    main()
