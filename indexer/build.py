"""An index run: find the pages, split them, merge what repeats, commit it all."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.dedup import combine
from indexer.errors import NothingIndexed
from indexer.location import bundled_seeds, index_directory
from indexer.pages import Page, Skipped, UnreadablePage, find_pages, read_page
from indexer.records import KINDS, Kind, Record, SplitPage
from indexer.segment import split_page

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class IndexReport:
    """What an index run did: every page found is either read or skipped."""

    index_directory: Path
    pages_read: int
    records: dict[Kind, int]
    """Distinct records the pages read yielded, by kind."""
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def pages_seen(self) -> int:
        return self.pages_read + len(self.skipped)

    def summary(self) -> str:
        """One line for people: pages read, records by kind, skips by reason."""
        records = ", ".join(_count(self.records.get(kind, 0), kind) for kind in KINDS)
        line = f"indexed {_count(self.pages_read, 'page')} ({records})"
        reasons = Counter(skip.reason.split(":")[0] for skip in self.skipped)
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        line += f"; skipped {len(self.skipped)}" + (f" ({skipped})" if skipped else "")
        if self.warnings:
            line += f"; {_count(len(self.warnings), 'warning')}"
        return f"{line} -> {self.index_directory}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def split_files(paths: Iterable[PathLike]) -> Iterator[SplitPage | Skipped]:
    """Split each page under ``paths`` without indexing; unreadable ones are skipped."""
    for found in _read_and_split(paths):
        yield found if isinstance(found, Skipped) else found[1]


def _read_and_split(
    paths: Iterable[PathLike],
) -> Iterator[tuple[Page, SplitPage] | Skipped]:
    for found in find_pages(paths):
        if isinstance(found, Skipped):
            yield found
            continue
        try:
            page = read_page(found)
        except UnreadablePage as reason:
            yield Skipped(str(found), str(reason))
            continue
        split = split_page(page.text, page.path)
        if page.warnings:
            split = dataclasses.replace(split, warnings=page.warnings + split.warnings)
        yield page, split


def index_paths(
    paths: Sequence[PathLike] = (),
    *,
    index: PathLike | None = None,
    rebuild: bool = False,
    wait_seconds: float = 5.0,
) -> IndexReport:
    """Index the pages under ``paths`` (the bundled seeds when empty).

    Re-running on the same pages leaves the same index; pages read again
    replace what they yielded before. Raises :class:`NothingIndexed` when no
    page at all could be read (the index is left as it was).

    :param index: the index folder (default: ``$NEWSDEX_INDEX``, else the user's
        data folder)
    :param rebuild: start afresh: the index holds exactly these pages afterwards
    :param wait_seconds: how long to wait for another writer to finish
    """
    # Imported here so that `import indexer` stays light: Whoosh loads only
    # when an index is really written.
    from indexer.engine import PageEntry, write_run

    directory = index_directory(index)
    targets = list(paths) or [bundled_seeds()]
    records: list[Record] = []
    pages: list[PageEntry] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    for found in _read_and_split(targets):
        if isinstance(found, Skipped):
            skipped.append(found)
            if Path(found.path).exists():
                pages.append(PageEntry(found.path, skipped=found.reason))
            continue
        page, split = found
        records.extend(split.records)
        warnings.extend(split.warnings)
        record_ids = tuple(record.id for record in split.records)
        pages.append(PageEntry(page.path, record_ids, None, split.warnings, page.size, page.mtime))
    pages_read = sum(1 for page in pages if page.skipped is None)
    merged = combine(records)
    by_kind = Counter(record.kind for record in merged.values())
    report = IndexReport(directory, pages_read, dict(by_kind), tuple(skipped), tuple(warnings))
    if pages_read == 0:
        where = ", ".join(str(target) for target in targets)
        raise NothingIndexed(report, f"no readable page found in {where}")
    write_run(directory, pages, merged, rebuild=rebuild, wait_seconds=wait_seconds)
    return report
