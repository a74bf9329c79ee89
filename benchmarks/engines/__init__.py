"""The engines the benchmark compares, one module each, all with the same small interface.

Every module ``benchmarks.engines.X`` has:

- ``HAS_INDEX``: False for ripgrep, which searches the page files themselves;
- ``unavailable() -> str | None``: why the engine cannot run here (e.g. not installed);
- ``build(pages_dir, index_dir) -> None``: index every ``*.txt`` page under ``pages_dir``;
- ``open(index_dir) -> Searcher``: ``search(words, phrase=False, limit=10)`` returns the
  top hits as (id, snippet) pairs; ``close()`` when done;
- ``cli_command(index_dir, words, phrase) -> list[str]``: one query as a whole process.

and runs as ``python -m benchmarks.engines.X build|query|search ...`` (see
:mod:`benchmarks.engines.common`), so that each build and each query loop is measured in
a process of its own. Heavy imports stay inside functions: the runner imports these
modules only to ask them for command lines.
"""

ENGINES = ("newsdex", "whoosh_plain", "fts5", "tantivy", "ripgrep")
"""The engines of a run by default."""
OPTIONAL_ENGINES = ("newsdex_base",)
"""Engines a run takes when named: newsdex from another checkout (NEWSDEX_BASE)."""
BASELINE = "whoosh_plain"
