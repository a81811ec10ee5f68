"""Keyword in context: every occurrence of a term with the text around it, offsets into the report.

Matching runs on the text folded for matching (same length as the text), so 小班化 also finds
小班化 in traditional characters and ＰＰＴ finds PPT; `start`/`end` point into the original text
and `keyword` is the text as written.

    >>> kwic(reports, "小班化", window=6).iloc[0][["left", "keyword", "right"]].tolist()
    ['以课程改革(', '小班化', '教育)为中心，']
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from reportmine.errors import InputError
from reportmine.themes.codebook import fold

KWIC_COLUMNS = ["report_id", "school", "year", "start", "end", "left", "keyword", "right"]
# Line breaks inside a context would break one-row-per-hit displays (CSV, terminal tables).
_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


def _matcher(term: str, *, regex: bool) -> re.Pattern[str]:
    if not term:
        raise InputError("kwic needs a non-empty term")
    if not regex:
        return re.compile(re.escape(fold(term)))
    try:
        return re.compile(fold(term))
    except re.error as exc:
        raise InputError(f"kwic: {term!r} is not a valid regular expression ({exc})") from exc


def kwic(
    reports: pd.DataFrame,
    term: str,
    *,
    window: int = 20,
    regex: bool = False,
    texts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return one row per occurrence of `term`: report_id, school, year, start, end, left, keyword, right.

    Args:
        reports: a frame with report_id and text, or report_id alone with `texts` (school and
            year are carried when present).
        term: the word to find, or a regular expression when `regex` is true (matched on folded text).
        window: characters of context on each side (line breaks shown as spaces).
        texts: report_id → text (e.g. `analysis.texts`) when `reports` has no text column.
    """
    if window < 0:
        raise InputError(f"kwic window must be ≥ 0, got {window}")
    matcher = _matcher(term, regex=regex)
    schools = reports["school"] if "school" in reports else [None] * len(reports)
    years = reports["year"] if "year" in reports else [None] * len(reports)
    rows = []
    report_texts = (texts.get(report_id) for report_id in reports["report_id"]) if texts is not None else reports["text"]
    for report_id, school, year, text in zip(reports["report_id"], schools, years, report_texts):
        if not isinstance(text, str):
            continue
        for match in matcher.finditer(fold(text)):
            start, end = match.span()
            if start == end:  # a regex that can match nothing would flood the table
                continue
            left = text[max(0, start - window) : start].translate(_BREAKS)
            right = text[end : end + window].translate(_BREAKS)
            rows.append((report_id, school, year, start, end, left, text[start:end], right))
    frame = pd.DataFrame(rows, columns=KWIC_COLUMNS)
    return frame.astype({"start": "int64", "end": "int64"})


__all__ = ["kwic", "KWIC_COLUMNS"]
