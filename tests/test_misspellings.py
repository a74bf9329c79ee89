"""The misspelt words "did you mean" is measured on: one edit, seeded, never a real word."""

from __future__ import annotations

import random

import pytest
from helpers import write_page
from hypothesis import given
from hypothesis import strategies as st

import indexer
import search
from benchmarks.misspellings import corpus_words, did_you_mean_share, misspell, misspelled_words
from search.spelling import edit_distance

VOCABULARY = (  # noqa: SIM905 (a line of words reads better than a column of strings)
    "vaccine vaccines vaccination measles mumps rubella outbreak antibody antibodies immune"
    " response children infants mothers placebo trial cohort hospital patients disease"
    " a of the to and in was were cells cell"
).split()


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20), st.integers())
def test_a_misspelling_is_exactly_one_edit_away(word: str, seed: int) -> None:
    assert edit_distance(word, misspell(word, random.Random(seed))) == 1


def test_every_kind_of_edit_is_made() -> None:
    rng = random.Random(0)
    lengths = {len(misspell("measles", rng)) - len("measles") for _ in range(200)}
    assert lengths == {-1, 0, 1}  # deletions, substitutions or swaps, insertions


def test_pairs_are_one_edit_from_a_vocabulary_word_of_five_letters_or_more() -> None:
    pairs = misspelled_words(VOCABULARY, count=10, seed=1)
    assert len(pairs) == 10
    for original, misspelt in pairs:
        assert original in VOCABULARY
        assert len(original) >= 5 and original.isalpha()
        assert edit_distance(original, misspelt) == 1


def test_originals_are_distinct() -> None:
    originals = [original for original, _ in misspelled_words(VOCABULARY, count=15, seed=2)]
    assert len(set(originals)) == len(originals)


def test_same_seed_same_pairs_other_seed_other_pairs() -> None:
    first = misspelled_words(VOCABULARY, count=10, seed=3)
    assert misspelled_words(VOCABULARY, count=10, seed=3) == first
    assert misspelled_words(VOCABULARY, count=10, seed=4) != first


def test_misspellings_that_are_real_words_are_rejected() -> None:
    # "vaccines" -> "vaccine", "cells" -> "cell" and the like are single edits.
    for seed in range(50):
        for original, misspelt in misspelled_words(VOCABULARY, count=5, seed=seed):
            assert misspelt not in VOCABULARY, (original, misspelt)


def test_asking_for_more_words_than_the_vocabulary_has_is_an_error() -> None:
    with pytest.raises(ValueError, match="5\\+ letters"):
        misspelled_words(["vaccine", "mumps"], count=3)


def test_corpus_words_are_the_lower_cased_words_of_titles_and_texts(tmp_path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"_id": "1", "title": "Measles Outbreak", "text": "Vaccines work, mostly."}\n',
        encoding="utf-8",
    )
    assert list(corpus_words(corpus)) == ["measles", "outbreak", "vaccines", "work", "mostly"]


def test_did_you_mean_share_counts_suggestions_that_give_the_original_back(tmp_path) -> None:
    write_page(tmp_path / "pages", "page.txt", "Measles outbreak\n\nVaccines stopped measles.\n")
    indexer.index_paths([tmp_path / "pages"], index=tmp_path / "index")
    pairs = [("measles", "measels"), ("vaccines", "vacines"), ("outbreak", "zzzzzz")]
    with search.open_index(tmp_path / "index") as index:
        measured = did_you_mean_share(index, pairs)
    assert (measured.pairs, measured.right) == (3, 2)
    assert measured.share == 2 / 3
    assert measured.wrong == (("outbreak", "zzzzzz", None),)
    assert 0 < measured.median_ms <= measured.p95_ms
