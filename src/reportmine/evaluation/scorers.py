"""One scorer per table: each adds a report's true positives, misses and extras to a `Scores` tally."""
from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportmine.evaluation.matching import (
    STRICT_ATTRIBUTES,
    Candidate,
    Span,
    align_in_order,
    assign_with_optional,
    differing_attributes,
    find_all,
    fold_title,
    items_overlap_enough,
    same_number,
    span_overlaps,
    titles_match,
)
from reportmine.evaluation.reading import OutputFolder, as_bool, as_float, as_int, as_label, none_if_missing

if TYPE_CHECKING:  # gold records are only needed as types here
    from reportmine.evaluation.gold import GoldItem, GoldMetric, GoldReport

logger = logging.getLogger(__name__)

# One row of Evaluation.details: a miss (gold not found) or an extra (output not in gold).
DETAIL_COLUMNS = ("table", "report_id", "kind", "category", "value", "level", "evidence", "text", "start", "note")

_MISSING_REPORT = "report missing from output"

# Gives a detail row's note for gold entry / output row number i (None: no note).
NoteFor = Callable[[int], str | None]


@dataclass
class Tally:
    """Counts behind one summary table: tp/fp/fn for P/R/F1 tables, correct/n for accuracy."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    correct: int = 0
    n: int = 0


@dataclass
class Scores:
    """Tallies per table plus the detail rows (misses and extras) gathered while scoring."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)

    def tally(self, table: str) -> Tally:
        """Return the tally of `table`, created empty on first use."""
        return self.tallies.setdefault(table, Tally())

    def judge(
        self, table: str, report_id: str, correct: bool, *, text: str, note: str | None = None, record: bool = True
    ) -> None:
        """Count one accuracy judgement and, when wrong and `record`, add it as a miss."""
        tally = self.tally(table)
        tally.n += 1
        tally.correct += int(correct)
        if record and not correct:
            self.add(table, report_id, "miss", {"text": text}, note=note)

    def add(self, table: str, report_id: str, kind: str, detail: Mapping[str, Any], *, note: str | None = None) -> None:
        """Record one miss or extra; `detail` fills the DETAIL_COLUMNS it knows."""
        row: dict[str, Any] = {column: None for column in DETAIL_COLUMNS}
        row.update(detail)
        row.update({"table": table, "report_id": report_id, "kind": kind, "note": note})
        self.details.append(row)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Return (precision, recall, f1); NaN everywhere when nothing was scored, 0 for 0/0 parts."""
    if tp + fp + fn == 0:
        return (math.nan, math.nan, math.nan)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (precision, recall, f1)


@dataclass(frozen=True)
class _OutputEntry:
    """One output metric or item reduced to what matching needs."""

    category: str | None
    attributes: dict[str, Any]  # STRICT_ATTRIBUTES, normalized (metrics only)
    detail: dict[str, Any]  # what a detail row shows
    span: Span | None


def score_report(scores: Scores, gold: GoldReport, output: OutputFolder) -> None:
    """Score every annotated table of one gold report."""
    report = output.reports.get(gold.report_id)
    text = output.text(gold.report_id) if report is not None else None
    absent = _MISSING_REPORT if report is None else None
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


def score_splitting(
    scores: Scores, golds: Sequence[GoldReport], output_reports: Mapping[str, Mapping[str, Any]], *,
    error_paths: Mapping[str, str],
) -> None:
    """Score per gold file the number of parts found, and per gold report its title.

    `error_paths` (path → stage, from the `errors` table) tells a file that failed in analyze
    from one that was never in its input (gold relative to another folder).
    """
    by_path: dict[str, list[GoldReport]] = {}
    for gold in golds:
        by_path.setdefault(gold.path, []).append(gold)
    found_parts = Counter(str(row.get("path")) for row in output_reports.values())
    for path, file_golds in sorted(by_path.items()):
        # The gold file lists the parts of its file; the highest part number is the count.
        expected = max(gold.part for gold in file_golds)
        found = found_parts.get(path, 0)
        note = None if found == expected else f"{found} part(s) found, gold has {expected}"
        if found == 0:
            note = _absent_file_note(path, error_paths)
        scores.judge("splitting", path, found == expected, text=path, note=note)
    for gold in golds:
        if not gold.title:
            continue
        report = output_reports.get(gold.report_id)
        output_title = as_label(report.get("title")) if report is not None else None
        correct = fold_title(gold.title) == fold_title(output_title)
        note = _MISSING_REPORT if report is None else f"output title: {output_title}"
        scores.judge("titles", gold.report_id, correct, text=gold.title, note=note)


def _absent_file_note(path: str, error_paths: Mapping[str, str]) -> str:
    if path in error_paths:
        return f"no report: the file failed in analyze (stage {error_paths[path]}, see errors)"
    logger.warning("gold document %s is not in the output at all; is the gold relative to another folder?", path)
    return "document not in this output (neither reports nor errors): gold relative to another input folder?"


def score_metadata(scores: Scores, gold: GoldReport, report: Mapping[str, Any] | None) -> None:
    """Judge each meta field the gold gives (year as an integer, the others as exact strings)."""
    for key, expected in gold.meta.items():
        found = None if report is None else report.get(key)
        if key == "year":
            correct = expected == as_int(found)
        else:
            correct = (expected or None) == as_label(found)
        note = _MISSING_REPORT if report is None else f"output: {as_label(found)}"
        scores.judge(f"metadata_{key}", gold.report_id, correct, text=f"{key}: {expected}", note=note)
        # The pooled measure counts the same judgements; its misses are the per-field ones.
        scores.judge("metadata", gold.report_id, correct, text=f"{key}: {expected}", record=False)


def score_sections(scores: Scores, gold: GoldReport, rows: list[dict[str, Any]], *, absent: str | None) -> None:
    """Align gold top-level headings with the output's depth-1 sections, in order."""
    top = [row for row in rows if as_int(row.get("depth")) == 1]
    top.sort(key=lambda row: (as_int(row.get("start")) or 0, str(row.get("section_id"))))
    golds = gold.sections or []

    def matches(g: int, o: int) -> bool:
        row = top[o]
        return titles_match(
            golds[g].title, as_label(row.get("title")) or "",
            gold_marker=golds[g].marker, output_marker=as_label(row.get("marker")) or "",
        )

    pairs = dict(align_in_order(len(golds), len(top), matches))
    gold_details = [{"text": f"{s.marker}{s.title}"} for s in golds]
    output_details = [
        {"text": f"{as_label(r.get('marker')) or ''}{as_label(r.get('title')) or ''}", "start": as_int(r.get("start"))}
        for r in top
    ]
    _record(scores, "sections", gold.report_id, gold_details, [False] * len(golds), output_details,
            pairs, set(), gold_note=lambda g: absent)


def score_metrics(
    scores: Scores, gold: GoldReport, rows: list[dict[str, Any]], text: str | None, *, absent: str | None
) -> None:
    """Score metrics leniently (category, value, overlap) and strictly (all gold attributes)."""
    golds = gold.metrics or []
    # Rows that break a total down (part_of set) are not facts of their own (annotation rule 1).
    outputs = [_output_metric(row, text) for row in rows if as_label(row.get("part_of")) is None]
    gold_spans = _gold_spans(text, [metric.evidence for metric in golds])
    gold_attributes = [{key: getattr(metric, key) for key in STRICT_ATTRIBUTES} for metric in golds]
    lenient, strict, excusing = _metric_candidates(golds, gold_spans, gold_attributes, outputs)
    optional = [metric.optional for metric in golds]
    gold_details = [_gold_metric_detail(metric, spans) for metric, spans in zip(golds, gold_spans)]
    output_details = [entry.detail for entry in outputs]
    lenient_pairs, lenient_optional = assign_with_optional(lenient, excusing, optional)
    strict_pairs, strict_optional = assign_with_optional(strict, excusing, optional)

    def gold_note(g: int) -> str | None:
        return absent or (None if gold_spans[g] else "evidence not found in report text")

    def strict_gold_note(g: int) -> str | None:
        # A strict miss that matched leniently: say which attributes differ.
        if g not in lenient_pairs:
            return gold_note(g)
        found = outputs[lenient_pairs[g]].attributes
        differing = differing_attributes(gold_attributes[g], found)
        if not differing:
            return "its lenient match went to another gold entry in strict matching"
        return "lenient match differs in " + ", ".join(
            f"{key} (gold {gold_attributes[g][key]}, output {found[key]})" for key in differing
        )

    leniently_matched = set(lenient_pairs.values())

    def strict_output_note(o: int) -> str | None:
        return "lenient match of a gold entry with other attributes" if o in leniently_matched else None

    _record(scores, "metrics_lenient", gold.report_id, gold_details, optional, output_details,
            lenient_pairs, lenient_optional, gold_note=gold_note)
    _record(scores, "metrics_strict", gold.report_id, gold_details, optional, output_details,
            strict_pairs, strict_optional, gold_note=strict_gold_note, output_note=strict_output_note)


def _metric_candidates(
    golds: Sequence[GoldMetric], gold_spans: list[list[Span]], gold_attributes: list[dict[str, Any]],
    outputs: list[_OutputEntry],
) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
    """Return the lenient, the strict and the excusing candidate pairs.

    Strict pairs are lenient pairs with equal attributes. Excusing pairs are every overlap with
    an optional gold entry, whatever the category and value: an entry is optional because its
    category or count is borderline, so an output row on it is never an extra.
    """
    lenient: list[Candidate] = []
    strict: list[Candidate] = []
    excusing: list[Candidate] = []
    for g, o, overlap, start, _ in span_overlaps(gold_spans, [entry.span for entry in outputs]):
        metric, entry = golds[g], outputs[o]
        if metric.optional:
            excusing.append(Candidate(g, o, overlap, start))
            continue
        if entry.category != metric.category or not same_number(metric.value, entry.attributes["value"]):
            continue
        lenient.append(Candidate(g, o, overlap, start))
        if not differing_attributes(gold_attributes[g], entry.attributes):
            strict.append(Candidate(g, o, overlap, start))
    return lenient, strict, excusing


def score_items(
    scores: Scores, table: str, report_id: str, golds: list[GoldItem], rows: list[dict[str, Any]],
    text: str | None, *, absent: str | None,
) -> None:
    """Score shortcomings or plans: pairs whose spans share ≥ 50 % of the shorter one."""
    outputs = [_output_item(row, text) for row in rows]
    gold_spans = _gold_spans(text, [item.text for item in golds])
    output_spans = [entry.span for entry in outputs]
    candidates = [
        Candidate(g, o, overlap, start)
        for g, o, overlap, start, gold_span in span_overlaps(gold_spans, output_spans)
        if items_overlap_enough(gold_span, output_spans[o])
    ]
    optional = [item.optional for item in golds]
    # Pairs with required entries count; pairs with optional ones only excuse an output row.
    pairs, optional_outputs = assign_with_optional(candidates, candidates, optional)
    gold_details = [{"text": item.text, "start": _first_start(spans)} for item, spans in zip(golds, gold_spans)]
    _record(scores, table, report_id, gold_details, optional, [entry.detail for entry in outputs],
            pairs, optional_outputs,
            gold_note=lambda g: absent or (None if gold_spans[g] else "text not found in report text"))


def _record(
    scores: Scores, table: str, report_id: str, gold_details: list[dict[str, Any]], optional: list[bool],
    output_details: list[dict[str, Any]], pairs: dict[int, int], optional_outputs: set[int], *,
    gold_note: NoteFor | None = None, output_note: NoteFor | None = None,
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


def _gold_spans(text: str | None, needles: Sequence[str]) -> list[list[Span]]:
    """Return where each gold evidence or item text occurs in the report text (none without text)."""
    return [find_all(text, needle) if text else [] for needle in needles]


def _first_start(spans: Sequence[Span]) -> int | None:
    return spans[0][0] if spans else None


def _gold_metric_detail(metric: GoldMetric, spans: list[Span]) -> dict[str, Any]:
    return {
        "category": metric.category,
        "value": metric.value,
        "level": metric.level,
        "evidence": metric.evidence,
        "start": _first_start(spans),
    }


def _output_span(row: Mapping[str, Any], text: str | None, snippet_key: str) -> Span | None:
    """Return the row's (start, end) when valid for `text`, else where its snippet occurs first."""
    if text is None:
        return None
    start, end = as_int(row.get("start")), as_int(row.get("end"))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        return (start, end)
    snippet = row.get(snippet_key)
    spans = find_all(text, snippet) if isinstance(snippet, str) else []
    return spans[0] if spans else None


def _output_start(row: Mapping[str, Any], span: Span | None) -> int | None:
    """Return where an output row starts: its matched span, else its own start cell."""
    return span[0] if span else as_int(row.get("start"))


def _output_metric(row: Mapping[str, Any], text: str | None) -> _OutputEntry:
    attributes = {
        "value": as_float(row.get("value")),
        "value_max": as_float(row.get("value_max")),
        "approx": as_bool(row.get("approx")),
        "qualifier": as_label(row.get("qualifier")),
        "level": as_label(row.get("level")) or "unknown",
        "period": as_label(row.get("period")),
        "times_per_period": as_float(row.get("times_per_period")),
        "grade": as_label(row.get("grade")),
        "recipient": as_label(row.get("recipient")),
    }
    span = _output_span(row, text, "evidence")
    detail = {
        "category": as_label(row.get("category")),
        "value": attributes["value"],
        "level": attributes["level"],
        "evidence": none_if_missing(row.get("evidence")),
        "start": _output_start(row, span),
    }
    return _OutputEntry(category=detail["category"], attributes=attributes, detail=detail, span=span)


def _output_item(row: Mapping[str, Any], text: str | None) -> _OutputEntry:
    span = _output_span(row, text, "text")
    detail = {"text": none_if_missing(row.get("text")), "start": _output_start(row, span)}
    return _OutputEntry(category=None, attributes={}, detail=detail, span=span)
