"""The examples of the README and of the docs pages are run as written, so what
they show stays true; their links are followed."""

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
DOCUMENTS = {
    "README.md": README,
    **{
        f"docs/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((PROJECT_ROOT / "docs").glob("*.md"))
    },
}
"""The README and the docs pages, by path from the project's root."""
CHECKER = doctest.OutputChecker()
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def fenced(language: str, text: str = README) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def console_examples(text: str = README) -> list[tuple[str, str]]:
    """Each ``$ command`` of the console blocks, with the output shown after it."""
    examples: list[tuple[str, str]] = []
    for block in fenced("console", text):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


def setup_commands() -> list[str]:
    return [block.strip() for block in fenced("sh")]


SHARED_DATA = "../shared/"
"""Examples that read the data beside the clone (each into an index of its own)."""


def examples_by_document(*, shared_data: bool) -> dict[str, list[tuple[str, str]]]:
    """Each document's console examples, those on the shared data or the others;
    a document's examples run in order, into an index of their own."""
    found = {
        name: [e for e in console_examples(text) if (SHARED_DATA in e[0]) == shared_data]
        for name, text in DOCUMENTS.items()
    }
    return {name: examples for name, examples in found.items() if examples}


LOCAL_EXAMPLES = examples_by_document(shared_data=False)
SHARED_DATA_EXAMPLES = examples_by_document(shared_data=True)


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


def test_the_readme_and_the_docs_have_console_examples() -> None:
    assert len(LOCAL_EXAMPLES["README.md"]) >= 8
    assert SHARED_DATA_EXAMPLES


@pytest.mark.parametrize("document", sorted(LOCAL_EXAMPLES))
def test_console_examples_print_what_the_document_shows(private_index: Path, document: str) -> None:
    run_examples(LOCAL_EXAMPLES[document])


@pytest.mark.parametrize("document", sorted(SHARED_DATA_EXAMPLES))
def test_console_examples_on_the_shared_data_print_what_the_document_shows(
    bbc_news: Path, document: str
) -> None:
    run_examples(SHARED_DATA_EXAMPLES[document])


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
    """Each ``http`` block of the README and the docs: the path asked, the status
    line and the body shown."""
    examples = []
    for text in DOCUMENTS.values():
        for block in fenced("http", text):
            request, _, answer = block.partition("\n\n")
            status, _, body = answer.partition("\n")
            examples.append((request.split()[1], status, body.strip()))
    return examples


def test_http_examples_answer_what_the_documents_show(private_index: Path) -> None:
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


def test_the_documents_show_an_example_of_every_endpoint() -> None:
    from search.openapi import description

    shown = {path.split("?")[0] for path, _, _ in http_examples()}
    for endpoint in description()["paths"]:
        assert any(re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", endpoint), s) for s in shown), endpoint


def heading_anchors(text: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (code blocks left out)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        words = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        anchors.add(words.replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_links_between_the_documents_lead_somewhere(document: str) -> None:
    text = re.sub(r"^```.*?^```", "", DOCUMENTS[document], flags=re.MULTILINE | re.DOTALL)
    here = (PROJECT_ROOT / document).parent
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # another site
        path, _, anchor = target.partition("#")
        linked = (here / path).resolve() if path else PROJECT_ROOT / document
        assert linked.exists(), f"{document}: {target}"
        if anchor:
            assert anchor in heading_anchors(linked.read_text(encoding="utf-8")), (
                f"{document}: {target}"
            )
