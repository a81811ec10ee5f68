"""Per-report records → the contract tables (DataFrames with the columns of docs/tables.md)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from reportmine.ingest.metadata import META_FIELDS
from reportmine.models import (
    ErrorRecord, Item, Metric, Report, ReportResult, ReportRows, Section, field_names, record_dict, record_values,
)

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
# The columns of a record table's chunk: the record's fields (`ReportRows` holds them as
# columns) behind the report id (and, for metrics, the metric id before and the report's school
# and year after), which the `TableBuilder` adds.
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "sections": ("report_id", *field_names(Section)),
    "metrics": ("report_id", "metric_id", *field_names(Metric), "school", "year"),
    "shortcomings": ("report_id", *field_names(Item)),
    "plans": ("report_id", *field_names(Item)),
}


def reports_frame(reports: Iterable[Report], *, n_tokens: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The `reports` table plus an in-memory `text` column, sorted by path and part.

    For a `Corpus` in a notebook; an `analyze` run keeps texts in a `TextStore` instead (see
    `TableBuilder`). Extra `--meta` columns follow the contract columns; `n_tokens` is present
    only when given.
    """
    rows = []
    for report in reports:
        row = report_row(report, n_tokens=None if n_tokens is None else n_tokens.get(report.report_id, 0))
        row["text"] = report.text
        rows.append(row)
    return _reports_table(pd.DataFrame(rows), with_tokens=n_tokens is not None)


def report_row(report: Report, *, n_tokens: int | None = None) -> dict[str, Any]:
    """One row of the `reports` table (without text); extra `--meta` fields follow the contract's."""
    row: dict[str, Any] = {
        "report_id": report.report_id, "path": report.path, "part": report.part, "title": report.title,
        "school": report.school, "year": report.year, "stage": report.stage, "region": report.region,
        "n_chars": report.n_chars, "encoding": report.encoding, "format": report.format,
        "status": report.status, "content_hash": report.content_hash,
        **{f"{name}_source": report.meta_source.get(name) for name in META_FIELDS},
    }
    if n_tokens is not None:
        row["n_tokens"] = n_tokens
    for key, value in report.extra.items():
        if key not in row and key != "text":
            row[key] = value
    return row


def result_rows(result: ReportResult, tokens_joined: str) -> ReportRows:
    """`result` flattened into table rows (its report's metadata as it stands).

    `tokens_joined` is the content tokens as the token store keeps them (`TokenStore.join`).
    """
    report = result.report
    return ReportRows(
        report=report_row(report, n_tokens=result.n_tokens),
        text_utf8=report.text.encode("utf-8"),
        tokens_utf8=tokens_joined.encode("utf-8"),
        codes=result.codes,
        signature=result.signature,
        sections=record_columns(result.sections),
        metrics=record_columns(result.metrics),
        shortcomings=record_columns(result.shortcomings),
        plans=record_columns(result.plans),
    )


def record_columns(records: list[Any]) -> tuple[tuple[Any, ...], ...]:
    """The records' field values as columns (one tuple per field, in field order); () for none."""
    return tuple(zip(*map(record_values, records)))


def _reports_table(frame: pd.DataFrame, *, with_tokens: bool) -> pd.DataFrame:
    """Contract columns in order (present when empty), then extra metadata columns, then text."""
    columns = REPORT_COLUMNS if with_tokens else [c for c in REPORT_COLUMNS if c != "n_tokens"]
    extra_columns = [key for key in frame.columns if key not in columns and key != "text"]
    text_column = ["text"] if "text" in frame.columns else []
    ordered = [*columns, *extra_columns, *text_column]
    frame = frame.reindex(columns=ordered) if len(frame) else pd.DataFrame(columns=ordered)
    frame = frame.sort_values(["path", "part"], kind="stable").reset_index(drop=True)
    return frame.astype({"year": "Int64", "part": "int64", "n_chars": "int64"})


def errors_frame(errors: Iterable[ErrorRecord]) -> pd.DataFrame:
    """The `errors` table: path, stage, error."""
    return pd.DataFrame([record_dict(error) for error in errors], columns=ERROR_COLUMNS)


def result_tables(results: Iterable[ReportResult], errors: Iterable[ErrorRecord]) -> dict[str, pd.DataFrame]:
    """reports, sections, metrics, shortcomings, plans and errors from per-report results."""
    builder = TableBuilder()
    for result in results:
        builder.add(result)
    builder.add_errors(errors)
    return builder.tables()


class TableBuilder:
    """Per-report results → the contract tables, converted to DataFrame chunks as they stream in.

    Records (dataclasses, then dicts) cost several times the memory of the DataFrame rows they
    become; converting every `chunk_reports` reports keeps only one chunk of them alive. The
    result does not depend on the chunk size: rows keep their arrival order, the `reports` table
    is sorted by path and part at the end, and columns get one dtype across chunks.
    """

    _RECORD_TABLES = ("sections", "metrics", "shortcomings", "plans")

    def __init__(self, *, chunk_reports: int = 2000) -> None:
        self._chunk_reports = max(1, chunk_reports)
        # `reports` rows are dicts (extra --meta columns vary); the record tables wait as columns
        # (one list per record field) and each report's number of records, for the report id.
        self._reports: list[dict[str, Any]] = []
        self._fields: dict[str, list[list[Any]]] = {name: [] for name in self._RECORD_TABLES}
        self._counts: dict[str, list[int]] = {name: [] for name in self._RECORD_TABLES}
        # A chunk is its columns by name: `_concat` takes each out with no copy of the rest.
        self._chunks: dict[str, list[dict[str, pd.Series]]] = {name: [] for name in ("reports", *self._RECORD_TABLES)}
        self._errors: list[ErrorRecord] = []
        self._pending = 0

    def add(self, result: ReportResult) -> None:
        """Add one report's records (its text is not kept)."""
        self.add_rows(result_rows(result, ""))

    def add_rows(self, rows: ReportRows) -> None:
        """Add one report's rows, as a worker flattened them."""
        self._reports.append(rows.report)
        for name in self._RECORD_TABLES:
            columns: tuple[tuple[Any, ...], ...] = getattr(rows, name)
            fields = self._fields[name]
            if columns and not fields:
                fields.extend([] for _ in columns)
            for values, column in zip(fields, columns):
                values.extend(column)
            self._counts[name].append(len(columns[0]) if columns else 0)
        self._pending += 1
        if self._pending >= self._chunk_reports:
            self.flush()

    def add_errors(self, errors: Iterable[ErrorRecord]) -> None:
        """Add rows of the `errors` table."""
        self._errors.extend(errors)

    def flush(self) -> None:
        """Convert the rows added since the last chunk into a chunk now (`tables` does at the end)."""
        # Chunks wait in compact form: their repeating columns as categoricals already.
        if self._reports:
            self._chunks["reports"].append(dict(pd.DataFrame(self._reports).items()))
        for name in self._RECORD_TABLES:
            counts = np.asarray(self._counts[name], dtype=np.int64)
            if counts.sum():
                columns = record_chunk(name, self._fields[name], counts, self._reports)
                for column in CATEGORICAL_COLUMNS.get(name, ()):
                    columns[column] = columns[column].astype("category")
                self._chunks[name].append(columns)
            self._fields[name] = []
            self._counts[name] = []
        self._reports = []
        self._pending = 0

    def tables(self) -> dict[str, pd.DataFrame]:
        """reports, sections, metrics, shortcomings, plans and errors; the chunks are released, so
        call this once, after the last `add`."""
        self.flush()
        reports = _reports_table(_concat(self._chunks["reports"]), with_tokens=True)
        columns = {"sections": SECTION_COLUMNS, "metrics": METRIC_COLUMNS,
                   "shortcomings": SHORTCOMING_COLUMNS, "plans": PLAN_COLUMNS}
        tables = {"reports": reports}
        for name in self._RECORD_TABLES:
            stacked = _concat(self._chunks[name], CATEGORICAL_COLUMNS.get(name, ()))
            tables[name] = contract_columns(stacked, columns[name])
            self._chunks[name].clear()
        self._chunks["reports"].clear()
        tables["plans"] = tables["plans"].drop(columns=["category"], errors="ignore")
        # Whole numbers with gaps: nullable integers (as `reports.year`), never 2020.0 or 3.0.
        tables["metrics"] = tables["metrics"].astype({"year": "Int64", "part_of": "Int64"})
        tables["errors"] = errors_frame(self._errors)
        return tables


def record_chunk(
    name: str, fields: list[list[Any]], counts: np.ndarray, reports: list[dict[str, Any]]
) -> dict[str, pd.Series]:
    """A chunk of record table `name` (columns `ROW_COLUMNS[name]`) from its records' `fields`
    (one list per field), each report's number of records (`counts`) and the reports' rows.

    The report id (and a metric's id, school and year) are filled in here, once per report,
    not sent with every record. Each column is built through Arrow: pandas would turn rows into
    columns of objects and infer each column's type in Python (most of the time of a table
    chunk); Arrow infers and converts a column of strings or numbers in C, several times faster.
    The columns have the dtypes `pd.DataFrame(rows)` gives them (see `_column`); they stay
    separate Series, never copied into a DataFrame's blocks before the table is stacked.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    # Per-report values are typed from the reports that have records only, as rows would be.
    with_records = [reports[position] for position in np.flatnonzero(counts)]
    report_of_row = np.repeat(np.arange(len(with_records)), counts[counts > 0])
    report_ids = pa.array([report["report_id"] for report in with_records], type=pa.string()).take(report_of_row)
    columns: dict[str, Any] = {"report_id": _column(report_ids)}
    if name == "metrics":
        # "<report id>:m<index of the metric within its report>"
        index_in_report = np.arange(len(report_of_row)) - (np.cumsum(counts) - counts)[counts > 0][report_of_row]
        columns["metric_id"] = _column(
            pc.binary_join_element_wise(report_ids, pc.cast(pa.array(index_in_report), pa.string()), ":m")
        )
    columns.update(zip(ROW_COLUMNS[name][len(columns):], map(_column, fields)))
    if name == "metrics":
        for key in ("school", "year"):
            columns[key] = _column([report[key] for report in with_records], repeat=report_of_row)
    return {key: pd.Series(values, copy=False) for key, values in columns.items()}


def _column(values: Any, repeat: np.ndarray | None = None) -> pd.Series | np.ndarray:
    """`values` (a list or an Arrow array; with `repeat`, the values at those positions) as the
    column `pd.DataFrame(rows)` would make of them: the same dtype and values."""
    import pyarrow as pa

    try:
        array = values if isinstance(values, pa.Array) else pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeError):  # mixed types: pandas decides
        array = None
    if array is not None and repeat is not None:
        array = array.take(repeat)
    if array is not None:
        has_nulls = array.null_count > 0
        if pa.types.is_string(array.type):
            string_dtype = _string_dtype()
            if isinstance(string_dtype, pd.StringDtype):
                return pd.Series(string_dtype.__from_arrow__(array), copy=False)
            return array.to_numpy(zero_copy_only=False)  # pandas without a string dtype: str objects and None
        if pa.types.is_null(array.type):  # all None: pandas keeps the Nones as objects
            return np.full(len(array), None, dtype=object)
        if pa.types.is_int64(array.type):  # whole numbers with gaps: floats with NaN, as pandas
            return array.to_numpy(zero_copy_only=False).astype(np.float64) if has_nulls else array.to_numpy()
        if pa.types.is_float64(array.type):
            return array.to_numpy(zero_copy_only=False)
        if pa.types.is_boolean(array.type) and not has_nulls:
            return array.to_numpy(zero_copy_only=False)
    if repeat is not None:
        values = [values[position] for position in repeat]
    # pandas' own conversion of rows, for this one column.
    return pd.DataFrame([(value,) for value in values])[0]


@lru_cache(maxsize=1)
def _string_dtype() -> Any:
    """The dtype pandas infers for a column of strings: its string dtype, or object before pandas 3.

    Asked for when first needed, not at import: the command line starts without pandas
    (`reportmine.cli.deferred`)."""
    return pd.Series(["text"]).dtype


def _concat(chunks: list[dict[str, pd.Series]], categorical: tuple[str, ...] = ()) -> pd.DataFrame:
    """Stack the chunks (columns by name) column by column, each column leaving the chunks once stacked.

    Memory stays at about one table (plus one column) instead of the chunks, their concatenation
    and a categorical copy at once. A column that is all None in one chunk is `object` there, so
    pandas re-infers the dtype the whole column would have had if built at once; the `categorical`
    columns become categoricals (see CATEGORICAL_COLUMNS).
    """
    if not chunks:
        return pd.DataFrame()
    names = list(dict.fromkeys(name for chunk in chunks for name in chunk))
    lengths = [len(next(iter(chunk.values()))) for chunk in chunks]
    columns: dict[str, pd.Series] = {}
    for name in names:
        parts = [chunk.pop(name) if name in chunk else pd.Series([None] * length) for chunk, length in zip(chunks, lengths)]
        column = _stack_categoricals(parts) if name in categorical else None
        if column is None:
            column = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
        if column.dtype == object:
            column = column.infer_objects()
        if name in categorical and len(column) and not isinstance(column.dtype, pd.CategoricalDtype):
            # Chunks whose categories could not be united stacked as plain values: one column, once.
            column = column.astype("category")
        columns[name] = column
    return pd.DataFrame(columns)


def _stack_categoricals(parts: list[pd.Series]) -> pd.Series | None:
    """Parts that are all categoricals of text, stacked without turning values into objects."""
    from pandas.api.types import union_categoricals

    if len(parts) < 2 or not all(isinstance(part.dtype, pd.CategoricalDtype) for part in parts):
        return None
    try:
        return pd.Series(union_categoricals(parts, sort_categories=True))
    except TypeError:  # categories of different types (e.g. a chunk where the column is all None)
        return None


# Columns whose values repeat from row to row (ids of reports, vocabulary codes, terms): held as
# pandas categoricals they take 40–60 % less memory (about 400 MB at 100,000 reports). Their
# values and the CSV files are unchanged; Parquet stores them dictionary-encoded. `school` and
# `year` stay plain: charts and comparisons fill their gaps with labels of their own.
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "sections": ("report_id", "marker", "role", "parent_id"),
    "metrics": ("report_id", "category", "level", "qualifier", "period", "grade", "recipient", "item", "unit", "section_id"),
    "shortcomings": ("report_id", "category", "section_id"),
    "plans": ("report_id", "section_id"),
    "doc_topics": ("report_id",),
    "codes": ("report_id", "code"),
    "keywords": ("group_by", "group", "term"),
}


def compact_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the repeating text columns of table `name` as categoricals (see CATEGORICAL_COLUMNS)."""
    columns = [c for c in CATEGORICAL_COLUMNS.get(name, ()) if c in frame.columns and len(frame)]
    return frame.astype({column: "category" for column in columns}) if columns else frame


def contract_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The contract's columns first, in order, present even when the table is empty; extras after."""
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype=object)
    extra = [column for column in frame.columns if column not in columns]
    return frame[columns + extra]


def label_each(values: pd.Series, label: Callable[[Any], str]) -> np.ndarray:
    """`label(value)` of every value (an object array), computed once per distinct value: a
    thousand school names, not one per report of 100,000.

    Object columns are labelled value by value: factorizing them would merge values that are
    equal but label differently (1, 1.0 and True), and lists cannot be factorized.
    """
    if values.dtype == object:
        return np.array([label(value) for value in values], dtype=object)
    codes, distinct = pd.factorize(values, use_na_sentinel=False)  # a missing value is one of them
    return np.array([label(value) for value in distinct], dtype=object)[codes]
