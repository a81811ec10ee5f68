"""Per-report records → the contract tables (DataFrames with the columns of docs/tables.md)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from reportmine.ingest.metadata import META_FIELDS
from reportmine.models import ErrorRecord, Report, ReportResult, record_dict

REPORT_COLUMNS = [
    "report_id", "path", "part", "title", "school", "year", "stage", "region", "n_chars",
    "n_tokens", "encoding", "format", "status", "content_hash",
    *(f"{name}_source" for name in META_FIELDS),
]
SECTION_COLUMNS = ["report_id", "section_id", "parent_id", "depth", "marker", "title", "role", "start", "end"]
METRIC_COLUMNS = [
    "report_id", "metric_id", "category", "level", "value", "value_max", "approx", "qualifier",
    "period", "times_per_period", "grade", "recipient", "item", "unit", "evidence", "start", "end",
    "section_id", "part_of", "school", "year",
]
SHORTCOMING_COLUMNS = ["report_id", "item_no", "text", "category", "section_id", "start", "end"]
PLAN_COLUMNS = ["report_id", "item_no", "text", "section_id", "start", "end"]
ERROR_COLUMNS = ["path", "stage", "error"]


def reports_frame(reports: Iterable[Report], *, n_tokens: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The `reports` table plus an in-memory `text` column, sorted by path and part.

    Extra `--meta` columns follow the contract columns; `n_tokens` is present only when given.
    """
    columns = REPORT_COLUMNS if n_tokens is not None else [c for c in REPORT_COLUMNS if c != "n_tokens"]
    rows: list[dict[str, Any]] = []
    extra_columns: dict[str, None] = {}
    for report in reports:
        row = {
            "report_id": report.report_id, "path": report.path, "part": report.part, "title": report.title,
            "school": report.school, "year": report.year, "stage": report.stage, "region": report.region,
            "n_chars": report.n_chars, "encoding": report.encoding, "format": report.format,
            "status": report.status, "content_hash": report.content_hash,
            **{f"{name}_source": report.meta_source.get(name) for name in META_FIELDS},
        }
        if n_tokens is not None:
            row["n_tokens"] = n_tokens.get(report.report_id, 0)
        for key, value in report.extra.items():
            if key not in row and key != "text":
                row[key] = value
                extra_columns[key] = None
        row["text"] = report.text
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*columns, *extra_columns, "text"])
    frame = frame.sort_values(["path", "part"], kind="stable").reset_index(drop=True)
    return frame.astype({"year": "Int64", "part": "int64", "n_chars": "int64"})


def errors_frame(errors: Iterable[ErrorRecord]) -> pd.DataFrame:
    """The `errors` table: path, stage, error."""
    return pd.DataFrame([record_dict(error) for error in errors], columns=ERROR_COLUMNS)


def result_tables(results: list[ReportResult], errors: list[ErrorRecord]) -> dict[str, pd.DataFrame]:
    """reports, sections, metrics, shortcomings, plans and errors from per-report results."""
    reports = reports_frame(
        (result.report for result in results),
        n_tokens={result.report.report_id: result.n_tokens for result in results},
    )
    by_id = {row.report_id: (row.school, row.year) for row in reports.itertuples()}
    return {
        "reports": reports,
        "sections": _records_frame(results, "sections", SECTION_COLUMNS),
        "metrics": _metrics_frame(results, by_id),
        "shortcomings": _records_frame(results, "shortcomings", SHORTCOMING_COLUMNS),
        "plans": _records_frame(results, "plans", PLAN_COLUMNS).drop(columns=["category"], errors="ignore"),
        "errors": errors_frame(errors),
    }


def _records_frame(results: list[ReportResult], attribute: str, columns: list[str]) -> pd.DataFrame:
    rows = [
        {"report_id": result.report.report_id, **record_dict(record)}
        for result in results
        for record in getattr(result, attribute)
    ]
    return contract_columns(pd.DataFrame(rows), columns)


def _metrics_frame(results: list[ReportResult], by_id: dict[str, tuple[Any, Any]]) -> pd.DataFrame:
    rows = []
    for result in results:
        report_id = result.report.report_id
        school, year = by_id.get(report_id, (None, None))
        for index, metric in enumerate(result.metrics):
            rows.append(
                {"report_id": report_id, "metric_id": f"{report_id}:m{index}", **record_dict(metric),
                 "school": school, "year": year}
            )
    return contract_columns(pd.DataFrame(rows), METRIC_COLUMNS)


def contract_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The contract's columns first, in order, present even when the table is empty; extras after."""
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype=object)
    extra = [column for column in frame.columns if column not in columns]
    return frame[columns + extra]
