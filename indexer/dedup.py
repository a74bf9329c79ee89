"""Merging records that are the same: one record, every place it was seen.

Tickers repeat the same headlines on every page of a site, and sites repeat
their footer on every page, so a record's id (a hash of its content) is the
key: records with one id differ only in their sources.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from indexer.records import Record, Source


def with_sources(record: Record, sources: Iterable[Source]) -> Record:
    """The same record seen at ``sources`` (sorted, each once)."""
    return dataclasses.replace(record, sources=tuple(sorted(set(sources))))


def combine(records: Iterable[Record]) -> dict[str, Record]:
    """Group records by id, uniting their sources; first-seen order is kept."""
    combined: dict[str, Record] = {}
    for record in records:
        earlier = combined.get(record.id)
        if earlier is None:
            combined[record.id] = record
        else:
            combined[record.id] = with_sources(earlier, earlier.sources + record.sources)
    return combined


def refresh(
    stored: Record | None, incoming: Record | None, reread_paths: Collection[str]
) -> Record | None:
    """What a record becomes after the pages in ``reread_paths`` were read again.

    Sources on pages that were re-read are replaced by what those pages yield
    now (``incoming``); sources on other pages stay. ``None`` means no page
    holds the record any more, so it leaves the index.
    """
    kept: list[Source] = []
    if stored is not None:
        kept = [source for source in stored.sources if source.path not in reread_paths]
    template = incoming if incoming is not None else stored
    if template is None:
        return None
    sources = kept + list(incoming.sources if incoming is not None else ())
    return with_sources(template, sources) if sources else None
