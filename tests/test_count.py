"""`newsdex count` and Index.count: how many records match, by period, site or kind.

Counts are checked against a count made by hand over the records a generated
crawl yields (dumps of several sites, with and without dates, headlines
recurring across sites).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import assert_one_line_error, json_lines, newsdex

import indexer
import search
from search.periods import counts_by_period

SITES = ("alpha.org", "beta.org", "gamma.org", "delta.org")
WORDS = (
    *("harbour", "strike", "council", "tram", "flood"),
    *("police", "budget", "election", "vote", "port"),
)
START = datetime(2018, 12, 20, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return f"GMT {moment:%H:%M %Y %A} ,{moment.day} {moment:%B}"


def generated_crawl(folder: Path, pages: int = 120, seed: int = 7) -> Path:
    """Dumps of four sites; articles dated (or not) in every format; tickers from a
    shared pool of headlines, so headlines recur within and across sites."""
    rng = random.Random(seed)
    pool = [
        (f"{rng.choice(WORDS)} news number {n}", START + timedelta(hours=rng.randrange(24 * 60)))
        for n in range(30)
    ]
    formats = [
        lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"),
        lambda m: m.strftime("%Y-%m-%d %H:%M:%S"),
        lambda m: m.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        lambda m: int(m.timestamp()),
    ]
    rows = []
    for n in range(pages):
        site = rng.choice(SITES)
        words = " ".join(rng.choice(WORDS) for _ in range(8))
        ticker = "\n".join(f"{stamp(when)} {text}" for text, when in rng.sample(pool, 3))
        row: dict[str, Any] = {
            "title": f"Story {n} {rng.choice(WORDS)}",
            "text": f"{words}.\n{ticker}\n",
            "url": f"https://www.{site}/{n}",
        }
        if rng.random() < 0.8:
            published = START + timedelta(hours=rng.randrange(24 * 90))
            row["date"] = rng.choice(formats)(published)
        rows.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    dump = folder / "crawl.jsonl"
    dump.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return dump


def records_by_hand(dump: Path) -> dict[str, tuple[str, datetime | None, set[str]]]:
    """Each record's kind, date and sites, from the pages the dump yields."""
    found: dict[str, tuple[str, datetime | None, set[str]]] = {}
    for page in indexer.split_files([dump]):
        assert isinstance(page, indexer.SplitPage)
        for record in page.records:
            _, _, sites = found.setdefault(record.id, (record.kind, record.published, set()))
            sites.update(record.sites)
    return found


@pytest.fixture
def crawl_index(tmp_path: Path, private_index: Path) -> tuple[Path, dict[str, Any]]:
    dump = generated_crawl(tmp_path / "crawl")
    indexer.index_paths([dump], index=private_index)
    return private_index, records_by_hand(dump)


def matching_ids(index: search.Index, query: str | None, **options: Any) -> set[str]:
    if query is None:
        kinds = options.pop("kind", None)
        found = index.search("*", kind=kinds, limit=100_000, **options)
    else:
        found = index.search(query, limit=100_000, **options)
    return {hit.id for hit in found.hits}


@pytest.mark.parametrize("by", ["day", "week", "month", "year"])
@pytest.mark.parametrize("query", [None, "harbour", "strike OR vote", '"news number"'])
def test_counts_by_period_are_those_counted_by_hand(
    crawl_index: tuple[Path, dict[str, Any]], by: search.options.Match, query: str | None
) -> None:
    index_folder, records = crawl_index
    with search.open_index(index_folder) as index:
        counts = index.count(query, by=by)  # type: ignore[arg-type]
        ids = matching_ids(index, query)
    days = Counter(records[i][1].toordinal() for i in ids if records[i][1] is not None)
    expected = counts_by_period(days, by)  # type: ignore[arg-type]
    assert [(bucket.key, bucket.count) for bucket in counts] == expected
    assert counts.undated == sum(1 for i in ids if records[i][1] is None)
    assert counts.total == len(ids) > 0


@pytest.mark.parametrize("query", [None, "harbour", "news"])
def test_counts_by_site_are_those_counted_by_hand(
    crawl_index: tuple[Path, dict[str, Any]], query: str | None
) -> None:
    index_folder, records = crawl_index
    with search.open_index(index_folder) as index:
        counts = index.count(query, by="site", kind="all")
        ids = matching_ids(index, query, kind="all")
    expected = Counter(site for i in ids for site in records[i][2])
    assert {bucket.key: bucket.count for bucket in counts} == dict(expected)
    assert [bucket.count for bucket in counts] == sorted(expected.values(), reverse=True)
    assert counts.unsited == sum(1 for i in ids if not records[i][2])


def test_counts_by_kind_are_those_counted_by_hand(
    crawl_index: tuple[Path, dict[str, Any]],
) -> None:
    index_folder, records = crawl_index
    with search.open_index(index_folder) as index:
        counts = index.count(by="kind", kind="all")
    expected = Counter(kind for kind, _, _ in records.values())
    assert {bucket.key: bucket.count for bucket in counts} == dict(expected)


@pytest.mark.parametrize(
    "options",
    [
        {"since": "2019-01-01", "until": "2019-01-31"},
        {"site": "beta.org"},
        {"site": ["alpha.org", "delta.org"], "kind": "headline"},
        {"kind": "article", "match": "any"},
    ],
    ids=["dates", "site", "sites-headlines", "any"],
)
def test_counts_keep_to_the_filters_a_search_keeps_to(
    crawl_index: tuple[Path, dict[str, Any]], options: dict[str, Any]
) -> None:
    index_folder, _ = crawl_index
    query = "harbour strike" if options.get("match") == "any" else "harbour"
    with search.open_index(index_folder) as index:
        counts = index.count(query, by="month", **options)
        ids = matching_ids(index, query, **options)
    assert counts.total == len(ids) > 0
    assert sum(bucket.count for bucket in counts) + counts.undated == counts.total


def test_empty_periods_between_the_first_and_the_last_are_zeros(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [
        {"text": "A harbour story.", "date": "2019-01-03"},
        {"text": "Another harbour story.", "date": "2019-01-06"},
    ]
    dump = tmp_path / "d.jsonl"
    dump.write_text("".join(json.dumps(row) + "\n" for row in rows))
    indexer.index_paths([dump], index=private_index)
    with search.open_index(private_index) as index:
        counts = index.count("harbour", by="day")
    assert [(bucket.key, bucket.count) for bucket in counts] == [
        ("2019-01-03", 1),
        ("2019-01-04", 0),
        ("2019-01-05", 0),
        ("2019-01-06", 1),
    ]


def test_a_count_reads_no_stored_document(
    crawl_index: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_folder, _ = crawl_index
    with search.open_index(index_folder) as index:
        index.count("harbour", by="kind")  # the column and the sets are read once

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a count read a stored document")

        monkeypatch.setattr(index._searcher, "stored_fields", refused)
        for by in ("day", "week", "site", "kind"):
            assert index.count("harbour", by=by).total > 0  # type: ignore[arg-type]


def test_the_command_line_draws_a_bar_a_period(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "count", "--kind", "all")
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [row[:2] for row in rows] == [
        ["2018-12-13", "5"],
        ["2018-12-14", "3"],
        ["(undated)", "2"],
    ]
    assert all(
        len(row) == 3 and set(row[2]) <= set("\u2588\u258f\u258e\u258d\u258c\u258b\u258a\u2589")
        for row in rows
    )
    assert result.stderr == "10 records\n"


def test_the_command_line_prints_json_lines_with_the_undated_as_null(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "count", "syria", "--json")
    assert json_lines(result.stdout) == [
        {"key": "2018-12-14", "count": 2},
        {"key": None, "count": 1},
    ]


def test_the_command_line_counts_by_week_month_year_site_and_kind(
    runner: CliRunner, seeded_index: Path
) -> None:
    keys = {
        by: [
            row["key"] for row in json_lines(newsdex(runner, "count", "--by", by, "--json").stdout)
        ]
        for by in ("week", "month", "year", "site", "kind")
    }
    assert keys == {
        "week": ["2018-W50", None],
        "month": ["2018-12", None],
        "year": ["2018", None],
        "site": [None],
        "kind": ["headline", "article"],
    }


def test_nothing_to_count_exits_1(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "count", "zebra")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "no records\n")


def test_a_bad_count_by_is_one_line_exit_2(runner: CliRunner, seeded_index: Path) -> None:
    assert "--by" in assert_one_line_error(newsdex(runner, "count", "--by", "hour"))


def test_the_api_refuses_a_bad_count_by(open_seeded: search.Index) -> None:
    with pytest.raises(indexer.QueryError, match="unknown count by 'hour'"):
        open_seeded.count(by="hour")  # type: ignore[arg-type]
