"""tantivy through tantivy-py (the ``bench`` extra): the same records as the Whoosh baseline.

Title and body use tantivy's ``en_stem`` tokenizer; the default writer (128 MB heap,
one thread per core), one commit, then merges waited for. A query is
``parse_query(..., ["title", "body"], conjunction_by_default=True)`` with footers
excluded, top 10 without counting all matches (``count=False``, so block-max pruning
applies, as ``LIMIT`` does in FTS5), and ``SnippetGenerator`` on the body.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engines import common

HAS_INDEX = True


def unavailable() -> str | None:
    if importlib.util.find_spec("tantivy") is None:
        return "tantivy is not installed (pip install -e '.[bench]')"
    return None


def build(pages_dir: Path, index_dir: Path) -> None:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("kind", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("published", stored=True, tokenizer_name="raw", index_option="basic")
    index_dir.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(builder.build(), path=str(index_dir))
    writer = index.writer()
    for doc in common.records(pages_dir):
        fields: dict[str, Any] = {"id": doc.id, "kind": doc.kind, "body": doc.body}
        if doc.title:
            fields["title"] = doc.title
        if doc.published:
            fields["published"] = doc.published
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()


class Searcher:
    def __init__(self, index_dir: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.index = tantivy.Index.open(str(index_dir))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        self.no_footers = tantivy.Query.term_query(self.schema, "kind", "footer")

    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> common.Hits:
        tantivy = self.tantivy
        text = f'"{" ".join(words)}"' if phrase else " ".join(words)
        parsed = self.index.parse_query(text, ["title", "body"], conjunction_by_default=True)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, parsed), (tantivy.Occur.MustNot, self.no_footers)]
        )
        result = self.searcher.search(query, limit, count=False)
        snippets = tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, "body")
        hits = []
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            hits.append((str(doc.get_first("id")), snippets.snippet_from_doc(doc).fragment()))
        return hits

    def close(self) -> None:
        pass


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
