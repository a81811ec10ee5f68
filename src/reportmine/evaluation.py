"""Score an analysis output folder against hand-checked gold annotations.

`load_gold` reads and validates gold JSON (docs/annotation.md); `evaluate` compares the tables
written by `reportmine analyze` with it and returns an `Evaluation` (summary and per-document
misses and extras); `fail_under` and `render_evaluation` serve the CLI. The matching rules are
documented in docs/evaluation.md and implemented with the helpers of `evaluation_match`.

    >>> evaluation = evaluate(Path("out-seeds"), Path("corpus/gold/seeds"))
    >>> evaluation.summary.query("table == 'metrics_strict'")
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportmine.errors import GoldError, InputError
from reportmine.evaluation_match import (
    DETAIL_COLUMNS,
    STRICT_ATTRIBUTES,
    Scores,
    Tally,
    none_if_missing,
    prf,
    score_items,
    score_metadata,
    score_metrics,
    score_sections,
    score_splitting,
)
from reportmine.output import restore_cell, write_csv, write_text_atomic

__all__ = [
    "GOLD_SCHEMA", "GoldItem", "GoldMetric", "GoldReport", "GoldSection", "Evaluation",
    "load_gold", "evaluate", "fail_under", "parse_thresholds", "render_evaluation", "write_evaluation",
]

logger = logging.getLogger(__name__)

GOLD_SCHEMA = "reportmine-gold/1"

# Vocabularies a gold file may use (docs/annotation.md, ../shared/DESIGN.md).
GOLD_LEVELS = frozenset({"group", "school", "cluster", "county", "city", "province", "national", "unknown"})
GOLD_PERIODS = frozenset({"day", "week", "2weeks", "month", "semester", "year"})
GOLD_GRADES = frozenset({"special", "first", "second", "third", "excellence", "nomination", "title", "other"})
GOLD_RECIPIENTS = frozenset({"teacher", "student", "school", "unknown"})
GOLD_STAGES = frozenset({"幼儿园", "小学", "初中", "高中"})
GOLD_META_KEYS = ("school", "year", "stage", "region")

# Free-text keys an annotator may add anywhere; every other unknown key is a typo and an error.
_NOTE_KEYS = frozenset({"note", "notes", "comment", "comments"})
_FILE_KEYS = frozenset({"schema", "path", "annotator", "reports"})
_REPORT_KEYS = frozenset({"part", "title", "meta", "sections", "metrics", "shortcomings", "plans"})
_METRIC_KEYS = frozenset({"category", *STRICT_ATTRIBUTES, "item", "unit", "evidence", "optional"})
_ITEM_KEYS = frozenset({"text", "optional", "category"})
_SECTION_KEYS = frozenset({"marker", "title"})
_CATEGORY_PATTERN = re.compile(r"^[a-z][a-z_]*$")

# Order of the tables in the summary, the details and the rendering.
PRF_TABLES = ("sections", "metrics_lenient", "metrics_strict", "shortcomings", "plans")
ACCURACY_TABLES = ("splitting", "titles", "metadata")  # + metadata_<key> for each key gold gives
SUMMARY_COLUMNS = ("table", "measure", "value", "tp", "fp", "fn", "n")


# --------------------------------------------------------------------------------------------
# Gold records


@dataclass(frozen=True)
class GoldSection:
    """A top-level heading as the annotator wrote it."""

    marker: str
    title: str


@dataclass(frozen=True)
class GoldMetric:
    """One gold metric; omitted fields hold the defaults the manual gives."""

    category: str
    evidence: str
    value: float | None = None
    value_max: float | None = None
    approx: bool = False
    qualifier: str | None = None
    level: str = "unknown"
    period: str | None = None
    times_per_period: float | None = None
    grade: str | None = None
    recipient: str | None = None
    item: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class GoldItem:
    """One gold shortcoming or plan: an exact substring of the report text."""

    text: str
    optional: bool = False


@dataclass
class GoldReport:
    """The gold of one report; a list left as None was not annotated and is not scored."""

    source: Path  # the gold JSON file
    path: str  # source document, relative to the analysed folder
    part: int
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    sections: list[GoldSection] | None = None
    metrics: list[GoldMetric] | None = None
    shortcomings: list[GoldItem] | None = None
    plans: list[GoldItem] | None = None

    @property
    def report_id(self) -> str:
        return f"{self.path}#{self.part}"


# --------------------------------------------------------------------------------------------
# Loading and validating gold


def load_gold(gold: Path) -> list[GoldReport]:
    """Return the gold reports of one JSON file or of every *.json under a folder (recursive).

    Raises:
        GoldError: the path holds no gold, or a file breaks the schema (the message names the
            file, the report part and the field).
    """
    gold = Path(gold)
    if gold.is_dir():
        files = sorted(gold.rglob("*.json"))
        if not files:
            raise GoldError(f"{gold}: no gold files (*.json) found in this folder")
    elif gold.is_file():
        files = [gold]
    else:
        raise GoldError(f"{gold}: gold file or folder not found")
    reports: list[GoldReport] = []
    seen: dict[str, Path] = {}
    for file in files:
        for report in _parse_gold_file(file):
            if report.report_id in seen:
                raise GoldError(f"{file}: report {report.report_id} is also annotated in {seen[report.report_id]}")
            seen[report.report_id] = file
            reports.append(report)
    return sorted(reports, key=lambda r: (r.path, r.part))


def _parse_gold_file(file: Path) -> list[GoldReport]:
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoldError(f"{file}: not valid UTF-8 JSON ({error})") from error
    where = str(file)
    if not isinstance(data, dict):
        raise GoldError(f"{where}: the top level must be a JSON object")
    _check_keys(data, _FILE_KEYS, where)
    if data.get("schema") != GOLD_SCHEMA:
        raise GoldError(f"{where}: field 'schema' must be {GOLD_SCHEMA!r}, got {data.get('schema')!r}")
    path = _required_text(data, "path", where)
    entries = data.get("reports")
    if not isinstance(entries, list) or not entries:
        raise GoldError(f"{where}: field 'reports' must be a non-empty list")
    reports: list[GoldReport] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise GoldError(f"{where}: reports[{index}] must be an object")
        part = entry.get("part")
        if isinstance(part, bool) or not isinstance(part, int) or part < 1:
            raise GoldError(f"{where}: reports[{index}] field 'part' must be a positive integer, got {part!r}")
        if any(report.part == part for report in reports):
            raise GoldError(f"{where}: report part {part} is given twice")
        reports.append(_parse_gold_report(entry, source=file, path=path, where=f"{where}: report part {part}"))
    return reports


def _parse_gold_report(entry: dict[str, Any], *, source: Path, path: str, where: str) -> GoldReport:
    _check_keys(entry, _REPORT_KEYS, where)
    title = _optional_value(entry, "title", str, where)
    meta = entry.get("meta", {})
    if not isinstance(meta, dict):
        raise GoldError(f"{where}: field 'meta' must be an object")
    return GoldReport(
        source=source,
        path=path,
        part=entry["part"],
        title=title,
        meta=_parse_meta(meta, f"{where}: meta"),
        sections=_parse_list(entry, "sections", _parse_section, where),
        metrics=_parse_list(entry, "metrics", _parse_metric, where),
        shortcomings=_parse_list(entry, "shortcomings", _parse_item, where),
        plans=_parse_list(entry, "plans", _parse_item, where),
    )


def _parse_meta(meta: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(meta) - set(GOLD_META_KEYS) - _NOTE_KEYS)
    if unknown:
        raise GoldError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(GOLD_META_KEYS)})")
    checked: dict[str, Any] = {}
    for key in GOLD_META_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if key == "year":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise GoldError(f"{where}: field 'year' must be an integer or null, got {value!r}")
        elif key == "stage":
            _check_vocab(value, GOLD_STAGES, f"{where}: field 'stage'")
        elif value is not None and not isinstance(value, str):
            raise GoldError(f"{where}: field {key!r} must be a string or null, got {value!r}")
        checked[key] = value
    return checked


def _parse_list(entry: dict[str, Any], key: str, parse: Any, where: str) -> list[Any] | None:
    if key not in entry:
        return None
    values = entry[key]
    if not isinstance(values, list):
        raise GoldError(f"{where}: field {key!r} must be a list")
    parsed = []
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise GoldError(f"{where}: {key}[{index}] must be an object")
        parsed.append(parse(value, f"{where}: {key}[{index}]"))
    return parsed


def _parse_section(entry: dict[str, Any], where: str) -> GoldSection:
    _check_keys(entry, _SECTION_KEYS, where)
    marker = _optional_value(entry, "marker", str, where) or ""
    return GoldSection(marker=marker, title=_required_text(entry, "title", where))


def _parse_item(entry: dict[str, Any], where: str) -> GoldItem:
    _check_keys(entry, _ITEM_KEYS, where)
    _optional_value(entry, "category", str, where)
    optional = _optional_value(entry, "optional", bool, where) or False
    return GoldItem(text=_required_text(entry, "text", where), optional=optional)


def _parse_metric(entry: dict[str, Any], where: str) -> GoldMetric:
    _check_keys(entry, _METRIC_KEYS, where)
    category = _required_text(entry, "category", where)
    if not _CATEGORY_PATTERN.match(category):
        raise GoldError(f"{where}: field 'category' must be a lower-case name such as 'open_lesson', got {category!r}")
    numbers = {key: _optional_number(entry, key, where) for key in ("value", "value_max", "times_per_period")}
    level = _optional_value(entry, "level", str, where) or "unknown"
    _check_vocab(level, GOLD_LEVELS, f"{where}: field 'level'")
    for key, vocabulary in (("period", GOLD_PERIODS), ("grade", GOLD_GRADES), ("recipient", GOLD_RECIPIENTS)):
        _check_vocab(_optional_value(entry, key, str, where), vocabulary, f"{where}: field {key!r}")
    _optional_value(entry, "unit", str, where)
    return GoldMetric(
        category=category,
        evidence=_required_text(entry, "evidence", where),
        approx=_optional_value(entry, "approx", bool, where) or False,
        qualifier=_optional_value(entry, "qualifier", str, where),
        level=level,
        period=entry.get("period"),
        grade=entry.get("grade"),
        recipient=entry.get("recipient"),
        item=_optional_value(entry, "item", str, where),
        optional=_optional_value(entry, "optional", bool, where) or False,
        **numbers,
    )


def _check_keys(entry: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(key for key in entry if key not in allowed and key not in _NOTE_KEYS and not key.startswith("_"))
    if unknown:
        raise GoldError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _required_text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GoldError(f"{where}: field {key!r} must be a non-empty string, got {value!r}")
    return value


def _optional_value(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if value is not None and not isinstance(value, kind):
        raise GoldError(f"{where}: field {key!r} must be {kind.__name__} or null, got {value!r}")
    return value


def _optional_number(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GoldError(f"{where}: field {key!r} must be a number or null, got {value!r}")
    return float(value)


def _check_vocab(value: Any, vocabulary: frozenset[str], where: str) -> None:
    if value is not None and value not in vocabulary:
        raise GoldError(f"{where} must be one of {', '.join(sorted(vocabulary))} or null, got {value!r}")


# --------------------------------------------------------------------------------------------
# Reading an output folder


@dataclass
class _OutputFolder:
    """The tables of one `reportmine analyze` output folder, grouped by report_id."""

    root: Path
    reports: dict[str, dict[str, Any]]
    tables: dict[str, dict[str, list[dict[str, Any]]]]
    error_paths: dict[str, str]  # path → stage of the files listed in `errors`

    def rows(self, table: str, report_id: str) -> list[dict[str, Any]]:
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


def _read_output(out_dir: Path) -> _OutputFolder:
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: output folder not found (run `reportmine analyze … -o {out_dir}` first)")
    reports = _read_table(out_dir, "reports")
    if reports is None:
        raise InputError(f"{out_dir}: no reports.parquet or reports.csv; is this a `reportmine analyze` output folder?")
    report_rows = {str(row["report_id"]): row for row in reports}
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in ("sections", "metrics", "shortcomings", "plans"):
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
    return _OutputFolder(root=out_dir, reports=report_rows, tables=tables, error_paths=error_paths)


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


def _score_report(scores: Scores, gold: GoldReport, output: _OutputFolder) -> None:
    """Score every annotated table of one gold report."""
    report = output.reports.get(gold.report_id)
    text = output.text(gold.report_id) if report is not None else None
    absent = "report missing from output" if report is None else None
    if report is not None and text is None:
        absent = "report text not found in output folder"
    score_metadata(scores, gold, report)
    if gold.sections is not None:
        score_sections(scores, gold, output.rows("sections", gold.report_id), absent=absent if report is None else None)
    if gold.metrics is not None:
        score_metrics(scores, gold, output.rows("metrics", gold.report_id), text, absent=absent)
    for table in ("shortcomings", "plans"):
        items = getattr(gold, table)
        if items is not None:
            score_items(scores, table, gold.report_id, items, output.rows(table, gold.report_id), text, absent=absent)


# --------------------------------------------------------------------------------------------
# The result


@dataclass
class Evaluation:
    """Scores of one output folder against gold.

    Attributes:
        summary: one row per table and measure: table, measure (precision / recall / f1 /
            accuracy), value, tp, fp, fn, n.
        details: the misses and extras behind the numbers, one row each (DETAIL_COLUMNS).
        out_dir: the output folder scored.
        gold: the gold file or folder.
        n_gold_files: gold JSON files (distinct source documents).
        n_gold_reports: gold reports scored.
    """

    summary: pd.DataFrame
    details: pd.DataFrame
    out_dir: str
    gold: str
    n_gold_files: int
    n_gold_reports: int

    def value(self, table: str, measure: str | None = None) -> float:
        """Return one number of the summary; `measure` defaults to the table's headline measure."""
        measure = measure or _headline_measure(table)
        rows = self.summary[(self.summary["table"] == table) & (self.summary["measure"] == measure)]
        if rows.empty:
            raise KeyError(f"{table}.{measure}")
        return float(rows["value"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as JSON-ready data (NaN and NA become null)."""
        return {
            "out_dir": self.out_dir,
            "gold": self.gold,
            "n_gold_files": self.n_gold_files,
            "n_gold_reports": self.n_gold_reports,
            "summary": _json_records(self.summary),
            "details": _json_records(self.details),
        }

    def write(self, out_dir: Path) -> list[Path]:
        """Write evaluation_summary.csv, evaluation_details.csv (UTF-8 BOM) and evaluation.json."""
        out_dir = Path(out_dir)
        paths = [out_dir / "evaluation_summary.csv", out_dir / "evaluation_details.csv", out_dir / "evaluation.json"]
        # CSVs go through the same writer as the contract tables: BOM, formula cells neutralised.
        write_csv(self.summary, paths[0])
        write_csv(self.details, paths[1])
        write_text_atomic(paths[2], json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return paths


def write_evaluation(evaluation: Evaluation, out_dir: Path) -> list[Path]:
    """Write an evaluation's CSV and JSON files into `out_dir` (see `Evaluation.write`)."""
    return evaluation.write(out_dir)


def evaluate(out_dir: Path, gold: Path) -> Evaluation:
    """Score the tables in `out_dir` (written by `reportmine analyze`) against gold.

    Only reports present in gold are scored: a gold report missing from the output counts all
    its entries as misses; output reports without gold are ignored.

    Raises:
        GoldError: the gold breaks the schema.
        InputError: `out_dir` is not an output folder.
    """
    out_dir, gold = Path(out_dir), Path(gold)
    golds = load_gold(gold)
    output = _read_output(out_dir)
    scores = Scores()
    score_splitting(scores, golds, output.reports, error_paths=output.error_paths)
    for gold_report in golds:
        _score_report(scores, gold_report, output)
    missing = sum(1 for g in golds if g.report_id not in output.reports)
    if missing:
        logger.warning("%d of %d gold reports are missing from %s", missing, len(golds), out_dir)
    return Evaluation(
        summary=_summary_frame(scores),
        details=_details_frame(scores.details),
        out_dir=str(out_dir),
        gold=str(gold),
        n_gold_files=len({g.path for g in golds}),
        n_gold_reports=len(golds),
    )


def _table_order(scores: Scores) -> list[str]:
    metadata_keys = [f"metadata_{key}" for key in GOLD_META_KEYS if f"metadata_{key}" in scores.tallies]
    return [*ACCURACY_TABLES, *metadata_keys, *PRF_TABLES]


def _headline_measure(table: str) -> str:
    return "f1" if table in PRF_TABLES else "accuracy"


def _summary_frame(scores: Scores) -> pd.DataFrame:
    rows = []
    for table in _table_order(scores):
        tally = scores.tallies.get(table, Tally())
        if table in PRF_TABLES:
            precision, recall, f1 = prf(tally.tp, tally.fp, tally.fn)
            for measure, value in (("precision", precision), ("recall", recall), ("f1", f1)):
                rows.append((table, measure, value, tally.tp, tally.fp, tally.fn, tally.tp + tally.fn))
        else:
            accuracy = tally.correct / tally.n if tally.n else math.nan
            rows.append((table, "accuracy", accuracy, tally.correct, None, tally.n - tally.correct, tally.n))
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    for column in ("tp", "fp", "fn", "n"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _details_frame(details: list[dict[str, Any]]) -> pd.DataFrame:
    table_rank = {name: rank for rank, name in enumerate([*ACCURACY_TABLES, *PRF_TABLES])}

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        table = row["table"]
        rank = table_rank.get(table, table_rank["metadata"] + 0.5)  # metadata_<key> after metadata
        start = row["start"] if row["start"] is not None else -1
        return (row["report_id"], rank, table, row["kind"] != "miss", start, str(row["evidence"] or row["text"]))

    frame = pd.DataFrame(sorted(details, key=order), columns=list(DETAIL_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    frame["start"] = frame["start"].astype("Int64")
    return frame


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in frame.astype(object).to_dict("records"):
        records.append({key: _plain(none_if_missing(value)) for key, value in row.items()})
    return records


def _plain(value: Any) -> Any:
    # numpy scalars (int64, float64, bool_) are not JSON serializable; .item() gives the Python value
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------------------------
# Thresholds and rendering


def fail_under(evaluation: Evaluation, thresholds: Mapping[str, float]) -> list[str]:
    """Return a line for every measure below its threshold (empty when all pass).

    Keys name a table (`"metrics_strict"`: its headline measure, f1 or accuracy), a table and
    measure (`"metrics_strict.recall"`), or `"*"` / `"all"` for the headline measure of every
    table. Measures that could not be scored (NaN: nothing annotated) never fail.

    Raises:
        InputError: a key names no table or measure of the summary.
    """
    summary = evaluation.summary
    known = {f"{table}.{measure}" for table, measure in zip(summary["table"], summary["measure"])}
    failing: list[str] = []
    for key, threshold in sorted(thresholds.items()):
        for name in _threshold_targets(key, summary, known):
            table, measure = name.split(".", 1)
            value = evaluation.value(table, measure)
            if math.isnan(value):
                logger.info("%s not scored (nothing annotated); threshold %s ignored", name, threshold)
            elif value < threshold:
                failing.append(f"{name} = {value:.4f} < {threshold:.4f}")
    return list(dict.fromkeys(failing))  # a measure named twice is reported once


def parse_thresholds(values: Iterable[str]) -> dict[str, float]:
    """Return `fail_under` thresholds from CLI values: "0.9" (every table) or "metrics_strict=0.93".

    Raises:
        InputError: a value is not a number between 0 and 1, or not `name=number`.
    """
    thresholds: dict[str, float] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        try:
            threshold = float(number)
        except ValueError:
            threshold = math.nan
        if not 0 <= threshold <= 1:
            raise InputError(f"--fail-under {value!r}: expected a number from 0 to 1, or name=number "
                             "(e.g. metrics_strict=0.9)")
        thresholds[name.strip() or "*"] = threshold
    return thresholds


def _threshold_targets(key: str, summary: pd.DataFrame, known: set[str]) -> list[str]:
    if key in {"*", "all"}:
        tables = list(dict.fromkeys(summary["table"]))
        return [f"{table}.{_headline_measure(table)}" for table in tables]
    name = key if "." in key else f"{key}.{_headline_measure(key)}"
    if name not in known:
        raise InputError(f"unknown measure {key!r}; use one of: *, {', '.join(sorted(known))}")
    return [name]


def render_evaluation(
    evaluation: Evaluation, *, console: Any, max_documents: int = 20, max_rows_per_document: int = 12,
    max_chars: int = 48,
) -> None:
    """Print the summary table, then the misses and extras of each document (truncated).

    Args:
        evaluation: the result of `evaluate`.
        console: a `rich.console.Console`.
        max_documents: documents whose details are shown (the rest are counted).
        max_rows_per_document: detail rows shown per document (the rest are counted).
        max_chars: longest evidence or item text shown before an ellipsis.
    """
    from rich.text import Text

    console.print(_summary_table(evaluation))
    shown = _details_to_show(evaluation.details)
    if shown.empty:  # a perfect score has no misses or extras to list
        console.print("no misses and no extras")
        return
    documents = list(dict.fromkeys(shown["report_id"]))
    for report_id in documents[:max_documents]:
        rows = shown[shown["report_id"] == report_id]
        console.print(_document_table(report_id, rows, max_rows=max_rows_per_document, max_chars=max_chars))
    if len(documents) > max_documents:
        console.print(Text(f"… {len(documents) - max_documents} more documents with misses or extras"))


def _summary_table(evaluation: Evaluation) -> Any:
    from rich.table import Table

    table = Table(
        title=f"reportmine evaluation: {evaluation.n_gold_reports} gold reports in {evaluation.n_gold_files} files",
        title_justify="left",
    )
    for column in ("table", "precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "n"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, rows in evaluation.summary.groupby("table", sort=False):
        measures = dict(zip(rows["measure"], rows["value"]))
        first = rows.iloc[0]
        table.add_row(
            str(name),
            *(_format_score(measures.get(m)) for m in ("precision", "recall", "f1", "accuracy")),
            *(_format_count(first[c]) for c in ("tp", "fp", "fn", "n")),
        )
    return table


def _details_to_show(details: pd.DataFrame) -> pd.DataFrame:
    # A strict miss or extra that is also a lenient one says nothing new: show only the rows
    # where strict and lenient differ (wrong attributes).
    lenient = details[details["table"] == "metrics_lenient"]
    lenient_keys = set(zip(lenient["report_id"], lenient["kind"], lenient["evidence"], lenient["start"]))
    keys = zip(details["report_id"], details["kind"], details["evidence"], details["start"])
    repeated = [table == "metrics_strict" and key in lenient_keys for table, key in zip(details["table"], keys)]
    return details[[not flag for flag in repeated]]


def _document_table(report_id: str, rows: pd.DataFrame, *, max_rows: int, max_chars: int) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{report_id}: {len(rows)} misses/extras"), title_justify="left")
    for column in ("kind", "table", "fact", "evidence / text", "note"):
        table.add_column(column, overflow="fold")
    for row in rows.head(max_rows).itertuples(index=False):
        table.add_row(
            Text(row.kind, style="red" if row.kind == "miss" else "yellow"),
            Text(row.table),
            Text(_describe_fact(row)),
            Text(_truncate(row.evidence if isinstance(row.evidence, str) else row.text, max_chars)),
            Text(_truncate(row.note, max_chars * 2)),
        )
    if len(rows) > max_rows:
        table.caption = f"… {len(rows) - max_rows} more (see evaluation_details.csv)"
    return table


def _describe_fact(row: Any) -> str:
    if not isinstance(row.category, str):
        return ""
    value = "" if pd.isna(row.value) else f" {row.value:g}"
    level = f" ({row.level})" if isinstance(row.level, str) and row.level != "unknown" else ""
    return f"{row.category}{value}{level}"


def _format_score(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.3f}"


def _format_count(value: Any) -> str:
    return "" if pd.isna(value) else str(int(value))


def _truncate(text: Any, limit: int) -> str:
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
