"""The layering holds at run time: searching loads no part of the writer.

`lint-imports` (in .ci/run) checks the imports as written; this checks what
a search really loads, lazy imports included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import indexer

WRITER_MODULES = {
    "indexer.session",
    "indexer.writers",
    "indexer.creation",
    "indexer.lock",
    "indexer.ledger",
    "indexer.merge",
    "indexer.pool",
    "indexer.processes",
}

SEARCHES = """
import json, sys
import search
with search.open_index(sys.argv[1]) as index:
    index.search("Assad regime")
    index.search('"yellow vest"', kind="all", sort="newest")
    index.search("syira")
    index.search("Brexit Hodeida")
    index.headlines(since="2018-12-14")
    index.record(index.search("Assad").hits[0].id)
    index.stats()
print(json.dumps(sorted(name for name in sys.modules if name.startswith(("indexer", "search")))))
"""


def test_searching_loads_no_writer_module(tmp_path: Path) -> None:
    indexer.index_paths([], index=tmp_path / "index")
    loaded = subprocess.run(
        [sys.executable, "-c", SEARCHES, str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(json.loads(loaded.stdout))
    assert "search.index" in modules  # the searches ran
    assert modules.isdisjoint(WRITER_MODULES), modules & WRITER_MODULES
