"""Fixtures shared by every test: no test ever touches a real user's index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import search

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"


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
def runner() -> CliRunner:
    return CliRunner()


def write_page(folder: Path, name: str, text: str) -> Path:
    """Write a page file (UTF-8, no newline translation) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, is not alive)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
