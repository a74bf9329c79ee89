"""Sharded runs that fail: a Dask worker killed mid-build, an unreachable
scheduler, the run itself killed. Nothing half-built is ever committed; the
last committed index still answers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import assert_one_line_error, newsdex, require_module, subprocess_environment

import indexer
import search
from indexer.manifest import read_manifest

require_module("distributed", "dask")

import distributed  # noqa: E402
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402


class KillWorkerRunning(WorkerPlugin):  # type: ignore[misc]
    """Ends its worker's process (as the out-of-memory killer would) when a task
    whose key starts with ``prefix`` starts there; only once if ``once`` names a file."""

    def __init__(self, prefix: str, once: str | None) -> None:
        self.prefix = prefix
        self.once = once

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        if self.once is not None:
            if os.path.exists(self.once):
                return
            Path(self.once).touch()
        os._exit(1)


def write_pages(folder: Path, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        page = folder / f"{number:03d}.txt"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f"Harbour report {number}\nShips number {number} came in at dawn.\n"
            f"GMT 10:{number % 60:02d} 2018 Friday ,14 December\nHarbour strike ends\n"
        )


@pytest.fixture
def two_workers() -> Iterator[Any]:
    """A local cluster of two worker processes whose death the scheduler tolerates once."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        yield client


def test_a_worker_killed_while_writing_a_shard_is_retried_or_fails_the_run_in_one_line(
    tmp_path: Path, two_workers: Any
) -> None:
    client = two_workers
    crawl, index = tmp_path / "crawl", tmp_path / "index"
    write_pages(crawl, 20)
    address = client.scheduler.address
    indexer.index_paths([crawl], index=index, shards=3, scheduler=address)
    with search.open_index(index) as opened:
        before = opened.search("harbour", limit=50)
    write_pages(crawl, 10, start=20)
    client.register_plugin(KillWorkerRunning("_write_shard", str(tmp_path / "killed")))
    try:
        report = indexer.index_paths([crawl], index=index, scheduler=address)
    except indexer.NewsdexError as error:
        # Failed: one line, nothing committed, the last index answers as before.
        assert "\n" not in str(error) and "index is unchanged" in str(error)
        manifest = read_manifest(index)
        assert manifest is not None and manifest.generation == 1
        with search.open_index(index) as opened:
            assert opened.search("harbour", limit=50) == before
    else:  # retried on the other worker: the run is whole
        assert report.pages_read == 10
        with search.open_index(index) as opened:
            assert (
                opened.search("harbour", limit=50).total == before.total + 20
            )  # an article and a headline a page
    assert (tmp_path / "killed").exists()
    shards = {path.name for path in index.iterdir() if path.name.startswith("shard-")}
    manifest = read_manifest(index)
    assert manifest is not None and shards == set(manifest.shards)


def test_a_worker_dying_on_every_try_fails_the_run_in_one_line(
    tmp_path: Path, two_workers: Any
) -> None:
    client = two_workers
    crawl, index = tmp_path / "crawl", tmp_path / "index"
    write_pages(crawl, 12)
    address = client.scheduler.address
    indexer.index_paths([crawl], index=index, shards=2, scheduler=address)
    with search.open_index(index) as opened:
        before = opened.search("harbour", limit=50)
    write_pages(crawl, 5, start=12)
    client.register_plugin(KillWorkerRunning("_write_shard", None))
    with pytest.raises(indexer.NewsdexError) as failed:
        indexer.index_paths([crawl], index=index, scheduler=address)
    message = str(failed.value)
    assert "\n" not in message and "the index is unchanged" in message, message
    with search.open_index(index) as opened:
        assert opened.search("harbour", limit=50) == before
    manifest = read_manifest(index)
    assert manifest is not None and manifest.generation == 1
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == list(manifest.shards)


@pytest.mark.parametrize("command", [["index", "--shards", "2"], ["search", "harbour"]])
def test_an_unreachable_scheduler_is_one_line_and_status_2(
    tmp_path: Path, command: list[str]
) -> None:
    write_pages(tmp_path / "crawl", 3)
    indexer.index_paths([tmp_path / "crawl"], index=tmp_path / "index", shards=2, scheduler="sync")
    arguments = [*command, "--scheduler", "tcp://127.0.0.1:9", "--index", str(tmp_path / "index")]
    if command[0] == "index":
        arguments.append(str(tmp_path / "crawl"))
    result = newsdex(CliRunner(), *arguments)
    line = assert_one_line_error(result)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in line


def test_a_sharded_run_killed_at_any_moment_leaves_the_last_commit(tmp_path: Path) -> None:
    """SIGKILL at random moments of sharded runs (on the synchronous scheduler):
    each time the index holds what the last completed run left; the same
    command run again completes it."""
    crawl, index = tmp_path / "crawl", tmp_path / "index"
    write_pages(crawl / "a", 30)
    rng = random.Random(int(os.environ.get("NEWSDEX_CRASH_SEED", "0")))
    command = [sys.executable, "-m", "search", "index", "--quiet", str(crawl)]
    command += ["--shards", "3", "--scheduler", "sync"]
    environment = subprocess_environment(index)
    subprocess.run(command, env=environment, check=True)
    expected = _answers(index)
    for round_number in range(3):
        write_pages(crawl / f"b{round_number}", 10)
        run = subprocess.Popen(command, env=environment)
        time.sleep(rng.uniform(0.3, 3.0))
        run.send_signal(signal.SIGKILL)
        run.wait()
        found = _answers(index)
        assert found in (expected, _answers_after(index, command, environment)), round_number
        expected = _answers(index)
    subprocess.run(command, env=environment, check=True)
    fresh = tmp_path / "fresh"
    indexer.index_paths([crawl], index=fresh, shards=3, scheduler="sync")
    assert _answers(index) == _answers(fresh)


def _answers(index: Path) -> Any:
    with search.open_index(index) as opened:
        results = opened.search("harbour", limit=100, sort="newest")
        return (
            results.total,
            [hit.id for hit in results.hits],
            json.dumps([str(opened.stats().records)]),
        )


def _answers_after(index: Path, command: list[str], environment: dict[str, str]) -> Any:
    """What the index answers once the killed run's work is done again (the kill
    may have come after its commit)."""
    subprocess.run(command, env=environment, check=True)
    return _answers(index)
