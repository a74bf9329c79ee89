"""``newsdex split FILE...``: how pages split into records, without an index."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from helpers import (
    ARTICLE_TITLE,
    FOOTER_TITLE,
    FRENCH_POLICE,
    HEADLINES,
    OTHER_PAGE,
    json_lines,
    newsdex,
    write_page,
)


def test_split_json_gives_each_record_with_kind_title_text_published(
    runner: CliRunner, seed_path: Path
) -> None:
    result = newsdex(runner, "split", str(seed_path), "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    records = json_lines(result.stdout)
    for record in records:
        assert {"kind", "title", "text", "published"} <= set(record)
    assert [(r["kind"], r["title"], r["published"]) for r in records] == [
        ("article", ARTICLE_TITLE, None),
        *[("headline", title, published) for title, published in HEADLINES],
        ("footer", FOOTER_TITLE, None),
    ]
    assert records[-1]["text"].splitlines()[-1] == "Your comment as a visitor"


def test_split_prints_one_line_per_record(runner: CliRunner, seed_path: Path) -> None:
    result = newsdex(runner, "split", str(seed_path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["article", *["headline"] * 8, "footer"]
    assert lines[1].split(maxsplit=2) == ["headline", "2018-12-14T18:45:00Z", FRENCH_POLICE]


def test_split_of_several_files_heads_each_with_its_path(
    runner: CliRunner, tmp_path: Path, seed_text: str
) -> None:
    first = write_page(tmp_path, "first.txt", seed_text)
    second = write_page(tmp_path, "second.txt", OTHER_PAGE)
    result = newsdex(runner, "split", str(first), str(second))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("== ")] == [f"== {first}", f"== {second}"]


def test_split_does_not_write_an_index(
    runner: CliRunner, seed_path: Path, private_index: Path
) -> None:
    assert newsdex(runner, "split", str(seed_path), "--json").exit_code == 0
    assert not private_index.exists()


def test_split_reports_unreadable_files_and_goes_on(
    runner: CliRunner, tmp_path: Path, seed_path: Path
) -> None:
    empty = write_page(tmp_path, "empty.txt", "")
    result = newsdex(runner, "split", str(empty), str(seed_path), "--json")
    assert result.exit_code == 0
    assert result.stderr == f"skipped {empty}: empty\n"
    assert len(json_lines(result.stdout)) == 10


def test_split_with_no_readable_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = newsdex(runner, "split", str(missing))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"skipped {missing}: no such file or folder",
        "Error: no readable page among the files given",
    ]
