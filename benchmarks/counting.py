"""What a count costs beside a search: ``Index.count(q, by=...)`` against ``search(q)``'s top 10.

Run from the project root, on an index the main benchmark built::

    python -m benchmarks.run --pages 50000 --engines newsdex
    python -m benchmarks.counting --pages 50000

For each query of a class (``frequent`` by default: many matches, the costly
case), the search's top ten (with snippets) and the count are timed in turn,
each query's best of ``--passes``; it prints the median of each, their ratio,
and the median of the per-query ratios. The target: a count by day at most
twice the time of the same search's top 10.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import queries
from benchmarks.run import DEFAULT_WORK


def best_ms(action: Callable[[], object], passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.counting", description=__doc__)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument(
        "--by", default="day", choices=["day", "week", "month", "year", "site", "kind"]
    )
    parser.add_argument("--kind", default="frequent", choices=queries.CLASSES)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)

    import search

    index_dir = args.work / "index" / f"newsdex-{args.pages}"
    chosen = [
        q for q in queries.load(args.work / f"queries-{args.pages}.json") if q.kind == args.kind
    ]
    searched, counted = [], []
    with search.open_index(index_dir) as index:
        for query in chosen:
            text = f'"{" ".join(query.words)}"' if query.phrase else " ".join(query.words)
            index.search(text)  # warm: the kinds' sets, the date column
            index.count(text, by=args.by)
            searched.append(best_ms(lambda t=text: index.search(t, limit=10), args.passes))
            counted.append(best_ms(lambda t=text: index.count(t, by=args.by), args.passes))
    ratios = [c / s for c, s in zip(counted, searched, strict=True)]
    found = {
        "pages": args.pages,
        "queries": len(chosen),
        "class": args.kind,
        "by": args.by,
        "search_top10_median_ms": statistics.median(searched),
        "count_median_ms": statistics.median(counted),
        "ratio_of_medians": statistics.median(counted) / statistics.median(searched),
        "median_ratio": statistics.median(ratios),
        "max_ratio": max(ratios),
    }
    print(json.dumps(found, indent=2))
    verdict = "PASS" if found["ratio_of_medians"] <= 2 else "FAIL"
    print(
        f"{verdict}: count by {args.by} <= 2x the search's top 10 "
        f"({found['count_median_ms']:.2f} vs {found['search_top10_median_ms']:.2f} ms)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
