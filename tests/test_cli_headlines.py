"""``newsdex headlines``: ticker headlines newest first, by time range and query."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    BOLD,
    DECEMBER_13,
    DECEMBER_14,
    HEADLINES,
    RESET,
    json_lines,
    marked_words,
    newsdex,
    titles_and_dates,
)


def test_headlines_since_december_14_are_its_three_newest_first(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--since", "2018-12-14", "--json")
    assert result.exit_code == 0
    hits = json_lines(result.stdout)
    assert titles_and_dates(hits) == DECEMBER_14
    assert [hit["kind"] for hit in hits] == ["headline"] * 3


def test_headlines_without_query_are_all_of_them_newest_first(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--json")
    assert result.exit_code == 0
    assert titles_and_dates(json_lines(result.stdout)) == HEADLINES


def test_headlines_until_a_bare_day_include_that_whole_day(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--until", "2018-12-13", "--json")
    assert titles_and_dates(json_lines(result.stdout)) == DECEMBER_13


@pytest.mark.parametrize(
    "since",
    ["2018-12-14T15:21", "2018-12-14T15:21:00Z", "2018-12-14T16:21+01:00", "2018-12-14 15:21"],
)
def test_headlines_since_a_time_is_inclusive_and_utc(
    runner: CliRunner, seeded_index: Path, since: str
) -> None:
    result = newsdex(runner, "headlines", "--since", since, "--json")
    assert titles_and_dates(json_lines(result.stdout)) == DECEMBER_14[:2]


def test_headlines_until_a_time_is_inclusive(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "headlines", "--until", "2018-12-14T11:24", "--json")
    assert titles_and_dates(json_lines(result.stdout)) == HEADLINES[2:]


def test_headlines_since_after_until_says_the_range_is_reversed(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--since", "2018-12-14", "--until", "2018-12-13")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the date range is reversed: since 2018-12-14 is after until 2018-12-13"
        " (swap the two dates)\n"
    )


def test_headlines_until_a_basic_format_day_includes_that_whole_day(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--until", "20181214", "--json")
    assert titles_and_dates(json_lines(result.stdout)) == HEADLINES


def test_headlines_with_a_query_keep_only_matching_ones_newest_first(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "syria", "--json")
    hits = json_lines(result.stdout)
    assert titles_and_dates(hits) == [DECEMBER_14[1], DECEMBER_14[2]]
    assert [marked_words(hit) for hit in hits] == [["Syria"], ["Syria"]]


def test_headlines_limit_and_offset_page_through_them(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "--limit", "2", "--offset", "1", "--json")
    assert titles_and_dates(json_lines(result.stdout)) == HEADLINES[1:3]


def test_headlines_say_on_stderr_how_to_see_more(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "headlines", "--limit", "2", "--offset", "1")
    assert result.exit_code == 0
    assert result.stderr == "hits 2-3 of 8; --offset 3 for more\n"


def test_headlines_matching_nothing_exit_1(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "headlines", "qwxzvbn", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""


def test_published_value_printed_by_json_is_accepted_as_a_date(
    runner: CliRunner, seeded_index: Path
) -> None:
    newest = json_lines(newsdex(runner, "headlines", "--json").stdout)[0]
    result = newsdex(runner, "headlines", "--since", newest["published"], "--json")
    assert result.exit_code == 0
    assert titles_and_dates(json_lines(result.stdout)) == HEADLINES[:1]


def test_headlines_color_always_bolds_the_matched_word(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "Jaafari", "--color", "always")
    assert f"{BOLD}Jaafari{RESET}" in result.stdout
