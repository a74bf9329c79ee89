"""The HTTP benchmark beside Datasette (``benchmarks.serve``): the same records, the same
queries asked alike; end to end when Datasette (the bench extra) is installed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from helpers import SEEDS, require_module, write_page

from benchmarks import serve
from benchmarks.queries import Query


def test_the_records_are_newsdexs_each_once(tmp_path: Path) -> None:
    seed = (SEEDS / "000_e90479ad7ef70cfc.txt").read_text(encoding="utf-8")
    for number in range(3):
        write_page(tmp_path / "pages", f"{number}.txt", seed)
    records = list(serve.records_of(tmp_path / "pages"))
    assert [record["kind"] for record in records] == ["article"] + ["headline"] * 8 + ["footer"]
    assert len({record["id"] for record in records}) == 10


def test_datasette_is_asked_for_the_words_all_of_them_without_footers() -> None:
    asked = dict(
        parse_qsl(urlsplit(serve.datasette_path(Query(("port", "strike"), False, "mid"))).query)
    )
    assert asked["_search"] == "port strike"  # Datasette quotes each word: all must match
    assert "_searchmode" not in asked
    assert (asked["kind__not"], asked["_size"]) == ("footer", "10")


def test_datasette_is_asked_for_a_phrase_as_a_phrase() -> None:
    path = serve.datasette_path(Query(("port", "strike"), True, "phrase"))
    asked = dict(parse_qsl(urlsplit(path).query))
    assert (asked["_search"], asked["_searchmode"]) == ('"port strike"', "raw")


def test_newsdex_is_asked_the_query_as_the_cli_takes_it() -> None:
    path = serve.newsdex_path(Query(("port", "strike"), True, "phrase"))
    assert dict(parse_qsl(urlsplit(path).query)) == {"q": '"port strike"', "limit": "10"}


def test_the_benchmark_runs_end_to_end(bbc_news: Path, tmp_path: Path) -> None:
    require_module("datasette", "bench")
    found = serve.run(60, tmp_path, searchers=[2], client_counts=[1, 2], seed=0)
    for figure in found["figures"].values():
        assert figure["failed"] == 0
        assert figure["requests"] == 200 * figure["clients"]
    assert set(found["figures"]) == {"newsdex|1", "datasette|1", "newsdex|2", "datasette|2"}
    assert "newsdex p50 <= 1.5x Datasette's, 2 client(s)" in serve.report(found)
