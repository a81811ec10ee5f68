"""Fixtures for the structure tests: the seed reports, cut the way the ingest stage cuts them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

_PART_TITLE = re.compile(r"小学校本研训项目工作总结\d")


def _clean_lines(raw: str) -> list[str]:
    # Emulates ingest simply: strip each line and drop the empty ones.
    return [line.strip() for line in raw.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_000(seeds_dir: Path) -> str:
    """The one-report seed 000 (学校校本研修工作总结报告) as normalized text."""
    raw = (seeds_dir / "000_1a97207371f7c8aa.txt").read_text(encoding="utf-8")
    return "\n".join(_clean_lines(raw))


@pytest.fixture(scope="session")
def seed_002_parts(seeds_dir: Path) -> list[str]:
    """The three reports of the 范文 page 002, cut at their title lines 小学校本研训项目工作总结1/2/3."""
    raw = (seeds_dir / "002_a7e4325be9bd9d85.txt").read_text(encoding="utf-8")
    parts: list[list[str]] = []
    for line in _clean_lines(raw):
        if _PART_TITLE.fullmatch(line):
            parts.append([line])
        elif parts:
            parts[-1].append(line)
    assert len(parts) == 3
    return ["\n".join(part) for part in parts]
