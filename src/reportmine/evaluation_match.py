"""How `reportmine.evaluate` pairs gold entries with output rows and counts the result.

Primitives (spans, title folding, one-to-one assignment) come first, then one scorer per table
that adds a report's true positives, misses and extras to a `Scores` tally. Everything is
deterministic: the same candidates always give the same pairs, so evaluation numbers never change
between runs. The rules are documented in docs/evaluation.md.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # gold records are defined next to their loader; only types are needed here
    from reportmine.evaluation import GoldItem, GoldMetric, GoldReport

logger = logging.getLogger(__name__)

Span = tuple[int, int]

# Attributes compared by the strict metric score (`item` and `unit` are never scored).
STRICT_ATTRIBUTES = (
    "value", "value_max", "approx", "qualifier", "level", "period", "times_per_period", "grade", "recipient",
)
# One row of Evaluation.details: a miss (gold not found) or an extra (output not in gold).
DETAIL_COLUMNS = ("table", "report_id", "kind", "category", "value", "level", "evidence", "text", "start", "note")

# An item pair matches when the spans share at least this share of the shorter span.
ITEM_MIN_OVERLAP = 0.5

# Full-width and half-width forms of a marker must compare equal: （一） == (一), 1． == 1.
_MARKER_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Candidate:
    """A possible gold ↔ output pairing with the evidence that supports it."""

    gold_index: int
    output_index: int
    overlap: int  # characters shared by the two spans (0 for pairs not based on spans)
    start: int  # where the shared characters begin (earlier wins among equal overlaps)


def find_all(text: str, needle: str) -> list[Span]:
    """Return every (start, end) span where `needle` occurs in `text`, overlapping ones included."""
    if not needle:
        return []
    spans: list[Span] = []
    position = text.find(needle)
    while position != -1:
        spans.append((position, position + len(needle)))
        position = text.find(needle, position + 1)
    return spans


def overlap_length(first: Span, second: Span) -> int:
    """Return how many characters two half-open spans share (0 when disjoint)."""
    return max(0, min(first[1], second[1]) - max(first[0], second[0]))


def best_overlap(gold_spans: Sequence[Span], output_span: Span) -> tuple[int, int, Span | None]:
    """Return (overlap, start, gold span) of the gold occurrence sharing most with `output_span`.

    Among equally good occurrences the earliest wins, so the choice does not depend on order.
    """
    best: tuple[int, int, Span | None] = (0, 0, None)
    for gold_span in sorted(gold_spans):
        shared = overlap_length(gold_span, output_span)
        if shared > best[0]:
            best = (shared, max(gold_span[0], output_span[0]), gold_span)
    return best


def items_overlap_enough(gold_span: Span, output_span: Span, *, minimum: float = ITEM_MIN_OVERLAP) -> bool:
    """Return True when the spans share at least `minimum` of the shorter span's length."""
    shorter = min(gold_span[1] - gold_span[0], output_span[1] - output_span[0])
    if shorter <= 0:
        return False
    return overlap_length(gold_span, output_span) >= minimum * shorter


def assign_greedy(candidates: Sequence[Candidate]) -> list[tuple[int, int]]:
    """Return one-to-one (gold_index, output_index) pairs chosen greedily from `candidates`.

    Pairs are taken by overlap (largest first), then earlier start, then gold and output order,
    skipping any pair whose gold entry or output row is already taken.
    """
    ordered = sorted(candidates, key=lambda c: (-c.overlap, c.start, c.gold_index, c.output_index))
    taken_gold: set[int] = set()
    taken_output: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for candidate in ordered:
        if candidate.gold_index in taken_gold or candidate.output_index in taken_output:
            continue
        taken_gold.add(candidate.gold_index)
        taken_output.add(candidate.output_index)
        pairs.append((candidate.gold_index, candidate.output_index))
    return sorted(pairs)


def align_in_order(n_gold: int, n_output: int, matches: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Return the largest order-preserving one-to-one pairing (a longest common subsequence).

    `matches(g, o)` says whether gold entry g may pair with output entry o. Among equally long
    alignments the one pairing the earliest output entries wins, so the result is deterministic.
    """
    # best[g][o] = size of the best alignment of gold[g:] with output[o:]
    best = [[0] * (n_output + 1) for _ in range(n_gold + 1)]
    for g in range(n_gold - 1, -1, -1):
        for o in range(n_output - 1, -1, -1):
            paired = best[g + 1][o + 1] + 1 if matches(g, o) else 0
            best[g][o] = max(paired, best[g + 1][o], best[g][o + 1])
    pairs: list[tuple[int, int]] = []
    g = o = 0
    while g < n_gold and o < n_output:
        if matches(g, o) and best[g][o] == best[g + 1][o + 1] + 1:
            pairs.append((g, o))
            g, o = g + 1, o + 1
        elif best[g + 1][o] >= best[g][o + 1]:
            g += 1
        else:
            o += 1
    return pairs


def fold_title(title: str | None) -> str:
    """Return a title reduced for comparison: NFKC, case-folded, no punctuation or whitespace."""
    if not title:
        return ""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in folded if not _is_punctuation_or_space(ch))


def fold_marker(marker: str | None) -> str:
    """Return a heading marker in one width and without spaces: （一） and (一) compare equal."""
    if not marker:
        return ""
    return _MARKER_SPACE.sub("", unicodedata.normalize("NFKC", marker))


def titles_match(gold_title: str, output_title: str, *, gold_marker: str, output_marker: str) -> bool:
    """Return True when two section headings name the same section.

    Equal folded titles always match; otherwise one folded title containing the other is
    accepted only when the markers are equal (an extractor that kept body text on the heading
    line, or cut the title short, still finds the right section).
    """
    gold_folded, output_folded = fold_title(gold_title), fold_title(output_title)
    if gold_folded == output_folded:
        return True
    if not gold_folded or not output_folded:
        return False
    contained = gold_folded in output_folded or output_folded in gold_folded
    return contained and fold_marker(gold_marker) == fold_marker(output_marker)


def same_number(first: float | None, second: float | None) -> bool:
    """Return True when two optional quantities are equal (None equals only None)."""
    if first is None or second is None:
        return first is None and second is None
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-9)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Return (precision, recall, f1); NaN everywhere when nothing was scored, 0 for 0/0 parts."""
    if tp + fp + fn == 0:
        return (math.nan, math.nan, math.nan)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (precision, recall, f1)


def _is_punctuation_or_space(ch: str) -> bool:
    # P* = punctuation (，、。：“” …), Z* = separators; S* covers symbols such as ～ and ·
    return ch.isspace() or unicodedata.category(ch)[0] in {"P", "Z", "S"}


# --------------------------------------------------------------------------------------------
# Reading output cells


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


# --------------------------------------------------------------------------------------------
# Scoring


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
    found_parts: dict[str, int] = {}
    for row in output_reports.values():
        found_parts[str(row.get("path"))] = found_parts.get(str(row.get("path")), 0) + 1
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
        note = "report missing from output" if report is None else f"output title: {output_title}"
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
        note = "report missing from output" if report is None else f"output: {as_label(found)}"
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
    gold_spans = [find_all(text, metric.evidence) if text else [] for metric in golds]
    gold_attributes = [{key: getattr(metric, key) for key in STRICT_ATTRIBUTES} for metric in golds]
    lenient, strict, excusing = _metric_candidates(golds, gold_spans, gold_attributes, outputs)
    optional = [metric.optional for metric in golds]
    gold_details = [_gold_metric_detail(metric, spans) for metric, spans in zip(golds, gold_spans)]
    output_details = [entry.detail for entry in outputs]
    lenient_pairs, lenient_optional = _match(lenient, excusing, optional)
    strict_pairs, strict_optional = _match(strict, excusing, optional)

    def gold_note(g: int) -> str | None:
        return absent or (None if gold_spans[g] else "evidence not found in report text")

    def strict_gold_note(g: int) -> str | None:
        # A strict miss that matched leniently: say which attributes differ.
        if g not in lenient_pairs:
            return gold_note(g)
        found = outputs[lenient_pairs[g]].attributes
        differing = _differing_attributes(gold_attributes[g], found)
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
    for g, metric in enumerate(golds):
        for o, entry in enumerate(outputs):
            if entry.span is None:
                continue
            overlap, start, _ = best_overlap(gold_spans[g], entry.span)
            if overlap == 0:
                continue
            if metric.optional:
                excusing.append(Candidate(g, o, overlap, start))
                continue
            if entry.category != metric.category or not same_number(metric.value, entry.attributes["value"]):
                continue
            lenient.append(Candidate(g, o, overlap, start))
            if not _differing_attributes(gold_attributes[g], entry.attributes):
                strict.append(Candidate(g, o, overlap, start))
    return lenient, strict, excusing


def score_items(
    scores: Scores, table: str, report_id: str, golds: list[GoldItem], rows: list[dict[str, Any]],
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
    pairs, optional_outputs = _match(
        [c for c in candidates if not optional[c.gold_index]], [c for c in candidates if optional[c.gold_index]], optional
    )
    gold_details = [{"text": item.text, "start": spans[0][0] if spans else None} for item, spans in zip(golds, gold_spans)]
    _record(scores, table, report_id, gold_details, optional, [entry.detail for entry in outputs],
            pairs, optional_outputs,
            gold_note=lambda g: absent or (None if gold_spans[g] else "text not found in report text"))


def _match(
    required: list[Candidate], excusing: list[Candidate], optional: list[bool]
) -> tuple[dict[int, int], set[int]]:
    """Return required gold → output pairs, and the outputs excused by an optional entry.

    Required entries are assigned first so that an optional entry never takes an output row a
    required one could have used; each optional entry then excuses at most one leftover row.
    """
    pairs = assign_greedy([c for c in required if not optional[c.gold_index]])
    taken = {output_index for _, output_index in pairs}
    rest = [c for c in excusing if optional[c.gold_index] and c.output_index not in taken]
    return dict(pairs), {output_index for _, output_index in assign_greedy(rest)}


def _record(
    scores: Scores, table: str, report_id: str, gold_details: list[dict[str, Any]], optional: list[bool],
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
    start, end = as_int(row.get("start")), as_int(row.get("end"))
    if start is not None and end is not None and 0 <= start < end <= len(text):
        return (start, end)
    snippet = row.get(snippet_key)
    spans = find_all(text, snippet) if isinstance(snippet, str) else []
    return spans[0] if spans else None


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
        "start": span[0] if span else as_int(row.get("start")),
    }
    return _OutputEntry(category=detail["category"], attributes=attributes, detail=detail, span=span)


def _output_item(row: Mapping[str, Any], text: str | None) -> _OutputEntry:
    span = _output_span(row, text, "text")
    detail = {"text": none_if_missing(row.get("text")), "start": span[0] if span else as_int(row.get("start"))}
    return _OutputEntry(category=None, attributes={}, detail=detail, span=span)
