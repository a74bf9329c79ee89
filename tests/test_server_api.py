"""``newsdex serve``'s JSON API, through Starlette's test client: every endpoint, its
answers, its status codes and the shape of its errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    BREXIT,
    DECEMBER_14,
    FRENCH_POLICE,
    HEADLINES,
    HIT_JSON_KEYS,
    OTHER_PAGE,
    SEEDS,
    hostile_page,
    json_lines,
    newsdex,
    titles_and_dates,
    write_page,
)
from starlette.testclient import TestClient

import indexer
from search.parameters import MAX_LIMIT
from search.server import create_app

RESULTS_KEYS = {"query", "total", "offset", "limit", "hits", "suggestion", "any_total", "took_ms"}


def without_timing(answer: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in answer.items() if key != "took_ms"}


# --- /api/search ------------------------------------------------------------------


def test_search_answers_with_the_documented_keys(api: TestClient) -> None:
    answer = api.get("/api/search", params={"q": "syria"}).json()
    assert set(answer) == RESULTS_KEYS
    assert (answer["query"], answer["total"], answer["offset"], answer["limit"]) == (
        "syria",
        3,
        0,
        10,
    )
    assert isinstance(answer["took_ms"], float)


def test_search_hits_are_what_newsdex_search_json_prints_plus_snippet_html(
    crawl_api: TestClient, runner: CliRunner
) -> None:
    printed = json_lines(newsdex(runner, "search", "syria OR port", "--json").stdout)
    hits = crawl_api.get("/api/search", params={"q": "syria OR port"}).json()["hits"]
    assert len(hits) == 7
    assert [set(hit) for hit in hits] == [HIT_JSON_KEYS | {"snippet_html"}] * 7
    assert [{k: v for k, v in hit.items() if k != "snippet_html"} for hit in hits] == printed


def test_search_snippet_html_puts_the_matches_in_mark(api: TestClient) -> None:
    [hit] = api.get("/api/search", params={"q": "yellow vest"}).json()["hits"]
    assert hit["snippet_html"] == (
        "French police nationwide prepare for fifth wave of <mark>yellow</mark> <mark>vest</mark>"
        " protests"
    )


def test_search_snippet_html_escapes_the_page_text(tmp_path: Path) -> None:
    page = write_page(tmp_path / "pages", "hostile.txt", hostile_page())
    indexer.index_paths([page], index=tmp_path / "hostile")
    with TestClient(create_app(tmp_path / "hostile")) as api:
        hits = api.get("/api/search", params={"q": "hostile", "kind": "all"}).json()["hits"]
    assert hits
    for hit in hits:
        assert "<script" not in hit["snippet_html"]
        assert "<img" not in hit["snippet_html"]
        assert "<svg" not in hit["snippet_html"]
        assert "&lt;" in hit["snippet_html"]


def test_search_with_no_hits_is_a_200_with_total_0(api: TestClient) -> None:
    response = api.get("/api/search", params={"q": "zebra"})
    assert response.status_code == 200
    assert (response.json()["total"], response.json()["hits"]) == (0, [])


def test_search_suggests_a_spelling_the_index_knows(api: TestClient) -> None:
    answer = api.get("/api/search", params={"q": "syira"}).json()
    assert (answer["total"], answer["suggestion"]) == (0, "syria")


def test_search_says_how_many_any_would_find(api: TestClient) -> None:
    answer = api.get("/api/search", params={"q": "Brexit Hodeida"}).json()
    assert (answer["total"], answer["any_total"]) == (0, 2)


def test_search_any_finds_records_with_any_of_the_words(api: TestClient) -> None:
    answer = api.get("/api/search", params={"q": "Brexit Hodeida", "any": "1"}).json()
    assert answer["total"] == 2


@pytest.mark.parametrize(
    ("options", "cli_options"),
    [
        ({"kind": "all"}, ["--kind", "all"]),
        ({"kind": "footer"}, ["--kind", "footer"]),
        ({"sort": "oldest"}, ["--sort", "oldest"]),
        ({"since": "2018-12-14"}, ["--since", "2018-12-14"]),
        ({"until": "2018-12-13T21:40"}, ["--until", "2018-12-13T21:40"]),
        ({"limit": "2", "offset": "1"}, ["--limit", "2", "--offset", "1"]),
    ],
)
def test_search_parameters_mean_what_the_cli_options_of_the_same_name_mean(
    api: TestClient, runner: CliRunner, options: dict[str, str], cli_options: list[str]
) -> None:
    query = "syria OR brexit OR arabs OR yemen"
    printed = json_lines(newsdex(runner, "search", query, "--json", *cli_options).stdout)
    hits = api.get("/api/search", params={"q": query, **options}).json()["hits"]
    assert [hit["id"] for hit in hits] == [hit["id"] for hit in printed]


def test_search_pages_with_offset_and_limit(api: TestClient) -> None:
    every = api.get("/api/search", params={"q": "syria"}).json()
    first = api.get("/api/search", params={"q": "syria", "limit": "2"}).json()
    rest = api.get("/api/search", params={"q": "syria", "limit": "2", "offset": "2"}).json()
    assert (first["total"], rest["total"], rest["offset"], len(rest["hits"])) == (3, 3, 2, 1)
    assert first["hits"] + rest["hits"] == every["hits"]


def test_search_limit_is_capped_and_the_answer_says_so(api: TestClient) -> None:
    answer = api.get("/api/search", params={"q": "syria", "limit": "5000"}).json()
    assert answer["limit"] == MAX_LIMIT


def test_search_of_empty_form_fields_takes_the_defaults(api: TestClient) -> None:
    empty = {"kind": "", "since": "", "until": "", "sort": "", "limit": "", "any": ""}
    answer = api.get("/api/search", params={"q": "syria", **empty}).json()
    default = api.get("/api/search", params={"q": "syria"}).json()
    assert without_timing(answer) == without_timing(default)


# --- sites --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sites", [["citywire.example"], ["citywire.example", "valley-post.example"]]
)
def test_search_site_means_what_the_cli_site_option_means(
    crawl_api: TestClient, runner: CliRunner, sites: list[str]
) -> None:
    cli_options = [option for site in sites for option in ("--site", site)]
    printed = json_lines(newsdex(runner, "search", "port", "--json", *cli_options).stdout)
    answer = crawl_api.get("/api/search", params=[("q", "port"), *(("site", s) for s in sites)])
    assert [hit["id"] for hit in answer.json()["hits"]] == [hit["id"] for hit in printed]
    assert {hit["site"] for hit in answer.json()["hits"]} == set(sites)


def test_headlines_take_a_site(crawl_api: TestClient) -> None:
    answer = crawl_api.get("/api/headlines", params={"site": "citywire.example"}).json()
    assert answer["total"] == 0  # the seed's headlines have no site


def test_an_empty_site_is_a_400(crawl_api: TestClient) -> None:
    error = assert_error(crawl_api.get("/api/search", params={"q": "port", "site": " "}), 400)
    assert error["error"] == "bad site ' '"


# --- /api/count --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "cli_options"),
    [
        (
            {"q": "strike OR port OR tram", "by": "month"},
            ["strike OR port OR tram", "--by", "month"],
        ),
        ({"by": "site", "kind": "article"}, ["--by", "site", "--kind", "article"]),
        ({"by": "kind", "kind": "all"}, ["--by", "kind", "--kind", "all"]),
        ({"q": "syria", "by": "day"}, ["syria"]),
        (
            {"q": "port", "site": "citywire.example", "by": "week"},
            ["port", "--site", "citywire.example", "--by", "week"],
        ),
        ({"q": "port strike", "any": "1", "by": "year"}, ["port strike", "--any", "--by", "year"]),
    ],
)
def test_count_buckets_are_what_newsdex_count_json_prints(
    crawl_api: TestClient, runner: CliRunner, parameters: dict[str, str], cli_options: list[str]
) -> None:
    printed = json_lines(newsdex(runner, "count", "--json", *cli_options).stdout)
    answer = crawl_api.get("/api/count", params=parameters).json()
    assert set(answer) == {"query", "by", "total", "buckets", "took_ms"}
    assert answer["buckets"] == printed
    assert answer["by"] == parameters["by"]


def test_count_without_by_counts_by_day_and_without_q_counts_every_record(
    crawl_api: TestClient,
) -> None:
    answer = crawl_api.get("/api/count").json()
    assert (answer["query"], answer["by"], answer["total"]) == (None, "day", 15)
    assert answer["buckets"][-1] == {"key": None, "count": 1}  # the seed's article, undated


def test_count_by_something_unknown_is_a_400(crawl_api: TestClient) -> None:
    error = assert_error(crawl_api.get("/api/count", params={"by": "hour"}), 400)
    assert error == {
        "error": "unknown by 'hour'",
        "hint": "use one of day, week, month, year, site, kind",
    }


def test_count_takes_no_paging(crawl_api: TestClient) -> None:
    error = assert_error(crawl_api.get("/api/count", params={"limit": "5"}), 400)
    assert error["error"] == "unknown parameter 'limit'"


def test_a_count_of_a_query_it_cannot_read_is_a_400(crawl_api: TestClient) -> None:
    error = assert_error(crawl_api.get("/api/count", params={"q": "title:"}), 400)
    assert "nothing to search for after" in str(error["error"])


# --- errors -------------------------------------------------------------------------


def assert_error(response: object, status: int) -> dict[str, str | None]:
    """The answer is ``status`` with a JSON ``{"error", "hint"}``; returns it."""
    from httpx2 import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, str | None] = response.json()
    assert set(error) == {"error", "hint"}
    assert error["error"] and "\n" not in error["error"]
    return error


def test_a_query_it_cannot_read_is_a_400_with_the_cli_message_and_hint(api: TestClient) -> None:
    error = assert_error(api.get("/api/search", params={"q": '"yellow vest'}), 400)
    assert error == {
        "error": "unbalanced quote in query '\"yellow vest'",
        "hint": 'close the phrase with a second "',
    }


def test_a_bad_date_is_a_400_with_the_cli_message_and_hint(api: TestClient) -> None:
    error = assert_error(api.get("/api/search", params={"q": "syria", "since": "2018-13-45"}), 400)
    assert error == {
        "error": "bad date '2018-13-45'",
        "hint": "use ISO dates such as 2018-12-13 or 2018-12-13T18:45",
    }


def test_a_missing_query_is_a_400(api: TestClient) -> None:
    error = assert_error(api.get("/api/search"), 400)
    assert "no word that can be searched" in str(error["error"])


def test_a_query_past_the_cli_limits_is_a_400(api: TestClient) -> None:
    error = assert_error(api.get("/api/search", params={"q": "syria " * 200}), 400)
    assert "1,000" in str(error["error"])


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"q": "syria", "kind": "opinion"}, "unknown kind 'opinion'"),
        ({"q": "syria", "sort": "best"}, "unknown sort 'best'"),
        ({"q": "syria", "limit": "0"}, "limit must be a whole number of at least 1, not '0'"),
        ({"q": "syria", "limit": "ten"}, "limit must be a whole number of at least 1, not 'ten'"),
        ({"q": "syria", "offset": "-1"}, "offset must be a whole number of at least 0, not '-1'"),
        ({"q": "syria", "offset": "1e3"}, "offset must be a whole number of at least 0, not '1e3'"),
        ({"q": "syria", "offset": "9" * 30}, f"offset {10**18:,} is past any index"),
        ({"q": "syria", "any": "maybe"}, "any must be true or false, not 'maybe'"),
        ({"q": "syria", "until": "2018-12-01", "since": "2018-12-14"}, "since 2018-12-14"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    api: TestClient, parameters: dict[str, str], message: str
) -> None:
    error = assert_error(api.get("/api/search", params=parameters), 400)
    assert message in str(error["error"])


def test_an_unknown_parameter_is_a_400_suggesting_the_right_name(api: TestClient) -> None:
    error = assert_error(api.get("/api/search", params={"q": "syria", "lmit": "2"}), 400)
    assert error == {"error": "unknown parameter 'lmit'", "hint": "did you mean limit?"}


def test_a_parameter_given_twice_is_a_400(api: TestClient) -> None:
    error = assert_error(api.get("/api/search?q=syria&q=brexit"), 400)
    assert error == {"error": "parameter 'q' given twice", "hint": "give it once"}


def test_an_unknown_api_path_is_a_json_404(api: TestClient) -> None:
    error = assert_error(api.get("/api/serch", params={"q": "syria"}), 404)
    assert error["error"] == "no such page: /api/serch"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/search", "/api/stats", "/", "/api/records/x"])
def test_no_endpoint_writes_every_other_method_is_a_405(
    api: TestClient, method: str, path: str
) -> None:
    response = api.request(method, path, params={"q": "syria"})
    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == ["GET", "HEAD"]


def test_a_405_under_the_api_is_json(api: TestClient) -> None:
    error = assert_error(api.post("/api/search", params={"q": "syria"}), 405)
    assert error == {"error": "this server only reads", "hint": "use GET"}


# --- /api/headlines -------------------------------------------------------------------


def test_headlines_without_a_query_are_every_headline_newest_first(api: TestClient) -> None:
    answer = api.get("/api/headlines").json()
    assert set(answer) == RESULTS_KEYS
    assert (answer["query"], answer["total"], answer["limit"]) == (None, 8, 20)
    assert titles_and_dates(answer["hits"]) == HEADLINES


def test_headlines_since_a_day(api: TestClient) -> None:
    answer = api.get("/api/headlines", params={"since": "2018-12-14"}).json()
    assert titles_and_dates(answer["hits"]) == DECEMBER_14


def test_headlines_with_a_query_are_the_matching_ones(api: TestClient) -> None:
    answer = api.get("/api/headlines", params={"q": "brexit"}).json()
    assert [hit["title"] for hit in answer["hits"]] == [BREXIT]


def test_headlines_take_no_kind(api: TestClient) -> None:
    error = assert_error(api.get("/api/headlines", params={"kind": "article"}), 400)
    assert error["error"] == "unknown parameter 'kind'"


# --- /api/records/{id} ----------------------------------------------------------------


def test_a_record_is_what_newsdex_show_json_prints(api: TestClient, runner: CliRunner) -> None:
    record_id = api.get("/api/search", params={"q": "yellow vest"}).json()["hits"][0]["id"]
    [printed] = json_lines(newsdex(runner, "show", record_id, "--json").stdout)
    answer = api.get(f"/api/records/{record_id}").json()
    assert answer == printed
    assert answer["title"] == FRENCH_POLICE


def test_a_record_lists_every_page_it_was_seen_on(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    seed = (SEEDS / "000_e90479ad7ef70cfc.txt").read_text(encoding="utf-8")
    for number in range(12):  # more than the ten a hit names
        write_page(folder, f"copy{number:02}.txt", seed)
    indexer.index_paths([folder], index=tmp_path / "copies")
    with TestClient(create_app(tmp_path / "copies")) as api:
        [hit] = api.get("/api/search", params={"q": "yellow vest"}).json()["hits"]
        record = api.get(f"/api/records/{hit['id']}").json()
    assert (hit["pages"], len(hit["sources"])) == (12, 10)
    assert len(record["sources"]) == 12


def test_an_unknown_record_is_a_404_with_the_cli_message(api: TestClient) -> None:
    error = assert_error(api.get("/api/records/h-0000000000000000"), 404)
    assert error == {
        "error": "no record with id 'h-0000000000000000'",
        "hint": "ids are shown by `newsdex search --json`",
    }


# --- /api/stats, /healthz, /api/openapi.json ------------------------------------------


def test_stats_are_what_newsdex_stats_json_prints(api: TestClient, runner: CliRunner) -> None:
    [printed] = json_lines(newsdex(runner, "stats", "--json").stdout)
    assert api.get("/api/stats").json() == printed


def test_healthz_says_ok(api: TestClient) -> None:
    response = api.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_endpoints_without_parameters_refuse_one(api: TestClient) -> None:
    error = assert_error(api.get("/api/stats", params={"q": "syria"}), 400)
    assert error == {
        "error": "unknown parameter 'q'",
        "hint": "this endpoint takes no parameters",
    }


def test_openapi_describes_every_api_route(api: TestClient) -> None:
    document = api.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/search",
        "/api/headlines",
        "/api/count",
        "/api/records/{id}",
        "/api/stats",
        "/api/openapi.json",
        "/healthz",
    }


def test_openapi_describes_every_parameter_the_server_reads(api: TestClient) -> None:
    document = api.get("/api/openapi.json").json()

    def named(path: str) -> set[str]:
        return {p["name"] for p in document["paths"][path]["get"]["parameters"]}

    search = named("/api/search")
    assert search == {"q", "kind", "since", "until", "site", "sort", "limit", "offset", "any"}
    assert named("/api/headlines") == {"q", "since", "until", "site", "limit", "offset"}
    assert named("/api/count") == {"by", "q", "kind", "since", "until", "site", "any"}
    for name in search - {"q"}:  # and none of them is refused as unknown
        response = api.get("/api/search", params={"q": "syria", name: ""})
        assert response.status_code == 200, response.text


def test_openapi_is_json_the_api_serves_with_its_hit_schema(api: TestClient) -> None:
    document = api.get("/api/openapi.json").json()
    hit_properties = set(document["components"]["schemas"]["Hit"]["properties"])
    [hit] = api.get("/api/search", params={"q": "yellow vest"}).json()["hits"]
    assert hit_properties == set(hit)
    assert set(document["components"]["schemas"]["Results"]["properties"]) == RESULTS_KEYS


# --- freshness ------------------------------------------------------------------------


def test_a_commit_is_seen_by_the_next_request_with_no_restart(
    api: TestClient, seeded_index: Path, tmp_path: Path
) -> None:
    assert api.get("/api/search", params={"q": "harbour"}).json()["total"] == 0
    page = write_page(tmp_path / "more", "harbour.txt", OTHER_PAGE)
    indexer.index_paths([SEEDS, page], index=seeded_index)
    assert api.get("/api/search", params={"q": "harbour"}).json()["total"] == 1


def test_a_rebuild_is_seen_by_the_next_request(
    api: TestClient, seeded_index: Path, tmp_path: Path
) -> None:
    page = write_page(tmp_path / "more", "harbour.txt", OTHER_PAGE)
    indexer.index_paths([page], index=seeded_index, rebuild=True)
    assert api.get("/api/search", params={"q": "syria"}).json()["total"] == 0
    assert api.get("/api/search", params={"q": "harbour"}).json()["total"] == 1


def test_an_index_removed_while_serving_is_a_503_saying_so(
    api: TestClient, seeded_index: Path
) -> None:
    shutil.rmtree(seeded_index)
    error = assert_error(api.get("/api/search", params={"q": "syria"}), 503)
    assert error == {"error": f"no index at {seeded_index}", "hint": "run `newsdex index` first"}
    assert_error(api.get("/healthz"), 503)


def test_answers_are_json_in_utf_8(api: TestClient) -> None:
    response = api.get("/api/search", params={"q": "manbij"})
    assert response.headers["content-type"] == "application/json"
    assert "Syria\u2019s" in response.content.decode("utf-8")
    assert json.loads(response.content)["total"] == 1
