"""How good the snippets of ranked hits are, and what they cost.

For every hit of every query, on the article body the snippet comes from:

- ``marked``: the snippet marks at least one match, among hits whose body
  holds a query word (by stem: "vaccines" matches "vaccine");
- ``short``: at most :data:`MAX_CHARS` characters;
- ``on_word_boundaries``: every fragment starts and ends between words;
- ``variants_marked``: every word of the snippet that stems to a query word
  is marked, and nothing else is;
- ``sentence_starts``: the share of fragments that start a sentence, and
  ``sentence_starts_possible``: that share among the fragments that could have,
  the same length, started their sentence and still held their first match;
- ``terms_shown``: of the query words a body holds (by stem), the share its
  snippet marks, averaged over hits.

The time is what making the snippets takes (finding the matched words and
choosing fragments), per query. Usage::

    python -m benchmarks.snippet_quality --index DIR [--queries queries.jsonl]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import search
import search.hits
from indexer.records import Article
from indexer.storage import build_schema
from search.snippets import SEPARATOR

MAX_CHARS = 240
SCIFACT_QUERIES = (
    Path(__file__).resolve().parent.parent.parent / "shared/data/ir/scifact/queries.jsonl"
)
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"')\]]* ")


@dataclass(frozen=True)
class SnippetQuality:
    queries: int
    hits: int
    body_matched: int
    """Hits whose body holds a query word: the ones a snippet can mark."""
    marked: int
    short: int
    on_word_boundaries: int
    variants_marked: int
    fragments: int
    sentence_starts: int
    sentence_start_possible: int
    terms_shown: float
    """Summed over hits; divide by ``body_matched`` for the mean share."""
    median_ms: float
    """Median per query of the time spent making its hits' snippets."""
    failures: tuple[tuple[str, str, str], ...] = ()
    """(property, query, snippet) for the first few failures of each property."""

    def shares(self) -> dict[str, float]:
        def share(count: int, of: int) -> float:
            return count / of if of else 1.0

        return {
            "marked": share(self.marked, self.body_matched),
            "short": share(self.short, self.hits),
            "on_word_boundaries": share(self.on_word_boundaries, self.hits),
            "variants_marked": share(self.variants_marked, self.hits),
            "sentence_starts": share(self.sentence_starts, self.fragments),
            "sentence_starts_possible": share(self.sentence_starts, self.sentence_start_possible),
            "terms_shown": self.terms_shown / self.body_matched if self.body_matched else 1.0,
        }


def or_query(text: str) -> str:
    """A natural-language query as Whoosh OR query of its words (operators lower-cased)."""
    return " OR ".join(word.lower() for word in _WORD.findall(text))


def scifact_queries(path: Path = SCIFACT_QUERIES) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


def measure(index: search.Index, queries: Sequence[str], limit: int = 10) -> SnippetQuality:
    """Run each query (OR of its words) and judge the snippets of its top ``limit`` hits."""
    analyzer = build_schema()["body"].analyzer
    counts = dict.fromkeys(
        (
            "hits",
            "body_matched",
            "marked",
            "short",
            "on_word_boundaries",
            "variants_marked",
            "fragments",
            "sentence_starts",
            "sentence_start_possible",
        ),
        0,
    )
    failures: dict[str, list[tuple[str, str, str]]] = {}
    times: list[float] = []
    terms_shown = 0.0

    def failed(name: str, query: str, snippet: str) -> None:
        if len(failures.setdefault(name, [])) < 5:
            failures[name].append((name, query, snippet))

    for query in queries:
        text = or_query(query)
        stems = {token.text for token in analyzer(text)}
        with _timed(times):
            results = index.search(text, kind="article", limit=limit)
        for hit in results.hits:
            record = index.record(hit.id)
            assert isinstance(record, Article)
            body = " ".join(record.text.split())
            snippet = hit.snippet
            counts["hits"] += 1
            in_body = {token.text for token in analyzer(body)} & stems
            if in_body:
                counts["body_matched"] += 1
                marked = {
                    token.text
                    for token in analyzer(" ".join(snippet.text[s:e] for s, e in snippet.marks))
                }
                terms_shown += len(marked & in_body) / len(in_body)
                if snippet.marks:
                    counts["marked"] += 1
                else:
                    failed("marked", query, snippet.text)
            if len(snippet.text) <= MAX_CHARS:
                counts["short"] += 1
            else:
                failed("short", query, snippet.text)
            fragments = snippet.text.split(SEPARATOR)
            starts = [_fragment_start(body, fragment) for fragment in fragments]
            if all(start is not None for start in starts):
                counts["on_word_boundaries"] += 1
            else:
                failed("on_word_boundaries", query, snippet.text)
            counts["fragments"] += len(fragments)
            offset = 0
            for fragment, start in zip(fragments, starts, strict=True):
                first_mark = next(
                    (e - offset for s, e in snippet.marks if offset <= s < offset + len(fragment)),
                    None,
                )
                offset += len(fragment) + len(SEPARATOR)
                if start is None:
                    continue
                if _starts_sentence(body, start):
                    counts["sentence_starts"] += 1
                    counts["sentence_start_possible"] += 1
                elif first_mark is not None:
                    sentence = _sentence_start_before(body, start)
                    if start + first_mark - sentence <= len(fragment):
                        counts["sentence_start_possible"] += 1
            should = {
                (token.startchar, token.endchar)
                for token in analyzer(snippet.text, chars=True)
                if token.text in stems
            }
            if should == set(snippet.marks):
                counts["variants_marked"] += 1
            else:
                failed("variants_marked", query, snippet.text)
    return SnippetQuality(
        len(queries),
        **counts,
        terms_shown=terms_shown,
        median_ms=statistics.median(times) if times else 0.0,
        failures=tuple(failure for found in failures.values() for failure in found),
    )


@contextlib.contextmanager
def _timed(times: list[float]) -> Iterator[None]:
    """Add up the time spent in the engine's snippet functions while the block runs."""
    spent = [0.0]
    originals = {
        name: getattr(search.hits, name)
        for name in ("match_spans", "make_snippet", "whole_snippet")
    }

    def timing(function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*arguments: Any, **options: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*arguments, **options)
            finally:
                spent[0] += time.perf_counter() - start

        return timed

    for name, function in originals.items():
        setattr(search.hits, name, timing(function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(search.hits, name, function)
        times.append(spent[0] * 1000)


def _fragment_start(body: str, fragment: str) -> int | None:
    """Where ``fragment`` lies in ``body`` (whitespace folded) between words, if it does."""
    for found in re.finditer(re.escape(fragment), body):
        start, end = found.span()
        before = body[start - 1] if start else " "
        after = body[end] if end < len(body) else " "
        words_cut = (before.isalnum() and fragment[:1].isalnum()) or (
            after.isalnum() and fragment[-1:].isalnum()
        )
        if not words_cut:
            return start
    return None


def _starts_sentence(body: str, start: int) -> bool:
    return start == 0 or bool(_SENTENCE_END.search(body[: start - 1]))


def _sentence_start_before(body: str, start: int) -> int:
    ends = _SENTENCE_BREAK.finditer(body, 0, start)
    return max((found.end() for found in ends), default=0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True, help="a newsdex index of the corpus")
    parser.add_argument("--queries", type=Path, default=SCIFACT_QUERIES)
    parser.add_argument("--show-failures", action="store_true")
    arguments = parser.parse_args(argv)
    with search.open_index(arguments.index) as index:
        quality = measure(index, scifact_queries(arguments.queries))
    print(f"{quality.queries} queries, {quality.hits} hits ({quality.body_matched} match on body)")
    for name, share in quality.shares().items():
        print(f"  {name:<20} {share:7.1%}")
    print(f"  snippet time a query: median {quality.median_ms:.2f} ms")
    if arguments.show_failures:
        for name, query, snippet in quality.failures:
            print(f"{name}: {query!r}\n    {snippet!r}")


if __name__ == "__main__":
    main()
