"""The dates crawl dumps carry, read as UTC moments.

Dumps write dates every way: ISO 8601 and RFC 3339 with or without a zone
(``2019-01-15T10:30:00Z``, ``2019-01-15 10:30:00``), RFC 2822 as feeds do
(``Tue, 15 Jan 2019 10:30:00 GMT``), Common Crawl's ``20190115103000`` and
epoch seconds (a number, or other digits). A time without a zone is taken as
UTC. Pure: no I/O, nothing but the stdlib.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time

EPOCH_MILLISECONDS_FROM = 100_000_000_000
"""An epoch number this large is milliseconds, not seconds (seconds would be
the year 5138): JavaScript-made dumps write milliseconds."""
_DIGITS = re.compile(r"[+-]?\d+(?:\.\d+)?")
_EARLIEST, _LATEST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)


class UnreadableDate(ValueError):
    """A dump's date that none of the formats reads; the message quotes it."""


def parse_timestamp(value: object) -> datetime:
    """``value`` as an aware UTC datetime, or :class:`UnreadableDate`.

    Strings in ISO 8601 (RFC 3339 included; a bare day is its midnight) or
    RFC 2822, and epoch seconds as a number or a string of digits.
    """
    if isinstance(value, bool):  # a JSON true/false is no date
        raise UnreadableDate(f"not a date: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise UnreadableDate(f"not a date: {value!r}")
    text = value.strip()
    if len(text) in (8, 14) and text.isdigit() and (packed := _packed(text)) is not None:
        return packed
    if _DIGITS.fullmatch(text):
        return _from_epoch(float(text))
    moment = _iso(text) or _rfc_2822(text)
    if moment is None:
        raise UnreadableDate(f"not a date in a known format: {_shown(text)}")
    return _in_range(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment, text)


def _packed(text: str) -> datetime | None:
    """``YYYYMMDD`` or ``YYYYMMDDhhmmss`` (WARC dates), if it is a possible one."""
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S" if len(text) == 14 else "%Y%m%d").replace(
            tzinfo=UTC
        )
    except ValueError:
        return None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace(" UTC", "Z").replace(" GMT", "Z"))
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(text), time.min)
    except ValueError:
        return None


def _rfc_2822(text: str) -> datetime | None:
    import email.utils  # a tenth of the indexer's start: only for the dumps that need it

    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise UnreadableDate(f"not a date: {seconds!r}")
    if abs(seconds) >= EPOCH_MILLISECONDS_FROM:
        seconds /= 1000
    try:
        return _in_range(datetime.fromtimestamp(seconds, UTC), str(seconds))
    except (OverflowError, OSError, ValueError) as error:
        raise UnreadableDate(f"not a possible epoch time: {seconds!r}") from error


def _in_range(moment: datetime, text: str) -> datetime:
    """The moment in UTC; one too close to the ends of the calendar is refused
    (turned to UTC, or stored, it would fall off them)."""
    if not _EARLIEST <= moment <= _LATEST:
        raise UnreadableDate(f"not a possible date: {_shown(text)}")
    return moment.astimezone(UTC)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
