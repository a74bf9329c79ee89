"""``newsdex serve`` beside Datasette over HTTP: the same records, the same 200 queries.

Run from the project root, in its virtualenv, with the bench extra (Datasette,
sqlite-utils) and the BBC data::

    python -m benchmarks.serve --pages 5000
    python -m benchmarks.serve --pages 50000 --searchers 1,4     # two pool sizes as well

For N pages it:

1. generates them into ``WORK/pages-N/`` and the 200 queries into
   ``WORK/queries-N.json``, as ``benchmarks.run`` does (reused when there);
2. indexes them with ``newsdex index`` into ``WORK/serve-N/index/``, and puts
   the same records (split by newsdex, each record once, as newsdex merges
   them) into a SQLite table with an FTS5 index over title and body, made by
   sqlite-utils' ``enable_fts`` (porter tokenizer), ``WORK/serve-N/records.db``;
3. starts ``newsdex serve`` (one per ``--searchers`` size) and ``datasette
   serve`` on free loopback ports, and sends each the 200 queries once to warm
   it; then, the servers taking turns (in ``--rounds`` rounds, each server's
   medians reported), the 200 queries with 1 client, then with 16 clients
   (each all 200, from a different one on): newsdex
   ``/api/search?q=`` (top 10 with snippets, every match counted), Datasette
   ``/records/records.json?_search=`` (its FTS search of the table, footers
   left out like newsdex's default; phrases in ``_searchmode=raw``; the id,
   kind, title and date of the first 10 rows in id order, as its table search
   gives them: it does not rank; and its count of them all; its 1 s query
   limit raised to 30 s, so that every query is timed, none cut). With
   ``--page``, the first newsdex server's search page (``/?q=``: the hits, the
   site control and the timeline) is timed as well;
4. prints a table of throughput, p50 and p95 latency, failures and answers
   with hits, and newsdex's p50 against Datasette's, and saves it all to
   ``WORK/serve-results-N.json``.

The load (``benchmarks.http_load``) runs in this process, on the same 2 cores
as the servers: the figures are the whole machine's.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks import generate, queries
from benchmarks.http_load import (
    Answer,
    Server,
    latency,
    newsdex_command,
    run_clients,
    start_datasette,
    start_newsdex,
)
from benchmarks.run import DEFAULT_WORK, ensure_pages, log, markdown, tag

TARGET_P50_RATIO = 1.5
"""newsdex's p50 at most this many times Datasette's, with 1 client and with 16."""
DATASETTE_COLUMNS = ("kind", "title", "published")
PAGE = "newsdex search page"
"""The search page of the first newsdex server: hits, site control and timeline."""


def newsdex_path(query: queries.Query) -> str:
    return "/api/search?" + urlencode({"q": query.text, "limit": 10})


def datasette_path(query: queries.Query) -> str:
    asked: list[tuple[str, str]] = [("_search", query.text)]
    if query.phrase:
        asked.append(("_searchmode", "raw"))  # its default quotes each word
    asked += [("kind__not", "footer"), ("_size", "10"), ("_shape", "objects")]
    asked += [("_col", column) for column in DATASETTE_COLUMNS]
    asked.append(("_nosuggest", "1"))
    return "/records/records.json?" + urlencode(asked)


def page_path(query: queries.Query) -> str:
    return "/?" + urlencode({"q": query.text})


def hits_in(engine: str, answer: Answer) -> int:
    if answer.status != 200:
        return 0
    if engine == PAGE:
        return answer.body.count(b'<li class="hit">')
    found = json.loads(answer.body)
    return len(found["rows" if engine == "datasette" else "hits"])


# --- the same records, in SQLite ----------------------------------------------------------


def records_of(pages_dir: Path) -> Iterator[dict[str, Any]]:
    """Every record of the pages once (newsdex merges a record seen on many pages)."""
    from indexer import Article, Footer, split_files
    from indexer.report import Skipped

    seen: set[str] = set()
    for page in split_files([pages_dir]):
        if isinstance(page, Skipped):
            continue
        for record in page.records:
            if record.id in seen:
                continue
            seen.add(record.id)
            if isinstance(record, Article):
                body = "\n".join(record.paragraphs)
            elif isinstance(record, Footer):
                body = "\n".join(record.lines)
            else:
                body = ""
            published = record.published.isoformat() if record.published else None
            yield {
                "id": record.id,
                "kind": record.kind,
                "title": record.title,
                "body": body,
                "published": published,
            }


def build_database(pages_dir: Path, database: Path) -> int:
    """The records in a table with an FTS5 index (sqlite-utils); how many records."""
    import sqlite_utils

    partial = database.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = sqlite_utils.Database(partial)
    table = db.table("records")
    table.insert_all(records_of(pages_dir), pk="id", batch_size=2000)
    table.enable_fts(["title", "body"], fts_version="FTS5", tokenize="porter")
    count = table.count
    db.close()
    partial.rename(database)
    return count


# --- what opening the index for each request would cost --------------------------------------

OPEN_COST_QUERIES = 20


def open_per_request(index: Path, asked: Sequence[queries.Query]) -> dict[str, float]:
    """Median ms of a search on an open index, and of opening, searching and closing."""
    import search

    with search.open_index(index) as opened:
        for query in asked:
            opened.search(query.text)
        searched = [_timed(lambda q=query: opened.search(q.text)) for query in asked]

    def open_search_close(text: str) -> None:
        with search.open_index(index) as fresh:
            fresh.search(text)

    opening = [_timed(lambda q=query: open_search_close(q.text)) for query in asked]
    return {
        "search_on_open_index_ms": statistics.median(searched),
        "open_search_close_ms": statistics.median(opening),
    }


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


# --- one run --------------------------------------------------------------------------------


def measure(server: Server, paths: Sequence[str], clients: int) -> tuple[list[Answer], float]:
    def paths_of(client: int) -> list[str]:
        first = client * len(paths) // clients
        return [*paths[first:], *paths[:first]]

    began = time.perf_counter()
    answers = run_clients(server.url, paths_of, clients)
    return answers, time.perf_counter() - began


def run(
    n: int,
    work: Path,
    searchers: Sequence[int],
    client_counts: Sequence[int],
    seed: int,
    *,
    rounds: int = 1,
    with_page: bool = False,
) -> dict[str, Any]:
    pages_dir = work / f"pages-{tag(n, seed)}"
    ensure_pages(pages_dir, n, seed, generate.DEFAULT_SOURCE)
    chosen = queries.load_or_make(work / f"queries-{tag(n, seed)}.json", pages_dir, seed)
    here = work / f"serve-{tag(n, seed)}"
    here.mkdir(parents=True, exist_ok=True)
    index = here / "index"
    if not (index / "newsdex.json").exists():
        log(f"indexing {n:,} pages with newsdex index")
        started = time.perf_counter()
        command = [*newsdex_command(), "index", "--quiet", "--rebuild", "--index", str(index)]
        subprocess.run([*command, str(pages_dir)], check=True)
        log(f"  {time.perf_counter() - started:.1f} s")
    database = here / "records.db"
    if not database.exists():
        log("putting the same records in SQLite, with sqlite-utils' enable_fts (FTS5)")
        started = time.perf_counter()
        count = build_database(pages_dir, database)
        log(f"  {count:,} records, {time.perf_counter() - started:.1f} s")
    with sqlite3.connect(database) as db:
        records = db.execute("SELECT count(*) FROM records").fetchone()[0]

    engines: dict[str, tuple[Server, list[str]]] = {}
    loads = [os.getloadavg()[0]]
    try:
        for size in searchers:
            name = "newsdex" if len(searchers) == 1 else f"newsdex ({size} searchers)"
            server = start_newsdex(index, here / f"newsdex-{size}.log", searchers=size)
            engines[name] = (server, [newsdex_path(query) for query in chosen])
        if with_page:
            engines[PAGE] = (next(iter(engines.values()))[0], [page_path(q) for q in chosen])
        datasette = start_datasette(database, here / "datasette.log")
        engines["datasette"] = (datasette, [datasette_path(query) for query in chosen])
        for name, (server, paths) in engines.items():
            log(f"warming {name}")
            measure(server, paths, 1)
        rounds_of: dict[str, list[dict[str, Any]]] = {}
        for clients in client_counts:
            for turn in range(rounds):
                order = list(engines) if turn % 2 == 0 else list(reversed(engines))
                for name in order:
                    server, paths = engines[name]
                    log(f"{name}: {len(paths)} queries, {clients} client(s), round {turn + 1}")
                    answers, wall = measure(server, paths, clients)
                    rounds_of.setdefault(f"{name}|{clients}", []).append(
                        {
                            "engine": name,
                            "clients": clients,
                            "wall_s": wall,
                            **latency(answers, wall),
                            "with_hits": sum(1 for a in answers if hits_in(name, a) > 0),
                            "errors": sorted(
                                {f"{a.status} {a.error or ''}" for a in answers if a.status != 200}
                            )[:5],
                        }
                    )
                    loads.append(os.getloadavg()[0])
        figures = {key: _median_round(measured) for key, measured in rounds_of.items()}
        peaks = {
            name: server.peak_rss_mb() for name, (server, _) in engines.items() if name != PAGE
        }
    finally:
        servers = {id(server): server for server, _ in engines.values()}
        statuses = [server.stop() for server in servers.values()]
    return {
        "pages": n,
        "records": records,
        "queries": len(chosen),
        "rounds": rounds,
        "figures": figures,
        "exit_statuses": statuses,
        "peak_rss_mb": peaks,
        "open_per_request": open_per_request(index, chosen[:OPEN_COST_QUERIES]),
        "load_average_1min": loads,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {
            name: importlib.metadata.version(name)
            for name in ("newsdex", "datasette", "sqlite-utils", "starlette", "uvicorn")
        }
        | {"sqlite": sqlite3.sqlite_version},
    }


def _median_round(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one server and client count: the median of each rate and latency,
    the failures of them all."""
    figure = dict(measured[0])
    for key in ("wall_s", "per_second", "p50_ms", "p95_ms"):
        figure[key] = statistics.median(one[key] for one in measured)
    for key in ("requests", "failed", "with_hits"):
        figure[key] = sum(one[key] for one in measured)
    figure["errors"] = sorted({error for one in measured for error in one["errors"]})
    figure["rounds"] = measured
    return figure


def report(found: dict[str, Any]) -> str:
    rows = []
    for figure in found["figures"].values():
        rows.append(
            [
                figure["engine"],
                str(figure["clients"]),
                f"{figure['requests']:,}",
                f"{figure['per_second']:.1f}",
                f"{figure['p50_ms']:.1f}",
                f"{figure['p95_ms']:.1f}",
                str(figure["failed"]),
                f"{figure['with_hits']:,}",
            ]
        )
    header = [
        "server",
        "clients",
        "requests",
        "requests/s",
        "p50 ms",
        "p95 ms",
        "failed",
        "with hits",
    ]
    lines = [
        f"**{found['pages']:,} pages ({found['records']:,} records), {found['queries']} queries,"
        f" {found['rounds']} round(s) (medians; requests and failures: all rounds'),"
        f" {found['machine']['cpus']} cores; load average"
        f" {', '.join(f'{load:.1f}' for load in found['load_average_1min'])}**",
        "",
        markdown(header, rows),
        "",
    ]
    engines = {figure["engine"] for figure in found["figures"].values()}
    newsdex = [name for name in engines if name.startswith("newsdex") and name != PAGE]
    for name in sorted(newsdex):
        for clients in sorted({f["clients"] for f in found["figures"].values()}):
            ours = found["figures"].get(f"{name}|{clients}")
            theirs = found["figures"].get(f"datasette|{clients}")
            if ours is None or theirs is None or not theirs["p50_ms"]:
                continue
            ratio = ours["p50_ms"] / theirs["p50_ms"]
            verdict = "PASS" if ratio <= TARGET_P50_RATIO and ours["failed"] == 0 else "FAIL"
            lines.append(
                f"- {verdict}: {name} p50 <= {TARGET_P50_RATIO}x Datasette's, {clients} client(s),"
                f" no errors ({ours['p50_ms']:.1f} vs {theirs['p50_ms']:.1f} ms = {ratio:.2f}x;"
                f" failed {ours['failed']} vs {theirs['failed']})"
            )
    peaks = ", ".join(f"{name} {mb:.0f} MB" for name, mb in found["peak_rss_mb"].items() if mb)
    cost = found["open_per_request"]
    versions = ", ".join(f"{name} {version}" for name, version in found["versions"].items())
    lines += [
        "",
        f"peak RSS of the servers: {peaks}",
        f"a search on an open index {cost['search_on_open_index_ms']:.1f} ms; opened, searched"
        f" and closed for each request {cost['open_search_close_ms']:.1f} ms (median of"
        f" {OPEN_COST_QUERIES} queries, in this process)",
        f"versions: {versions}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve", description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--searchers", default="4", help="newsdex's pool sizes, comma separated")
    parser.add_argument("--clients", default="1,16", help="concurrent clients, comma separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each R times, the servers taking turns"
    )
    parser.add_argument(
        "--page", action="store_true", help="also time the search page (/) of the first newsdex"
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args(argv)
    found = run(
        args.pages,
        args.work,
        [int(size) for size in args.searchers.split(",")],
        [int(count) for count in args.clients.split(",")],
        args.seed,
        rounds=max(1, args.rounds),
        with_page=args.page,
    )
    out = args.work / f"serve-results-{tag(args.pages, args.seed)}.json"
    out.write_text(json.dumps(found, indent=1), encoding="utf-8")
    print(report(found))
    log(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
