"""``newsdex serve``: starting, saying where, refusing what it cannot do, stopping on Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import assert_one_line_error, newsdex, subprocess_environment

import search
from search.server import announcement

WEB_STACK = ("starlette", "uvicorn", "jinja2")


class Served:
    """A ``newsdex serve`` process and the URL it announced."""

    def __init__(self, process: subprocess.Popen[str], announced: str) -> None:
        self.process = process
        self.announced = announced
        self.url = announced.split(" at ", 1)[1].split(" ", 1)[0]

    def get(self, path: str) -> dict[str, object]:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            answer: dict[str, object] = json.load(response)
            return answer

    def stop(self, signal_number: int = signal.SIGINT) -> tuple[int, str]:
        """Send the signal; the exit status and everything it wrote to stderr after."""
        self.process.send_signal(signal_number)
        _, rest = self.process.communicate(timeout=20)
        return self.process.returncode, rest


@pytest.fixture
def served(seeded_index: Path) -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--port", "0"],
        env=subprocess_environment(seeded_index),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    announced = process.stderr.readline().strip()
    try:
        yield Served(process, announced)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_help_starts_without_loading_the_web_stack() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from search.cli import cli;"
        " CliRunner().invoke(cli, ['serve', '--help']);"
        f" print([m for m in sys.modules if m.split('.')[0] in {WEB_STACK!r}])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_serve_announces_a_loopback_address_and_answers_there(served: Served) -> None:
    assert served.announced.startswith("serving ")
    assert served.url.startswith("http://127.0.0.1:")
    assert "(this machine only: --host 0.0.0.0 serves others)" in served.announced
    assert served.get("/healthz") == {"status": "ok"}
    assert served.get("/api/search?q=syria")["total"] == 3


def test_ctrl_c_stops_the_server_cleanly_with_status_0(served: Served) -> None:
    served.get("/healthz")
    status, stderr = served.stop(signal.SIGINT)
    assert status == 0
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "stopped"


def test_sigterm_stops_the_server_too(served: Served) -> None:
    status, stderr = served.stop(signal.SIGTERM)
    assert status in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr


def test_the_access_log_goes_to_stderr_and_stdout_stays_empty(served: Served) -> None:
    served.get("/healthz")
    served.process.send_signal(signal.SIGINT)
    stdout, stderr = served.process.communicate(timeout=20)
    assert stdout == ""
    assert '"GET /healthz HTTP/1.1" 200' in stderr


def test_an_address_for_others_is_announced_as_open_to_them() -> None:
    line = announcement(Path("/data/index"), "http://0.0.0.0:8080", loopback=False)
    assert line == (
        "serving /data/index at http://0.0.0.0:8080"
        " (open to every machine that can reach this one); Ctrl-C stops"
    )


def test_serve_without_an_index_is_one_line_and_status_2(
    runner: CliRunner, private_index: Path
) -> None:
    line = assert_one_line_error(newsdex(runner, "serve"))
    assert "no index" in line.lower() or "newsdex index" in line


def test_serve_on_a_port_in_use_is_one_line_and_status_2(
    runner: CliRunner, seeded_index: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = assert_one_line_error(newsdex(runner, "serve", "--port", str(port)))
    assert "in use" in line


@pytest.mark.parametrize(
    "origin", ["example.org", "ftp://example.org", "https://example.org/path", "https://"]
)
def test_a_cors_value_that_is_not_an_origin_is_one_line_and_status_2(
    runner: CliRunner, seeded_index: Path, origin: str
) -> None:
    line = assert_one_line_error(newsdex(runner, "serve", "--cors", origin))
    assert "--cors" in line


def test_serve_without_the_serve_extra_says_how_to_install_it(
    runner: CliRunner, seeded_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if it were not installed: what was loaded forgotten, importing starlette fails.
    for name in [name for name in sys.modules if name.split(".")[0] in WEB_STACK]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "search.server", raising=False)
    monkeypatch.delattr(search, "server", raising=False)
    monkeypatch.setitem(sys.modules, "starlette", None)
    line = assert_one_line_error(newsdex(runner, "serve"))
    assert line == "Error: newsdex serve needs the serve extra (pip install 'newsdex[serve]')"
