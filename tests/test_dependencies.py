"""Every library the package imports is one it declares, so a fresh install has it.

A library that arrives only as another's dependency (scipy through scikit-learn, Pillow through
matplotlib) works until that other package stops needing it or a user pins an old release;
declared, its version range is ours to set (scipy's is bounded for its import time).
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reportmine"


def _distribution_name(name: str) -> str:
    """A distribution's name as packaging compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str]]:
    """(distributions required by every install, those required by an extra) of the installed reportmine."""
    base, extras = set(), set()
    for requirement in importlib.metadata.requires("reportmine") or []:
        name = _distribution_name(re.match(r"[A-Za-z0-9._-]+", requirement).group())
        (extras if "extra ==" in requirement else base).add(name)
    return base, extras


def _imports(source: str) -> tuple[set[str], set[str]]:
    """(top-level names imported when the module loads, those imported only inside a function
    or a try block, where an optional library is imported) of one module; relative imports are
    left out."""
    at_load, deferred = set(), set()
    tree = ast.parse(source)

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                (deferred if inside else at_load).add(name.partition(".")[0])
            visit(child, nested)

    visit(tree, False)
    return at_load, deferred


def _third_party_imports() -> dict[str, tuple[bool, str]]:
    """Top-level module name → (imported when some module loads, the first module importing it)."""
    found: dict[str, tuple[bool, str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        at_load, deferred = _imports(path.read_text(encoding="utf-8"))
        for name in at_load | deferred:
            if name in sys.stdlib_module_names or name in ("reportmine", "__future__"):
                continue
            loaded, where = found.get(name, (False, path.relative_to(PACKAGE).as_posix()))
            found[name] = (loaded or name in at_load, where)
    return found


def test_every_imported_library_is_declared() -> None:
    base, extras = _declared()
    providers = importlib.metadata.packages_distributions()
    imports = _third_party_imports()
    assert {"numpy", "pandas", "scipy", "sklearn"} <= set(imports)  # the scan sees the package's imports
    undeclared, only_in_extras = [], []
    for name, (at_load, where) in sorted(imports.items()):
        distributions = {_distribution_name(dist) for dist in providers.get(name, [name])}
        if not distributions & (base | extras):
            undeclared.append(f"{name} ({', '.join(sorted(distributions))}; imported by {where})")
        elif at_load and not distributions & base:
            only_in_extras.append(f"{name} (imported by {where})")
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    assert not only_in_extras, f"imported at load time but required only by an extra: {only_in_extras}"


@pytest.mark.parametrize(
    ("source", "at_load", "deferred"),
    [
        ("import numpy as np\nfrom scipy import sparse\n", {"numpy", "scipy"}, set()),
        ("def f():\n    import distributed\n", set(), {"distributed"}),
        ("try:\n    import rjieba\nexcept ImportError:\n    pass\n", set(), {"rjieba"}),
        ("from . import sibling\nfrom .models import Report\n", set(), set()),
    ],
)
def test_imports_are_sorted_by_when_they_run(source: str, at_load: set[str], deferred: set[str]) -> None:
    assert _imports(source) == (at_load, deferred)
