"""Tests for reportmine.themes.kwic: hits on folded text, offsets into the original."""
from __future__ import annotations

import pandas as pd
import pytest

from reportmine.errors import InputError
from reportmine.themes.kwic import KWIC_COLUMNS, kwic

REPORTS = pd.DataFrame({
    "report_id": ["a", "b"],
    "school": ["永安小学", "桥头小学"],
    "year": [2020, 2021],
    "text": ["我校以课程改革(小班化教育)为中心。\n推进小班化。", "本學期推行小班化教學，成效明顯。"],
})


def test_kwic_rows_and_offsets() -> None:
    hits = kwic(REPORTS, "小班化", window=6)
    assert list(hits.columns) == KWIC_COLUMNS
    assert hits["report_id"].tolist() == ["a", "a", "b"]
    texts = REPORTS.set_index("report_id")["text"]
    for row in hits.itertuples():
        assert texts[row.report_id][row.start : row.end] == row.keyword
    first = hits.iloc[0]
    assert (first["left"], first["keyword"], first["right"]) == ("以课程改革(", "小班化", "教育)为中心")
    assert hits.iloc[1]["left"] == "中心。 推进"  # line break shown as a space


def test_kwic_finds_traditional_spelling_and_keeps_it() -> None:
    hits = kwic(REPORTS, "小班化教学")
    assert hits["keyword"].tolist() == ["小班化教學"]
    assert hits.iloc[0][["school", "year"]].tolist() == ["桥头小学", 2021]


@pytest.mark.parametrize(
    ("term", "regex", "keywords"),
    [
        ("小班化(教育|教学)", True, ["小班化教育", "小班化教學"]),
        ("小班化(教育|教学)", False, []),
        ("成效", False, ["成效"]),
    ],
)
def test_kwic_literal_and_regex(term: str, regex: bool, keywords: list[str]) -> None:
    assert kwic(REPORTS, term, regex=regex)["keyword"].tolist() == keywords


def test_kwic_errors() -> None:
    with pytest.raises(InputError):
        kwic(REPORTS, "")
    with pytest.raises(InputError, match="regular expression"):
        kwic(REPORTS, "小班(", regex=True)


def test_kwic_on_seeds_counts_every_occurrence(seed_reports: pd.DataFrame) -> None:
    hits = kwic(seed_reports, "小班化", window=10)
    assert len(hits) == sum(text.count("小班化") for text in seed_reports["text"])
    assert (hits["left"].str.len() <= 10).all()
