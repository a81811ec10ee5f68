"""Award facts in one clause: grade, level, recipient, item and number of winners.

    >>> from reportmine.extract.clauses import ReportView
    >>> view = ReportView("周阳等3人获市小科学家提名奖；")
    >>> [(m.grade, m.level, m.recipient, m.value) for m in award_facts(view, (0, 14), view_triggers(view))]
    [('nomination', 'city', 'student', 3.0)]

An award anchor is a grade word (一等奖, 提名奖, 称号, 获奖 …) or an honour title (教坛新秀,
小科学家 …); neighbouring anchors ("小科学家" + "提名奖") make one award. The clause text between
the previous award and this one holds its winners: "6名同学获永嘉县小科学家称号" → 6 students,
county. A title alone counts only after a win verb (获, 被评为 …) or before a head count
("市教坛中坚2人").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from reportmine.extract.clauses import ReportView, Span
from reportmine.extract.cues import GRADE, TITLE
from reportmine.models import Metric
from reportmine.text.quantities import QuantityMatch

__all__ = ["award_facts", "view_triggers", "is_award_anchor"]

# Anchors closer than this (and with no count or list comma between) describe one award.
_MERGE_GAP = 6
# A head count may follow its award after this many characters at most ("获奖共19篇").
_TRAILING_COUNT_GAP = 2


@dataclass
class _Anchor:
    start: int
    end: int
    grade: str | None  # from a grade word
    usual_recipient: str | None  # from a title


def is_award_anchor(kind: str) -> bool:
    """True for trigger kinds that make an award (grade words and honour titles)."""
    return kind in (GRADE, TITLE)


def view_triggers(view: ReportView) -> list[re.Match[str]]:
    """Return every trigger match in the view (for doctests and small callers)."""
    return list(view.cues.triggers.finditer(view.folded))


def award_facts(view: ReportView, clause: Span, triggers: list[re.Match[str]]) -> list[Metric]:
    """Return one award Metric per award the clause states, in text order."""
    anchors = _merge(view, [_anchor(view, t) for t in triggers if is_award_anchor(view.cues.trigger_of[t.group()].kind)])
    facts: list[Metric] = []
    segment_start = clause[0]
    for anchor in anchors:
        fact = _award(view, clause, segment_start, anchor)
        if fact is not None:
            facts.append(fact)
        segment_start = anchor.end
    return facts


def _anchor(view: ReportView, trigger: re.Match[str]) -> _Anchor:
    cue = view.cues.trigger_of[trigger.group()]
    if cue.kind == GRADE:
        return _Anchor(trigger.start(), trigger.end(), cue.value, None)
    return _Anchor(trigger.start(), trigger.end(), None, cue.value)


def _merge(view: ReportView, anchors: list[_Anchor]) -> list[_Anchor]:
    """Join anchors that name one award ("小科学家" + "提名奖" → a nomination)."""
    merged: list[_Anchor] = []
    for anchor in anchors:
        if merged and _same_award(view, merged[-1], anchor):
            last = merged[-1]
            merged[-1] = _Anchor(last.start, anchor.end, anchor.grade or last.grade,
                                 last.usual_recipient or anchor.usual_recipient)
        else:
            merged.append(anchor)
    return merged


def _same_award(view: ReportView, first: _Anchor, second: _Anchor) -> bool:
    gap = view.folded[first.end:second.start]
    if len(gap) > _MERGE_GAP or "、" in gap or view.quantities_in(first.end, second.start):
        return False
    return view.cues.win_verbs.search(gap) is None


def _award(view: ReportView, clause: Span, segment_start: int, anchor: _Anchor) -> Metric | None:
    """Build the Metric of one award, or None when the words do not state a won award."""
    cues = view.cues
    if view.has(cues.future, clause[0], anchor.end) or view.has(cues.not_awards, anchor.start, anchor.end + 3):
        return None
    trailing = _trailing_count(view, anchor, clause[1])
    won = anchor.grade is not None or view.has(cues.win_verbs, segment_start, anchor.start)
    if not won and trailing is None:
        return None
    leading = [q for q in view.quantities_in(segment_start, anchor.start) if q.quantity.unit in cues.award_units]
    count = leading[-1] if leading else trailing
    level, evidence_start = view.level_for((segment_start, clause[1]), anchor.end)
    metric = Metric(
        category="award",
        value=1.0,
        level=level,
        grade=anchor.grade or "title",
        recipient=_recipient(view, segment_start, anchor),
        item=_last_word(view, cues.items, segment_start, anchor.start),
        start=min(evidence_start, clause[0]),
        end=clause[1],
    )
    if count is not None:
        quantity = count.quantity
        metric.value, metric.value_max = quantity.value, quantity.value_max
        metric.approx, metric.qualifier, metric.unit = quantity.approx, quantity.qualifier, quantity.unit
    return metric


def _trailing_count(view: ReportView, anchor: _Anchor, clause_end: int) -> QuantityMatch | None:
    """A head count right after the award: "市教坛中坚2人", "获奖共19篇"."""
    for quantity in view.quantities_in(anchor.end, clause_end):
        if quantity.start - anchor.end <= _TRAILING_COUNT_GAP and quantity.quantity.unit in view.cues.award_units:
            return quantity
        break
    return None


def _recipient(view: ReportView, segment_start: int, anchor: _Anchor) -> str:
    word = _last_word(view, view.cues.recipients, segment_start, anchor.start)
    if word is not None:
        return view.cues.recipient_of[word]
    return anchor.usual_recipient or "unknown"


def _last_word(view: ReportView, pattern: re.Pattern[str], start: int, end: int) -> str | None:
    word = None
    for match in pattern.finditer(view.folded, start, end):
        word = match.group()
    return word
