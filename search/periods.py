"""Periods of time as counts name them: days, ISO weeks, months, years (pure).

Keys sort as they read: ``2018-12-13``, ``2018-W50`` (the ISO week: Monday
to Sunday, in the year that holds its Thursday), ``2018-12``, ``2018``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal

Period = Literal["day", "week", "month", "year"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "year")


def period_start(day: date, period: Period) -> date:
    """The first day of the period that holds ``day``."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


def period_key(start: date, period: Period) -> str:
    """How a period that starts on ``start`` is named."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "year":
        return f"{start:%Y}"
    return start.isoformat()


def next_start(start: date, period: Period) -> date:
    """The first day of the period after the one starting on ``start``."""
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if period == "year":
        return start.replace(year=start.year + 1)
    return start + timedelta(days=1)


def counts_by_period(day_counts: Mapping[int, int], period: Period) -> list[tuple[str, int]]:
    """Counts by day (day ordinals, ``date.toordinal()``) added up by ``period``,
    from the first period with a count to the last, empty ones as 0."""
    if not day_counts:
        return []
    by_start: Counter[date] = Counter()
    for ordinal, count in day_counts.items():
        by_start[period_start(date.fromordinal(ordinal), period)] += count
    start, last = min(by_start), max(by_start)
    periods = []
    while start <= last:
        periods.append((period_key(start, period), by_start.get(start, 0)))
        try:
            start = next_start(start, period)
        except (OverflowError, ValueError):  # the calendar ends
            break
    return periods
