"""The ``newsdex`` command: a thin client of the ``indexer`` and ``search`` libraries.

Each command parses its options, makes one library call and renders the
result. Exit status follows grep: 0 found, 1 nothing found, 2 error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import os
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

import indexer
from indexer.errors import NewsdexError
from indexer.limits import MAX_PAGE_BYTES
from search import render
from search.options import SORTS
from search.results import COUNT_BY, SearchResults

if TYPE_CHECKING:
    from search.index import Index

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FOUND, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
MEGABYTE = 1024 * 1024
MAX_PAGE_MB_ALLOWED = 1024 * 1024
"""--max-page-mb's ceiling: a terabyte, past any page a run could hold."""


class NewsdexClickError(click.ClickException):
    """A library error shown as one line; status 2, so 1 stays "nothing found"."""

    exit_code = EXIT_ERROR


class _UsageError(click.ClickException):
    """A usage error (a bad option, value or command) in one line, status 2.

    Click prints the usage, a help hint and the error on four lines; one
    line, with the hint in it, reads as every other newsdex error does."""

    exit_code = EXIT_ERROR

    @classmethod
    def of(cls, error: click.UsageError) -> _UsageError:
        command = error.ctx.command_path if error.ctx is not None else "newsdex"
        return cls(f"{error.format_message()} (see '{command} --help')")


class _Newsdex(click.Group):
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise  # `newsdex` alone: the help, as it is
        except click.UsageError as error:
            raise _UsageError.of(error) from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _UsageError.of(error) from error
        except BrokenPipeError:
            # The reader stopped early (`newsdex search x | head -1`): not an
            # error. Point stdout at /dev/null so the final flush stays quiet.
            _silence_stdout()
            ctx.exit(EXIT_FOUND)
        except KeyboardInterrupt:
            # Click would exit 1 here, which means "no hits"; use the shell's
            # own status for an interrupt instead.
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. under tests)
        pass


def _library_errors(command: F) -> F:
    """Turn newsdex's own exceptions, and failing disks, into one line and status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewsdexError as error:
            raise NewsdexClickError(str(error)) from error
        except BrokenPipeError:
            raise
        except OSError as error:
            where = f": {error.filename}" if error.filename else ""
            raise NewsdexClickError(f"{error.strerror or error}{where}") from error

    return wrapper  # type: ignore[return-value]


index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index folder [default: $NEWSDEX_INDEX, else the user data folder].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON Lines.")
color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Bold the matched words (auto: when stdout is a terminal and NO_COLOR is unset).",
)
since_option = click.option(
    "--since",
    metavar="DATE",
    help="Only records published on or after DATE (ISO, UTC).",
)
until_option = click.option(
    "--until",
    metavar="DATE",
    help="Only records published on or before DATE (ISO, UTC).",
)
offset_option = click.option(
    "--offset", type=click.IntRange(min=0), default=0, help="Skip the first N hits."
)
sites_option = click.option(
    "--site",
    "sites",
    multiple=True,
    metavar="SITE",
    help="Only records seen on pages of SITE (repeat for any of several).",
)
kind_option = click.option(
    "--kind",
    type=click.Choice(["article", "headline", "footer", "all"]),
    default=None,
    help="What to search [default: articles and headlines].",
)
scheduler_option = click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Search a sharded index on this Dask cluster (tcp://HOST:8786), its workers"
    " holding the shards; needs newsdex[dask].",
)
any_option = click.option(
    "--any",
    "any_word",
    is_flag=True,
    help="Records with any of the words, those with more of them first (for questions).",
)


_DUMP_OPTIONS = [
    click.option(
        "--text-field",
        metavar="NAMES",
        help="Dumps: the field holding a page's text [default: text,maintext,body,content].",
    ),
    click.option(
        "--title-field",
        metavar="NAMES",
        help="Dumps: the field holding the article's title [default: title,headline].",
    ),
    click.option(
        "--date-field",
        metavar="NAMES",
        help="Dumps: the field holding when it was published"
        " [default: date_publish,published,date,timestamp].",
    ),
    click.option(
        "--url-field", metavar="NAMES", help="Dumps: the field holding its url [default: url,link]."
    ),
    click.option(
        "--site-field",
        metavar="NAMES",
        help="Dumps: the field naming its site [default: site,source_domain,domain].",
    ),
    click.option(
        "--site",
        metavar="NAME",
        help="The site of the pages read in this run that do not say theirs"
        " (a dump's site field, else its url's host, does).",
    ),
]


def dump_options(command: F) -> F:
    """The options naming a dump's fields and the run's site, given to
    ``command`` as ``fields`` (:class:`indexer.DumpFields`) and ``site``."""

    @functools.wraps(command)
    def with_fields(
        *args: Any,
        text_field: str | None,
        title_field: str | None,
        date_field: str | None,
        url_field: str | None,
        site_field: str | None,
        **kwargs: Any,
    ) -> Any:
        fields = _dump_fields(
            text=text_field, title=title_field, date=date_field, url=url_field, site=site_field
        )
        return command(*args, fields=fields, **kwargs)

    for option in reversed(_DUMP_OPTIONS):
        with_fields = option(with_fields)
    return with_fields  # type: ignore[return-value]


def _a_number(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Refuse NaN, which every range check lets through."""
    if math.isnan(value):
        raise click.BadParameter("nan is not a number", ctx=ctx, param=param)
    return value


QUERY_WORDS = {"ignore_unknown_options": True}
"""Commands taking a query take its words unquoted, -word included (a word
left out), which click would otherwise read as an option."""


def _query_words(ctx: click.Context, param: click.Parameter, words: tuple[str, ...]) -> str:
    """The query's words as one query; a --word is an option mistyped."""
    for word in words:
        if word.startswith("--") and len(word) > 2:
            name = word.split("=", 1)[0]
            known = [option for found in ctx.command.params for option in found.opts]
            if name in known:  # given after `--`, where only query words go
                raise click.UsageError(f"{name} comes after '--': put options before it", ctx)
            import difflib  # only for a mistyped option

            close = difflib.get_close_matches(name, known, n=1)
            raise click.NoSuchOption(name, possibilities=close, ctx=ctx)
    return " ".join(words)


def _open(index_dir: Path | None, scheduler: str | None = None) -> Index:
    # Whoosh loads here, not at start-up: `newsdex --help` and `split` never need it.
    with _kept_uncollected():
        from search.opening import open_index

        return open_index(index_dir, scheduler=scheduler)


@contextlib.contextmanager
def _kept_uncollected() -> Iterator[None]:
    """Load the engine (and open the index) with the garbage collector off, then set
    what it made aside.

    Loading Whoosh and the engine makes tens of thousands of objects that live
    as long as the process; the collector traced them over and over as they
    were made, a noticeable part of a one-query command (docs/performance.md).
    ``gc.freeze`` keeps later collections from tracing them again. Only the
    first load does this: a process running many commands (the tests) must
    not freeze its garbage each time.
    """
    if "search.opening" in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


@click.group(cls=_Newsdex, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(indexer.__version__, prog_name="newsdex")
def cli() -> None:
    """Search folders of scraped news pages: articles, dated headlines, footers.

    \b
    Exit status: 0 hits found, 1 no hits, 2 error.
    Example:
        newsdex index ~/crawl
        newsdex search 'Assad regime' --limit 5
        newsdex headlines --since 2018-12-14
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Start afresh: drop what the index held.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds to wait for another process writing the index.",
)
@dump_options
@click.option(
    "--max-page-mb",
    type=click.FloatRange(min=0, min_open=True, max=MAX_PAGE_MB_ALLOWED),
    default=MAX_PAGE_BYTES / MEGABYTE,
    show_default=True,
    callback=_a_number,
    help="Skip pages larger than this many MB (1 MB = 1,048,576 bytes), unread.",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1, max=4096),
    help="Build a sharded index of N shards on Dask (needs newsdex[dask]); an index"
    " sharded already keeps its count unless --rebuild gives another.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --shards: the Dask scheduler to build on (tcp://HOST:8786)"
    " [default: a local cluster of this machine's cores].",
)
@click.option("--quiet", "-q", is_flag=True, help="Print errors only: no progress, no summary.")
@_library_errors
def index(
    paths: tuple[Path, ...],
    index_dir: Path | None,
    rebuild: bool,
    wait: float,
    fields: indexer.DumpFields,
    site: str | None,
    max_page_mb: float,
    shards: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Index the pages in PATHS: .txt files, JSON Lines dumps, folders of them.

    With no PATHS, index the seed pages bundled with newsdex. Running it again
    reads only new and changed files and removes pages that disappeared from
    PATHS. Dumps (.jsonl, .jsonl.gz, .json.gz) hold one page per line; their
    fields are found by the usual names (news-please, C4, FineWeb...) or named
    with the --*-field options (NAMES: one name, or several, comma-separated,
    the first present wins). A dumped page is known by its url, else by its
    line. A progress bar (on a terminal) and a summary go to stderr.

    \b
    Example:
        newsdex index ~/crawl/site-a ~/crawl/site-b
        newsdex index --site arabstoday.net ~/crawl/arabstoday
        newsdex index --text-field content --date-field crawled dumps/2018-12.jsonl.gz
        newsdex index --shards 16 --scheduler tcp://scheduler:8786 /shared/crawl
    """

    bar = _ProgressBar(wait) if not quiet and _stderr_is_a_terminal() else None
    try:
        report = indexer.index_paths(
            paths,
            index=index_dir,
            rebuild=rebuild,
            wait_seconds=wait,
            fields=fields,
            site=site,
            max_page_bytes=max(1, int(max_page_mb * MEGABYTE)),
            progress=bar,
            shards=shards,
            scheduler=scheduler,
        )
    except indexer.NothingIndexed as error:
        _echo_skipped(error.report.skipped)
        raise
    finally:
        if bar is not None:
            bar.close()
    if not quiet:
        _echo_skipped(report.skipped)
        for warning in report.warnings:
            click.echo(f"warning {warning.path}: {warning.message}", err=True)
        click.echo(report.summary(), err=True)


def _dump_fields(**named: str | None) -> indexer.DumpFields:
    """The dump fields the options name, the usual names for the others."""
    given = {
        what: tuple(name.strip() for name in names.split(",") if name.strip())
        for what, names in named.items()
        if names is not None
    }
    for what, names in given.items():
        if not names:
            raise click.BadParameter("give a field name", param_hint=f"--{what}-field")
    return indexer.DumpFields(**given)


def _stderr_is_a_terminal() -> bool:
    return sys.stderr.isatty()


class _ProgressBar:
    """An index run's progress on stderr: who it waits for, a bar of the bytes
    read (MB/s, time left), then the commit."""

    def __init__(self, wait_seconds: float) -> None:
        self._bar: Any = None
        self._done = 0
        self._started = time.monotonic()
        self._wait_seconds = wait_seconds

    def waiting(self, holder: str) -> None:
        click.echo(
            f"waiting up to {self._wait_seconds:g} s for {holder}, which is writing the index",
            err=True,
        )

    def reading(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(total, 1),
                label="indexing",
                file=sys.stderr,
                show_eta=True,
                item_show_func=self._rate,
            )
            self._bar.__enter__()
        self._bar.update(done - self._done, current_item=done)
        self._done = done

    def committing(self) -> None:
        self.close()
        click.echo("committing: writing the index's new segment", err=True)

    def _rate(self, done: int | None) -> str | None:
        elapsed = time.monotonic() - self._started
        if not done or elapsed <= 0:
            return None
        return f"{done / elapsed / 1e6:.1f} MB/s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _echo_skipped(skipped: Iterable[indexer.Skipped]) -> None:
    for skip in skipped:
        click.echo(f"skipped {skip.path}: {skip.reason}", err=True)


@cli.command(context_settings=QUERY_WORDS)
@click.argument("query", nargs=-1, required=True, callback=_query_words)
@kind_option
@since_option
@until_option
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@offset_option
@any_option
@sites_option
@json_option
@color_option
@scheduler_option
@index_option
@_library_errors
def search(
    query: str,
    kind: str | None,
    since: str | None,
    until: str | None,
    sort: str,
    limit: int,
    offset: int,
    any_word: bool,
    sites: tuple[str, ...],
    as_json: bool,
    color: str,
    scheduler: str | None,
    index_dir: Path | None,
) -> None:
    """Ranked search with snippets. All words must match unless OR or --any says otherwise.

    \b
    Query language:
        syria assad          both words (stemmed: "killings" finds "killed")
        syria OR turkey      either word
        syria NOT turkey     the first without the second (also: syria -turkey)
        "yellow vest"        the exact phrase
        title:brexit         a word in the caption or headline (or body:)
        protest*             words starting with "protest"
        brexot~              words one edit away (~2: two edits)
    """
    with _open(index_dir, scheduler) as opened:
        results = opened.search(
            query,
            kind=kind,  # type: ignore[arg-type]
            since=since,
            until=until,
            sort=sort,  # type: ignore[arg-type]
            limit=limit,
            offset=offset,
            match="any" if any_word else "all",
            site=sites or None,
        )
    _print_results(results, as_json, _use_color(color))


@cli.command(context_settings=QUERY_WORDS)
@click.argument("query", nargs=-1, callback=_query_words)
@since_option
@until_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@offset_option
@sites_option
@json_option
@color_option
@scheduler_option
@index_option
@_library_errors
def headlines(
    query: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    offset: int,
    sites: tuple[str, ...],
    as_json: bool,
    color: str,
    scheduler: str | None,
    index_dir: Path | None,
) -> None:
    """Dated ticker headlines, newest first (all of them without a QUERY).

    \b
    Example:
        newsdex headlines --since 2018-12-14
        newsdex headlines brexit --until 2018-12-13T23:59
    """
    with _open(index_dir, scheduler) as opened:
        results = opened.headlines(
            query, since=since, until=until, limit=limit, offset=offset, site=sites or None
        )
    _print_results(results, as_json, _use_color(color))


@cli.command(context_settings=QUERY_WORDS)
@click.argument("query", nargs=-1, callback=_query_words)
@click.option(
    "--by",
    type=click.Choice(COUNT_BY),
    default="day",
    show_default=True,
    help="Count by the period of the records' dates (UTC), by site or by kind.",
)
@kind_option
@since_option
@until_option
@sites_option
@any_option
@json_option
@color_option
@scheduler_option
@index_option
@_library_errors
def count(
    query: str,
    by: str,
    kind: str | None,
    since: str | None,
    until: str | None,
    sites: tuple[str, ...],
    any_word: bool,
    as_json: bool,
    color: str,
    scheduler: str | None,
    index_dir: Path | None,
) -> None:
    """How many records match (all of them without a QUERY), over time, by site or kind.

    A terminal gets a bar chart, a row a period from the first to the last
    (empty ones as 0), records without a date last; --json prints JSON Lines,
    {"key": ..., "count": ...}, the undated with the key null. Every match is
    counted.

    \b
    Example:
        newsdex count brexit --by month
        newsdex count --by site --since 2019-01-01
        newsdex count "yellow vest" --by day --json
    """
    with _open(index_dir, scheduler) as opened:
        counts = opened.count(
            query,
            by=by,  # type: ignore[arg-type]
            kind=kind,  # type: ignore[arg-type]
            since=since,
            until=until,
            site=sites or None,
            match="any" if any_word else "all",
        )
    if as_json:
        _echo_lines(render.json_line(row) for row in render.counts_json(counts))
    else:
        import shutil  # only for the timeline

        width = shutil.get_terminal_size().columns
        chart = render.counts_chart(counts, min(width, 100), _use_color(color))
        if chart:
            click.echo(chart, color=_use_color(color))
    if counts.total:
        click.echo(f"{counts.total:,} records", err=True)
    else:
        click.echo("no records", err=True)
        raise click.exceptions.Exit(EXIT_NOTHING)


def _print_results(results: SearchResults, as_json: bool, color: bool) -> None:
    if not results.hits:
        if results.any_total:
            found = f"{results.any_total:,}"
            click.echo(f"no record has all the words; --any finds {found}", err=True)
        if results.suggestion:
            click.echo(f"did you mean: {results.suggestion}", err=True)
        elif results.total:
            click.echo(f"no hits past --offset {results.offset} ({results.total} in all)", err=True)
        elif not as_json and not results.any_total:
            click.echo("no hits", err=True)
        raise click.exceptions.Exit(EXIT_NOTHING)
    if as_json:
        _echo_lines(render.json_line(render.hit_json(hit)) for hit in results.hits)
        return
    _echo_lines((render.hit_text(hit, color) + "\n" for hit in results.hits), color)
    shown_to = results.offset + len(results.hits)
    if shown_to < results.total:
        click.echo(
            f"hits {results.offset + 1}-{shown_to} of {results.total:,}; "
            f"--offset {shown_to} for more",
            err=True,
        )


def _echo_lines(lines: Iterable[str], color: bool = False) -> None:
    for line in lines:
        click.echo(line, color=color)


@cli.command()
@click.argument("record_id", metavar="ID")
@json_option
@scheduler_option
@index_option
@_library_errors
def show(record_id: str, as_json: bool, scheduler: str | None, index_dir: Path | None) -> None:
    """Show one whole record and every page it was seen on."""
    with _open(index_dir, scheduler) as opened:
        record = opened.record(record_id)
    if as_json:
        click.echo(render.json_line(render.record_json(record)))
    else:
        click.echo(render.record_text(record))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@dump_options
@json_option
@_library_errors
def split(
    files: tuple[Path, ...], fields: indexer.DumpFields, site: str | None, as_json: bool
) -> None:
    """Show the records pages yield, without indexing them.

    Takes the options `newsdex index` takes for dumps. Exits 2 if no file
    could be read.
    """
    read_any = False
    for page in indexer.split_files(files, fields, site=site):
        if isinstance(page, indexer.Skipped):
            _echo_skipped([page])
            continue
        read_any = True
        if as_json:
            _echo_lines(render.json_line(render.record_json(r)) for r in page.records)
            for warning in page.warnings:
                click.echo(f"warning: {warning}", err=True)
        else:
            if len(files) > 1 or files[0].is_dir():
                click.echo(f"== {page.path}")
            click.echo(render.split_text(page))
    if not read_any:
        raise NewsdexClickError("no readable page among the files given")


@cli.command()
@json_option
@scheduler_option
@index_option
@_library_errors
def stats(as_json: bool, scheduler: str | None, index_dir: Path | None) -> None:
    """What the index holds: pages, records by kind, dates, skipped files."""
    with _open(index_dir, scheduler) as opened:
        numbers = opened.stats()
    if as_json:
        click.echo(render.json_line(render.stats_json(numbers)))
    else:
        click.echo(render.stats_text(numbers))


SERVE_EXTRA = ("starlette", "uvicorn", "jinja2", "markupsafe")
"""What `newsdex serve` imports from the serve extra."""


def _cors_origin(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    """Each --cors ORIGIN as browsers send it: ``scheme://host[:port]``, lowercase (or *)."""
    origins = []
    for value in values:
        parts = urllib.parse.urlsplit(value)
        if value == "*":
            origins.append(value)
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            raise click.BadParameter(f"{value!r} is not an origin such as https://example.org")
        elif parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
            raise click.BadParameter(f"{value!r} is more than an origin: give scheme, host, port")
        else:
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


@cli.command()
@index_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves every machine that can reach this one.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free one, shown at start).",
)
@click.option(
    "--cors",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    callback=_cors_origin,
    help="Let pages of ORIGIN (https://example.org) call the API from a browser; "
    "repeatable, * for any. Others are refused.",
)
@_library_errors
def serve(index_dir: Path | None, host: str, port: int, cors_origins: list[str]) -> None:
    """Serve the index over HTTP: a search page at / and a JSON API under /api.

    Read-only; it sees what `newsdex index` commits meanwhile, with no restart.
    Ctrl-C stops it. Needs the serve extra: pip install 'newsdex[serve]'.

    \b
    Example:
        newsdex serve                       # http://127.0.0.1:8080
        curl 'http://127.0.0.1:8080/api/search?q=syria&limit=2'
    """
    try:
        from search import server
    except ImportError as error:
        if (error.name or "").split(".")[0] not in SERVE_EXTRA:
            raise
        raise NewsdexClickError(
            "newsdex serve needs the serve extra (pip install 'newsdex[serve]')"
        ) from error
    # Ctrl-C: uvicorn stops taking requests, answers those it has, then raises
    # KeyboardInterrupt again; that is how this command ends, so status 0.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve(
            index_dir,
            host=host,
            port=port,
            cors_origins=cors_origins,
            announce=lambda line: click.echo(line, err=True),
        )
    click.echo("stopped", err=True)


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="newsdex")
