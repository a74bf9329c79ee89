"""Hostile requests: whatever a client sends, ``newsdex serve`` answers 200, or 400 or 404
with ``{"error", "hint"}`` (a page of the same under /), never a 500.

Hypothesis drives the API and the search page with the hostile queries the
library and the command line are fuzzed with (``test_hostile_queries.py``),
and with any value of every parameter, any parameter name, any record id.
The test client raises any exception the server did not turn into an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from helpers import QUERIES, SEEDS, hostile_page, write_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import indexer
from search.server import create_app

ANY_TEXT = st.text(max_size=12)
DATES = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["2018-12-13", "2018-13-45", "20181213", "2018-12-13T25:00", "now", "-1"]),
    ANY_TEXT,
)
NUMBERS = st.one_of(
    st.integers(-5, 10**20).map(str),
    st.sampled_from(["", "0", "1", "100", "101", "1e3", "0x10", " 5", "\u0665", "-0"]),
    ANY_TEXT,
)
PARAMETERS = st.fixed_dictionaries(
    {},
    optional={
        "q": QUERIES,
        "kind": st.one_of(st.sampled_from(["article", "headline", "footer", "all"]), ANY_TEXT),
        "since": DATES,
        "until": DATES,
        "site": st.one_of(st.sampled_from(["bbc.co.uk", "www.BBC.co.uk", " ", "."]), ANY_TEXT),
        "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), ANY_TEXT),
        "limit": NUMBERS,
        "offset": NUMBERS,
        "any": st.one_of(st.sampled_from(["1", "0", "true", "no", "on"]), ANY_TEXT),
    },
)
EXTRA_NAMES = st.lists(st.tuples(ANY_TEXT, ANY_TEXT), max_size=2)
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The seed page and a hostile one, served."""
    folder = tmp_path_factory.mktemp("pages")
    write_page(folder, "hostile.txt", hostile_page())
    index = folder / "index"
    indexer.index_paths([SEEDS, folder], index=index)
    with TestClient(create_app(index)) as served:
        yield served


def assert_answered(response: object, *statuses: int) -> None:
    from httpx2 import Response

    assert isinstance(response, Response)
    assert response.status_code in statuses, response.text
    if response.headers["content-type"] == "application/json" and response.status_code >= 400:
        assert set(response.json()) == {"error", "hint"}


@SETTINGS
@given(parameters=PARAMETERS, extra=EXTRA_NAMES)
def test_any_search_parameters_give_200_or_400(
    client: TestClient, parameters: dict[str, str], extra: list[tuple[str, str]]
) -> None:
    response = client.get("/api/search", params=[*parameters.items(), *extra])
    assert_answered(response, 200, 400)
    assert response.headers["content-type"] == "application/json"


@settings(SETTINGS, max_examples=100)
@given(parameters=PARAMETERS)
def test_any_headlines_parameters_give_200_or_400(
    client: TestClient, parameters: dict[str, str]
) -> None:
    allowed = {k: v for k, v in parameters.items() if k in ("q", "since", "until", "limit")}
    assert_answered(client.get("/api/headlines", params=allowed), 200, 400)


@settings(SETTINGS, max_examples=100)
@given(
    parameters=PARAMETERS,
    by=st.one_of(st.sampled_from(["day", "week", "month", "year", "site", "kind"]), ANY_TEXT),
)
def test_any_count_parameters_give_200_or_400(
    client: TestClient, parameters: dict[str, str], by: str
) -> None:
    counted = {k: v for k, v in parameters.items() if k not in ("sort", "limit", "offset")}
    assert_answered(client.get("/api/count", params={**counted, "by": by}), 200, 400)


@settings(SETTINGS, max_examples=100)
@given(parameters=PARAMETERS, extra=EXTRA_NAMES)
def test_any_search_page_gives_200_or_400(
    client: TestClient, parameters: dict[str, str], extra: list[tuple[str, str]]
) -> None:
    response = client.get("/", params=[*parameters.items(), *extra])
    assert_answered(response, 200, 400)
    assert response.headers["content-type"] == "text/html; charset=utf-8"


@settings(SETTINGS, max_examples=100)
@given(record_id=st.one_of(ANY_TEXT, st.sampled_from(["a-", "h-", "p-", "..", "%", "*"])))
def test_any_record_id_gives_200_or_404(client: TestClient, record_id: str) -> None:
    path = quote(record_id, safe="")
    if not path or path in (".", ".."):
        return  # not an id: another path
    assert_answered(client.get(f"/api/records/{path}"), 200, 404)
    assert_answered(client.get(f"/records/{path}"), 200, 404)


@settings(SETTINGS, max_examples=100)
@given(path=st.text(max_size=20), query=st.binary(max_size=20))
def test_any_path_and_raw_query_string_give_an_answer_never_a_500(
    client: TestClient, path: str, query: bytes
) -> None:
    raw = "".join(f"%{byte:02X}" if byte > 0x7E or byte < 0x21 else chr(byte) for byte in query)
    response = client.get(f"/{quote(path)}?{raw.replace('#', '%23')}")
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=%ff",
        "/api/search?q=%00syria",
        "/api/search?%ff=1",
        "/api/search?=x&q=syria",
        "/api/records/%00",
        "/api/records/..%2f..%2fetc",
        "/static/..%2f..%2fsearch%2fserver.py",
        "/?q=%ff%fe",
        "/?q=syria&offset=99999999999999999999999",
    ],
)
def test_pinned_hostile_requests_give_an_answer(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404), response.text
