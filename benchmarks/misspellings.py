"""Misspelt words for measuring "did you mean": one random edit, seeded and deterministic.

Each misspelling is one edit away from a word of the corpus (a letter inserted,
deleted or replaced, or two neighbouring letters swapped), as a typing slip is,
and is itself no word of the corpus, so a search for it should find nothing
and the suggestion should give the original back. The originals are distinct
words of the corpus, alphabetic and at least :data:`MIN_LETTERS` long, drawn
evenly from its vocabulary (not by how often they occur: every word counts
once, rare ones included).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import string
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import search

MIN_LETTERS = 5
PAIR_COUNT = 300
DEFAULT_SEED = 5
SCIFACT_CORPUS = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/ir/scifact/corpus.jsonl"
)
EDITS = ("insert", "delete", "substitute", "swap")
_WORD = re.compile(r"\w+")


def misspell(word: str, rng: random.Random) -> str:
    """``word`` with one random edit that changes it (insert, delete, substitute, swap)."""
    while True:
        edit = rng.choice(EDITS)
        if edit == "insert":
            at = rng.randrange(len(word) + 1)
            changed = word[:at] + rng.choice(string.ascii_lowercase) + word[at:]
        elif edit == "delete" and len(word) > 1:
            at = rng.randrange(len(word))
            changed = word[:at] + word[at + 1 :]
        elif edit == "substitute" and word:
            at = rng.randrange(len(word))
            changed = word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
        elif edit == "swap" and len(word) > 1:
            at = rng.randrange(len(word) - 1)
            changed = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            continue
        if changed != word:  # a letter replaced by itself, or twins swapped
            return changed


def misspelled_words(
    vocabulary: Iterable[str], count: int = PAIR_COUNT, seed: int = DEFAULT_SEED
) -> list[tuple[str, str]]:
    """``count`` (original, misspelt) pairs of distinct originals from ``vocabulary``.

    ``vocabulary`` is the corpus's words (repeats allowed, compared lower-cased);
    a misspelling that is itself one of them is drawn again.
    """
    known = {word.lower() for word in vocabulary}
    originals = sorted(
        word for word in known if len(word) >= MIN_LETTERS and word.isascii() and word.isalpha()
    )
    if len(originals) < count:
        raise ValueError(f"only {len(originals)} words of {MIN_LETTERS}+ letters, {count} asked")
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for original in rng.sample(originals, len(originals)):
        misspelt = misspell(original, rng)
        if misspelt not in known:
            pairs.append((original, misspelt))
            if len(pairs) == count:
                return pairs
    raise ValueError(f"only {len(pairs)} misspellings are not words themselves, {count} asked")


def corpus_words(path: Path = SCIFACT_CORPUS) -> Iterator[str]:
    """The lower-cased words of a BEIR corpus (``.jsonl``: title and text of each document)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            text = f"{document.get('title', '')}\n\n{document.get('text', '')}"
            yield from _WORD.findall(text.lower())


@dataclass(frozen=True)
class DidYouMean:
    """How often the suggestion for a misspelt word was the original, and how fast."""

    pairs: int
    right: int
    wrong: tuple[tuple[str, str, str | None], ...]
    """(original, misspelt, suggestion) for every miss."""
    median_ms: float
    p95_ms: float

    @property
    def share(self) -> float:
        return self.right / self.pairs if self.pairs else 0.0


def did_you_mean_share(index: search.Index, pairs: Sequence[tuple[str, str]]) -> DidYouMean:
    """Search each misspelt word alone; right when the suggestion is the original.

    The time is the whole search (it finds nothing, then suggests), per word.
    """
    wrong: list[tuple[str, str, str | None]] = []
    times: list[float] = []
    for original, misspelt in pairs:
        start = time.perf_counter()
        suggestion = index.search(misspelt).suggestion
        times.append((time.perf_counter() - start) * 1000)
        if (suggestion or "").lower() != original.lower():
            wrong.append((original, misspelt, suggestion))
    times.sort()
    return DidYouMean(
        len(pairs),
        len(pairs) - len(wrong),
        tuple(wrong),
        statistics.median(times) if times else 0.0,
        times[int(0.95 * (len(times) - 1))] if times else 0.0,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="a newsdex index of the corpus")
    parser.add_argument("--corpus", type=Path, default=SCIFACT_CORPUS)
    parser.add_argument("--count", type=int, default=PAIR_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--show-misses", action="store_true")
    arguments = parser.parse_args(argv)
    pairs = misspelled_words(corpus_words(arguments.corpus), arguments.count, arguments.seed)
    with search.open_index(arguments.index) as index:
        measured = did_you_mean_share(index, pairs)
    print(
        f"did you mean: {measured.right}/{measured.pairs} = {measured.share:.1%} right;"
        f" search+suggest median {measured.median_ms:.1f} ms, p95 {measured.p95_ms:.1f} ms"
    )
    if arguments.show_misses:
        for original, misspelt, suggestion in measured.wrong:
            print(f"  {misspelt} -> {suggestion} (wanted {original})")


if __name__ == "__main__":
    main()
