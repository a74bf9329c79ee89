"""The benchmark suite: its generated pages follow the seed's format, and the runner runs.

Everything here is small (tens to hundreds of pages) so that it runs in a few seconds.
The end-to-end run asks for tantivy and ripgrep only when they are installed.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

import indexer
from benchmarks import generate, instructions, queries, run
from benchmarks.generate import generate_pages


@pytest.fixture(scope="module")
def pages(bbc_news: Path) -> list[tuple[str, str]]:
    return list(generate_pages(300, seed=0))


@pytest.mark.usefixtures("bbc_news")
def test_same_seed_same_bytes_other_seed_other_pages() -> None:
    first = list(generate_pages(40, seed=0))
    assert first == list(generate_pages(40, seed=0))
    other = list(generate_pages(40, seed=1))
    assert [text for _, text in other] != [text for _, text in first]
    assert [name for name, _ in first] == [name for name, _ in other]


@pytest.mark.usefixtures("bbc_news")
def test_pages_split_into_article_ticker_and_footer(pages: list[tuple[str, str]]) -> None:
    corpus = generate.load_corpus(generate.DEFAULT_SOURCE)
    paragraphs = {p for article in corpus.paragraphs for p in article}
    pool = set(generate.headline_pool(corpus, generate.pool_size_for(300), seed=0))
    footers = {tuple(dict.fromkeys(site.footer)) for site in generate.SITES}
    broken = paragraph_count = 0
    for name, text in pages:
        split = indexer.split_page(text, name)
        assert split.warnings == (), name
        assert split.article is not None
        assert split.article.title in corpus.titles
        assert 3 <= len(split.article.paragraphs) <= 6
        paragraph_count += len(split.article.paragraphs)
        # Paragraphs broken over two lines come back whole: each is a source paragraph.
        assert set(split.article.paragraphs) <= paragraphs
        assert 6 <= len(split.headlines) <= 10
        times = [headline.published for headline in split.headlines]
        assert times == sorted(times, reverse=True)
        for headline in split.headlines:
            assert generate.TickerEntry(headline.text, headline.published) in pool
        assert split.footer is not None and split.footer.lines in footers
        broken += sum(1 for line in text.split("\n") if line[:1].islower())
        assert not text.endswith("\n")
    assert 0.05 * paragraph_count <= broken <= 0.15 * paragraph_count  # about 10%


def test_stamps_are_in_the_seed_format_with_the_right_weekday(
    pages: list[tuple[str, str]],
) -> None:
    stamp = re.compile(r"GMT (\d{1,2}):(\d\d) (\d{4}) (\w+)( ?, ?)(\d{1,2}) (\w+)\n")
    commas: Counter[str] = Counter()
    for _name, text in pages:
        for hour, minute, year, weekday, comma, day, month in stamp.findall(text):
            moment = datetime.strptime(f"{year} {month} {day} {hour}:{minute}", "%Y %B %d %H:%M")
            assert weekday == moment.strftime("%A")
            commas[comma] += 1
    assert set(commas) == {" ,", ", ", " , "}
    seed = (generate.PROJECT_ROOT / "seeds" / "000_e90479ad7ef70cfc.txt").read_text("utf-8")
    assert generate.stamp(datetime(2018, 12, 14, 18, 45)) in seed


def test_headlines_recur_across_pages(pages: list[tuple[str, str]]) -> None:
    occurrences: Counter[tuple[str, datetime]] = Counter()
    articles = set()
    for name, text in pages:
        split = indexer.split_page(text, name)
        occurrences.update((h.text, h.published) for h in split.headlines)
        assert split.article is not None
        articles.add((split.article.title, split.article.paragraphs))
    pool = generate.pool_size_for(300)  # 60: about N/5
    assert 0.9 * pool <= len(occurrences) <= pool
    assert sum(occurrences.values()) >= 6 * 300
    assert len(articles) == 300  # every page's article differs


@pytest.mark.usefixtures("bbc_news")
def test_txt_pages_are_in_folders_of_at_most_1000(tmp_path: Path) -> None:
    generate.main(["--pages", "1003", "--out", str(tmp_path)])
    folders = sorted(p for p in tmp_path.iterdir())
    assert [f.name for f in folders] == ["0000", "0001"]
    assert len(list(folders[0].glob("*.txt"))) == 1000
    assert sorted(p.name for p in folders[1].iterdir()) == [
        "001000.txt",
        "001001.txt",
        "001002.txt",
    ]
    expected = dict(itertools.islice(generate_pages(1003), 3))  # the pool depends on N
    assert (tmp_path / "0000" / "000002.txt").read_bytes() == expected["0000/000002.txt"].encode()


@pytest.mark.usefixtures("bbc_news")
def test_jsonl_carries_url_timestamp_and_text(tmp_path: Path) -> None:
    generate.main(["--pages", "5", "--out", str(tmp_path), "--format", "jsonl"])
    lines = (tmp_path / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["text"] for r in records] == [text for _, text in generate_pages(5)]
    hosts = {site.host for site in generate.SITES}
    for number, record in enumerate(records):
        assert set(record) == {"url", "timestamp", "text"}
        url = re.fullmatch(r"https://([\w.]+)/a/(\d+)", record["url"])
        assert url is not None and url[1] in hosts and int(url[2]) == number
        seen = datetime.fromisoformat(record["timestamp"])
        newest = indexer.split_page(record["text"]).headlines[0].published
        assert seen > newest


@pytest.mark.usefixtures("bbc_news")
def test_queries_are_fixed_classed_and_saved(tmp_path: Path) -> None:
    generate.write_pages(tmp_path / "pages", 300)
    made = queries.make_queries(tmp_path / "pages")
    assert made == queries.make_queries(tmp_path / "pages")
    assert Counter(q.kind for q in made) == {
        "frequent": 45,
        "mid": 45,
        "rare": 45,
        "frequent+rare": 45,
        "phrase": 20,
    }
    assert len({q.words for q in made}) == 200
    for query in made:
        assert 1 <= len(query.words) <= 3
        assert all(
            re.fullmatch("[a-z]{3,}", w) and w not in queries.STOP_WORDS for w in query.words
        )
        assert query.phrase == (query.kind == "phrase")
    saved = tmp_path / "queries.json"
    assert queries.load_or_make(saved, tmp_path / "pages") == made
    assert queries.load(saved) == made
    assert [q.kind for q in queries.spread(made, 5)] == list(queries.CLASSES)


def test_instruction_counts_run_the_benchmarks_queries_of_a_class(tmp_path: Path) -> None:
    made = [
        queries.Query(("alpha",), False, "rare"),
        queries.Query(("beta", "gamma"), True, "phrase"),
        queries.Query(("delta", "alpha"), False, "rare"),
    ]
    queries.save(made, tmp_path / "queries.json")
    assert instructions.CLASSES == queries.CLASSES
    texts = instructions.query_texts(tmp_path / "queries.json", "rare")
    assert texts == [q.text for q in made if q.kind == "rare"]


def test_instruction_counts_are_read_from_valgrinds_summary() -> None:
    report = "==12== \n==12== I   refs:      1,234,567,890\n"
    assert instructions.parse_total(report) == 1_234_567_890
    with pytest.raises(ValueError, match="no instruction total"):
        instructions.parse_total("==12== ERROR SUMMARY: 0 errors")


def test_instruction_counts_say_when_valgrind_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    arguments = ["--index", str(tmp_path), "--queries", str(tmp_path / "q.json")]
    with pytest.raises(SystemExit) as stopped:
        instructions.main(arguments)
    assert stopped.value.code == 2
    assert "valgrind is not installed" in capsys.readouterr().err


def _installed_engines() -> list[str]:
    engines = ["newsdex", "whoosh_plain", "fts5"]
    if importlib.util.find_spec("tantivy") is not None:
        engines.append("tantivy")
    if shutil.which("rg"):
        engines.append("ripgrep")
    return engines


@pytest.mark.usefixtures("bbc_news")
def test_runner_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engines = _installed_engines()
    argv = ["--pages", "60", "--work", str(tmp_path), "--engines", ",".join(engines)]
    assert run.main([*argv, "--queries", "6", "--cli-queries", "2", "--extra-pages", "20"]) == 0
    table = capsys.readouterr().out
    for engine in engines:
        row = next(line for line in table.splitlines() if line.startswith(f"| {engine} |"))
        assert "FAILED" not in row and "skipped" not in row
    assert "| ripgrep | - |" in table or "ripgrep" not in engines  # no index, no build
    verdicts = re.findall(r"^- (PASS|FAIL|n/a): ", table, flags=re.MULTILINE)
    assert len(verdicts) == 10
    results = json.loads((tmp_path / "results-60.json").read_text(encoding="utf-8"))
    assert results["table"] == table.rstrip("\n") + "\n"
    for engine in engines:
        summary = results["engines"][engine]["summary"]
        assert results["engines"][engine]["errors"] == []
        assert summary["queries_with_hits"] == summary["queries"] == 6
        assert summary["p50_ms"] > 0 and summary["cli_ms"] > 0
    incremental = results["incremental"]["summary"]
    assert incremental["unchanged_s"] > 0 and incremental["added_s"] > 0
    assert (tmp_path / "pages-60" / "0000" / "000059.txt").is_file()


def test_a_failing_engine_is_reported_not_fatal(tmp_path: Path) -> None:
    broken = SimpleNamespace(__name__="benchmarks.engines.no_such_engine", HAS_INDEX=True)
    engine = run.EngineRun("broken", broken)  # type: ignore[arg-type]
    settings = run.Settings(
        tmp_path, ["broken"], 1, False, 0, generate.DEFAULT_SOURCE, 6, 2, 20, 60.0
    )
    found = run.engine_round(engine, tmp_path, tmp_path / "index", settings)
    assert found == {}
    assert engine.errors and engine.errors[0].startswith("build: ")
    assert "No module named" in engine.errors[0]
    engine.rounds.append(found)
    summaries = {"broken": run.summarize(engine, 1000)}
    report = run.render_report(60, 1000, [engine], summaries, {}, [], settings, None, {})
    assert "| broken (FAILED) | - |" in report


def test_growth_table_sets_saved_runs_side_by_side(tmp_path: Path) -> None:
    for pages, build in ((5000, 2.0), (50000, 25.0)):
        summary = {"build_s": build, "p50_ms": 4.0}
        results = {"engines": {"newsdex": {"summary": summary}}}
        (tmp_path / f"results-{pages}.json").write_text(json.dumps(results), encoding="utf-8")
    table = run.growth_report([5000, 50000, 200000], tmp_path, seed=0)
    assert "| engine | figure | 5,000 pages | 50,000 pages | x (50,000 / 5,000) |" in table
    assert "| newsdex | build s | 2.00 | 25.0 | 12x |" in table
    assert "| newsdex | query p50 ms | 4.00 | 4.00 | 1x |" in table


def test_one_query_commands_of_the_engines_take_turns(tmp_path: Path) -> None:
    log = tmp_path / "order"

    def commands(name: str) -> list[list[str]]:
        return [["sh", "-c", f"echo {name}{i} >> {log}"] for i in range(3)]

    timed = run.time_commands({"a": commands("a"), "b": commands("b")}, False, 60.0)
    # One warm-up each, then the engines in turn, query by query.
    assert log.read_text().split() == ["a0", "b0", "a0", "b0", "a1", "b1", "a2", "b2"]
    assert all(not isinstance(result, Exception) for result in timed.values())
    assert [len(result["times_ms"]) for result in timed.values()] == [3, 3]  # type: ignore[index]


def test_warm_query_passes_rotate_the_engines_and_keep_each_querys_best(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    times = {"a": [[5.0, 1.0], [3.0, None], [4.0, 2.0]], "b": [[1.0, 9.0]] * 3}

    def fake_run_json(command: list[str], timeout: float | None) -> dict[str, object]:
        name = command[2].rsplit(".", 1)[1]
        order.append(name)
        return {"times_ms": times[name][order.count(name) - 1], "max_rss_mb": len(order)}

    monkeypatch.setattr(run, "run_json", fake_run_json)
    engines = [run.EngineRun(name, SimpleNamespace(__name__=f"x.{name}")) for name in "ab"]  # type: ignore[arg-type]
    found: list[dict[str, object]] = [{}, {}]
    settings = run.Settings(
        tmp_path, ["a", "b"], 1, False, 0, generate.DEFAULT_SOURCE, 2, 2, 20, 60.0, query_passes=3
    )
    ready = [(engine, f, tmp_path) for engine, f in zip(engines, found, strict=True)]
    run.time_warm_queries(ready, tmp_path / "queries.json", settings)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert found[0]["query"]["times_ms"] == [3.0, 1.0]  # type: ignore[index]
    assert found[0]["query"]["pass_p50_ms"] == [3.0, 3.0, 3.0]  # type: ignore[index]
    assert found[1]["query"]["times_ms"] == [1.0, 9.0]  # type: ignore[index]
    assert found[1]["query"]["max_rss_mb"] == 6  # type: ignore[index]
    run.time_warm_queries([], tmp_path / "queries.json", settings)  # no engine built: no pass
    assert len(order) == 6


def test_each_warm_query_pass_reads_its_engines_index_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel may have dropped cached pages since the build: "warm" means
    # every index file was just read.
    order: list[str] = []
    monkeypatch.setattr(
        run, "read_into_page_cache", lambda folder: order.append(f"read {folder.name}")
    )

    def fake_run_json(command: list[str], timeout: float | None) -> dict[str, object]:
        order.append(f"query {Path(command[4]).name}")
        return {"times_ms": [1.0], "max_rss_mb": 1}

    monkeypatch.setattr(run, "run_json", fake_run_json)
    engines = [run.EngineRun(name, SimpleNamespace(__name__=f"x.{name}")) for name in "ab"]  # type: ignore[arg-type]
    settings = run.Settings(
        tmp_path, ["a", "b"], 1, False, 0, generate.DEFAULT_SOURCE, 2, 2, 20, 60.0, query_passes=2
    )
    ready = [(engine, {}, tmp_path / f"index-{engine.name}") for engine in engines]
    run.time_warm_queries(ready, tmp_path / "queries.json", settings)
    assert order == [
        "read index-a", "query index-a", "read index-b", "query index-b",
        "read index-b", "query index-b", "read index-a", "query index-a",
    ]  # fmt: skip


def test_reading_into_the_page_cache_reads_every_file_of_the_tree(tmp_path: Path) -> None:
    (tmp_path / "segment").mkdir()
    (tmp_path / "segment" / "postings").write_bytes(b"x" * 3_000_000)
    (tmp_path / "toc").write_bytes(b"y")
    opened: list[str] = []
    real_open = Path.open

    def counting_open(path: Path, *args: object, **kwargs: object) -> object:
        opened.append(path.name)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "open", counting_open)
        run.read_into_page_cache(tmp_path)
    assert sorted(opened) == ["postings", "toc"]


def test_each_build_reads_the_pages_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first engine to build would read the pages from disk, the others from
    # the page cache: every engine builds from pages just read.
    order: list[str] = []
    monkeypatch.setattr(
        run, "read_into_page_cache", lambda folder: order.append(f"read {folder.name}")
    )

    def fake_run_json(command: list[str], timeout: float | None) -> dict[str, object]:
        order.append(f"build {command[2].rsplit('.', 1)[1]}")
        return {"wall_s": 1.0}

    monkeypatch.setattr(run, "run_json", fake_run_json)
    settings = run.Settings(
        tmp_path, ["a", "b"], 1, False, 0, generate.DEFAULT_SOURCE, 2, 2, 20, 60.0
    )
    for name in "ab":
        engine = run.EngineRun(name, SimpleNamespace(__name__=f"x.{name}", HAS_INDEX=True))  # type: ignore[arg-type]
        run.engine_round(engine, tmp_path / "pages", tmp_path / f"index-{name}", settings)
    assert order == ["read pages", "build a", "read pages", "build b"]
