"""What one index run has met so far, kept on disk so that memory stays flat.

A run must know which pages it has met (to take a file named twice once, to
spot a dumped page seen before, to find the pages that vanished) and which
records (to write each headline once however many pages carry it, and to
keep a record that some page still holds). Held in Python sets, those grew
with every page. Here
they live in a temporary SQLite database: SQLite deletes its file when the
run ends or its process dies, and holds at most its page cache in memory.
Its file is in the temporary folder (``SQLITE_TMPDIR`` or ``TMPDIR``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from indexer.errors import IndexWriteFailed
from indexer.records import KINDS, Kind

CACHE_KIB = 2 * 1024
"""SQLite's page cache: what the ledger may hold in memory before it uses its file.

The file stays in the operating system's page cache, so a small cache costs
little, and the run's memory stays flat (docs/performance.md)."""


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

    def meet_page(self, key: str) -> bool:
        """Note a page (or file) met; whether it is the first time this run."""
        return self._run("INSERT OR IGNORE INTO pages VALUES (?)", key).rowcount == 1

    def meet_pages(self, keys: Iterable[str]) -> None:
        self._run_many("INSERT OR IGNORE INTO pages VALUES (?)", keys)

    def has_met_page(self, key: str) -> bool:
        return self._run("SELECT 1 FROM pages WHERE key = ?", key).fetchone() is not None

    def meet_record(self, record_id: str, kind: Kind) -> bool:
        """Note a record of a page read this run; whether no page read before held it."""
        met = self._run(
            "INSERT INTO records VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind"
            " WHERE kind IS NULL",
            record_id,
            kind,
        )
        return met.rowcount == 1

    def keep_records(self, record_ids: Iterable[str]) -> None:
        """Note the records of a page kept unchanged: they stay."""
        self._run_many("INSERT OR IGNORE INTO records VALUES (?, NULL)", record_ids)

    def add_orphan_candidates(self, record_ids: Iterable[str]) -> None:
        """Records a removed or changed page held: they go unless another page holds them."""
        self._run_many("INSERT OR IGNORE INTO orphan_candidates VALUES (?)", record_ids)

    def unmet_orphan_candidates(self) -> list[str]:
        """The candidates no page of this run holds, in order."""
        rows = self._run(
            "SELECT id FROM orphan_candidates WHERE id NOT IN (SELECT id FROM records) ORDER BY id"
        )
        return [_text(record_id) for (record_id,) in self._fetch(rows)]

    def records_by_kind(self) -> dict[Kind, int]:
        """Distinct records of the pages read this run, by kind (in the order of KINDS)."""
        rows = self._run("SELECT kind, count(*) FROM records WHERE kind IS NOT NULL GROUP BY kind")
        counts = {_text(kind): count for kind, count in self._fetch(rows)}
        return {kind: counts[kind] for kind in KINDS if kind in counts}

    def close(self) -> None:
        self._db.close()

    def _run(self, statement: str, *parameters: str) -> sqlite3.Cursor:
        try:
            return self._db.execute(statement, [_stored(value) for value in parameters])
        except sqlite3.Error as error:
            raise _ledger_failed(error) from error

    def _run_many(self, statement: str, values: Iterable[str]) -> None:
        try:
            self._db.executemany(statement, ((_stored(value),) for value in values))
        except sqlite3.Error as error:
            raise _ledger_failed(error) from error

    def _fetch(self, rows: sqlite3.Cursor) -> list[Any]:
        try:
            return rows.fetchall()
        except sqlite3.Error as error:
            raise _ledger_failed(error) from error


def _stored(text: str) -> bytes:
    # A file name that is not UTF-8 reaches Python with lone surrogates
    # ("\udcff"), which SQLite's text cannot hold: kept as bytes, as written.
    return text.encode("utf-8", "surrogatepass")


def _text(stored: bytes) -> str:
    return stored.decode("utf-8", "surrogatepass")


def _ledger_failed(error: sqlite3.Error) -> IndexWriteFailed:
    return IndexWriteFailed(
        f"cannot keep the run's list of pages and records in the temporary folder: {error};"
        " the index is unchanged",
        hint="free some space there, or point TMPDIR at a folder with room",
    )
