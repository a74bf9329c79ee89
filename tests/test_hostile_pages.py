"""Hostile pages: none crashes a run or keeps the other pages from being indexed.

Each test puts one hostile input beside a good page and checks that the good
page is indexed and the hostile one is indexed or skipped with its reason.
Big inputs are made in tmp_path, sparse or generated, so the tests stay quick.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import write_page
from hypothesis import given, settings
from hypothesis import strategies as st

import indexer
import search
from indexer import build
from indexer.pages import InputFile, Skipped, read_dump, read_page
from indexer.records import MAX_TITLE_CHARACTERS
from indexer.segment import MONTHS, WEEKDAYS, split_page
from search.cli import cli
from search.snippets import SEPARATOR, SNIPPET_CHARS

MB = 1024 * 1024
GOOD_PAGE = "A good caption\nA paragraph about Brexit.\n"


def crawl_with(tmp_path: Path, name: str, content: bytes | str) -> Path:
    """A folder holding a good page and the hostile ``name``."""
    folder = tmp_path / "crawl"
    write_page(folder, "good.txt", GOOD_PAGE)
    hostile = folder / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    hostile.write_bytes(content)
    return folder


def skips(report: indexer.IndexReport) -> list[tuple[str, str]]:
    return [(Path(skip.path).name, skip.reason) for skip in report.skipped]


def titles(index: Path, query: str, kind: str | None = None) -> list[str]:
    with search.open_index(index) as opened:
        return [hit.title for hit in opened.search(query, kind=kind, limit=50)]  # type: ignore[arg-type]


def test_an_empty_file_is_skipped_as_empty(tmp_path: Path, private_index: Path) -> None:
    report = indexer.index_paths([crawl_with(tmp_path, "empty.txt", b"")], index=private_index)
    assert report.pages_read == 1
    assert skips(report) == [("empty.txt", "empty")]


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image
        b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8,  # a gzip stream
        b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00>",  # a program
        bytes(range(1, 32)) * 64,  # control characters without a NUL
    ],
    ids=["png", "gzip", "elf", "control-characters"],
)
def test_a_binary_file_named_txt_is_skipped_as_binary(
    tmp_path: Path, private_index: Path, content: bytes
) -> None:
    report = indexer.index_paths([crawl_with(tmp_path, "photo.txt", content)], index=private_index)
    assert report.pages_read == 1
    assert skips(report) == [("photo.txt", "binary")]


def test_a_nul_byte_past_the_first_8_kb_keeps_the_page(tmp_path: Path, private_index: Path) -> None:
    content = b"Nul caption\n" + b"filler words here. " * 1000 + b"\x00 zanzibar tail.\n"
    folder = crawl_with(tmp_path, "nul.txt", content)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert titles(private_index, "zanzibar") == ["Nul caption"]


def test_a_dumped_page_with_a_nul_character_is_skipped_as_binary(
    tmp_path: Path, private_index: Path
) -> None:
    dump = tmp_path / "pages.jsonl"
    rows = [{"text": "Caption\nText\u0000more."}, {"text": GOOD_PAGE}]
    dump.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = indexer.index_paths([dump], index=private_index)
    assert report.pages_read == 1
    assert [skip.reason for skip in report.skipped] == ["binary"]


@settings(max_examples=300, deadline=None)
@given(head=st.binary(max_size=300), rest=st.sampled_from([b"", b"text\n" * 2000]))
def test_a_page_file_is_refused_or_read_as_its_bytes_sniffed_whole_would_be(
    head: bytes, rest: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """read_page sniffs the first 8 KB once, counting control bytes with one
    translate: the same verdict as the regular expression over the Latin-1
    text it replaced, and as decode_page on the whole page."""
    import re

    from indexer.pages import UnreadablePage, decode_page

    raw = head + rest
    sniffed = raw[:8192]
    controls = len(re.findall("[\x00-\x08\x0e-\x1f\x7f]", sniffed.decode("latin-1")))
    binary = b"\x00" in sniffed or controls > 0.25 * len(sniffed)
    path = tmp_path_factory.mktemp("page") / "page.txt"
    path.write_bytes(raw)
    outcomes = []
    for read in (lambda: read_page(str(path)), lambda: decode_page(raw)):
        try:
            page = read()
            outcomes.append(page.text if hasattr(page, "text") else page[0])
        except UnreadablePage as reason:
            outcomes.append(str(reason))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0] == "binary") == binary


def test_invalid_utf8_is_replaced_and_the_page_kept_with_a_warning(
    tmp_path: Path, private_index: Path
) -> None:
    content = b"Zebra \xff\xfe caption\nParagraph about caf\xe9s.\n"
    report = indexer.index_paths([crawl_with(tmp_path, "bad.txt", content)], index=private_index)
    assert report.pages_read == 2
    assert titles(private_index, "zebra") == ["Zebra \ufffd\ufffd caption"]
    assert any("not UTF-8 were replaced" in warning.message for warning in report.warnings)


def test_a_page_whose_file_name_is_not_utf8_is_indexed_and_then_unchanged(
    tmp_path: Path, private_index: Path, seed_text: str
) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(seed_text, encoding="utf-8")
    assert indexer.index_paths([folder], index=private_index).pages_read == 1
    again = indexer.index_paths([folder], index=private_index)
    assert (again.pages_read, again.pages_unchanged) == (0, 1)


def test_a_page_that_is_mostly_not_utf8_is_skipped(tmp_path: Path, private_index: Path) -> None:
    content = bytes(range(0x80, 0x100)) * 64
    report = indexer.index_paths([crawl_with(tmp_path, "junk.txt", content)], index=private_index)
    assert report.pages_read == 1
    assert skips(report) == [("junk.txt", "not UTF-8 text (most bytes are not UTF-8)")]


def test_a_100_mb_page_is_skipped_as_too_large_without_being_read(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = crawl_with(tmp_path, "huge.txt", b"")
    with open(folder / "huge.txt", "wb") as huge:
        huge.truncate(100 * MB)  # sparse: costs no disk
    opened: list[str] = []
    real_open = open

    def watching_open(path: str, *args: object, **kwargs: object) -> object:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("indexer.pages.open", watching_open, raising=False)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 1
    assert skips(report) == [("huge.txt", "too large (104,857,600 bytes, the limit is 52,428,800)")]
    assert str(folder / "huge.txt") not in opened


def test_max_page_bytes_sets_the_limit(tmp_path: Path, private_index: Path) -> None:
    folder = crawl_with(tmp_path, "long.txt", "Long caption\n" + "word " * 1000)
    report = indexer.index_paths([folder], index=private_index, max_page_bytes=4000)
    assert skips(report) == [("long.txt", "too large (5,013 bytes, the limit is 4,000)")]


def test_a_page_growing_past_the_limit_while_read_is_never_held_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "growing.txt"
    page.write_bytes(b"Caption\n" + b"text " * (2 * MB))  # 10 MB
    real_stat = os.stat

    def stat_taken_before_it_grew(path: str) -> os.stat_result:
        status = real_stat(path)
        return os.stat_result((*status[:6], 100, *status[7:]))  # st_size = 100

    monkeypatch.setattr("indexer.pages.os.stat", stat_taken_before_it_grew)
    tracemalloc.start()
    try:
        with pytest.raises(indexer.pages.UnreadablePage, match="too large"):
            read_page(str(page), max_bytes=1 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * MB


@pytest.mark.parametrize("stat_size", [0, 100, 8_192, 9_000, 20_000, 40_000])
@pytest.mark.parametrize("real_size", [10, 8_192, 8_193, 20_000])
def test_a_page_is_read_whole_whatever_size_its_stat_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stat_size: int, real_size: int
) -> None:
    """The rest of a page is asked for by its size: one that grew (or shrank)
    since is still read whole, up to the limit."""
    page = tmp_path / "page.txt"
    content = (b"Caption\n" + b"words and more words " * 2000)[:real_size]
    page.write_bytes(content)
    real_stat = os.stat

    def stat_of_another_moment(path: str) -> os.stat_result:
        status = real_stat(path)
        return os.stat_result((*status[:6], stat_size, *status[7:]))

    monkeypatch.setattr("indexer.pages.os.stat", stat_of_another_moment)
    assert read_page(str(page)).text == content.decode()
    with pytest.raises(indexer.pages.UnreadablePage, match="too large"):
        read_page(str(page), max_bytes=real_size - 1)


def test_a_dump_line_over_the_limit_is_skipped_and_never_held_whole(tmp_path: Path) -> None:
    dump = tmp_path / "pages.jsonl"
    long_text = "Caption\n" + "text " * (4 * MB)  # 20 MB
    with open(dump, "w", encoding="utf-8") as lines:
        lines.write(json.dumps({"url": "long", "text": long_text}) + "\n")
        lines.write(json.dumps({"url": "short", "text": GOOD_PAGE}) + "\n")
    del long_text
    tracemalloc.start()
    try:
        found = list(read_dump(str(dump), max_bytes=1 * MB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB  # the line read up to the limit, and chunks of the rest
    assert found[0] == Skipped(f"{dump}:1", "too large (over 1,048,576 bytes, the limit)")
    assert [page.key for page in found[1:]] == ["short"]  # type: ignore[union-attr]


def test_a_page_that_is_one_10_mb_line_is_indexed(tmp_path: Path, private_index: Path) -> None:
    words = " ".join(f"word{number % 5000}" for number in range(1_300_000))[: 10 * MB]
    folder = crawl_with(tmp_path, "one-line.txt", words)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert skips(report) == []
    assert [title[:20] for title in titles(private_index, "word4999")] == [words[:20]]


def test_a_ticker_of_10000_headlines_yields_10000_headlines(
    tmp_path: Path, private_index: Path
) -> None:
    start = datetime(2018, 1, 1, tzinfo=UTC)
    ticker = []
    for number in range(10_000):
        moment = start + timedelta(minutes=7 * number)
        stamp = (
            f"GMT {moment.hour}:{moment.minute:02d} {moment.year} "
            f"{WEEKDAYS[moment.weekday()]} ,{moment.day} {MONTHS[moment.month - 1]}"
        )
        ticker.append(f"{stamp}Headline number {number} on the wire")
    page = "Caption\nBody.\n" + "".join(ticker) + "Maintained and developed by us"
    report = indexer.index_paths([crawl_with(tmp_path, "ticker.txt", page)], index=private_index)
    assert report.records == {"article": 2, "headline": 10_000, "footer": 1}
    with search.open_index(private_index) as opened:
        assert opened.stats().headline_occurrences == 10_000


def test_an_impossible_stamp_stays_text_and_counts_as_a_warning(
    tmp_path: Path, private_index: Path
) -> None:
    page = "Caption\nBody.\nGMT 25:61 2018 Friday ,31 February Fake news\n"
    folder = crawl_with(tmp_path, "odd.txt", page)
    report = indexer.index_paths([folder], index=private_index)
    assert report.records == {"article": 2}
    assert report.warnings == (
        indexer.PageWarning(
            str(folder / "odd.txt"),
            "line 3: 'GMT 25:61 2018 Friday ,31 February' is not a possible date and time;"
            " kept as text",
        ),
    )
    assert titles(private_index, "fake") == ["Caption"]
    with search.open_index(private_index) as opened:
        assert opened.stats().warnings == report.warnings


@pytest.mark.parametrize(
    ("title", "query"),
    [
        (
            "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645",
            "\u0639\u0644\u064a\u0643\u0645",
        ),
        ("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "\u05e2\u05d5\u05dc\u05dd"),
        ("Cafe\u0301 re\u0301sume\u0301 zo\u0308e", "zo\u0308e"),
        ("Party \U0001f389 time \U0001f1eb\U0001f1f7 \u2764\ufe0f", "party"),
        ("\u202eevil\u202c override", "override"),
    ],
    ids=["arabic", "hebrew", "combining-marks", "emoji", "bidi-controls"],
)
def test_right_to_left_combining_marks_and_emoji_are_indexed_as_written(
    tmp_path: Path, private_index: Path, title: str, query: str
) -> None:
    folder = crawl_with(tmp_path, "script.txt", f"{title}\nBody text.\n")
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert titles(private_index, query) == [title]


def test_a_symlink_loop_in_a_folder_is_skipped_with_its_reason(
    tmp_path: Path, private_index: Path
) -> None:
    folder = crawl_with(tmp_path, "other.txt", "Other caption\nText.\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "back").symlink_to("..", target_is_directory=True)
    (folder / "loop").symlink_to("loop", target_is_directory=True)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert report.skipped == (
        indexer.Skipped(
            str(folder / "sub" / "back"), f"a link to a folder walked already ({folder})"
        ),
    )


def test_a_linked_folder_inside_a_walked_folder_is_indexed(
    tmp_path: Path, private_index: Path
) -> None:
    elsewhere = crawl_with(tmp_path / "elsewhere", "linked.txt", "Linked caption\nText.\n")
    folder = crawl_with(tmp_path, "other.txt", "Other caption\nText.\n")
    (folder / "more").symlink_to(elsewhere, target_is_directory=True)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 4
    assert titles(private_index, "linked") == ["Linked caption"]
    assert report.skipped == ()


def test_links_that_lead_nowhere_are_skipped_as_unreadable(
    tmp_path: Path, private_index: Path
) -> None:
    folder = crawl_with(tmp_path, "other.txt", "Other caption\nText.\n")
    (folder / "self.txt").symlink_to("self.txt")
    (folder / "dangling.txt").symlink_to("nowhere.txt")
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert skips(report) == [
        ("dangling.txt", "unreadable: No such file or directory"),
        ("self.txt", "unreadable: Too many levels of symbolic links"),
    ]


def test_a_named_pipe_is_skipped_without_blocking_the_run(
    tmp_path: Path, private_index: Path
) -> None:
    folder = crawl_with(tmp_path, "other.txt", "Other caption\nText.\n")
    os.mkfifo(folder / "pipe.txt")
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 2
    assert skips(report) == [("pipe.txt", "not a regular file")]


def vanishing_after_listing(monkeypatch: pytest.MonkeyPatch, doomed: Path, *, then: str) -> None:
    """Make ``doomed`` disappear (or unreadable) after the run listed its inputs."""
    real_find_inputs = build.find_inputs

    def find_then_lose(paths: object) -> Iterator[InputFile | Skipped]:
        found = list(real_find_inputs(paths))  # type: ignore[arg-type]
        if then == "remove":
            doomed.unlink()
        else:
            real_open = open

            def refusing_open(path: str, *args: object, **kwargs: object) -> object:
                if str(path) == str(doomed):
                    raise PermissionError(13, "Permission denied", str(path))
                return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

            # chmod 000 does not stop root, who runs the tests in CI containers.
            doomed.chmod(0)
            monkeypatch.setattr("indexer.pages.open", refusing_open, raising=False)
        return iter(found)

    monkeypatch.setattr(build, "find_inputs", find_then_lose)


@pytest.mark.parametrize(
    ("then", "reason"),
    [
        ("remove", "unreadable: No such file or directory"),
        ("chmod", "unreadable: Permission denied"),
    ],
)
def test_a_file_that_vanishes_or_turns_unreadable_mid_run_is_skipped(
    tmp_path: Path, private_index: Path, monkeypatch: pytest.MonkeyPatch, then: str, reason: str
) -> None:
    folder = crawl_with(tmp_path, "doomed.txt", "Doomed caption\nText.\n")
    vanishing_after_listing(monkeypatch, folder / "doomed.txt", then=then)
    report = indexer.index_paths([folder], index=private_index)
    assert report.pages_read == 1
    assert skips(report) == [("doomed.txt", reason)]
    assert titles(private_index, "brexit") == ["A good caption"]


def test_a_dump_cut_short_keeps_the_pages_before_the_cut(
    tmp_path: Path, private_index: Path
) -> None:
    import gzip

    dump = tmp_path / "pages.jsonl.gz"
    rows = "".join(
        json.dumps({"url": f"u{n}", "text": f"Caption {n}\nText."}) + "\n" for n in range(200)
    )
    whole = gzip.compress(rows.encode("utf-8"))
    dump.write_bytes(whole[: len(whole) * 3 // 4])
    report = indexer.index_paths([dump], index=private_index)
    assert report.pages_read > 0
    assert [(skip.path, skip.reason.split(":")[0]) for skip in report.skipped] == [
        (str(dump), "unreadable")
    ]


def test_index_max_page_mb_option_skips_larger_pages(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    folder = crawl_with(tmp_path, "big.txt", "Big caption\n" + "word " * (MB // 2))
    result = runner.invoke(cli, ["index", str(folder), "--max-page-mb", "1"])
    assert result.exit_code == 0
    assert f"skipped {folder / 'big.txt'}: too large (2,621,452 bytes" in result.stderr
    assert "2 pages seen: 1 indexed" in result.stderr


def test_a_page_skipped_as_too_large_is_read_once_the_limit_is_raised(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    folder = crawl_with(tmp_path, "big.txt", "Big caption\n" + "word " * (MB // 2))
    assert runner.invoke(cli, ["index", str(folder), "--max-page-mb", "1"]).exit_code == 0
    result = runner.invoke(cli, ["index", str(folder), "--max-page-mb", "3"])
    assert result.exit_code == 0
    assert (
        "2 pages seen: 1 indexed (1 article, 0 headlines, 0 footers), 1 unchanged, 0 skipped"
        in (result.stderr)
    )


@pytest.mark.parametrize("megabytes", ["0", "-1", "lots"])
def test_index_max_page_mb_must_be_a_positive_number(runner: CliRunner, megabytes: str) -> None:
    result = runner.invoke(cli, ["index", "--max-page-mb", megabytes])
    assert result.exit_code == 2
    assert "--max-page-mb" in result.stderr


def test_split_page_of_a_10_mb_line_of_stamps_takes_linear_time() -> None:
    # Each stamp scanned back to its line's start: this page took minutes.
    # It takes about a second now; the bound is generous for slow machines.
    text = "Title\n" + "x GMT 18:45 2018 Friday ,14 December " * 270_000
    started = time.monotonic()
    split = split_page(text)
    assert time.monotonic() - started < 30
    assert split.headlines == ()


def test_split_page_of_a_paragraph_broken_over_a_million_lines_takes_linear_time() -> None:
    # A broken paragraph was joined one line at a time, copying it each time.
    started = time.monotonic()
    split = split_page("Title\n" + "word\n" * 1_000_000)
    assert time.monotonic() - started < 30
    assert split.article is not None
    assert split.article.paragraphs == (" ".join(["word"] * 1_000_000),)


# Fuzz: split_page on hostile text ---------------------------------------------

HOSTILE_PIECES = [
    "GMT 18:45 2018 Friday ,14 December",
    "GMT 9:05 2019 Monday , 1 April",
    "GMT 25:61 2018 Friday ,31 February",
    "GMT 0:00 0000 Monday ,0 January",
    "GMT 23:59 9999 Friday ,31 December",
    "GMT 18:45 2018 Friday ,14 Decemberist",
    "Maintained and developed by",
    "Copyright",
    "©",
    "\x00",
    "\ufeff",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\u0627\u0644\u0633\u0644\u0627\u0645",
    "\u202e",
    "e\u0301\u0301",
    "\U0001f600\u200d\U0001f4bb",
    "\ud800",
    "headline text",
    "lowercase continuation",
]
HOSTILE_TEXT = st.tuples(
    st.lists(
        st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=8)),
        max_size=20,
    ).map("".join),
    st.integers(1, 2000),
).map(lambda text_times: text_times[0] * text_times[1])


def visible(text: str) -> Counter[str]:
    """Characters split_page keeps: not whitespace, not a BOM, not a lone surrogate."""
    return Counter(
        char
        for char in text
        if not char.isspace() and char != "\ufeff" and not 0xD800 <= ord(char) <= 0xDFFF
    )


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
def test_split_page_of_hostile_text_never_raises_nor_invents_text(text: str) -> None:
    split = split_page(text, "hostile.txt")
    pieces: list[str] = []
    if split.article is not None:
        pieces += [split.article.title, *split.article.paragraphs]
    pieces += [headline.text for headline in split.headlines]
    if split.footer is not None:
        pieces += split.footer.lines
    assert visible("".join(pieces)) <= visible(text)
    line_count = text.count("\n") + text.count("\r") + 1
    for record in split.records:
        assert record.id
        assert all(1 <= source.line <= line_count for source in record.sources)
    for headline in split.headlines:
        assert headline.published.tzinfo is UTC


@pytest.mark.parametrize(
    "page",
    [
        " ".join(["the police said"] * 100_000),
        "GMT 18:45 2018 Friday ,14 December " + " ".join(["the police said"] * 100_000),
    ],
    ids=["article-one-line", "headline-run-on"],
)
def test_a_one_line_page_never_floods_a_search(
    tmp_path: Path, private_index: Path, runner: CliRunner, page: str
) -> None:
    indexer.index_paths([crawl_with(tmp_path, "one-line.txt", page)], index=private_index)
    shown = runner.invoke(cli, ["search", "police"])
    assert shown.exit_code == 0
    assert len(shown.stdout) < 2 * (MAX_TITLE_CHARACTERS + SNIPPET_CHARS)
    found = runner.invoke(cli, ["search", "police", "--json"])
    (hit,) = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(hit["title"]) <= MAX_TITLE_CHARACTERS
    assert len(hit["snippet"]) <= SNIPPET_CHARS + 2 * len(SEPARATOR)
    assert [hit["snippet"][start:end] for start, end in hit["marks"]][:1] == ["police"]
