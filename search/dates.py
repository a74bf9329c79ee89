"""Reading the dates people type: ISO 8601, taken as UTC, bounds inclusive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from indexer.errors import QueryError

DateLike = datetime | date | str


def date_bound(value: DateLike, *, end: bool = False) -> datetime:
    """A filter bound as an aware UTC datetime.

    A bare day means that whole day: as a start, its first instant; as an end,
    its last (``until 2018-12-13`` includes 23:59 on the 13th). A time without
    a zone is UTC.
    """
    if isinstance(value, str):
        value = _parse(value)
    if not isinstance(value, datetime):
        moment = datetime.combine(value, time.min, tzinfo=UTC)
        return moment + timedelta(days=1, microseconds=-1) if end else moment
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _parse(text: str) -> date | datetime:
    cleaned = text.strip()
    try:
        return date.fromisoformat(cleaned)  # 2018-12-13 or 20181213: a whole day
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise QueryError(
            f"bad date {text!r}",
            hint="use ISO dates such as 2018-12-13 or 2018-12-13T18:45",
        ) from None
