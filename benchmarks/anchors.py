"""Two plain BM25 rankings of a BEIR corpus, computed beside newsdex's in the same run.

They are anchors: what a reader could get from a BM25 engine out of the box,
with title and text as one field (as Pyserini's "flat" index does), so that
newsdex's figures are never compared with numbers from another day, another
copy of the data or another way of running the queries.

- :func:`tantivy_rankings`: tantivy (the ``bench`` extra) with its defaults:
  BM25 with k1=1.2, b=0.75, the ``en_stem`` tokenizer (split on anything not
  a letter or digit, lower-cased, Snowball English stemmer, no stop words).
- :func:`lucene_rankings`: Lucene's BM25 formula (k1=0.9, b=0.4, Lucene's idf)
  in a few lines of Python, over the tokens of Whoosh's ``StemmingAnalyzer()``
  as it ships (Porter stemmer, Whoosh's stop list, words of 2+ characters),
  each query word counted once. Fixed here on purpose: newsdex's own analyzer
  may change, the anchor does not.

A query is its text as :func:`benchmarks.quality.plain_words` gives it to
newsdex; both rank every document holding one of its words (``OR``).
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

Documents = Sequence[tuple[str, str, str]]
"""(corpus id, title, text) of each document."""
Queries = Sequence[tuple[str, str]]
"""(query id, text as plain words) of each query."""
Rankings = dict[str, list[str]]
"""Query id -> the corpus ids of the best documents, best first."""

LUCENE_K1 = 0.9
LUCENE_B = 0.4
_ALPHANUMERIC = re.compile(r"[^\W_]+")


def flat_text(title: str, text: str) -> str:
    """Title and text as one field."""
    return f"{title}\n\n{text}"


def tantivy_unavailable() -> str | None:
    """Why tantivy cannot run here, or ``None``."""
    if importlib.util.find_spec("tantivy") is None:
        return "tantivy is not installed (pip install -e '.[bench]')"
    return None


def tantivy_rankings(
    documents: Documents, splits: Mapping[str, Queries], depth: int = 100
) -> dict[str, Rankings]:
    """Each split's queries ranked by tantivy, in an index in memory with one
    ``en_stem`` text field (title and text) and tantivy's default BM25.

    A query is handed to tantivy's parser as its lower-cased runs of letters
    and digits: the tokens ``en_stem`` would cut from it anyway, with nothing
    left for the query syntax to trip on (an apostrophe is a syntax error).
    """
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer()
    for corpus_id, title, text in documents:
        writer.add_document(tantivy.Document(id=corpus_id, text=flat_text(title, text)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    rankings: dict[str, Rankings] = {}
    for split, queries in splits.items():
        ranked: Rankings = {}
        for query_id, words in queries:
            text = " ".join(_ALPHANUMERIC.findall(words.lower()))
            hits = searcher.search(index.parse_query(text, ["text"]), depth).hits if text else []
            ranked[query_id] = [str(searcher.doc(address).get_first("id")) for _, address in hits]
        rankings[split] = ranked
    return rankings


def lucene_rankings(
    documents: Documents,
    splits: Mapping[str, Queries],
    depth: int = 100,
    k1: float = LUCENE_K1,
    b: float = LUCENE_B,
) -> dict[str, Rankings]:
    """Each split's queries ranked by Lucene's BM25 over one flat field.

    ``idf = log(1 + (N - n + 0.5) / (n + 0.5))``, and a term's score in a
    document ``idf * tf / (tf + k1 * (1 - b + b * length / average))``
    (Lucene 8's form: without the constant ``k1 + 1``, which ranks the same).
    Lengths are exact token counts (Lucene rounds them to a byte). Ties go
    to the document earlier in the corpus.
    """
    from whoosh.analysis import StemmingAnalyzer

    analyzer = StemmingAnalyzer()

    def tokens(text: str) -> list[str]:
        return [token.text for token in analyzer(text)]

    postings: dict[str, list[tuple[int, int]]] = {}
    lengths: list[int] = []
    for number, (_, title, text) in enumerate(documents):
        counts = Counter(tokens(flat_text(title, text)))
        lengths.append(sum(counts.values()))
        for term, frequency in counts.items():
            postings.setdefault(term, []).append((number, frequency))
    count = len(documents)
    average = sum(lengths) / count if count else 1.0
    norms = [k1 * (1 - b + b * length / average) for length in lengths]
    rankings: dict[str, Rankings] = {}
    for split, queries in splits.items():
        ranked: Rankings = {}
        for query_id, words in queries:
            scores: dict[int, float] = {}
            for term in dict.fromkeys(tokens(words)):
                found = postings.get(term, ())
                idf = math.log(1 + (count - len(found) + 0.5) / (len(found) + 0.5))
                for number, frequency in found:
                    score = idf * frequency / (frequency + norms[number])
                    scores[number] = scores.get(number, 0.0) + score
            best = sorted(scores, key=lambda number: (-scores[number], number))[:depth]
            ranked[query_id] = [documents[number][0] for number in best]
        rankings[split] = ranked
    return rankings
