"""SQLite FTS5 from the standard library: the same records as the Whoosh baseline.

One FTS5 table (``tokenize='porter unicode61'``; id, kind and time unindexed), filled
in one transaction. A query is ``MATCH`` over title and body (quoted words, so AND, or
one quoted phrase), footers filtered out, ``ORDER BY bm25(records)``, ``LIMIT 10``, with
``snippet()`` of the body.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.engines import common

HAS_INDEX = True
DATABASE = "records.db"
QUERY = """
    SELECT id, snippet(records, 4, '[', ']', '…', 24) FROM records
    WHERE records MATCH ? AND kind != 'footer'
    ORDER BY bm25(records) LIMIT ?
"""


def unavailable() -> str | None:
    import sqlite3

    with sqlite3.connect(":memory:") as db:
        try:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        except sqlite3.OperationalError as error:
            return f"this sqlite3 has no FTS5: {error}"
    return None


def build(pages_dir: Path, index_dir: Path) -> None:
    import sqlite3

    index_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(index_dir / DATABASE)
    with db:
        db.execute(
            "CREATE VIRTUAL TABLE records USING fts5("
            "id UNINDEXED, kind UNINDEXED, published UNINDEXED, title, body,"
            " tokenize='porter unicode61')"
        )
        db.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)",
            ((d.id, d.kind, d.published, d.title, d.body) for d in common.records(pages_dir)),
        )
    db.close()


def match_expression(words: Sequence[str], phrase: bool) -> str:
    """Quoted, so that no word is read as an FTS5 operator."""
    if phrase:
        return '"' + " ".join(words) + '"'
    return " ".join(f'"{word}"' for word in words)


class Searcher:
    def __init__(self, index_dir: Path) -> None:
        import sqlite3

        path = index_dir / DATABASE
        if not path.exists():
            raise FileNotFoundError(path)
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> common.Hits:
        rows = self.db.execute(QUERY, (match_expression(words, phrase), limit)).fetchall()
        return [(str(hit_id), str(snippet)) for hit_id, snippet in rows]

    def close(self) -> None:
        self.db.close()


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
