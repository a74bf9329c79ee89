"""What a request to ``newsdex serve`` may ask for: its parameters, read and checked.

The JSON API and the search page read their query strings here, and the
OpenAPI description (``search/openapi.py``) is made from the same tables, so
what is documented is what is accepted. Parameters are named as the command
line's options. Nothing here knows HTTP: a query string comes in as
``(name, value)`` pairs, and a value that cannot be read goes out as
:class:`QueryError`, which the server answers with a 400.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlencode

from indexer.errors import QueryError
from indexer.records import KINDS
from search.options import SORTS, KindFilter, Match, Sort
from search.results import COUNT_BY, CountBy

MAX_LIMIT = 100
"""The most hits one request returns; a larger ``limit`` is cut to this."""
MAX_OFFSET = 1_000_000_000
"""Past any index's size: an ``offset`` beyond it is refused rather than computed with."""
KIND_CHOICES = (*KINDS, "all")

Pairs = Sequence[tuple[str, str]]
"""A query string, decoded: ``[("q", "syria"), ("kind", "headline")]``."""


@dataclass(frozen=True)
class Parameter:
    """One query-string parameter: its name, what it means, what it may hold."""

    name: str
    about: str
    type: Literal["string", "integer", "boolean"] = "string"
    choices: tuple[str, ...] = ()
    default: str | int | bool | None = None
    repeatable: bool = False


QUERY = Parameter(
    "q",
    'The query: words (all must match), OR, NOT or -word, "phrases", title: and body:, '
    "prefix* and word~ (fuzzy), as `newsdex search` takes it.",
)
KIND = Parameter(
    "kind",
    "What to search; by default articles and headlines (footers only when asked for).",
    choices=KIND_CHOICES,
)
SINCE = Parameter(
    "since",
    "Only records published on or after this ISO date or time (UTC unless it says; "
    "a day means its start).",
)
UNTIL = Parameter(
    "until",
    "Only records published on or before this ISO date or time (a day means its end).",
)
SITE = Parameter(
    "site",
    "Only records seen on pages of this site (bbc.co.uk); repeat it for any of several.",
    repeatable=True,
)
SORT = Parameter("sort", "The order of the hits.", choices=SORTS, default="relevance")
LIMIT = Parameter(
    "limit", f"How many hits to return, at most {MAX_LIMIT}.", type="integer", default=10
)
OFFSET = Parameter(
    "offset", "How many hits to skip (for the next page).", type="integer", default=0
)
ANY = Parameter(
    "any",
    "Records with any of the words, those with more of them first (for questions); "
    "1/true/yes/on or 0/false/no/off.",
    type="boolean",
    default=False,
)

BY = Parameter(
    "by",
    "Count by the period of the records' dates (UTC: ISO weeks), by site or by kind.",
    choices=COUNT_BY,
    default="day",
)

SEARCH_PARAMETERS = (QUERY, KIND, SINCE, UNTIL, SITE, SORT, LIMIT, OFFSET, ANY)
HEADLINES_LIMIT = dataclasses.replace(LIMIT, default=20)
HEADLINES_PARAMETERS = (
    dataclasses.replace(QUERY, about="Words the headlines must have; all headlines without."),
    SINCE,
    UNTIL,
    SITE,
    HEADLINES_LIMIT,
    OFFSET,
)
COUNT_PARAMETERS = (
    BY,
    dataclasses.replace(QUERY, about="Words the records must have; all records without."),
    KIND,
    SINCE,
    UNTIL,
    SITE,
    ANY,
)

_WHOLE_NUMBER = re.compile(r"[0-9]+")
_HUGE = 10**18
"""What a whole number of more digits than this one's counts as (``int`` refuses
thousands of digits, and no limit or offset needs so many)."""
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class SearchRequest:
    """A search as asked for over HTTP, in the terms of :meth:`search.Index.search`."""

    query: str = ""
    kind: KindFilter = None
    since: str | None = None
    until: str | None = None
    sites: tuple[str, ...] = ()
    sort: Sort = "relevance"
    limit: int = 10
    offset: int = 0
    match: Match = "all"

    def query_string(self, **changes: Any) -> str:
        """This search (with ``changes``) as a query string, defaults left out: for links."""
        wanted = dataclasses.replace(self, **changes)
        pairs = [
            ("q", wanted.query),
            ("kind", wanted.kind or ""),
            ("since", wanted.since or ""),
            ("until", wanted.until or ""),
            *(("site", site) for site in wanted.sites),
            ("sort", "" if wanted.sort == SORT.default else wanted.sort),
            ("limit", "" if wanted.limit == LIMIT.default else str(wanted.limit)),
            ("offset", str(wanted.offset) if wanted.offset else ""),
            ("any", "1" if wanted.match == "any" else ""),
        ]
        return urlencode([(name, value) for name, value in pairs if value])


@dataclass(frozen=True)
class HeadlinesRequest:
    """Headlines as asked for over HTTP, in the terms of :meth:`search.Index.headlines`."""

    query: str | None = None
    since: str | None = None
    until: str | None = None
    sites: tuple[str, ...] = ()
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class CountRequest:
    """A count as asked for over HTTP, in the terms of :meth:`search.Index.count`."""

    query: str | None = None
    by: CountBy = "day"
    kind: KindFilter = None
    since: str | None = None
    until: str | None = None
    sites: tuple[str, ...] = ()
    match: Match = "all"


def search_request(pairs: Pairs, *, strict: bool = True) -> SearchRequest:
    """Read ``/api/search``'s (or the search page's) parameters.

    :param strict: refuse parameters this endpoint does not know (the API: a
        misspelt name should not be ignored in silence); the page ignores
        them, so that links carrying other parameters still work.
    """
    given = _Given(pairs, SEARCH_PARAMETERS, strict)
    return SearchRequest(
        query=given.text(QUERY) or "",
        kind=cast(KindFilter, given.choice(KIND)),
        since=given.text(SINCE),
        until=given.text(UNTIL),
        sites=given.texts(SITE),
        sort=cast(Sort, given.choice(SORT)),
        limit=given.limit(LIMIT),
        offset=given.offset(OFFSET),
        match="any" if given.flag(ANY) else "all",
    )


def headlines_request(pairs: Pairs) -> HeadlinesRequest:
    """Read ``/api/headlines``'s parameters."""
    given = _Given(pairs, HEADLINES_PARAMETERS, strict=True)
    return HeadlinesRequest(
        query=given.text(QUERY),
        since=given.text(SINCE),
        until=given.text(UNTIL),
        sites=given.texts(SITE),
        limit=given.limit(HEADLINES_LIMIT),
        offset=given.offset(OFFSET),
    )


def count_request(pairs: Pairs) -> CountRequest:
    """Read ``/api/count``'s parameters."""
    given = _Given(pairs, COUNT_PARAMETERS, strict=True)
    return CountRequest(
        query=given.text(QUERY),
        by=cast(CountBy, given.choice(BY)),
        kind=cast(KindFilter, given.choice(KIND)),
        since=given.text(SINCE),
        until=given.text(UNTIL),
        sites=given.texts(SITE),
        match="any" if given.flag(ANY) else "all",
    )


def no_parameters(pairs: Pairs) -> None:
    """Refuse any parameter, for the endpoints that take none."""
    _Given(pairs, (), strict=True)


class _Given:
    """A query string's values by name, checked against the parameters an endpoint takes.

    An empty value counts as not given: a form sends its empty fields.
    """

    def __init__(self, pairs: Pairs, accepted: Sequence[Parameter], strict: bool) -> None:
        names = {parameter.name: parameter for parameter in accepted}
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            parameter = names.get(name)
            if parameter is None:
                if strict:
                    raise _unknown(name, names)
                continue
            if value == "":
                continue
            values = self._values.setdefault(name, [])
            if values and not parameter.repeatable:
                raise QueryError(f"parameter {_shown(name)} given twice", hint="give it once")
            values.append(value)

    def text(self, parameter: Parameter) -> str | None:
        values = self._values.get(parameter.name)
        return values[0] if values else None

    def texts(self, parameter: Parameter) -> tuple[str, ...]:
        """Every value of a parameter that may be repeated."""
        return tuple(self._values.get(parameter.name, ()))

    def choice(self, parameter: Parameter) -> str | None:
        value = self.text(parameter)
        if value is None:
            return cast(str | None, parameter.default)
        if value not in parameter.choices:
            raise QueryError(
                f"unknown {parameter.name} {_shown(value)}",
                hint=f"use one of {', '.join(parameter.choices)}",
            )
        return value

    def limit(self, parameter: Parameter) -> int:
        """The number asked for, cut to :data:`MAX_LIMIT`."""
        return min(self._number(parameter, minimum=1), MAX_LIMIT)

    def offset(self, parameter: Parameter) -> int:
        number = self._number(parameter, minimum=0)
        if number > MAX_OFFSET:
            raise QueryError(
                f"offset {number:,} is past any index",
                hint=f"use an offset of at most {MAX_OFFSET:,}",
            )
        return number

    def _number(self, parameter: Parameter, *, minimum: int) -> int:
        value = self.text(parameter)
        if value is None:
            return cast(int, parameter.default)
        if _WHOLE_NUMBER.fullmatch(value) is None:
            number = -1
        else:
            number = int(value) if len(value) <= len(str(_HUGE)) else _HUGE
        if number < minimum:
            raise QueryError(
                f"{parameter.name} must be a whole number of at least {minimum},"
                f" not {_shown(value)}",
            )
        return number

    def flag(self, parameter: Parameter) -> bool:
        value = self.text(parameter)
        if value is None:
            return bool(parameter.default)
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise QueryError(
            f"{parameter.name} must be true or false, not {_shown(value)}",
            hint=f"use one of {', '.join(_TRUE + _FALSE)}",
        )


def _unknown(name: str, known: dict[str, Parameter]) -> QueryError:
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        hint = f"did you mean {close[0]}?"
    elif known:
        hint = f"this endpoint takes {', '.join(known)}"
    else:
        hint = "this endpoint takes no parameters"
    return QueryError(f"unknown parameter {_shown(name)}", hint=hint)


def _shown(value: str, most: int = 50) -> str:
    """A value as an error message quotes it: in quotes, and cut if long."""
    return repr(value if len(value) <= most else value[:most] + "…")
