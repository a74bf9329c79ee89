"""``newsdex show ID``: one whole record and where it was seen."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import ARTICLE_TITLE, FRENCH_POLICE, article_id, json_lines, newsdex


def test_show_json_gives_the_whole_article_and_where_it_was_seen(
    runner: CliRunner, seeded_index: Path, seed_path: Path
) -> None:
    result = newsdex(runner, "show", article_id(runner), "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["kind"] == "article"
    assert record["title"] == ARTICLE_TITLE
    assert record["published"] is None
    assert record["text"].startswith("Jisr al-Shughour was a virtual ghost town Wednesday")
    assert record["text"].endswith("spread to most major Syrian towns and cities.")
    assert len(record["paragraphs"]) == 12
    assert record["sources"] == [{"path": str(seed_path), "line": 1, "site": None}]


def test_show_prints_a_headline_with_its_time_and_page_line(
    runner: CliRunner, seeded_index: Path, seed_path: Path
) -> None:
    [hit] = json_lines(newsdex(runner, "headlines", "yellow", "--json").stdout)
    result = newsdex(runner, "show", hit["id"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"headline {hit['id']}",
        "published 2018-12-14T18:45:00Z",
        f"seen at {seed_path}:15",
        "",
        FRENCH_POLICE,
    ]


def test_every_search_hit_can_be_shown_by_its_id(runner: CliRunner, seeded_index: Path) -> None:
    hits = [
        *json_lines(newsdex(runner, "headlines", "--json").stdout),
        *json_lines(newsdex(runner, "search", "Jisr", "--kind", "article", "--json").stdout),
        *json_lines(newsdex(runner, "search", "Arabs", "--kind", "footer", "--json").stdout),
    ]
    assert len({hit["id"] for hit in hits}) == 10
    for hit in hits:
        result = newsdex(runner, "show", hit["id"], "--json")
        assert result.exit_code == 0
        record = json.loads(result.stdout)
        assert (record["id"], record["kind"], record["title"]) == (
            hit["id"],
            hit["kind"],
            hit["title"],
        )
