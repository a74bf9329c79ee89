"""The baseline: Whoosh used as its documentation shows, with nothing tuned.

``StemmingAnalyzer`` fields, the default ``ix.writer()`` and one ``commit()``; one
document per article, per headline occurrence and per footer (no merging of repeats);
``open_dir`` (mmap on, the default) once, then a new searcher and parser per query in a
``with ix.searcher()`` block, ``MultifieldParser`` over title and body (AND), footers
masked out, and ``hit.highlights("body")`` for each of the top 10.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.engines import common

HAS_INDEX = True


def unavailable() -> str | None:
    return None


def build(pages_dir: Path, index_dir: Path) -> None:
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import DATETIME, ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        published=DATETIME(stored=True),
    )
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer()
    for doc in common.records(pages_dir):
        fields: dict[str, Any] = {
            "id": doc.id,
            "kind": doc.kind,
            "title": doc.title,
            "body": doc.body,
        }
        if doc.published:  # naive UTC, as Whoosh wants it
            fields["published"] = datetime.fromisoformat(doc.published).replace(tzinfo=None)
        writer.add_document(**fields)
    writer.commit()


class Searcher:
    def __init__(self, index_dir: Path) -> None:
        from whoosh import index

        self.ix = index.open_dir(str(index_dir))

    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> common.Hits:
        from whoosh.qparser import MultifieldParser
        from whoosh.query import Term

        text = f'"{" ".join(words)}"' if phrase else " ".join(words)
        with self.ix.searcher() as searcher:
            query = MultifieldParser(["title", "body"], self.ix.schema).parse(text)
            results = searcher.search(query, limit=limit, mask=Term("kind", "footer"))
            return [(hit["id"], hit.highlights("body")) for hit in results]

    def close(self) -> None:
        self.ix.close()


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
