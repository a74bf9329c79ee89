"""SIGKILL `newsdex index` at random moments: the index is always a whole run's.

After every kill the index opens and holds exactly what the last completed run
left (nothing, before the first); running the same command again then gives
the records of an uninterrupted run. Kills land while newsdex starts, while it
reads pages, while it commits, in a first build, an incremental run and a
--rebuild. The moments are random, drawn from a seed that is fixed by default
so that a failure replays: the seed chooses which pages change and where in
each slice of a run the kill lands (the slices scale with how long the run
took on this machine, so the moments are as close as the timing allows). Each
run prints its seed, and every failure names it. For other seeds, or to replay
one:

    NEWSDEX_CRASH_SEED=random python -m pytest tests/test_crash.py -s  # a new seed
    NEWSDEX_CRASH_SEED=1234 python -m pytest tests/test_crash.py -s    # seed 1234
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT_ROOT

import indexer
import search
from benchmarks.generate import write_pages
from indexer.lock import WRITER_FILE

DEFAULT_SEED = 0


def crash_seed(setting: str | None) -> int:
    """The seed NEWSDEX_CRASH_SEED asks for: the fixed default when unset or
    empty, a fresh one for ``random``, else the number given."""
    if not setting:
        return DEFAULT_SEED
    if setting.strip().lower() == "random":
        return random.SystemRandom().randrange(2**32)
    try:
        return int(setting)
    except ValueError:
        raise ValueError(f"NEWSDEX_CRASH_SEED is a number or 'random', not {setting!r}") from None


SEED = crash_seed(os.environ.get("NEWSDEX_CRASH_SEED"))
KILLS_PER_RUN = 7
QUERIES = ("said", "government minister", '"prime minister"', "gov*", "minister -government")
"""Searches run after every kill: plain words (newsdex's ranking), a phrase, a
pattern and a word left out (Whoosh's)."""
Answers = dict[str, tuple[int, tuple[str, ...]]]
Fingerprint = tuple[int, dict[str, int], dict[str, indexer.Record], Answers]
NOTHING: Fingerprint = (0, {}, {}, {query: (0, ()) for query in QUERIES})


def fingerprint(index: Path, universe: set[str]) -> Fingerprint:
    """What a search client can see: pages, records by kind, every record whole,
    and what searches answer (an index no run committed to yet answers nothing)."""
    try:
        opened = search.open_index(index)
    except indexer.IndexNotFound:
        return NOTHING
    with opened:
        stats = opened.stats()
        records = {}
        for record_id in sorted(universe):
            with contextlib.suppress(indexer.RecordNotFound):
                records[record_id] = opened.record(record_id)
        answers = {}
        for query in QUERIES:
            found = opened.search(query, kind="all", limit=20)
            answers[query] = (found.total, tuple(hit.id for hit in found.hits))
    counts = {kind: count for kind, count in stats.records.items() if count}
    return stats.pages_indexed, counts, records, answers


def record_ids(*paths: Path) -> set[str]:
    ids = set()
    for page in indexer.split_files(paths):
        if isinstance(page, indexer.SplitPage):
            ids.update(record.id for record in page.records)
    return ids


def phase_of_kill(index: Path, files_before: set[str], pid: int) -> str:
    """Where the killed run was, judged from the files it left."""
    try:
        holder = json.loads((index / WRITER_FILE).read_text())["pid"]
    except (OSError, ValueError, KeyError):
        holder = None
    if holder != pid:
        return "starting"  # imports, finding the inputs, creating, waiting for the lock
    now = set(os.listdir(index))
    new = now - files_before
    if last_generation(now) > max(last_generation(files_before), 0):
        return "after its commit"  # (generation 0 is the empty index of a first run)
    if any(name.endswith((".col", ".seg")) or ".toc." in name for name in new):
        return "committing"
    return "reading pages"


def last_generation(files: set[str]) -> int:
    """The newest table of contents (``_MAIN_<generation>.toc``) among ``files``."""
    found = re.findall(r"^_MAIN_(\d+)\.toc$", "\n".join(files), flags=re.MULTILINE)
    return max((int(generation) for generation in found), default=-1)


@dataclass
class CrashLog:
    rng: random.Random
    kills: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(line)


def newsdex_index(args: list[str], index: Path) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        [sys.executable, "-m", "search", "index", "--quiet", "--index", str(index), *args],
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_to_the_end(args: list[str], index: Path) -> float:
    started = time.monotonic()
    process = newsdex_index(args, index)
    _, errors = process.communicate(timeout=600)
    assert process.returncode == 0, errors.decode()
    return time.monotonic() - started


def copy_index(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    if source.exists():
        shutil.copytree(source, target)


def kill_repeatedly(
    name: str, args: list[str], index: Path, universe: set[str], log: CrashLog, work: Path
) -> None:
    """Kill the run ``args`` at random moments, then let it finish; check each state."""
    start = work / f"{name}-start"
    copy_index(index, start)
    before = fingerprint(index, universe)
    reference = work / f"{name}-reference"
    copy_index(start, reference)
    duration = run_to_the_end(args, reference)
    after = fingerprint(reference, universe)
    assert after != before
    kills = attempts = 0
    while kills < KILLS_PER_RUN:
        attempts += 1
        assert attempts < 4 * KILLS_PER_RUN, f"the runs ended before the kills (seed {SEED})"
        # One moment in each slice of the run's length, so kills spread over it.
        moment = duration * (kills + log.rng.random()) / KILLS_PER_RUN
        files_before = set(os.listdir(index)) if index.exists() else set()
        process = newsdex_index(args, index)
        time.sleep(moment)
        if process.poll() is not None:  # it finished first: no kill, start again
            process.communicate()
            copy_index(start, index)
            log.say(f"seed {SEED} {name}: finished before {moment:.2f}s, not killed")
            duration = 0.8 * duration  # runs are quicker now than the reference was
            continue
        process.kill()
        process.communicate(timeout=60)
        kills += 1
        phase = phase_of_kill(index, files_before, process.pid) if index.exists() else "starting"
        state = fingerprint(index, universe)
        outcome = "as before" if state == before else "as after" if state == after else "WRONG"
        log.kills[phase] += 1
        log.say(
            f"seed {SEED} {name}: killed at {moment:.2f}s of {duration:.2f}s, {phase}: {outcome}"
        )
        assert outcome != "WRONG", f"seed {SEED}: {name} killed at {moment:.2f}s ({phase})"
        if outcome == "as after":
            copy_index(start, index)
    run_to_the_end(args, index)
    assert fingerprint(index, universe) == after, f"seed {SEED}: {name} run again after kills"


def change_the_site(site: Path, rng: random.Random) -> None:
    """An incremental run's work: new pages, changed articles, deleted pages."""
    existing = sorted(site.rglob("*.txt"))
    for page in rng.sample(existing, 10):
        title, rest = page.read_text(encoding="utf-8").split("\n", 1)
        page.write_text(f"{title}\nA paragraph added later.\n{rest}", encoding="utf-8")
    for page in rng.sample(existing, 10):
        page.unlink()
    write_pages(site, 50, start=200, pool_size=40)


@pytest.mark.usefixtures("bbc_news")
def test_killed_index_runs_leave_the_last_completed_run_and_rerun_to_the_same_records(
    tmp_path: Path,
) -> None:
    log = CrashLog(random.Random(SEED))
    log.say(f"NEWSDEX_CRASH_SEED={SEED}")
    site, other, index = tmp_path / "site", tmp_path / "other", tmp_path / "crash-index"
    write_pages(site, 160, pool_size=40)
    universe = record_ids(site)
    kill_repeatedly("first build", [str(site)], index, universe, log, tmp_path)

    change_the_site(site, log.rng)
    universe |= record_ids(site)
    kill_repeatedly("incremental run", [str(site)], index, universe, log, tmp_path)

    write_pages(other, 140, seed=1)
    universe |= record_ids(other)
    kill_repeatedly("rebuild", ["--rebuild", str(other)], index, universe, log, tmp_path)

    log.say(f"seed {SEED}: {sum(log.kills.values())} kills survived: {dict(log.kills)}")
    assert sum(log.kills.values()) >= 20
    assert log.kills["reading pages"] and log.kills["committing"], f"seed {SEED}: {log.kills}"
