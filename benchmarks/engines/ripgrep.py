"""ripgrep over the raw page files: no index, what a user without a search tool would do.

A query is one shell pipeline (the same for the timed loop and the cold CLI)::

    rg -l -i -w -F -e W1 PAGES | xargs rg -l -i -w -F -e W2 | ... | head -n 10
        | xargs rg -m1 -H --null -i -w -F -e W1

Each word narrows the list of files (``-l``) to those holding it as a whole word, any
case; a phrase is one fixed string (``-F "w1 w2"``). The first 10 files are the hits,
and the first line of each holding the first word is its snippet. No stemming, no
ranking, and it matches footers too. Every ``rg`` runs with ``--no-config --no-ignore``
so neither a config file nor the git-ignored work folder changes what it reads.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.engines import common

HAS_INDEX = False
"""The runner hands the pages folder itself to ``open`` and ``cli_command``."""
RG = ("rg", "--no-config", "--no-ignore", "--color", "never", "-i", "-w", "-F")


def unavailable() -> str | None:
    return None if shutil.which("rg") else "rg (ripgrep) is not installed"


def build(pages_dir: Path, index_dir: Path) -> None:
    """Nothing to build: ripgrep reads the pages at query time."""


def pipeline(pages_dir: Path, words: Sequence[str], phrase: bool, limit: int = 10) -> str:
    """The shell pipeline for one query (see the module docstring)."""
    patterns = [" ".join(words)] if phrase else list(words)
    rg = " ".join(RG)
    stages = [f"{rg} -l -e {shlex.quote(patterns[0])} -- {shlex.quote(str(pages_dir))}"]
    stages += [f"xargs -r -d '\\n' {rg} -l -e {shlex.quote(p)} --" for p in patterns[1:]]
    stages.append(f"head -n {limit}")
    stages.append(f"xargs -r -d '\\n' {rg} -m1 -H --null -e {shlex.quote(patterns[0])} --")
    return " | ".join(stages)


class Searcher:
    def __init__(self, pages_dir: Path) -> None:
        self.pages_dir = pages_dir

    def search(self, words: Sequence[str], phrase: bool = False, limit: int = 10) -> common.Hits:
        command = pipeline(self.pages_dir, words, phrase, limit)
        output = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, check=False
        ).stdout
        hits = []
        for line in output.splitlines():
            path, _, snippet = line.partition("\0")
            hits.append((Path(path).relative_to(self.pages_dir).as_posix(), snippet))
        return hits

    def close(self) -> None:
        pass


def cli_command(index_dir: Path, words: Sequence[str], phrase: bool) -> list[str]:
    return ["sh", "-c", pipeline(index_dir, words, phrase)]


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
