"""Corpus stages: codebook, topics, keywords, near-duplicates and school × year comparisons."""
from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from reportmine import memory
from reportmine.memory import peak_rss_mib, release_memory
from reportmine.parallel import announce, run_one_at_a_time, run_side_by_side
from reportmine.tables import compact_table

logger = logging.getLogger(__name__)

KEYWORD_GROUPINGS: tuple[str, ...] = ("report_id", "school", "year")


def run_corpus_stages(
    tables: dict[str, pd.DataFrame],
    tokens: Mapping[str, list[str]],
    *,
    settings: Any,
    timings: dict[str, float],
    code_counts: list[tuple[str, int, dict[str, int]]] | None = None,
    signatures: Mapping[str, Any] | None = None,
    texts: Mapping[str, str] | None = None,
    term_counts: Any = None,
    peaks: dict[str, float | None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute the corpus-level tables from the per-report tables, tokens and texts.

    Tokens and texts are read one report at a time (they may live in disk spools). `code_counts`
    and `signatures` are computed per report by the pipeline's workers; when absent they are
    computed here from the texts (`texts`, else a `text` column of the reports table).
    `term_counts` (`doc_term.DocTermCounts`, rows in the reports table's order) are the tokens
    counted while results arrived; when absent the tokens are counted here. `peaks` receives
    this process's peak RSS (MiB) after each stage run in it.
    Returns topics, doc_topics, codes, keywords, near_duplicates and the three compare tables.
    """
    from reportmine import compare
    from reportmine.pipeline import default_workers
    from reportmine.store import ValuesInOrder
    from reportmine.themes import codebook, doc_term, duplicates, keywords, topics

    reports = tables["reports"]
    if texts is None:
        texts = dict(zip(reports["report_id"], reports["text"])) if "text" in reports else {}
    report_ids = reports[["report_id", "school", "year"]]
    out: dict[str, pd.DataFrame] = {}

    with _timed(timings, "codes", len(reports)):
        if code_counts is None:
            book = codebook.load_codebook(settings.codebook)
            code_counts = []
            for report_id in reports["report_id"]:
                text = texts.get(report_id, "")
                code_counts.append((report_id, len(text), codebook.code_text(text, book)))
        out["codes"] = compact_table("codes", codebook.codes_frame(code_counts))
    # Topics and keywords read the same reports × terms counts: the tokens are counted once.
    counts = _CountsOnce(
        lambda: term_counts or doc_term.count_terms(ValuesInOrder(tokens, list(reports["report_id"]), default=[]))
    )
    # Topics, keywords and near-duplicates need only the counts, the text store and the reports
    # table: they run side by side (one forked process each), unless the corpus is so large that
    # their working memory together would matter more than the time saved. Then each runs alone
    # in a process forked for it (its working memory leaves with it): near-duplicates, the
    # counting, topics, keywords.
    near_duplicates = partial(
        duplicates.near_duplicates, reports[["report_id", "school"]], threshold=settings.duplicate_threshold,
        signatures=signatures, texts=texts,
    )
    jobs: dict[str, Callable[[], Any]] = {
        "near_duplicates": near_duplicates,
        "topics": lambda: topics.fit_topics(
            report_ids, tokens=tokens, counts=counts(), n_topics=settings.n_topics,
            method=settings.topic_method, random_state=0,
        ),
        "keywords": lambda: keywords.keywords(report_ids, by=KEYWORD_GROUPINGS, tokens=tokens, counts=counts()),
    }
    announce("computing topics, keywords and near duplicates")
    peaks = {} if peaks is None else peaks

    def after_job(name: str) -> None:
        peaks[name] = peak_rss_mib()
        release_memory(len(reports))

    def compare_without_topics() -> None:
        with _timed(timings, "compare", len(reports)):
            out["compare_metrics"] = compare.compare_metrics(reports, tables["metrics"])
            out["compare_codes"] = compare.compare_codes(reports, out["codes"])

    if len(reports) <= memory.LARGE_CORPUS_REPORTS:
        with _timed(timings, "term_counts", len(reports)):
            counts()  # before the fork: every child reads the same counts
        # The comparisons that need no topics are made while the children work.
        results = run_side_by_side(jobs, workers=settings.workers, after_each=after_job, meanwhile=compare_without_topics)
    else:
        # The counts are made by a child too and handed over in a file: counting leaves a few
        # hundred MB of freed heap behind (token strings, blocks) that the topics and keywords
        # children would inherit beside the counts themselves.
        with tempfile.TemporaryDirectory(dir=getattr(settings, "spool_dir", None)) as scratch:
            # Alone, the near-duplicates' exact check would leave the second core idle: it is
            # shared out among the workers (their shingle caches split one budget).
            del jobs["near_duplicates"]
            results = run_one_at_a_time(
                {"near_duplicates": partial(near_duplicates, workers=settings.workers or default_workers()),
                 "term_counts": partial(_save_counts, counts, Path(scratch) / "counts.npz")},
                after_each=after_job, scratch_dir=scratch,
            )
            saved, timings["term_counts"] = results.pop("term_counts")
            counts.keep(None if saved is None else doc_term.DocTermCounts.load(saved))
            results.update(run_one_at_a_time(jobs, after_each=after_job, scratch_dir=scratch))
        compare_without_topics()
    counts.release()
    for name, (_, seconds) in results.items():
        timings[name] = timings.get(name, 0.0) + seconds
    out["topics"], doc_topics = results["topics"][0]
    out["doc_topics"] = compact_table("doc_topics", doc_topics)
    out["keywords"] = compact_table("keywords", results["keywords"][0])
    out["near_duplicates"] = results["near_duplicates"][0]
    with _timed(timings, "compare", len(reports)):
        out["compare_topics"] = compare.compare_topics(reports, out["doc_topics"], out["topics"])
    return out


def _save_counts(counts: Callable[[], Any], path: Path) -> Path | None:
    """Compute the counts and save them to `path`; None when no report has a token."""
    counted = counts()
    return None if counted is None else counted.save(path)


class _CountsOnce:
    """The reports × terms counts, computed on the first call and kept until `release`."""

    def __init__(self, count: Callable[[], Any]) -> None:
        self._count = count
        self._counts: Any = None
        self._done = False

    def __call__(self) -> Any:
        if not self._done:
            self._counts, self._done = self._count(), True
        return self._counts

    def keep(self, counts: Any) -> None:
        """Use `counts`, computed elsewhere (e.g. by calling this object in a child process)."""
        self._counts, self._done = counts, True

    def release(self) -> None:
        self._counts = None


class _timed:
    """Context manager adding the elapsed seconds of a block to `timings[name]`, then releasing
    memory (see `memory.release_memory`, for a run of `n_reports`)."""

    def __init__(self, timings: dict[str, float], name: str, n_reports: int) -> None:
        self._timings, self._name, self._n_reports = timings, name, n_reports

    def __enter__(self) -> None:
        announce(f"computing {self._name.replace('_', ' ')}")
        self._started = time.perf_counter()

    def __exit__(self, *exc_info: Any) -> None:
        self._timings[self._name] = self._timings.get(self._name, 0.0) + time.perf_counter() - self._started
        release_memory(self._n_reports)
