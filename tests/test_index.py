"""Indexing: pages to records to an index, with nothing duplicated and nothing lost."""

from __future__ import annotations

import importlib.metadata
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SEEDS, write_page

import indexer
import search
from indexer.storage import MARKER_FILE


def stats_of(index_dir: Path) -> search.IndexStats:
    with search.open_index(index_dir) as opened:
        return opened.stats()


def all_records(index_dir: Path) -> dict[str, indexer.Record]:
    with search.open_index(index_dir) as opened:
        hits = opened.search("*", kind="all", limit=1000)
        return {hit.id: opened.record(hit.id) for hit in hits}


def test_seed_page_gives_one_article_eight_headlines_one_footer(seeded_index: Path) -> None:
    numbers = stats_of(seeded_index)
    assert numbers.records == {"article": 1, "headline": 8, "footer": 1}
    assert numbers.pages_indexed == 1


def test_report_counts_pages_and_records_by_kind(private_index: Path) -> None:
    report = indexer.index_paths([SEEDS], index=private_index)
    assert report.pages_read == 1
    assert report.records == {"article": 1, "headline": 8, "footer": 1}
    assert report.summary().startswith("1 page seen: 1 indexed (1 article, 8 headlines, 1 footer)")


def abstract(number: int, title: str, text: str) -> indexer.Article:
    return indexer.Article(title, (text,), (indexer.Source(f"corpus.jsonl:{number}", number),))


def test_index_records_indexes_ready_made_articles_each_on_its_page(private_index: Path) -> None:
    report = indexer.index_records(
        [abstract(1, "Lichen", "Lichens grow on rocks."), abstract(2, "Moss", "Moss likes rain.")]
    )
    assert (report.pages_read, report.records) == (2, {"article": 2})
    with search.open_index(private_index) as opened:
        hit = opened.search("lichens").hits[0]
        assert hit.sources == ("corpus.jsonl:1",)
        assert opened.record(hit.id).sources == (indexer.Source("corpus.jsonl:1", 1),)
        assert opened.stats().pages_indexed == 2


def test_index_records_again_replaces_what_a_page_held(private_index: Path) -> None:
    indexer.index_records([abstract(1, "Lichen", "Lichens grow on rocks.")])
    indexer.index_records([abstract(1, "Moss", "Moss likes rain.")])
    with search.open_index(private_index) as opened:
        assert opened.search("lichen").total == 0
        assert opened.search("moss").total == 1
        assert opened.stats().records["article"] == 1


def test_index_records_refuses_a_record_without_a_page(private_index: Path) -> None:
    with pytest.raises(ValueError, match="no source"):
        indexer.index_records([indexer.Article("Lichen", ("Lichens grow on rocks.",))])
    assert not private_index.exists()


def test_index_records_with_no_record_raises_nothing_indexed(private_index: Path) -> None:
    with pytest.raises(indexer.NothingIndexed):
        indexer.index_records([])


def test_no_paths_indexes_the_bundled_seeds(private_index: Path) -> None:
    report = indexer.index_paths()
    assert report.pages_read == len(list(SEEDS.glob("*.txt")))
    assert report.index_directory == private_index


def test_indexing_the_same_pages_again_leaves_the_same_index(seeded_index: Path) -> None:
    before = all_records(seeded_index)
    indexer.index_paths([SEEDS], index=seeded_index)
    assert all_records(seeded_index) == before
    assert stats_of(seeded_index).records == {"article": 1, "headline": 8, "footer": 1}


def test_record_ids_are_stable_across_rebuilds(seeded_index: Path) -> None:
    before = set(all_records(seeded_index))
    indexer.index_paths([SEEDS], index=seeded_index, rebuild=True)
    assert set(all_records(seeded_index)) == before


def test_seed_copied_twice_is_one_article_and_eight_headlines_with_two_sources_each(
    tmp_path: Path, seed_text: str, private_index: Path
) -> None:
    folder = tmp_path / "crawl"
    write_page(folder, "one.txt", seed_text)
    write_page(folder / "sub", "two.txt", seed_text)
    indexer.index_paths([folder], index=private_index)
    records = all_records(private_index)
    kinds = sorted(record.kind for record in records.values())
    assert kinds == ["article"] + ["footer"] + ["headline"] * 8
    for record in records.values():
        assert sorted(Path(s.path).name for s in record.sources) == ["one.txt", "two.txt"]
    assert stats_of(private_index).headline_occurrences == 16


def test_page_named_twice_by_overlapping_paths_is_indexed_once(
    tmp_path: Path, seed_text: str, private_index: Path
) -> None:
    page = write_page(tmp_path / "crawl" / "2018", "one.txt", seed_text)
    report = indexer.index_paths([tmp_path / "crawl", page.parent, page], index=private_index)
    assert (report.pages_read, report.pages_seen) == (1, 1)
    stats = stats_of(private_index)
    assert (stats.pages_indexed, stats.headline_occurrences) == (1, 8)


def test_same_headline_at_another_time_is_another_record(
    tmp_path: Path, private_index: Path
) -> None:
    write_page(tmp_path / "p", "a.txt", "Title\nBody.\nGMT 10:00 2018 Friday ,14 December\nSame")
    write_page(tmp_path / "p", "b.txt", "Title\nBody.\nGMT 11:00 2018 Friday ,14 December\nSame")
    indexer.index_paths([tmp_path / "p"], index=private_index)
    assert stats_of(private_index).records["headline"] == 2


def test_page_read_again_drops_records_it_no_longer_holds(
    tmp_path: Path, private_index: Path
) -> None:
    page = write_page(
        tmp_path, "p.txt", "Title\nOld body.\nGMT 10:00 2018 Friday ,14 December\nOld"
    )
    other = write_page(tmp_path, "q.txt", "Other\nText.\nGMT 10:00 2018 Friday ,14 December\nOld")
    indexer.index_paths([page, other], index=private_index)
    write_page(tmp_path, "p.txt", "Title\nNew body.\nGMT 12:00 2018 Friday ,14 December\nNew")
    indexer.index_paths([page], index=private_index)
    records = all_records(private_index)
    texts = sorted(r.title if r.kind != "article" else r.text for r in records.values())
    assert texts == ["New", "New body.", "Old", "Text."]
    old_headline = next(r for r in records.values() if r.title == "Old")
    assert [Path(s.path).name for s in old_headline.sources] == ["q.txt"]


def test_rebuild_keeps_only_the_pages_of_this_run(tmp_path: Path, seeded_index: Path) -> None:
    other = write_page(tmp_path, "other.txt", "Another caption\nA paragraph about Brexit.")
    indexer.index_paths([other], index=seeded_index, rebuild=True)
    numbers = stats_of(seeded_index)
    assert numbers.records == {"article": 1, "headline": 0, "footer": 0}
    assert numbers.pages_indexed == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"  \n\n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")],
)
def test_unreadable_files_are_skipped_with_their_reason(
    tmp_path: Path, seed_text: str, private_index: Path, content: bytes, reason: str
) -> None:
    folder = tmp_path / "crawl"
    write_page(folder, "good.txt", seed_text)
    (folder / "bad.txt").write_bytes(content)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 1
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [("bad.txt", reason)]
    assert f"1 skipped (1 {reason})" in report.summary()
    numbers = stats_of(private_index)
    assert [(Path(s.path).name, s.reason) for s in numbers.skipped] == [("bad.txt", reason)]


def test_page_with_undecodable_bytes_is_indexed_with_them_replaced(
    tmp_path: Path, private_index: Path
) -> None:
    page = tmp_path / "latin1.txt"
    page.write_bytes("Caf\xe9 caption\nPrices rose in the caf\xe9.".encode("latin-1"))
    report = indexer.index_paths([page], index=private_index)
    assert report.pages_read == 1
    assert any("not UTF-8" in warning.message for warning in report.warnings)
    record = next(iter(all_records(private_index).values()))
    assert record.title == "Caf\ufffd caption"


def test_missing_path_is_skipped_and_other_paths_still_indexed(
    tmp_path: Path, private_index: Path
) -> None:
    report = indexer.index_paths([tmp_path / "nowhere", SEEDS], index=private_index)
    assert report.pages_read == 1
    assert report.skipped[0].reason == "no such file or folder"


def test_nothing_readable_raises_and_leaves_the_index_as_it_was(
    tmp_path: Path, seeded_index: Path
) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(indexer.NothingIndexed):
        indexer.index_paths([tmp_path / "empty.txt"], index=seeded_index, rebuild=True)
    assert stats_of(seeded_index).records["headline"] == 8


def test_folders_are_walked_for_txt_files_only(
    tmp_path: Path, seed_text: str, private_index: Path
) -> None:
    write_page(tmp_path / "c", "page.txt", seed_text)
    write_page(tmp_path / "c", "notes.md", "# not a page")
    report = indexer.index_paths([tmp_path / "c"], index=private_index)
    assert report.pages_seen == 1


def test_index_folder_is_readable_by_its_owner_only(seeded_index: Path) -> None:
    assert stat.S_IMODE(os.stat(seeded_index).st_mode) == 0o700


def test_folder_not_made_by_newsdex_is_refused(tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "data.bin").write_bytes(b"x")
    with pytest.raises(indexer.NotAnIndex):
        indexer.index_paths([SEEDS], index=stranger)
    with pytest.raises(indexer.NotAnIndex):
        search.open_index(stranger)
    assert sorted(p.name for p in stranger.iterdir()) == ["data.bin"]


def test_index_of_an_unknown_format_is_refused_with_a_rebuild_hint(seeded_index: Path) -> None:
    (seeded_index / MARKER_FILE).write_text('{"format": 999}')
    with pytest.raises(indexer.NotAnIndex, match="--rebuild"):
        search.open_index(seeded_index)


def test_stats_count_the_warnings_of_the_pages_read(tmp_path: Path, private_index: Path) -> None:
    # 14 December 2018 was a Friday: the stamp's Monday is wrong but harmless.
    page = write_page(tmp_path, "p.txt", "Title\nBody.\nGMT 10:00 2018 Monday ,14 December\nNews")
    report = indexer.index_paths([page], index=private_index)
    assert len(report.warnings) == 1
    assert "1 warning" in report.summary()
    assert stats_of(private_index).warnings == report.warnings
    assert stats_of(private_index).records["headline"] == 1


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG fallback is Linux's convention")
def test_index_location_is_option_then_environment_then_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert indexer.index_directory(tmp_path / "x") == tmp_path / "x"
    monkeypatch.setenv("NEWSDEX_INDEX", str(tmp_path / "env"))
    assert indexer.index_directory() == tmp_path / "env"
    monkeypatch.delenv("NEWSDEX_INDEX")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert indexer.index_directory() == tmp_path / "data" / "newsdex" / "index"


def test_exactly_one_whoosh_distribution_is_installed() -> None:
    import whoosh

    assert importlib.metadata.version("whoosh3") == whoosh.versionstring()
    for other in ("Whoosh", "Whoosh-Reloaded", "whoosh-ng"):
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.version(other)


def test_importing_the_libraries_prints_no_warning() -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import indexer, search, search.cli"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


def test_phrase_matches_only_words_in_that_order(tmp_path: Path, private_index: Path) -> None:
    pages = tmp_path / "pages"
    write_page(pages, "a.txt", "Caption one\n\nThe prime minister spoke to the press today.\n")
    write_page(pages, "b.txt", "Caption two\n\nThe minister was prime among equals here.\n")
    indexer.index_paths([pages], index=private_index)
    with search.open_index(private_index) as index:
        phrase = index.search('"prime minister"')
        words = index.search("prime minister")
    assert [hit.title for hit in phrase.hits] == ["Caption one"]
    assert len(words.hits) == 2


def test_word_of_one_document_is_found_after_later_runs_merge_segments(
    tmp_path: Path, private_index: Path
) -> None:
    # A word in one document keeps its postings in the term dictionary
    # (NewsdexCodec): they must survive Whoosh merging segments.
    pages = tmp_path / "pages"
    write_page(pages, "rare.txt", "Caption\n\nA zyxwvutsrq appeared.\n")
    indexer.index_paths([pages], index=private_index)
    for number in range(12):
        write_page(pages, f"more-{number}.txt", f"Caption {number}\n\nFiller {number}.\n")
        indexer.index_paths([pages], index=private_index)
    with search.open_index(private_index) as index:
        assert [hit.title for hit in index.search("zyxwvutsrq").hits] == ["Caption"]


def test_words_and_each_other_across_many_posting_blocks(
    tmp_path: Path, private_index: Path
) -> None:
    # Whoosh keeps 128 postings a block; an AND skips between blocks and then
    # within one (BisectingLeafMatcher): every page with both words is found.
    pages = tmp_path / "pages"
    for number in range(600):
        words = ["alpha"]
        words += ["beta"] if number % 3 == 0 else []
        words += ["gamma"] if number % 7 == 0 else []
        write_page(pages, f"{number:03}.txt", f"Caption {number}\n\n{' '.join(words)} text.\n")
    indexer.index_paths([pages], index=private_index)
    with search.open_index(private_index) as index:
        found = index.search("beta gamma", limit=100)
    assert sorted(hit.title for hit in found.hits) == sorted(
        f"Caption {number}" for number in range(0, 600, 21)
    )


@pytest.mark.usefixtures("bbc_news")
def test_build_whose_postings_pool_spills_to_disk_finds_what_an_in_memory_build_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.generate import write_pages
    from indexer import pool, session

    write_pages(tmp_path / "crawl", 60)
    in_memory = indexer.index_paths([tmp_path / "crawl"], index=tmp_path / "in-memory")
    spills = []
    spill = pool.PostingsPool._spill
    monkeypatch.setattr(pool.PostingsPool, "_spill", lambda self: spills.append(spill(self)))
    monkeypatch.setattr(session, "WRITER_POOL_MB", 0.1)
    spilled = indexer.index_paths([tmp_path / "crawl"], index=tmp_path / "spilled")
    assert len(spills) >= 3
    assert spilled.documents == in_memory.documents
    with (
        search.open_index(tmp_path / "in-memory") as expected,
        search.open_index(tmp_path / "spilled") as actual,
    ):
        assert actual.stats().records == expected.stats().records
        for query in ("government", "said the", '"prime minister"', "title:bank"):
            assert actual.search(query, limit=50).hits == expected.search(query, limit=50).hits
