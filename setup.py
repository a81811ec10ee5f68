"""Build hook: compile the per-report rule modules with mypyc when a wheel is built.

The modules listed in `src/reportmine/resources/compiled_modules.txt` (reading: encoding,
normalisation, boilerplate, splitting, metadata; sections, shortcomings and plans; metric
extraction and quantities; the codebook) do most of each report's work in many small Python
calls. Compiled to C by mypyc they give the same results with a fifth to a quarter less CPU per
report (README, "Speed and memory"). Everything else in the project is in pyproject.toml.

Compiled only where it helps and is safe:
- `pip install .` (a wheel) compiles them; an editable install (`pip install -e .`) does not,
  so the sources people edit are the code that runs.
- Without mypy, a C compiler or Python's headers, or with ``REPORTMINE_PURE_PYTHON=1``, the
  package installs as pure Python (the same modules, slower); `reportmine.compiled` says which
  modules run compiled.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup

HERE = Path(__file__).resolve().parent
MODULE_LIST = HERE / "src" / "reportmine" / "resources" / "compiled_modules.txt"
# The setuptools commands that build binaries. Metadata (egg_info, dist_info) and editable
# wheels are made without running mypy.
BINARY_COMMANDS = {"bdist_wheel", "build", "build_ext", "install"}


def compiled_module_paths() -> list[str]:
    """Source paths (relative to this folder) of the modules to compile."""
    names = [line.strip() for line in MODULE_LIST.read_text(encoding="utf-8").splitlines()]
    return ["src/" + name.replace(".", "/") + ".py" for name in names if name and not name.startswith("#")]


def compiled_extensions() -> list[Any]:
    """The mypyc extensions of the listed modules, or none (pure Python; see the module docstring)."""
    if os.environ.get("REPORTMINE_PURE_PYTHON") or not BINARY_COMMANDS.intersection(sys.argv[1:]):
        return []
    try:
        from mypyc.build import mypycify

        extensions = mypycify(
            ["--ignore-missing-imports", "--follow-imports=silent", *compiled_module_paths()], opt_level="3",
        )
    except Exception as exc:  # noqa: BLE001 - any failure to generate C leaves the pure-Python package
        print(f"reportmine: not compiling with mypyc ({exc!r}); installing pure Python", file=sys.stderr)
        return []
    for extension in extensions:
        # No compiler or headers: the build goes on and the pure-Python modules are used.
        extension.optional = True
    return extensions


if __name__ == "__main__":  # as setuptools runs it; tests import the functions above
    setup(ext_modules=compiled_extensions())
