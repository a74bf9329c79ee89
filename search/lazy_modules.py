"""Modules a search never uses, loaded only if something does use them.

``whoosh.query`` imports ``whoosh.lang.morph_en``, English word forms for its
``Variations`` query, which newsdex never runs: loading the module's tables
was a few percent of a one-query command (docs/performance.md). Until one of
its names is used, a stand-in holds its place (in ``sys.modules`` and in its
package); the first use loads the real module, which takes its place from
then on. Opening an index puts the stand-in there, before the engine loads.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

PACKAGE, DEFERRED = "whoosh.lang", "whoosh.lang.morph_en"


class _StandIn(types.ModuleType):
    """A module not loaded yet: any name asked of it loads the real one, whose
    names it then has too (for code that holds the stand-in)."""

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":  # asked by every import from a module: a module has none
            raise AttributeError(name)
        real = _loaded()
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _loaded() -> types.ModuleType:
    if isinstance(sys.modules.get(DEFERRED), _StandIn):
        del sys.modules[DEFERRED]
    return importlib.import_module(DEFERRED)


def _variations(word: str) -> Any:
    # Bound by ``whoosh.query.terms`` when it is imported (``from ... import
    # variations``), so it must be a name the stand-in has.
    return _loaded().variations(word)


def defer() -> None:
    """Put the stand-in in place, unless the module is loaded already."""
    if DEFERRED in sys.modules:
        return
    package = importlib.import_module(PACKAGE)  # as an import would, so the package has it
    stand_in = _StandIn(DEFERRED, __doc__)
    stand_in.variations = _variations  # type: ignore[attr-defined]
    sys.modules[DEFERRED] = stand_in
    setattr(package, DEFERRED.rpartition(".")[2], stand_in)
