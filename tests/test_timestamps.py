"""The dates crawl dumps carry: every usual format read as a UTC moment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from indexer.timestamps import UnreadableDate, parse_timestamp

HALF_PAST_TEN = datetime(2019, 1, 15, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2019-01-15T10:30:00Z",
        "2019-01-15T10:30:00+00:00",
        "2019-01-15T11:30:00+01:00",
        "2019-01-15T05:30:00-05:00",
        "2019-01-15T10:30:00",
        "2019-01-15 10:30:00",
        "2019-01-15 10:30:00 UTC",
        "Tue, 15 Jan 2019 10:30:00 GMT",
        "Tue, 15 Jan 2019 12:30:00 +0200",
        "20190115103000",
        1547548200,
        1547548200.0,
        "1547548200",
        1547548200000,
    ],
    ids=str,
)
def test_every_usual_format_is_read_as_utc(value: object) -> None:
    assert parse_timestamp(value) == HALF_PAST_TEN


@pytest.mark.parametrize("value", ["2019-01-15", "20190115"])
def test_a_bare_day_is_its_midnight_in_utc(value: str) -> None:
    assert parse_timestamp(value) == datetime(2019, 1, 15, tzinfo=UTC)


def test_a_time_without_a_zone_is_utc() -> None:
    assert parse_timestamp("2019-01-15T10:30:00").tzinfo == UTC


@pytest.mark.parametrize(
    "value",
    ["soon", "", "2019-13-45", "Tuesday", None, True, [2019], float("nan"), 10**20, "0001-01-01"],
    ids=repr,
)
def test_what_is_no_date_is_refused_saying_so(value: object) -> None:
    with pytest.raises(UnreadableDate, match="not a"):
        parse_timestamp(value)
