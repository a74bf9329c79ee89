"""An index run's decisions, file by file and page by page: what to read, split, keep, skip.

A run streams: one page is in memory at a time. Pages whose file has the size
and modification time the index remembers are not read again; a file whose
time changed but whose bytes did not is not split again. Pages that were
indexed from under the run's paths and are gone now are removed, with the
records no other page holds. The decisions go to a :class:`RunSession`: the
session of one index (``indexer.session``), or a sharded run's recorder
(``indexer.sharded``).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from indexer.limits import MAX_PAGE_BYTES
from indexer.pages import (
    DumpFields,
    InputFile,
    Page,
    UnreadablePage,
    find_inputs,
    read_dump,
    read_page,
)
from indexer.records import Article, Footer, Headline, Record, SplitPage
from indexer.report import PageWarning, Skipped
from indexer.segment import split_page
from indexer.sites import site_name

if TYPE_CHECKING:
    from indexer.storage import PageEntry

PathLike = str | os.PathLike[str]
RecordOf = TypeVar("RecordOf", Article, Headline, Footer)


class Progress(Protocol):
    """What an index run tells as it goes, phase by phase (the command line draws it)."""

    def waiting(self, holder: str) -> None:
        """Another run writes the index: this one waits for its lock, held by ``holder``."""

    def reading(self, done: int, total: int) -> None:
        """Bytes of the pages read so far, of all there are."""

    def committing(self) -> None:
        """Every page is read: the run writes and commits its changes."""


def split_files(
    paths: Iterable[PathLike],
    fields: DumpFields | None = None,
    max_page_bytes: int = MAX_PAGE_BYTES,
    site: str | None = None,
) -> Iterator[SplitPage | Skipped]:
    """Split each page under ``paths`` without indexing; unreadable ones are skipped.

    Records carry what their page says of them: a dump's date for the
    article, the page's site (its dump's site field, its url's host, else
    ``site``) on every source.
    """
    fields = fields or DumpFields()
    site = site_name(site) if site is not None else None
    for found in find_inputs(paths):
        if isinstance(found, Skipped):
            yield found
            continue
        for page in _pages_of(found, fields, max_page_bytes):
            yield page if isinstance(page, Skipped) else _split(page, site)


def _pages_of(found: InputFile, fields: DumpFields, max_bytes: int) -> Iterator[Page | Skipped]:
    try:
        if found.is_dump:
            yield from read_dump(found.path, fields, max_bytes)
        else:
            yield read_page(found.path, max_bytes)
    except UnreadablePage as reason:
        yield Skipped(found.path, str(reason))


def _split(page: Page, site: str | None) -> SplitPage:
    """The page's records, dated and sited as the page says (``site``: else)."""
    split = split_page(page.text, page.key)
    site = page.site or site
    article = split.article
    if article is not None and page.published is not None:
        article = dataclasses.replace(article, published=page.published)
    if site is not None:
        article = _at_site(article, site) if article is not None else None
        split = dataclasses.replace(
            split,
            headlines=tuple(_at_site(headline, site) for headline in split.headlines),
            footer=_at_site(split.footer, site) if split.footer is not None else None,
        )
    return dataclasses.replace(split, article=article, warnings=page.warnings + split.warnings)


def _at_site(record: RecordOf, site: str) -> RecordOf:
    sources = tuple(dataclasses.replace(source, site=site) for source in record.sources)
    return dataclasses.replace(record, sources=sources)


class PagesMet(Protocol):
    """The pages an index run has met (``indexer.ledger.RunLedger``)."""

    def meet_page(self, key: str) -> bool: ...

    def meet_pages(self, keys: Iterable[str]) -> None: ...

    def pages_not_met(self, keys: Iterable[str]) -> Iterator[str]: ...


class RunSession(Protocol):
    """Where an index run's decisions go: an ``IndexSession`` writes them to one
    index; a sharded run records them for the shards (``indexer.sharded``)."""

    @property
    def ledger(self) -> PagesMet: ...

    def put_page(self, page: PageEntry, records: Iterable[Record]) -> None: ...

    def keep_page(self, key: str, mtime_ns: int) -> None: ...

    def remove_page(self, page: PageEntry) -> None: ...


@dataclass
class IndexRun:
    """The tallies and decisions of one index run."""

    session: RunSession
    known: dict[str, PageEntry]
    fields: DumpFields
    max_page_bytes: int = MAX_PAGE_BYTES
    site: str | None = None
    """The site of pages that do not say theirs (``--site``)."""
    read: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[PageWarning] = field(default_factory=list)
    deferred: list[InputFile] | None = None
    """When a list, files to read are put here instead of read (a sharded run
    reads them on its workers)."""
    on_index: Callable[[Page], None] | None = None
    """Told of each page read and split, before its records go to the session."""
    _by_dump: dict[str, list[str]] | None = None

    def take(self, found: InputFile | Skipped) -> None:
        if not self.session.ledger.meet_page(found.path):
            return  # named twice (paths that overlap): taken once
        if isinstance(found, Skipped):
            if os.path.lexists(found.path):
                # There but unusable (a dangling link, a pipe): remembered,
                # so `stats` accounts for it. A path given that does not
                # exist is no page, and is only reported.
                self._skip(found.path, found.path, found.reason)
            else:
                self.skipped.append(found)
            return
        earlier = self.known.get(found.path)
        # A skipped page file is read again: the skip may be gone (a larger
        # --max-page-mb, fixed permissions), and it costs at most its first 8 KB.
        read_again = earlier and earlier.skipped is not None and not found.is_dump
        if (
            earlier
            and not read_again
            and (earlier.size, earlier.mtime_ns)
            == (
                found.size,
                found.mtime_ns,
            )
        ):
            self._unchanged_file(earlier, found)
        elif self.deferred is not None:
            self.deferred.append(found)
        elif found.is_dump:
            self._dump(found)
        else:
            self._page_file(found, earlier)

    def _unchanged_file(self, earlier: PageEntry, found: InputFile) -> None:
        if found.is_dump:
            # An unchanged dump: every page indexed from it stays as it is,
            # even when the dump broke off after them last time, and so do
            # the lines it skipped.
            pages = self._pages_by_dump().get(found.path, [])
            self.session.ledger.meet_pages(pages)
            for key in pages:
                skipped = self.known[key].skipped
                if skipped is None:
                    self.unchanged += 1
                else:
                    self.skipped.append(Skipped(key, skipped))
        if earlier.skipped is not None:
            self.skipped.append(Skipped(found.path, earlier.skipped))
        elif not found.is_dump:
            self.unchanged += 1

    def _pages_by_dump(self) -> dict[str, list[str]]:
        if self._by_dump is None:
            self._by_dump = {}
            for page in self.known.values():
                if page.container != page.key:
                    self._by_dump.setdefault(page.container, []).append(page.key)
        return self._by_dump

    def _page_file(self, found: InputFile, earlier: PageEntry | None) -> None:
        from indexer.storage import PageEntry

        try:
            page = read_page(found.path, self.max_page_bytes)
        except UnreadablePage as reason:
            self._skip_file(found, str(reason))
            return
        entry = PageEntry(found.path, found.path, found.size, found.mtime_ns, page.digest)
        if earlier and earlier.digest == page.digest and earlier.skipped is None:
            # Touched, not changed: remember the new time, keep the records.
            self.session.keep_page(found.path, found.mtime_ns)
            self.unchanged += 1
            return
        self._index(page, entry)

    def _dump(self, found: InputFile) -> None:
        from indexer.storage import PageEntry

        count = 0
        # The lines skipped before the dump's first usable one wait here: a
        # dump none of whose lines can be read is one skip, not one a line.
        waiting: list[Skipped] | None = []
        try:
            for page in read_dump(found.path, self.fields, self.max_page_bytes):
                count += 1
                if isinstance(page, Skipped):
                    if waiting is None:
                        self._skip(page.path, found.path, page.reason)
                    else:
                        waiting.append(page)
                    continue
                if waiting is not None:
                    for skipped in waiting:
                        self._skip(skipped.path, found.path, skipped.reason)
                    waiting = None
                if not self.session.ledger.meet_page(page.key):
                    self._skip_duplicate(page, found.path)
                    continue
                earlier = self.known.get(page.key)
                if earlier and earlier.digest == page.digest:
                    self.unchanged += 1
                    continue
                published = page.published.isoformat() if page.published is not None else None
                entry = PageEntry(
                    page.key, found.path, len(page.text), 0, page.digest,
                    url=page.url, published=published, site=page.site or self.site,
                )  # fmt: skip
                self._index(page, entry)
        except UnreadablePage as reason:
            self._skip_file(found, str(reason))
            return
        if count == 0:
            self._skip_file(found, "empty")
            return
        if waiting:
            self._skip_file(found, _no_usable_line(waiting))
            return
        dump = PageEntry(found.path, found.path, found.size, found.mtime_ns, is_dump=True)
        self.session.put_page(dump, ())

    def _index(self, page: Page, entry: PageEntry) -> None:
        if self.on_index is not None:
            self.on_index(page)
        split = _split(page, self.site)
        found = split.records
        entry = dataclasses.replace(
            entry,
            records=tuple((record.id, record.sources[0].line) for record in found),
            warnings=split.warnings,
            site=entry.site or page.site or self.site,
        )
        self.session.put_page(entry, found)
        self.read += 1
        self.warnings.extend(PageWarning(page.key, warning) for warning in split.warnings)

    def _skip_duplicate(self, page: Page, container: str) -> None:
        where = page.line or page.key
        self._skip(where, container, f"duplicate of a page read before ({page.key})")

    def _skip_file(self, found: InputFile, reason: str) -> None:
        self._skip(found.path, found.path, reason, found)

    def _skip(self, key: str, container: str, reason: str, found: InputFile | None = None) -> None:
        """Report a skip, and remember it in the index so that `stats` accounts for it."""
        from indexer.storage import PageEntry

        self.skipped.append(Skipped(key, reason))
        self.session.ledger.meet_page(key)
        entry = PageEntry(key, container, skipped=reason)
        if found is not None:
            entry = dataclasses.replace(
                entry, size=found.size, mtime_ns=found.mtime_ns, is_dump=found.is_dump
            )
        self.session.put_page(entry, ())

    def remove_vanished(self, roots: Sequence[Path]) -> None:
        """Remove the pages indexed from under ``roots`` that this run did not find."""
        given = {str(root) for root in roots}
        inside = tuple(root.rstrip(os.sep) + os.sep for root in given)
        under = (
            key
            for key, page in self.known.items()
            if page.container in given or page.container.startswith(inside)
        )
        for key in self.session.ledger.pages_not_met(under):
            page = self.known[key]
            self.session.remove_page(page)
            if page.skipped is None and not page.is_dump:
                self.removed += 1


def _no_usable_line(skipped: list[Skipped]) -> str:
    """Why no line of a dump was used, in one reason: the commonest, with a count."""
    reasons = Counter(skip.reason for skip in skipped)
    reason, count = reasons.most_common(1)[0]
    lines = f"{len(skipped):,} line" + ("" if len(skipped) == 1 else "s")
    if count == len(skipped):
        return f"no usable line ({lines}): {reason}"
    return f"no usable line ({lines}; {count:,} of them: {reason})"
