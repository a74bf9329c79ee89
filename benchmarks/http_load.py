"""Load for HTTP servers on this machine: servers in processes of their own, clients in threads.

Shared by :mod:`benchmarks.serve` (newsdex beside Datasette) and
:mod:`benchmarks.serve_load` (newsdex while ``newsdex index`` commits). Every
client keeps one connection open (HTTP/1.1 keep-alive) and sends a bounded
number of requests, one at a time; only loopback addresses are ever asked.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from benchmarks.run import percentile

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Answer:
    """One request and what came back."""

    client: int
    path: str
    started: float
    """``time.perf_counter()`` when it was sent."""
    seconds: float
    status: int | None
    """``None`` when no answer came (the connection failed)."""
    body: bytes
    error: str | None = None


def run_clients(
    url: str,
    paths_of: Callable[[int], Sequence[str]],
    clients: int,
    *,
    seconds: float | None = None,
) -> list[Answer]:
    """``clients`` threads, each sending its paths (``paths_of(client)``) in order, one at a
    time, over one kept-alive connection; stop early after ``seconds`` if given."""
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        raise ValueError(f"load is only ever sent to this machine, not {parts.hostname}")
    deadline = None if seconds is None else time.perf_counter() + seconds
    answers: list[list[Answer]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        start.wait()
        for path in paths_of(number):
            if deadline is not None and time.perf_counter() > deadline:
                break
            answers[number].append(_ask(connection, number, path))
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answer for client_answers in answers for answer in client_answers]


def _ask(connection: http.client.HTTPConnection, client: int, path: str) -> Answer:
    started = time.perf_counter()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()  # the next request opens a fresh connection
        seconds = time.perf_counter() - started
        return Answer(client, path, started, seconds, None, b"", f"{type(error).__name__}: {error}")
    return Answer(client, path, started, time.perf_counter() - started, response.status, body)


def latency(answers: Sequence[Answer], wall_seconds: float) -> dict[str, float | int]:
    """Requests, failures, throughput and p50/p95 of the answers, in ms."""
    times = [answer.seconds * 1000 for answer in answers]
    failed = [a for a in answers if a.status != 200]
    return {
        "requests": len(answers),
        "failed": len(failed),
        "per_second": len(answers) / wall_seconds if wall_seconds else 0.0,
        "p50_ms": percentile(times, 0.50) if times else 0.0,
        "p95_ms": percentile(times, 0.95) if times else 0.0,
    }


# --- servers in processes of their own ---------------------------------------------------


@dataclass
class Server:
    """A server process and the URL it listens at."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def peak_rss_mb(self) -> float | None:
        """The process's peak resident memory so far (``VmHWM``), while it runs."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
        return None

    def stop(self) -> int:
        """Interrupt it (as Ctrl-C does) and wait; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_newsdex(index: Path, log: Path, *, searchers: int | None = None) -> Server:
    """``newsdex serve`` on a free loopback port (``searchers``: the pool's size, through
    ``search.server.serve``, when a benchmark compares sizes)."""
    if searchers is None:
        command = [*newsdex_command(), "serve", "--index", str(index), "--port", "0"]
    else:
        code = (
            "import contextlib, sys; from search import server\n"
            "with contextlib.suppress(KeyboardInterrupt):\n"
            "    server.serve(sys.argv[1], host='127.0.0.1', port=0, searchers=int(sys.argv[2]),"
            " announce=lambda line: print(line, file=sys.stderr, flush=True))"
        )
        command = [sys.executable, "-c", code, str(index), str(searchers)]
    return _start(command, log, re.compile(r" at (http://\S+) "))


DATASETTE_TIME_LIMIT_MS = 30_000
"""Datasette stops a query after 1 s by default and answers 400; under 16 clients on
2 cores some of the benchmark's did, so its limit is raised: each query is timed."""


def start_datasette(database: Path, log: Path) -> Server:
    """``datasette serve`` on a free loopback port."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "datasette"),
        "serve",
        str(database),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        str(DATASETTE_TIME_LIMIT_MS),
    ]
    server = _start(command, log, re.compile(r"Uvicorn running on (http://\S+)"))
    return server


def newsdex_command() -> list[str]:
    script = Path(sys.executable).parent / "newsdex"
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


def _start(command: list[str], log: Path, announced: re.Pattern[str]) -> Server:
    """Start ``command``, its stderr to ``log``, and wait for the line giving its URL."""
    log.parent.mkdir(parents=True, exist_ok=True)
    output: IO[bytes] = log.open("wb")
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment)
    output.close()
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = announced.search(log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return Server(process, found[1].rstrip("/"), log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    raise RuntimeError(f"{command[0]} did not start: {' | '.join(tail)}")
