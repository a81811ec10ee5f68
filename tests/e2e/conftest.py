"""Session fixtures for end-to-end tests: the seeds and the bundled corpus analysed once each."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
CORPUS = REPO / "corpus"


def run_cli(*args: str):
    """Invoke the reportmine CLI in-process and return the click Result."""
    from reportmine.cli.app import app

    return CliRunner().invoke(app, [str(arg) for arg in args], catch_exceptions=False)


@pytest.fixture(scope="session")
def cli():
    """The reportmine CLI, invoked in-process: ``cli("analyze", path, "-o", out)``."""
    return run_cli


@pytest.fixture(scope="session")
def seeds() -> Path:
    assert SEEDS.is_dir(), f"seed reports not found at {SEEDS}"
    return SEEDS


def _analysed(tmp_path_factory, source: Path, workers: int) -> Path:
    out = tmp_path_factory.mktemp(f"{source.name}-out")
    result = run_cli("analyze", source, "-o", out, "--workers", str(workers), "--quiet")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory) -> Path:
    """The seeds analysed once (in process) with every output written."""
    return _analysed(tmp_path_factory, SEEDS, workers=1)


@pytest.fixture(scope="session")
def corpus_out(tmp_path_factory) -> Path:
    """The bundled corpus analysed once (two worker processes) with every output written."""
    return _analysed(tmp_path_factory, CORPUS, workers=2)
