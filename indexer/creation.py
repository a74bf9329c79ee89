"""Creating an index folder: whole or not at all, even with several runs at once."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from indexer.errors import IndexNotFound, NotAnIndex
from indexer.processes import is_running
from indexer.storage import INDEX_NAME, MARKER_FILE, build_schema, open_storage, write_marker


def _staging_prefix(directory: Path) -> str:
    return f".{directory.name}.creating-"


def _create(directory: Path) -> bool:
    """Create an empty index so that the folder appears complete or not at all.

    It is made in a hidden sibling folder and renamed into place: a run killed
    meanwhile leaves no half-made folder that later runs would refuse. When
    another process creates the index at the same moment, its index is used.
    Returns whether this process made the folder.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(directory)
    try:
        staging = Path(
            tempfile.mkdtemp(
                prefix=f"{_staging_prefix(directory)}{os.getpid()}-", dir=directory.parent
            )
        )
    except PermissionError:
        if not directory.is_dir():
            raise
        # An empty folder the user made, in a parent we may not write to.
        _create_in_place(directory)
        return False
    try:
        FileStorage(str(staging), supports_mmap=False).create_index(build_schema(), INDEX_NAME)
        write_marker(staging)
        try:
            os.rename(staging, directory)  # also replaces an empty folder
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            return False  # another process created it first: it is used as it is
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned_staging(directory: Path) -> None:
    """Remove the staging folders of creations whose process is gone."""
    prefix = _staging_prefix(directory)
    for staging in directory.parent.glob(f"{prefix}*"):
        pid = staging.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and not is_running(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _create_in_place(directory: Path) -> None:
    """Create (or replace) the index inside ``directory``; the marker comes last."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    FileStorage(str(directory), supports_mmap=False).create_index(build_schema(), INDEX_NAME)
    write_marker(directory)


def open_for_writing(directory: Path, rebuild: bool) -> tuple[whoosh_index.FileIndex, bool]:
    """The index to write, and whether this process created its folder."""
    try:
        return open_storage(directory), False
    except IndexNotFound:
        created = _create(directory)
        return open_storage(directory), created
    except NotAnIndex:
        # Only an old newsdex index may be replaced, and only when asked to;
        # a folder newsdex did not make is never overwritten.
        if rebuild and (directory / MARKER_FILE).is_file():
            _create_in_place(directory)
            return open_storage(directory), False
        raise
