"""``newsdex index``: what it indexes, what it reports, where it writes, when it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    HEADLINES,
    OTHER_PAGE,
    article_id,
    assert_one_line_error,
    json_lines,
    newsdex,
    titles_and_dates,
    write_page,
)


def test_index_without_paths_indexes_the_bundled_seeds_with_a_one_line_summary(
    runner: CliRunner, private_index: Path
) -> None:
    result = newsdex(runner, "index")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        f"1 page seen: 1 indexed (1 article, 8 headlines, 1 footer), 0 skipped -> {private_index}\n"
    )


def test_index_quiet_prints_nothing_on_success(runner: CliRunner) -> None:
    result = newsdex(runner, "index", "--quiet")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")


def test_index_reports_each_skipped_file_on_its_own_line_and_counts_reasons(
    runner: CliRunner, tmp_path: Path, private_index: Path, seed_text: str
) -> None:
    folder = tmp_path / "pages"
    write_page(folder, "good.txt", seed_text)
    empty = write_page(folder, "empty.txt", "")
    binary = folder / "bin.txt"
    binary.write_bytes(b"ab\x00cd")
    missing = tmp_path / "missing"
    result = newsdex(runner, "index", str(folder), str(missing))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"skipped {binary}: binary",
        f"skipped {empty}: empty",
        f"skipped {missing}: no such file or folder",
        "4 pages seen: 1 indexed (1 article, 8 headlines, 1 footer), "
        f"3 skipped (1 binary, 1 empty, 1 no such file or folder) -> {private_index}",
    ]


def test_index_with_nothing_readable_names_the_skipped_files_and_exits_2(
    runner: CliRunner, tmp_path: Path
) -> None:
    empty = write_page(tmp_path / "pages", "empty.txt", "")
    result = newsdex(runner, "index", str(empty))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    skipped, error = result.stderr.splitlines()
    assert skipped == f"skipped {empty}: empty"
    assert error.startswith(f"Error: no readable page found in {empty}")


def test_index_with_nothing_readable_writes_no_index(runner: CliRunner, tmp_path: Path) -> None:
    empty = write_page(tmp_path / "pages", "empty.txt", "")
    assert newsdex(runner, "index", str(empty)).exit_code == 2
    assert "no index" in assert_one_line_error(newsdex(runner, "stats"))


def test_index_option_chooses_the_folder_over_newsdex_index(
    runner: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert newsdex(runner, "index", "--index", str(elsewhere)).exit_code == 0
    assert newsdex(runner, "stats", "--index", str(elsewhere)).exit_code == 0
    assert newsdex(runner, "stats").exit_code == 2


def test_indexing_the_same_pages_again_leaves_the_same_counts(
    runner: CliRunner, seeded_index: Path
) -> None:
    before = json.loads(newsdex(runner, "stats", "--json").stdout)
    assert newsdex(runner, "index").exit_code == 0
    after = json.loads(newsdex(runner, "stats", "--json").stdout)
    counts = ("pages_indexed", "records", "headline_occurrences", "unique_headlines")
    assert {key: after[key] for key in counts} == {key: before[key] for key in counts}


def test_index_without_rebuild_keeps_pages_indexed_before(
    runner: CliRunner, seeded_index: Path, tmp_path: Path
) -> None:
    other = write_page(tmp_path / "other", "harbour.txt", OTHER_PAGE)
    assert newsdex(runner, "index", str(other)).exit_code == 0
    assert newsdex(runner, "search", "Assad").exit_code == 0
    assert newsdex(runner, "search", "harbour").exit_code == 0


def test_index_rebuild_keeps_only_the_pages_of_this_run(
    runner: CliRunner, seeded_index: Path, tmp_path: Path
) -> None:
    other = write_page(tmp_path / "other", "harbour.txt", OTHER_PAGE)
    assert newsdex(runner, "index", "--rebuild", str(other)).exit_code == 0
    assert newsdex(runner, "search", "Assad").exit_code == 1
    assert newsdex(runner, "search", "harbour").exit_code == 0
    assert json.loads(newsdex(runner, "stats", "--json").stdout)["pages_indexed"] == 1


def test_index_while_another_process_writes_exits_2_after_wait(
    runner: CliRunner, seeded_index: Path
) -> None:
    from indexer.storage import open_storage

    storage = open_storage(seeded_index)
    writer = storage.writer()  # holds the index's write lock
    try:
        result = newsdex(runner, "index", "--wait", "0")
    finally:
        writer.cancel()
        storage.close()
    assert "being written by another process" in assert_one_line_error(result)


def test_index_reads_dumps_with_the_text_field_given(runner: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "pages.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/1", "body": "Caption\nText."}) + "\n")
    result = newsdex(runner, "index", str(dump), "--text-field", "body")
    assert result.exit_code == 0
    assert result.stderr.startswith("1 page seen: 1 indexed (1 article, 0 headlines, 0 footers)")
    hit = json_lines(newsdex(runner, "search", "caption", "--json").stdout)[0]
    assert hit["sources"] == ["https://a.example/1"]


# --- the seed page copied twice: one record per content, every page as a source ---


@pytest.fixture
def seed_copied_twice(runner: CliRunner, tmp_path: Path, seed_text: str) -> list[str]:
    """Two copies of the seed page, indexed; their paths as newsdex reports them."""
    folder = tmp_path / "pages"
    paths = [write_page(folder, name, seed_text) for name in ("a.txt", "b.txt")]
    result = newsdex(runner, "index", str(folder))
    assert result.exit_code == 0, result.output
    return [str(path) for path in paths]


def test_seed_copied_twice_is_one_article_with_two_sources(
    runner: CliRunner, seed_copied_twice: list[str]
) -> None:
    result = newsdex(runner, "search", "Assad", "--json")
    assert result.exit_code == 0
    [hit] = json_lines(result.stdout)
    assert hit["kind"] == "article"
    assert hit["sources"] == seed_copied_twice


def test_seed_copied_twice_gives_eight_headlines_each_with_two_sources(
    runner: CliRunner, seed_copied_twice: list[str]
) -> None:
    hits = json_lines(newsdex(runner, "headlines", "--json").stdout)
    assert titles_and_dates(hits) == HEADLINES
    assert [hit["sources"] for hit in hits] == [seed_copied_twice] * 8


def test_seed_copied_twice_shows_both_pages_and_lines_of_the_article(
    runner: CliRunner, seed_copied_twice: list[str]
) -> None:
    result = newsdex(runner, "show", article_id(runner), "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["sources"] == [
        {"path": path, "line": 1, "site": None} for path in seed_copied_twice
    ]


def test_seed_copied_twice_stats_count_records_once_and_headlines_per_page(
    runner: CliRunner, seed_copied_twice: list[str]
) -> None:
    stats = json.loads(newsdex(runner, "stats", "--json").stdout)
    assert stats["pages_indexed"] == 2
    assert stats["records"] == {"article": 1, "headline": 8, "footer": 1}
    assert stats["unique_headlines"] == 8
    assert stats["headline_occurrences"] == 16


@pytest.mark.parametrize("size", ["inf", "1e308", "nan", "-1", "0"])
def test_index_refuses_a_max_page_size_that_is_no_size_in_one_line(
    runner: CliRunner, size: str
) -> None:
    result = newsdex(runner, "index", "--max-page-mb", size)
    assert "--max-page-mb" in assert_one_line_error(result)


def test_index_on_a_terminal_says_who_it_waits_for_then_that_it_commits(
    runner: CliRunner, seeded_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from indexer.storage import open_storage

    monkeypatch.setattr("search.cli._stderr_is_a_terminal", lambda: True)
    storage = open_storage(seeded_index)
    writer = storage.writer()  # another writer holds the lock for a second
    threading.Timer(1.0, writer.cancel).start()
    try:
        result = newsdex(runner, "index", "--wait", "30")
    finally:
        storage.close()
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("waiting up to 30 s for "), lines
    assert lines[0].endswith(", which is writing the index")
    assert "committing: writing the index's new segment" in lines
