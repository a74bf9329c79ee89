"""The ``newsdex`` command line: what each command prints, where, and with which exit status.

Exit status follows grep: 0 hits, 1 no hits, 2 error. Hits go to stdout;
summaries, hints and errors go to stderr, errors as one line without a
traceback. Most tests run the command in-process with click's CliRunner; a few
run it for real (a broken pipe, a terminal, ``python -m search``).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import write_page

import indexer
from search.cli import cli

BOLD, RESET = "\x1b[1m", "\x1b[0m"
JSON_KEYS = {"id", "kind", "score", "title", "published", "sources", "pages", "snippet", "marks"}

ARTICLE_TITLE = (
    "Security officers carry coffins at a funeral for their slain counterparts in Jisr al-Shughour"
)
FRENCH_POLICE = "French police nationwide prepare for fifth wave of yellow vest protests"
AL_JAAFARI = "Al-Jaafari calls for stopping the politicization of humanitarian affair in Syria"
TURKEY = "Turkey will enter Syria\u2019s Manbij if US doesn\u2019t remove YPG fighters"
BREXIT = "EU leaders offer to 'demystify' Brexit deal but won't change backstop"
YEMEN = "Yemen's warring sides agree on ceasefire in embattled Hodeida"
RUSSIA = "Russia points to efforts to undermine agreements on Idlib zone"
DAESH = "Daesh group destruction of rural Iraq hinders hundreds of thousands residents\u2019 return"
THERESA_MAY = (
    "UK\u2019s PM Theresa May wins vote of confidence in her leadership while 117 voted against her"
)
FOOTER_TITLE = "Maintained and developed by Arabs Today Group SAL."

# The seed page's ticker, newest first: (title, published).
HEADLINES = [
    (FRENCH_POLICE, "2018-12-14T18:45:00Z"),
    (AL_JAAFARI, "2018-12-14T15:21:00Z"),
    (TURKEY, "2018-12-14T11:24:00Z"),
    (BREXIT, "2018-12-13T21:44:00Z"),
    (YEMEN, "2018-12-13T21:36:00Z"),
    (RUSSIA, "2018-12-13T12:27:00Z"),
    (DAESH, "2018-12-13T11:44:00Z"),
    (THERESA_MAY, "2018-12-13T11:33:00Z"),
]
DECEMBER_14 = HEADLINES[:3]
DECEMBER_13 = HEADLINES[3:]

OTHER_PAGE = "Harbour news\nFishing boats returned to the harbour at dawn.\n"


def newsdex(runner: CliRunner, *args: str, **options: Any) -> Result:
    return runner.invoke(cli, list(args), **options)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def marked_words(hit: dict[str, Any]) -> list[str]:
    return [hit["snippet"][start:end] for start, end in hit["marks"]]


def titles_and_dates(hits: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(hit["title"], hit["published"]) for hit in hits]


def assert_one_line_error(result: Result) -> str:
    """Status 2, nothing on stdout, one ``Error: ...`` line on stderr; that line."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def article_id(runner: CliRunner) -> str:
    found = newsdex(runner, "search", "Assad", "--json")
    return str(json_lines(found.stdout)[0]["id"])


@pytest.fixture
def seed_copied_twice(runner: CliRunner, tmp_path: Path, seed_text: str) -> list[str]:
    """Two copies of the seed page, indexed; their paths as newsdex reports them."""
    folder = tmp_path / "pages"
    paths = [write_page(folder, name, seed_text) for name in ("a.txt", "b.txt")]
    result = newsdex(runner, "index", str(folder))
    assert result.exit_code == 0, result.output
    return [str(path) for path in paths]


# --- index -------------------------------------------------------------------


def test_index_without_paths_indexes_the_bundled_seeds_with_a_one_line_summary(
    runner: CliRunner, private_index: Path
) -> None:
    result = newsdex(runner, "index")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        f"1 page seen: 1 indexed (1 article, 8 headlines, 1 footer), 0 skipped -> {private_index}\n"
    )


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
    from indexer.engine import open_storage

    storage = open_storage(seeded_index)
    writer = storage.writer()  # holds the index's write lock
    try:
        result = newsdex(runner, "index", "--wait", "0")
    finally:
        writer.cancel()
        storage.close()
    assert "being written by another process" in assert_one_line_error(result)


# --- the seed page copied twice: one record per content, every page as a source


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
    assert record["sources"] == [{"path": path, "line": 1} for path in seed_copied_twice]


def test_seed_copied_twice_stats_count_records_once_and_headlines_per_page(
    runner: CliRunner, seed_copied_twice: list[str]
) -> None:
    stats = json.loads(newsdex(runner, "stats", "--json").stdout)
    assert stats["pages_indexed"] == 2
    assert stats["records"] == {"article": 1, "headline": 8, "footer": 1}
    assert stats["unique_headlines"] == 8
    assert stats["headline_occurrences"] == 16


# --- search: JSON Lines ------------------------------------------------------


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
        assert set(hit) == JSON_KEYS


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


# --- search: query language (the examples of `newsdex search --help`) ----------


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


# --- search: kinds, order, paging ---------------------------------------------


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


# --- search: dates --------------------------------------------------------------


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


# --- search: no hits, suggestions, errors --------------------------------------


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


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["search", "(syria"], "unbalanced parenthesis", id="parenthesis"),
        pytest.param(["search", "kind:article"], "cannot search the field", id="field"),
        pytest.param(["search", "syria\n("], "unbalanced parenthesis", id="newline-in-query"),
        pytest.param(["search", "syria", "--until", "yesterday"], "bad date", id="word-date"),
        pytest.param(["headlines", "--since", "2018-13-45"], "bad date", id="headlines-date"),
        pytest.param(["headlines", '"yellow'], "unbalanced quote", id="headlines-quote"),
        pytest.param(["show", "a-0000000000000000"], "no record", id="unknown-id"),
        pytest.param(["show", "--json", "nope"], "no record", id="unknown-id-json"),
    ],
)
def test_errors_exit_2_with_one_line_saying_why(
    runner: CliRunner, seeded_index: Path, args: list[str], says: str
) -> None:
    assert says in assert_one_line_error(newsdex(runner, *args))


@pytest.mark.parametrize(
    "args",
    [["search", "syria"], ["headlines"], ["show", "a-0000000000000000"], ["stats"]],
    ids=["search", "headlines", "show", "stats"],
)
def test_commands_without_an_index_exit_2_saying_to_index_first(
    runner: CliRunner, args: list[str]
) -> None:
    line = assert_one_line_error(newsdex(runner, *args))
    assert "no index" in line
    assert "newsdex index" in line


def test_folder_that_is_not_an_index_exits_2_with_one_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    write_page(tmp_path / "notes", "todo.md", "buy milk\n")
    line = assert_one_line_error(newsdex(runner, "search", "syria", "--index", str(tmp_path)))
    assert "is not a newsdex index" in line


@pytest.mark.parametrize("args", [["index"], ["search", "syria"], ["stats"]])
def test_index_path_that_is_a_file_exits_2_with_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    a_file = write_page(tmp_path, "not-a-folder", "hello\n")
    monkeypatch.setenv("NEWSDEX_INDEX", str(a_file))
    assert str(a_file) in assert_one_line_error(newsdex(runner, *args))


def test_interrupt_exits_130_not_1(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(indexer, "index_paths", interrupted)
    result = newsdex(runner, "index")
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr == "interrupted\n"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["search", "syria", "--limit", "0"], id="limit-0"),
        pytest.param(["search", "syria", "--bogus"], id="unknown-option"),
        pytest.param(["search", "syria", "--kind", "page"], id="unknown-kind"),
        pytest.param(["search", "syria", "--sort", "random"], id="unknown-sort"),
        pytest.param(["search", "syria", "--color", "sometimes"], id="unknown-color"),
        pytest.param(["search", "syria", "--offset", "-1"], id="negative-offset"),
        pytest.param(["search"], id="missing-query"),
        pytest.param(["headlines", "--limit", "0"], id="headlines-limit-0"),
        pytest.param(["index", "--wait", "-1"], id="negative-wait"),
        pytest.param(["split"], id="split-without-files"),
        pytest.param(["frobnicate"], id="unknown-command"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(
    runner: CliRunner, seeded_index: Path, args: list[str]
) -> None:
    result = newsdex(runner, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")


# --- search: output for people, and colour -------------------------------------


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


def test_headlines_color_always_bolds_the_matched_word(
    runner: CliRunner, seeded_index: Path
) -> None:
    result = newsdex(runner, "headlines", "Jaafari", "--color", "always")
    assert f"{BOLD}Jaafari{RESET}" in result.stdout


# --- headlines -----------------------------------------------------------------


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


def test_headlines_since_after_until_exits_1(runner: CliRunner, seeded_index: Path) -> None:
    result = newsdex(runner, "headlines", "--since", "2018-12-14", "--until", "2018-12-13")
    assert result.exit_code == 1


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


# --- show ----------------------------------------------------------------------


def test_show_json_gives_the_whole_article_and_where_it_was_seen(
    runner: CliRunner, seeded_index: Path, seed_path: Path
) -> None:
    result = newsdex(runner, "show", article_id(runner), "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["kind"] == "article"
    assert record["title"] == ARTICLE_TITLE
    assert record["published"] is None
    assert record["text"].startswith("Jisr al-Shughour was a virtual ghost town Wednesday")
    assert record["text"].endswith("spread to most major Syrian towns and cities.")
    assert len(record["paragraphs"]) == 12
    assert record["sources"] == [{"path": str(seed_path), "line": 1}]


def test_show_prints_a_headline_with_its_time_and_page_line(
    runner: CliRunner, seeded_index: Path, seed_path: Path
) -> None:
    [hit] = json_lines(newsdex(runner, "headlines", "yellow", "--json").stdout)
    result = newsdex(runner, "show", hit["id"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"headline {hit['id']}",
        "published 2018-12-14T18:45:00Z",
        f"seen at {seed_path}:15",
        "",
        FRENCH_POLICE,
    ]


def test_every_search_hit_can_be_shown_by_its_id(runner: CliRunner, seeded_index: Path) -> None:
    hits = [
        *json_lines(newsdex(runner, "headlines", "--json").stdout),
        *json_lines(newsdex(runner, "search", "Jisr", "--kind", "article", "--json").stdout),
        *json_lines(newsdex(runner, "search", "Arabs", "--kind", "footer", "--json").stdout),
    ]
    assert len({hit["id"] for hit in hits}) == 10
    for hit in hits:
        result = newsdex(runner, "show", hit["id"], "--json")
        assert result.exit_code == 0
        record = json.loads(result.stdout)
        assert (record["id"], record["kind"], record["title"]) == (
            hit["id"],
            hit["kind"],
            hit["title"],
        )


# --- split ---------------------------------------------------------------------


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


# --- stats ---------------------------------------------------------------------


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
        "skipped": [],
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


# --- the command itself ----------------------------------------------------------


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = newsdex(runner, "--help")
    assert result.exit_code == 0
    for command in ("index", "search", "headlines", "show", "split", "stats"):
        assert f"  {command} " in result.stdout


def test_version_option_prints_the_version(runner: CliRunner) -> None:
    result = newsdex(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"newsdex, version {indexer.__version__}\n"


# --- for real: pipes, terminals, `python -m search` ------------------------------


def subprocess_environment(index: Path) -> dict[str, str]:
    """This environment with the venv's scripts first on PATH and the index given."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    scripts = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([scripts, environment.get("PATH", "")])
    environment["NEWSDEX_INDEX"] = str(index)
    environment["TERM"] = "xterm"
    return environment


def test_search_piped_into_head_ends_quietly_with_status_0(tmp_path: Path) -> None:
    # Ten headlines of about 45 kB each: the output is far larger than a pipe
    # holds, so newsdex is still writing when head exits and the write fails.
    filler = " ".join(f"{'x' * 40}{n}" for n in range(1000))
    lines = ["Long ticker", "A page whose ticker headlines are very long."]
    for minute in range(10):
        lines += [f"GMT 10:{minute:02d} 2018 Friday ,14 December", f"Syria {filler}"]
    page = write_page(tmp_path / "pages", "long.txt", "\n".join(lines) + "\n")
    index = tmp_path / "long-index"
    indexer.index_paths([page], index=index)
    status_file = tmp_path / "status"

    completed = subprocess.run(
        f"{{ newsdex search syria; echo $? > '{status_file}'; }} | head -1",
        shell=True,
        env=subprocess_environment(index),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.stdout.startswith("Syria ")
    assert completed.stdout.count("\n") == 1
    assert completed.stderr == ""
    assert status_file.read_text().strip() == "0"


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


def test_python_m_search_runs_the_same_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "search", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stderr == ""
    assert completed.stdout.startswith("Usage: newsdex ")
    for command in ("index", "search", "headlines", "show", "split", "stats"):
        assert f"  {command} " in completed.stdout


def test_index_quiet_prints_nothing_on_success(runner: CliRunner) -> None:
    result = newsdex(runner, "index", "--quiet")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")


def test_index_reads_dumps_with_the_text_field_given(runner: CliRunner, tmp_path: Path) -> None:
    dump = tmp_path / "pages.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/1", "body": "Caption\nText."}) + "\n")
    result = newsdex(runner, "index", str(dump), "--text-field", "body")
    assert result.exit_code == 0
    assert result.stderr.startswith("1 page seen: 1 indexed (1 article, 0 headlines, 0 footers)")
    hit = json_lines(newsdex(runner, "search", "caption", "--json").stdout)[0]
    assert hit["sources"] == ["https://a.example/1"]


def test_help_starts_without_loading_whoosh() -> None:
    code = "import sys, search.cli; print(any(m.startswith('whoosh') for m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
