"""newsdex as another checkout has it, to measure two versions side by side in one run.

Set ``NEWSDEX_BASE`` to that checkout (a ``git worktree`` of the commit to
compare with), then ``python -m benchmarks.run --engines newsdex,newsdex_base``:
both are built, queried (taking turns, pass by pass) and timed as whole
processes on the same pages, the base's code imported from its own folder.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engines import common
from benchmarks.engines import newsdex as current

HAS_INDEX = True
BASE_VARIABLE = "NEWSDEX_BASE"


def _base() -> Path | None:
    folder = os.environ.get(BASE_VARIABLE)
    return Path(folder).resolve() if folder else None


def unavailable() -> str | None:
    base = _base()
    if base is None or not (base / "indexer").is_dir() or not (base / "search").is_dir():
        return f"set {BASE_VARIABLE} to another checkout of newsdex (a git worktree)"
    return None


def _use_base() -> None:
    """Import ``indexer`` and ``search`` from the base checkout, not this one.

    Only those two packages: a folder holding links to them goes first on the
    path, so ``benchmarks`` still comes from this checkout, in this process
    and in the writer processes a large build spawns (they import this module
    again, by name, from the path they are given)."""
    base = _base()
    assert base is not None, unavailable()
    packages = _packages_of(base)
    if str(packages) not in sys.path:
        sys.path.insert(0, str(packages))
    loaded = [name for name in sys.modules if name.split(".")[0] in ("indexer", "search")]
    assert not loaded, f"imported before the base was put first: {loaded}"


def _packages_of(base: Path) -> Path:
    """A folder beside the work files with links to the base's two packages."""
    folder = (
        Path(tempfile.gettempdir()) / f"newsdex-base-{hashlib.sha1(bytes(base)).hexdigest()[:12]}"
    )
    folder.mkdir(exist_ok=True)
    for package in ("indexer", "search"):
        link = folder / package
        if not link.is_symlink():
            link.symlink_to(base / package, target_is_directory=True)
    return folder


def build(pages_dir: Path, index_dir: Path) -> None:
    _use_base()
    current.build(pages_dir, index_dir)


class Searcher(current.Searcher):
    def __init__(self, index_dir: Path) -> None:
        _use_base()
        super().__init__(index_dir)


def cli_command(index_dir: Path, words: Sequence[str], phrase: bool) -> list[str]:
    """``newsdex search Q`` with the base checkout's code."""
    program = (
        f"import sys; sys.path.insert(0, {str(_packages_of(_base()))!r}); "
        "from search.cli import main; main()"
    )
    query = current.query_text(words, phrase)
    return [
        sys.executable,
        "-c",
        program,
        "search",
        query,
        "--index",
        str(index_dir),
        "--limit",
        "10",
    ]


def reindex(index_dir: Path, paths: Sequence[Path]) -> dict[str, Any]:
    _use_base()
    return current.reindex(index_dir, paths)


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
