"""What a Python user gets from an install: the documented names, and the types."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIND_ON_PATH = """
import importlib.machinery, json, sys
found = {}
for package in ("indexer", "search"):
    spec = importlib.machinery.PathFinder.find_spec(package)
    found[package] = spec.origin if spec is not None else None
print(json.dumps(found))
"""


def test_render_is_an_attribute_of_the_search_package() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "import search; print(search.render.iso_utc(None))"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (completed.returncode, completed.stdout) == (0, "None\n"), completed.stderr


@pytest.mark.parametrize("package", ["indexer", "search"])
def test_type_checkers_find_the_packages_and_their_types_on_the_path(
    tmp_path: Path, package: str
) -> None:
    # mypy and pyright look packages up on sys.path, as PathFinder does; an
    # import hook (setuptools' editable finder) is invisible to them.
    completed = subprocess.run(
        [sys.executable, "-c", FIND_ON_PATH],
        cwd=tmp_path,  # not the checkout, which Python would put on the path
        capture_output=True,
        text=True,
        check=True,
    )
    origin = json.loads(completed.stdout)[package]
    assert origin is not None, f"{package} is found only through an import hook"
    assert (Path(origin).parent / "py.typed").is_file()
