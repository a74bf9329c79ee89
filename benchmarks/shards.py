"""Sharded indexes on Dask against one index, on the same generated pages: build
time, scaling from 1 to 2 workers, and the price of sharding per query.

Run from the project root, in its virtualenv (with ``newsdex[dask]``)::

    python -m benchmarks.shards --pages 50000
    python -m benchmarks.shards --pages 2000 --queries 40      # minutes

For N pages it:

1. generates them into ``WORK/pages-N/`` (as ``benchmarks.run``; reused);
2. builds, one after the other, the one index (``indexer.index_paths``, two
   writer processes as any large first build) and the same pages as 2 shards
   on a local Dask cluster of 1 worker and then of 2 workers (one process and
   one thread each, started before the clock starts: its start is timed
   apart), in ``--rounds`` rounds, the builds taking turns; prints each
   build's wall time (median of the rounds), and the scaling efficiency
   ``t(1 worker) / (2 * t(2 workers))``;
3. builds 4 and 16 shards (2 workers), then runs the 200 benchmark queries
   (top 10 with snippets, as ``benchmarks.run``) warm on one opened index of
   each: one index, 1, 4 and 16 shards in this process, and 4 and 16 shards
   searched on the 2 workers in two phases (``search.open_index(DIR,
   scheduler=...)``), the indexes taking turns query by query, 3 passes,
   each query's best; prints p50 and p95;
4. saves everything to ``WORK/shards-N.json``.

Figures move with the machine's load: compare only figures of one run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import generate, queries
from benchmarks.run import ensure_pages, log, percentile

DEFAULT_WORK = Path(__file__).resolve().parent.parent / "bench-data"


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def local_cluster(workers: int) -> Any:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )


def cpu_seconds_of_children() -> float:
    """CPU seconds of this process's ended children (the one index's writers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds_of_workers(client: Any) -> float:
    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    return float(sum(client.run(used).values()))


def build_round(pages: Path, work: Path, shards: int) -> dict[str, float]:
    """One round of the three builds, each from nothing: wall seconds, and CPU
    seconds (this process, its writer processes, the Dask workers)."""
    from distributed import Client

    import indexer

    found: dict[str, float] = {}
    one = work / "one"
    shutil.rmtree(one, ignore_errors=True)
    cpu = time.process_time() + cpu_seconds_of_children()
    found["one index"] = timed(lambda: indexer.index_paths([pages], index=one))
    found["one index, CPU"] = time.process_time() + cpu_seconds_of_children() - cpu
    for workers in (1, 2):
        started = time.perf_counter()
        with local_cluster(workers) as cluster:
            found[f"cluster start, {workers} worker(s)"] = time.perf_counter() - started
            where = work / f"shards-{shards}-w{workers}"
            shutil.rmtree(where, ignore_errors=True)
            address = cluster.scheduler_address
            build = functools.partial(
                indexer.index_paths, [pages], index=where, shards=shards, scheduler=address
            )
            with Client(address) as client:
                cpu = time.process_time() + cpu_seconds_of_workers(client)
                found[f"{shards} shards, {workers} worker(s)"] = timed(build)
                cpu = time.process_time() + cpu_seconds_of_workers(client) - cpu
            found[f"{shards} shards, {workers} worker(s), CPU"] = cpu
    return found


def query_times(indexes: dict[str, Any], texts: Sequence[str], passes: int) -> dict[str, Any]:
    """Each query's best time (ms) on each index, the indexes taking turns."""
    best: dict[str, list[float]] = {name: [float("inf")] * len(texts) for name in indexes}
    totals: dict[str, list[int]] = {name: [0] * len(texts) for name in indexes}
    for _ in range(passes):
        for number, text in enumerate(texts):
            for name, index in indexes.items():
                started = time.perf_counter()
                found = index.search(text, limit=10)
                elapsed = (time.perf_counter() - started) * 1000
                best[name][number] = min(best[name][number], elapsed)
                totals[name][number] = found.total
    return {
        name: {
            "p50_ms": percentile(times, 0.5),
            "p95_ms": percentile(times, 0.95),
            "same_totals_as_one_index": totals[name] == totals["one index"],
        }
        for name, times in best.items()
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)

    import indexer
    import search

    n = arguments.pages
    work = arguments.work / f"shards-{n}"
    work.mkdir(parents=True, exist_ok=True)
    pages = arguments.work / f"pages-{n}"
    size, _ = ensure_pages(pages, n, arguments.seed, generate.DEFAULT_SOURCE)
    results: dict[str, Any] = {
        "pages": n,
        "bytes": size,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }

    rounds = []
    for number in range(arguments.rounds):
        log(f"build round {number + 1} of {arguments.rounds}")
        rounds.append(build_round(pages, work, 2))
        log(json.dumps(rounds[-1]))
    builds = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    one_worker, two_workers = builds["2 shards, 1 worker(s)"], builds["2 shards, 2 worker(s)"]
    results["load_average"] = os.getloadavg()
    results["builds_s"] = builds
    results["build_rounds"] = rounds
    results["scaling_efficiency"] = one_worker / (2 * two_workers)

    texts = [query.text for query in queries.make_queries(pages)][: arguments.queries]
    with local_cluster(2) as cluster:
        address = cluster.scheduler_address
        for shards in (1, 4, 16):
            where = work / f"shards-{shards}"
            shutil.rmtree(where, ignore_errors=True)
            log(f"building {shards} shards for the queries")
            indexer.index_paths([pages], index=where, shards=shards, scheduler=address)
        indexes = {"one index": search.open_index(work / "one")}
        for shards in (1, 4, 16):
            indexes[f"{shards} shards"] = search.open_index(work / f"shards-{shards}")
        for shards in (4, 16):
            on_cluster = search.open_index(work / f"shards-{shards}", scheduler=address)
            indexes[f"{shards} shards, 2 workers, two phases"] = on_cluster
        log(f"{len(texts)} queries, {arguments.passes} passes, on {len(indexes)} indexes")
        try:
            results["queries"] = query_times(indexes, texts, arguments.passes)
        finally:
            for index in indexes.values():
                index.close()

    (arguments.work / f"shards-{n}.json").write_text(json.dumps(results, indent=1))
    print(report(results))


def report(results: dict[str, Any]) -> str:
    lines = [
        f"**{results['pages']:,} pages ({results['bytes'] / 1e6:.1f} MB), "
        f"{results['machine']['cpus']} cores, {results['when']}, load average "
        f"{', '.join(f'{load:.1f}' for load in results.get('load_average', ()))}**",
        "",
        "| build | s |",
        "|---|---|",
    ]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in results["builds_s"].items()]
    lines += [
        "",
        f"scaling efficiency, 1 to 2 workers: {results['scaling_efficiency']:.2f}",
        "",
        "| warm queries | p50 ms | p95 ms | totals as one index |",
        "|---|---|---|---|",
    ]
    for name, found in results["queries"].items():
        same = "yes" if found["same_totals_as_one_index"] else "NO"
        lines.append(f"| {name} | {found['p50_ms']:.2f} | {found['p95_ms']:.2f} | {same} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
