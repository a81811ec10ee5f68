"""Write the contract tables: CSV (UTF-8 with BOM), Parquet and one XLSX workbook, atomically."""
from __future__ import annotations

import codecs
import functools
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Literal, TypeVar

import pandas as pd

logger = logging.getLogger(__name__)

TableFormat = Literal["csv", "parquet", "xlsx"]
ExtraT = TypeVar("ExtraT")
ALL_FORMATS: tuple[TableFormat, ...] = ("csv", "parquet", "xlsx")

# Spreadsheet programs treat these leading characters as the start of a formula (OWASP CSV
# injection list, with tab and carriage return that some importers strip before parsing).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 100_000
PARQUET_CHUNK_ROWS = 500_000
XLSX_MAX_ROWS = 10_000  # a sheet people scroll; a county's 500 reports give ~7,000 metric rows


def neutralize_cell(value: Any) -> Any:
    """Return `value` made inert for spreadsheets: text starting like a formula gets a `'` prefix.

    >>> neutralize_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    """
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def is_text_column(series: pd.Series) -> bool:
    """True for columns that may hold text: object, string and categorical (text codes) dtypes."""
    return (
        series.dtype == object
        or pd.api.types.is_string_dtype(series)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` whose text cells cannot become spreadsheet formulas."""
    safe = frame.copy()
    for column in safe.columns:
        if is_text_column(safe[column]):
            safe[column] = _neutralize_series(safe[column])
    return safe


def _neutralize_series(values: pd.Series) -> pd.Series:
    # A categorical is neutralised through its few categories, a string column with one
    # vectorised prefix test; only object columns (mixed values) go cell by cell.
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if pd.api.types.is_string_dtype(categories.dtype) and categories.dtype != object:
            # Text categories (thousands: report ids, keywords) tested at once; most need nothing.
            if not categories.str.startswith(_FORMULA_PREFIXES).any():
                return values
        safe_categories = [neutralize_cell(category) for category in categories]
        if len(set(safe_categories)) == len(safe_categories):
            return values.cat.rename_categories(safe_categories)
        values = values.astype(object)  # "=x" and "'=x" both present: fall back to cells
    if values.dtype != object and pd.api.types.is_string_dtype(values):
        risky = values.str.startswith(_FORMULA_PREFIXES).fillna(False).astype(bool)
        return values.where(~risky, "'" + values) if risky.any() else values
    return values.map(neutralize_cell)


def restore_cell(value: Any) -> Any:
    """Undo `neutralize_cell` when reading a CSV this module wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_PREFIXES):
        return value[1:]
    return value


@contextmanager
def atomic_path(target: Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it over `target` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text_atomic(target: Path, text: str) -> None:
    """Write UTF-8 text to `target` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json_atomic(target: Path, payload: Any) -> None:
    """Write `payload` as indented UTF-8 JSON atomically (keys sorted for stable output)."""
    write_text_atomic(target, json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(frame: pd.DataFrame, target: Path, *, chunk_rows: int = CSV_CHUNK_ROWS) -> None:
    """Write `frame` as CSV in UTF-8 with BOM (Excel then shows Chinese), formulas neutralised.

    Rows are neutralised and written `chunk_rows` at a time, so a table of millions of rows is
    not copied whole. Arrow's CSV writer does the formatting (about 8 times faster than pandas'
    `to_csv`): text is quoted, missing values are empty, booleans are `true`/`false`.
    """
    import pyarrow.csv as arrow_csv

    with atomic_path(target, suffix=".csv") as temporary:
        with temporary.open("wb") as handle:
            handle.write(codecs.BOM_UTF8)
            for start in range(0, max(len(frame), 1), chunk_rows):
                chunk = _arrow_table(neutralize_frame(frame.iloc[start : start + chunk_rows]))
                options = arrow_csv.WriteOptions(include_header=start == 0, quoting_style="needed")
                arrow_csv.write_csv(chunk, handle, write_options=options)


def write_parquet(frame: pd.DataFrame, target: Path, *, chunk_rows: int = PARQUET_CHUNK_ROWS) -> None:
    """Write `frame` as Parquet (values untouched), a row group of `chunk_rows` rows at a time.

    The Arrow copy of a table of millions of rows is never whole in memory: at 100,000 reports
    it would add about a gigabyte for the largest tables.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    ready = _parquet_ready(frame)
    schema = pa.Schema.from_pandas(ready, preserve_index=False)
    with atomic_path(target, suffix=".parquet") as temporary:
        with pq.ParquetWriter(temporary, schema) as writer:
            for start in range(0, max(len(ready), 1), chunk_rows):
                chunk = ready.iloc[start : start + chunk_rows]
                writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False, nthreads=1))


def write_csv_and_parquet(frame: pd.DataFrame, csv_target: Path, parquet_target: Path, *,
                          chunk_rows: int = PARQUET_CHUNK_ROWS, seconds: dict[str, float] | None = None) -> None:
    """`write_csv` and `write_parquet` of `frame`, the same bytes, with one conversion to Arrow.

    Each chunk of rows (a Parquet row group) is converted once; its CSV copy is neutralised
    in Arrow (text cells only, as `neutralize_frame` does) rather than from a neutralised
    copy of the frame converted a second time. Adds the seconds of each file (the conversion
    counted with the Parquet file) to `seconds["csv"]` and `seconds["parquet"]` if given.
    """
    timing = seconds if seconds is not None else {}
    started = time.perf_counter()
    import pyarrow as pa
    import pyarrow.csv as arrow_csv
    import pyarrow.parquet as pq

    ready = _parquet_ready(frame)
    try:
        schema = pa.Schema.from_pandas(ready, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Values Parquet cannot hold: the CSV is still written, then write_parquet says why.
        write_csv(frame, csv_target)
        timing["csv"] = timing.get("csv", 0.0) + time.perf_counter() - started
        write_parquet(frame, parquet_target)
        return
    as_text = {index for index in range(ready.shape[1]) if _mixed_objects(ready.iloc[:, index])}
    csv_seconds = 0.0
    with atomic_path(csv_target, suffix=".csv") as csv_temporary, \
            atomic_path(parquet_target, suffix=".parquet") as parquet_temporary:
        with csv_temporary.open("wb") as handle, pq.ParquetWriter(parquet_temporary, schema) as writer:
            handle.write(codecs.BOM_UTF8)
            for start in range(0, max(len(ready), 1), chunk_rows):
                chunk = ready.iloc[start : start + chunk_rows]
                table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False, nthreads=1)
                writer.write_table(table)
                csv_started = time.perf_counter()
                options = arrow_csv.WriteOptions(include_header=start == 0, quoting_style="needed")
                original = frame.iloc[start : start + chunk_rows]
                arrow_csv.write_csv(_neutral_csv_table(table, original, as_text), handle, write_options=options)
                csv_seconds += time.perf_counter() - csv_started
    timing["csv"] = timing.get("csv", 0.0) + csv_seconds
    timing["parquet"] = timing.get("parquet", 0.0) + time.perf_counter() - started - csv_seconds


def _mixed_objects(values: pd.Series) -> bool:
    """An object column holding values other than text (numbers beside text)."""
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty")


# A text cell that spreadsheets would read as a formula: one starting with a _FORMULA_PREFIXES
# character, as an RE2 character class (where "-", "\\", "]" and "^" need a backslash).
_FORMULA_RE2 = "^[" + "".join("\\" + char if char in "-\\]^" else char for char in _FORMULA_PREFIXES) + "]"


def _neutral_csv_table(table: Any, chunk: pd.DataFrame, as_text: set[int]) -> Any:
    """The CSV form of `table` (the Arrow copy of `chunk`, lists made JSON), as
    `_arrow_table(neutralize_frame(chunk))` gives it: categories decoded and text cells
    starting like a formula prefixed with `'`. Columns of mixed objects (`as_text`, rare) go
    through that very path, column by column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for index, field in enumerate(table.schema):
        if index in as_text:
            column = _arrow_table(neutralize_frame(chunk.iloc[:, [index]])).column(0)
        else:
            column = table.column(index)
            if pa.types.is_dictionary(field.type):
                column = pc.cast(column, field.type.value_type)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                if pc.any(pc.match_substring_regex(column, _FORMULA_RE2)).as_py():
                    column = pc.replace_substring_regex(column, "(" + _FORMULA_RE2 + ")", "'\\1")
        if column is not table.column(index):
            table = table.set_column(index, field.name, column)
    return table


def write_xlsx(
    tables: Mapping[str, pd.DataFrame],
    target: Path,
    *,
    max_rows: int = XLSX_MAX_ROWS,
    row_counts: Mapping[str, int] | None = None,
) -> None:
    """Write one sheet per table into one workbook, formulas neutralised, long cells truncated.

    A sheet holds at most `max_rows` rows (Excel's own limit is 1,048,576, and a workbook of
    millions of cells is slow to open); the first sheet, `about`, lists every table's full row
    count and says which sheets are cut, the CSV and Parquet files hold all rows. `row_counts`
    gives the full row counts for the `about` sheet when `tables` holds only the first rows.
    """
    from reportmine.workbook import write_workbook

    counts = {name: len(frame) for name, frame in tables.items()} | dict(row_counts or {})
    sheets = {"about": _about_sheet(counts, max_rows)}
    sheets.update({name: _xlsx_ready(frame.head(max_rows)) for name, frame in tables.items()})
    with atomic_path(target, suffix=".xlsx") as temporary:
        write_workbook(sheets, temporary)


def _about_sheet(row_counts: Mapping[str, int], max_rows: int) -> pd.DataFrame:
    rows = [
        {"table": name, "rows": count,
         "in_this_workbook": min(count, max_rows),
         "note": f"first {max_rows} rows; all rows in {name}.csv / {name}.parquet" if count > max_rows else ""}
        for name, count in row_counts.items()
    ]
    return pd.DataFrame(rows, columns=["table", "rows", "in_this_workbook", "note"])


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: Path,
    *,
    formats: Iterable[TableFormat] = ALL_FORMATS,
    workbook_name: str = "reportmine.xlsx",
    seconds: dict[str, float] | None = None,
) -> list[Path]:
    """Write every table as `<name>.csv`, `<name>.parquet` and a sheet of one workbook.

    Returns the written paths in a stable order; adds seconds per format to `seconds` if given.
    """
    chosen = tuple(formats)
    timing = seconds if seconds is not None else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "csv" in chosen and "parquet" in chosen:
        # Each table goes to Arrow once for both files (write_csv_and_parquet).
        split = {"csv": 0.0, "parquet": 0.0}
        for name, frame in tables.items():
            write_csv_and_parquet(frame, out_dir / f"{name}.csv", out_dir / f"{name}.parquet", seconds=split)
        written += [out_dir / f"{name}.{fmt}" for fmt in ("csv", "parquet") for name in tables]
        timing.update(split)
    else:
        writers = {"csv": write_csv, "parquet": write_parquet}
        for fmt in ("csv", "parquet"):
            if fmt not in chosen:
                continue
            started = time.perf_counter()
            for name, frame in tables.items():
                writers[fmt](frame, out_dir / f"{name}.{fmt}")
                written.append(out_dir / f"{name}.{fmt}")
            timing[fmt] = time.perf_counter() - started
    if "xlsx" in chosen:
        started = time.perf_counter()
        write_xlsx(tables, out_dir / workbook_name)
        written.append(out_dir / workbook_name)
        timing["xlsx"] = time.perf_counter() - started
    return written


def read_table(out_dir: Path, name: str) -> pd.DataFrame:
    """Read a table written by `write_tables`, preferring Parquet, else the CSV (formulas restored)."""
    parquet_path = out_dir / f"{name}.parquet"
    if parquet_path.exists():
        return pd.read_parquet(parquet_path)
    frame = pd.read_csv(out_dir / f"{name}.csv", encoding="utf-8-sig")
    for column in frame.columns:
        if is_text_column(frame[column]):  # a CSV read back holds no categoricals
            frame[column] = frame[column].map(restore_cell)
    return frame


def _arrow_table(frame: pd.DataFrame) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    ready = _parquet_ready(frame)
    for column in ready.columns:
        # Object columns left mixed (numbers beside text) are written as their text.
        if _mixed_objects(ready[column]):
            ready[column] = ready[column].map(lambda value: value if value is None or pd.isna(value) else str(value))
    table = pa.Table.from_pandas(ready, preserve_index=False, nthreads=1)
    # Categories become their plain values (Arrow writes no dictionaries to CSV), decoded by
    # Arrow: pandas' astype builds a Python string per row, a third of the CSV's time.
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(index, field.name, pc.cast(table.column(index), field.type.value_type))
    return table


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    # Mixed-type object columns (e.g. ints and None, or lists) trip pyarrow; lists become JSON text.
    # A shallow copy: only the object columns are replaced, the others are shared with `frame`.
    ready = frame.copy(deep=False)
    for column in ready.columns:
        if ready[column].dtype == object:
            ready[column] = ready[column].map(_scalar_or_json)
    return ready


def _xlsx_ready(frame: pd.DataFrame) -> pd.DataFrame:
    # Cells longer than Excel allows are cut by the workbook writer.
    return neutralize_frame(_parquet_ready(frame))


def _scalar_or_json(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def text_file_names(reports: pd.DataFrame) -> pd.Series:
    """The file of each report's text in the output folder (`text_file`): texts/000001.txt … in row order."""
    return pd.Series([f"texts/{index + 1:06d}.txt" for index in range(len(reports))], index=reports.index, dtype=object)


def write_texts(reports: pd.DataFrame, out_dir: Path, texts: Mapping[str, str] | None = None) -> pd.Series:
    """Write each report's normalized text to `out_dir/texts/NNNNNN.txt`; return the file names.

    Texts come from `texts` (report_id → text, e.g. an analysis' `TextStore`), else from a
    `text` column of `reports`; they are read and written one at a time. Files of an earlier run
    that no longer correspond to a report are removed, so the folder always matches the table.
    """
    texts_dir = out_dir / "texts"
    texts_dir.mkdir(parents=True, exist_ok=True)
    if texts is None:
        texts = dict(zip(reports["report_id"], reports["text"])) if "text" in reports else {}
    names = text_file_names(reports)
    # One listing of the folder, not a stat per file: in a new folder nothing is compared.
    with os.scandir(texts_dir) as entries:
        earlier = {entry.name: entry.path for entry in entries if entry.name.endswith(".txt") and entry.is_file()}
    for name, report_id in zip(names, reports["report_id"]):
        file_name = name.rpartition("/")[2]
        data = texts.get(report_id, "").encode("utf-8")
        # Unchanged files are left alone: an incremental run rewrites only what changed. A plain
        # write (not temp file + rename) is a third of the cost, and a file cut short by a crash
        # differs from its text, so the next run rewrites it.
        path = earlier.pop(file_name, None)
        if path is None or not _holds(path, data):
            _write_bytes(os.path.join(texts_dir, file_name), data)
    for stale in earlier.values():
        os.unlink(stale)
    return names


# O_BINARY exists (and matters) on Windows only.
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_bytes(path: str, data: bytes) -> None:
    """`Path.write_bytes` without a Python file object: a third of its CPU or less on thousands of small files."""
    descriptor = os.open(path, _NEW_FILE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def _holds(path: str, data: bytes) -> bool:
    """True when the file at `path` holds exactly `data` (its size is checked first)."""
    return os.stat(path).st_size == len(data) and Path(path).read_bytes() == data


def write_analysis(analysis: Any, out_dir: Path, **options: Any) -> list[Path]:
    """Write a whole run: tables, report texts, word clouds, charts, `report.html` and `run.json`.

    `options` are `RunWriter`'s (formats, pictures, html, font, chart_formats, arguments):
    charts are PNG; ``chart_formats=("png", "svg")`` adds vector copies for papers.

    Pictures and the HTML report are extras: if drawing fails the tables are still written and
    the failure is recorded in `run.json` under `warnings`.
    """
    with RunWriter(out_dir, **options) as writer:
        return writer.write(analysis)


class RunWriter:
    """Writes one run's output folder, partly while the run is still computing.

    The report texts, the word clouds, the charts and the XLSX workbook are written by forked
    processes while this one writes the CSV and Parquet files (see `reportmine.background`; in
    line on one core or where processes are not forked); `report.html`, which embeds the
    pictures, comes after them. The texts, the word clouds and the CSV and Parquet files of the
    per-report tables (`pipeline.PER_REPORT_TABLES`) need only the per-report tables and
    tokens: `start` (given to `pipeline.analyze` as ``on_report_tables``) sets them going while
    the corpus stages run, so they do not wait for topics and near-duplicates. `run.json` records
    each piece's seconds (`write_seconds`, wherever it ran) and the wall time of the writing
    after the corpus stages (`write_seconds["total"]`).

    Use as a context manager: leaving it waits for pieces still being written.
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        formats: Iterable[TableFormat] = ALL_FORMATS,
        pictures: bool = True,
        html: bool = True,
        font: Path | None = None,
        chart_formats: Sequence[str] = ("png",),
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.formats = tuple(formats)
        self.pictures, self.html, self.font = pictures, html, font
        self.chart_formats = tuple(chart_formats)
        self.arguments = dict(arguments or {})
        self._early: Any = None  # BackgroundJobs of the pieces started by `start`

    @property
    def _file_formats(self) -> list[TableFormat]:
        """The formats written one file per table (the workbook holds every table in one)."""
        return [fmt for fmt in self.formats if fmt != "xlsx"]

    def prepare(self, n_inputs: int = 0) -> None:
        """Import what the writing needs in more than one process (matplotlib and wordcloud for
        the pictures, fontTools and HarfBuzz for their font and the page's, pyarrow's Parquet
        writer: about a second), for instance while the workers analyse the reports: the
        processes forked afterwards to draw and write inherit it instead of each importing it.
        Nothing is imported for a run of more than `memory.PRELOAD_MAX_INPUTS` inputs."""
        from reportmine import memory

        if n_inputs > memory.PRELOAD_MAX_INPUTS:
            return
        try:
            if "parquet" in self.formats:
                import pyarrow.parquet  # noqa: F401
            if self.pictures or self.html:
                import uharfbuzz  # noqa: F401
                from fontTools.ttLib import TTFont  # noqa: F401
            if self.pictures:
                import wordcloud  # noqa: F401

                from reportmine.viz.charts import load_drawing_modules

                load_drawing_modules()
        except ImportError:  # only a head start: the piece that needs the module reports it
            logger.debug("loading the writing's modules ahead failed", exc_info=True)

    def start(self, report_analysis: Any) -> None:
        """Start writing the report texts and the per-report tables' CSV and Parquet files and
        drawing the word clouds of `report_analysis` (an `Analysis` whose corpus tables may still
        be empty) in forked processes.

        Nothing starts where the writing would run in line, or for a large corpus, whose
        pieces go one after another through one process to keep memory flat.
        """
        from reportmine import memory
        from reportmine.background import BackgroundJobs, background_workers

        reports = _with_text_files(report_analysis.reports)
        if self._early is not None or len(reports) > memory.LARGE_CORPUS_REPORTS:
            return
        # The clouds are drawn in their job's process: beside the corpus stages (each in a
        # process of its own) a pool of drawing processes adds no free core, only its start-up
        # and its second font and matplotlib warm-up (a seventh more CPU for the clouds).
        jobs = _early_jobs(report_analysis, reports, self.out_dir, pictures=self.pictures, font=self.font,
                           drawing_workers=1)
        if self._file_formats and len(reports) <= memory.EARLY_TABLE_FILES_MAX_REPORTS:
            # The CSV and Parquet files of these tables are written beside the corpus stages too:
            # the writing after them is shorter, and a core left idle while the topic model
            # finishes alone does this work instead.
            jobs["report_tables"] = functools.partial(
                _write_report_tables, _report_tables(report_analysis, reports), self.out_dir, self._file_formats)
        if background_workers(len(jobs)) == 0:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._early = BackgroundJobs(jobs)

    def write(self, analysis: Any) -> list[Path]:
        """Write every file of `analysis` not written yet; return the paths of all (run.json last)."""
        from reportmine.memory import arrow_memory_from_malloc, frozen_heap

        # The analysis lives until the end of the writing: the garbage collector need not visit it.
        with frozen_heap(len(analysis.reports)), arrow_memory_from_malloc():
            return self._write(analysis)

    def _write(self, analysis: Any) -> list[Path]:
        from reportmine.background import BackgroundJobs, background_workers
        from reportmine import memory
        from reportmine.memory import peak_rss_mib, release_memory
        from reportmine.parallel import announce
        from reportmine.pipeline import PER_REPORT_TABLES
        from reportmine.viz.charts import chart_files
        from reportmine.viz.html_report import draft_html_report, load_page_resources, tables_context, write_html_report

        started = time.perf_counter()
        out_dir = self.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        seconds: dict[str, float] = {}
        problems: list[str] = []
        tables = analysis.tables()
        # Named before they are written: the workbook, written elsewhere, lists them too.
        tables["reports"] = _with_text_files(tables["reports"])
        large = len(tables["reports"]) > memory.LARGE_CORPUS_REPORTS
        # A large corpus's jobs go one after another through one process, started once the CSV
        # and Parquet files are written, which draws without pools of its own: side by side,
        # or each with forked helpers, their working memories would add up (about 5 % longer).
        drawing_workers = 1 if large else None
        jobs = {
            **({} if self._early is not None else _early_jobs(
                analysis, tables["reports"], out_dir, pictures=self.pictures, font=self.font, drawing_workers=drawing_workers)),
            **_late_jobs(analysis, tables, out_dir, xlsx="xlsx" in self.formats, pictures=self.pictures,
                         font=self.font, chart_formats=self.chart_formats, drawing_workers=drawing_workers),
        }
        workers = min(background_workers(len(jobs)), 1) if large else background_workers(len(jobs))
        peaks: dict[str, float | None] = {}

        written_early = self._early is not None and self._early.has("report_tables")

        def write_table_files() -> list[Path]:
            announce("writing tables")
            late = {name: frame for name, frame in tables.items() if not (written_early and name in PER_REPORT_TABLES)}
            paths = write_tables(late, out_dir, formats=self._file_formats, seconds=seconds)
            if written_early:
                paths += _early_report_tables(self._early, tables, out_dir, self._file_formats, seconds)
            peaks["tables"] = peak_rss_mib()
            return paths

        if large:
            written = write_table_files()
            release_memory(len(tables["reports"]))
        with BackgroundJobs(jobs, workers=workers) as late:
            background = _EitherJobs(self._early, late)
            if not large:
                written = write_table_files()
            background.result("texts", seconds)
            peaks["texts"] = peak_rss_mib()
            release_memory(len(tables["reports"]))
            # The page's tables part and its font first: they need no picture, so they are ready
            # when the pictures are, and the page is written at once.
            def page_without_pictures() -> dict[str, Any]:
                load_page_resources()  # the template, and the default font the page embeds below
                return tables_context(analysis)

            page = _timed_extra("html", "report.html", seconds, problems, page_without_pictures) if self.html else None
            chart_paths: list[Path] = []
            cloud_paths: list[Path] = []
            draft = None
            if self.pictures:
                # The clouds first: drawn since the corpus stages began, they are done before the
                # charts, and the page is rendered while the charts are drawn (only their files
                # are read in after them).
                announce("drawing word clouds")
                cloud_paths = _extra("word clouds", problems, lambda: background.result("wordclouds", seconds)) or []
                if page is not None:
                    planned_charts = chart_files(out_dir / "charts", self.chart_formats)
                    draft = _timed_extra("html", "report.html", seconds, problems, lambda: draft_html_report(
                        analysis, charts=planned_charts, wordclouds=cloud_paths, tables=page, drawn=False))
                announce("drawing charts")
                chart_paths = _extra("charts", problems, lambda: background.result("charts", seconds)) or []
                written += chart_paths + cloud_paths
                peaks["pictures"] = peak_rss_mib()
            if page is not None:
                announce("writing report.html")
                written += _timed_extra("html", "report.html", seconds, problems, lambda: [write_html_report(
                    analysis, out_dir / "report.html", charts=chart_paths, wordclouds=cloud_paths, tables=page,
                    draft=draft)]) or []
            if "xlsx" in self.formats:
                written.append(background.result("xlsx", seconds))
        peaks["html_and_workbook"] = peak_rss_mib()
        seconds["total"] = time.perf_counter() - started
        manifest = dict(analysis.run)
        manifest["write_seconds"] = {name: round(value, 3) for name, value in seconds.items()}
        manifest["peak_rss_mib_writing"] = peaks
        manifest["arguments"] = self.arguments
        manifest["warnings"] = problems
        manifest["outputs"] = sorted(path.relative_to(out_dir).as_posix() for path in written)
        write_json_atomic(out_dir / "run.json", manifest)
        return written + [out_dir / "run.json"]

    def close(self) -> None:
        """Wait for the pieces started by `start` (their files are complete afterwards)."""
        if self._early is not None:
            self._early.close()
            self._early = None

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _EitherJobs:
    """The results of jobs started early or late, by name."""

    def __init__(self, early: Any, late: Any) -> None:
        self._early, self._late = early, late

    def result(self, name: str, seconds: dict[str, float]) -> Any:
        source = self._early if self._early is not None and self._early.has(name) else self._late
        return source.result(name, seconds)


def _with_text_files(reports: pd.DataFrame) -> pd.DataFrame:
    return reports.assign(text_file=text_file_names(reports))


def _early_jobs(
    analysis: Any, reports: pd.DataFrame, out_dir: Path, *, pictures: bool, font: Path | None,
    drawing_workers: int | None = None,
) -> dict[str, Callable[[], Any]]:
    """The pieces that need only the per-report tables and tokens: the report texts (one small
    file per report: syscalls more than CPU, 20 s at 100,000 reports) and the word clouds."""
    jobs: dict[str, Callable[[], Any]] = {"texts": functools.partial(write_texts, reports, out_dir, analysis.texts)}
    if pictures:
        jobs["wordclouds"] = functools.partial(_draw_wordclouds, analysis, out_dir, font, drawing_workers)
    return jobs


def _report_tables(report_analysis: Any, reports: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables of `report_analysis` that the corpus stages leave as they are, `reports`
    (with its text files) for its reports table."""
    from reportmine.pipeline import PER_REPORT_TABLES

    return {name: reports if name == "reports" else getattr(report_analysis, name) for name in PER_REPORT_TABLES}


def _write_report_tables(
    tables: Mapping[str, pd.DataFrame], out_dir: Path, formats: list[TableFormat],
) -> tuple[list[Path], dict[str, float]]:
    """`write_tables` of the per-report tables (no workbook): the paths and the seconds per format."""
    seconds: dict[str, float] = {}
    return write_tables(tables, out_dir, formats=formats, seconds=seconds), seconds


def _early_report_tables(
    early: Any, tables: Mapping[str, pd.DataFrame], out_dir: Path, formats: list[TableFormat], seconds: dict[str, float],
) -> list[Path]:
    """The paths of the per-report tables written by the early job, its seconds per format added
    to `seconds` (its wall time as `report_tables`); written here instead if that job failed
    (the tables matter more than the time)."""
    from reportmine.pipeline import PER_REPORT_TABLES

    try:
        paths, early_seconds = early.result("report_tables", seconds)
    except Exception:  # noqa: BLE001 - whatever went wrong there, the tables are written here
        logger.exception("writing the per-report tables beside the corpus stages failed; writing them now")
        early_seconds = {}
        paths = write_tables({name: tables[name] for name in PER_REPORT_TABLES}, out_dir, formats=formats, seconds=early_seconds)
    for fmt, value in early_seconds.items():
        seconds[fmt] = seconds.get(fmt, 0.0) + value
    return paths


def _late_jobs(
    analysis: Any, tables: Mapping[str, pd.DataFrame], out_dir: Path, *, xlsx: bool, pictures: bool,
    font: Path | None, chart_formats: tuple[str, ...], drawing_workers: int | None = None,
) -> dict[str, Callable[[], Any]]:
    """The pieces that need the corpus tables, each written by a process of its own beside the
    CSV and Parquet files (on a large corpus one process writes them one after another).

    The charts, and the word clouds when they are not drawn earlier (`RunWriter.start` draws
    them in one process), are drawn by pools of their own (`drawing_workers` processes, None =
    one per core, forked once matplotlib or the first cloud is loaded, so the imports are
    inherited): no long piece is left to one process, which would finish last when the cores
    are shared by many.
    """
    jobs: dict[str, Callable[[], Any]] = {}
    if pictures:
        jobs["charts"] = functools.partial(_draw_charts, analysis, out_dir, font, chart_formats, drawing_workers)
    if xlsx:
        jobs["xlsx"] = functools.partial(_write_workbook_file, tables, out_dir / "reportmine.xlsx")
    return jobs


def _draw_wordclouds(analysis: Any, out_dir: Path, font: Path | None, workers: int | None) -> list[Path]:
    from reportmine.viz.wordclouds import write_wordclouds

    return list(write_wordclouds(analysis, out_dir, font_path=font, workers=workers))


def _draw_charts(
    analysis: Any, out_dir: Path, font: Path | None, chart_formats: tuple[str, ...], workers: int | None,
) -> list[Path]:
    from reportmine.viz.charts import write_charts

    return list(write_charts(analysis, out_dir / "charts", font_path=font, formats=chart_formats, workers=workers))


def _write_workbook_file(tables: Mapping[str, pd.DataFrame], target: Path) -> Path:
    write_xlsx(tables, target)
    return target


def _extra(what: str, problems: list[str], make: Callable[[], ExtraT]) -> ExtraT | None:
    """`make()`, or None when it fails: pictures and the page are extras, the tables matter more.

    The failure is logged with its traceback and noted in `problems` ("charts not written: …").
    """
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - any failure of an extra leaves the tables alone
        logger.exception("%s failed", what)
        problems.append(f"{what} not written: {exc!r}")
        return None


def _timed_extra(
    name: str, what: str, seconds: dict[str, float], problems: list[str], make: Callable[[], ExtraT],
) -> ExtraT | None:
    """`_extra`, its seconds added to `seconds[name]`."""
    started = time.perf_counter()
    try:
        return _extra(what, problems, make)
    finally:
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started


def read_analysis(out_dir: Path | str) -> Any:
    """Load an output folder written by `reportmine analyze` back into an `Analysis`.

    Report texts are read from `texts/` when asked for (`analysis.texts`); tokens are not
    stored, so `Analysis.tokens` is empty.
    """
    from reportmine.errors import InputError
    from reportmine.pipeline import TABLE_NAMES, Analysis
    from reportmine.store import FolderTextStore

    folder = Path(out_dir)
    if not (folder / "reports.parquet").exists() and not (folder / "reports.csv").exists():
        raise InputError(f"{folder} is not a reportmine output folder (no reports table); run `reportmine analyze` first")
    tables = {}
    for name in TABLE_NAMES:
        present = (folder / f"{name}.parquet").exists() or (folder / f"{name}.csv").exists()
        tables[name] = read_table(folder, name) if present else pd.DataFrame()
    reports = tables["reports"]
    text_files = {}
    if "text_file" in reports:
        text_files = {rid: name for rid, name in zip(reports["report_id"], reports["text_file"]) if isinstance(name, str)}
    run_path = folder / "run.json"
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    return Analysis(**tables, tokens={}, run=run, texts=FolderTextStore(folder, text_files))
