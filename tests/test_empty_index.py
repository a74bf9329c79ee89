"""An index no run has committed to yet (a first run killed before its commit
leaves one) answers every call normally: nothing found, zeros."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import newsdex

import indexer
import search
from indexer.creation import open_for_writing

QUERIES = [
    "government",
    "government minister",
    '"yellow vest"',
    "gov*",
    "govermnent~",
    "minister -government",
]


@pytest.fixture
def empty_index(private_index: Path) -> Path:
    """A created index with no segment, as a first run killed before its commit leaves."""
    created, _ = open_for_writing(private_index, rebuild=False)
    created.close()
    return private_index


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("match", ["all", "any"])
def test_searching_an_empty_index_finds_nothing(
    empty_index: Path, query: str, match: search.options.Match
) -> None:
    with search.open_index(empty_index) as index:
        found = index.search(query, kind="all", match=match)
    assert (found.total, found.hits, found.suggestion) == (0, (), None)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_every_sort_and_filter_of_an_empty_index_finds_nothing(
    empty_index: Path, sort: search.Sort
) -> None:
    with search.open_index(empty_index) as index:
        assert index.search("government", sort=sort, since="2018-01-01").total == 0
        assert index.headlines().total == 0
        assert index.headlines("brexit", until="2019-01-01").total == 0


def test_an_empty_index_has_no_record(empty_index: Path) -> None:
    with search.open_index(empty_index) as index, pytest.raises(indexer.RecordNotFound):
        index.record("h-ae1c388192dc1351")


def test_stats_of_an_empty_index_are_zeros(empty_index: Path) -> None:
    with search.open_index(empty_index) as index:
        stats = index.stats()
    assert (stats.pages_seen, stats.segments, stats.first_published) == (0, 0, None)
    assert stats.records == {"article": 0, "headline": 0, "footer": 0}


@pytest.mark.parametrize("query", QUERIES)
def test_the_command_line_finds_nothing_in_an_empty_index(
    runner: CliRunner, empty_index: Path, query: str
) -> None:
    result = newsdex(runner, "search", "--", query)
    assert (result.exit_code, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr


def test_stats_on_an_empty_index_say_zero_segments(runner: CliRunner, empty_index: Path) -> None:
    result = newsdex(runner, "stats")
    assert result.exit_code == 0
    assert "segments            0" in result.stdout.splitlines()


def test_an_index_run_fills_an_empty_index(empty_index: Path) -> None:
    indexer.index_paths([], index=empty_index)
    with search.open_index(empty_index) as index:
        assert index.search("Assad").total == 1


@pytest.mark.parametrize("by", ["day", "week", "month", "year", "site", "kind"])
def test_counting_an_empty_index_finds_nothing(empty_index: Path, by: str) -> None:
    with search.open_index(empty_index) as index:
        counts = index.count(by=by)  # type: ignore[arg-type]
        assert (counts.total, counts.buckets) == (0, ())
        assert index.count("government", by=by).total == 0  # type: ignore[arg-type]


def test_count_on_an_empty_index_exits_1(runner: CliRunner, empty_index: Path) -> None:
    result = newsdex(runner, "count", "--by", "site")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "no records\n")
