"""newsdex through its public API: ``indexer.index_paths`` and ``search.open_index``.

Besides the common commands, ``reindex INDEX PATHS...`` times an incremental run
(``index_paths(paths, index=INDEX)``, no rebuild) and prints its cost as JSON.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engines import common

HAS_INDEX = True


def unavailable() -> str | None:
    return None


def build(pages_dir: Path, index_dir: Path) -> None:
    import indexer

    indexer.index_paths([pages_dir], index=index_dir, rebuild=True)


def reindex(index_dir: Path, paths: Sequence[Path]) -> dict[str, Any]:
    """Index ``paths`` again into an existing index, as ``newsdex index PATHS`` does."""
    import indexer

    reports = []
    cost = common.measured(lambda: reports.append(indexer.index_paths(paths, index=index_dir)))
    return {**cost, "pages_read": reports[0].pages_read}


def query_text(words: Sequence[str], phrase: bool) -> str:
    return f'"{" ".join(words)}"' if phrase else " ".join(words)


class Searcher:
    """One open index for all queries, as ``search.open_index`` is meant to be used."""

    def __init__(self, index_dir: Path) -> None:
        import search

        self.index = search.open_index(index_dir)

    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> common.Hits:
        # Top hits with snippets. newsdex counts every match as it finds them
        # (FTS5's LIMIT and tantivy's count=False do not count).
        results = self.index.search(query_text(words, phrase), limit=limit)
        return [(hit.id, hit.snippet.text) for hit in results.hits]

    def close(self) -> None:
        self.index.close()


def cli_command(index_dir: Path, words: Sequence[str], phrase: bool) -> list[str]:
    """``newsdex search Q --index DIR --limit 10``, the installed console script."""
    script = Path(sys.executable).parent / "newsdex"
    found = str(script) if script.exists() else shutil.which("newsdex")
    command = [found] if found else [sys.executable, "-m", "search"]
    query = query_text(words, phrase)
    return [*command, "search", query, "--index", str(index_dir), "--limit", "10"]


if __name__ == "__main__":
    if sys.argv[1:2] == ["reindex"]:
        result = reindex(Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
        print(json.dumps(result))
    else:
        sys.exit(common.main(sys.modules[__name__]))
