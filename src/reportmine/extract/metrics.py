"""Metrics of a report: open lessons, awards, teaching-research activity and publications.

    >>> [(m.category, m.level, m.value, m.approx) for m in extract_metrics("我们进行县级公开教学一次，片级公开教学多次。")]
    [('open_lesson', 'county', 1.0, False), ('open_lesson', 'cluster', None, True)]

The extractor follows docs/annotation.md. One compiled pattern finds the trigger words (category
terms, award grades and titles) in the folded text; each clause holding a trigger is then read
on its own: awards by `extract.awards`, counts ("县公开课16节") and frequencies ("每两周一次",
"每周三下午为固定教研时间") here. Every Metric carries the clause as `evidence` with its offsets
into `text` and the innermost section around it. All cue words live in resources/metrics.yaml.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from reportmine.extract.awards import award_facts, is_award_anchor
from reportmine.extract.clauses import ReportView, Span
from reportmine.extract.cues import BLOCKER, WEAK, metric_cues
from reportmine.models import Metric, Section
from reportmine.text.quantities import QuantityMatch

__all__ = ["extract_metrics"]

# A count belongs to a trigger at most this many characters away in the same clause.
_MAX_TRIGGER_DISTANCE = 20
# The number of a frequency stands at most this far after the period word ("每学期至少组织两次").
_MAX_PERIOD_DISTANCE = 8
_COUNT_CATEGORIES = ("open_lesson", "research_activity", "publication")
_SENTENCE_END = re.compile(r"[。!?！？\n]")


def extract_metrics(text: str, *, sections: Sequence[Section] | None = None) -> list[Metric]:
    """Return the metrics stated in `text`, in text order.

    Args:
        text: a report's normalized text; offsets of the metrics point into it.
        sections: the report's sections; when given, each metric gets the id of the innermost
            section containing it.

    Example: "上了县公开课16节" → open_lesson, level county, value 16, unit 节.
    """
    view = ReportView(text)
    metrics: list[Metric] = []
    for clause, triggers in _clauses_with_triggers(view):
        metrics.extend(_clause_facts(view, clause, triggers))
    metrics = _drop_breakdowns(view, metrics)
    for metric in metrics:
        metric.evidence = text[metric.start:metric.end]
        if sections:
            metric.section_id = _innermost_section(sections, metric.start)
    return metrics


def _clauses_with_triggers(view: ReportView) -> list[tuple[Span, list[re.Match[str]]]]:
    """Group the trigger matches by the clause they stand in (clauses in text order)."""
    grouped: dict[Span, list[re.Match[str]]] = {}
    for match in view.cues.triggers.finditer(view.folded):
        if view.cues.trigger_of[match.group()].kind != BLOCKER:
            grouped.setdefault(view.clause_of(match.start()), []).append(match)
    return list(grouped.items())


def _clause_facts(view: ReportView, clause: Span, triggers: list[re.Match[str]]) -> list[Metric]:
    if view.has(view.cues.negative, *clause):
        return []  # a rule for students ("每生每课至少发言一次"), not a teachers' activity
    kinds = [view.cues.trigger_of[t.group()].kind for t in triggers]
    if any(is_award_anchor(kind) for kind in kinds):
        facts = award_facts(view, clause, triggers)
        if facts:
            return facts
    return _count_facts(view, clause, _count_triggers(view, clause, triggers))


def _count_triggers(view: ReportView, clause: Span, triggers: list[re.Match[str]]) -> list[tuple[int, int, str]]:
    """Return (start, end, category) of the count triggers; a compound takes its head's category.

    "教研公开课" is 教研 + 公开课: the last word of a run of adjacent triggers decides (公开课).
    Weak words ("活动") count as research only in a clause naming a teachers' group.
    """
    group_named = view.last_level(*clause) == "group" or view.first_level(*clause) == "group"
    found: list[tuple[int, int, str]] = []
    for trigger in triggers:
        kind = view.cues.trigger_of[trigger.group()].kind
        if kind == WEAK:
            kind = "research_activity" if group_named else ""
        if kind in _COUNT_CATEGORIES:
            found.append((trigger.start(), trigger.end(), kind))
    for index in range(len(found) - 2, -1, -1):
        if found[index][1] == found[index + 1][0]:
            found[index] = (found[index][0], found[index + 1][1], found[index + 1][2])
            del found[index + 1]
    return found


def _count_facts(view: ReportView, clause: Span, triggers: list[tuple[int, int, str]]) -> list[Metric]:
    """Counts ("公开课16节") and frequencies ("每月一次教研公开课") in one clause."""
    if not triggers:
        return []
    quantities = [q for q in view.quantities_in(*clause) if not view.counts_objects(q)]
    facts: list[Metric] = []
    period = view.cues.periods.search(view.folded, *clause)
    if period is not None:
        frequency = _frequency(view, clause, period, quantities, triggers)
        if frequency is not None:
            metric, used = frequency
            facts.append(metric)
            quantities = [q for q in quantities if q is not used]
    for quantity in quantities:
        if view.folded[quantity.start:quantity.end] not in view.cues.article_counts:
            facts.extend(_count(view, clause, quantity, triggers))
    facts.sort(key=lambda m: m.start)
    return facts


def _frequency(view: ReportView, clause: Span, period: re.Match[str], quantities: list[QuantityMatch],
               triggers: list[tuple[int, int, str]]) -> tuple[Metric, QuantityMatch | None] | None:
    """每两周一次 → (2weeks, 1); 每周三下午为固定教研时间 → (week, 1); None without a number."""
    times = next((q for q in quantities if 0 <= q.start - period.end() <= _MAX_PERIOD_DISTANCE), None)
    weekday = view.cues.weekday_after.match(view.folded, period.end())
    if times is None and (weekday is None or view.cues.period_of[period.group()] != "week"):
        return None
    anchor = times.start if times else period.end()
    trigger = _nearest_trigger(triggers, anchor, anchor + 1, None, within=clause[1] - clause[0])
    if trigger is None:
        return None
    level, evidence_start = view.level_for(clause, trigger[0])
    metric = Metric(category=trigger[2], level=level, period=view.cues.period_of[period.group()],
                    times_per_period=1.0, start=evidence_start, end=clause[1])
    if times is not None:
        quantity = times.quantity
        metric.times_per_period, metric.value_max = quantity.value, quantity.value_max
        metric.approx, metric.qualifier, metric.unit = quantity.approx, quantity.qualifier, quantity.unit
        if not quantity.approx:
            _at_least_before(view, metric, period.end(), times.start)
    return metric, times


def _at_least_before(view: ReportView, metric: Metric, start: int, end: int) -> None:
    """"每学期至少组织两次": an approximate prefix a few words before the number still counts."""
    match = view.cues.approx_prefixes.search(view.folded, start, end)
    if match is not None:
        metric.approx, metric.qualifier = True, view.cues.approx_qualifier_of[match.group()]


def _count(view: ReportView, clause: Span, quantity: QuantityMatch,
           triggers: list[tuple[int, int, str]]) -> list[Metric]:
    """One count, or one per item when it is distributed with 各 ("语文、数学各一次")."""
    trigger = _nearest_trigger(triggers, quantity.start, quantity.end, quantity.quantity.unit)
    if trigger is None:
        return []
    level, evidence_start = view.level_for(clause, min(trigger[0], quantity.start))
    rows = []
    for item in _distributed_items(view, clause, quantity) or [None]:
        q = quantity.quantity
        rows.append(Metric(category=trigger[2], value=q.value, value_max=q.value_max, approx=q.approx,
                           qualifier=q.qualifier, level=level, item=item, unit=q.unit,
                           start=evidence_start, end=clause[1]))
    return rows


def _nearest_trigger(triggers: list[tuple[int, int, str]], start: int, end: int, unit: str | None,
                     *, within: int = _MAX_TRIGGER_DISTANCE) -> tuple[int, int, str] | None:
    """The trigger closest to [start, end) whose category counts in `unit` (any unit if None)."""
    units = metric_cues().category_units
    best, best_distance = None, within + 1
    for trigger in triggers:
        if unit is not None and unit not in units[trigger[2]]:
            continue
        distance = max(trigger[0] - end, start - trigger[1], 0)
        if distance < best_distance:
            best, best_distance = trigger, distance
    return best


def _distributed_items(view: ReportView, clause: Span, quantity: QuantityMatch) -> list[str]:
    """"语文、数学各一次" → ["语文", "数学"]; [] when the count is not distributed with 各."""
    marker = view.cues.distribution_marker
    if quantity.start <= clause[0] or view.folded[quantity.start - 1] != marker:
        return []
    listed = view.folded[clause[0]:quantity.start - 1]
    opener = None
    for opener in view.cues.list_openers.finditer(listed):
        pass
    if opener is not None:
        listed = listed[opener.end():]
    offset = quantity.start - 1 - len(listed)
    items = []
    for part in view.cues.item_separators.split(listed):
        if part.strip():
            index = listed.index(part)
            items.append(view.text[offset + index:offset + index + len(part)].strip())
    return items if len(items) > 1 else []


def _drop_breakdowns(view: ReportView, metrics: list[Metric]) -> list[Metric]:
    """Keep the total, drop its parts ("共…5次，分别为语文1次…", "合计一百余次，其中…各一次")."""
    kept: list[Metric] = []
    total: tuple[int, int] | None = None  # (end of the total's clause, end of its sentence)
    for metric in metrics:
        if total and metric.start < total[1] and view.has(view.cues.breakdown, total[0], metric.end):
            continue
        kept.append(metric)
        if view.has(view.cues.total, metric.start, metric.end):
            total = (metric.end, _sentence_end(view, metric.end))
    return kept


def _sentence_end(view: ReportView, position: int) -> int:
    match = _SENTENCE_END.search(view.folded, position)
    return match.start() if match else len(view.folded)


def _innermost_section(sections: Sequence[Section], position: int) -> str | None:
    inner: Section | None = None
    for section in sections:
        if section.start <= position < section.end and (inner is None or section.depth >= inner.depth):
            inner = section
    return inner.section_id if inner else None
