"""What every engine module shares: the records it indexes and its command line.

``python -m benchmarks.engines.X build PAGES INDEX`` builds and prints one JSON line
(wall and CPU seconds, this process's peak RSS); ``query INDEX QUERIES [--count K]``
opens one searcher (or as many as the engine's documented use opens), runs the queries
and prints one JSON line with each query's time; ``search INDEX [--phrase] WORD...``
prints one query's hits, one ``id<TAB>snippet`` line each (the cold whole-process CLI).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

Hits = list[tuple[str, str]]
WARM_UP_QUERIES = 5
"""Queries run once, untimed, before the timed loop: the process is warm, not cold."""


class Searcher(Protocol):
    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> Hits: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Doc:
    """One record of one page, as the baselines index it (no merging of repeats)."""

    id: str
    """``<page path relative to the pages folder>#<record number on the page>``"""
    kind: str
    title: str
    """An article's caption; empty for headlines and footers."""
    body: str
    """An article's paragraphs, a headline's text, a footer's lines."""
    published: str | None
    """A headline's time (ISO 8601 UTC)."""


def page_files(pages_dir: Path) -> list[Path]:
    return sorted(pages_dir.rglob("*.txt"))


def records(pages_dir: Path) -> Iterator[Doc]:
    """Every page's article, each headline occurrence and footer, split by newsdex."""
    from indexer import split_page

    for path in page_files(pages_dir):
        name = path.relative_to(pages_dir).as_posix()
        page = split_page(path.read_text(encoding="utf-8"), str(path))
        for number, record in enumerate(page.records):
            published = record.published.isoformat() if record.published else None
            title = record.title if record.kind == "article" else ""
            yield Doc(f"{name}#{number}", record.kind, title, record.text, published)


def usage() -> dict[str, float]:
    """This process's CPU seconds and peak RSS (MB), and its waited-for children's.

    The peak is the kernel's high-water mark of this process's own memory (``VmHWM``)
    where there is one: ``getrusage``'s ``ru_maxrss`` starts from the parent's peak when
    the parent forks and execs us, so it would never show less than the runner's size.
    """
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ru_maxrss_mb = me.ru_maxrss * 1024 / 1e6  # KiB on Linux
    return {
        "cpu_s": me.ru_utime + me.ru_stime,
        "max_rss_mb": _high_water_mb() or ru_maxrss_mb,
        "ru_maxrss_mb": ru_maxrss_mb,
        "children_cpu_s": children.ru_utime + children.ru_stime,
        "children_max_rss_mb": children.ru_maxrss * 1024 / 1e6,
    }


def _high_water_mb() -> float | None:
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6  # "VmHWM:   123456 kB"
    return None


def measured(action: Callable[[], object]) -> dict[str, float]:
    """Run ``action()`` and say what it cost: wall, CPU (with children) and peak RSS."""
    before = usage()
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    after = usage()
    cpu = after["cpu_s"] - before["cpu_s"] + after["children_cpu_s"] - before["children_cpu_s"]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "max_rss_mb": after["max_rss_mb"],
        "children_max_rss_mb": after["children_max_rss_mb"],
    }


def run_queries(
    engine: ModuleType, index_dir: Path, queries_file: Path, count: int
) -> dict[str, object]:
    """Time every query through one opened searcher; errors are counted, not fatal."""
    from benchmarks.queries import load, spread

    queries = spread(load(queries_file), count)
    start = time.perf_counter()
    searcher: Searcher = engine.Searcher(index_dir)
    open_ms = (time.perf_counter() - start) * 1000
    for query in queries[:WARM_UP_QUERIES]:
        with contextlib.suppress(Exception):  # reported below, where it is timed
            searcher.search(query.words, query.phrase)
    times: list[float | None] = []
    hits: list[int] = []
    errors: dict[str, str] = {}
    sample: dict[str, Hits] = {}
    for query in queries:
        start = time.perf_counter()
        try:
            found = searcher.search(query.words, query.phrase, limit=10)
        except Exception as error:
            errors[query.text] = f"{type(error).__name__}: {error}"
            times.append(None)
            hits.append(0)
            continue
        times.append((time.perf_counter() - start) * 1000)
        hits.append(len(found))
        if len(sample) < 3:
            sample[query.text] = [(hit_id, snippet[:200]) for hit_id, snippet in found[:3]]
    searcher.close()
    return {
        "queries": [query.to_json() for query in queries],
        "times_ms": times,
        "hits": hits,
        "errors": errors,
        "open_ms": open_ms,
        "sample": sample,
        **usage(),
    }


def cli_command(
    engine: ModuleType, index_dir: Path, words: Sequence[str], phrase: bool
) -> list[str]:
    """The engine's one-query command line: its own ``cli_command`` if it has one,
    else ``python -m benchmarks.engines.X search INDEX WORD...``."""
    if hasattr(engine, "cli_command"):
        return list(engine.cli_command(index_dir, words, phrase))
    flags = ["--phrase"] if phrase else []
    return [sys.executable, "-m", engine.__name__, "search", str(index_dir), *flags, *words]


def main(engine: ModuleType, argv: Sequence[str] | None = None) -> int:
    """The engine's command line: build, query (timed loop) or search (one query)."""
    name = Path(str(engine.__file__)).stem
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.engines.{name}")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="index the pages, print the cost as JSON")
    build.add_argument("pages", type=Path)
    build.add_argument("index", type=Path)
    query = commands.add_parser("query", help="time the queries, print the times as JSON")
    query.add_argument("index", type=Path)
    query.add_argument("queries", type=Path, help="a queries JSON file (benchmarks.queries)")
    query.add_argument("--count", type=int, default=10**9, help="only this many, spread")
    search = commands.add_parser("search", help="one query: print its hits")
    search.add_argument("index", type=Path)
    search.add_argument("words", nargs="+")
    search.add_argument("--phrase", action="store_true")
    search.add_argument("--limit", type=int, default=10)
    args = parser.parse_args(argv)

    if args.command == "build":
        print(json.dumps(measured(lambda: engine.build(args.pages, args.index))))
    elif args.command == "query":
        print(json.dumps(run_queries(engine, args.index, args.queries, args.count)))
    else:
        searcher: Searcher = engine.Searcher(args.index)
        found = searcher.search(args.words, args.phrase, limit=args.limit)
        searcher.close()
        for hit_id, snippet in found:
            print(f"{hit_id}\t{' '.join(snippet.split())}")
        return 0 if found else 1
    return 0
