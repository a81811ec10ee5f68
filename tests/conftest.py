"""Shared fixtures for the whole test suite (others may append fixtures below)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding pyproject.toml)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The real reports shared by the team: ../shared/seeds next to the repository."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
    # CI clones the repository with ../shared beside it: a missing folder is a broken setup, not a skip.
    assert path.is_dir(), f"seed reports not found at {path}"
    return path
