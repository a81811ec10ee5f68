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
# A teaching verb this close to the fact's anchor says people give it ("共上示范课9节").
_TEACHING_REACH = 3


def organizer_level(view: ReportView, clause: Span, anchor: int, *, hosts_only: bool = False,
                    own_clause: bool = False) -> str | None:
    """Return the level of the organiser of the fact anchored at `anchor`, None when there is none.

    With `own_clause`, only an organiser in the fact's own clause counts (it outranks a level word
    in the clause before: "全学年校内共开展研讨课136节，各备课组每学期至少进行两轮磨课" → group).
    With `hosts_only` (prizes), only a body followed by an organising verb counts ("在学校组织的…
    比赛中，我组两位青年教师获一等奖"): winners are no organisers.
    """
    clause = view.clause_of(clause[0])  # a window inside a clause ("…3场、研讨活动9次") looks at all of it
    spans = [clause] if own_clause else _sentence_until(view, clause)
    found, found_span = None, clause
    for span in spans:
        for match in view.cues.organizers.finditer(view.folded, span[0], min(span[1], anchor)):
            if view.cues.organizer_of[match.group()] and _is_organizer(view, span, match, hosts_only):
                found, found_span = match, span
    if found is None:
        return None
    if hosts_only:
        return view.cues.organizer_of[found.group()]
    organizes_here = view.has(view.cues.organizing_verbs, clause[0], anchor)
    if _qualifies_people(view, found.end()) and not organizes_here:
        return None  # "我组教师共开设公开课22节": the people teach, nobody is said to organise
    if found_span != clause and (_own_subject(view, clause, anchor) or _taught(view, clause, anchor)):
        return None  # "学校…，师傅每学期听徒弟的课不少于10节"; "学校与…结成帮扶对子，…共上示范课9节"
    return view.cues.organizer_of[found.group()]


def body_level(view: ReportView, clause: Span) -> str | None:
    """The level of a body right before an activity word in `clause` ("为科学组教研时间" → group)."""
    cues = view.cues
    for match in cues.organizers.finditer(view.folded, *clause):
        level = cues.organizer_of[match.group()]
        if level is None:
            continue
        gap = cues.body_gap.match(view.folded, match.end(), clause[1])
        trigger = cues.triggers.match(view.folded, gap.end()) if gap else None
        if trigger is not None and cues.cue_of(trigger).kind != BLOCKER:
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


def _own_subject(view: ReportView, clause: Span, anchor: int) -> bool:
    """True when people before the fact, not the object of an organising verb, are its subject."""
    people = view.cues.subject_people.search(view.folded, clause[0], anchor)
    return people is not None and not view.has(view.cues.organizing_verbs, clause[0], people.start())


def _taught(view: ReportView, clause: Span, anchor: int) -> bool:
    """True when the fact is taught or given by people ("共上示范课9节", "作专题讲座3场"), not
    given by people an organiser invited ("邀请市、区教研员作专题讲座4场")."""
    start = max(clause[0], anchor - _TEACHING_REACH)
    return view.has(view.cues.teaching_verbs, start, anchor) and not view.has(
        view.cues.organizing_verbs, clause[0], start)


def _is_organizer(view: ReportView, span: Span, match: re.Match[str], hosts_only: bool) -> bool:
    cues = view.cues
    if view.has(cues.rule_verbs, match.end(), match.end() + _RULE_REACH):
        return False  # "学校要求各备课组…": the doer named in the rule organises
    shadow = cues.organizers.match(view.folded, match.end())
    if shadow is not None and cues.organizer_of[shadow.group()] is None:
        return False  # "学校名师工作室还组织…": a body inside the school
    if _verb_follows(view, match.end()):
        return True
    if hosts_only:
        return False
    if view.has(cues.rule_verbs, max(span[0], match.start() - _RULE_REACH - 2), match.start()):
        return True  # "学校要求高一各备课组每周…": the doer named in the rule
    before = view.folded[match.start() - 1] if match.start() > span[0] else ""
    if before in cues.object_markers:
        return False  # "以教研组为单位", "到结对学校"
    at_start = match.start() - span[0] <= _SUBJECT_REACH - len(match.group()) \
        or cues.listed_subject.fullmatch(view.folded, span[0], match.start()) is not None  # 七、八、九年级备课组
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
