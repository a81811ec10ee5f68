"""The package type-checks with mypy: the compiled modules must (mypyc enforces their annotations
at run time), and the others' annotations are what notebooks and editors rely on."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_package_type_checks_with_mypy():
    # The repository's configuration ([tool.mypy] in pyproject.toml) and cache (.mypy_cache).
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "src/reportmine"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout
