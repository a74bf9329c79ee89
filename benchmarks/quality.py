"""Search quality on BEIR SciFact: ranking, snippets and "did you mean", through newsdex's API.

Run from the project root, in its virtualenv::

    python -m benchmarks.quality

It indexes the 5,183 SciFact abstracts (``../shared/data/ir/scifact/``) as article
records with ``indexer.index_records`` (title and body; each abstract's page is
``scifact/corpus.jsonl:<line>``), runs the queries (claims, as plain words: the
query language's marks taken out) of both splits through
``search.open_index(...).search(query, match="any", limit=100)``: the 509
**train** queries, on which ranking settings are chosen, and the 300 **test**
queries, on which they are shown and never chosen. In the same run it ranks the
same queries with two plain BM25 anchors (:mod:`benchmarks.anchors`: tantivy's
defaults and a Lucene-style BM25, title and text as one field) and prints one
table: nDCG@10 and Recall@100 of each, on each split; the published BM25
figures follow as a note. Then, for every top-10 hit of the test queries, how
its snippet looks (marked matches, length, word and sentence boundaries, time
to make), and the share of 300 one-word misspellings
(:mod:`benchmarks.misspellings`) for which "did you mean" gives back the word.

Options: ``--data DIR`` (the SciFact folder), ``--work DIR`` (where the index goes;
default a temporary folder), ``--queries N`` and ``--documents M`` (a reduced run:
the first N queries of each split over the first M abstracts and those judged for
them, as the test runs it), ``--misspellings N`` (0: none).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import anchors, misspellings
from indexer.records import Article, Source
from search.snippets import SEPARATOR

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data" / "ir" / "scifact"
PAGE_PREFIX = "scifact/corpus.jsonl:"
PUBLISHED = (
    # (system, nDCG@10, Recall@100 or None); see ../shared/data/ir/scifact/SOURCE.md
    ("BM25, Elasticsearch (BEIR paper)", 0.665, None),
    ("BM25 flat, Pyserini/Lucene (k1=0.9, b=0.4)", 0.6789, 0.9253),
    ("BM25 multifield, Pyserini/Lucene", 0.6647, 0.9076),
)
# Characters the query language gives a meaning to; a claim is plain words.
# Hyphens and plus signs inside a word mean nothing to it ("IL-10" and "Ca2+"
# stay as typed); at a word's start they leave a word out or require it.
_SYNTAX = re.compile(
    r"""[():"*?~^{}\[\]<>]|(?<!\w)'|'(?!\w)|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b"""
)
_SIGNS = re.compile(r"(?<!\S)[+-]+")
"""Signs that start a word once the marks are out ("5'-nucleotidase" gives "5 -...")."""
_WORD = re.compile(r"\w+")


# --- metrics -------------------------------------------------------------------------


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` of ``ranked``.

    Gains are the judged grades (SciFact's are all 1), discounted by
    ``log2(rank + 1)``, over the best possible ordering of the judged documents.
    """
    gain = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal_grades = sorted(relevant.values(), reverse=True)[:k]
    ideal = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal_grades))
    return gain / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found among the first ``k`` of ``ranked``."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


# --- the data ------------------------------------------------------------------------


SPLITS = {
    "train": ("train-queries.jsonl", "train-qrels.tsv"),
    "test": ("queries.jsonl", "qrels.tsv"),
}
"""Each split's queries and judgements files: settings are chosen on train, shown on test."""


@dataclass(frozen=True)
class Split:
    """A split's queries that have judgements, in file order, and the judgements."""

    queries: list[tuple[str, str]]
    """(query id, text)."""
    qrels: dict[str, dict[str, int]]
    """Query id -> corpus id -> grade."""


@dataclass(frozen=True)
class Benchmark:
    """A BEIR dataset: documents by line, and each split's queries and judgements."""

    documents: list[tuple[str, str, str]]
    """(corpus id, title, text) in file order: line ``n`` is ``documents[n - 1]``."""
    splits: dict[str, Split]

    def words(self) -> Iterator[str]:
        """The corpus's lower-cased words, as ``misspellings.corpus_words`` reads a file."""
        for _, title, text in self.documents:
            yield from _WORD.findall(f"{title}\n\n{text}".lower())

    def reduced(self, queries: int, documents: int) -> Benchmark:
        """The first ``queries`` queries of each split over the first ``documents``
        abstracts and every abstract judged for those queries: a run of seconds,
        for tests."""
        splits = {}
        for name, split in self.splits.items():
            kept = split.queries[:queries]
            splits[name] = Split(kept, {query_id: split.qrels[query_id] for query_id, _ in kept})
        judged = {
            doc for split in splits.values() for judged in split.qrels.values() for doc in judged
        }
        return Benchmark(
            [d for n, d in enumerate(self.documents) if n < documents or d[0] in judged], splits
        )


def load(data: Path = DEFAULT_DATA) -> Benchmark:
    documents = []
    with (data / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            fields = json.loads(line)
            documents.append((fields["_id"], fields["title"], fields["text"]))
    splits = {}
    for name, (queries_file, qrels_file) in SPLITS.items():
        qrels: dict[str, dict[str, int]] = {}
        with (data / qrels_file).open(encoding="utf-8") as lines:
            next(lines)  # header
            for line in lines:
                query_id, doc_id, grade = line.rstrip("\n").split("\t")
                qrels.setdefault(query_id, {})[doc_id] = int(grade)
        queries = []
        with (data / queries_file).open(encoding="utf-8") as lines:
            for line in lines:
                fields = json.loads(line)
                if fields["_id"] in qrels:
                    queries.append((fields["_id"], fields["text"]))
        splits[name] = Split(queries, qrels)
    return Benchmark(documents, splits)


def articles(benchmark: Benchmark) -> Iterator[Article]:
    """Each abstract as an article record, its page named by its line in the corpus."""
    for line, (_, title, text) in enumerate(benchmark.documents, start=1):
        yield Article(title, (text,), (Source(f"{PAGE_PREFIX}{line}", line),))


def plain_words(text: str) -> str:
    """A claim as plain words: the query language's operators and marks taken out."""
    return " ".join(_SIGNS.sub(" ", _SYNTAX.sub(" ", text)).split())


# --- the run -------------------------------------------------------------------------


SYSTEMS = {
    "newsdex": "**newsdex** (its defaults)",
    "tantivy": "tantivy 0.27, defaults (k1=1.2, b=0.75, `en_stem`), flat",
    "lucene": "Lucene-style BM25 (k1=0.9, b=0.4, Porter, stop words), flat",
}
"""The systems of the table, by key: newsdex, then the anchors (:mod:`benchmarks.anchors`)."""
SNIPPET_SPLIT = "test"
"""The split whose top-10 hits the snippet figures look at."""


@dataclass(frozen=True)
class Quality:
    """How well one system ranked one split's queries: means over the queries."""

    ndcg: float
    """nDCG@10."""
    recall: float
    """Recall@100."""


@dataclass
class Figures:
    """What one run measured."""

    queries: dict[str, int]
    """Queries run, by split."""
    ranking: dict[str, dict[str, Quality] | str]
    """By system (a key of :data:`SYSTEMS`): its quality on each split, or why it did not run."""
    search_ms: float
    """Median time of newsdex's ``search(..., match="any", limit=100)`` over every query."""
    snippets: SnippetFigures
    did_you_mean: misspellings.DidYouMean | None


@dataclass(frozen=True)
class SnippetFigures:
    hits: int
    marked: float
    """Share of hits whose snippet marks at least one word."""
    body_hits: int
    body_marked: float
    """The same share among hits whose body has a query word."""
    max_chars: int
    mean_chars: float
    word_bounded: float
    """Share of snippets whose every fragment starts and ends on a word boundary."""
    sentence_start: float
    """Share of snippets whose first fragment starts a sentence (or the text)."""
    median_ms: float
    """Median time per query spent making the snippets of its top ten hits."""


def quality(benchmark: Benchmark, split: str, rankings: anchors.Rankings) -> Quality:
    """The mean nDCG@10 and Recall@100 of a split's rankings (query id -> corpus ids)."""
    judged = benchmark.splits[split]
    ndcgs = [ndcg_at(rankings[query_id], judged.qrels[query_id]) for query_id, _ in judged.queries]
    recalls = [
        recall_at(rankings[query_id], judged.qrels[query_id]) for query_id, _ in judged.queries
    ]
    return Quality(statistics.fmean(ndcgs), statistics.fmean(recalls))


def plain_queries(benchmark: Benchmark) -> dict[str, list[tuple[str, str]]]:
    """Each split's queries as plain words, as every system is given them."""
    return {
        name: [(query_id, plain_words(text)) for query_id, text in split.queries]
        for name, split in benchmark.splits.items()
    }


def newsdex_rankings(
    benchmark: Benchmark, index: Any, times_ms: list[float] | None = None
) -> dict[str, anchors.Rankings]:
    """Each split's queries ranked by ``index.search(words, match="any", limit=100)``
    (an open :class:`search.Index` of :func:`articles`), each search's time
    appended to ``times_ms``."""
    corpus_id = {
        f"{PAGE_PREFIX}{line}": doc_id
        for line, (doc_id, _, _) in enumerate(benchmark.documents, start=1)
    }
    rankings: dict[str, anchors.Rankings] = {}
    for split, queries in plain_queries(benchmark).items():
        ranked: anchors.Rankings = {}
        for query_id, words in queries:
            started = time.perf_counter()
            found = index.search(words, match="any", limit=100)
            if times_ms is not None:
                times_ms.append((time.perf_counter() - started) * 1000)
            ranked[query_id] = [corpus_id[hit.sources[0]] for hit in found.hits]
        rankings[split] = ranked
    return rankings


def anchor_quality(benchmark: Benchmark) -> dict[str, dict[str, Quality] | str]:
    """The anchors' quality on each split, by system key (or why one cannot run)."""
    queries = plain_queries(benchmark)
    found: dict[str, dict[str, Quality] | str] = {}
    unavailable = anchors.tantivy_unavailable()
    if unavailable is None:
        ranked = anchors.tantivy_rankings(benchmark.documents, queries)
        found["tantivy"] = {split: quality(benchmark, split, ranked[split]) for split in queries}
    else:
        found["tantivy"] = unavailable
    ranked = anchors.lucene_rankings(benchmark.documents, queries)
    found["lucene"] = {split: quality(benchmark, split, ranked[split]) for split in queries}
    return found


def evaluate(
    benchmark: Benchmark, index_dir: Path, misspelling_count: int = misspellings.PAIR_COUNT
) -> Figures:
    """Index the corpus afresh at ``index_dir``, then measure ranking (newsdex and
    the anchors, on every split), snippets and spelling."""
    import indexer
    import search

    indexer.index_records(articles(benchmark), index=index_dir, rebuild=True)
    times_ms: list[float] = []
    snippets = _SnippetTally()
    with search.open_index(index_dir) as index:
        rankings = newsdex_rankings(benchmark, index, times_ms)
        for _, words in plain_queries(benchmark)[SNIPPET_SPLIT]:
            with snippets.timed():
                top = index.search(words, match="any", limit=10)
            snippets.add(words, [index.record(hit.id) for hit in top.hits], top.hits)
        did_you_mean = None
        if misspelling_count:
            pairs = misspellings.misspelled_words(benchmark.words(), misspelling_count)
            did_you_mean = misspellings.did_you_mean_share(index, pairs)
    ranking: dict[str, dict[str, Quality] | str] = {
        "newsdex": {split: quality(benchmark, split, rankings[split]) for split in rankings}
    }
    ranking.update(anchor_quality(benchmark))
    return Figures(
        {name: len(split.queries) for name, split in benchmark.splits.items()},
        ranking,
        statistics.median(times_ms) if times_ms else 0.0,
        snippets.figures(),
        did_you_mean,
    )


class _SnippetTally:
    """Looks at the snippets of top hits, and times making them inside the search API.

    The time is what the search spends in its snippet steps (finding the
    matched words in a hit's text, choosing the fragments), measured by
    wrapping those functions of ``search.hits`` while the top-ten search runs.
    """

    _STEPS = ("match_spans", "make_snippet", "whole_snippet")

    def __init__(self) -> None:
        from indexer.storage import build_schema

        self._analyzer = build_schema()["body"].analyzer
        self.hits = self.marked = self.body_hits = self.body_marked = 0
        self.lengths: list[int] = []
        self.word_bounded = self.sentence_start = 0
        self.times_ms: list[float] = []
        self._spent = 0.0

    @contextlib.contextmanager
    def timed(self) -> Iterator[None]:
        from search import hits

        originals = {name: getattr(hits, name) for name in self._STEPS}

        def timing(step: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return step(*args, **kwargs)
                finally:
                    self._spent += time.perf_counter() - started

            return run

        self._spent = 0.0
        for name, step in originals.items():
            setattr(hits, name, timing(step))
        try:
            yield
        finally:
            for name, step in originals.items():
                setattr(hits, name, step)
        self.times_ms.append(self._spent * 1000)

    def _stems(self, text: str) -> set[str]:
        return {token.text for token in self._analyzer(text)}

    def add(self, query: str, records: Sequence[Any], hits: Sequence[Any]) -> None:
        wanted = self._stems(query)
        for record, hit in zip(records, hits, strict=True):
            snippet = hit.snippet
            body = " ".join(record.text.split())
            self.hits += 1
            self.marked += bool(snippet.marks)
            if wanted & self._stems(record.text):
                self.body_hits += 1
                self.body_marked += bool(snippet.marks)
            self.lengths.append(len(snippet.text))
            places = [body.find(fragment) for fragment in snippet.text.split(SEPARATOR)]
            fragments = zip(places, snippet.text.split(SEPARATOR), strict=True)
            self.word_bounded += all(
                _on_word_boundaries(body, place, len(fragment)) for place, fragment in fragments
            )
            first = places[0]
            self.sentence_start += first == 0 or (
                first > 0 and body[:first].rstrip().endswith((".", "!", "?"))
            )

    def figures(self) -> SnippetFigures:
        share = _share
        return SnippetFigures(
            self.hits,
            share(self.marked, self.hits),
            self.body_hits,
            share(self.body_marked, self.body_hits),
            max(self.lengths, default=0),
            statistics.fmean(self.lengths) if self.lengths else 0.0,
            share(self.word_bounded, self.hits),
            share(self.sentence_start, self.hits),
            statistics.median(self.times_ms) if self.times_ms else 0.0,
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _on_word_boundaries(text: str, start: int, length: int) -> bool:
    """Whether ``text[start:start + length]`` cuts no word in two (False if not found)."""
    if start < 0:
        return False
    end = start + length
    starts_clean = start == 0 or not (text[start - 1].isalnum() and text[start].isalnum())
    ends_clean = end >= len(text) or not (text[end - 1].isalnum() and text[end].isalnum())
    return starts_clean and ends_clean


# --- the report ----------------------------------------------------------------------


def report(figures: Figures) -> str:
    """The run's figures as markdown: the ranking table, then snippets and spelling."""
    splits = list(figures.queries)
    counts = ", ".join(f"{figures.queries[split]} {split}" for split in splits)
    lines = [
        f'**BEIR SciFact, `match="any"`, queries: {counts}** (settings are chosen on train)',
        "",
        "| system | "
        + " | ".join(f"{split} nDCG@10 | {split} Recall@100" for split in splits)
        + " |",
        "|---" * (1 + 2 * len(splits)) + "|",
    ]
    for system, name in SYSTEMS.items():
        found = figures.ranking.get(system, "not run")
        if isinstance(found, str):
            lines.append(f"| {name} (not run: {found}) |" + " - |" * (2 * len(splits)))
            continue
        cells = [f"{found[split].ndcg:.4f} | {found[split].recall:.4f}" for split in splits]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Flat: title and text as one field. newsdex keeps them apart (BM25F).",
        f"newsdex's search (`limit=100`): median {figures.search_ms:.1f} ms per query.",
        "",
        "Published BM25 figures, test split (a note: not run here; see the data's SOURCE.md):",
        *(
            f"- {name}: nDCG@10 {ndcg:.4f}" + (f", Recall@100 {recall:.4f}" if recall else "")
            for name, ndcg, recall in PUBLISHED
        ),
    ]
    shown = figures.snippets
    lines += [
        "",
        f"Snippets of the top 10 hits of the {SNIPPET_SPLIT} queries ({shown.hits:,} hits):",
        f"- with a marked match: {shown.marked:.1%}; among the {shown.body_hits:,} hits"
        f" whose body has a query word: {shown.body_marked:.1%}",
        f"- length: max {shown.max_chars} characters, mean {shown.mean_chars:.0f}",
        f"- starting and ending on word boundaries: {shown.word_bounded:.1%};"
        f" starting a sentence: {shown.sentence_start:.1%}",
        f"- time making them: median {shown.median_ms:.2f} ms per query (ten hits)",
    ]
    spelling = figures.did_you_mean
    if spelling is not None:
        lines.append(
            f"\nDid you mean, {spelling.pairs} misspelt corpus words (one random edit):"
            f" {spelling.right}/{spelling.pairs} = {spelling.share:.1%} give the word back"
            f" (search and suggestion: median {spelling.median_ms:.1f} ms)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the SciFact folder")
    parser.add_argument("--work", type=Path, help="where to build the index [a temporary folder]")
    parser.add_argument("--queries", type=int, help="only the first N queries of each split ...")
    parser.add_argument("--documents", type=int, default=500, help="... over N abstracts [500]")
    parser.add_argument("--misspellings", type=int, default=misspellings.PAIR_COUNT)
    options = parser.parse_args(argv)
    benchmark = load(options.data)
    if options.queries:
        benchmark = benchmark.reduced(options.queries, options.documents)
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = (options.work or Path(scratch)) / "scifact-index"
        print(f"indexing {len(benchmark.documents):,} abstracts ...", file=sys.stderr)
        figures = evaluate(benchmark, index_dir, options.misspellings)
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
