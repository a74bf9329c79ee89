"""``newsdex serve`` under load while ``newsdex index`` adds pages and commits.

Run from the project root, in its virtualenv (needs the BBC data, as the benchmark)::

    python -m benchmarks.serve_load                       # 2,000 pages, 16 clients, 30 s
    python -m benchmarks.serve_load --pages 300 --seconds 6 --runs 2 --extra 50   # the test's

It generates the pages (``benchmarks.generate``), indexes them with ``newsdex
index`` and starts ``newsdex serve`` on a free loopback port. Then
``--clients`` threads send it a fixed set of JSON requests (the benchmark's
queries as searches, searches by date, headlines and counts by month), each
over one kept-alive connection, at most ``--requests`` each and for at most
``--seconds``, while ``newsdex index`` adds ``--extra`` new pages ``--runs``
times, each run one commit. The index is copied before the load and after
each run; afterwards a server of each copy answers every request once: that
commit's answers. It then checks and prints:

- failed: requests with no answer or a status other than 200 (must be 0);
- wrong: answers that are no commit's answer (must be 0);
- stale: answers older than the last commit finished before the request was
  sent (must be 0: a commit is seen by the next request after it);
- throughput and p50/p95 latency over all the requests.

The answers are compared without ``took_ms``. Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks import generate, queries
from benchmarks.http_load import Answer, latency, newsdex_command, run_clients, start_newsdex
from benchmarks.run import DEFAULT_WORK, ensure_pages, log

QUERY_COUNT = 20
"""Queries the requests are made of (four requests each)."""


def requests_of(words: Sequence[str]) -> list[str]:
    """The JSON requests the clients send: each query as a search, a search by date,
    headlines and a count by month."""
    paths = []
    for text in words:
        paths += [
            "/api/search?" + urlencode({"q": text}),
            "/api/search?" + urlencode({"q": text, "sort": "newest", "limit": 5}),
            "/api/headlines?" + urlencode({"q": text}),
            "/api/count?" + urlencode({"q": text, "by": "month"}),
        ]
    return paths


def comparable(body: bytes) -> Any:
    """An answer as compared: its JSON without the time it took."""
    answer = json.loads(body)
    if isinstance(answer, dict):
        answer.pop("took_ms", None)
    return answer


@dataclass
class Commit:
    """One commit's answers, and when the run that made it ended."""

    finished: float
    """``time.perf_counter()`` when its ``newsdex index`` had exited."""
    answers: dict[str, Any]


@dataclass
class Checked:
    failed: list[Answer] = field(default_factory=list)
    wrong: list[Answer] = field(default_factory=list)
    stale: list[Answer] = field(default_factory=list)
    by_commit: list[int] = field(default_factory=list)
    """Answers that could only be this commit's (the requests whose answer it changed)."""


def _snapshot(index: Path, copy: Path) -> Path:
    """A copy of the index as committed now, to ask for that commit's answers afterwards."""
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(index, copy)
    return copy


def _answers_of(snapshot: Path, paths: Sequence[str], here: Path) -> dict[str, Any]:
    """Every request once, one at a time, to a server of a commit's copy: its answers."""
    server = start_newsdex(snapshot, here / f"{snapshot.name}.log")
    try:
        answers = run_clients(server.url, lambda _: paths, 1)
    finally:
        server.stop()
    for answer in answers:
        if answer.status != 200:
            raise RuntimeError(f"{answer.path}: {answer.status} {answer.error or answer.body!r}")
    return {answer.path: comparable(answer.body) for answer in answers}


def check(answers: Sequence[Answer], commits: Sequence[Commit]) -> Checked:
    checked = Checked(by_commit=[0] * len(commits))
    for answer in answers:
        if answer.status != 200:
            checked.failed.append(answer)
            continue
        got = comparable(answer.body)
        matching = [n for n, commit in enumerate(commits) if commit.answers[answer.path] == got]
        if not matching:
            checked.wrong.append(answer)
            continue
        seen = max(n for n, commit in enumerate(commits) if commit.finished <= answer.started)
        if max(matching) < seen:
            checked.stale.append(answer)
        if len(matching) == 1:
            checked.by_commit[matching[0]] += 1
    return checked


def run(
    work: Path,
    *,
    pages: int,
    clients: int,
    seconds: float,
    runs: int,
    extra: int,
    requests: int,
    seed: int = 0,
    source: Path = generate.DEFAULT_SOURCE,
) -> dict[str, Any]:
    """The whole load test; returns its figures and the failures found (see the module)."""
    pages_dir = work / f"serve-load-{pages}" / "pages"
    ensure_pages(pages_dir, pages, seed, source)
    batches = []
    pool = generate.pool_size_for(pages)  # added pages repeat the same headlines
    for number in range(runs):
        batch = work / f"serve-load-{pages}" / f"extra-{number}"
        ensure_pages(batch, extra, seed, source, start=pages + number * extra, pool_size=pool)
        batches.append(batch)
    index = work / f"serve-load-{pages}" / "index"
    newsdex_index = [*newsdex_command(), "index", "--quiet", "--index", str(index)]
    subprocess.run([*newsdex_index, "--rebuild", str(pages_dir)], check=True)
    texts = [query.text for query in queries.make_queries(pages_dir, seed)][:QUERY_COUNT]
    paths = requests_of(texts)

    here = work / f"serve-load-{pages}"
    snapshots = [_snapshot(index, here / "commit-0")]
    finished = [time.perf_counter()]
    server = start_newsdex(index, here / "server.log")
    try:
        loaded: list[Answer] = []

        def paths_of(client: int) -> list[str]:
            turn = client * len(paths) // clients  # clients start at different requests
            return [paths[(turn + n) % len(paths)] for n in range(requests)]

        def load() -> None:
            loaded.extend(run_clients(server.url, paths_of, clients, seconds=seconds))

        began = time.perf_counter()
        loader = threading.Thread(target=load)
        loader.start()
        run_seconds = []
        for number, batch in enumerate(batches, start=1):
            time.sleep(max(0.0, began + seconds * number / (runs + 1) - time.perf_counter()))
            started = time.perf_counter()
            subprocess.run([*newsdex_index, str(batch)], check=True)
            finished.append(time.perf_counter())
            run_seconds.append(finished[-1] - started)
            snapshots.append(_snapshot(index, here / f"commit-{number}"))
        loader.join()
        wall = time.perf_counter() - began
    finally:
        status = server.stop()
    commits = [
        Commit(moment, _answers_of(snapshot, paths, here))
        for moment, snapshot in zip(finished, snapshots, strict=True)
    ]
    checked = check(loaded, commits)
    changed = [
        sum(commits[n].answers[path] != commits[n - 1].answers[path] for path in paths)
        for n in range(1, len(commits))
    ]
    return {
        "pages": pages,
        "clients": clients,
        "seconds": seconds,
        "wall_s": wall,
        "index_runs": runs,
        "pages_added_per_run": extra,
        "index_run_s": run_seconds,
        "distinct_requests": len(paths),
        "requests_changed_by_each_commit": changed,
        "answers_only_of_each_commit": checked.by_commit,
        **latency(loaded, wall),
        "wrong": len(checked.wrong),
        "stale": len(checked.stale),
        "server_exit_status": status,
        "examples": {
            "failed": [f"{a.path}: {a.status} {a.error}" for a in checked.failed[:3]],
            "wrong": [a.path for a in checked.wrong[:3]],
            "stale": [a.path for a in checked.stale[:3]],
        },
    }


def report(found: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"newsdex serve: {found['pages']:,} pages, {found['clients']} clients for"
            f" {found['wall_s']:.1f} s, while newsdex index added {found['pages_added_per_run']:,}"
            f" pages {found['index_runs']} times (runs of"
            f" {', '.join(f'{s:.1f}' for s in found['index_run_s'])} s)",
            f"requests {found['requests']:,} ({found['per_second']:.0f}/s):"
            f" failed {found['failed']}, wrong {found['wrong']}, stale {found['stale']}",
            f"latency p50 {found['p50_ms']:.1f} ms, p95 {found['p95_ms']:.1f} ms",
            f"{found['distinct_requests']} distinct requests; each commit changed the answers of"
            f" {found['requests_changed_by_each_commit']}; answers only each commit gives:"
            f" {found['answers_only_of_each_commit']}",
            f"server exit status after Ctrl-C: {found['server_exit_status']}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_load", description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=2, help="index runs while loaded")
    parser.add_argument("--extra", type=int, default=200, help="pages each run adds")
    parser.add_argument("--requests", type=int, default=5000, help="at most, each client")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    found = run(
        args.work,
        pages=args.pages,
        clients=args.clients,
        seconds=args.seconds,
        runs=args.runs,
        extra=args.extra,
        requests=args.requests,
    )
    print(report(found))
    log(json.dumps(found))
    good = found["failed"] == found["wrong"] == found["stale"] == 0
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
