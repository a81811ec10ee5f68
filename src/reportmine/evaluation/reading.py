"""Reading a `reportmine analyze` output folder: its tables, report texts and cell values."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reportmine.errors import InputError
from reportmine.output import restore_cell

logger = logging.getLogger(__name__)

# Tables scored per report, besides `reports` itself.
SCORED_TABLES = ("sections", "metrics", "shortcomings", "plans")


def none_if_missing(value: Any) -> Any:
    """Return None for every spelling of a missing cell (None, NaN, pd.NA, NaT), else the value."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    return value


def as_float(value: Any) -> float | None:
    """Return a cell as a float, None when empty or not a number (CSV cells arrive as strings)."""
    value = none_if_missing(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        logger.warning("not a number in output: %r", value)
        return None
    return None if math.isnan(number) else number


def as_int(value: Any) -> int | None:
    """Return a cell as an int ("2021", "2021.0", 2021.0 → 2021), None when empty."""
    number = as_float(value)
    return None if number is None else int(number)


def as_bool(value: Any) -> bool:
    """Return a cell as a bool ("True"/"true"/"1" from CSV, numpy bools from Parquet)."""
    value = none_if_missing(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "t"}
    return bool(value) if value is not None else False


def as_label(value: Any) -> str | None:
    """Return a cell as a stripped string, None when empty."""
    value = none_if_missing(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


@dataclass
class OutputFolder:
    """The tables of one `reportmine analyze` output folder, grouped by report_id."""

    root: Path
    reports: dict[str, dict[str, Any]]
    tables: dict[str, dict[str, list[dict[str, Any]]]]
    error_paths: dict[str, str]  # path → stage of the files listed in `errors`

    def rows(self, table: str, report_id: str) -> list[dict[str, Any]]:
        """Return the rows of `table` that belong to `report_id` (empty when there are none)."""
        return self.tables.get(table, {}).get(report_id, [])

    def text(self, report_id: str) -> str | None:
        """Return the report's normalized text (from `texts/`), or None when it is not there."""
        report = self.reports.get(report_id)
        if report is None:
            return None
        if isinstance(report.get("text"), str):
            return report["text"]
        name = report.get("text_file")
        if not name:
            return None
        for candidate in (self.root / "texts" / str(name), self.root / str(name)):
            if candidate.is_file():
                # bytes, not read_text: newline translation would shift every offset after a \r
                return candidate.read_bytes().decode("utf-8-sig")
        logger.warning("text file %s of %s not found in %s", name, report_id, self.root)
        return None


def read_output_folder(out_dir: Path) -> OutputFolder:
    """Return the tables of an output folder; missing per-report tables are read as empty.

    Raises:
        InputError: `out_dir` is not a `reportmine analyze` output folder.
    """
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: output folder not found (run `reportmine analyze … -o {out_dir}` first)")
    reports = _read_table(out_dir, "reports")
    if reports is None:
        raise InputError(f"{out_dir}: no reports.parquet or reports.csv; is this a `reportmine analyze` output folder?")
    report_rows = {str(row["report_id"]): row for row in reports}
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in SCORED_TABLES:
        rows = _read_table(out_dir, name)
        if rows is None:
            logger.warning("%s: table %s not found; scored as empty", out_dir, name)
            rows = []
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(str(row.get("report_id")), []).append(row)
        tables[name] = grouped
    errors = _read_table(out_dir, "errors") or []
    error_paths = {str(row.get("path")): str(row.get("stage")) for row in errors}
    return OutputFolder(root=out_dir, reports=report_rows, tables=tables, error_paths=error_paths)


def _read_table(out_dir: Path, name: str) -> list[dict[str, Any]] | None:
    """Return a table's rows as dicts with None for empty cells; Parquet first, else CSV."""
    parquet, csv = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    if parquet.is_file():
        frame = pd.read_parquet(parquet)
        return [{key: none_if_missing(value) for key, value in row.items()} for row in frame.to_dict("records")]
    if csv.is_file():
        frame = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        return [{key: _unescape_cell(value) for key, value in row.items()} for row in frame.to_dict("records")]
    return None


def _unescape_cell(value: str) -> str | None:
    # CSV cells starting like a formula were written with a leading ' (spreadsheet safety).
    return restore_cell(value) if value != "" else None

