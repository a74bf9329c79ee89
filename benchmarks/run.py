"""Build and query newsdex and the other engines on the same generated pages; print one table.

Run from the project root, in its virtualenv::

    python -m benchmarks.run --pages 5000
    python -m benchmarks.run --pages 50000 --cold-cache
    python -m benchmarks.run --pages 5000,50000,200000            # each, then a growth table
    python -m benchmarks.run --pages 5000,50000,200000 --report   # growth table of saved runs

Options: ``--work DIR`` (default ``bench-data/`` in the project, git-ignored); ``--engines``
(default ``newsdex,whoosh_plain,fts5,tantivy,ripgrep``; tantivy and ripgrep are skipped,
with a note, when not installed); ``--rounds R`` (repeat builds and queries, report
medians); ``--cold-cache`` (also time the one-query commands with the page cache dropped
before each: ``sync; echo 3 > /proc/sys/vm/drop_caches``, needs root and slows the whole
machine for a while); ``--seed``; ``--queries K``, ``--cli-queries K``, ``--extra-pages K``
(smaller runs, for tests).

For N pages it:

1. generates them into ``WORK/pages-N/`` (reused when already generated alike) and the
   200 queries into ``WORK/queries-N.json`` (:mod:`benchmarks.queries`);
2. for each engine, each step in a process of its own (``python -m benchmarks.engines.X``):
   builds ``WORK/index/X-N/`` from nothing (wall and CPU seconds, peak RSS); then, the
   engines taking turns, runs the queries warm through one opened searcher (Whoosh as
   documented: a searcher per query), top 10 with snippets, in ``--query-passes`` passes
   (default 3; each query's best), and times about 20 one-query commands as whole
   processes (median; warm page cache, and cold when asked);
3. for newsdex, indexes the same pages again with nothing changed, then again with 1,000
   new pages (``WORK/pages-N-extra/``), as ``newsdex index`` would;
4. prints one markdown table with ratios to Whoosh as documented, the median query time per
   class, the incremental figures and a PASS/FAIL line per target, and saves it all (with
   every raw figure) to ``WORK/results-N.json``.

An engine that fails is reported as such in the table; the run goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import generate, queries
from benchmarks.engines import BASELINE, ENGINES, OPTIONAL_ENGINES, common

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = PROJECT_ROOT / "bench-data"
MB = 1e6
GIB_IN_MB = 2**30 / MB
DROP_CACHES = Path("/proc/sys/vm/drop_caches")
TARGET_PAGES = 50_000
CLASS_COLUMNS = queries.CLASSES


def log(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)


class StepFailed(Exception):
    """One step of one engine failed; the run reports it and goes on."""


# --- running steps in processes of their own ------------------------------------------


def child_environment() -> dict[str, str]:
    """The environment of every measured process.

    Without ``PYTHONDONTWRITEBYTECODE``: users' installs have bytecode caches, so the cold
    one-query commands should find them too rather than compile every module each time.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def run_json(command: Sequence[str], timeout: float | None) -> dict[str, Any]:
    """Run a step; return the JSON line it prints last, or raise :class:`StepFailed`."""
    try:
        done = subprocess.run(
            list(command),
            cwd=PROJECT_ROOT,
            env=child_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise StepFailed(f"timed out after {timeout:.0f} s") from error
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = done.stderr.strip().splitlines()
        raise StepFailed(errors[-1] if errors else f"exit status {done.returncode}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def read_into_page_cache(folder: Path) -> None:
    """Read every file under ``folder``, so that a warm run finds it in the page cache.

    A kernel may reclaim cached pages no process touched for a while: on the
    2-core machine of issue 17 (DAMON reclaim), a segment file read whole
    had a sixth of its pages gone 100 s later, and a query that met one
    read it from disk, into one engine's figures and not another's.
    """
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as file:
                while file.read(1 << 20):
                    pass


def drop_page_cache() -> None:
    os.sync()
    DROP_CACHES.write_text("3\n")


def time_commands(
    commands: dict[str, Sequence[Sequence[str]]], cold_cache: bool, timeout: float | None
) -> dict[str, dict[str, Any] | StepFailed]:
    """Each engine's commands as whole processes: wall milliseconds, hits, failures.

    The engines take turns, query by query (every engine's first command,
    then every engine's second...): on a shared machine the load drifts
    within minutes, and timing one engine's commands minutes after
    another's put that drift into their ratio (newsdex's CLI measured 132
    and 227 ms in two runs an hour apart, ripgrep's 206 and 211).
    """
    env = child_environment()

    def once(command: Sequence[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
        start = time.perf_counter()
        done = subprocess.run(
            list(command),
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return (time.perf_counter() - start) * 1000, done

    if not cold_cache:
        for engine_commands in commands.values():  # page and bytecode caches warm from here on
            once(engine_commands[0])
    times: dict[str, list[float]] = {name: [] for name in commands}
    hits: dict[str, list[int]] = {name: [] for name in commands}
    failures: dict[str, list[str]] = {name: [] for name in commands}
    for turn in range(max(len(engine_commands) for engine_commands in commands.values())):
        for name, engine_commands in commands.items():
            if turn >= len(engine_commands):
                continue
            if cold_cache:
                drop_page_cache()
            elapsed, done = once(engine_commands[turn])
            times[name].append(elapsed)
            hits[name].append(len(done.stdout.splitlines()))
            if done.returncode not in (0, 1):  # 1 is "no hits", as in grep
                failures[name].append(
                    (done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"])[0]
                )
    timed: dict[str, dict[str, Any] | StepFailed] = {}
    for name, engine_commands in commands.items():
        if len(failures[name]) == len(engine_commands):
            timed[name] = StepFailed(f"every one-query command failed: {failures[name][0]}")
            continue
        timed[name] = {
            "median_ms": statistics.median(times[name]),
            "times_ms": times[name],
            "hits": hits[name],
            "failures": failures[name],
        }
    return timed


def time_one_query_commands(
    ready: Sequence[tuple[EngineRun, dict[str, Any], list[list[str]]]], settings: Settings
) -> None:
    """Time the engines' one-query commands side by side, into each engine's round."""
    if not ready:
        return
    modes = [("cli", False, "one-query commands")]
    if settings.cold_cache:
        modes.append(("cli_cold", True, "one-query commands, cold cache"))
    for key, cold, step in modes:
        try:
            timed = time_commands({e.name: c for e, _, c in ready}, cold, settings.timeout)
        except Exception as error:  # a timeout: every engine's figure is lost, not the run
            for engine, _, _ in ready:
                engine.errors.append(f"{step}: {error}")
            continue
        for engine, found, _ in ready:
            result = timed[engine.name]
            if isinstance(result, StepFailed):
                engine.errors.append(f"{step}: {result}")
            else:
                found[key] = result
    log(f"  one-query commands timed, engines in turn: {', '.join(e.name for e, _, _ in ready)}")


def tree_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# --- the pages, the queries -------------------------------------------------------------


def ensure_pages(
    folder: Path, n: int, seed: int, source: Path, start: int = 0, pool_size: int | None = None
) -> tuple[int, bool]:
    """Generate the pages into ``folder`` unless they are there already.

    :return: the bytes of the pages, and whether they were generated just now
    """
    marker = folder / ".generated.json"  # hidden: neither indexed nor grepped
    wanted = {
        "pages": n,
        "seed": seed,
        "start": start,
        "pool_size": pool_size,
        "source": str(source),
        "source_bytes": source.stat().st_size,
        "generator": generate.GENERATOR_VERSION,
    }
    if marker.exists():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved["wanted"] == wanted:
            return int(saved["bytes"]), False
    if folder.exists():
        shutil.rmtree(folder)
    log(f"generating {n:,} pages into {folder}")
    written = generate.write_pages(folder, n, seed, source, start=start, pool_size=pool_size)
    marker.write_text(json.dumps({"wanted": wanted, "bytes": written}), encoding="utf-8")
    return written, True


# --- one run ----------------------------------------------------------------------------


@dataclass
class Settings:
    work: Path
    engines: list[str]
    rounds: int
    cold_cache: bool
    seed: int
    source: Path
    query_count: int
    cli_queries: int
    extra_pages: int
    timeout: float | None
    query_passes: int = 3


@dataclass
class EngineRun:
    name: str
    module: ModuleType
    skipped: str | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def engine_round(
    engine: EngineRun, pages_dir: Path, index_dir: Path, settings: Settings
) -> dict[str, Any]:
    """Build: one engine, one round (queries are timed afterwards, every
    engine's in turn: :func:`time_warm_queries`, :func:`time_one_query_commands`)."""
    module, python = engine.module, sys.executable
    found: dict[str, Any] = {}
    if not module.HAS_INDEX:
        return found
    try:
        shutil.rmtree(index_dir, ignore_errors=True)
        read_into_page_cache(pages_dir)  # else the first engine to build reads them from disk
        command = [python, "-m", module.__name__, "build", str(pages_dir), str(index_dir)]
        found["build"] = run_json(command, settings.timeout)
        found["index_bytes"] = tree_bytes(index_dir)
        log(f"  {engine.name}: built in {found['build']['wall_s']:.1f} s")
    except Exception as error:  # whatever goes wrong, the other engines still run
        log(f"  {engine.name}: FAILED at build: {error}")
        engine.errors.append(f"build: {error}")
    return found


def time_warm_queries(
    ready: Sequence[tuple[EngineRun, dict[str, Any], Path]],
    queries_file: Path,
    settings: Settings,
) -> None:
    """Time each engine's queries through its Python API, in ``settings.query_passes``
    passes, the engines taking turns (the order rotating each pass); each query's
    time is its best of the passes.

    One pass per engine, each minutes after the other's, put the machine's
    drift into the ratios: newsdex's Python query path slows far more under
    the other tenants' load than FTS5's C code, and the p50 ratio to FTS5
    ranged from 1.37 to 2.65 over a day's runs.
    """
    if not ready:  # every engine skipped or failed to build
        return
    passes: dict[str, list[dict[str, Any]]] = {engine.name: [] for engine, _, _ in ready}
    python, count = sys.executable, str(settings.query_count)
    for number in range(settings.query_passes):
        turn = number % len(ready)
        for engine, _, target in [*ready[turn:], *ready[:turn]]:
            read_into_page_cache(target)
            command = [python, "-m", engine.module.__name__, "query", str(target)]
            try:
                passes[engine.name].append(
                    run_json([*command, str(queries_file), "--count", count], settings.timeout)
                )
            except Exception as error:  # the engine's figure is lost, not the run
                log(f"  {engine.name}: FAILED at query: {error}")
                engine.errors.append(f"query: {error}")
    for engine, found, _ in ready:
        if passes[engine.name]:
            found["query"] = best_of_passes(passes[engine.name])
    names = ", ".join(engine.name for engine, _, _ in ready)
    log(f"  queries timed, {settings.query_passes} passes, engines in turn: {names}")


def best_of_passes(passes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One engine's query passes as one: each query's best time (None where every
    pass failed it), the highest peak RSS, and each pass's p50 for the record."""
    best: list[float | None] = []
    for times in zip(*(found["times_ms"] for found in passes), strict=True):
        measured = [t for t in times if t is not None]
        best.append(min(measured) if measured else None)
    pass_p50 = [
        percentile([t for t in found["times_ms"] if t is not None], 0.5)
        if any(t is not None for t in found["times_ms"])
        else None
        for found in passes
    ]
    return {
        **passes[-1],
        "times_ms": best,
        "max_rss_mb": max(found.get("max_rss_mb", 0) for found in passes),
        "open_ms": median_of([found.get("open_ms") for found in passes]),
        "passes": len(passes),
        "pass_p50_ms": pass_p50,
    }


def incremental_round(
    index_dir: Path, pages_dir: Path, n: int, settings: Settings
) -> dict[str, Any]:
    """newsdex again on the same pages, then with new pages added."""
    found: dict[str, Any] = {}
    extra_dir = settings.work / f"pages-{tag(n, settings.seed)}-extra"
    try:
        ensure_pages(
            extra_dir,
            settings.extra_pages,
            settings.seed,
            settings.source,
            start=n,
            pool_size=generate.pool_size_for(n),
        )
        command = [sys.executable, "-m", "benchmarks.engines.newsdex", "reindex", str(index_dir)]
        found["unchanged"] = run_json([*command, str(pages_dir)], settings.timeout)
        log(f"  newsdex: re-indexed unchanged in {found['unchanged']['wall_s']:.2f} s")
        found["added"] = run_json([*command, str(pages_dir), str(extra_dir)], settings.timeout)
        log(f"  newsdex: added {settings.extra_pages:,} pages in {found['added']['wall_s']:.2f} s")
    except Exception as error:  # reported with the results, like an engine's failure
        found["error"] = str(error)
        log(f"  newsdex incremental: FAILED: {error}")
    return found


def tag(n: int, seed: int) -> str:
    return str(n) if seed == 0 else f"{n}-seed{seed}"


def run_pages(n: int, settings: Settings) -> dict[str, Any]:
    """Everything for N pages: generate, measure every engine, summarise, report."""
    started = time.perf_counter()
    work, name = settings.work, tag(n, settings.seed)
    work.mkdir(parents=True, exist_ok=True)
    pages_dir = (work / f"pages-{name}").absolute()
    queries_file = work / f"queries-{name}.json"
    input_bytes, generated = ensure_pages(pages_dir, n, settings.seed, settings.source)
    if generated:  # queries made from other pages do not fit these
        queries_file.unlink(missing_ok=True)
    query_set = queries.spread(
        queries.load_or_make(queries_file, pages_dir, settings.seed), settings.query_count
    )
    cli_set = queries.spread(query_set, settings.cli_queries)
    log(f"{n:,} pages, {input_bytes / MB:.1f} MB; {len(query_set)} queries")

    runs = [load_engine(engine) for engine in settings.engines]
    incremental: list[dict[str, Any]] = []
    cold_note = cold_cache_problem() if settings.cold_cache else None
    cold = settings.cold_cache and cold_note is None
    round_settings = dataclasses.replace(settings, cold_cache=cold)
    for number in range(settings.rounds):
        log(f"round {number + 1} of {settings.rounds}")
        built: list[tuple[EngineRun, dict[str, Any], Path]] = []
        for engine in runs:
            if engine.skipped:
                continue
            index_dir = (work / "index" / f"{engine.name}-{name}").absolute()
            found = engine_round(engine, pages_dir, index_dir, round_settings)
            engine.rounds.append(found)
            if "build" in found or not engine.module.HAS_INDEX:
                built.append((engine, found, index_dir if engine.module.HAS_INDEX else pages_dir))
        time_warm_queries(built, queries_file, round_settings)
        ready = [
            (
                engine,
                found,
                [common.cli_command(engine.module, target, q.words, q.phrase) for q in cli_set],
            )
            for engine, found, target in built
            if "query" in found
        ]
        for _, _, target in built:
            read_into_page_cache(target)
        time_one_query_commands(ready, round_settings)
        for engine, found, _ in ready:
            if engine.name == "newsdex" and "build" in found:
                index_dir = (work / "index" / f"newsdex-{name}").absolute()
                incremental.append(incremental_round(index_dir, pages_dir, n, settings))

    summaries = {e.name: summarize(e, input_bytes) for e in runs if not e.skipped}
    increments = summarize_incremental(incremental, summaries.get("newsdex"))
    targets = check_targets(summaries, increments, settings, cold_note)
    found_versions = versions()
    report = render_report(
        n, input_bytes, runs, summaries, increments, targets, settings, cold_note, found_versions
    )
    elapsed = time.perf_counter() - started
    report += f"\nrun took {elapsed:.0f} s ({elapsed / 60:.1f} min)\n"
    results = {
        "pages": n,
        "seed": settings.seed,
        "input_bytes": input_bytes,
        "queries": len(query_set),
        "machine": machine(),
        "versions": found_versions,
        "settings": {k: str(v) for k, v in settings.__dict__.items()},
        "engines": {
            e.name: {
                "skipped": e.skipped,
                "errors": e.errors,
                "summary": summaries.get(e.name),
                "rounds": e.rounds,
            }
            for e in runs
        },
        "incremental": {"summary": increments, "rounds": incremental},
        "targets": [{"target": t, "verdict": v, "detail": d} for t, v, d in targets],
        "table": report,
        "elapsed_s": elapsed,
    }
    results_file = work / f"results-{name}.json"
    results_file.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"results saved to {results_file}")
    return results


def load_engine(name: str) -> EngineRun:
    module = importlib.import_module(f"benchmarks.engines.{name}")
    try:
        reason = module.unavailable()
    except Exception as error:  # a broken install is a reason too
        reason = f"{type(error).__name__}: {error}"
    if reason:
        log(f"{name}: skipped ({reason})")
    return EngineRun(name, module, skipped=reason)


def cold_cache_problem() -> str | None:
    """Why the page cache cannot be dropped here, or None if it can."""
    try:
        drop_page_cache()
    except OSError as error:
        return f"cannot drop the page cache ({DROP_CACHES}: {error.strerror or error})"
    return None


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    """The engines' versions, as far as they can be known without running them."""
    found = {"sqlite": sqlite3.sqlite_version}
    for distribution in ("newsdex", "whoosh3", "tantivy"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[distribution] = importlib.metadata.version(distribution)
    if shutil.which("rg"):
        output = subprocess.run(["rg", "--version"], capture_output=True, text=True, check=False)
        found["ripgrep"] = output.stdout.split("\n")[0].removeprefix("ripgrep ").strip()
    return found


# --- summarising ------------------------------------------------------------------------


def median_of(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def percentile(values: Sequence[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(engine: EngineRun, input_bytes: int) -> dict[str, Any]:
    """One engine's figures: the median over rounds of each."""
    rounds = engine.rounds

    def each(getter: Callable[[dict[str, Any]], float | None]) -> float | None:
        values = []
        for found in rounds:
            try:
                values.append(getter(found))
            except (KeyError, TypeError, ValueError):
                continue
        return median_of(values)

    def query_percentile(share: float) -> Callable[[dict[str, Any]], float | None]:
        def get(found: dict[str, Any]) -> float | None:
            times = [t for t in found["query"]["times_ms"] if t is not None]
            return percentile(times, share) if times else None

        return get

    summary: dict[str, Any] = {
        "build_s": each(lambda r: r["build"]["wall_s"]),
        "build_cpu_s": each(lambda r: r["build"]["cpu_s"]),
        "mb_per_s": each(lambda r: input_bytes / MB / r["build"]["wall_s"]),
        "build_rss_mb": each(lambda r: r["build"]["max_rss_mb"]),
        "build_children_rss_mb": each(lambda r: r["build"]["children_max_rss_mb"]),
        # ripgrep's query loop is Python starting rg processes: no figure of its own.
        "query_rss_mb": each(lambda r: r["query"]["max_rss_mb"])
        if engine.module.HAS_INDEX
        else None,
        "index_mb": each(lambda r: r["index_bytes"] / MB),
        "index_ratio": each(lambda r: r["index_bytes"] / input_bytes),
        "p50_ms": each(query_percentile(0.50)),
        "p95_ms": each(query_percentile(0.95)),
        "open_ms": each(lambda r: r["query"]["open_ms"]),
        "cli_ms": each(lambda r: r["cli"]["median_ms"]),
        "cli_cold_ms": each(lambda r: r["cli_cold"]["median_ms"]),
    }
    done = [r["query"] for r in rounds if "query" in r]
    if done:
        per_query = [median_of(times) for times in zip(*(q["times_ms"] for q in done), strict=True)]
        kinds = [q["class"] for q in done[0]["queries"]]
        summary["class_ms"] = {
            kind: median_of([t for t, k in zip(per_query, kinds, strict=True) if k == kind])
            for kind in CLASS_COLUMNS
        }
        summary["queries"] = len(kinds)
        summary["queries_with_hits"] = sum(1 for hits in done[-1]["hits"] if hits)
        summary["query_errors"] = done[-1]["errors"]
    return summary


def summarize_incremental(
    rounds: Sequence[dict[str, Any]], newsdex: dict[str, Any] | None
) -> dict[str, Any]:
    unchanged = median_of([r["unchanged"]["wall_s"] for r in rounds if "unchanged" in r])
    added = median_of([r["added"]["wall_s"] for r in rounds if "added" in r])
    full = newsdex.get("build_s") if newsdex else None
    rss = [r[k]["max_rss_mb"] for r in rounds for k in ("unchanged", "added") if k in r]
    return {
        "unchanged_s": unchanged,
        "added_s": added,
        "added_share_of_build": added / full if added is not None and full else None,
        "max_rss_mb": max(rss) if rss else None,
        "errors": [r["error"] for r in rounds if "error" in r],
    }


# --- targets ----------------------------------------------------------------------------


def check_targets(
    summaries: dict[str, dict[str, Any]],
    increments: dict[str, Any],
    settings: Settings,
    cold_note: str | None,
) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/n/a, the figures behind it) for each target of the issue."""
    ours = summaries.get("newsdex", {})
    base = summaries.get(BASELINE, {})
    fts5 = summaries.get("fts5", {})
    rg = summaries.get("ripgrep", {})
    checks: list[tuple[str, str, str]] = []

    def check(target: str, value: float | None, limit: float | None, detail: str) -> None:
        if value is None or limit is None:
            checks.append((target, "n/a", "not measured"))
        else:
            checks.append((target, "PASS" if value <= limit else "FAIL", detail))

    speed, base_speed = ours.get("mb_per_s"), base.get("mb_per_s")
    if speed is None or not base_speed:
        checks.append(("build >= 3x Whoosh-as-documented MB/s", "n/a", "not measured"))
    else:
        ratio = speed / base_speed
        verdict = "PASS" if ratio >= 3 else "FAIL"
        detail = f"{speed:.2f} vs {base_speed:.2f} MB/s = {ratio:.2f}x"
        checks.append(("build >= 3x Whoosh-as-documented MB/s", verdict, detail))

    # A build with worker processes holds their memory too: count the largest
    # child once per core, on top of the parent (an upper bound of the sum).
    build_rss = ours.get("build_rss_mb")
    if build_rss is not None and ours.get("build_children_rss_mb"):
        build_rss += (os.cpu_count() or 1) * ours["build_children_rss_mb"]
    rss_values = [build_rss, ours.get("query_rss_mb"), increments.get("max_rss_mb")]
    rss = max((v for v in rss_values if v is not None), default=None)
    check(
        "peak RSS <= 1 GiB",
        rss,
        GIB_IN_MB,
        f"{rss or 0:.0f} MB (build with its worker processes, query, re-index)",
    )

    ratio = ours.get("index_ratio")
    check("index <= 1.5x input bytes", ratio, 1.5, f"{ratio or 0:.2f}x")

    for key, times, label in (("p50_ms", 2, "p50"), ("p95_ms", 3, "p95")):
        mine, theirs = ours.get(key), fts5.get(key)
        limit = times * theirs if theirs is not None else None
        detail = f"{mine or 0:.1f} ms vs FTS5 {theirs or 0:.1f} ms"
        check(f"warm query {label} <= {times}x FTS5's", mine, limit, detail)

    cli = ours.get("cli_ms")
    check("cold `newsdex search` <= 0.25 s (warm page cache)", cli, 250, f"{cli or 0:.0f} ms")
    rg_cli = rg.get("cli_ms")
    detail = f"{cli or 0:.0f} ms vs ripgrep {rg_cli or 0:.0f} ms"
    check("cold `newsdex search` faster than ripgrep (warm cache)", cli, rg_cli, detail)
    if settings.cold_cache and cold_note is None:
        cold, rg_cold = ours.get("cli_cold_ms"), rg.get("cli_cold_ms")
        detail = f"{cold or 0:.0f} ms vs ripgrep {rg_cold or 0:.0f} ms"
        check("cold `newsdex search` faster than ripgrep (cold cache)", cold, rg_cold, detail)
    else:
        why = cold_note or "not asked (--cold-cache)"
        checks.append(("cold `newsdex search` faster than ripgrep (cold cache)", "n/a", why))

    unchanged = increments.get("unchanged_s")
    check("re-index, nothing changed <= 5 s", unchanged, 5.0, f"{unchanged or 0:.2f} s")
    share = increments.get("added_share_of_build")
    detail = f"{increments.get('added_s') or 0:.2f} s = {100 * (share or 0):.1f}% of the build"
    added = f"adding {settings.extra_pages:,} new pages <= 10% of a full build"
    check(added, share, 0.10, detail)
    return checks


# --- the report -------------------------------------------------------------------------

COLUMNS = (
    ("build s", "build_s"),
    ("build CPU s", "build_cpu_s"),
    ("MB/s", "mb_per_s"),
    ("build RSS MB", "build_rss_mb"),
    ("query RSS MB", "query_rss_mb"),
    ("index MB", "index_mb"),
    ("index/input", "index_ratio"),
    ("query p50 ms", "p50_ms"),
    ("query p95 ms", "p95_ms"),
    ("CLI ms, warm cache", "cli_ms"),
    ("CLI ms, cold cache", "cli_cold_ms"),
)


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return ""
    return f" ({value / base:.2g}x)" if value / base < 10 else f" ({value / base:,.0f}x)"


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_report(
    n: int,
    input_bytes: int,
    runs: Sequence[EngineRun],
    summaries: dict[str, dict[str, Any]],
    increments: dict[str, Any],
    targets: Sequence[tuple[str, str, str]],
    settings: Settings,
    cold_note: str | None,
    found_versions: dict[str, str],
) -> str:
    columns = [c for c in COLUMNS if c[1] != "cli_cold_ms" or settings.cold_cache]
    base = summaries.get(BASELINE, {})
    rows, notes = [], []
    for engine in runs:
        if engine.skipped:
            rows.append([f"{engine.name} (skipped)"] + ["-"] * len(columns))
            notes.append(f"{engine.name}: skipped: {engine.skipped}")
            continue
        summary = summaries[engine.name]
        name = engine.name + (" (FAILED)" if engine.errors else "")
        cells = [name]
        for _title, key in columns:
            versus = ratio(summary.get(key), base.get(key)) if key != "index_ratio" else ""
            cells.append(number(summary.get(key)) + versus)
        rows.append(cells)
        notes += [f"{engine.name}: {error}" for error in engine.errors]
        children = summary.get("build_children_rss_mb")
        if children:
            notes.append(f"{engine.name}: its build's child processes peaked at {children:.0f} MB")
    header = ["engine"] + [title for title, _key in columns]
    baseline_name = "Whoosh as documented (whoosh_plain)"
    out = [
        f"## {n:,} pages ({input_bytes / MB:.1f} MB), {settings.rounds} round(s), "
        f"{os.cpu_count()} cores; (x) = ratio to {baseline_name}",
        "",
        markdown(header, rows),
        "",
        f"Query times: each query's best of {settings.query_passes} passes, the engines"
        " taking turns, pass by pass.",
        "",
    ]
    if cold_note:
        notes.append(f"cold cache not measured: {cold_note}")
    if notes:
        out += [f"- {note}" for note in notes] + [""]

    class_rows = []
    for engine in runs:
        if "class_ms" not in summaries.get(engine.name, {}):
            continue
        summary = summaries[engine.name]
        cells = [engine.name] + [number(summary["class_ms"].get(k)) for k in CLASS_COLUMNS]
        cells.append(f"{summary['queries_with_hits']}/{summary['queries']}")
        cells.append(str(len(summary["query_errors"])))
        class_rows.append(cells)
    if class_rows:
        header = ["median ms by class", *CLASS_COLUMNS, "with hits", "errors"]
        out += [markdown(header, class_rows)]

    if "newsdex" in summaries:
        unchanged, added = increments.get("unchanged_s"), increments.get("added_s")
        share = increments.get("added_share_of_build")
        out += [
            "",
            f"newsdex incremental: re-index with nothing changed {number(unchanged)} s; "
            f"adding {settings.extra_pages:,} new pages {number(added)} s"
            + (f" = {100 * share:.1f}% of the full build" if share is not None else ""),
        ]
        out += [f"- incremental FAILED: {error}" for error in increments.get("errors", [])]

    out += ["", f"targets (set for {TARGET_PAGES:,} pages on 2 cores):"]
    if n != TARGET_PAGES:
        out[-1] += f" this run has {n:,} pages, so they only indicate"
    out += [f"- {verdict}: {target} ({detail})" for target, verdict, detail in targets]
    out += ["", "versions: " + ", ".join(f"{k} {v}" for k, v in found_versions.items())]
    return "\n".join(out) + "\n"


def growth_report(page_counts: Sequence[int], work: Path, seed: int) -> str:
    """Key figures of the saved runs side by side, and how they grew."""
    saved = {}
    for n in page_counts:
        path = work / f"results-{tag(n, seed)}.json"
        if path.exists():
            saved[n] = json.loads(path.read_text(encoding="utf-8"))
    if len(saved) < 2:
        return f"growth: fewer than two saved runs among {list(page_counts)} in {work}\n"
    counts = sorted(saved)
    figures = (
        ("build s", "build_s"),
        ("MB/s", "mb_per_s"),
        ("build RSS MB", "build_rss_mb"),
        ("index MB", "index_mb"),
        ("query p50 ms", "p50_ms"),
        ("query p95 ms", "p95_ms"),
        ("CLI ms", "cli_ms"),
    )
    rows = []
    for engine in (*ENGINES, *OPTIONAL_ENGINES):
        for title, key in figures:
            values = []
            for n in counts:
                summary = saved[n]["engines"].get(engine, {}).get("summary") or {}
                values.append(summary.get(key))
            if all(v is None for v in values):
                continue
            first, last = values[0], values[-1]
            grew = f"{last / first:.2g}x" if first and last is not None else "-"
            rows.append([engine, title, *map(number, values), grew])
    header = ["engine", "figure", *(f"{n:,} pages" for n in counts)]
    header.append(f"x ({counts[-1]:,} / {counts[0]:,})")
    return "## growth\n\n" + markdown(header, rows) + "\n"


# --- command line -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Build and query newsdex and other engines on generated pages.",
    )
    parser.add_argument("--pages", required=True, help="page count(s), comma-separated")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work folder")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cold-cache", action="store_true", help="also drop the page cache")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--source", type=Path, default=generate.DEFAULT_SOURCE)
    parser.add_argument("--queries", type=int, default=queries.QUERY_COUNT, dest="query_count")
    parser.add_argument("--cli-queries", type=int, default=20)
    parser.add_argument(
        "--query-passes", type=int, default=3, help="passes over the queries, engines in turn"
    )
    parser.add_argument("--extra-pages", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="per step, seconds")
    parser.add_argument("--report", action="store_true", help="only the growth table")
    args = parser.parse_args(argv)
    try:
        page_counts = [int(p.replace("_", "")) for p in args.pages.split(",")]
    except ValueError:
        parser.error(f"--pages takes numbers separated by commas, not {args.pages!r}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    known = (*ENGINES, *OPTIONAL_ENGINES)
    unknown = sorted(set(engines) - set(known))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.report:
        print(growth_report(page_counts, args.work, args.seed), end="")
        return 0
    settings = Settings(
        work=args.work.absolute(),
        engines=engines,
        rounds=max(1, args.rounds),
        cold_cache=args.cold_cache,
        seed=args.seed,
        source=args.source,
        query_count=args.query_count,
        cli_queries=max(1, args.cli_queries),
        extra_pages=max(1, args.extra_pages),
        timeout=args.timeout,
        query_passes=max(1, args.query_passes),
    )
    for n in page_counts:
        results = run_pages(n, settings)
        print(results["table"], flush=True)
    if len(page_counts) > 1:
        print(growth_report(page_counts, settings.work, settings.seed), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
