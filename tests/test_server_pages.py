"""``newsdex serve``'s pages as the server renders them, without a browser: the search
page's form, results, totals, links and errors, and the record page."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from helpers import AL_JAAFARI, ARTICLE_TITLE, SEEDS, TURKEY, write_page
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

import indexer
from search.parameters import MAX_LIMIT, SearchRequest, search_request
from search.server import create_app


def links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a [^>]*href="([^"]*)"', page)]


def link_named(page: str, text: str) -> str:
    """The address of the link whose text is ``text``."""
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', page, re.DOTALL):
        if re.sub(r"<[^>]+>", "", inner).strip() == text:
            return html.unescape(href)
    raise AssertionError(f"no link {text!r}")


def state(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


# --- the form ----------------------------------------------------------------------------


def test_the_home_page_is_a_search_form_with_every_control_labelled(api: TestClient) -> None:
    page = api.get("/").text
    assert '<form class="search" action="/" method="get" role="search">' in page
    controls = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', page)
    assert set(controls) == {"q", "kind", "since", "until", "sort", "any"}
    for control in controls:
        assert f'<label for="{control}">' in page, control


def test_the_home_page_says_how_to_search_and_shows_no_results(api: TestClient) -> None:
    page = api.get("/").text
    assert 'class="results"' not in page
    assert '<code>"yellow vest"</code>' in page


def test_the_form_shows_the_search_it_made(api: TestClient) -> None:
    page = api.get(
        "/",
        params={
            "q": "syria",
            "kind": "headline",
            "since": "2018-12-14",
            "sort": "newest",
            "any": "1",
        },
    ).text
    assert 'id="q" name="q" type="search" value="syria"' in page
    assert '<option value="headline" selected>' in page
    assert 'id="since" name="since" value="2018-12-14"' in page
    assert '<option value="newest" selected>' in page
    assert 'id="any" name="any" type="checkbox" value="1" checked' in page


# --- results -----------------------------------------------------------------------------


def test_results_show_titles_marks_dates_sources_and_the_exact_total(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria"}).text
    assert 'Hits 1\u20133 of 3 <span class="took">' in page
    assert page.count('<li class="hit">') == 3
    assert "affair in <mark>Syria</mark></a>" in page  # a headline: its text, marked
    assert '<time datetime="2018-12-14T15:21:00Z">2018-12-14 15:21 UTC</time>' in page
    assert "000_e90479ad7ef70cfc.txt</p>" in page


def test_an_article_hit_shows_its_title_and_a_marked_snippet(api: TestClient) -> None:
    page = api.get("/", params={"q": "Assad"}).text
    assert f">{ARTICLE_TITLE}</a></h2>" in page
    assert re.search(r'<p class="snippet">[^<]*<mark>Assad</mark>', page)


def test_each_hit_links_to_its_record_page(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria"}).text
    record_links = [href for href in links(page) if href.startswith("/records/")]
    assert len(record_links) == 3
    for href in record_links:
        assert api.get(href).status_code == 200


def test_no_hits_says_so_with_status_200(api: TestClient) -> None:
    response = api.get("/", params={"q": "zebra"})
    assert response.status_code == 200
    assert '<p id="summary" class="summary">No hits.</p>' in response.text


def test_did_you_mean_links_to_the_corrected_search_keeping_the_rest(api: TestClient) -> None:
    page = api.get("/", params={"q": "syira", "kind": "headline"}).text
    assert state(link_named(page, "syria")) == {"q": "syria", "kind": "headline"}


def test_the_any_hint_links_to_the_search_with_any_of_the_words(api: TestClient) -> None:
    page = api.get("/", params={"q": "Brexit Hodeida"}).text
    assert "No record has all the words;" in page
    assert state(link_named(page, "2 have any of them")) == {"q": "Brexit Hodeida", "any": "1"}


# --- pages of hits -----------------------------------------------------------------------


def test_numbered_pages_come_from_the_exact_total(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria", "limit": "1"}).text
    assert "Hits 1\u20131 of 3" in page
    assert '<span class="current" aria-current="page">1</span>' in page
    assert state(link_named(page, "2")) == {"q": "syria", "limit": "1", "offset": "1"}
    assert state(link_named(page, "3")) == {"q": "syria", "limit": "1", "offset": "2"}
    assert state(link_named(page, "Next")) == {"q": "syria", "limit": "1", "offset": "1"}
    assert "Previous" not in page


def test_the_last_page_links_back_and_not_forward(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria", "limit": "1", "offset": "2"}).text
    assert "Hits 3\u20133 of 3" in page
    assert state(link_named(page, "Previous")) == {"q": "syria", "limit": "1", "offset": "1"}
    assert "Next" not in page


def test_an_offset_past_the_hits_says_so_and_links_to_the_first(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria", "offset": "30"}).text
    assert "No hits past 30 (3 in all)" in page
    assert state(link_named(page, "back to the first")) == {"q": "syria"}
    assert 'class="pagination"' not in page


def test_page_links_keep_every_filter(api: TestClient) -> None:
    wanted = {"q": "syria OR brexit", "kind": "headline", "until": "2018-12-14", "limit": "1"}
    page = api.get("/", params=wanted).text
    assert state(link_named(page, "Next")) == {**wanted, "offset": "1"}


def test_many_pages_are_numbered_around_the_current_one_with_gaps(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    for number in range(30):
        write_page(folder, f"{number:02}.txt", f"Page {number}\nHarbour news number {number}.\n")
    indexer.index_paths([folder], index=tmp_path / "many")
    with TestClient(create_app(tmp_path / "many")) as client:
        page = client.get("/", params={"q": "harbour", "limit": "2", "offset": "14"}).text
    numbers = re.findall(r'aria-label="Page (\d+)"|aria-current="page">(\d+)<|class="gap"', page)
    shown = [a or b or "…" for a, b in numbers]
    assert shown == ["1", "…", "6", "7", "8", "9", "10", "…", "15"]


# --- sites and the timeline --------------------------------------------------------------


def site_options(page: str) -> list[tuple[str, str]]:
    """The site control's options: (value, text), a selected one's text starred."""
    control = re.search(r'<select id="site".*?</select>', page, re.DOTALL)
    assert control is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', control[0])
    return [(value, text + ("*" if selected else "")) for value, selected, text in options]


def test_the_site_control_offers_the_sites_of_the_matches_most_first(
    crawl_api: TestClient,
) -> None:
    by_site = crawl_api.get("/api/count", params={"q": "port", "by": "site"}).json()["buckets"]
    page = crawl_api.get("/", params={"q": "port"}).text
    assert site_options(page) == [
        ("", "any site*"),
        *((b["key"], f"{b['key']} ({b['count']})") for b in by_site if b["key"]),
    ]
    assert len(site_options(page)) == 4


def test_the_chosen_site_stays_offered_beside_the_others(crawl_api: TestClient) -> None:
    page = crawl_api.get("/", params={"q": "port", "site": "valley-post.example"}).text
    assert ("valley-post.example", "valley-post.example (1)*") in site_options(page)
    assert ("citywire.example", "citywire.example (1)") in site_options(page)
    assert "Hits 1\u20131 of 1" in page


def test_a_site_asked_for_with_no_match_is_still_offered(crawl_api: TestClient) -> None:
    page = crawl_api.get("/", params={"q": "port", "site": "elsewhere.example"}).text
    assert ("elsewhere.example", "elsewhere.example*") in site_options(page)


def test_an_index_without_sites_has_no_site_control(api: TestClient) -> None:
    assert 'id="site"' not in api.get("/", params={"q": "syria"}).text


def test_hits_show_their_site(crawl_api: TestClient) -> None:
    page = crawl_api.get("/", params={"q": "tram"}).text
    assert '<span class="site">harbour-times.example</span>' in page


def test_the_timeline_draws_a_bar_a_day_each_linking_to_its_day(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria OR brexit OR yemen", "kind": "headline"}).text
    bars = re.findall(r'<a href="([^"]*)" aria-label="([^"]*)">', page)
    assert [label for _, label in bars] == ["2018-12-13: 2 records", "2018-12-14: 2 records"]
    assert state(html.unescape(bars[0][0])) == {
        "q": "syria OR brexit OR yemen",
        "kind": "headline",
        "since": "2018-12-13",
        "until": "2018-12-13",
    }
    assert "4 dated records by day: a bar narrows the dates" in page


def test_following_a_bar_narrows_the_results_to_its_dates(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria OR brexit OR yemen"}).text
    [first, _] = re.findall(r'<a href="([^"]*)" aria-label="20', page)
    narrowed = api.get("/" + html.unescape(first)).text
    assert "Hits 1\u20132 of 2" in narrowed
    assert 'id="until" name="until" value="2018-12-13"' in narrowed


def test_the_timeline_counts_the_undated_apart(api: TestClient) -> None:
    page = api.get("/", params={"q": "syria OR brexit OR yemen"}).text
    assert "4 dated records by day, 1 undated" in page


def test_the_timeline_runs_from_the_first_match_to_the_last(crawl_api: TestClient) -> None:
    page = crawl_api.get("/", params={"q": "port OR strike OR tram OR syria"}).text
    labels = re.findall(r'aria-label="(\d{4}-[^":]*): ', page)
    assert (labels[0], labels[-1], len(labels)) == ("2018-12-14", "2019-03-05", 82)


def test_no_timeline_when_the_matches_are_on_one_day(api: TestClient) -> None:
    assert "<svg" not in api.get("/", params={"q": "brexit"}).text


# --- errors ------------------------------------------------------------------------------


def test_a_query_it_cannot_read_is_shown_with_its_hint_and_status_400(api: TestClient) -> None:
    response = api.get("/", params={"q": '"yellow vest'})
    assert response.status_code == 400
    assert "unbalanced quote in query &#39;&#34;yellow vest&#39;" in response.text
    assert "close the phrase with a second &#34;" in response.text
    assert 'value="&#34;yellow vest"' in response.text  # still in the box, to mend


def test_a_bad_parameter_on_the_page_is_shown_with_status_400(api: TestClient) -> None:
    response = api.get("/", params={"q": "syria", "limit": "ten"})
    assert response.status_code == 400
    assert "limit must be a whole number" in response.text


def test_unknown_parameters_on_the_page_are_ignored(api: TestClient) -> None:
    response = api.get("/", params={"q": "syria", "utm_source": "mail"})
    assert response.status_code == 200
    assert "Hits 1\u20133 of 3" in response.text


def test_an_unknown_path_is_a_404_page(api: TestClient) -> None:
    response = api.get("/search")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "no such page: /search" in response.text


# --- the record page ---------------------------------------------------------------------


def test_the_record_page_shows_the_whole_article(api: TestClient) -> None:
    record_id = api.get("/api/search", params={"q": "Assad"}).json()["hits"][0]["id"]
    page = api.get(f"/records/{record_id}").text
    assert f"<h1>{ARTICLE_TITLE}</h1>" in page
    assert page.count("<p>") >= 12  # every paragraph
    assert "Seen on 1 page</h2>" in page


def test_the_record_page_lists_every_page_it_was_seen_on_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    seed = (SEEDS / "000_e90479ad7ef70cfc.txt").read_text(encoding="utf-8")
    for number in range(12):
        write_page(folder, f"copy{number:02}.txt", seed)
    indexer.index_paths([folder], index=tmp_path / "copies")
    with TestClient(create_app(tmp_path / "copies")) as client:
        [hit] = client.get("/api/search", params={"q": "Manbij"}).json()["hits"]
        page = client.get(f"/records/{hit['id']}").text
    assert f"<h1>{TURKEY}</h1>" in page
    assert "Seen on 12 pages</h2>" in page
    assert len(re.findall(r"<code>[^<]*copy\d\d\.txt</code>", page)) == 12
    assert page.count('<span class="line">line 17</span>') == 12


def test_a_headline_record_page_shows_its_time(api: TestClient) -> None:
    record_id = api.get("/api/search", params={"q": "Jaafari"}).json()["hits"][0]["id"]
    page = api.get(f"/records/{record_id}").text
    assert f"<h1>{AL_JAAFARI}</h1>" in page
    assert "2018-12-14 15:21 UTC</time>" in page


def test_an_unknown_record_page_is_a_404_page(api: TestClient) -> None:
    response = api.get("/records/h-0000000000000000")
    assert response.status_code == 404
    assert "no record with id &#39;h-0000000000000000&#39;" in response.text


# --- links reproduce searches ------------------------------------------------------------

REQUESTS = st.builds(
    SearchRequest,
    query=st.text(max_size=30),
    kind=st.sampled_from([None, "article", "headline", "footer", "all"]),
    since=st.one_of(st.none(), st.text(min_size=1, max_size=12)),
    until=st.one_of(st.none(), st.text(min_size=1, max_size=12)),
    sites=st.lists(st.text(min_size=1, max_size=12), max_size=3).map(tuple),
    sort=st.sampled_from(["relevance", "newest", "oldest"]),
    limit=st.integers(1, MAX_LIMIT),
    offset=st.integers(0, 10**6),
    match=st.sampled_from(["all", "any"]),
)


@given(wanted=REQUESTS)
def test_a_search_read_back_from_its_link_is_the_same_search(wanted: SearchRequest) -> None:
    pairs = parse_qsl(wanted.query_string(), keep_blank_values=True)
    assert search_request(pairs) == wanted


def test_a_link_leaves_the_defaults_out() -> None:
    assert SearchRequest(query="syria").query_string() == "q=syria"
    assert SearchRequest(query="a b", offset=10).query_string(offset=0) == "q=a+b"


@pytest.mark.parametrize("text", ["", " "])
def test_a_search_page_with_no_query_runs_no_search(api: TestClient, text: str) -> None:
    page = api.get("/", params={"q": text}).text
    assert 'class="results"' not in page
