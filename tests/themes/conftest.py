"""Fixtures for the themes tests: the seed reports (the 范文 page split into its three reports)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from reportmine.text.segment import content_tokens, get_segmenter, tokenize

# The 范文 page numbers its reports "小学校本研训项目工作总结1/2/3" on their own lines.
_FANWEN_PART = re.compile(r"^\s*小学校本研训项目工作总结\d\s*$", re.MULTILINE)


def _decode(data: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-16")


@pytest.fixture(scope="session")
def seed_reports(seeds_dir: Path) -> pd.DataFrame:
    """Four real reports: the 农村小学 校本研修 report and the three 校本研训 reports of the 范文 page."""
    rows = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        parts = _FANWEN_PART.split(text)
        bodies = parts[1:] if len(parts) > 1 else parts
        for number, body in enumerate(bodies, start=1):
            rows.append({"report_id": f"{path.name}#{number}", "text": body.strip()})
    frame = pd.DataFrame(rows)
    frame["school"] = [f"学校{i}" for i in range(len(frame))]
    frame["year"] = [2019, 2020, 2020, 2021][: len(frame)] + [2021] * max(0, len(frame) - 4)
    return frame


@pytest.fixture(scope="session")
def segmenter():
    """The default segmenter, built once."""
    return get_segmenter()


@pytest.fixture(scope="session")
def seed_token_docs(seed_reports: pd.DataFrame, segmenter) -> pd.DataFrame:
    """The seed reports with their content tokens."""
    tokens = [content_tokens(tokenize(text, segmenter=segmenter)) for text in seed_reports["text"]]
    return seed_reports.assign(tokens=tokens)


@pytest.fixture(scope="session")
def bundled_reports(repo_root: Path) -> pd.DataFrame:
    """The bundled invented corpus (.txt files only), one report per file."""
    root = repo_root / "corpus" / "reports"
    paths = sorted(root.rglob("*.txt"))
    assert len(paths) >= 10, f"bundled corpus missing under {root}"
    rows = []
    for path in paths:
        relative = path.relative_to(root)
        school = relative.parts[0] if len(relative.parts) > 1 else None
        year_match = re.match(r"(20\d\d)", path.stem)
        text = _decode(path.read_bytes())
        rows.append({
            "report_id": relative.as_posix(),
            "school": school,
            "year": int(year_match.group(1)) if year_match else None,
            "text": text,
        })
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def bundled_token_docs(bundled_reports: pd.DataFrame, segmenter) -> pd.DataFrame:
    """The bundled corpus with content tokens."""
    tokens = [content_tokens(tokenize(text, segmenter=segmenter)) for text in bundled_reports["text"]]
    return bundled_reports.assign(tokens=tokens)
