"""Instructions a warm query costs, by class: a measure that machine noise leaves alone.

Wall-clock times on a shared 2-core machine move by a fifth between runs,
more than most single changes to the query path; the instructions a query
executes hardly move at all. Each class's queries are run in a process of
their own under Valgrind (``cachegrind``, counting instructions only): once
to warm up, then ``--passes`` more times, and the same without the extra
passes; the difference, divided by the queries run, is what a warm query of
the class costs. Compare code before and after a change on the same index
with ``--code``, which puts a checkout first on the path::

    python -m benchmarks.instructions --index bench-data/index/newsdex-20000 \\
        --queries bench-data/queries-20000.json [--code ../old-checkout]

Needs ``valgrind`` (Debian's package). A run of the five classes takes a few
minutes: Valgrind runs Python some fifty times slower.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# No import of the project here: the measured processes run this file by its
# path, so that the code measured is the one --code names (or the installed one).
CLASSES = ("frequent", "mid", "rare", "frequent+rare", "phrase")
"""The benchmark's query classes (``benchmarks.queries.CLASSES``)."""
TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions_per_query(
    index: Path, queries_file: Path, kind: str, passes: int, code: Path | None = None
) -> float:
    """The instructions one warm query of class ``kind`` executes (see the module's docstring)."""
    count = len(query_texts(queries_file, kind))
    if not count:
        raise ValueError(f"no query of class {kind!r} in {queries_file}")
    warm = _counted(index, queries_file, kind, 0, code)
    measured = _counted(index, queries_file, kind, passes, code)
    return (measured - warm) / (passes * count)


def _counted(index: Path, queries_file: Path, kind: str, passes: int, code: Path | None) -> int:
    """Instructions of one process running the class's queries ``1 + passes`` times."""
    environment = dict(os.environ)
    if code is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(code.resolve()), *filter(None, [environment.get("PYTHONPATH")])]
        )
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--run",
        str(index.resolve()),
        str(queries_file.resolve()),
        kind,
        str(passes),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if finished.returncode:
        raise RuntimeError(f"the measured process failed: {finished.stderr.strip()[-500:]}")
    return parse_total(finished.stderr)


def parse_total(report: str) -> int:
    """The instruction total of Valgrind's summary (``I refs: 1,234``)."""
    found = TOTAL.search(report)
    if found is None:
        raise ValueError("no instruction total in Valgrind's report")
    return int(found[1].replace(",", ""))


def run_queries(index: Path, queries_file: Path, kind: str, passes: int) -> None:
    """What each measured process does: open the index, run the class's queries
    ``1 + passes`` times, reading each hit's snippet as the benchmark does."""
    import search

    texts = query_texts(queries_file, kind)
    with search.open_index(index) as opened:
        for _ in range(1 + passes):
            for text in texts:
                for hit in opened.search(text, limit=10).hits:
                    _ = (hit.id, hit.snippet.text)


def query_texts(queries_file: Path, kind: str) -> list[str]:
    """The queries of a class in the benchmark's file, as newsdex is asked them
    (``benchmarks.queries.Query.text``)."""
    found = json.loads(queries_file.read_text(encoding="utf-8"))["queries"]
    return [
        f'"{" ".join(q["words"])}"' if q["phrase"] else " ".join(q["words"])
        for q in found
        if q["class"] == kind
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instructions", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--run", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help="a newsdex index of the benchmark's pages")
    parser.add_argument("--queries", type=Path, help="the benchmark's queries file")
    parser.add_argument("--classes", default=",".join(CLASSES), help="comma-separated classes")
    parser.add_argument("--passes", type=int, default=2, help="measured passes (default 2)")
    parser.add_argument("--code", type=Path, help="a checkout to measure instead of this one")
    arguments = parser.parse_args(argv)
    if arguments.run:
        index, queries_file, kind, passes = arguments.run
        run_queries(Path(index), Path(queries_file), kind, int(passes))
        return 0
    if arguments.index is None or arguments.queries is None:
        parser.error("--index and --queries are needed")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    for kind in arguments.classes.split(","):
        per_query = instructions_per_query(
            arguments.index, arguments.queries, kind, arguments.passes, arguments.code
        )
        print(f"{kind}: {per_query:,.0f} instructions a query", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
