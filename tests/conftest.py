"""Fixtures shared by every test: no test ever touches a real user's index."""

from __future__ import annotations

from pathlib import Path

import pytest

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
