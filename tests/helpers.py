"""Helpers the tests share: paths, writing pages, watching processes.

Fixtures live in ``conftest.py``; everything a test imports by name lives here
(``from helpers import write_page``): pytest puts this folder on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"


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
