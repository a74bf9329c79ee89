"""Dedup on a generated crawl: each (headline, time) once, however many pages carry it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import indexer
import search
from benchmarks.generate import iter_pages, write_pages

PAGES = 150


@pytest.fixture(scope="module")
def ticker_truth(bbc_news: Path) -> Counter[tuple[str, str]]:
    """How many generated pages carry each (headline, stamp), read off the page text."""
    carried: Counter[tuple[str, str]] = Counter()
    for page in iter_pages(PAGES):
        for headline in indexer.split_page(page.text).headlines:
            carried[(headline.text, headline.published.isoformat())] += 1
    return carried


def indexed_headlines(index_dir: Path) -> Counter[tuple[str, str]]:
    with search.open_index(index_dir) as opened:
        hits = opened.headlines(limit=10_000).hits
    return Counter({(hit.title, hit.published.isoformat()): hit.pages for hit in hits})  # type: ignore[union-attr]


@pytest.mark.usefixtures("bbc_news")
@pytest.mark.parametrize("page_format", ["txt", "jsonl"])
def test_each_headline_is_one_record_counting_every_page_that_carries_it(
    tmp_path: Path,
    private_index: Path,
    ticker_truth: Counter[tuple[str, str]],
    page_format: str,
) -> None:
    write_pages(tmp_path / "crawl", PAGES, fmt=page_format)
    report = indexer.index_paths([tmp_path / "crawl"], index=private_index)
    assert report.pages_read == PAGES
    assert indexed_headlines(private_index) == ticker_truth
    with search.open_index(private_index) as opened:
        numbers = opened.stats()
    assert numbers.records["headline"] == len(ticker_truth)
    assert numbers.headline_occurrences == sum(ticker_truth.values())
    assert numbers.records["article"] == PAGES
    assert numbers.records["footer"] <= 4
    assert max(ticker_truth.values()) > 1, "the generated tickers repeat across pages"
