"""The search page's timeline: the matching records over time, a bar a period (pure).

From a count by day (:meth:`search.Index.count`), bars per day, week or month,
chosen from the span of the matches so that there are never many more than
:data:`MOST_BARS`; each bar knows the dates it stands for, so that clicking it
narrows the search to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from search.periods import Period, counts_by_period, next_start, period_start
from search.results import Counts

MOST_BARS = 90
"""Days up to this many; else weeks, up to this many; else months."""
BAR_WIDTH, BAR_GAP, HEIGHT = 10, 2, 100
"""The drawing's units: the SVG is stretched to the page's width."""


@dataclass(frozen=True)
class Bar:
    """One period: its name, how many records, where it is drawn, the dates it covers."""

    key: str
    count: int
    since: date
    until: date
    """The period's last day (inclusive, as ``until`` is)."""
    x: int
    height: float


@dataclass(frozen=True)
class Timeline:
    period: Period
    bars: tuple[Bar, ...]
    total: int
    """The dated records the bars count."""
    undated: int

    slot_width = BAR_WIDTH
    """Each period's width, which a click anywhere in selects it."""
    bar_width = BAR_WIDTH - BAR_GAP
    bar_inset = BAR_GAP // 2

    @property
    def width(self) -> int:
        return len(self.bars) * BAR_WIDTH

    @property
    def height(self) -> int:
        return HEIGHT


def timeline(by_day: Counts) -> Timeline | None:
    """The bars of a count by day; ``None`` if fewer than two periods hold dated records."""
    days = {date.fromisoformat(b.key).toordinal(): b.count for b in by_day if b.count}
    if not days:
        return None
    span = max(days) - min(days) + 1
    period: Period = "day" if span <= MOST_BARS else "week" if span <= 7 * MOST_BARS else "month"
    periods = counts_by_period(days, period)
    if len(periods) < 2:
        return None
    first = period_start(date.fromordinal(min(days)), period)
    largest = max(count for _, count in periods)
    bars = []
    start = first
    for number, (key, count) in enumerate(periods):
        try:
            following = next_start(start, period)
        except (OverflowError, ValueError):  # the calendar's last period
            following = last_day = date.max
        else:
            last_day = following - timedelta(days=1)
        height = max(count / largest * HEIGHT, 1.5) if count else 0.0
        bars.append(Bar(key, count, start, last_day, number * BAR_WIDTH, height))
        start = following
    return Timeline(period, tuple(bars), sum(days.values()), by_day.undated)
