"""``newsdex serve``: the JSON API and the search page, a thin client of the search library.

A Starlette application over :class:`search.searchers.Searchers`, served by
uvicorn. Every route reads; none writes. Results are rendered at the edge:
JSON by :mod:`search.render`, HTML by :mod:`search.pages`. The library's own
errors become answers: a query, date or parameter it cannot read is a 400, an
unknown record or path a 404, each with the command line's message and hint.

Imported only when ``newsdex serve`` runs (or a test asks), so that the
command line starts without Starlette, uvicorn or Jinja2.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from indexer.errors import NewsdexError, QueryError, RecordNotFound
from search import openapi, pages, parameters, render
from search.index import Index
from search.results import SearchResults
from search.searchers import Searchers

SEARCHERS = 4
"""Indexes open at most, one per request running (docs/performance.md: why 4)."""
STATIC = Path(__file__).parent / "static"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
"""The names a server bound to this machine only answers to (``Host``), so that a
web page elsewhere cannot reach it by pointing its own name at 127.0.0.1."""
SECURITY_HEADERS = [
    # Scripts, styles and images only from this server, no inline scripts: text
    # from pages can never run, even if it escaped the escaping.
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
ERROR_STATUS: dict[type[NewsdexError], int] = {QueryError: 400, RecordNotFound: 404}
"""Any other library error while serving (the index gone, damaged) is a 503."""


def create_app(
    index: str | Path | None = None,
    *,
    cors_origins: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    searchers: int = SEARCHERS,
) -> ServerApp:
    """The whole server as an ASGI application, serving the index at ``index``.

    :param cors_origins: origins (``https://example.org``) whose pages may call
        the API from a browser; ``"*"`` for any. Others are refused.
    :param allowed_hosts: the host names requests may be addressed to
        (``Host``); ``None`` for any.
    :raises IndexNotFound, NotAnIndex: no index there
    """
    lent = Searchers(index, searchers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        lent.close()

    def handler(endpoint: Endpoint) -> Callable[[Request], Response]:
        # A plain function, so Starlette runs it in its thread pool: a search
        # holds a thread, never the event loop.
        def handle(request: Request) -> Response:
            return endpoint(request, lent)

        return handle

    routes = [
        Route("/", handler(_search_page)),
        Route("/records/{record_id}", handler(_record_page)),
        Route("/api/search", handler(_api_search)),
        Route("/api/headlines", handler(_api_headlines)),
        Route("/api/count", handler(_api_count)),
        Route("/api/records/{record_id}", handler(_api_record)),
        Route("/api/stats", handler(_api_stats)),
        Route("/api/openapi.json", _openapi),
        Route("/healthz", handler(_healthz)),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,
            NewsdexError: _library_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    return ServerApp(app, lent, cors_origins=cors_origins, allowed_hosts=allowed_hosts)


# --- routes -----------------------------------------------------------------------------

Endpoint = Callable[[Request, Searchers], Response]


def _pairs(request: Request) -> list[tuple[str, str]]:
    return request.query_params.multi_items()


def _milliseconds_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _api_search(request: Request, lent: Searchers) -> Response:
    wanted = parameters.search_request(_pairs(request))
    start = time.perf_counter()
    with lent.borrow() as index:
        results = _search(index, wanted)
    took = _milliseconds_since(start)
    return JSONResponse(render.results_json(results, limit=wanted.limit, took_ms=took))


def _search(index: Index, wanted: parameters.SearchRequest) -> SearchResults:
    return index.search(
        wanted.query,
        kind=wanted.kind,
        since=wanted.since,
        until=wanted.until,
        sort=wanted.sort,
        limit=wanted.limit,
        offset=wanted.offset,
        match=wanted.match,
        site=wanted.sites or None,
    )


def _api_headlines(request: Request, lent: Searchers) -> Response:
    wanted = parameters.headlines_request(_pairs(request))
    start = time.perf_counter()
    with lent.borrow() as index:
        results = index.headlines(
            wanted.query,
            since=wanted.since,
            until=wanted.until,
            limit=wanted.limit,
            offset=wanted.offset,
            site=wanted.sites or None,
        )
    took = _milliseconds_since(start)
    return JSONResponse(render.results_json(results, limit=wanted.limit, took_ms=took))


def _api_count(request: Request, lent: Searchers) -> Response:
    wanted = parameters.count_request(_pairs(request))
    start = time.perf_counter()
    with lent.borrow() as index:
        counts = index.count(
            wanted.query,
            by=wanted.by,
            kind=wanted.kind,
            since=wanted.since,
            until=wanted.until,
            site=wanted.sites or None,
            match=wanted.match,
        )
    took = _milliseconds_since(start)
    return JSONResponse(render.count_json(counts, query=wanted.query, took_ms=took))


def _api_record(request: Request, lent: Searchers) -> Response:
    parameters.no_parameters(_pairs(request))
    with lent.borrow() as index:
        record = index.record(request.path_params["record_id"])
    return JSONResponse(render.record_json(record))


def _api_stats(request: Request, lent: Searchers) -> Response:
    parameters.no_parameters(_pairs(request))
    with lent.borrow() as index:
        stats = index.stats()
    return JSONResponse(render.stats_json(stats))


def _healthz(request: Request, lent: Searchers) -> Response:
    parameters.no_parameters(_pairs(request))
    with lent.borrow():  # the index opens and shows its latest commit
        pass
    return JSONResponse({"status": "ok"})


def _openapi(request: Request) -> Response:
    parameters.no_parameters(_pairs(request))
    return JSONResponse(openapi.description())


def _search_page(request: Request, lent: Searchers) -> Response:
    try:
        wanted = parameters.search_request(_pairs(request), strict=False)
    except QueryError as error:
        return HTMLResponse(pages.search_page(parameters.SearchRequest(), error=error), 400)
    start = time.perf_counter()
    try:
        with lent.borrow() as index:
            found = _search_page_data(index, wanted)
    except QueryError as error:
        return HTMLResponse(pages.search_page(wanted, error=error), 400)
    took = _milliseconds_since(start)
    return HTMLResponse(pages.search_page(wanted, found=found, took_ms=took))


def _search_page_data(index: Index, wanted: parameters.SearchRequest) -> pages.Found:
    """What the search page shows: the hits, the sites of the matches whatever site was
    chosen (the site control's choices), the days of the matches (the timeline)."""
    by_site = index.count(
        wanted.query or None,
        by="site",
        kind=wanted.kind,
        since=wanted.since,
        until=wanted.until,
        match=wanted.match,
    )
    if not wanted.query.strip():
        return pages.Found(None, by_site, None)
    results = _search(index, wanted)
    by_day = None
    if results.total:
        by_day = index.count(
            wanted.query,
            by="day",
            kind=wanted.kind,
            since=wanted.since,
            until=wanted.until,
            site=wanted.sites or None,
            match=wanted.match,
        )
    return pages.Found(results, by_site, by_day)


def _record_page(request: Request, lent: Searchers) -> Response:
    with lent.borrow() as index:
        record = index.record(request.path_params["record_id"])
    return HTMLResponse(pages.record_page(record))


# --- errors: JSON under /api (and /healthz), a page elsewhere -----------------------------


def error_response(
    path: str, status: int, message: str, hint: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    """An error as the client reading ``path`` expects it: JSON for the API, else a page."""
    if path.startswith(("/api/", "/healthz")):
        return JSONResponse(render.error_json(message, hint), status, headers)
    return HTMLResponse(pages.error_page(status, message, hint), status, headers)


def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors: no route (404), a method other than GET or HEAD (405)."""
    assert isinstance(error, HTTPException)
    path = request.url.path
    if error.status_code == 404:
        message = f"no such page: {path}"
        hint = "the search page is at /, the API under /api (see /api/openapi.json)"
    elif error.status_code == 405:
        message, hint = "this server only reads", "use GET"
    else:
        message, hint = error.detail, None
    return error_response(path, error.status_code, message, hint, error.headers)


def _library_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, NewsdexError)
    status = next((code for kind, code in ERROR_STATUS.items() if isinstance(error, kind)), 503)
    return error_response(request.url.path, status, error.message, error.hint)


def _server_error(request: Request, error: Exception) -> Response:
    return error_response(request.url.path, 500, "internal error", "see the server's log")


# --- the outermost layer: who may ask, and the headers every answer carries ---------------


class ServerApp:
    """The server's ASGI application: Starlette's routes behind a guard that refuses
    requests from other web pages and to other host names, and sets security headers.

    A browser sends ``Origin`` with the requests a page's scripts make; one
    from another origin is refused (403) unless ``cors_origins`` names it, and
    then answered with the CORS headers that let that page read the answer.
    Outside Starlette's own error layer, so that even its 500s carry the headers.
    """

    def __init__(
        self,
        app: Starlette,
        searchers: Searchers,
        *,
        cors_origins: Sequence[str],
        allowed_hosts: Sequence[str] | None,
    ) -> None:
        self.app = app
        self.searchers = searchers
        self._cors = frozenset(origin.lower() for origin in cors_origins)
        self._hosts = None if allowed_hosts is None else frozenset(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed_origin = origin if origin and self._cross_origin_allowed(origin) else None
        extra = list(SECURITY_HEADERS)
        if self._cors:
            extra.append((b"vary", b"Origin"))
        if allowed_origin is not None:
            extra.append((b"access-control-allow-origin", allowed_origin.encode("latin-1")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        refusal = self._refusal(scope, headers, origin, allowed_origin)
        if refusal is not None:
            status, message, hint = refusal
            response = error_response(scope["path"], status, message, hint)
            await response(scope, receive, send_with_headers)
            return
        if scope["method"] == "OPTIONS" and allowed_origin is not None:
            preflight = Response(status_code=204, headers=PREFLIGHT_HEADERS)
            await preflight(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(
        self, scope: Scope, headers: Headers, origin: str | None, allowed_origin: str | None
    ) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        if self._hosts is not None and _host_name(host) not in self._hosts:
            return (
                400,
                f"this server does not answer to the host name {host!r}",
                f"address it as {' or '.join(sorted(self._hosts))}",
            )
        if origin is not None and allowed_origin is None and origin != _own_origin(scope, host):
            return (
                403,
                f"cross-origin request from {origin!r} refused",
                "start the server with --cors ORIGIN to let that origin's pages call it",
            )
        return None

    def _cross_origin_allowed(self, origin: str) -> bool:
        return "*" in self._cors or origin.lower() in self._cors


PREFLIGHT_HEADERS = {
    "access-control-allow-methods": "GET, HEAD",
    "access-control-max-age": "600",
}


def _own_origin(scope: Scope, host: str) -> str:
    return f"{scope.get('scheme', 'http')}://{host}"


def _host_name(host: str) -> str:
    """``localhost:8080`` -> ``localhost``, ``[::1]:8080`` -> ``::1``."""
    return urlsplit(f"//{host}").hostname or ""


# --- running it ---------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket at ``host:port`` (port 0: any free one); OSError if taken."""
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, protocol)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except BaseException:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def url_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


LOG_CONFIG: dict[str, Any] = {
    # uvicorn's own lines (start-up, shutdown) only when something is wrong; one
    # line per request, as uvicorn writes it, on stderr (stdout is for results).
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": '%(client_addr)s "%(request_line)s" %(status_code)s',
            "use_colors": False,
        },
        "default": {"format": "%(levelname)s %(message)s"},
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stderr",
        },
        "default": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def announcement(directory: Path, url: str, *, loopback: bool) -> str:
    """The line that says what is served where, and to whom."""
    where = (
        "this machine only: --host 0.0.0.0 serves others"
        if loopback
        else "open to every machine that can reach this one"
    )
    return f"serving {directory} at {url} ({where}); Ctrl-C stops"


def serve(
    index: str | Path | None,
    *,
    host: str,
    port: int,
    cors_origins: Iterable[str] = (),
    access_log: bool = True,
    searchers: int = SEARCHERS,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the index at ``host:port`` until interrupted (Ctrl-C, SIGTERM).

    :param searchers: indexes open at most (the benchmarks try others)

    :raises IndexNotFound, NotAnIndex: no index there (before anything listens)
    :raises OSError: the address cannot be bound (in use, not this machine's)
    """
    loopback = is_loopback(host)
    app = create_app(
        index,
        cors_origins=tuple(cors_origins),
        allowed_hosts=LOOPBACK_NAMES if loopback else None,
        searchers=searchers,
    )
    try:
        listener = bind(host, port)
    except BaseException:
        app.searchers.close()
        raise
    config = uvicorn.Config(
        app,
        log_config=LOG_CONFIG,
        access_log=access_log,
        timeout_graceful_shutdown=5,
        server_header=False,
    )
    announce(announcement(app.searchers.directory, url_of(listener), loopback=loopback))
    with listener:
        uvicorn.Server(config).run(sockets=[listener])
