"""An index run's ledger: which pages and records the run has met."""

from __future__ import annotations

from indexer.ledger import RunLedger


def test_ledger_meets_a_page_once() -> None:
    ledger = RunLedger()
    assert ledger.meet_page("crawl/a.txt")
    assert not ledger.meet_page("crawl/a.txt")
    assert ledger.has_met_page("crawl/a.txt")
    assert not ledger.has_met_page("crawl/b.txt")


def test_record_is_new_only_on_the_first_page_read_that_holds_it() -> None:
    ledger = RunLedger()
    assert ledger.meet_record("h-1", "headline")
    assert not ledger.meet_record("h-1", "headline")


def test_record_of_a_kept_page_is_still_new_to_the_first_page_read() -> None:
    # The index is asked then, and has it: it is not written twice.
    ledger = RunLedger()
    ledger.keep_records(["h-1"])
    assert ledger.meet_record("h-1", "headline")
    assert not ledger.meet_record("h-1", "headline")


def test_orphan_candidates_that_a_page_of_the_run_holds_stay() -> None:
    ledger = RunLedger()
    ledger.add_orphan_candidates(["h-3", "h-1", "h-2", "a-9"])
    ledger.meet_record("h-1", "headline")
    ledger.keep_records(["h-2"])
    assert list(ledger.unmet_orphan_candidates()) == ["a-9", "h-3"]


def test_records_by_kind_counts_the_records_of_pages_read() -> None:
    ledger = RunLedger()
    for record_id, kind in [("h-1", "headline"), ("a-1", "article"), ("h-2", "headline")]:
        ledger.meet_record(record_id, kind)  # type: ignore[arg-type]
    ledger.meet_record("h-1", "headline")
    ledger.keep_records(["f-1"])
    assert ledger.records_by_kind() == {"article": 1, "headline": 2}
    assert list(ledger.records_by_kind()) == ["article", "headline"]
