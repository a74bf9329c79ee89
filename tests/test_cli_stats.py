"""``newsdex stats``: what the index holds, for programs and for people."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import newsdex, write_page


def test_stats_json_counts_what_the_seed_index_holds(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "stats", "--json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert isinstance(stats.pop("size_bytes"), int)
    assert stats == {
        "index": str(seeded_index),
        "pages_seen": 1,
        "pages_indexed": 1,
        "pages_skipped": 0,
        "records": {"article": 1, "headline": 8, "footer": 1},
        "headline_occurrences": 8,
        "unique_headlines": 8,
        "first_published": "2018-12-13T11:33:00Z",
        "last_published": "2018-12-14T18:45:00Z",
        "warnings": 0,
        "segments": 1,
        "sites": {},
        "skipped": [],
        "warned": [],
    }


def test_stats_json_lists_skipped_files_with_their_reason(
    runner: CliRunner, tmp_path: Path, seed_text: str
) -> None:
    folder = tmp_path / "pages"
    write_page(folder, "good.txt", seed_text)
    empty = write_page(folder, "empty.txt", "")
    assert newsdex(runner, "index", str(folder)).exit_code == 0
    stats = json.loads(newsdex(runner, "stats", "--json").stdout)
    assert stats["pages_skipped"] == 1
    assert stats["skipped"] == [{"path": str(empty), "reason": "empty"}]


def test_stats_prints_pages_records_and_dates_for_people(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert f"index               {seeded_index}" in lines
    assert "pages               1 seen: 1 indexed, 0 skipped" in lines
    assert "published           2018-12-13T11:33:00Z .. 2018-12-14T18:45:00Z" in lines
    [records] = [line for line in lines if line.startswith("records ")]
    for count in ("1 article", "8 headline", "1 footer"):
        assert count in records
