"""Running `index` again reads only what changed and forgets what disappeared."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import write_page

import indexer
import search

STAMP = "GMT 10:00 2018 Friday ,14 December"


def page_text(title: str, body: str, *headlines: str) -> str:
    ticker = "".join(f"{STAMP}\n{headline}" for headline in headlines)
    return f"{title}\n{body}\n{ticker}\nAll rights reserved ©\n"


def counts(index_dir: Path) -> dict[str, int]:
    with search.open_index(index_dir) as opened:
        return opened.stats().records


def pages_of_headline(index_dir: Path, text: str) -> list[str]:
    with search.open_index(index_dir) as opened:
        hit = opened.headlines(f'"{text}"').hits[0]
        return sorted(Path(source.path).name for source in opened.record(hit.id).sources)


def test_unchanged_pages_are_not_read_again(tmp_path: Path, private_index: Path) -> None:
    write_page(tmp_path / "c", "a.txt", page_text("A", "Alpha.", "Shared news"))
    write_page(tmp_path / "c", "b.txt", page_text("B", "Bravo.", "Shared news"))
    first = indexer.index_paths([tmp_path / "c"], index=private_index)
    again = indexer.index_paths([tmp_path / "c"], index=private_index)
    assert (first.pages_read, first.pages_unchanged) == (2, 0)
    assert (again.pages_read, again.pages_unchanged) == (0, 2)
    assert "2 unchanged" in again.summary()
    assert counts(private_index) == {"article": 2, "headline": 1, "footer": 1}


def test_a_touched_but_identical_page_is_not_split_again(
    tmp_path: Path, private_index: Path
) -> None:
    page = write_page(tmp_path, "a.txt", page_text("A", "Alpha.", "News"))
    indexer.index_paths([page], index=private_index)
    os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    touched = indexer.index_paths([page], index=private_index)
    assert (touched.pages_read, touched.pages_unchanged) == (0, 1)
    assert indexer.index_paths([page], index=private_index).pages_unchanged == 1


def test_a_touched_page_keeps_its_records_and_their_pages(
    tmp_path: Path, private_index: Path
) -> None:
    page = write_page(tmp_path, "a.txt", page_text("A", "Alpha.", "News"))
    indexer.index_paths([page], index=private_index)
    before = counts(private_index)
    os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    indexer.index_paths([page], index=private_index)
    assert counts(private_index) == before
    with search.open_index(private_index) as opened:
        (hit,) = opened.search("alpha").hits
        assert [source.path for source in opened.record(hit.id).sources] == [str(page)]


def test_a_changed_page_is_read_again_and_its_old_records_go(
    tmp_path: Path, private_index: Path
) -> None:
    page = write_page(tmp_path, "a.txt", page_text("A", "Old text.", "Old news"))
    indexer.index_paths([page], index=private_index)
    write_page(tmp_path, "a.txt", page_text("A", "New text, longer.", "New news"))
    report = indexer.index_paths([page], index=private_index)
    assert report.pages_read == 1
    with search.open_index(private_index) as opened:
        assert opened.search("old").total == 0
        assert opened.search("new").total == 2
    assert counts(private_index) == {"article": 1, "headline": 1, "footer": 1}


def test_a_deleted_page_is_removed_with_the_records_only_it_held(
    tmp_path: Path, private_index: Path
) -> None:
    folder = tmp_path / "c"
    write_page(folder, "a.txt", page_text("A", "Alpha.", "Shared news", "Only on a"))
    write_page(folder, "b.txt", page_text("B", "Bravo.", "Shared news"))
    indexer.index_paths([folder], index=private_index)
    (folder / "a.txt").unlink()
    report = indexer.index_paths([folder], index=private_index)
    assert (report.pages_read, report.pages_unchanged, report.pages_removed) == (0, 1, 1)
    assert counts(private_index) == {"article": 1, "headline": 1, "footer": 1}
    assert pages_of_headline(private_index, "Shared news") == ["b.txt"]
    with search.open_index(private_index) as opened:
        assert opened.stats().pages_indexed == 1


def test_a_footer_losing_its_last_page_goes_away(tmp_path: Path, private_index: Path) -> None:
    page = write_page(tmp_path / "c", "a.txt", page_text("A", "Alpha.", "News"))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    page.unlink()
    write_page(tmp_path / "c", "b.txt", "B\nNo footer on this one.")
    indexer.index_paths([tmp_path / "c"], index=private_index)
    assert counts(private_index) == {"article": 1, "headline": 0, "footer": 0}


def test_a_headline_that_went_away_is_written_again_when_a_page_brings_it_back(
    tmp_path: Path, private_index: Path
) -> None:
    # Its id stays in Whoosh's term dictionary after the deletion: the index
    # must not take it for a record it still holds.
    page = write_page(tmp_path / "c", "a.txt", page_text("A", "Alpha.", "Returning news"))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    page.unlink()
    write_page(tmp_path / "c", "b.txt", page_text("B", "Bravo."))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    assert counts(private_index)["headline"] == 0
    write_page(tmp_path / "c", "c.txt", page_text("C", "Charlie.", "Returning news"))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    assert counts(private_index)["headline"] == 1
    assert pages_of_headline(private_index, "Returning news") == ["c.txt"]


def test_pages_outside_the_paths_of_a_run_are_kept(tmp_path: Path, private_index: Path) -> None:
    write_page(tmp_path / "one", "a.txt", page_text("A", "Alpha.", "News a"))
    write_page(tmp_path / "two", "b.txt", page_text("B", "Bravo.", "News b"))
    indexer.index_paths([tmp_path / "one"], index=private_index)
    indexer.index_paths([tmp_path / "two"], index=private_index)
    assert counts(private_index)["article"] == 2


def test_a_new_page_adds_its_source_to_a_headline_already_indexed(
    tmp_path: Path, private_index: Path
) -> None:
    write_page(tmp_path / "c", "a.txt", page_text("A", "Alpha.", "Shared news"))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    write_page(tmp_path / "c", "b.txt", page_text("B", "Bravo.", "Shared news"))
    report = indexer.index_paths([tmp_path / "c"], index=private_index)
    assert (report.pages_read, report.pages_unchanged) == (1, 1)
    assert pages_of_headline(private_index, "Shared news") == ["a.txt", "b.txt"]
    assert counts(private_index)["headline"] == 1


def test_a_headline_repeated_on_many_pages_is_written_once_and_counts_its_pages(
    tmp_path: Path, private_index: Path
) -> None:
    for number in range(30):
        write_page(tmp_path / "c", f"{number}.txt", page_text(f"T{number}", "Body.", "Repeated"))
    indexer.index_paths([tmp_path / "c"], index=private_index)
    with search.open_index(private_index) as opened:
        (hit,) = opened.headlines("Repeated").hits
        assert hit.pages == 30
        assert len(hit.sources) == 10
        assert len(opened.record(hit.id).sources) == 30
        assert opened.stats().headline_occurrences == 30
    assert counts(private_index)["headline"] == 1


def test_a_file_that_becomes_readable_is_indexed_on_the_next_run(
    tmp_path: Path, private_index: Path
) -> None:
    page = tmp_path / "c" / "a.txt"
    page.parent.mkdir()
    page.write_bytes(b"")
    write_page(tmp_path / "c", "b.txt", "B\nBravo.")
    first = indexer.index_paths([tmp_path / "c"], index=private_index)
    assert [skip.reason for skip in first.skipped] == ["empty"]
    assert indexer.index_paths([tmp_path / "c"], index=private_index).skipped == first.skipped
    write_page(tmp_path / "c", "a.txt", "A\nAlpha now.")
    assert indexer.index_paths([tmp_path / "c"], index=private_index).pages_read == 1
    assert counts(private_index)["article"] == 2


def test_a_touched_page_keeps_its_site_on_a_headline_a_changed_page_shares(
    tmp_path: Path, private_index: Path
) -> None:
    """The headline's sites were worked out without the touched page, as if it
    had gone: its site was dropped (found by the sharded tests)."""
    touched = write_page(tmp_path, "a.txt", page_text("A", "Alpha.", "Shared news"))
    dump = tmp_path / "d.jsonl"

    def write_dump(body: str) -> None:
        line = {"url": "https://y.example/b", "text": page_text("B", body, "Shared news")}
        dump.write_text(json.dumps(line) + "\n")

    write_dump("Bravo.")
    indexer.index_paths([touched, dump], index=private_index, site="x.example")
    os.utime(touched, ns=(1_000_000_000, 1_000_000_000))
    write_dump("Bravo again.")
    again = indexer.index_paths([touched, dump], index=private_index, site="x.example")
    assert (again.pages_read, again.pages_unchanged) == (1, 1)
    with search.open_index(private_index) as opened:
        (hit,) = opened.headlines("shared").hits
        assert hit.sites == ("x.example", "y.example")
