"""Accounting: every page an index run finds is indexed, unchanged or skipped with a reason.

The run's summary says pages seen = indexed + unchanged + skipped; `stats`
says pages seen = indexed + skipped, and lists each skip with its reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import write_page

import indexer
import search
from search.cli import cli

GOOD_PAGE = "A good caption\nA paragraph about Brexit.\n"


def hostile_crawl(folder: Path) -> Path:
    """Pages of every sort a run may skip, beside two good pages and a dump."""
    write_page(folder, "good.txt", GOOD_PAGE)
    write_page(folder / "sub", "other.txt", "Another caption\nMore text.\n")
    write_page(folder, "empty.txt", "")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "junk.txt").write_bytes(bytes(range(0x80, 0x100)) * 8)
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    os.mkfifo(folder / "pipe.txt")
    rows = [
        json.dumps({"url": "u1", "text": "Dumped caption\nText."}),
        "not json",
        json.dumps({"url": "u2", "text": " "}),
        json.dumps({"url": "u1", "text": "Same url again\nText."}),
        json.dumps(["a list"]),
        json.dumps({"url": "u3", "summary": "no text field"}),
    ]
    (folder / "dump.jsonl").write_text("".join(row + "\n" for row in rows))
    return folder


def stats_of(index: Path) -> search.IndexStats:
    with search.open_index(index) as opened:
        return opened.stats()


def as_pairs(skipped: tuple[indexer.Skipped, ...]) -> list[tuple[str, str]]:
    return sorted((skip.path, skip.reason) for skip in skipped)


def test_a_run_accounts_for_every_page_it_finds(tmp_path: Path, private_index: Path) -> None:
    report = indexer.index_paths([hostile_crawl(tmp_path / "crawl")], index=private_index)
    assert (report.pages_read, len(report.skipped)) == (3, 10)
    assert report.pages_seen == report.pages_read + report.pages_unchanged + len(report.skipped)
    assert {skip.category for skip in report.skipped} == {
        "binary",
        "duplicate of a page read before",
        "empty",
        "no text field",
        "not JSON",
        "not UTF-8 text",
        "not a JSON object",
        "not a regular file",
        "unreadable",
    }


def test_stats_show_every_skip_of_the_run_with_its_reason(
    tmp_path: Path, private_index: Path
) -> None:
    report = indexer.index_paths([hostile_crawl(tmp_path / "crawl")], index=private_index)
    numbers = stats_of(private_index)
    assert numbers.pages_seen == report.pages_seen == 13
    assert numbers.pages_indexed == report.pages_read
    assert as_pairs(numbers.skipped) == as_pairs(report.skipped)


def test_dumped_lines_are_skipped_by_line_with_their_reason(
    tmp_path: Path, private_index: Path
) -> None:
    folder = hostile_crawl(tmp_path / "crawl")
    indexer.index_paths([folder], index=private_index)
    dump = folder / "dump.jsonl"
    skipped_lines = [skip for skip in stats_of(private_index).skipped if str(dump) in skip.path]
    assert [(skip.path, skip.category) for skip in skipped_lines] == [
        (f"{dump}:2", "not JSON"),
        (f"{dump}:3", "empty"),
        (f"{dump}:4", "duplicate of a page read before"),
        (f"{dump}:5", "not a JSON object"),
        (f"{dump}:6", "no text field"),
    ]


def test_a_run_over_unchanged_pages_accounts_for_them_as_before(
    tmp_path: Path, private_index: Path
) -> None:
    folder = hostile_crawl(tmp_path / "crawl")
    first = indexer.index_paths([folder], index=private_index)
    again = indexer.index_paths([folder], index=private_index)
    assert (again.pages_read, again.pages_unchanged) == (0, first.pages_read)
    assert as_pairs(again.skipped) == as_pairs(first.skipped)
    assert as_pairs(stats_of(private_index).skipped) == as_pairs(first.skipped)


def test_a_skipped_file_that_is_fixed_is_indexed_and_no_longer_skipped(
    tmp_path: Path, private_index: Path
) -> None:
    folder = tmp_path / "crawl"
    write_page(folder, "good.txt", GOOD_PAGE)
    empty = write_page(folder, "later.txt", "")
    indexer.index_paths([folder], index=private_index)
    empty.write_text("Written later\nText.\n")
    report = indexer.index_paths([folder], index=private_index)
    assert (report.pages_read, report.skipped) == (1, ())
    numbers = stats_of(private_index)
    assert (numbers.pages_seen, numbers.pages_indexed, numbers.skipped) == (2, 2, ())


def test_a_skipped_file_that_is_removed_leaves_the_stats(
    tmp_path: Path, private_index: Path
) -> None:
    folder = tmp_path / "crawl"
    write_page(folder, "good.txt", GOOD_PAGE)
    empty = write_page(folder, "empty.txt", "")
    indexer.index_paths([folder], index=private_index)
    empty.unlink()
    indexer.index_paths([folder], index=private_index)
    assert stats_of(private_index).skipped == ()


def test_a_fixed_dump_line_replaces_its_skip(tmp_path: Path, private_index: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text('{"url": "u1", "text": "Caption\\nText."}\nnot json\n')
    indexer.index_paths([dump], index=private_index)
    dump.write_text(
        '{"url": "u1", "text": "Caption\\nText."}\n{"url": "u2", "text": "Fixed\\nT."}\n'
    )
    report = indexer.index_paths([dump], index=private_index)
    assert (report.pages_read, report.pages_unchanged, report.skipped) == (1, 1, ())
    numbers = stats_of(private_index)
    assert (numbers.pages_seen, numbers.pages_indexed, numbers.skipped) == (2, 2, ())


def test_a_path_given_that_does_not_exist_is_reported_but_not_remembered(
    tmp_path: Path, private_index: Path
) -> None:
    write_page(tmp_path / "crawl", "good.txt", GOOD_PAGE)
    report = indexer.index_paths([tmp_path / "crawl", tmp_path / "typo"], index=private_index)
    assert as_pairs(report.skipped) == [(str(tmp_path / "typo"), "no such file or folder")]
    assert stats_of(private_index).skipped == ()


def test_the_summary_line_adds_up(tmp_path: Path, private_index: Path) -> None:
    folder = hostile_crawl(tmp_path / "crawl")
    indexer.index_paths([folder], index=private_index)
    write_page(folder, "new.txt", "New caption\nNew text.\n")
    report = indexer.index_paths([folder], index=private_index)
    assert report.summary() == (
        "14 pages seen: 1 indexed (1 article, 0 headlines, 0 footers), 3 unchanged, 10 skipped"
        " (1 binary, 1 duplicate of a page read before, 2 empty, 1 no text field,"
        " 1 not JSON, 1 not UTF-8 text, 1 not a JSON object, 1 not a regular file,"
        f" 1 unreadable) -> {private_index}"
    )


def test_stats_json_says_pages_seen_is_indexed_plus_skipped(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    folder = hostile_crawl(tmp_path / "crawl")
    assert runner.invoke(cli, ["index", str(folder)]).exit_code == 0
    result = runner.invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert (stats["pages_seen"], stats["pages_indexed"], stats["pages_skipped"]) == (13, 3, 10)
    assert {"path": f"{folder / 'pipe.txt'}", "reason": "not a regular file"} in stats["skipped"]


def test_stats_text_counts_the_skips_by_reason(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    folder = tmp_path / "crawl"
    write_page(folder, "good.txt", GOOD_PAGE)
    write_page(folder, "a.txt", "")
    write_page(folder, "b.txt", "")
    (folder / "c.txt").write_bytes(b"\x00\x01")
    assert runner.invoke(cli, ["index", str(folder)]).exit_code == 0
    lines = runner.invoke(cli, ["stats"]).stdout.splitlines()
    assert "pages               4 seen: 1 indexed, 3 skipped (1 binary, 2 empty)" in lines
    assert f"skipped             {folder / 'c.txt'}: binary" in lines


@pytest.mark.parametrize("rebuild", [False, True])
def test_the_index_summary_and_stats_agree_after_a_first_run_or_a_rebuild(
    runner: CliRunner, tmp_path: Path, private_index: Path, rebuild: bool
) -> None:
    folder = hostile_crawl(tmp_path / "crawl")
    if rebuild:
        assert runner.invoke(cli, ["index"]).exit_code == 0  # the seeds, then replaced
    command = ["index", str(folder), *(["--rebuild"] if rebuild else [])]
    summary = runner.invoke(cli, command).stderr.splitlines()[-1]
    stats = json.loads(runner.invoke(cli, ["stats", "--json"]).stdout)
    assert summary.startswith(f"{stats['pages_seen']} pages seen: {stats['pages_indexed']} indexed")
    assert f", {stats['pages_skipped']} skipped (" in summary
