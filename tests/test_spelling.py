"""Spelling suggestions: nearest word first, then the commonest."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_page

import indexer
import search
from search.spelling import closest, edit_distance, ranked, single_edits


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("syria", "syria", 0),
        ("syira", "syria", 1),  # two neighbours swapped: one edit
        ("srai", "syria", 2),
        ("vacines", "vaccines", 1),
        ("vaccine", "vaccines", 1),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
    ],
)
def test_edit_distance_counts_inserts_deletes_substitutions_and_swaps(
    first: str, second: str, distance: int
) -> None:
    assert edit_distance(first, second) == distance
    assert edit_distance(second, first) == distance


def test_closest_prefers_the_nearest_word_over_a_commoner_one() -> None:
    assert closest("syira", [("syrian", 500), ("syria", 3)]) == "syria"


def test_closest_breaks_ties_by_frequency() -> None:
    assert closest("hause", [("haste", 1), ("house", 9)]) == "house"


def test_closest_never_suggests_the_word_itself() -> None:
    assert closest("syria", [("syria", 10)]) is None


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("syira", "syria"), ("kilings", "killings"), ("Hodieda", "Hodeida"), ("coffns", "coffins")],
)
def test_suggestions_are_words_of_the_text_not_stems(
    open_seeded: search.Index, typed: str, suggested: str
) -> None:
    assert open_seeded.search(typed).suggestion == suggested


def test_only_the_misspelt_word_of_a_query_is_replaced(open_seeded: search.Index) -> None:
    assert open_seeded.search("Assad regme").suggestion == "Assad regime"


def test_single_edits_are_every_insert_delete_substitution_and_swap() -> None:
    edits = single_edits("cat")
    assert {"at", "ct", "ca"} <= set(edits)  # deletions
    assert {"acat", "cart", "cats"} <= set(edits)  # insertions
    assert {"bat", "cot", "car"} <= set(edits)  # substitutions
    assert {"act", "cta"} <= set(edits)  # swaps
    assert "cat" not in edits
    assert all(edit_distance("cat", edit) == 1 for edit in edits)


def test_single_edits_can_use_the_word_s_own_accented_letters() -> None:
    assert "müler" in single_edits("müller")
    assert "münler" in single_edits("müller")


def test_ranked_puts_nearer_words_first_then_commoner_ones() -> None:
    candidates = [("syrian", 500), ("syria", 3), ("sira", 9)]
    assert ranked("syira", candidates) == ["sira", "syria", "syrian"]


def index_of(tmp_path: Path, text: str) -> search.Index:
    pages = tmp_path / "pages"
    write_page(pages, "page.txt", text)
    indexer.index_paths([pages], index=tmp_path / "index")
    return search.open_index(tmp_path / "index")


def test_a_typo_is_corrected_to_the_word_one_edit_away_not_the_nearest_stem(
    tmp_path: Path,
) -> None:
    # "elecion" stems to itself, nearest the stem of "electioneering", but is
    # one edit from "election".
    text = "Election day\n\nThe election was marred by electioneering and more electioneering.\n"
    with index_of(tmp_path, text) as index:
        assert index.search("elecion").suggestion == "election"


def test_a_word_that_only_stems_like_the_text_is_not_suggested(tmp_path: Path) -> None:
    # "tinned" stems to "tin", a common stem here, but the text never says "tinned".
    text = "Tin prices\n\nTin and more tin: tin mines, tin ore, tin cans. The tide turned.\n"
    with index_of(tmp_path, text) as index:
        assert index.search("tirned").suggestion == "turned"


def test_among_spellings_of_one_stem_the_commonest_in_the_text_wins(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    for number in range(3):
        write_page(pages, f"{number}.txt", f"Report {number}\n\nIt weighed kilograms.\n")
    write_page(pages, "3.txt", "Report three\n\nOne kilogram.\n")
    indexer.index_paths([pages], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as index:
        # "kilogras" is one edit from both "kilogram" and "kilograms".
        assert index.search("kilogras").suggestion == "kilograms"


def test_a_slip_in_the_first_letter_is_corrected(open_seeded: search.Index) -> None:
    assert open_seeded.search("dyria").suggestion == "syria"


def test_only_words_of_the_kinds_searched_are_suggested(tmp_path: Path) -> None:
    # "Maintained" is only in the footer, which searches leave out unless asked.
    pages = tmp_path / "pages"
    write_page(
        pages,
        "page.txt",
        "Caption\n\nThe town stayed calm.\n\nMaintained and developed by Example Group.",
    )
    indexer.index_paths([pages], index=tmp_path / "index")
    with search.open_index(tmp_path / "index") as index:
        assert index.search("maintaned", kind="footer").suggestion == "maintained"
        assert index.search("maintaned").suggestion is None


@pytest.mark.parametrize(("typed", "suggested"), [("SYIRA", "SYRIA"), ("Syira", "Syria")])
def test_a_suggestion_keeps_the_case_it_was_typed_in(
    open_seeded: search.Index, typed: str, suggested: str
) -> None:
    assert open_seeded.search(typed).suggestion == suggested
