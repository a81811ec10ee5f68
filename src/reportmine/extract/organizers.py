"""The organiser of a fact: the school, group, cluster or centre that holds it (annotation rule 4b).

    >>> from reportmine.extract.clauses import ReportView
    >>> view = ReportView("学校还开展了读书活动，每月举行一次读书交流会。")
    >>> organizer_level(view, view.clause_of(14), 14)
    'school'

When no level word qualifies the lesson, activity or prize, its level is that of the body that
holds, organises, hosts or invites it, named as a subject in the same sentence ("学校每月举办…",
"各备课组实行…，每周集体备课一次", "中心组织了…培训，…共安排专题讲座14场"). A body that only
qualifies people who teach or win is no organiser ("我组教师共开设公开课22节"), unless the fact's
own verb organises ("中心各学科研训员…，每月组织一次…"); nor is one that only sets a rule
("学校要求…"). The words live in resources/metrics.yaml under `organizers`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reportmine.extract.cues import BLOCKER

if TYPE_CHECKING:
    from reportmine.extract.clauses import ReportView, Span

__all__ = ["organizer_level", "body_level"]

# An organiser is a subject when it stands this close to the start of its clause ("本年度学校举办…").
_SUBJECT_REACH = 6
# A people word this close after an organiser makes it qualify them ("我组教师", "学校特级教师").
_QUALIFIER_REACH = 2
# An organising verb this close after the organiser makes it one wherever it stands ("在学校组织的…").
_VERB_REACH = 3
_LONGEST_VERB = 3
# A rule verb this close after the organiser makes it a rule-setter ("学校要求…", "学校明确规定…").
_RULE_REACH = 3
# A body this close before an activity word qualifies the activity ("科学组教研时间", "我们组的固定
# 教研时间", "综合组、语、数研训时间").
_BODY_REACH = 5


def organizer_level(view: ReportView, clause: Span, anchor: int, *, hosts_only: bool = False) -> str | None:
    """Return the level of the organiser of the fact anchored at `anchor`, None when there is none.

    With `hosts_only` (prizes), only a body followed by an organising verb counts ("在学校组织的…
    比赛中，我组两位青年教师获一等奖"): winners are no organisers.
    """
    found, found_span = None, clause
    for span in _sentence_until(view, clause):
        for match in view.cues.organizers.finditer(view.folded, span[0], min(span[1], anchor)):
            if view.cues.organizer_of[match.group()] and _is_organizer(view, span, match, hosts_only):
                found, found_span = match, span
    if found is None:
        return None
    organizes_here = view.has(view.cues.organizing_verbs, clause[0], anchor)
    if found_span != clause and view.has(view.cues.subject_people, clause[0], anchor):
        return None  # "学校…，师傅每学期听徒弟的课不少于10节": the fact has its own subject
    if found_span == clause and _qualifies_people(view, found.end()) and not organizes_here:
        return None  # "我组教师共开设公开课22节": the people teach, nobody is said to organise
    return view.cues.organizer_of[found.group()]


def body_level(view: ReportView, clause: Span) -> str | None:
    """The level of a body right before an activity word in `clause` ("为科学组教研时间" → group)."""
    cues = view.cues
    for match in cues.organizers.finditer(view.folded, *clause):
        level = cues.organizer_of[match.group()]
        if level is None:
            continue
        for trigger in cues.triggers.finditer(view.folded, match.end(), min(clause[1], match.end() + _BODY_REACH + 4)):
            if trigger.start() - match.end() <= _BODY_REACH and cues.cue_of(trigger).kind != BLOCKER:
                return level
    return None


def _sentence_until(view: ReportView, clause: Span) -> list[Span]:
    """The clauses of the sentence (；-parts included) up to and with `clause`, in text order."""
    spans = [clause]
    while True:
        previous = view.previous_clause(spans[-1], across_sentences=True)
        if previous is None or view.folded[previous[1]] in view.cues.sentence_ends:
            return spans[::-1]
        spans.append(previous)


def _is_organizer(view: ReportView, span: Span, match: re.Match[str], hosts_only: bool) -> bool:
    if view.has(view.cues.rule_verbs, match.end(), match.end() + _RULE_REACH):
        return False  # "学校要求各备课组…": the doer named in the rule organises
    if _verb_follows(view, match.end()):
        return True
    if hosts_only:
        return False
    before = view.folded[match.start() - 1] if match.start() > span[0] else ""
    if before in view.cues.object_markers:
        return False  # "以教研组为单位", "到结对学校"
    at_start = match.start() - span[0] <= _SUBJECT_REACH - len(match.group())
    counted = any(q.end == match.start() for q in view.quantities_in(span[0], match.start()))  # 四个备课组
    return at_start or counted


def _verb_follows(view: ReportView, position: int) -> bool:
    adverb = view.cues.win_adverbs.match(view.folded, position)
    start = adverb.end() if adverb else position
    verb = view.cues.organizing_verbs.search(view.folded, start, start + _VERB_REACH + _LONGEST_VERB)
    return verb is not None and verb.start() - start <= _VERB_REACH


def _qualifies_people(view: ReportView, position: int) -> bool:
    people = view.cues.people_after_level.search(view.folded, position, position + _QUALIFIER_REACH + 3)
    return people is not None and people.start() <= position + _QUALIFIER_REACH
