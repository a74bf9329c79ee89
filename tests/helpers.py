"""Helpers the tests share: paths, data beside the clone, writing pages, watching
processes, running the CLI.

Fixtures live in ``conftest.py``; everything a test imports by name lives here
(``from helpers import write_page``): pytest puts this folder on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner, Result
from hypothesis import strategies as st

import indexer
from search.cli import cli

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"
CRAWL_EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "news-please.jsonl"
"""Six dated articles of three sites (one page without a site), as news-please dumps them."""


def require_data(path: Path) -> Path:
    """``path``, a data file beside the clone (``../shared/data``); without it the
    calling test skips, naming the file, or fails if the environment sets ``CI``.

    The data sets are not shipped with newsdex (README, Benchmarks and test
    data), so a bare clone runs the rest of the suite; CI must run everything,
    so there a missing file is a failure, not a quiet skip.
    """
    if path.is_file():
        return path
    reason = f"needs {os.path.relpath(path, PROJECT_ROOT)} (see README, Benchmarks and test data)"
    _missing(reason, "missing data")


def _missing(reason: str, what: str) -> NoReturn:
    """Skip (the test, or the module that calls this at import), or fail under
    ``CI``, which must run every test."""
    if "CI" in os.environ:
        pytest.fail(f"{reason}; CI is set, so {what} fails", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def require_module(name: str, extra: str) -> None:
    """Skip the calling test (or module) when ``name`` is not installed, saying which
    extra brings it, or fail if the environment sets ``CI`` (the test extra,
    which CI installs, brings it)."""
    if importlib.util.find_spec(name) is not None:
        return
    _missing(f"needs {name}: pip install -e '.[{extra}]'", "a missing package")


def require_chromium() -> tuple[Path, Path]:
    """Debian's Chromium and its driver; without them the calling test skips, saying how
    to install them, or fails if the environment sets ``CI`` (``.ci/run`` installs them)."""
    if CHROMIUM.is_file() and CHROMEDRIVER.is_file():
        return CHROMIUM, CHROMEDRIVER
    reason = (
        f"needs {CHROMIUM} and {CHROMEDRIVER}: as root, "
        "apt-get update && apt-get install -y chromium chromium-driver"
    )
    _missing(reason, "a missing browser")


def write_page(folder: Path, name: str, text: str) -> Path:
    """Write a page file (UTF-8, no newline translation) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def index_numbered_pages(folder: Path, count: int, text: Callable[[int], str]) -> None:
    """Write pages ``000.txt`` on, ``count`` of them, each ``text(number)``, and index them."""
    for number in range(count):
        write_page(folder, f"{number:03}.txt", text(number))
    indexer.index_paths([folder])


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, is not alive)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


# --- the command line, and what it shows of the bundled seed page ------------

BOLD, RESET = "\x1b[1m", "\x1b[0m"

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


HIT_JSON_KEYS = {
    "id",
    "kind",
    "score",
    "title",
    "published",
    "site",
    "sources",
    "pages",
    "snippet",
    "marks",
}
"""A hit's keys as `newsdex search --json` prints it (the server adds ``snippet_html``)."""


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


def subprocess_environment(index: Path) -> dict[str, str]:
    """This environment with the venv's scripts first on PATH and the index given."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    scripts = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([scripts, environment.get("PATH", "")])
    environment["NEWSDEX_INDEX"] = str(index)
    environment["TERM"] = "xterm"
    return environment


# --- the server ---------------------------------------------------------------

HOSTILE_TEXTS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
)
"""Markup a page may carry in its title and body: shown as text, never run."""


def hostile_page() -> str:
    """A page whose caption, body and ticker headline carry :data:`HOSTILE_TEXTS`."""
    joined = " ".join(HOSTILE_TEXTS)
    return (
        f"Hostile caption {joined}\n"
        f"The hostile body says {joined} to whoever renders it.\n"
        f"GMT 10:00 2018 Friday ,14 December\nHostile headline {joined}\n"
    )


@contextlib.contextmanager
def running_server(index: Path, **options: Any) -> Iterator[str]:
    """``newsdex serve``'s application on 127.0.0.1 and a free port, in a thread of this
    process; yields its URL (``http://127.0.0.1:PORT``) and stops it afterwards."""
    import threading

    import uvicorn

    from search.server import bind, create_app, url_of

    listener = bind("127.0.0.1", 0)
    config = uvicorn.Config(create_app(index, **options), access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield url_of(listener)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


# --- hostile queries, for the fuzz tests of the library, the CLI and the server ---

QUERY_PIECES = [
    *("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", " AND ", " OR ", " NOT "),
    *("~", "~2", "~9", "~-1", "/2", "^", "^2", "^-1", "^1e400", "*", "?", "*:*"),
    *("(", ")", "[", "]", "{", "}", '"', "'", ":", "\\", "-", "+", "<", ">", "=", "/"),
    *("title:", "body:", "boilerplate:", "nosuch:", "id:", "kind:", "published:", "page:"),
    *("syria", "assad", "yellow", "vest", "brexit", "a", "ab", "the", "x"),
    *(" ", "  ", "\t", "\n", "\x00", "\u200f", "\u0627\u0644", "e\u0301", "\U0001f600"),
]
"""Pieces of query syntax, words of the seed, odd whitespace and scripts."""
QUERIES = st.lists(
    st.one_of(
        st.sampled_from(QUERY_PIECES),
        st.text(max_size=6),  # any Unicode text, printable or not
        st.characters(max_codepoint=0x1F),  # control characters
    ),
    max_size=24,
).map("".join)
"""Queries made of those pieces and of any Unicode text."""
