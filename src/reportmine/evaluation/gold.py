"""Gold annotations: the records, `load_gold`, and validation against the gold schema (docs/annotation.md)."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportmine.errors import GoldError
from reportmine.evaluation.matching import STRICT_ATTRIBUTES

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
    optional = _optional_flag(entry, "optional", where)
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
        approx=_optional_flag(entry, "approx", where),
        qualifier=_optional_value(entry, "qualifier", str, where),
        level=level,
        period=entry.get("period"),
        grade=entry.get("grade"),
        recipient=entry.get("recipient"),
        item=_optional_value(entry, "item", str, where),
        optional=_optional_flag(entry, "optional", where),
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


def _optional_flag(entry: Mapping[str, Any], key: str, where: str) -> bool:
    return _optional_value(entry, key, bool, where) or False


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

