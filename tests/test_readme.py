"""The README's examples are run as written, so what it shows stays true."""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CRAWL_EXAMPLE, PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CHECKER = doctest.OutputChecker()
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.MULTILINE | re.DOTALL)


def console_examples() -> list[tuple[str, str]]:
    """Each ``$ command`` of the console blocks, with the output shown after it."""
    examples: list[tuple[str, str]] = []
    for block in fenced("console"):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


def setup_commands() -> list[str]:
    return [block.strip() for block in fenced("sh")]


SHARED_DATA = "../shared/"
"""Examples that read the data beside the clone (each into an index of its own)."""


def run_examples(examples: list[tuple[str, str]]) -> None:
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1",  # keep stdout and stderr in the order written
    }
    for command, expected in examples:
        completed = subprocess.run(
            f"( {command} ) 2>&1",
            shell=True,
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert CHECKER.check_output(expected, completed.stdout, OPTIONS), (
            f"$ {command}\nexpected:\n{expected}\ngot:\n{completed.stdout}"
        )


def test_readme_console_examples_print_what_the_readme_shows(private_index: Path) -> None:
    examples = [example for example in console_examples() if SHARED_DATA not in example[0]]
    assert len(examples) >= 8
    run_examples(examples)


def test_readme_console_examples_on_the_shared_data_print_what_the_readme_shows(
    bbc_news: Path,
) -> None:
    examples = [example for example in console_examples() if SHARED_DATA in example[0]]
    assert examples
    run_examples(examples)


def test_readme_python_example_runs_as_shown(
    private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (block,) = fenced("pycon")
    monkeypatch.chdir(PROJECT_ROOT)
    test = doctest.DocTestParser().get_doctest(block, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 5


def test_readme_gives_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    install_and_run, install_and_test = setup_commands()
    assert "newsdex index" in install_and_run and "newsdex search" in install_and_run
    assert "pytest" in install_and_test
    ci_script = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci_script.splitlines()


def test_readme_documents_every_command() -> None:
    from search.cli import cli

    for name in cli.commands:
        assert f"newsdex {name}" in README, name


def test_every_command_has_help_with_text() -> None:
    from click.testing import CliRunner

    from search.cli import cli

    for name in cli.commands:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout.split()) > 10, name


def http_examples() -> list[tuple[str, str, str]]:
    """Each ``http`` block: the path asked, the status line and the body shown."""
    examples = []
    for block in fenced("http"):
        request, _, answer = block.partition("\n\n")
        status, _, body = answer.partition("\n")
        examples.append((request.split()[1], status, body.strip()))
    return examples


def test_readme_http_examples_answer_what_the_readme_shows(private_index: Path) -> None:
    import json

    from starlette.testclient import TestClient

    import indexer
    from search.server import create_app

    examples = http_examples()
    assert len(examples) >= 9
    indexer.index_paths([PROJECT_ROOT / "seeds", CRAWL_EXAMPLE], index=private_index)
    with TestClient(create_app(private_index)) as client:
        for path, status, body in examples:
            response = client.get(path)
            assert f"HTTP/1.1 {response.status_code} {response.reason_phrase}" == status, path
            got = json.dumps(response.json(), ensure_ascii=False)
            assert CHECKER.check_output(body, got, OPTIONS), f"{path}\n{body}\n{got}"


def test_readme_shows_an_example_of_every_endpoint() -> None:
    from search.openapi import description

    shown = {path.split("?")[0] for path, _, _ in http_examples()}
    for endpoint in description()["paths"]:
        assert any(re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", endpoint), s) for s in shown), endpoint
