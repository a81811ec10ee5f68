"""Metrics of a report: open lessons, awards, teaching-research activity and publications.

    >>> [(m.category, m.level, m.value, m.approx) for m in extract_metrics("我们进行县级公开教学一次，片级公开教学多次。")]
    [('open_lesson', 'county', 1.0, False), ('open_lesson', 'cluster', None, True)]

The extractor follows docs/annotation.md. One compiled pattern finds the trigger words (category
terms, award grades and titles) in the folded text; each clause holding a trigger is then read
on its own: awards by `extract.awards`, counts ("县公开课16节") and frequencies ("每两周一次",
"每周三下午为固定教研时间") by `extract.counts`. A total's breakdown ("共…5次，分别为语文1次…")
is not repeated; comparisons ("比听十节课还多") and task quotas ("上一节汇报课、写一篇反思") state
no fact. Levels follow annotation rule 4: a level word in the clause (or the clause before), else
the organiser named in the sentence (`extract.organizers`), else unknown. Every Metric carries its
clause as `evidence` with offsets into `text` and the innermost section around it. All cue words
live in resources/metrics.yaml.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from reportmine.extract.awards import award_facts, is_award_anchor
from reportmine.extract.clauses import ReportView, Span
from reportmine.extract.counts import count_facts
from reportmine.extract.cues import BLOCKER, Hit
from reportmine.models import Metric, Section

__all__ = ["extract_metrics"]

# A breakdown ("其中…") reaches to the end of the sentence or of the ；-part.
_BREAKDOWN_SCOPE_END = re.compile(r"[。;!?；！？\n]")
# A count in the clause right after a frequency ("每周一次线上教研，共计14次") is its total.
_FOLLOWING_TOTAL_REACH = 4


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
    for clause, hits in _clauses_with_triggers(view):
        metrics.extend(_clause_facts(view, clause, hits))
    metrics = _drop_breakdowns(view, metrics)
    for metric in metrics:
        _attach_following_total(view, metric)
        metric.evidence = text[metric.start:metric.end]
    if sections:
        for metric, section_id in zip(metrics, _innermost_sections(sections, [m.start for m in metrics])):
            metric.section_id = section_id
    return metrics


def _clauses_with_triggers(view: ReportView) -> list[tuple[Span, list[Hit]]]:
    """Group the trigger hits by the clause they stand in (clauses in text order).

    The hits come in text order, so one sweep over the breaks finds their clauses: a hit before
    the break closing the current clause stands in it, only a later one needs a bisection.
    """
    grouped: list[tuple[Span, list[Hit]]] = []
    breaks = view.breaks
    clause_end = -1  # the break closing the clause of the last hit (len(folded) for the last clause)
    for hit in view.cues.hits(view.folded):
        if hit[1].kind == BLOCKER:
            continue
        position = hit[0].start()
        if position < clause_end:
            grouped[-1][1].append(hit)
            continue
        index = bisect_right(breaks, position)
        clause_end = breaks[index] if index < len(breaks) else len(view.folded)
        grouped.append((view.clauses[index], [hit]))
    return grouped


def _clause_facts(view: ReportView, clause: Span, hits: list[Hit]) -> list[Metric]:
    anchors = [cue for _, cue in hits if is_award_anchor(cue.kind)]
    facts: list[Metric] = []
    # "论文发表、案例获奖共19篇" counts papers: the publication reading wins over a bare 获奖
    if anchors and not (any(cue.kind == "publication" for _, cue in hits) and all(
            cue.value is None and not cue.names_honour and cue.kind == "grade" for cue in anchors)):
        facts = award_facts(view, clause, hits)
    awarded = bool(facts)
    if not awarded:
        facts = count_facts(view, clause, hits)
    # Most clauses state nothing: the vetoes are only asked when they would drop something
    # (the extractors and the vetoes are pure, so the order does not change the result).
    if not facts or view.has(view.cues.negative, *clause):
        return []  # a rule for students ("每生每课至少发言一次") or a plan ("争取…")
    if not awarded and (_compares(view, clause) or _in_task_quota(view, clause)):
        return []
    return facts


def _compares(view: ReportView, clause: Span) -> bool:
    """"收获比听十节课还多", "参加一次完整的磨课，比自己闷头备十节课收获还大": a comparison (or its
    subject, when the next clause of the sentence opens with 比) describes, it counts nothing."""
    if view.has(view.cues.comparison, *clause):
        return True
    following = view.next_clause(clause)
    return following is not None and view.cues.comparison.match(view.folded, *following) is not None


def _in_task_quota(view: ReportView, clause: Span) -> bool:
    """"上一节汇报课、写一篇教学反思", "青年教师每学期上一节汇报课，写两篇教学反思": a quota of written
    work in the clause, or opening the next one, makes the count part of a task list (a rule)."""
    if view.has(view.cues.task_quota, *clause):
        return True
    following = view.next_clause(clause)
    return following is not None and view.cues.task_quota.match(view.folded, *following) is not None


def _drop_breakdowns(view: ReportView, metrics: list[Metric]) -> list[Metric]:
    """Keep a total, drop its parts of the same category ("获奖9篇，其中一等奖2篇")."""
    kept: list[Metric] = []
    total: Metric | None = None
    scope_end = -1
    for metric in metrics:
        if (total and metric.start < scope_end and metric.category == total.category and metric.period is None
                and metric.level in (total.level, "unknown") and view.has(view.cues.breakdown, total.end, metric.end)):
            continue  # a part at another level ("其中…在浙江省…执教示范课一节") is a fact of its own
        kept.append(metric)
        if metric.value is not None and metric.period is None and metric.unit is not None:
            total = metric
            found = _BREAKDOWN_SCOPE_END.search(view.folded, metric.end)
            scope_end = found.start() if found else len(view.folded)
    return kept


def _attach_following_total(view: ReportView, metric: Metric) -> None:
    """"教研组坚持每周一次线上教研，共计14次": the frequency gets value 14."""
    if metric.period is None or metric.value is not None or metric.end >= len(view.folded):
        return
    if view.folded[metric.end] in "。!?\n":
        return
    following = view.clause_of(metric.end + 1)
    total = view.cues.total.match(view.folded, following[0])
    if total is None:
        return
    counts = [q for q in view.quantities_in(total.end(), following[1]) if q.start - total.end() <= _FOLLOWING_TOTAL_REACH]
    if counts and counts[0].quantity.unit == metric.unit:
        metric.value = counts[0].quantity.value
        metric.end = following[1]


def _innermost_sections(sections: Sequence[Section], positions: list[int]) -> list[str | None]:
    """`_innermost_section` of each position in one sweep (a long report has ~1,000 sections and
    thousands of metrics: asking each metric of every section was quadratic).

    The deepest section holding the position wins, the later one in `sections` on equal depth.
    """
    by_start = sorted(range(len(sections)), key=lambda i: sections[i].start)
    found: list[str | None] = [None] * len(positions)
    open_sections: list[int] = []  # indices of sections started at or before the position
    next_section = 0
    for query in sorted(range(len(positions)), key=positions.__getitem__):
        position = positions[query]
        while next_section < len(by_start) and sections[by_start[next_section]].start <= position:
            open_sections.append(by_start[next_section])
            next_section += 1
        # positions only grow: a section ended before this one is over for all that follow
        open_sections = [i for i in open_sections if position < sections[i].end]
        if open_sections:
            found[query] = sections[max(open_sections, key=lambda i: (sections[i].depth, i))].section_id
    return found
