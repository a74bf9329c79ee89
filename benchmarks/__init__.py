"""newsdex's benchmark suite: seed-style pages at scale, and newsdex against other engines.

- ``python -m benchmarks.generate``: write N generated pages (see :mod:`benchmarks.generate`).
- ``python -m benchmarks.run``: build and query every engine on the same pages and print
  one table (see :mod:`benchmarks.run`).

Kept import-free: engine modules run as ``python -m benchmarks.engines.X`` for the cold
whole-process query timing, so this package must cost nothing to import.
"""
