"""The ``newsdex`` command line: what every command shares.

Exit status follows grep: 0 hits, 1 no hits, 2 error. Hits go to stdout;
summaries, hints and errors go to stderr, errors as one line without a
traceback. Most tests run the command in-process with click's CliRunner; a few
run it for real (a broken pipe, ``python -m search``). What each command does is
in ``test_cli_<command>.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import assert_one_line_error, newsdex, subprocess_environment, write_page

import indexer

# --- exit status and errors ---------------------------------------------------


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
        # Bytes of no encoding on a command line reach Python as lone surrogates.
        pytest.param(["show", "a-\udce9"], "no record", id="undecodable-id"),
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
def test_usage_errors_exit_2_with_one_line_naming_the_help(
    runner: CliRunner, seeded_index: Path, args: list[str]
) -> None:
    line = assert_one_line_error(newsdex(runner, *args))
    assert line.endswith("--help')")


def test_a_mistyped_option_is_not_taken_for_query_words(
    runner: CliRunner, seeded_index: Path
) -> None:
    line = assert_one_line_error(newsdex(runner, "search", "syria", "--lmit", "3"))
    assert line.startswith("Error: No such option '--lmit'. Did you mean '--limit'?")


@pytest.mark.parametrize(
    "args",
    [["yukos", "-oil"], ["-oil", "yukos"], ["--", "-oil", "yukos"], ["yukos -oil"]],
    ids=["after", "first", "after-dashes", "quoted"],
)
def test_a_word_left_out_is_part_of_the_query_not_an_option(
    runner: CliRunner, seeded_index: Path, args: list[str]
) -> None:
    result = newsdex(runner, "search", "--json", "syria", *args)
    assert result.exit_code == 1  # no record has yukos
    assert "option" not in result.stderr


def test_query_words_need_no_quotes(runner: CliRunner, seeded_index: Path) -> None:
    quoted = newsdex(runner, "search", "Assad regime", "--json")
    unquoted = newsdex(runner, "search", "Assad", "regime", "--json")
    assert (unquoted.exit_code, unquoted.stdout) == (0, quoted.stdout)


def test_interrupt_exits_130_not_1(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(indexer, "index_paths", interrupted)
    result = newsdex(runner, "index")
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr == "interrupted\n"


# --- help and version ---------------------------------------------------------


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = newsdex(runner, "--help")
    assert result.exit_code == 0
    for command in ("index", "search", "headlines", "show", "split", "stats"):
        assert f"  {command} " in result.stdout


def test_version_option_prints_the_version(runner: CliRunner) -> None:
    result = newsdex(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"newsdex, version {indexer.__version__}\n"


def test_help_starts_without_loading_whoosh() -> None:
    code = "import sys, search.cli; print(any(m.startswith('whoosh') for m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"


def test_a_search_command_collects_garbage_after_loading_the_engine(seeded_index: Path) -> None:
    # The engine loads with the collector off (a one-query command's start-up);
    # it must be back on for the command's work, the engine's objects set aside.
    code = (
        "import gc, sys\n"
        "from search.cli import cli\n"
        "try:\n    cli(['search', 'Assad'])\n"
        "except SystemExit:\n    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_environment(seeded_index),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Assad" in completed.stdout
    assert completed.stderr.split() == ["True", "True"]


# --- for real: pipes, `python -m search` --------------------------------------


def test_search_piped_into_head_ends_quietly_with_status_0(tmp_path: Path) -> None:
    # 600 headlines of about 250 characters: the output is far larger than a
    # pipe holds, so newsdex is still writing when head exits and the write fails.
    filler = " ".join(f"{'x' * 20}{n}" for n in range(11))
    lines = ["Long ticker", "A page with a long ticker."]
    for number in range(600):
        hour, minute = divmod(number, 60)
        lines += [f"GMT {hour}:{minute:02d} 2018 Friday ,14 December", f"Syria {number} {filler}"]
    page = write_page(tmp_path / "pages", "long.txt", "\n".join(lines) + "\n")
    index = tmp_path / "long-index"
    indexer.index_paths([page], index=index)
    status_file = tmp_path / "status"

    completed = subprocess.run(
        f"{{ newsdex search syria --limit 600; echo $? > '{status_file}'; }} | head -1",
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
