"""The snippet-quality measurement: its checks judge snippets as the targets say."""

from __future__ import annotations

from pathlib import Path

from helpers import write_page

import indexer
import search
from benchmarks.snippet_quality import measure, or_query

SENTENCE = "Vaccines were given to {n} children in the trial, and measles cases fell."


def test_or_query_joins_the_words_and_lowers_operators() -> None:
    assert or_query("Vaccines AND measles: 1/2000") == "vaccines OR and OR measles OR 1 OR 2000"


def test_good_snippets_pass_every_check(tmp_path: Path) -> None:
    for number in range(3):
        body = " ".join(SENTENCE.format(n=n) for n in range(number, number + 12))
        write_page(tmp_path / "pages", f"{number}.txt", f"Trial {number}\n\n{body}\n")
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as index:
        quality = measure(index, ["Vaccine trials in children", "measles"])
    assert quality.hits == quality.body_matched == 6
    assert quality.shares() == {
        "marked": 1.0,
        "short": 1.0,
        "on_word_boundaries": 1.0,
        "variants_marked": 1.0,
        "sentence_starts": 1.0,
        "sentence_starts_possible": 1.0,
        "terms_shown": 1.0,
    }
    assert quality.median_ms > 0


def test_a_snippet_cut_inside_a_word_is_counted(tmp_path: Path, monkeypatch) -> None:
    import search.hits
    from search.results import Snippet

    write_page(tmp_path / "pages", "0.txt", f"Trial\n\n{SENTENCE.format(n=5) * 10}\n")
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "index")
    monkeypatch.setattr(search.hits, "make_snippet", lambda *a, **k: Snippet("accines were", ()))
    with search.open_index(tmp_path / "index") as index:
        quality = measure(index, ["measles"])
    assert quality.shares()["on_word_boundaries"] == 0.0
    assert quality.shares()["marked"] == 0.0
