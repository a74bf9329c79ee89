"""Sharded indexes on Dask: built as 1, 2, 3 and 7 shards (on Dask's synchronous
scheduler and on a local cluster of two worker processes), they give the same
hits, in the same order, with the same scores as one index of the same pages,
for every kind of query; searched on the cluster, in two phases, too; changed
by incremental runs, they hold what a fresh build of the same pages holds."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import require_module

import indexer
import search
from indexer.manifest import read_manifest

require_module("distributed", "dask")

SITE = "txt-pages.example"
"""The site of the generated .txt pages (``--site``); dumped pages have their url's."""
PAGES = 150
POOL = 20
"""Ticker entries the pages draw from: each headline is on many pages, read by
different partitions."""
SHARD_COUNTS = (1, 2, 3, 7)


def write_crawl(folder: Path, numbers: range, *, changed: frozenset[int] = frozenset()) -> None:
    """Generated pages, a third as .txt files, the rest in five JSON Lines dumps
    (dated, at four sites); the first three lines of dump 1 also end dump 4:
    duplicates a later partition reads."""
    from benchmarks.generate import iter_pages

    dumps: dict[int, list[str]] = {}
    for page in iter_pages(len(numbers), start=numbers.start, pool_size=POOL):
        text = page.text + (" A later edit." if page.number in changed else "")
        if page.number % 3 == 0:
            path = folder / "txt" / f"{page.number // 40:02d}" / f"{page.number:04d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        else:
            line = {"url": page.url, "timestamp": page.timestamp, "text": text}
            dumps.setdefault(page.number % 5, []).append(json.dumps(line))
    if 1 in dumps and 4 in dumps:
        dumps[4] += dumps[1][:3]
    (folder / "dumps").mkdir(parents=True, exist_ok=True)
    for number, lines in dumps.items():
        (folder / "dumps" / f"d{number}.jsonl").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Dask cluster of two worker processes, as the tests of Dask's users run."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, bbc_news: Path, cluster: str
) -> dict[str, Path]:
    """The crawl as one index, and as 1, 2, 3 and 7 shards on both schedulers."""
    folder = tmp_path_factory.mktemp("shards")
    crawl = folder / "crawl"
    write_crawl(crawl, range(PAGES))
    indexes = {"crawl": crawl, "one": folder / "one"}
    report = indexer.index_paths([crawl], index=folder / "one", site=SITE)
    for count in SHARD_COUNTS:
        for name, scheduler in (("sync", "sync"), ("cluster", cluster)):
            where = folder / f"{name}-{count}"
            sharded = indexer.index_paths(
                [crawl], index=where, site=SITE, shards=count, scheduler=scheduler
            )
            assert sharded.records == report.records
            assert sharded.pages_read == report.pages_read
            assert sorted(map(str, sharded.skipped)) == sorted(map(str, report.skipped))
            indexes[f"{name}-{count}"] = where
    return indexes


def queries(crawl: Path) -> list[tuple[str, dict[str, Any]]]:
    """A few hundred queries of every kind, each with the options it is run with."""
    from benchmarks.queries import make_queries

    made = make_queries(crawl)
    pairs = [query.words for query in made if len(query.words) >= 2]
    texts = [query.text for query in made]
    texts += [f"{a} OR {b}" for a, b, *_ in pairs[:15]]
    texts += [f"{a} NOT {b}" for a, b, *_ in pairs[:15]]
    texts += [f"{a} -{b}" for a, b, *_ in pairs[15:25]]
    texts += [f"title:{a} {b}" for a, b, *_ in pairs[:10]]
    texts += [f'body:"{a} {b}"' for a, b, *_ in pairs[:10]]
    texts += [f"{a[:3]}*" for a, *_ in pairs[:15] if len(a) >= 3]
    texts += [f"{a[:-1]}~" for a, *_ in pairs[:15] if len(a) >= 4]
    texts += ["*", "syria OR turkey OR brexit", "police protest wave"]
    options: list[dict[str, Any]] = [
        {},
        {"kind": "all"},
        {"kind": "headline"},
        {"kind": "article", "offset": 4},
        {"match": "any"},
        {"match": "any", "offset": 7},
        {"sort": "newest"},
        {"sort": "oldest", "offset": 3},
        {"since": "2018-12-13", "until": "2018-12-14"},
        {"site": "arabstoday.example"},
        {"site": SITE, "sort": "newest"},
    ]
    return [(text, options[number % len(options)]) for number, text in enumerate(texts)]


def answers(index: search.Index, text: str, options: dict[str, Any]) -> Any:
    try:
        return index.search(text, limit=12, **options)
    except indexer.NewsdexError as error:
        return str(error)


def assert_same_results(
    expected: Any, found: Any, what: str, *, suggestion: bool = True, sources: bool = True
) -> None:
    if isinstance(expected, str) or isinstance(found, str):
        assert expected == found, what
        return
    assert found.total == expected.total, what
    assert [hit.id for hit in found.hits] == [hit.id for hit in expected.hits], what
    for mine, theirs in zip(found.hits, expected.hits, strict=True):
        if theirs.score is None:
            assert mine.score is None, what
        else:
            assert mine.score == pytest.approx(theirs.score, abs=1e-9, rel=0), what
    if not suggestion:  # a cluster's "did you mean" knows the words of one worker's shards
        found = dataclasses.replace(found, suggestion=expected.suggestion)
    assert dataclasses.replace(found, hits=()) == dataclasses.replace(expected, hits=()), what
    if not sources:  # the ten pages a hit names are the first in the shard: as the runs added them
        found = dataclasses.replace(
            found,
            hits=tuple(
                dataclasses.replace(mine, sources=theirs.sources)
                for mine, theirs in zip(found.hits, expected.hits, strict=True)
            ),
        )
    assert [dataclasses.replace(hit, score=None) for hit in found.hits] == [
        dataclasses.replace(hit, score=None) for hit in expected.hits
    ], what


COUNTS = [
    (None, {"by": "site"}),
    (None, {"by": "kind", "kind": "all"}),
    ("police", {"by": "month"}),
    ("police OR syria", {"by": "day", "site": "arabstoday.example"}),
    ("pol*", {"by": "kind"}),
]


def stats_without_layout(index: search.Index) -> search.IndexStats:
    stats = index.stats()
    return dataclasses.replace(stats, index_directory=Path(), size_bytes=0, segments=0)


@pytest.mark.parametrize("name", [f"{s}-{c}" for c in SHARD_COUNTS for s in ("sync", "cluster")])
def test_a_sharded_index_answers_as_one_index(built: dict[str, Path], name: str) -> None:
    manifest = read_manifest(built[name])
    assert manifest is not None and manifest.count == int(name.split("-")[1])
    with search.open_index(built["one"]) as one, search.open_index(built[name]) as sharded:
        checked = 0
        for text, options in queries(built["crawl"]):
            expected, found = answers(one, text, options), answers(sharded, text, options)
            assert_same_results(expected, found, f"{text!r} {options}")
            checked += 1
        assert checked >= 250
        for text, options in COUNTS:
            assert sharded.count(text, **options) == one.count(text, **options), text
        for since in (None, "2018-12-14"):
            assert_same_results(one.headlines(since=since), sharded.headlines(since=since), "")
        assert stats_without_layout(sharded) == stats_without_layout(one)
        for hit in one.search("*", kind="all", limit=40).hits:
            assert sharded.record(hit.id) == one.record(hit.id)


def test_a_headline_on_pages_of_many_partitions_is_one_record_with_every_page_and_site(
    built: dict[str, Path],
) -> None:
    with search.open_index(built["one"]) as one, search.open_index(built["cluster-7"]) as sharded:
        shared = max(one.headlines(limit=200).hits, key=lambda hit: hit.pages)
        assert shared.pages >= 10 and len(shared.sites) >= 3
        record = sharded.record(shared.id)
        assert record == one.record(shared.id)
        assert len(record.sources) == shared.pages


def test_searching_on_the_cluster_answers_as_one_index(
    built: dict[str, Path], cluster: str
) -> None:
    every = queries(built["crawl"])
    with (
        search.open_index(built["one"]) as one,
        search.open_index(built["cluster-7"], scheduler=cluster) as on_cluster,
    ):
        for text, options in every[::3]:
            expected = answers(one, text, options)
            found = answers(on_cluster, text, options)
            assert_same_results(expected, found, text, suggestion=False)
        for text, options in COUNTS:
            assert on_cluster.count(text, **options) == one.count(text, **options), text
        assert_same_results(one.headlines(limit=30), on_cluster.headlines(limit=30), "headlines")
        hit = one.headlines(limit=1).hits[0]
        assert on_cluster.record(hit.id) == one.record(hit.id)
        stats = dataclasses.replace(stats_without_layout(on_cluster), index_directory=Path())
        assert stats == stats_without_layout(one)
        with pytest.raises(indexer.RecordNotFound):
            on_cluster.record("h-0000000000000000")


def test_each_worker_of_a_cluster_search_opens_only_its_own_shards(
    built: dict[str, Path], cluster: str
) -> None:
    from distributed import Client

    with search.open_index(built["cluster-3"], scheduler=cluster), Client(cluster) as client:
        held = client.run(_shards_held, str(built["cluster-3"]))
    assert sorted(held.values()) == [(0, 2), (1,)]


def _shards_held(directory: str, dask_worker: Any) -> tuple[int, ...]:
    """The shards this worker's actor holds open (run on the worker by ``Client.run``)."""
    from search.cluster import ShardHolder

    (holder,) = [
        actor
        for actor in dask_worker.state.actors.values()
        if isinstance(actor, ShardHolder) and actor.index.directory == Path(directory)
    ]
    return tuple(holder.index._index._only)


def records_of(index_folder: Path) -> dict[str, Any]:
    """Every record's stored fields and pages."""
    with search.open_index(index_folder) as index:
        found = {
            fields["id"]: fields
            for fields in index._searcher.all_stored_fields()
            if fields["kind"] != "page"
        }
        return {key: (fields, index.record(key).sources) for key, fields in found.items()}


def change_crawl(crawl: Path) -> None:
    """Pages added, changed and removed: files and dump lines."""
    write_crawl(crawl, range(PAGES + 40), changed=frozenset({3, 12, 31, 47}))
    for path in sorted((crawl / "txt").rglob("*.txt"))[5:15]:
        path.unlink()
    (crawl / "dumps" / "d3.jsonl").unlink()
    lines = (crawl / "dumps" / "d2.jsonl").read_text().splitlines()
    (crawl / "dumps" / "d2.jsonl").write_text("\n".join(lines[::2]) + "\n")


@pytest.mark.parametrize("scheduler", ["sync", "cluster"])
def test_an_incremental_run_on_shards_holds_what_a_fresh_build_holds(
    tmp_path: Path, bbc_news: Path, cluster: str, scheduler: str
) -> None:
    on = cluster if scheduler == "cluster" else "sync"
    crawl = tmp_path / "crawl"
    write_crawl(crawl, range(PAGES))
    changed = tmp_path / "changed"
    indexer.index_paths([crawl], index=changed, site=SITE, shards=3, scheduler=on)
    change_crawl(crawl)
    report = indexer.index_paths([crawl], index=changed, site=SITE, scheduler=on)
    assert report.pages_removed > 0 and report.pages_read > 0 and report.pages_unchanged > 0
    again = indexer.index_paths([crawl], index=changed, site=SITE, scheduler=on)
    assert again.pages_read == 0 and again.pages_removed == 0
    fresh, one = tmp_path / "fresh", tmp_path / "one"
    indexer.index_paths([crawl], index=fresh, site=SITE, shards=3, scheduler="sync")
    indexer.index_paths([crawl], index=one, site=SITE)
    assert records_of(changed) == records_of(fresh) == records_of(one)
    with (
        search.open_index(changed) as after,
        search.open_index(fresh) as rebuilt,
        search.open_index(one) as single,
    ):
        assert stats_without_layout(after) == stats_without_layout(rebuilt)
        assert stats_without_layout(after) == stats_without_layout(single)
        for text, options in queries(crawl)[::4]:
            options = {**options, "sort": "newest"}  # scores count deleted documents
            expected, found = answers(rebuilt, text, options), answers(after, text, options)
            assert_same_results(expected, found, text, sources=False)
        for text, options in COUNTS:
            assert after.count(text, **options) == rebuilt.count(text, **options)
    manifest = read_manifest(changed)
    assert manifest is not None and manifest.generation == 3
    assert sorted(p.name for p in changed.iterdir() if p.is_dir()) == list(manifest.shards)


def test_rebuild_gives_another_shard_count_and_a_shard_count_change_needs_it(
    tmp_path: Path, bbc_news: Path
) -> None:
    crawl = tmp_path / "crawl"
    write_crawl(crawl, range(30))
    index = tmp_path / "index"
    indexer.index_paths([crawl], index=index, shards=2, scheduler="sync")
    with pytest.raises(indexer.NewsdexError, match="has 2 shards, not 3"):
        indexer.index_paths([crawl], index=index, shards=3, scheduler="sync")
    indexer.index_paths([crawl], index=index, shards=3, scheduler="sync", rebuild=True)
    manifest = read_manifest(index)
    assert manifest is not None and manifest.count == 3


def test_one_index_becomes_sharded_only_with_rebuild(tmp_path: Path, bbc_news: Path) -> None:
    crawl = tmp_path / "crawl"
    write_crawl(crawl, range(30))
    index = tmp_path / "index"
    indexer.index_paths([crawl], index=index)
    with pytest.raises(indexer.NewsdexError, match="is one index, not sharded"):
        indexer.index_paths([crawl], index=index, shards=2, scheduler="sync")
    with search.open_index(index) as opened:
        before = opened.search("police")
    indexer.index_paths([crawl], index=index, shards=2, scheduler="sync", rebuild=True)
    assert not list(index.glob("*.toc"))
    with search.open_index(index) as opened:
        assert_same_results(before, opened.search("police"), "police")


def test_a_missing_shard_folder_gives_one_error(tmp_path: Path, bbc_news: Path) -> None:
    crawl = tmp_path / "crawl"
    write_crawl(crawl, range(20))
    index = tmp_path / "index"
    indexer.index_paths([crawl], index=index, shards=2, scheduler="sync")
    manifest = read_manifest(index)
    assert manifest is not None
    shutil.rmtree(index / manifest.shards[1])
    with pytest.raises(indexer.NewsdexError):
        search.open_index(index)
