"""Where the index lives and where the bundled seed pages are."""

from __future__ import annotations

import os
from pathlib import Path

from indexer.errors import NewsdexError

INDEX_ENVIRONMENT_VARIABLE = "NEWSDEX_INDEX"


def index_directory(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The index folder: ``explicit``, else ``$NEWSDEX_INDEX``, else a data folder.

    The fallback follows the XDG base directory spec on Linux
    (``~/.local/share/newsdex/index``) and each platform's convention elsewhere.
    """
    if explicit:
        return Path(explicit).expanduser()
    from_environment = os.environ.get(INDEX_ENVIRONMENT_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser()
    import platformdirs  # only when no folder is given: it costs a search's start

    return Path(platformdirs.user_data_dir("newsdex", appauthor=False)) / "index"


def bundled_seeds() -> Path:
    """The seed pages that come with a source checkout (``seeds/`` at its root)."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    if not seeds.is_dir():
        raise NewsdexError(
            "no bundled seed pages in this installation",
            hint="give the pages to index: `newsdex index PATH...`",
        )
    return seeds
