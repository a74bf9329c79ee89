"""What one index run has met so far, kept on disk so that memory stays flat.

A run must know which pages it has met (to take a file named twice once, to
spot a dumped page seen before, to find the pages that vanished) and which
records (to write each headline once however many pages carry it, and to
keep a record that some page still holds). Held in Python sets, those took
a third of the run's memory at 50,000 pages and grew with every page. Here
they live in a temporary SQLite database: SQLite deletes its file when the
run ends or its process dies, and holds at most its page cache in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

from indexer.records import KINDS, Kind

CACHE_KIB = 16 * 1024
"""SQLite's page cache: what the ledger may hold in memory before it uses its file."""


class RunLedger:
    """The pages and records one index run has met."""

    def __init__(self) -> None:
        # "" is SQLite's private temporary database: on disk, removed on close.
        self._db = sqlite3.connect("")
        self._db.executescript(
            f"""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -{CACHE_KIB};
            CREATE TABLE pages (key TEXT PRIMARY KEY) WITHOUT ROWID;
            -- kind is null for records only of pages kept unchanged.
            CREATE TABLE records (id TEXT PRIMARY KEY, kind TEXT) WITHOUT ROWID;
            CREATE TABLE orphan_candidates (id TEXT PRIMARY KEY) WITHOUT ROWID;
            """
        )
        self._execute = self._db.execute

    def meet_page(self, key: str) -> bool:
        """Note a page (or file) met; whether it is the first time this run."""
        return self._execute("INSERT OR IGNORE INTO pages VALUES (?)", (key,)).rowcount == 1

    def meet_pages(self, keys: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO pages VALUES (?)", ((key,) for key in keys))

    def has_met_page(self, key: str) -> bool:
        return self._execute("SELECT 1 FROM pages WHERE key = ?", (key,)).fetchone() is not None

    def meet_record(self, record_id: str, kind: Kind) -> bool:
        """Note a record of a page read this run; whether no page read before held it."""
        met = self._execute(
            "INSERT INTO records VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind"
            " WHERE kind IS NULL",
            (record_id, kind),
        )
        return met.rowcount == 1

    def keep_records(self, record_ids: Iterable[str]) -> None:
        """Note the records of a page kept unchanged: they stay."""
        self._db.executemany(
            "INSERT OR IGNORE INTO records VALUES (?, NULL)", ((id_,) for id_ in record_ids)
        )

    def add_orphan_candidates(self, record_ids: Iterable[str]) -> None:
        """Records a removed or changed page held: they go unless another page holds them."""
        self._db.executemany(
            "INSERT OR IGNORE INTO orphan_candidates VALUES (?)", ((id_,) for id_ in record_ids)
        )

    def unmet_orphan_candidates(self) -> Iterator[str]:
        """The candidates no page of this run holds, in order."""
        rows = self._execute(
            "SELECT id FROM orphan_candidates WHERE id NOT IN (SELECT id FROM records) ORDER BY id"
        )
        return (record_id for (record_id,) in rows)

    def records_by_kind(self) -> dict[Kind, int]:
        """Distinct records of the pages read this run, by kind (in the order of KINDS)."""
        rows = self._execute(
            "SELECT kind, count(*) FROM records WHERE kind IS NOT NULL GROUP BY kind"
        )
        counts = dict(rows.fetchall())
        return {kind: counts[kind] for kind in KINDS if kind in counts}

    def close(self) -> None:
        self._db.close()
