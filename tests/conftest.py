"""Fixtures shared by every test: no test ever touches a real user's index.

Tests that read the data sets beside the clone ask for ``bbc_news`` or
``scifact``: without the data they skip (fail under ``CI``), see
:func:`helpers.require_data`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from helpers import CRAWL_EXAMPLE, SEEDS, require_data

import search

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture(autouse=True)
def private_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point NEWSDEX_INDEX at a fresh folder so no test writes to the user's index."""
    index_dir = tmp_path / "index"
    monkeypatch.setenv("NEWSDEX_INDEX", str(index_dir))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return index_dir


@pytest.fixture
def seed_path() -> Path:
    """The bundled seed page."""
    return next(SEEDS.glob("*.txt"))


@pytest.fixture
def seed_text(seed_path: Path) -> str:
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture
def seeded_index(private_index: Path) -> Path:
    """An index of the bundled seed page, at NEWSDEX_INDEX."""
    import indexer

    indexer.index_paths([SEEDS], index=private_index)
    return private_index


@pytest.fixture
def open_seeded(seeded_index: Path) -> Iterator[search.Index]:
    """The seed index, opened for searching, closed after the test."""
    with search.open_index(seeded_index) as opened:
        yield opened


@pytest.fixture
def api(seeded_index: Path) -> Iterator[TestClient]:
    """``newsdex serve``'s application on the seed index, through Starlette's test client.

    Server errors are raised in the test, so a 500 can never pass unseen.
    """
    from starlette.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(seeded_index)) as client:
        yield client


@pytest.fixture
def crawl_api(private_index: Path) -> Iterator[TestClient]:
    """The server on the seed page and the example crawl: dated articles of three sites."""
    from starlette.testclient import TestClient

    import indexer
    from search.server import create_app

    indexer.index_paths([SEEDS, CRAWL_EXAMPLE], index=private_index)
    with TestClient(create_app(private_index)) as client:
        yield client


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def bbc_news() -> Path:
    """The BBC articles the page generator (``benchmarks.generate``) makes pages of."""
    from benchmarks import generate

    return require_data(generate.DEFAULT_SOURCE)


@pytest.fixture(scope="session")
def scifact() -> Path:
    """The SciFact folder ``benchmarks.quality`` reads: abstracts, claims, judgements."""
    from benchmarks import quality

    for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"):
        require_data(quality.DEFAULT_DATA / name)
    return quality.DEFAULT_DATA
