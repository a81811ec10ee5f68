"""Score an analysis output folder against hand-checked gold annotations.

`load_gold` reads and validates gold JSON (docs/annotation.md); `evaluate` compares the tables
written by `reportmine analyze` with it and returns an `Evaluation` (summary and per-document
misses and extras); `fail_under` and `render_evaluation` serve the CLI. The matching rules are
documented in docs/evaluation.md and implemented with the helpers of `evaluate_match`.

    >>> evaluation = evaluate(Path("out"), Path("corpus/gold"))
    >>> evaluation.summary.query("table == 'metrics_strict'")
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportmine.errors import GoldError, InputError
from reportmine.evaluate_match import (
    Candidate,
    Span,
    align_in_order,
    assign_greedy,
    best_overlap,
    find_all,
    fold_title,
    items_overlap_enough,
    prf,
    same_number,
    titles_match,
)

logger = logging.getLogger(__name__)

GOLD_SCHEMA = "reportmine-gold/1"

# Vocabularies a gold file may use (docs/annotation.md, ../shared/DESIGN.md).
GOLD_LEVELS = frozenset({"group", "school", "cluster", "county", "city", "province", "national", "unknown"})
GOLD_PERIODS = frozenset({"day", "week", "2weeks", "month", "semester", "year"})
GOLD_GRADES = frozenset({"special", "first", "second", "third", "excellence", "nomination", "title", "other"})
GOLD_RECIPIENTS = frozenset({"teacher", "student", "school", "unknown"})
GOLD_STAGES = frozenset({"幼儿园", "小学", "初中", "高中"})
GOLD_META_KEYS = ("school", "year", "stage", "region")

# Attributes compared by the strict metric score (`item` and `unit` are never scored).
STRICT_ATTRIBUTES = (
    "value", "value_max", "approx", "qualifier", "level", "period", "times_per_period", "grade", "recipient",
)

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
ACCURACY_TABLES = ("splitting", "titles", "metadata")
DETAIL_COLUMNS = ("table", "report_id", "kind", "category", "value", "level", "evidence", "text", "start", "note")
SUMMARY_COLUMNS = ("table", "measure", "value", "tp", "fp", "fn", "n")
_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@")


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
                return candidate.read_text(encoding="utf-8-sig")
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
    return _OutputFolder(root=out_dir, reports=report_rows, tables=tables)


def _read_table(out_dir: Path, name: str) -> list[dict[str, Any]] | None:
    """Return a table's rows as dicts with None for empty cells; Parquet first, else CSV."""
    parquet, csv = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    if parquet.is_file():
        frame = pd.read_parquet(parquet)
        return [{key: _none_if_missing(value) for key, value in row.items()} for row in frame.to_dict("records")]
    if csv.is_file():
        frame = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        return [{key: _unescape_cell(value) for key, value in row.items()} for row in frame.to_dict("records")]
    return None


def _none_if_missing(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    return value


def _unescape_cell(value: str) -> str | None:
    # CSV cells starting with = + - @ were written with a leading ' (spreadsheet safety).
    if value == "":
        return None
    if len(value) > 1 and value[0] == "'" and value[1] in _SPREADSHEET_TRIGGERS:
        return value[1:]
    return value


def _as_float(value: Any) -> float | None:
    value = _none_if_missing(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        logger.warning("not a number in output: %r", value)
        return None
    return None if math.isnan(number) else number


def _as_int(value: Any) -> int | None:
    number = _as_float(value)
    return None if number is None else int(number)


def _as_bool(value: Any) -> bool:
    value = _none_if_missing(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "t"}
    return bool(value) if value is not None else False


def _as_label(value: Any) -> str | None:
    value = _none_if_missing(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------------------------
# Scoring


@dataclass
class _Tally:
    """Counts behind one summary table: tp/fp/fn for P/R/F1 tables, correct/n for accuracy."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    correct: int = 0
    n: int = 0


@dataclass
class _Scores:
    """Tallies per table plus the detail rows (misses and extras) gathered while scoring."""

    tallies: dict[str, _Tally] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    def tally(self, table: str) -> _Tally:
        return self.tallies.setdefault(table, _Tally())

    def judge(self, table: str, report_id: str, correct: bool, *, text: str, note: str | None = None) -> None:
        """Count one accuracy judgement and record it as a miss when wrong."""
        tally = self.tally(table)
        tally.n += 1
        tally.correct += int(correct)
        if not correct:
            self.add(table, report_id, "miss", {"text": text}, note=note)

    def add(self, table: str, report_id: str, kind: str, detail: Mapping[str, Any], *, note: str | None = None) -> None:
        row = {column: None for column in DETAIL_COLUMNS}
        row.update(detail)
        row.update({"table": table, "report_id": report_id, "kind": kind, "note": note})
        self.details.append(row)


@dataclass(frozen=True)
class _OutputEntry:
    """One output metric or item reduced to what matching needs."""

    category: str | None
    attributes: dict[str, Any]  # STRICT_ATTRIBUTES, normalized (metrics only)
    detail: dict[str, Any]  # what a detail row shows
    span: Span | None


def _score_report(scores: _Scores, gold: GoldReport, output: _OutputFolder) -> None:
    """Score every annotated table of one gold report."""
    report = output.reports.get(gold.report_id)
    text = output.text(gold.report_id) if report is not None else None
    absent = "report missing from output" if report is None else None
    if report is not None and text is None:
        absent = "report text not found in output folder"
    _score_metadata(scores, gold, report)
    if gold.sections is not None:
        _score_sections(scores, gold, output.rows("sections", gold.report_id), absent=absent if report is None else None)
    if gold.metrics is not None:
        _score_metrics(scores, gold, output.rows("metrics", gold.report_id), text, absent=absent)
    for table in ("shortcomings", "plans"):
        items = getattr(gold, table)
        if items is not None:
            _score_items(scores, table, gold.report_id, items, output.rows(table, gold.report_id), text, absent=absent)


def _score_splitting(scores: _Scores, golds: list[GoldReport], output: _OutputFolder) -> None:
    """Score per gold file the number of parts found, and per gold report its title."""
    by_path: dict[str, list[GoldReport]] = {}
    for gold in golds:
        by_path.setdefault(gold.path, []).append(gold)
    found_parts: dict[str, int] = {}
    for row in output.reports.values():
        found_parts[str(row.get("path"))] = found_parts.get(str(row.get("path")), 0) + 1
    for path, file_golds in sorted(by_path.items()):
        # The gold file lists the parts of its file; the highest part number is the count.
        expected = max(gold.part for gold in file_golds)
        found = found_parts.get(path, 0)
        note = None if found == expected else f"{found} part(s) found, gold has {expected}"
        scores.judge("splitting", path, found == expected, text=path, note=note)
    for gold in golds:
        if not gold.title:
            continue
        report = output.reports.get(gold.report_id)
        output_title = _as_label(report.get("title")) if report is not None else None
        correct = fold_title(gold.title) == fold_title(output_title)
        note = "report missing from output" if report is None else f"output title: {output_title}"
        scores.judge("titles", gold.report_id, correct, text=gold.title, note=note)


def _score_metadata(scores: _Scores, gold: GoldReport, report: dict[str, Any] | None) -> None:
    for key, expected in gold.meta.items():
        found = None if report is None else report.get(key)
        if key == "year":
            correct = expected == _as_int(found)
        else:
            correct = (expected or None) == _as_label(found)
        note = "report missing from output" if report is None else f"output: {_as_label(found)}"
        for table in (f"metadata_{key}", "metadata"):
            scores.judge(table, gold.report_id, correct, text=f"{key}: {expected}", note=note)


def _score_sections(scores: _Scores, gold: GoldReport, rows: list[dict[str, Any]], *, absent: str | None) -> None:
    """Align gold top-level headings with the output's depth-1 sections, in order."""
    top = [row for row in rows if _as_int(row.get("depth")) == 1]
    top.sort(key=lambda row: (_as_int(row.get("start")) or 0, str(row.get("section_id"))))
    golds = gold.sections or []

    def matches(g: int, o: int) -> bool:
        row = top[o]
        return titles_match(
            golds[g].title, _as_label(row.get("title")) or "",
            gold_marker=golds[g].marker, output_marker=_as_label(row.get("marker")) or "",
        )

    pairs = dict(align_in_order(len(golds), len(top), matches))
    gold_details = [{"text": f"{s.marker}{s.title}"} for s in golds]
    output_details = [
        {"text": f"{_as_label(r.get('marker')) or ''}{_as_label(r.get('title')) or ''}", "start": _as_int(r.get("start"))}
        for r in top
    ]
    _record(scores, "sections", gold.report_id, gold_details, [False] * len(golds), output_details,
            pairs, set(), gold_note=lambda g: absent)


def _score_metrics(
    scores: _Scores, gold: GoldReport, rows: list[dict[str, Any]], text: str | None, *, absent: str | None
) -> None:
    """Score metrics leniently (category, value, overlap) and strictly (all gold attributes)."""
    golds = gold.metrics or []
    # Rows that break a total down (part_of set) are not facts of their own (annotation rule 1).
    outputs = [_output_metric(row, text) for row in rows if _as_label(row.get("part_of")) is None]
    gold_spans = [find_all(text, metric.evidence) if text else [] for metric in golds]
    gold_attributes = [_gold_attributes(metric) for metric in golds]
    lenient: list[Candidate] = []
    strict: list[Candidate] = []
    for g, metric in enumerate(golds):
        for o, entry in enumerate(outputs):
            if entry.span is None or entry.category != metric.category:
                continue
            if not same_number(metric.value, entry.attributes["value"]):
                continue
            overlap, start, _ = best_overlap(gold_spans[g], entry.span)
            if overlap == 0:
                continue
            lenient.append(Candidate(g, o, overlap, start))
            if not _differing_attributes(gold_attributes[g], entry.attributes):
                strict.append(Candidate(g, o, overlap, start))
    optional = [metric.optional for metric in golds]
    gold_details = [_gold_metric_detail(metric, spans) for metric, spans in zip(golds, gold_spans)]
    output_details = [entry.detail for entry in outputs]
    lenient_pairs, lenient_optional = _match(lenient, optional)
    strict_pairs, strict_optional = _match(strict, optional)

    def gold_note(g: int) -> str | None:
        return absent or (None if gold_spans[g] else "evidence not found in report text")

    def strict_gold_note(g: int) -> str | None:
        if g not in lenient_pairs:
            return gold_note(g)
        differing = _differing_attributes(gold_attributes[g], outputs[lenient_pairs[g]].attributes)
        return "lenient match differs in " + ", ".join(
            f"{key} (gold {gold_attributes[g][key]}, output {outputs[lenient_pairs[g]].attributes[key]})"
            for key in differing
        )

    lenient_partner = {o: g for g, o in lenient_pairs.items()}

    def strict_output_note(o: int) -> str | None:
        return "lenient match of a gold entry with other attributes" if o in lenient_partner else None

    _record(scores, "metrics_lenient", gold.report_id, gold_details, optional, output_details,
            lenient_pairs, lenient_optional, gold_note=gold_note)
    _record(scores, "metrics_strict", gold.report_id, gold_details, optional, output_details,
            strict_pairs, strict_optional, gold_note=strict_gold_note, output_note=strict_output_note)


def _score_items(
    scores: _Scores, table: str, report_id: str, golds: list[GoldItem], rows: list[dict[str, Any]],
    text: str | None, *, absent: str | None,
) -> None:
    """Score shortcomings or plans: pairs whose spans share ≥ 50 % of the shorter one."""
    outputs = [_output_item(row, text) for row in rows]
    gold_spans = [find_all(text, item.text) if text else [] for item in golds]
    candidates: list[Candidate] = []
    for g, spans in enumerate(gold_spans):
        for o, entry in enumerate(outputs):
            if entry.span is None:
                continue
            overlap, start, gold_span = best_overlap(spans, entry.span)
            if gold_span is not None and items_overlap_enough(gold_span, entry.span):
                candidates.append(Candidate(g, o, overlap, start))
    optional = [item.optional for item in golds]
    pairs, optional_outputs = _match(candidates, optional)
    gold_details = [{"text": item.text, "start": spans[0][0] if spans else None} for item, spans in zip(golds, gold_spans)]
    _record(scores, table, report_id, gold_details, optional, [entry.detail for entry in outputs],
            pairs, optional_outputs,
            gold_note=lambda g: absent or (None if gold_spans[g] else "text not found in report text"))


def _match(candidates: list[Candidate], optional: list[bool]) -> tuple[dict[int, int], set[int]]:
    """Return required gold → output pairs, and the outputs that matched an optional entry.

    Required entries are assigned first so that an optional entry never takes an output row
    a required one could have used.
    """
    required = assign_greedy([c for c in candidates if not optional[c.gold_index]])
    taken = {output_index for _, output_index in required}
    rest = [c for c in candidates if optional[c.gold_index] and c.output_index not in taken]
    return dict(required), {output_index for _, output_index in assign_greedy(rest)}


def _record(
    scores: _Scores, table: str, report_id: str, gold_details: list[dict[str, Any]], optional: list[bool],
    output_details: list[dict[str, Any]], pairs: dict[int, int], optional_outputs: set[int], *,
    gold_note: Any = None, output_note: Any = None,
) -> None:
    """Add one report's matching of one table to the tallies and the details."""
    tally = scores.tally(table)
    matched_outputs = set(pairs.values()) | optional_outputs
    tally.tp += len(pairs)
    for g, detail in enumerate(gold_details):
        if g not in pairs and not optional[g]:
            tally.fn += 1
            scores.add(table, report_id, "miss", detail, note=gold_note(g) if gold_note else None)
    for o, detail in enumerate(output_details):
        if o not in matched_outputs:
            tally.fp += 1
            scores.add(table, report_id, "extra", detail, note=output_note(o) if output_note else None)


def _gold_attributes(metric: GoldMetric) -> dict[str, Any]:
    return {key: getattr(metric, key) for key in STRICT_ATTRIBUTES}


def _differing_attributes(gold: Mapping[str, Any], output: Mapping[str, Any]) -> list[str]:
    """Return the strict attributes on which an output metric differs from a gold one."""
    differing = []
    for key in STRICT_ATTRIBUTES:
        expected, found = gold[key], output[key]
        if key in {"value", "value_max", "times_per_period"}:
            equal = same_number(expected, found)
        elif key in {"level", "recipient"}:
            # null and "unknown" both say the text names no level / recipient.
            equal = (expected or "unknown") == (found or "unknown")
        else:
            equal = expected == found
        if not equal:
            differing.append(key)
    return differing


def _gold_metric_detail(metric: GoldMetric, spans: list[Span]) -> dict[str, Any]:
    return {
        "category": metric.category,
        "value": metric.value,
        "level": metric.level,
        "evidence": metric.evidence,
        "start": spans[0][0] if spans else None,
    }


def _output_span(row: Mapping[str, Any], text: str | None, snippet_key: str) -> Span | None:
    """Return the row's (start, end) when valid for `text`, else where its snippet occurs first."""
    if text is None:
        return None
    start, end = _as_int(row.get("start")), _as_int(row.get("end"))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        return (start, end)
    snippet = row.get(snippet_key)
    spans = find_all(text, snippet) if isinstance(snippet, str) else []
    return spans[0] if spans else None


def _output_metric(row: Mapping[str, Any], text: str | None) -> _OutputEntry:
    attributes = {
        "value": _as_float(row.get("value")),
        "value_max": _as_float(row.get("value_max")),
        "approx": _as_bool(row.get("approx")),
        "qualifier": _as_label(row.get("qualifier")),
        "level": _as_label(row.get("level")) or "unknown",
        "period": _as_label(row.get("period")),
        "times_per_period": _as_float(row.get("times_per_period")),
        "grade": _as_label(row.get("grade")),
        "recipient": _as_label(row.get("recipient")),
    }
    span = _output_span(row, text, "evidence")
    detail = {
        "category": _as_label(row.get("category")),
        "value": attributes["value"],
        "level": attributes["level"],
        "evidence": _none_if_missing(row.get("evidence")),
        "start": span[0] if span else _as_int(row.get("start")),
    }
    return _OutputEntry(category=detail["category"], attributes=attributes, detail=detail, span=span)


def _output_item(row: Mapping[str, Any], text: str | None) -> _OutputEntry:
    span = _output_span(row, text, "text")
    detail = {"text": _none_if_missing(row.get("text")), "start": span[0] if span else _as_int(row.get("start"))}
    return _OutputEntry(category=None, attributes={}, detail=detail, span=span)


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
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / "evaluation_summary.csv", out_dir / "evaluation_details.csv", out_dir / "evaluation.json"]
        self.summary.to_csv(paths[0], index=False, encoding="utf-8-sig", lineterminator="\n")
        _spreadsheet_safe(self.details).to_csv(paths[1], index=False, encoding="utf-8-sig", lineterminator="\n")
        paths[2].write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
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
    scores = _Scores()
    _score_splitting(scores, golds, output)
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


def _table_order(scores: _Scores) -> list[str]:
    metadata_keys = [f"metadata_{key}" for key in GOLD_META_KEYS if f"metadata_{key}" in scores.tallies]
    return ["splitting", "titles", "metadata", *metadata_keys, *PRF_TABLES]


def _headline_measure(table: str) -> str:
    return "f1" if table in PRF_TABLES else "accuracy"


def _summary_frame(scores: _Scores) -> pd.DataFrame:
    rows = []
    for table in _table_order(scores):
        tally = scores.tallies.get(table, _Tally())
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
    table_rank = {name: rank for rank, name in enumerate(["splitting", "titles", "metadata", *PRF_TABLES])}

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
        records.append({key: _plain(_none_if_missing(value)) for key, value in row.items()})
    return records


def _plain(value: Any) -> Any:
    # numpy scalars (int64, float64, bool_) are not JSON serializable; .item() gives the Python value
    return value.item() if hasattr(value, "item") else value


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    # Report text is data: a cell starting with = + - @ must not become a formula in Excel.
    safe = frame.copy()
    for column in ("category", "evidence", "text", "note", "report_id"):
        safe[column] = [
            f"'{cell}" if isinstance(cell, str) and cell.startswith(_SPREADSHEET_TRIGGERS) else cell
            for cell in safe[column]
        ]
    return safe


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
    return sorted(set(failing), key=failing.index)


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
    from rich.table import Table
    from rich.text import Text

    summary = Table(title=f"reportmine evaluation: {evaluation.n_gold_reports} gold reports in "
                    f"{evaluation.n_gold_files} files", title_justify="left")
    for column in ("table", "precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "n"):
        summary.add_column(column, justify="left" if column == "table" else "right")
    for table, rows in evaluation.summary.groupby("table", sort=False):
        measures = dict(zip(rows["measure"], rows["value"]))
        first = rows.iloc[0]
        summary.add_row(
            table,
            *(_format_score(measures.get(m)) for m in ("precision", "recall", "f1", "accuracy")),
            *(_format_count(first[c]) for c in ("tp", "fp", "fn", "n")),
        )
    console.print(summary)
    # Strict rows without a note repeat a lenient miss or extra; show only the attribute clashes.
    details = evaluation.details
    shown = details[(details["table"] != "metrics_strict") | details["note"].notna()]
    documents = list(dict.fromkeys(shown["report_id"]))
    for report_id in documents[:max_documents]:
        rows = shown[shown["report_id"] == report_id]
        table = Table(title=Text(f"{report_id}: {len(rows)} misses/extras"), title_justify="left", show_lines=False)
        for column in ("kind", "table", "fact", "evidence / text", "note"):
            table.add_column(column, overflow="fold")
        for row in rows.head(max_rows_per_document).itertuples(index=False):
            table.add_row(
                Text(row.kind, style="red" if row.kind == "miss" else "yellow"),
                Text(row.table),
                Text(_describe_fact(row)),
                Text(_truncate(row.evidence if isinstance(row.evidence, str) else row.text, max_chars)),
                Text(_truncate(row.note, max_chars * 2)),
            )
        if len(rows) > max_rows_per_document:
            table.caption = f"… {len(rows) - max_rows_per_document} more (see evaluation_details.csv)"
        console.print(table)
    if len(documents) > max_documents:
        console.print(Text(f"… {len(documents) - max_documents} more documents with misses or extras"))


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


def iter_gold_files(gold: Path) -> Iterator[Path]:
    """Yield the gold JSON files `load_gold` reads from a file or folder, sorted."""
    gold = Path(gold)
    yield from ([gold] if gold.is_file() else sorted(gold.rglob("*.json")))


__all__: Iterable[str] = [
    "GOLD_SCHEMA", "GoldItem", "GoldMetric", "GoldReport", "GoldSection", "Evaluation",
    "load_gold", "evaluate", "fail_under", "render_evaluation", "write_evaluation", "iter_gold_files",
]
