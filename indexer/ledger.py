"""What one index run has met so far, kept on disk so that memory stays flat.

A run must know which pages it has met (to take a file named twice once, to
spot a dumped page seen before, to find the pages that vanished) and which
records (to write each headline once however many pages carry it, and to
keep a record that some page still holds). Held in Python sets, those grew
with every page. Here
they live in a temporary SQLite database: SQLite deletes its file when the
run ends or its process dies, and holds at most its page cache in memory
(and the ledger the last :data:`RECORDS_KEPT` records it met, up to
:data:`NOTES_HELD` notes of records not yet written, and, in a run over a
known index, up to :data:`PAGES_KEPT` pages).
Its file is in the temporary folder (``SQLITE_TMPDIR`` or ``TMPDIR``).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from indexer.errors import IndexWriteFailed
from indexer.records import KINDS, Kind

CACHE_KIB = 2 * 1024
"""SQLite's page cache: what the ledger may hold in memory before it uses its file.

The file stays in the operating system's page cache, so a small cache costs
little, and the run's memory stays flat (docs/performance.md)."""


PAGES_KEPT = 100_000
"""Page keys the ledger of a run over a known index holds in memory; past
that many they go to its file. A run over pages the index knows (a
re-index, an addition) holds them all in memory anyway, and asking SQLite
whether it met each file was most of walking an unchanged folder; a first
build keeps its pages in the file from the first (memory stays flat)."""

KEYS_ASKED = 500
"""Page keys looked up in one query (SQLite allows 32,766 parameters)."""

NOTES_HELD = 2_000
"""Records noted and not yet in the database, written together (one
statement each was most of noting them); any query of records writes them first."""

RECORDS_KEPT = 10_000
"""Records last noted or looked up, kept in memory as well: a page's ticker
mostly repeats headlines of the pages just before it, and each was a query."""


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
            -- kind is null for records only of pages kept unchanged. written:
            -- the sites the record's live document names; run_sites: those
            -- of this run's pages holding it; published: the date its
            -- document was written with (ISO); state: see MetRecord.
            CREATE TABLE records (
                id TEXT PRIMARY KEY, kind TEXT, state TEXT,
                written TEXT, run_sites TEXT, published TEXT
            ) WITHOUT ROWID;
            CREATE TABLE orphan_candidates (id TEXT PRIMARY KEY) WITHOUT ROWID;
            """
        )
        self._recent: dict[str, MetRecord] = {}
        """At most :data:`RECORDS_KEPT` records as the database holds them, oldest first."""
        self._notes: dict[str, tuple[bytes | None, ...]] = {}
        """Records noted and not yet written (see :data:`NOTES_HELD`), as rows."""
        self._records_let_go = False
        """Whether a record noted left memory (only then is the database asked)."""
        self._pages: set[str] = set()
        """Pages met and not yet in the database (see :meth:`keep_pages_in_memory`)."""
        self._pages_kept = 0
        self._pages_in_file = True
        """Whether the file may hold pages met (from the first, unless kept in memory)."""

    def keep_pages_in_memory(self) -> None:
        """Hold up to :data:`PAGES_KEPT` pages met in memory, not in the file
        (for a run over an index whose pages it knows, and holds, already);
        asked before the run meets a page."""
        self._pages_kept = PAGES_KEPT
        self._pages_in_file = bool(self._run("SELECT 1 FROM pages LIMIT 1").fetchone())

    def meet_page(self, key: str) -> bool:
        """Note a page (or file) met; whether it is the first time this run."""
        if not self._pages_kept:
            return self._run("INSERT OR IGNORE INTO pages VALUES (?)", key).rowcount == 1
        if key in self._pages:
            return False
        if self._pages_in_file:
            met = self._run("SELECT 1 FROM pages WHERE key = ?", key).fetchone() is not None
            if met:
                return False
        self._pages.add(key)
        if len(self._pages) >= self._pages_kept:
            self._spill_pages()
        return True

    def meet_pages(self, keys: Iterable[str]) -> None:
        if not self._pages_kept:
            self._run_many("INSERT OR IGNORE INTO pages VALUES (?)", keys)
            return
        self._pages.update(keys)
        if len(self._pages) >= self._pages_kept:
            self._spill_pages()

    def _spill_pages(self) -> None:
        self._run_many("INSERT OR IGNORE INTO pages VALUES (?)", sorted(self._pages))
        self._pages.clear()
        self._pages_in_file = True

    def pages_not_met(self, keys: Iterable[str]) -> Iterator[str]:
        """Those of ``keys`` this run has not met, in their order: asked
        :data:`KEYS_ASKED` at a time, where one query each was most of finding
        what vanished from a large index."""
        keys = (key for key in keys if key not in self._pages)
        if not self._pages_in_file:
            yield from keys
            return
        while batch := list(itertools.islice(keys, KEYS_ASKED)):
            marks = ",".join("?" * len(batch))
            rows = self._run(f"SELECT key FROM pages WHERE key IN ({marks})", *batch)
            met = {_text(key) for (key,) in self._fetch(rows)}
            yield from (key for key in batch if key not in met)

    def met_record(self, record_id: str) -> MetRecord | None:
        """What this run knows of a record a page read this run held; ``None``
        if no such page held it yet."""
        met = self._recent.get(record_id)
        if met is not None or not self._records_let_go:
            return met  # while memory holds every record noted, it answers alone
        self._write_notes()
        row = self._run(
            "SELECT kind, state, written, run_sites, published FROM records"
            " WHERE id = ? AND kind IS NOT NULL",
            record_id,
        ).fetchone()
        if row is None:
            return None
        kind, state, written, run_sites, published = (
            _text(value) if value is not None else None for value in row
        )
        written_sites = _sites(written) if written is not None else None
        met = MetRecord(
            cast(Kind, kind), cast(str, state), written_sites, _sites(run_sites), published or None
        )
        self._keep(record_id, met)
        return met

    def note_record(self, record_id: str, met: MetRecord) -> None:
        """Note (or update) what this run knows of a record."""
        written = ",".join(sorted(met.written)) if met.written is not None else None
        sites = ",".join(sorted(met.run_sites))
        values = (record_id, met.kind, met.state, written, sites, met.published or "")
        self._notes[record_id] = tuple(_stored(v) if v is not None else None for v in values)
        if len(self._notes) >= NOTES_HELD:
            self._write_notes()
        self._keep(record_id, met)

    def _write_notes(self) -> None:
        if self._notes:
            notes, self._notes = self._notes, {}
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)", notes.values()
                )
            except sqlite3.Error as error:
                raise _ledger_failed(error) from error

    def _keep(self, record_id: str, met: MetRecord) -> None:
        recent = self._recent
        recent.pop(record_id, None)
        if len(recent) >= RECORDS_KEPT:
            del recent[next(iter(recent))]
            self._records_let_go = True
        recent[record_id] = met

    def keep_records(self, record_ids: Iterable[str]) -> None:
        """Note the records of a page kept unchanged: they stay."""
        self._run_many("INSERT OR IGNORE INTO records (id) VALUES (?)", record_ids)

    def add_orphan_candidates(self, record_ids: Iterable[str]) -> None:
        """Records a removed or changed page held: they go unless another page holds them."""
        self._run_many("INSERT OR IGNORE INTO orphan_candidates VALUES (?)", record_ids)

    def orphan_candidates(self) -> list[tuple[str, bool]]:
        """The candidates, in order, each with whether a page of this run holds it."""
        self._write_notes()
        rows = self._run(
            "SELECT id, id IN (SELECT id FROM records) FROM orphan_candidates ORDER BY id"
        )
        return [(_text(record_id), bool(held)) for record_id, held in self._fetch(rows)]

    def rewritten_records(self) -> list[tuple[str, frozenset[str]]]:
        """Records whose document this run wrote again, each with its final sites."""
        self._write_notes()
        rows = self._run("SELECT id, written FROM records WHERE state = ?", REWRITTEN)
        found = self._fetch(rows)
        return [(_text(record_id), _sites(_text(written))) for record_id, written in found]

    def records_by_kind(self) -> dict[Kind, int]:
        """Distinct records of the pages read this run, by kind (in the order of KINDS)."""
        self._write_notes()
        rows = self._run("SELECT kind, count(*) FROM records WHERE kind IS NOT NULL GROUP BY kind")
        counts = {_text(kind): count for kind, count in self._fetch(rows)}
        return {kind: counts[kind] for kind in KINDS if kind in counts}

    def close(self) -> None:
        self._db.close()

    def _run(self, statement: str, *parameters: str | None) -> sqlite3.Cursor:
        try:
            stored = [_stored(value) if value is not None else None for value in parameters]
            return self._db.execute(statement, stored)
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


NEW, COMMITTED, REWRITTEN = "new", "committed", "rewritten"


@dataclass(frozen=True)
class MetRecord:
    """What an index run knows of a record it met.

    ``state`` says where the record's live document is: ``new`` (written by
    this run), ``committed`` (in the index before the run, untouched), or
    ``rewritten`` (written again by this run, its sites grown or shrunk: the
    documents it had before go at the commit).
    """

    kind: Kind
    state: str
    written: frozenset[str] | None = frozenset()
    """The sites the live document names; ``None`` for a committed record whose
    document the run has not read yet (a page without a site never needs to)."""
    run_sites: frozenset[str] = frozenset()
    """The sites of the pages of this run that hold the record."""
    published: str | None = None
    """The date the live document was written with (ISO 8601), if any."""


def _sites(joined: str | None) -> frozenset[str]:
    return frozenset(joined.split(",")) if joined else frozenset()


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
