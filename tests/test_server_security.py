"""``newsdex serve``'s defences: text from pages is escaped wherever it appears, every answer
carries the security headers, other web pages and other host names are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import HOSTILE_TEXTS, hostile_page, write_page
from starlette.testclient import TestClient

import indexer
from search.server import LOOPBACK_NAMES, create_app

EVERY_KIND_OF_ANSWER = [
    "/",
    "/?q=hostile&kind=all",
    "/?q=%22hostile",
    "/api/search?q=hostile",
    "/api/search?q=%22hostile",
    "/api/headlines",
    "/api/stats",
    "/api/openapi.json",
    "/healthz",
    "/api/records/nope",
    "/records/nope",
    "/nope",
    "/static/newsdex.css",
    "/static/newsdex.js",
]


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    page = write_page(tmp_path / "pages", "hostile.txt", hostile_page())
    indexer.index_paths([page], index=tmp_path / "hostile")
    return tmp_path / "hostile"


@pytest.fixture
def hostile(hostile_index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(hostile_index)) as client:
        yield client


def record_ids(client: TestClient) -> list[str]:
    hits = client.get("/api/search", params={"q": "hostile", "kind": "all"}).json()["hits"]
    return [hit["id"] for hit in hits]


def assert_shown_as_text(page: str) -> None:
    """No hostile markup made it into the page as markup; it is there, escaped."""
    for text in HOSTILE_TEXTS:
        assert text not in page
    assert "alert(1)" in page  # the text is shown, not dropped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert not re.search(r"<svg[^>]*onload", page)


# --- escaping ---------------------------------------------------------------------------


def test_the_search_page_shows_hostile_titles_and_snippets_as_text(hostile: TestClient) -> None:
    page = hostile.get("/", params={"q": "hostile", "kind": "all"}).text
    assert page.count('class="hit"') == 2  # the article and the headline
    assert_shown_as_text(page)


def test_the_record_pages_show_hostile_text_as_text(hostile: TestClient) -> None:
    for record_id in record_ids(hostile):
        assert_shown_as_text(hostile.get(f"/records/{record_id}").text)


def test_a_hostile_query_is_shown_as_text(hostile: TestClient) -> None:
    page = hostile.get("/", params={"q": '"><svg onload=alert(1)> hostile'}).text
    assert '"><svg onload' not in page
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt; hostile" in page


def test_a_hostile_error_message_is_shown_as_text(hostile: TestClient) -> None:
    page = hostile.get("/", params={"q": "<script>alert(1)</script>", "since": "<b>x"}).text
    assert "<script>alert" not in page
    assert "<b>x" not in page
    assert "bad date" in page


def test_a_hostile_path_is_shown_as_text(hostile: TestClient) -> None:
    page = hostile.get("/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text
    assert "<script>alert" not in page


def test_pages_hold_no_inline_script_and_no_event_handler(hostile: TestClient) -> None:
    records = [f"/records/{record_id}" for record_id in record_ids(hostile)]
    for url in ["/", "/?q=hostile&kind=all", "/nope", *records]:
        page = hostile.get(url).text
        assert re.findall(r"<script\b[^>]*>", page) == ['<script src="/static/newsdex.js" defer>']
        tags = re.findall(r"<[a-zA-Z][^>]*>", page)
        assert not [tag for tag in tags if re.search(r"\son[a-z]+\s*=", tag)], url
        assert not [tag for tag in tags if "javascript:" in tag], url


def test_a_page_seen_at_a_web_address_links_to_it_and_only_then(tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        '{"url": "https://news.example/a", "text": "Web page\\nA page from the web."}\n'
        '{"url": "javascript:alert(1)", "text": "Script page\\nA page with a bad address."}\n',
        encoding="utf-8",
    )
    indexer.index_paths([dump], index=tmp_path / "web")
    with TestClient(create_app(tmp_path / "web")) as client:
        pages = {}
        for hit in client.get("/api/search", params={"q": "page"}).json()["hits"]:
            pages[hit["title"]] = client.get(f"/records/{hit['id']}").text
    assert (
        '<a href="https://news.example/a" rel="noopener noreferrer nofollow">' in pages["Web page"]
    )
    assert 'href="javascript:' not in pages["Script page"]
    assert "<code>javascript:alert(1)</code>" in pages["Script page"]


# --- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", EVERY_KIND_OF_ANSWER)
def test_every_answer_sets_the_content_security_policy_and_nosniff(
    hostile: TestClient, url: str
) -> None:
    headers = hostile.get(url).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_a_405_sets_the_headers_too(hostile: TestClient) -> None:
    headers = hostile.delete("/api/search").headers
    assert headers["x-content-type-options"] == "nosniff"


# --- other web pages, other host names ---------------------------------------------------


def test_a_request_from_another_origin_is_refused(hostile: TestClient) -> None:
    response = hostile.get("/api/stats", headers={"origin": "https://elsewhere.example"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "cross-origin request from 'https://elsewhere.example' refused",
        "hint": "start the server with --cors ORIGIN to let that origin's pages call it",
    }
    assert "access-control-allow-origin" not in response.headers


def test_a_request_from_the_servers_own_pages_is_answered(hostile: TestClient) -> None:
    response = hostile.get("/api/stats", headers={"origin": "http://testserver"})
    assert response.status_code == 200


def test_a_request_with_no_origin_is_answered(hostile: TestClient) -> None:
    assert hostile.get("/api/stats").status_code == 200


def test_a_null_origin_is_refused(hostile: TestClient) -> None:
    assert hostile.get("/api/stats", headers={"origin": "null"}).status_code == 403


def test_an_origin_named_by_cors_may_read_the_answer(hostile_index: Path) -> None:
    app = create_app(hostile_index, cors_origins=["https://notebook.example"])
    with TestClient(app) as client:
        allowed = client.get("/api/stats", headers={"origin": "https://notebook.example"})
        other = client.get("/api/stats", headers={"origin": "https://elsewhere.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://notebook.example"
    assert allowed.headers["vary"] == "Origin"
    assert other.status_code == 403


def test_a_preflight_from_an_allowed_origin_allows_get_only(hostile_index: Path) -> None:
    app = create_app(hostile_index, cors_origins=["https://notebook.example"])
    with TestClient(app) as client:
        response = client.options(
            "/api/search",
            headers={
                "origin": "https://notebook.example",
                "access-control-request-method": "GET",
            },
        )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://notebook.example"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD"


def test_a_preflight_from_another_origin_is_refused(hostile: TestClient) -> None:
    response = hostile.options(
        "/api/search",
        headers={"origin": "https://elsewhere.example", "access-control-request-method": "GET"},
    )
    assert response.status_code == 403


def test_cors_star_lets_any_origin_read(hostile_index: Path) -> None:
    with TestClient(create_app(hostile_index, cors_origins=["*"])) as client:
        response = client.get("/api/stats", headers={"origin": "https://anywhere.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://anywhere.example"


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "localhost"])
def test_a_server_on_this_machine_answers_to_its_loopback_names(
    hostile_index: Path, host: str
) -> None:
    app = create_app(hostile_index, allowed_hosts=LOOPBACK_NAMES)
    with TestClient(app) as client:
        assert client.get("/healthz", headers={"host": host}).status_code == 200


def test_a_server_on_this_machine_refuses_other_host_names(hostile_index: Path) -> None:
    # A page elsewhere whose name was pointed at 127.0.0.1 (DNS rebinding) gets nothing.
    app = create_app(hostile_index, allowed_hosts=LOOPBACK_NAMES)
    with TestClient(app) as client:
        response = client.get("/api/stats", headers={"host": "rebound.example:8080"})
    assert response.status_code == 400
    assert "rebound.example" in response.json()["error"]
