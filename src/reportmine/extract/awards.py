"""Award facts in one clause: grade, level, recipient, item and number of winners.

    >>> from reportmine.extract.clauses import ReportView
    >>> view = ReportView("周阳等3人获市小科学家提名奖；")
    >>> [(m.grade, m.level, m.recipient, m.value) for m in award_facts(view, (0, 13), view_triggers(view))]
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
from reportmine.extract.cues import GRADE, TITLE, Cue, Hit
from reportmine.extract.organizers import organizer_level
from reportmine.models import Metric
from reportmine.text.quantities import QuantityMatch

__all__ = ["award_facts", "view_triggers", "is_award_anchor"]

# Anchors closer than this (and with no count or list comma between) describe one award.
_MERGE_GAP = 6
# "被评为温州市教师培训工作先进单位": the honour may stand this far after the verb.
_HONOUR_GAP = 12
# A list of awards takes its level from a frame at most this many clauses back.
_FRAME_REACH = 3
# A head count may follow its award after this many characters at most ("获奖共19篇").
_TRAILING_COUNT_GAP = 2
# "一、二等奖" / "一和三等奖": grade digits listed before one 等奖.
_GRADE_LIST = re.compile(r"(?:[特一二三][、和与及])+$")


@dataclass
class _Anchor:
    start: int
    end: int
    grade: str | None  # from a grade word
    usual_recipient: str | None  # from a title
    generic: bool = False  # "获奖": a prize of unstated grade
    names_honour: bool = False  # "被评为": what follows is the honour
    last_word_start: int = -1  # level words end here ("区级优秀教研组" is county, not group)
    title: Span | None = None  # where the honour title stands ("小科学家"), the item when none is named

    def __post_init__(self) -> None:
        if self.last_word_start < 0:
            self.last_word_start = self.start


def is_award_anchor(kind: str) -> bool:
    """True for trigger kinds that make an award (grade words and honour titles)."""
    return kind in (GRADE, TITLE)


def view_triggers(view: ReportView) -> list[Hit]:
    """Return every trigger hit in the view (for doctests and small callers)."""
    return view.cues.hits(view.folded)


def award_facts(view: ReportView, clause: Span, hits: list[Hit]) -> list[Metric]:
    """Return one award Metric per award the clause states, in text order, given its trigger hits."""
    anchors = _merge(view, [_anchor(match, cue) for match, cue in hits if is_award_anchor(cue.kind)])
    facts: list[Metric] = []
    used: set[int] = set()  # starts of the head counts already taken by an award
    segment_start = clause[0]
    quoted, quoted_end = _quoted_honours(view, clause)
    facts.extend(quoted)
    for anchor in anchors:
        if anchor.start < quoted_end:
            segment_start = anchor.end
            continue
        found = [fact for grade in _listed_grades(view, anchor)
                 if (fact := _award(view, clause, segment_start, anchor, grade, used)) is not None]
        facts.extend(found)
        if found:  # a contest name ("在市优秀课例评选中获三等奖") keeps its level for the prize
            segment_start = anchor.end
    return facts


def _quoted_honours(view: ReportView, clause: Span) -> tuple[list[Metric], int]:
    """"学校先后获得“瓯江区文明校园”“省级绿色学校”等称号": one title per quoted honour after a win
    verb, each with its own level. Returns the facts and where the list ends (-1 without one)."""
    found = view.cues.quoted_honours.search(view.folded, *clause)
    if found is None:
        return [], -1
    recipient = _recipient_in(view, clause[0], found.start("names")) or "unknown"
    facts = []
    for name in view.cues.quoted_name.finditer(view.folded, found.start("names"), found.end("names")):
        level = next((lv for lv in view.levels_in(*name.span()) if lv != "group"), "unknown")
        facts.append(Metric(category="award", value=1.0, level=level, grade="title", recipient=recipient,
                            item=view.text[name.start() + 1:name.end() - 1], start=clause[0], end=clause[1]))
    return facts, found.end()


def _anchor(trigger: re.Match[str], cue: Cue) -> _Anchor:
    if cue.kind == GRADE:
        return _Anchor(trigger.start(), trigger.end(), cue.value, None, generic=cue.value is None)
    title = None if cue.names_honour else (trigger.start(), trigger.end())
    return _Anchor(trigger.start(), trigger.end(), None, cue.value, names_honour=cue.names_honour, title=title)


def _merge(view: ReportView, anchors: list[_Anchor]) -> list[_Anchor]:
    """Join anchors that name one award ("小科学家" + "提名奖" → a nomination)."""
    merged: list[_Anchor] = []
    for anchor in anchors:
        if merged and _same_award(view, merged[-1], anchor):
            last = merged[-1]
            merged[-1] = _Anchor(last.start, anchor.end, anchor.grade or last.grade,
                                 last.usual_recipient or anchor.usual_recipient,
                                 generic=last.generic and anchor.generic,
                                 names_honour=last.names_honour or anchor.names_honour,
                                 last_word_start=anchor.start, title=last.title or anchor.title)
        else:
            merged.append(anchor)
    return merged


def _same_award(view: ReportView, first: _Anchor, second: _Anchor) -> bool:
    if first.grade and second.grade and first.grade != "excellence":
        return False  # "一等奖和三等奖" are two awards; "优秀作品一等奖" is one first prize
    gap = view.folded[first.end:second.start]
    reach = _HONOUR_GAP if first.names_honour else _MERGE_GAP
    if len(gap) > reach or "、" in gap or view.quantities_in(first.end, second.start):
        return False
    return view.cues.win_verbs.search(gap) is None


def _listed_grades(view: ReportView, anchor: _Anchor) -> list[str | None]:
    """"分获一、二等奖" → [first, second]; otherwise the anchor's own grade."""
    listed = _GRADE_LIST.search(view.folded, max(0, anchor.start - 8), anchor.start)
    word = view.folded[anchor.start:anchor.end]
    if listed is None or not word.endswith("等奖") or len(word) != 3:
        return [anchor.grade]
    grades = view.cues.trigger_of
    return [grades[ch + "等奖"].value for ch in listed.group()[::2]] + [anchor.grade]


def _award(view: ReportView, clause: Span, segment_start: int, anchor: _Anchor, grade: str | None,
           used: set[int]) -> Metric | None:
    """Build the Metric of one award, or None when the words do not state a won award."""
    cues = view.cues
    sentence_start = _frame(view, clause)[-1][0]  # "共有…13位教师，其中区级骨干教师2名": staff
    if view.has(cues.future, sentence_start, anchor.end) or view.has(cues.not_awards, anchor.start, anchor.end + 3):
        return None
    if view.folded[anchor.last_word_start:anchor.end] in cues.needs_win_verb \
            and not view.has(cues.win_verbs, segment_start, anchor.last_word_start):
        return None  # "学校给予奖励": no prize won
    trailing = _trailing_count(view, anchor, clause[1], used)
    won = anchor.grade is not None or anchor.generic or anchor.names_honour or view.has(cues.win_verbs, segment_start, anchor.start)
    if not won and (trailing is None or view.has(cues.staff, sentence_start, anchor.start)):
        return None
    split = view.has(cues.split_verbs, clause[0], anchor.start)
    leading = [q for q in view.quantities_in(segment_start, anchor.start)
               if q.quantity.unit in cues.award_units and q.start not in used]
    count = None if split else (leading[-1] if leading else trailing)
    level, evidence_start = _level(view, clause, segment_start, anchor)
    item = next((word for span in [(clause[0], anchor.start)] + _frame(view, clause)[1:]
                 if (word := _last_word(view, cues.items, *span)) is not None), None)
    recipient = _recipient(view, clause, segment_start, anchor, item)
    if item is None and anchor.title is not None:
        item = view.text[anchor.title[0]:anchor.title[1]]  # "市教坛中坚2人": the title is what was won
    metric = Metric(category="award", value=1.0, level=level, grade=grade if grade or anchor.generic else "title",
                    recipient=recipient, item=item,
                    start=min(evidence_start, clause[0]), end=clause[1])
    if count is not None:
        used.add(count.start)
        quantity = count.quantity
        metric.value, metric.value_max = quantity.value, quantity.value_max
        metric.approx, metric.qualifier, metric.unit = quantity.approx, quantity.qualifier, quantity.unit
    return metric


def _level(view: ReportView, clause: Span, segment_start: int, anchor: _Anchor) -> tuple[str, int]:
    """The prize's level; teachers' groups are winners, never a prize level ("我组12名幼儿获奖")."""
    cues = view.cues
    before = [level for level in view.levels_in(segment_start, anchor.last_word_start, people=cues.award_people_after_level)
              if level != "group"]
    if before:
        return before[-1], clause[0]
    if anchor.names_honour:  # "学校被评为瓯江区…优秀学校": the honour follows the verb
        after = [lv for lv in view.levels_in(anchor.start, clause[1]) if lv != "group"]
        if after:
            return after[0], clause[0]
    level, start = _level_before(view, clause)
    if level == "unknown":  # "在学校组织的…比赛中，…获一等奖"; "学校举办了…大比武，…，评出一等奖8名"
        gives = view.has(cues.organizer_award_verbs, clause[0], anchor.start)
        host = organizer_level(view, clause, anchor.start, hosts_only=not gives)
        if host is not None:
            return host, clause[0]
    return level, start


def _frame(view: ReportView, clause: Span, *, across_sentences: bool = False) -> list[Span]:
    """The clause and up to _FRAME_REACH clauses before it in the same sentence (or paragraph)."""
    key = ("frame", clause, across_sentences)
    known = view.memo.get(key)
    if known is None:
        known = view.memo[key] = _frame_spans(view, clause, across_sentences)
    return known  # type: ignore[return-value]  # callers only read the list


def _frame_spans(view: ReportView, clause: Span, across_sentences: bool) -> list[Span]:
    spans = [clause]
    for _ in range(_FRAME_REACH):
        previous = view.previous_clause(spans[-1], across_sentences=across_sentences)
        if previous is None:
            break
        spans.append(previous)
    return spans


def _level_before(view: ReportView, clause: Span) -> tuple[str, int]:
    """The level set by the frame of a list of awards: "在区新教师基本功比赛中，A获一等奖，B获三等奖"
    (the clause before widens the evidence; a frame further back only lends its level)."""
    span: Span | None = clause
    for steps in range(_FRAME_REACH):
        span = view.previous_clause(span) if span else None
        if span is None:
            break
        levels = [lv for lv in view.levels_in(*span, people=view.cues.award_people_after_level) if lv != "group"]
        if levels:
            return levels[-1], span[0] if steps == 0 else clause[0]
    return "unknown", clause[0]


def _trailing_count(view: ReportView, anchor: _Anchor, clause_end: int, used: set[int]) -> QuantityMatch | None:
    """A head count right after the award: "市教坛中坚2人", "获奖共19篇", "一等奖3人"."""
    units = view.cues.award_units if anchor.grade or anchor.generic else view.cues.title_count_units
    for quantity in view.quantities_in(anchor.end, clause_end):
        if quantity.start - anchor.end <= _TRAILING_COUNT_GAP and quantity.quantity.unit in units \
                and quantity.start not in used:
            return quantity
        break
    return None


def _recipient(view: ReportView, clause: Span, segment_start: int, anchor: _Anchor, item: str | None) -> str:
    """Who won: named in the segment, else the title's holder, else named earlier, else the item's maker."""
    recipient = _recipient_in(view, segment_start, anchor.start)
    if recipient is not None:
        return recipient
    if anchor.usual_recipient:
        return anchor.usual_recipient
    spans = [(clause[0], anchor.start)] + _frame(view, clause)[1:]
    author = next((found for span in spans if (found := _author_in(view, *span)) is not None), None)
    if author is not None:
        return author
    for start, end in spans:
        recipient = _recipient_in(view, start, end)
        if recipient is not None:
            return recipient
    if item is not None:
        return view.cues.item_recipient_of[item]
    return "unknown"


def _author_in(view: ReportView, start: int, end: int) -> str | None:
    """The maker of the awarded work: a recipient word right before a making verb ("学校开发了…")."""
    for match in view.cues.recipients.finditer(view.folded, start, end):
        recipient = view.cues.recipient_of[match.group()]
        adverb = view.cues.win_adverbs.match(view.folded, match.end())
        if recipient is not None and view.cues.making_verbs.match(view.folded, adverb.end() if adverb else match.end()):
            return recipient
    return None


def _recipient_in(view: ReportView, start: int, end: int) -> str | None:
    """The recipient named last in [start, end); a school word only right before the win
    ("学校被评为…", not "我校有7件作品获奖")."""
    found = None
    for match in view.cues.recipients.finditer(view.folded, start, end):
        recipient = view.cues.recipient_of[match.group()]
        if recipient is not None and (recipient != "school" or _right_before_win(view, match.end(), end)):
            found = recipient
    return found


def _right_before_win(view: ReportView, position: int, anchor_start: int) -> bool:
    adverb = view.cues.win_adverbs.match(view.folded, position)  # "学校先后获得…"
    position = adverb.end() if adverb else position
    verb = view.cues.win_verbs.search(view.folded, position, anchor_start + 3)
    return (verb is not None and verb.start() - position <= 1) or anchor_start - position <= 1


def _last_word(view: ReportView, pattern: re.Pattern[str], start: int, end: int) -> str | None:
    word = None
    for match in pattern.finditer(view.folded, start, end):
        word = match.group()
    return word
