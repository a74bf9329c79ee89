"""JSON Lines dumps as input: one page per line, identified by url or by line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import indexer
import search


def write_dump(path: Path, rows: list[object], compress: bool = False) -> Path:
    data = "".join(
        (row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows
    ).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def page(title: str, headline: str = "Shared headline") -> str:
    return f"{title}\nSome body text.\nGMT 9:05 2018 Friday ,14 December\n{headline}"


@pytest.mark.parametrize("name", ["pages.jsonl", "pages.jsonl.gz", "pages.json.gz"])
def test_a_dump_indexes_one_page_per_line(tmp_path: Path, private_index: Path, name: str) -> None:
    names = ["alpha", "bravo", "charlie"]
    rows = [{"url": f"https://example.org/{n}", "text": page(f"Title {n}")} for n in names]
    dump = write_dump(tmp_path / name, rows, compress=name.endswith(".gz"))
    report = indexer.index_paths([dump], index=private_index)
    assert report.pages_read == 3
    with search.open_index(private_index) as opened:
        assert opened.stats().records == {"article": 3, "headline": 1, "footer": 0}
        hit = opened.search("bravo").hits[0]
        assert hit.sources == ("https://example.org/bravo",)


def test_a_dumped_page_without_url_is_named_by_dump_and_line(
    tmp_path: Path, private_index: Path
) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [{"text": page("First")}, {"text": page("Second")}])
    indexer.index_paths([dump], index=private_index)
    with search.open_index(private_index) as opened:
        assert opened.search("Second").hits[0].sources == (f"{dump}:2",)


def test_the_text_field_can_be_named(tmp_path: Path, private_index: Path) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [{"summary": page("Named field")}])
    fields = indexer.DumpFields(text=("summary",))
    report = indexer.index_paths([dump], index=private_index, fields=fields)
    assert report.pages_read == 1


def test_url_and_date_are_kept(tmp_path: Path, private_index: Path) -> None:
    row = {"url": "https://example.org/a", "timestamp": "2018-12-14T10:00:00Z", "text": page("A")}
    dump = write_dump(tmp_path / "d.jsonl", [row])
    indexer.index_paths([dump], index=private_index)
    from indexer.storage import document_to_page, open_storage, page_document_id

    storage = open_storage(private_index)
    with storage.searcher() as searcher:
        fields = searcher.document(id=page_document_id("https://example.org/a"))
    storage.close()
    kept = document_to_page(fields)
    assert (kept.url, kept.published) == ("https://example.org/a", "2018-12-14T10:00:00+00:00")


def test_bad_lines_are_skipped_with_their_reason_and_the_rest_indexed(
    tmp_path: Path, private_index: Path
) -> None:
    rows: list[object] = [
        "{not json",
        [1, 2],
        {"title": "no text"},
        {"text": "  "},
        {"text": page("Good")},
    ]
    dump = write_dump(tmp_path / "d.jsonl", rows)
    report = indexer.index_paths([dump], index=private_index)
    assert report.pages_read == 1
    reasons = [skip.category for skip in report.skipped]
    assert reasons == ["not JSON", "not a JSON object", "no text field", "empty"]
    assert report.skipped[0].path == f"{dump}:1"


def test_a_corrupt_gzip_dump_is_skipped_with_its_reason(
    tmp_path: Path, private_index: Path
) -> None:
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"this is not gzip")
    good = write_dump(tmp_path / "good.jsonl", [{"text": page("Good")}])
    report = indexer.index_paths([tmp_path], index=private_index)
    assert report.pages_read == 1
    assert [(Path(s.path).name, s.reason.split(":")[0]) for s in report.skipped] == [
        ("bad.jsonl.gz", "unreadable")
    ]
    assert good.exists()


def test_an_unchanged_dump_is_not_read_again(tmp_path: Path, private_index: Path) -> None:
    dump = write_dump(
        tmp_path / "d.jsonl", [{"url": f"u{n}", "text": page(f"T{n}")} for n in range(4)]
    )
    indexer.index_paths([dump], index=private_index)
    again = indexer.index_paths([dump], index=private_index)
    assert (again.pages_read, again.pages_unchanged) == (0, 4)


def test_a_changed_dump_rereads_only_changed_pages_and_drops_missing_ones(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [{"url": f"u{n}", "text": page(f"T{n}")} for n in range(4)]
    dump = write_dump(tmp_path / "d.jsonl", rows)
    indexer.index_paths([dump], index=private_index)
    rows = [*rows[:2], {"url": "u3", "text": page("T3 rewritten", "Another headline")}]
    write_dump(dump, rows)
    report = indexer.index_paths([dump], index=private_index)
    assert (report.pages_read, report.pages_unchanged, report.pages_removed) == (1, 2, 1)
    with search.open_index(private_index) as opened:
        assert opened.stats().records == {"article": 3, "headline": 2, "footer": 0}
        assert opened.search("rewritten").total == 1


def test_the_same_url_twice_in_a_run_is_indexed_once(tmp_path: Path, private_index: Path) -> None:
    rows = [{"url": "same", "text": page("First")}, {"url": "same", "text": page("Second")}]
    report = indexer.index_paths([write_dump(tmp_path / "d.jsonl", rows)], index=private_index)
    assert report.pages_read == 1
    assert [skip.reason for skip in report.skipped] == ["duplicate of a page read before (same)"]


def test_a_dump_that_breaks_off_keeps_the_pages_before_the_break(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [{"url": f"u{n}", "text": page(f"Page{n}")} for n in range(50)]
    data = gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode())
    dump = tmp_path / "cut.jsonl.gz"
    dump.write_bytes(data[: len(data) - 20])  # the end of the stream is missing
    first = indexer.index_paths([dump], index=private_index)
    assert first.pages_read > 0
    assert [skip.reason.split(":")[0] for skip in first.skipped] == ["unreadable"]
    again = indexer.index_paths([dump], index=private_index)
    assert (again.pages_read, again.pages_unchanged, again.pages_removed) == (
        0,
        first.pages_read,
        0,
    )
    with search.open_index(private_index) as opened:
        assert opened.stats().records["article"] == first.pages_read
