"""Streamed per-report results → table chunks, spooled texts and tokens, codes and signatures.

The main process of a run holds no per-report record for longer than one table chunk: each
result's text and tokens go to disk spools (`reportmine.store`), its records into the
`TableBuilder`, and only the small per-report summaries the corpus stages need (codebook counts,
a MinHash signature as 128 uint32) stay in memory.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reportmine.memory import release_memory
from reportmine.models import ErrorRecord, ReportResult, ReportRows, replaced
from reportmine.store import TextStore, TokenStore
from reportmine.tables import TableBuilder, result_rows

if TYPE_CHECKING:
    from reportmine.themes.doc_term import DocTermCounts

# Reports whose tokens are counted at a time while results arrive: small blocks leave little to
# count after the last result (counting is cheap per block; the run waits for the last one).
_TERM_BLOCK_REPORTS = 250
# Inputs before the expected last at which the rows so far become a table chunk early, so that
# `tables()`, which the run waits for after the last result, converts only the last few.
_LAST_CHUNK_INPUTS = 250


class ResultCollector:
    """Consume per-report results as they arrive, applying user metadata on the way."""

    def __init__(
        self,
        *,
        meta_table: dict[str, dict[str, Any]] | None = None,
        pattern: str | None = None,
        spool_dir: Path | str | None = None,
        chunk_reports: int = 2000,
        count_terms: bool = False,
        expected_reports: int | None = None,
    ) -> None:
        """`expected_reports` (files or reports the run reads, when known) decides whether
        memory release collects garbage (see `memory.release_memory`), and when the rows so far
        become a table chunk early (`_LAST_CHUNK_INPUTS` before the last)."""
        self._expected_reports = expected_reports
        self.builder = TableBuilder(chunk_reports=chunk_reports)
        self._chunk_reports = chunk_reports
        self._n_added = 0
        self._n_outcomes = 0
        self.texts = TextStore(directory=spool_dir)
        self.tokens = TokenStore(directory=spool_dir)
        self.code_counts: list[tuple[str, int, dict[str, int]]] = []
        self.signatures: dict[str, np.ndarray] = {}
        self.n_from_cache = 0
        self._meta_table = meta_table or {}
        self._pattern = pattern
        self._paths: set[str] = set()
        # With `count_terms`, tokens are counted for topics and keywords as they arrive (a chunk
        # at a time), while the workers still run, instead of read back and counted afterwards.
        self._count_terms = count_terms
        self._term_counter: Any = None  # made with the first block counted (see `_term_counter`)
        self._pending_tokens: list[bytes] = []  # joined as `TokenStore.join` does, in UTF-8
        self._counted_ids: list[str] = []  # report ids in the order their tokens were counted

    def add_outcome(self, outcome: Any) -> None:
        """Add a `FileOutcome` (analysed reports) or `FileRows` (the same, flattened in a worker)
        and its error rows."""
        for result in getattr(outcome, "results", ()):
            self.add(result)
        for rows in getattr(outcome, "rows", ()):
            self.add_rows(rows)
        self.builder.add_errors(outcome.errors)
        self.n_from_cache += bool(outcome.from_cache)
        self._n_outcomes += 1
        if self._expected_reports is not None and self._n_outcomes == self._expected_reports - _LAST_CHUNK_INPUTS:
            self.builder.flush()
            if self._term_counter is not None:
                self._term_counter.consolidate()

    def add_errors(self, errors: Iterable[ErrorRecord]) -> None:
        """Add error rows that belong to no analysed file."""
        self.builder.add_errors(errors)

    def add(self, result: ReportResult) -> None:
        """Add one report's result, applying the metadata table and path pattern to it."""
        self.add_rows(flatten_result(result, meta_table=self._meta_table, pattern=self._pattern))

    def add_rows(self, rows: ReportRows) -> None:
        """Add one report's rows (metadata applied); its text and tokens leave memory here."""
        report_id = rows.report["report_id"]
        self._paths.add(rows.report["path"])
        self.texts.add_utf8(report_id, rows.text_utf8)
        self.tokens.add_utf8(report_id, rows.tokens_utf8)
        if self._count_terms:
            self._pending_tokens.append(rows.tokens_utf8)
            self._counted_ids.append(report_id)
            if len(self._pending_tokens) >= _TERM_BLOCK_REPORTS:
                self._count_pending_tokens()
        self.code_counts.append((report_id, rows.report["n_chars"], rows.codes))
        if rows.signature is not None:
            self.signatures[report_id] = signature_values(rows.signature)
        self.builder.add_rows(rows)  # the builder keeps no reference to the text
        self._n_added += 1
        if self._n_added % self._chunk_reports == 0:
            release_memory(self._expected_reports)  # the chunk's records and the unpickled results are garbage now

    def _count_pending_tokens(self) -> None:
        if self._count_terms:
            if self._term_counter is None:
                self._term_counter = _term_counter()
            self._term_counter.add_joined_block(self._pending_tokens, TokenStore.SEPARATOR)
            self._pending_tokens = []

    def term_counts(self, report_ids: Sequence[str]) -> DocTermCounts | None:
        """The reports × terms counts with rows in the order of `report_ids` (the `reports`
        table's); None when tokens were not counted on arrival or no report has a token."""
        if not self._count_terms:
            return None
        self._count_pending_tokens()
        counts = self._term_counter.result()
        if counts is None:
            return None
        row_of = {report_id: row for row, report_id in enumerate(self._counted_ids)}
        order = np.fromiter((row_of[report_id] for report_id in report_ids), dtype=np.int64, count=len(report_ids))
        if not np.array_equal(order, np.arange(len(order))):
            counts = replace(counts, counts=counts.counts[order])
        return counts

    def tables(self) -> dict[str, Any]:
        """reports, sections, metrics, shortcomings, plans and errors (and warn about unused metadata)."""
        from reportmine.ingest.corpus import warn_unmatched_metadata

        warn_unmatched_metadata(self._meta_table, self._paths)
        tables = self.builder.tables()
        release_memory(self._expected_reports)
        return tables


def flatten_result(
    result: ReportResult, *, meta_table: dict[str, dict[str, Any]] | None = None, pattern: str | None = None
) -> ReportRows:
    """`result` as table rows, with the metadata table's row and the path pattern's fields applied."""
    from reportmine.ingest.corpus import attach_report_metadata

    if meta_table or pattern:
        report = attach_report_metadata(result.report, table=meta_table or {}, pattern=pattern)
        result = replaced(result, report=report)
    rows = result_rows(result, TokenStore.join(result.tokens))
    if rows.signature is not None:
        # Sent as its raw bytes: a numpy array pickles and unpickles several times slower (it
        # was a fifth of the round trip of a report's rows); `signature_values` reads them back.
        rows.signature = signature_values(rows.signature).tobytes()
    return rows


def signature_values(signature: Any) -> np.ndarray:
    """A MinHash signature as its hash values in uint32 (datasketch keeps 32-bit values in uint64;
    `flatten_result` sends the uint32 values as bytes)."""
    if isinstance(signature, bytes):
        return np.frombuffer(signature, dtype=np.uint32)
    values = getattr(signature, "hashvalues", signature)
    return np.asarray(values, dtype=np.uint32)


def _term_counter() -> Any:
    # Imported when the first tokens are counted, while the workers run: workers flatten
    # results with this module, and scipy.sparse (under doc_term) takes a third of a second to
    # import, which would hold up the start of the run.
    from reportmine.themes.doc_term import TermCounter

    return TermCounter()
