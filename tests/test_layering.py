"""The layering holds at run time: searching loads no part of the writer.

`lint-imports` (in .ci/run) checks the imports as written; this checks what
a search really loads, lazy imports included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WRITER_MODULES = {
    "indexer.session",
    "indexer.sharded",
    "indexer.writers",
    "indexer.creation",
    "indexer.lock",
    "indexer.ledger",
    "indexer.merge",
    "indexer.pool",
    "indexer.processes",
}

OURS_AND_DASK = ("indexer", "search", "dask", "distributed")

SEARCHES = f"""
import json, sys
OURS_AND_DASK = {OURS_AND_DASK!r}
import search
with search.open_index(sys.argv[1]) as index:
    index.search("Assad regime")
    index.search('"yellow vest"', kind="all", sort="newest")
    index.search("syira")
    index.search("Brexit Hodeida")
    index.headlines(since="2018-12-14")
    index.record(index.search("Assad").hits[0].id)
    index.stats()
print(json.dumps(sorted(name for name in sys.modules if name.startswith(OURS_AND_DASK))))
"""


def python_on_index(code: str, index: Path) -> str:
    """What a fresh Python prints running ``code`` with the index's path as its argument."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(index)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_searching_loads_no_writer_module(seeded_index: Path) -> None:
    printed = python_on_index(SEARCHES, seeded_index)
    modules = set(json.loads(printed))
    assert "search.index" in modules  # the searches ran
    assert modules.isdisjoint(WRITER_MODULES), modules & WRITER_MODULES
    # Dask is for sharded indexes only: one index is searched without it.
    assert not {name for name in modules if name.startswith(("dask", "distributed"))}
    assert "search.cluster" not in modules and "indexer.sharded" not in modules


def test_help_and_indexing_one_index_load_no_dask(tmp_path: Path) -> None:
    script = (
        "import sys, runpy; sys.argv = ['newsdex', 'index', '--quiet', '--index', sys.argv[1]];"
        "from search.cli import cli\n"
        "try:\n    cli()\nexcept SystemExit:\n    pass\n"
        "print(sorted(n for n in sys.modules if n.startswith(('dask', 'distributed'))))"
    )
    printed = python_on_index(script, tmp_path / "index")
    assert printed.strip() == "[]", printed


def test_plain_words_are_searched_without_whoosh_query_parser(seeded_index: Path) -> None:
    # Most queries are plain words: loading the parser would slow every
    # one-query command; a query with syntax still gets it.
    code = (
        "import sys, search\n"
        "with search.open_index(sys.argv[1]) as index:\n"
        "    index.search('Assad regime')\n"
        "    plain = 'whoosh.qparser' in sys.modules\n"
        "    index.search('Assad OR regime')\n"
        "print(plain, 'whoosh.qparser' in sys.modules)"
    )
    printed = python_on_index(code, seeded_index)
    assert printed.split() == ["False", "True"]


def test_searching_english_words_compiles_no_pattern_of_combining_marks(seeded_index: Path) -> None:
    # Their classes take milliseconds to compile, on every command that
    # searches: text without marks is tokenized and snippeted without them.
    code = (
        "import sys, search\n"
        "from indexer import words\n"
        "with search.open_index(sys.argv[1]) as index:\n"
        "    assert index.search('Assad regime').hits[0].snippet.text\n"
        "    index.search('\"yellow vest\"', kind='all')\n"
        "    patterns = (words.token, words.token_rest, words.compound, words._mark)\n"
        "    english = [pattern.cache_info().currsize for pattern in patterns]\n"
        "    index.search('المدرسة')\n"
        "print(sum(english), words.compound.cache_info().currsize)"
    )
    printed = python_on_index(code, seeded_index)
    assert printed.split() == ["0", "1"]


def test_a_search_loads_no_report_of_an_index_run(seeded_index: Path) -> None:
    # The report's types are for index runs and stats: a one-query command
    # would pay for loading them.
    code = (
        "import sys, search\n"
        "with search.open_index(sys.argv[1]) as index:\n"
        "    found = index.search('Assad regime')\n"
        "    print(bool(found.hits), 'indexer.report' in sys.modules)\n"
        "    index.stats()\n"
        "print('indexer.report' in sys.modules)"
    )
    printed = python_on_index(code, seeded_index)
    assert printed.split() == ["True", "False", "True"]


def test_searching_leaves_the_modules_it_never_uses_unloaded(seeded_index: Path) -> None:
    # Whoosh imports English word forms and its highlighter (with html) for
    # features newsdex never uses: stand-ins hold their place
    # (search.lazy_modules), through searches with syntax too.
    code = (
        "import sys, search\n"
        "with search.open_index(sys.argv[1]) as index:\n"
        "    index.search('Assad regime')\n"
        "    index.search('\"yellow vest\" OR assad~')\n"
        "names = ('whoosh.lang.morph_en', 'whoosh.highlight')\n"
        "print(*(type(sys.modules[name]).__name__ for name in names), 'html' in sys.modules)"
    )
    assert python_on_index(code, seeded_index).split() == ["_StandIn", "_StandIn", "False"]


def test_the_highlighter_loads_when_used(seeded_index: Path) -> None:
    # Whoosh's Results.highlights and any import of the module find the real one.
    code = (
        "import sys, search\n"
        "search.open_index(sys.argv[1]).close()\n"
        "import whoosh.highlight, whoosh.searching\n"
        "print(type(sys.modules['whoosh.highlight']).__name__)\n"
        "from whoosh.highlight import HtmlFormatter\n"
        "print(HtmlFormatter.__name__, whoosh.searching.highlight.Highlighter.__name__)\n"
        "print(type(sys.modules['whoosh.highlight']).__name__)"
    )
    printed = python_on_index(code, seeded_index).split()
    assert printed == ["_StandIn", "HtmlFormatter", "Highlighter", "module"]


def test_english_word_forms_load_when_used(seeded_index: Path) -> None:
    # What Whoosh's Variations query asks for, and any other name of the
    # module, however imported, is the real module's, stand-in or not.
    code = (
        "import sys, search\n"
        "if sys.argv[2] == 'deferred':\n"
        "    search.open_index(sys.argv[1]).close()\n"
        "import whoosh.lang.morph_en\n"
        "from whoosh.lang import morph_en\n"
        "from whoosh.query.terms import variations\n"
        "print(type(morph_en).__name__, len(whoosh.lang.morph_en.exceptions))\n"
        "print(sorted(variations('rendering')), type(sys.modules[morph_en.__name__]).__name__)\n"
        "print(sorted(name for name in vars(morph_en) if not name.startswith('_')))"
    )
    runs = {
        way: subprocess.run(
            [sys.executable, "-c", code, str(seeded_index), way],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        for way in ("deferred", "plain")
    }
    assert runs["deferred"][0].startswith("_StandIn ")
    assert runs["plain"][0].startswith("module ")
    assert runs["deferred"][0].split()[1] == runs["plain"][0].split()[1]  # every name there
    assert runs["deferred"][1] == runs["plain"][1]
    assert runs["deferred"][2] == runs["plain"][2]  # a stand-in held has every name, once used
    assert "'renderings'" in runs["plain"][1] and runs["plain"][1].endswith(" module")
