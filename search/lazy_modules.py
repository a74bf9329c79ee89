"""Modules a search never uses, loaded only if something does use them.

Whoosh loads them with the engine, for features newsdex does not use:
``whoosh.query`` imports ``whoosh.lang.morph_en``, English word forms for its
``Variations`` query, which newsdex never runs, and ``whoosh.searching``
imports its highlighter (newsdex makes its own snippets), which brings
``html`` with it. Loading them was a few percent of a one-query command
(docs/performance.md). Until one of its names is used, a stand-in holds each
one's place (in ``sys.modules`` and in its package); the first use loads the
real module, which takes its place from then on. Opening an index puts the
stand-ins there, before the engine loads.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

DEFERRED = {
    "whoosh.lang.morph_en": ("variations",),
    "whoosh.highlight": (),
}
"""Each module left unloaded, with the functions that modules loaded with the
engine take from it by name (``from ... import name``), so the stand-in must
have them. A module whose names they use as they load (``whoosh.classify``'s
model is a default argument of ``whoosh.searching``) cannot wait."""


class _StandIn(types.ModuleType):
    """A module not loaded yet: any name asked of it loads the real one, whose
    names it then has too (for code that holds the stand-in)."""

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":  # asked by every import from a module: a module has none
            raise AttributeError(name)
        real = _loaded(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _loaded(module: str) -> types.ModuleType:
    if isinstance(sys.modules.get(module), _StandIn):
        del sys.modules[module]
    return importlib.import_module(module)


def _forwarded(module: str, name: str) -> Callable[..., Any]:
    """A function that loads ``module`` and calls its function ``name``."""

    def forward(*arguments: Any, **options: Any) -> Any:
        return getattr(_loaded(module), name)(*arguments, **options)

    return forward


def defer() -> None:
    """Put the stand-ins in place, for the modules not loaded already."""
    for module, names in DEFERRED.items():
        if module in sys.modules:
            continue
        package_name, _, short_name = module.rpartition(".")
        package = importlib.import_module(package_name)  # as an import would, so it has it
        stand_in = _StandIn(module, __doc__)
        for name in names:
            setattr(stand_in, name, _forwarded(module, name))
        sys.modules[module] = stand_in
        setattr(package, short_name, stand_in)
