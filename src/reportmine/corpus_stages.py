"""Corpus stages: codebook, topics, keywords, near-duplicates and school × year comparisons."""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportmine.parallel import announce

logger = logging.getLogger(__name__)

KEYWORD_GROUPINGS: tuple[str, ...] = ("report_id", "school", "year")


def run_corpus_stages(
    tables: dict[str, pd.DataFrame],
    tokens: Mapping[str, list[str]],
    *,
    settings: Any,
    timings: dict[str, float],
    code_counts: list[tuple[str, int, dict[str, int]]] | None = None,
    signatures: dict[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute the corpus-level tables from the per-report tables and tokens.

    `code_counts` and `signatures` are computed per report by the pipeline's workers; when absent
    they are computed here from the reports' text.
    Returns topics, doc_topics, codes, keywords, near_duplicates and the three compare tables.
    """
    from reportmine import compare
    from reportmine.themes import codebook, duplicates, keywords, topics

    reports = tables["reports"]
    token_docs = token_frame(reports, tokens)
    out: dict[str, pd.DataFrame] = {}

    with _timed(timings, "codes"):
        if code_counts is not None:
            out["codes"] = codebook.codes_frame(code_counts)
        else:
            out["codes"] = codebook.code_reports(reports[["report_id", "text"]], codebook.load_codebook(settings.codebook))
    with _timed(timings, "topics"):
        out["topics"], out["doc_topics"] = topics.fit_topics(
            token_docs, n_topics=settings.n_topics, method=settings.topic_method, random_state=0
        )
    with _timed(timings, "keywords"):
        frames = [keywords.keywords(token_docs, by=grouping) for grouping in KEYWORD_GROUPINGS]
        out["keywords"] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with _timed(timings, "near_duplicates"):
        out["near_duplicates"] = duplicates.near_duplicates(
            reports[["report_id", "school", "text"]], threshold=settings.duplicate_threshold, signatures=signatures
        )
    with _timed(timings, "compare"):
        out["compare_metrics"] = compare.compare_metrics(reports, tables["metrics"])
        out["compare_codes"] = compare.compare_codes(reports, out["codes"])
        out["compare_topics"] = compare.compare_topics(reports, out["doc_topics"], out["topics"])
    return out


def token_frame(reports: pd.DataFrame, tokens: Mapping[str, list[str]]) -> pd.DataFrame:
    """Return report_id, school, year, tokens (content tokens) for the corpus stages."""
    frame = reports[["report_id", "school", "year"]].copy()
    frame["tokens"] = [tokens.get(report_id, []) for report_id in frame["report_id"]]
    return frame


class _timed:
    """Context manager adding the elapsed seconds of a block to `timings[name]`."""

    def __init__(self, timings: dict[str, float], name: str) -> None:
        self._timings, self._name = timings, name

    def __enter__(self) -> None:
        announce(f"computing {self._name.replace('_', ' ')}")
        self._started = time.perf_counter()

    def __exit__(self, *exc_info: Any) -> None:
        self._timings[self._name] = self._timings.get(self._name, 0.0) + time.perf_counter() - self._started
