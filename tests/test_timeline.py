"""The search page's timeline: bars per day, week or month, chosen from the span of the
matches, each knowing the dates it narrows a search to."""

from __future__ import annotations

from datetime import date, timedelta

from search.results import Bucket, Counts
from search.timeline import MOST_BARS, timeline


def by_day(counts: dict[str, int], undated: int = 0) -> Counts:
    """A count by day as ``Index.count`` gives it: every day from first to last."""
    days = sorted(date.fromisoformat(day) for day in counts)
    buckets = []
    day = days[0]
    while True:
        buckets.append(Bucket(day.isoformat(), counts.get(day.isoformat(), 0)))
        if day == days[-1]:
            break
        day += timedelta(days=1)
    return Counts("day", tuple(buckets), sum(counts.values()) + undated, undated)


def test_a_short_span_is_drawn_a_bar_a_day_empty_days_included() -> None:
    drawn = timeline(by_day({"2018-12-13": 4, "2018-12-15": 2}, undated=1))
    assert drawn is not None
    assert drawn.period == "day"
    assert [(bar.key, bar.count) for bar in drawn.bars] == [
        ("2018-12-13", 4),
        ("2018-12-14", 0),
        ("2018-12-15", 2),
    ]
    assert (drawn.total, drawn.undated) == (6, 1)


def test_a_day_bar_narrows_to_that_day() -> None:
    drawn = timeline(by_day({"2018-12-13": 4, "2018-12-15": 2}))
    assert drawn is not None
    first = drawn.bars[0]
    assert (first.since, first.until) == (date(2018, 12, 13), date(2018, 12, 13))


def test_bars_are_as_tall_as_their_share_of_the_largest_and_never_invisible() -> None:
    drawn = timeline(by_day({"2018-12-13": 400, "2018-12-14": 1, "2018-12-15": 200}))
    assert drawn is not None
    assert [bar.height for bar in drawn.bars] == [100.0, 1.5, 50.0]
    assert [bar.x for bar in drawn.bars] == [0, 10, 20]
    assert drawn.width == 30


def test_an_empty_period_has_no_bar() -> None:
    drawn = timeline(by_day({"2018-12-13": 1, "2018-12-15": 1}))
    assert drawn is not None
    assert drawn.bars[1].height == 0


def test_a_span_of_months_is_drawn_a_bar_an_iso_week() -> None:
    drawn = timeline(by_day({"2019-01-14": 1, "2019-06-05": 2}))
    assert drawn is not None
    assert drawn.period == "week"
    assert (drawn.bars[0].key, drawn.bars[-1].key) == ("2019-W03", "2019-W23")
    assert (drawn.bars[0].since, drawn.bars[0].until) == (date(2019, 1, 14), date(2019, 1, 20))


def test_a_span_of_years_is_drawn_a_bar_a_month() -> None:
    drawn = timeline(by_day({"2018-12-31": 1, "2021-02-10": 2}))
    assert drawn is not None
    assert drawn.period == "month"
    assert len(drawn.bars) == 27
    last = drawn.bars[-1]
    assert (last.key, last.since, last.until) == ("2021-02", date(2021, 2, 1), date(2021, 2, 28))


def test_never_many_more_bars_than_the_most() -> None:
    for days in (MOST_BARS, MOST_BARS + 1, 7 * MOST_BARS, 7 * MOST_BARS + 1, 20_000):
        last = date(2000, 1, 1) + timedelta(days=days - 1)
        drawn = timeline(by_day({"2000-01-01": 1, last.isoformat(): 1}))
        assert drawn is not None
        assert len(drawn.bars) <= MOST_BARS + 1 or drawn.period == "month"


def test_matches_all_in_one_period_or_undated_draw_no_timeline() -> None:
    assert timeline(by_day({"2018-12-13": 3})) is None
    assert timeline(Counts("day", (), 2, 2)) is None


def test_the_calendars_last_month_ends_on_its_last_day() -> None:
    drawn = timeline(by_day({"9999-10-01": 1, "9999-12-31": 1}))
    assert drawn is not None
    assert drawn.bars[-1].until == date(9999, 12, 31)
