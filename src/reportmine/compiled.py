"""Which of reportmine's modules run compiled (mypyc) in this installation.

A wheel build compiles the modules named in `resources/compiled_modules.txt` (see setup.py);
an editable install, or a machine without a C compiler, runs them as Python. Results are the
same either way; `reportmine analyze` records the state in run.json (`compiled_modules`).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def listed_modules() -> tuple[str, ...]:
    """The modules a wheel build compiles, by dotted name."""
    text = resources.files("reportmine").joinpath("resources/compiled_modules.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def compiled_status() -> dict[str, bool]:
    """Each listed module → True when it is imported from a compiled extension here."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    status = {}
    for name in listed_modules():
        spec = importlib.util.find_spec(name)
        status[name] = bool(spec and spec.origin and spec.origin.endswith(suffixes))
    return status


def compiled_modules() -> list[str]:
    """The listed modules that run compiled here (empty for an editable or pure-Python install)."""
    return [name for name, compiled in compiled_status().items() if compiled]
