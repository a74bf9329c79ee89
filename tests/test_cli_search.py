"""``newsdex search``: the query language, kinds, order, paging, dates, output and colour."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    AL_JAAFARI,
    ARTICLE_TITLE,
    BOLD,
    BREXIT,
    FOOTER_TITLE,
    FRENCH_POLICE,
    HIT_JSON_KEYS,
    RESET,
    TURKEY,
    article_id,
    assert_one_line_error,
    json_lines,
    marked_words,
    newsdex,
    subprocess_environment,
    titles_and_dates,
)

# --- JSON Lines ---------------------------------------------------------------


def test_search_assad_json_returns_the_article_with_marks_on_assad(
    runner: CliRunner, seeded_index: Path, seed_path: Path
) -> None:
    result = newsdex(runner, "search", "Assad", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    [hit] = json_lines(result.stdout)
    assert hit["kind"] == "article"
    assert hit["title"] == ARTICLE_TITLE
    assert hit["published"] is None
    assert hit["sources"] == [str(seed_path)]
    assert "Assad" in hit["snippet"]
    assert marked_words(hit)
    assert set(marked_words(hit)) == {"Assad"}


def test_search_json_has_the_documented_keys(runner: CliRunner, seeded_index: Path) -> None:
    hits = json_lines(newsdex(runner, "search", "syria OR brexit", "--json").stdout)
    assert len(hits) == 4
    for hit in hits:
        assert set(hit) == HIT_JSON_KEYS


def test_search_json_values_have_the_documented_types(
    runner: CliRunner, seeded_index: Path
) -> None:
    for hit in json_lines(newsdex(runner, "search", "syria", "--json").stdout):
        assert isinstance(hit["id"], str) and hit["id"]
        assert hit["kind"] in {"article", "headline"}
        assert isinstance(hit["score"], float) and hit["score"] > 0
        assert isinstance(hit["sources"], list) and all(isinstance(s, str) for s in hit["sources"])
        assert "\x1b" not in hit["snippet"]
        assert all(len(mark) == 2 and 0 <= mark[0] < mark[1] for mark in hit["marks"])


def test_search_json_published_is_iso_utc_ending_in_z(
    runner: CliRunner, seeded_index: Path
) -> None:
    hits = json_lines(newsdex(runner, "search", "Jaafari", "--json").stdout)
    assert titles_and_dates(hits) == [(AL_JAAFARI, "2018-12-14T15:21:00Z")]


def test_search_json_marks_cover_stemmed_variants_of_the_word(
    runner: CliRunner, seeded_index: Path
) -> None:
    [hit] = json_lines(newsdex(runner, "search", "killings", "--json").stdout)
    words = {word.lower() for word in marked_words(hit)}
    assert words
    assert words <= {"killed", "killing", "killings"}


def test_search_headline_snippet_is_the_whole_headline_with_its_mark(
    runner: CliRunner, seeded_index: Path
) -> None:
    [hit] = json_lines(newsdex(runner, "search", "Brexit", "--json").stdout)
    assert hit["snippet"] == BREXIT
    assert marked_words(hit) == ["Brexit"]


# --- query language (the examples of `newsdex search --help`) -----------------


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        pytest.param("syria assad", [ARTICLE_TITLE], id="all-words"),
        pytest.param("syria OR brexit", [AL_JAAFARI, BREXIT, ARTICLE_TITLE, TURKEY], id="or"),
        pytest.param("syria NOT turkey", [AL_JAAFARI], id="not"),
        pytest.param('"yellow vest"', [FRENCH_POLICE], id="phrase"),
        pytest.param("title:brexit", [BREXIT], id="title-field"),
        pytest.param("protest*", [FRENCH_POLICE, ARTICLE_TITLE], id="prefix"),
        pytest.param("brexot~", [BREXIT], id="fuzzy"),
        pytest.param("killings", [ARTICLE_TITLE], id="stemming"),
    ],
)
def test_search_query_language_examples_find_what_the_help_says(
    runner: CliRunner, seeded_index: Path, query: str, titles: list[str]
) -> None:
    result = newsdex(runner, "search", query, "--json")
    assert result.exit_code == 0
    assert sorted(hit["title"] for hit in json_lines(result.stdout)) == sorted(titles)


def test_search_help_documents_the_query_language(runner: CliRunner) -> None:
    result = newsdex(runner, "search", "--help")
    assert result.exit_code == 0
    for example in ('"yellow vest"', "title:brexit", "protest*", " OR ", " NOT ", "~"):
        assert example in result.stdout


# --- kinds, order, paging -----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "kinds"),
    [
        pytest.param([], ["article", "headline", "headline"], id="default"),
        pytest.param(["--kind", "article"], ["article"], id="article"),
        pytest.param(["--kind", "headline"], ["headline", "headline"], id="headline"),
        pytest.param(["--kind", "all"], ["article", "headline", "headline"], id="all"),
    ],
)
def test_search_kind_chooses_what_is_searched(
    runner: CliRunner, seeded_index: Path, options: list[str], kinds: list[str]
) -> None:
    hits = json_lines(newsdex(runner, "search", "syria", "--json", *options).stdout)
    assert sorted(hit["kind"] for hit in hits) == kinds


def test_search_leaves_footers_out_by_default(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "search", "Arabs", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""


@pytest.mark.parametrize("kind", ["footer", "all"])
def test_search_finds_footers_when_asked(runner: CliRunner, seeded_index: Path, kind: str) -> None:
    result = newsdex(runner, "search", "Arabs", "--kind", kind, "--json")
    assert result.exit_code == 0
    assert [(hit["kind"], hit["title"]) for hit in json_lines(result.stdout)] == [
        ("footer", FOOTER_TITLE)
    ]


def test_search_sorted_by_relevance_has_scores_best_first(
    runner: CliRunner, seeded_index: Path
) -> None:
    hits = json_lines(newsdex(runner, "search", "syria OR brexit", "--json").stdout)
    scores = [hit["score"] for hit in hits]
    assert all(isinstance(score, float) for score in scores)
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("sort", "dates"),
    [
        ("newest", ["2018-12-14T15:21:00Z", "2018-12-14T11:24:00Z", "2018-12-13T21:44:00Z", None]),
        ("oldest", ["2018-12-13T21:44:00Z", "2018-12-14T11:24:00Z", "2018-12-14T15:21:00Z", None]),
    ],
)
def test_search_sorted_by_date_puts_undated_records_last_without_scores(
    runner: CliRunner, seeded_index: Path, sort: str, dates: list[str | None]
) -> None:
    result = newsdex(runner, "search", "syria OR brexit", "--sort", sort, "--json")
    hits = json_lines(result.stdout)
    assert [hit["published"] for hit in hits] == dates
    assert [hit["score"] for hit in hits] == [None] * 4


def test_search_limit_and_offset_page_through_hits(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(
        runner, "search", "syria", "--sort", "newest", "--limit", "1", "--offset", "1", "--json"
    )
    assert result.exit_code == 0
    assert titles_and_dates(json_lines(result.stdout)) == [(TURKEY, "2018-12-14T11:24:00Z")]


def test_search_says_on_stderr_how_to_see_more_hits(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "search", "syria", "--limit", "2")
    assert result.exit_code == 0
    assert result.stderr == "hits 1-2 of 3; --offset 2 for more\n"


# --- dates --------------------------------------------------------------------


def test_search_until_a_bare_day_includes_that_whole_day(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "Brexit", "--until", "2018-12-13", "--json")
    assert result.exit_code == 0
    assert titles_and_dates(json_lines(result.stdout)) == [(BREXIT, "2018-12-13T21:44:00Z")]


def test_search_since_a_bare_day_starts_at_its_first_minute(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "Brexit", "--since", "2018-12-14")
    assert result.exit_code == 1


# --- no hits, suggestions, errors ---------------------------------------------


def test_nonsense_word_exits_1(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "search", "qwxzvbn")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_nonsense_word_with_json_prints_nothing_on_stdout(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "qwxzvbn", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""


@pytest.mark.parametrize("options", [[], ["--json"]])
def test_misspelt_word_exits_1_and_suggests_the_spelling_in_the_index(
    runner: CliRunner, seeded_index: Path, options: list[str]
) -> None:
    result = newsdex(runner, "search", "syira", *options)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "did you mean: syria" in result.stderr.splitlines()


def test_search_any_finds_records_with_any_of_the_words(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "Brexit Hodeida", "--any", "--json")
    assert result.exit_code == 0
    assert len(json_lines(result.stdout)) == 2


@pytest.mark.parametrize("options", [[], ["--json"]])
def test_search_without_any_says_on_stderr_what_any_would_find(
    runner: CliRunner, seeded_index: Path, options: list[str]
) -> None:
    result = newsdex(runner, "search", "Brexit Hodeida", *options)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["no record has all the words; --any finds 2"]


def test_unbalanced_quote_exits_2_with_one_line(runner: CliRunner, seeded_index: Path) -> None:
    line = assert_one_line_error(newsdex(runner, "search", '"yellow vest'))
    assert "unbalanced quote" in line


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_bad_date_exits_2_with_one_line(runner: CliRunner, seeded_index: Path, option: str) -> None:
    line = assert_one_line_error(newsdex(runner, "search", "syria", option, "2018-13-45"))
    assert "bad date '2018-13-45'" in line


# --- output for people, and colour --------------------------------------------


def test_search_prints_title_then_kind_and_id_then_snippet(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "Assad")
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == ARTICLE_TITLE
    assert lines[1] == f"article  {article_id(runner)}"
    assert lines[2].startswith("  ")
    assert "Assad" in lines[2]


def test_search_prints_a_headline_with_its_date_in_utc(
    runner: CliRunner, seeded_index: Path
) -> None:
    [hit] = json_lines(newsdex(runner, "search", "Jaafari", "--json").stdout)
    result = newsdex(runner, "search", "Jaafari")
    assert result.stdout.splitlines()[:2] == [
        AL_JAAFARI,
        f"headline  2018-12-14 15:21 UTC  {hit['id']}",
    ]


def test_color_always_bolds_each_matched_word(runner: CliRunner, seeded_index: Path) -> None:
    [hit] = json_lines(newsdex(runner, "search", "Assad", "--json").stdout)
    result = newsdex(runner, "search", "Assad", "--color", "always")
    assert result.exit_code == 0
    assert result.stdout.count(f"{BOLD}Assad{RESET}") == len(hit["marks"]) > 0


@pytest.mark.parametrize(
    "options", [["--color", "never"], ["--color", "auto"], []], ids=["never", "auto", "default"]
)
def test_no_escape_codes_unless_colour_is_on(
    runner: CliRunner, seeded_index: Path, options: list[str]
) -> None:
    # Under CliRunner stdout is not a terminal, so auto means no colour.
    result = newsdex(runner, "search", "Assad", *options)
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout


def test_color_always_wins_over_no_color(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "search", "Assad", "--color", "always", env={"NO_COLOR": "1"})
    assert f"{BOLD}Assad{RESET}" in result.stdout


def test_json_output_never_has_escape_codes(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "search", "Assad", "--json", "--color", "always")
    assert "\x1b" not in result.stdout
    json_lines(result.stdout)


def run_with_a_terminal_as_stdout(args: list[str], environment: dict[str, str]) -> str:
    """Run newsdex with a pseudo-terminal as stdout; what it wrote there."""
    try:
        controller, terminal = pty.openpty()
    except OSError as error:
        pytest.skip(f"no pseudo-terminal here: {error}")
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "search", *args],
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
            env=environment,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
    output = b""
    try:
        while chunk := os.read(controller, 65536):
            output += chunk
    except OSError:  # EIO: the terminal side is closed and everything was read
        pass
    finally:
        os.close(controller)
    assert completed.returncode == 0, completed.stderr
    return output.decode("utf-8")


@pytest.mark.parametrize(("no_color", "bold"), [(None, True), ("1", False)])
def test_color_auto_bolds_matches_on_a_terminal_unless_no_color_is_set(
    seeded_index: Path, no_color: str | None, bold: bool
) -> None:
    environment = subprocess_environment(seeded_index)
    if no_color is not None:
        environment["NO_COLOR"] = no_color
    output = run_with_a_terminal_as_stdout(["search", "Assad"], environment)
    assert ARTICLE_TITLE in output
    assert (f"{BOLD}Assad{RESET}" in output) is bold
    assert ("\x1b" in output) is bold


def test_a_misspelt_word_is_corrected_even_when_only_any_finds_the_correction(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "search", "Brexot Hodeida")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "no record has all the words; --any finds 1",
        "did you mean: Brexit Hodeida",
    ]
