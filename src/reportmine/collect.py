"""Streamed per-report results → table chunks, spooled texts and tokens, codes and signatures.

The main process of a run holds no per-report record for longer than one table chunk: each
result's text and tokens go to disk spools (`reportmine.store`), its records into the
`TableBuilder`, and only the small per-report summaries the corpus stages need (codebook counts,
a MinHash signature as 128 uint32) stay in memory.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from reportmine.memory import release_memory
from reportmine.models import ErrorRecord, ReportResult
from reportmine.store import TextStore, TokenStore
from reportmine.tables import TableBuilder


class ResultCollector:
    """Consume per-report results as they arrive, applying user metadata on the way."""

    def __init__(
        self,
        *,
        meta_table: dict[str, dict[str, Any]] | None = None,
        pattern: str | None = None,
        spool_dir: Path | str | None = None,
        chunk_reports: int = 2000,
    ) -> None:
        self.builder = TableBuilder(chunk_reports=chunk_reports)
        self._chunk_reports = chunk_reports
        self._n_added = 0
        self.texts = TextStore(directory=spool_dir)
        self.tokens = TokenStore(directory=spool_dir)
        self.code_counts: list[tuple[str, int, dict[str, int]]] = []
        self.signatures: dict[str, np.ndarray] = {}
        self.n_from_cache = 0
        self._meta_table = meta_table or {}
        self._pattern = pattern
        self._paths: set[str] = set()

    def add_outcome(self, outcome: Any) -> None:
        """Add a `FileOutcome`: its analysed reports and its error rows."""
        for result in outcome.results:
            self.add(result)
        self.builder.add_errors(outcome.errors)
        self.n_from_cache += bool(outcome.from_cache)

    def add_errors(self, errors: Iterable[ErrorRecord]) -> None:
        """Add error rows that belong to no analysed file."""
        self.builder.add_errors(errors)

    def add(self, result: ReportResult) -> None:
        """Add one report's result; its text and tokens leave memory here."""
        from reportmine.ingest.corpus import attach_report_metadata

        report = result.report
        if self._meta_table or self._pattern:
            report = attach_report_metadata(report, table=self._meta_table, pattern=self._pattern)
        self._paths.add(report.path)
        report_id = report.report_id
        self.texts.add(report_id, report.text)
        self.tokens.add(report_id, result.tokens)
        self.code_counts.append((report_id, report.n_chars, result.codes))
        if result.signature is not None:
            self.signatures[report_id] = signature_values(result.signature)
        self.builder.add(replace(result, report=report))  # the builder keeps no reference to the text
        self._n_added += 1
        if self._n_added % self._chunk_reports == 0:
            release_memory()  # the chunk's records and the unpickled results are garbage now

    def tables(self) -> dict[str, Any]:
        """reports, sections, metrics, shortcomings, plans and errors (and warn about unused metadata)."""
        from reportmine.ingest.corpus import warn_unmatched_metadata

        warn_unmatched_metadata(self._meta_table, self._paths)
        tables = self.builder.tables()
        release_memory()
        return tables


def signature_values(signature: Any) -> np.ndarray:
    """A MinHash signature as its hash values in uint32 (datasketch keeps 32-bit values in uint64)."""
    values = getattr(signature, "hashvalues", signature)
    return np.asarray(values, dtype=np.uint32)
