"""An index run's ledger: which pages and records the run has met."""

from __future__ import annotations

import pytest

from indexer import ledger as ledger_module
from indexer.ledger import COMMITTED, KEYS_ASKED, NEW, REWRITTEN, MetRecord, RunLedger


def ledger_holding_pages(where: str) -> RunLedger:
    """A ledger keeping the pages met in its file (a first build's), or in
    memory (a run over a known index's)."""
    ledger = RunLedger()
    if where == "memory":
        ledger.keep_pages_in_memory()
    return ledger


@pytest.mark.parametrize("where", ["file", "memory"])
def test_ledger_meets_a_page_once(where: str) -> None:
    ledger = ledger_holding_pages(where)
    assert ledger.meet_page("crawl/a.txt")
    assert not ledger.meet_page("crawl/a.txt")
    assert list(ledger.pages_not_met(["crawl/b.txt", "crawl/a.txt"])) == ["crawl/b.txt"]


@pytest.mark.parametrize("where", ["file", "memory"])
def test_pages_not_met_are_found_among_more_keys_than_one_query_asks(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setattr(ledger_module, "PAGES_KEPT", 10)  # from memory to the file
    ledger = ledger_holding_pages(where)
    keys = [f"crawl/{number}.txt" for number in range(3 * KEYS_ASKED + 7)]
    ledger.meet_pages(keys[::2])
    assert list(ledger.pages_not_met(keys)) == keys[1::2]


def test_pages_are_met_once_when_more_were_met_than_memory_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Those met first are then found in the database, the others in memory.
    monkeypatch.setattr(ledger_module, "PAGES_KEPT", 3)
    ledger = ledger_holding_pages("memory")
    keys = [f"crawl/{number}.txt" for number in range(8)]
    assert [ledger.meet_page(key) for key in keys] == [True] * 8
    assert [ledger.meet_page(key) for key in keys] == [False] * 8
    assert len(ledger._pages) < 3
    assert list(ledger.pages_not_met(["crawl/9.txt", *keys, "crawl/1.txt.bak"])) == [
        "crawl/9.txt",
        "crawl/1.txt.bak",
    ]


def test_a_first_build_s_ledger_holds_no_page_in_memory() -> None:
    ledger = RunLedger()
    ledger.meet_pages([f"crawl/{number}.txt" for number in range(50)])
    assert ledger.meet_page("crawl/x.txt")
    assert not ledger.meet_page("crawl/7.txt")
    assert ledger._pages == set()


def test_a_record_is_unknown_until_noted_then_as_noted() -> None:
    ledger = RunLedger()
    assert ledger.met_record("h-1") is None
    met = MetRecord("headline", NEW, frozenset({"a.com"}), frozenset({"a.com"}), "2018-12-14")
    ledger.note_record("h-1", met)
    assert ledger.met_record("h-1") == met


@pytest.mark.parametrize("notes_held", [1, 4, ledger_module.NOTES_HELD])
def test_records_are_as_last_noted_once_more_were_noted_than_memory_keeps(
    monkeypatch: pytest.MonkeyPatch, notes_held: int
) -> None:
    # The first ones are then read back from the database, updates included,
    # whether their notes were written one by one, in batches, or not yet.
    monkeypatch.setattr(ledger_module, "RECORDS_KEPT", 3)
    monkeypatch.setattr(ledger_module, "NOTES_HELD", notes_held)
    ledger = RunLedger()
    noted = {
        f"h-{number}": MetRecord("headline", NEW, frozenset({f"s{number}.com"}))
        for number in range(8)
    }
    for record_id, met in noted.items():
        ledger.note_record(record_id, met)
    noted["h-0"] = MetRecord("headline", REWRITTEN, frozenset({"s0.com", "t.com"}))
    ledger.note_record("h-0", noted["h-0"])
    assert {record_id: ledger.met_record(record_id) for record_id in noted} == noted
    assert ledger.met_record("h-9") is None


def test_a_committed_record_whose_sites_are_not_read_yet_keeps_them_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As noted, and as read back from the database once memory lets it go.
    monkeypatch.setattr(ledger_module, "RECORDS_KEPT", 1)
    ledger = RunLedger()
    unread = MetRecord("headline", COMMITTED, None)
    none = MetRecord("headline", COMMITTED, frozenset())
    ledger.note_record("h-1", unread)
    ledger.note_record("h-2", none)
    ledger.note_record("h-3", unread)
    assert [ledger.met_record(f"h-{n}") for n in (1, 2, 3)] == [unread, none, unread]


def test_a_record_of_a_kept_page_is_still_unknown_to_the_first_page_read() -> None:
    # The index is asked then, and has it: it is not written twice.
    ledger = RunLedger()
    ledger.keep_records(["h-1"])
    assert ledger.met_record("h-1") is None


def test_orphan_candidates_say_whether_a_page_of_the_run_holds_them() -> None:
    ledger = RunLedger()
    ledger.add_orphan_candidates(["h-3", "h-1", "h-2", "a-9"])
    ledger.note_record("h-1", MetRecord("headline", COMMITTED))
    ledger.keep_records(["h-2"])
    assert ledger.orphan_candidates() == [
        ("a-9", False),
        ("h-1", True),
        ("h-2", True),
        ("h-3", False),
    ]


def test_records_by_kind_counts_the_records_of_pages_read() -> None:
    ledger = RunLedger()
    for record_id, kind in [("h-1", "headline"), ("a-1", "article"), ("h-2", "headline")]:
        ledger.note_record(record_id, MetRecord(kind, NEW))  # type: ignore[arg-type]
    ledger.note_record("h-1", MetRecord("headline", NEW))
    ledger.keep_records(["f-1"])
    assert ledger.records_by_kind() == {"article": 1, "headline": 2}
    assert list(ledger.records_by_kind()) == ["article", "headline"]


def test_rewritten_records_come_with_their_final_sites() -> None:
    ledger = RunLedger()
    ledger.note_record("h-1", MetRecord("headline", NEW, frozenset({"a.com"})))
    ledger.note_record("h-2", MetRecord("headline", "rewritten", frozenset({"a.com", "b.com"})))
    assert ledger.rewritten_records() == [("h-2", frozenset({"a.com", "b.com"}))]
