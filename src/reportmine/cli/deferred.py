"""Modules the command line imports when first used instead of at start-up.

`reportmine analyze` forks its workers once the dictionary and patterns are loaded, and until
then one core works alone. pandas' import was the largest part of that time (0.5 of 1.2 s on 2
cores), and the workers never use pandas: the main process needs it once results arrive, and
the child that lists the inputs when it reads `metadata.csv`. So the command line puts a
stand-in for pandas in `sys.modules` before any module imports it. Every `import pandas` then
binds the stand-in, which imports the real module the first time one of its attributes is asked
for, in whichever process asks. Only the command line does this: a notebook's process is left
alone.
"""
from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

_lock = threading.Lock()


class DeferredModule(types.ModuleType):
    """A stand-in for a module not imported yet; it imports the module at the first attribute asked for."""

    def __getattr__(self, name: str) -> Any:
        # Only names not in the stand-in's dict get here: the first one loads the real module,
        # whose names are then copied in; a name the module adds later is looked up on it.
        return getattr(self._deferred_load(), name)

    def _deferred_load(self) -> types.ModuleType:
        """The real module, imported now if it was not yet (a name no module uses: until the
        load, a method's name hides the module's attribute of the same name)."""
        with _lock:
            real = self.__dict__.get("_deferred_module")
            if real is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                real = importlib.import_module(self.__name__)
                self.__dict__.update(real.__dict__)
                self.__dict__["_deferred_module"] = real
        return real


def defer_import(name: str) -> None:
    """Let `import name` bind a `DeferredModule` until the module is used; nothing when it is imported already."""
    if name not in sys.modules:
        sys.modules[name] = DeferredModule(name)
