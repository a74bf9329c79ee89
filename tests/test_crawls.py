"""Crawl dumps as crawl tools write them: their fields, dates and sites."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import json_lines, newsdex, write_page

import indexer
import search

BODY = "The council met on Monday.\nIt voted for the plan."
TICKER = (
    "GMT 18:45 2018 Friday ,14 December French police prepare for a fifth wave of protests\n"
    "GMT 15:21 2018 Friday ,14 December Talks on the port strike go on\n"
)


def write_dump(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def only_hit(index: Path, query: str, **options: Any) -> search.Hit:
    with search.open_index(index) as opened:
        (hit,) = opened.search(query, **options).hits
    return hit


# --- fields -------------------------------------------------------------------

LAYOUTS = {
    "news-please": {
        "title": "Council backs the plan",
        "maintext": BODY,
        "date_publish": "2019-01-15 10:30:00",
        "url": "https://www.example.com/plan",
        "source_domain": "example.com",
    },
    "c4": {
        "text": f"Council backs the plan\n{BODY}",
        "timestamp": "2019-01-15T10:30:00Z",
        "url": "https://www.example.com/plan",
    },
    "fineweb": {
        "text": f"Council backs the plan\n{BODY}",
        "id": "<urn:uuid:1>",
        "dump": "CC-MAIN-2019-04",
        "url": "https://example.com/plan",
        "date": "2019-01-15T10:30:00Z",
        "language": "en",
    },
    "bbc-set": {
        "id": "politics/001",
        "title": "Council backs the plan",
        "body": BODY,
        "category": "politics",
    },
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_tools_layout_is_read_with_no_option(
    tmp_path: Path, private_index: Path, layout: str
) -> None:
    dump = write_dump(tmp_path / "dump.jsonl", [LAYOUTS[layout]])
    report = indexer.index_paths([dump], index=private_index)
    assert (report.pages_read, report.records) == (1, {"article": 1})
    hit = only_hit(private_index, "council")
    assert hit.title == "Council backs the plan"
    assert hit.snippet.text == "The council met on Monday. It voted for the plan."


@pytest.mark.parametrize("layout", ["news-please", "c4", "fineweb"])
def test_each_tools_layout_gives_a_dated_sited_article(
    tmp_path: Path, private_index: Path, layout: str
) -> None:
    indexer.index_paths([write_dump(tmp_path / "d.jsonl", [LAYOUTS[layout]])], index=private_index)
    hit = only_hit(private_index, "council")
    assert (hit.published, hit.sites) == (
        datetime(2019, 1, 15, 10, 30, tzinfo=UTC),
        ("example.com",),
    )


def test_a_title_already_heading_the_text_is_not_repeated(
    tmp_path: Path, private_index: Path
) -> None:
    row = {"title": "Council backs the plan", "text": f"Council backs the plan\n{BODY}"}
    indexer.index_paths([write_dump(tmp_path / "d.jsonl", [row])], index=private_index)
    with search.open_index(private_index) as opened:
        record = opened.record(opened.search("council").hits[0].id)
    assert isinstance(record, indexer.Article)
    assert record.paragraphs == ("The council met on Monday.", "It voted for the plan.")


def test_fields_can_be_named_with_the_first_present_winning(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [
        {"story": BODY, "heading": "First", "when": "2019-01-15", "link2": "https://a.org/1"},
        {"summary": BODY + " Again.", "heading": "Second", "when": "2019-01-16"},
    ]
    fields = indexer.DumpFields(
        text=("story", "summary"), title=("heading",), date=("when",), url=("link2",)
    )
    dump = write_dump(tmp_path / "d.jsonl", rows)
    report = indexer.index_paths([dump], index=private_index, fields=fields)
    assert report.pages_read == 2
    with search.open_index(private_index) as opened:
        found = opened.search("council", sort="oldest").hits
    assert [(hit.title, hit.published, hit.sources) for hit in found] == [
        ("First", datetime(2019, 1, 15, tzinfo=UTC), ("https://a.org/1",)),
        ("Second", datetime(2019, 1, 16, tzinfo=UTC), (f"{dump}:2",)),
    ]


def test_the_command_line_names_fields_with_options(runner: CliRunner, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [{"story": BODY, "heading": "Named"}])
    result = newsdex(
        runner, "index", str(dump), "--text-field", "story", "--title-field", "x,heading"
    )
    assert result.exit_code == 0, result.stderr
    found = json_lines(newsdex(runner, "search", "council", "--json").stdout)
    assert [hit["title"] for hit in found] == ["Named"]


def test_a_line_without_text_is_skipped_naming_its_fields_and_the_option(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [{"title": "Good", "text": BODY}, {"headline": "No text", "summary": "x", "id": 3}]
    report = indexer.index_paths([write_dump(tmp_path / "d.jsonl", rows)], index=private_index)
    (skip,) = report.skipped
    assert skip.reason == (
        "no text field (text is read from 'text' or 'maintext' or 'body' or 'content';"
        " this line has 'headline', 'id', 'summary'): name it with --text-field"
    )


def test_a_dump_of_which_no_line_is_usable_is_one_skip(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [{"summary": "x", "n": n} for n in range(500)])
    result = newsdex(runner, "index", str(dump))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"skipped {dump}: no usable line (500 lines): no text field (text is read from"
        " 'text' or 'maintext' or 'body' or 'content'; this line has 'n', 'summary'):"
        " name it with --text-field",
        f"Error: no readable page found in {dump} (1 page seen: 0 indexed (0 articles, 0"
        f" headlines, 0 footers), 1 skipped (1 no usable line) -> {private_index})",
    ]


def test_lines_skipped_before_a_usable_one_are_each_reported(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [{"summary": "x"}, {"summary": "y"}, {"text": BODY}]
    dump = write_dump(tmp_path / "d.jsonl", rows)
    report = indexer.index_paths([dump], index=private_index)
    assert [skip.path for skip in report.skipped] == [f"{dump}:1", f"{dump}:2"]
    assert report.pages_read == 1


# --- dates --------------------------------------------------------------------


def dated_dump(tmp_path: Path) -> Path:
    rows = [
        {"title": f"Story {n}", "text": f"Story {n} about the harbour.", "date": when}
        for n, when in enumerate(
            [
                "2019-01-15T10:30:00Z",
                "Wed, 16 Jan 2019 08:00:00 GMT",
                "2019-01-17 12:00:00",
                1547800000,
            ]
        )
    ]
    rows.append({"title": "Story undated", "text": "Story about the harbour."})
    return write_dump(tmp_path / "dated.jsonl", rows)


def test_dumped_articles_are_dated_and_sorted_by_date(tmp_path: Path, private_index: Path) -> None:
    indexer.index_paths([dated_dump(tmp_path)], index=private_index)
    with search.open_index(private_index) as opened:
        newest = [hit.title for hit in opened.search("harbour", sort="newest").hits]
        oldest = [hit.title for hit in opened.search("harbour", sort="oldest").hits]
    assert newest == ["Story 3", "Story 2", "Story 1", "Story 0", "Story undated"]
    assert oldest == ["Story 0", "Story 1", "Story 2", "Story 3", "Story undated"]


def test_since_and_until_keep_dated_articles_in_the_range(
    tmp_path: Path, private_index: Path
) -> None:
    indexer.index_paths([dated_dump(tmp_path)], index=private_index)
    with search.open_index(private_index) as opened:
        found = opened.search("harbour", since="2019-01-16", until="2019-01-17").hits
    assert sorted(hit.title for hit in found) == ["Story 1", "Story 2"]


def test_show_and_json_give_an_articles_date(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    indexer.index_paths([dated_dump(tmp_path)], index=private_index)
    hits = json_lines(newsdex(runner, "search", "story", "--json").stdout)
    (hit,) = [hit for hit in hits if hit["title"] == "Story 0"]  # all five tie on "story"
    assert hit["published"] == "2019-01-15T10:30:00Z"
    shown = newsdex(runner, "show", hit["id"], "--json")
    assert json.loads(shown.stdout)["published"] == "2019-01-15T10:30:00Z"


def test_an_unreadable_date_leaves_the_article_undated_with_a_warning_naming_the_line(
    tmp_path: Path, private_index: Path
) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [{"text": BODY, "date": "next week", "url": "u"}])
    report = indexer.index_paths([dump], index=private_index)
    assert report.warnings == (
        indexer.PageWarning(
            "u", f"{dump}:1: not a date in a known format: 'next week'; the article is undated"
        ),
    )
    assert only_hit(private_index, "council").published is None


def test_a_txt_pages_article_stays_undated(tmp_path: Path, private_index: Path) -> None:
    page = write_page(tmp_path / "pages", "p.txt", f"Caption\n{BODY}\n{TICKER}")
    indexer.index_paths([page], index=private_index)
    assert only_hit(private_index, "council").published is None


# --- sites --------------------------------------------------------------------


def test_a_site_comes_from_the_site_field_then_the_url_then_the_option(
    tmp_path: Path, private_index: Path
) -> None:
    rows = [
        {"text": "Alpha harbour.", "site": "Alpha.ORG", "url": "https://www.other.org/1"},
        {"text": "Beta harbour.", "url": "https://www.Beta.org/news/1"},
        {"text": "Gamma harbour."},
    ]
    indexer.index_paths(
        [write_dump(tmp_path / "d.jsonl", rows)], index=private_index, site="gamma.org"
    )
    with search.open_index(private_index) as opened:
        found = {hit.title: hit.sites for hit in opened.search("harbour").hits}
    assert found == {
        "Alpha harbour.": ("alpha.org",),
        "Beta harbour.": ("beta.org",),
        "Gamma harbour.": ("gamma.org",),
    }


def test_txt_pages_take_the_site_given_to_their_run(tmp_path: Path, private_index: Path) -> None:
    page = write_page(tmp_path / "pages", "p.txt", f"Caption\n{BODY}\n{TICKER}")
    indexer.index_paths([page], index=private_index, site="www.Example.com")
    with search.open_index(private_index) as opened:
        assert {hit.sites for hit in opened.search("strike OR council", kind="all").hits} == {
            ("example.com",)
        }


def multi_site_crawl(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The same ticker on a page of each of three sites: two in one dump, one a file."""
    rows = [
        {"text": f"Alpha caption\nAlpha story.\n{TICKER}", "url": "https://alpha.org/1"},
        {"text": f"Beta caption\nBeta story.\n{TICKER}", "url": "https://beta.org/1"},
    ]
    dump = write_dump(tmp_path / "crawl" / "dump.jsonl", rows)
    page = write_page(tmp_path / "gamma", "g.txt", f"Gamma caption\nGamma story.\n{TICKER}")
    return tmp_path / "crawl", page.parent, dump


def headline_sites(index: Path) -> tuple[str, ...]:
    return only_hit(index, "strike", kind="headline").sites


def test_a_headline_seen_on_several_sites_in_one_run_names_them_all(
    tmp_path: Path, private_index: Path
) -> None:
    crawl, _, _ = multi_site_crawl(tmp_path)
    report = indexer.index_paths([crawl], index=private_index)
    assert headline_sites(private_index) == ("alpha.org", "beta.org")
    with search.open_index(private_index) as opened:
        assert opened.stats().records == {"article": 2, "headline": 2, "footer": 0}
    assert report.documents == 2 + 2 + 2 + 1  # records, pages, the dump's own entry


def test_a_headline_seen_on_another_site_in_a_later_run_names_it_too(
    tmp_path: Path, private_index: Path
) -> None:
    crawl, gamma, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    indexer.index_paths([gamma], index=private_index, site="gamma.org")
    assert headline_sites(private_index) == ("alpha.org", "beta.org", "gamma.org")


def test_a_site_whose_pages_are_gone_is_no_longer_named(
    tmp_path: Path, private_index: Path
) -> None:
    crawl, gamma, dump = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    indexer.index_paths([gamma], index=private_index, site="gamma.org")
    rows = [json.loads(line) for line in dump.read_text().splitlines()]
    write_dump(dump, rows[:1])  # beta's page is gone from the dump
    indexer.index_paths([crawl], index=private_index)
    assert headline_sites(private_index) == ("alpha.org", "gamma.org")


def test_a_headline_left_only_on_a_page_without_a_site_names_none(
    tmp_path: Path, private_index: Path
) -> None:
    # In one run, gamma.org's page goes and a page without a site, holding
    # the same ticker, comes: the headline's sites are read from the index
    # only then (the page without a site never needs them), and all go.
    _, gamma, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([gamma], index=private_index, site="gamma.org")
    assert headline_sites(private_index) == ("gamma.org",)
    (gamma / "g.txt").unlink()
    write_page(gamma, "plain.txt", f"Plain caption\nPlain story.\n{TICKER}")
    indexer.index_paths([gamma], index=private_index)
    assert headline_sites(private_index) == ()


def test_sites_written_in_two_processes_are_those_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Enough pages for both writer processes to get some: the ticker's
    # headlines reach each process's segment from pages of both sites.
    rows = [
        {"text": f"Caption {n}\nStory {n}.\n{TICKER}", "url": f"https://{site}/{n}"}
        for n in range(400)
        for site in ("alpha.org", "beta.org")
    ]
    crawl = write_dump(tmp_path / "crawl" / "dump.jsonl", rows).parent
    indexer.index_paths([crawl], index=tmp_path / "one")
    monkeypatch.setattr("indexer.session.PARALLEL_MIN_BYTES", 0)
    indexer.index_paths([crawl], index=tmp_path / "two")
    assert headline_sites(tmp_path / "two") == headline_sites(tmp_path / "one")
    with search.open_index(tmp_path / "two") as two, search.open_index(tmp_path / "one") as one:
        assert two.stats().records == one.stats().records
        assert two.stats().segments == 2  # really written by two processes


def test_search_and_headlines_keep_the_sites_asked_for(tmp_path: Path, private_index: Path) -> None:
    crawl, gamma, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    indexer.index_paths([gamma], index=private_index, site="gamma.org")
    with search.open_index(private_index) as opened:
        assert [hit.title for hit in opened.search("story", site="beta.org").hits] == [
            "Beta caption"
        ]
        either = opened.search("story", site=["alpha.org", "www.Gamma.org"]).hits
        assert sorted(hit.title for hit in either) == ["Alpha caption", "Gamma caption"]
        assert opened.headlines(site="gamma.org").total == 2
        assert opened.search("story", site="nowhere.org").total == 0


def test_json_hits_give_one_site_or_a_list(
    runner: CliRunner, tmp_path: Path, private_index: Path
) -> None:
    crawl, _, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    article = json_lines(newsdex(runner, "search", "alpha", "--json").stdout)[0]
    headline = json_lines(
        newsdex(runner, "search", "strike", "--json", "--site", "beta.org").stdout
    )
    assert article["site"] == "alpha.org"
    assert [hit["site"] for hit in headline] == [["alpha.org", "beta.org"]]


def test_stats_count_records_by_site(tmp_path: Path, private_index: Path) -> None:
    crawl, gamma, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    indexer.index_paths([gamma], index=private_index, site="gamma.org")
    with search.open_index(private_index) as opened:
        assert opened.stats().sites == {"alpha.org": 3, "beta.org": 3, "gamma.org": 3}


def test_show_names_the_site_of_every_page(tmp_path: Path, private_index: Path) -> None:
    crawl, _, _ = multi_site_crawl(tmp_path)
    indexer.index_paths([crawl], index=private_index)
    with search.open_index(private_index) as opened:
        record = opened.record(opened.search("strike", kind="headline").hits[0].id)
    assert [(source.path, source.site) for source in record.sources] == [
        ("https://alpha.org/1", "alpha.org"),
        ("https://beta.org/1", "beta.org"),
    ]
