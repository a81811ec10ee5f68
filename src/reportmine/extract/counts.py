"""Counts and frequencies of open lessons, research activity and publications in one clause.

    >>> from reportmine.extract.clauses import ReportView
    >>> view = ReportView("教研组每月一次教研公开课。")
    >>> [(m.category, m.level, m.period, m.times_per_period) for m in count_facts(view, (0, 12), view.cues.hits(view.folded))]
    [('open_lesson', 'group', 'month', 1.0)]

A count is a quantity with a unit of the category ("县公开课16节") near a trigger word in the
same clause; a frequency is a period word with its number ("每两周一次") or a weekly slot
("每周三下午为固定教研时间" → once a week). "语文、数学各一次" gives one row per item.
"""
from __future__ import annotations

import re

from reportmine.extract.clauses import ReportView, Span
from reportmine.extract.cues import WEAK, Hit, metric_cues
from reportmine.models import Metric
from reportmine.text.quantities import Quantity, QuantityMatch, parse_quantity

__all__ = ["count_facts", "COUNT_CATEGORIES"]

COUNT_CATEGORIES = ("open_lesson", "research_activity", "publication")
# A count belongs to a trigger at most this many characters away in the same clause.
_MAX_TRIGGER_DISTANCE = 20
# A head count ("三个学段", "两位老师") may stand this far before 各.
_HINT_REACH = 6
_DAY_SEPARATORS = re.compile(r"[、,和及与]")
# A clause this short before the fact may hold its period ("每学期末，…").
_LEAD_PERIOD_MAX = 6
# The count follows its total word this closely ("共计6个专题", "共9节").
_TOTAL_REACH = 3
_CN_DIGITS = frozenset("一二三四五六七八九")
_ATTRIBUTIVE = "的"  # "数学组的教研时间": the item is 数学组
# A verb of giving a lesson stands at most this far before the lesson word ("执教公开课").
_LESSON_VERB_REACH = 4

Trigger = tuple[int, int, str, bool]  # start, end, category, weak ("活动": only right by its count)
# A weak trigger ("活动", "集中") reaches its count only this far ("每周活动一次").
_WEAK_DISTANCE = 4
# A quoted activity name before a weak word ("“课标与教材对读”活动") is at most this long.
_QUOTED_TITLE_MAX = 32


def count_facts(view: ReportView, clause: Span, hits: list[Hit]) -> list[Metric]:
    """Return the counts and frequencies the clause states (text order), given its trigger hits."""
    compact = [match for match, cue in hits if cue.compact]
    if compact:
        return [_compact_frequency(view, clause, match) for match in compact]
    period = view.cues.periods.search(view.folded, *clause) or _lead_period(view, clause)
    in_clause = view.quantities_in(*clause)
    # The total in the clause after is asked last and again where it is used (it is pure): most
    # clauses with a count or a period never need it.
    if period is None and not in_clause and not any(cue.kind == "open_lesson" for _, cue in hits) \
            and _following_total(view, clause) is None:
        return []  # nothing to count: most clauses with a trigger word end here
    triggers = _count_triggers(view, clause, hits)
    if not triggers:
        return []
    if period is None and view.has(view.cues.per_unit, *clause):
        # "每位教师一学年至少开一节公开课" is an allotment; "…都上了一节研讨课，共9节" has a total;
        # "6位青年教师每人上一节" counts 6 (annotation rule 2)
        following_total = _following_total(view, clause)
        if following_total:
            return _total_count(view, clause, following_total, triggers)
        return _per_person(view, clause, triggers)
    quantities = [q for q in in_clause if view.is_count(q)]
    quantities = [q for q, following in zip(quantities, quantities[1:] + [None])
                  if following is None or not _is_head_count(view, q, following)]
    facts: list[Metric] = []
    if period is not None:
        frequency, used = _frequencies(view, clause, period, quantities, triggers)
        facts.extend(frequency)
        quantities = [q for q in quantities if q not in used]
    window_start = clause[0]
    for quantity in quantities:
        if not view.is_article(quantity):
            facts.extend(_count(view, (window_start, clause[1]), quantity, triggers))
        window_start = quantity.end
    if not facts and (following_total := _following_total(view, clause)) is not None:
        facts.extend(_total_count(view, clause, following_total, triggers))
    if not facts:
        facts.extend(_single_lessons(view, clause, triggers))
    return sorted(facts, key=lambda metric: metric.start)


def _compact_frequency(view: ReportView, clause: Span, match: re.Match[str]) -> Metric:
    """"教研组活动实行“隔周一研”" → research every two weeks, once."""
    parts = view.cues.compact_frequency.match(view.folded, match.start())
    assert parts is not None  # the trigger is this very pattern
    times = parse_quantity(parts.group("times"))
    level, evidence_start = view.level_for(clause, match.start(), people=view.cues.people_after_level,
                                           organizers=True, same_kind="research_activity")
    return Metric(category="research_activity", level=level,
                  period=view.cues.period_of[parts.group("period")],
                  times_per_period=times.value if times else None, start=evidence_start, end=clause[1])


def _lead_period(view: ReportView, clause: Span) -> re.Match[str] | None:
    """"每学期末，教科室组织一次…": a short clause before holding only the period."""
    previous = view.previous_clause(clause)
    if previous is None or previous[1] - previous[0] > _LEAD_PERIOD_MAX:
        return None
    return view.cues.periods.search(view.folded, *previous)


def _following_total(view: ReportView, clause: Span) -> QuantityMatch | None:
    """"…提升培训，共计6个专题": the count in a clause right after, led by a total word."""
    if clause[1] >= len(view.folded) or view.folded[clause[1]] in "。!?;\n":
        return None
    following = view.clause_of(clause[1] + 1)
    total = view.cues.total.match(view.folded, following[0])
    if total is None or view.cues.triggers.search(view.folded, *following):
        return None
    counts = view.quantities_in(total.end(), following[1])
    return counts[0] if counts and counts[0].start - total.end() <= _TOTAL_REACH else None


def _total_count(view: ReportView, clause: Span, total: QuantityMatch, triggers: list[Trigger]) -> list[Metric]:
    trigger = next((t for t in reversed(triggers) if total.quantity.unit in metric_cues().category_units[t[2]]), None)
    if trigger is None:
        return []
    level, evidence_start = view.level_for(clause, trigger[0], people=view.cues.people_after_level,
                                           organizers=True, same_kind=trigger[2])
    q = total.quantity
    return [Metric(category=trigger[2], value=q.value, value_max=q.value_max, approx=q.approx,
                   qualifier=q.qualifier, level=level, unit=q.unit, start=evidence_start,
                   end=view.clause_of(total.start)[1])]


def _count_triggers(view: ReportView, clause: Span, hits: list[Hit]) -> list[Trigger]:
    """Return the count triggers; a compound takes its head's category ("教研公开课" → 公开课).

    Weak words ("活动", "集中") count as research only in a clause naming a teachers' group or
    a frequency, and never after students in the sentence ("开设…拓展性课程，每周二下午活动一次").
    """
    kinds = [cue.kind for _, cue in hits]
    # Asked only when the clause has a weak word (most have none): it reads the whole sentence.
    weak_allowed = WEAK in kinds and (view.names_group(*clause) or view.has(view.cues.periods, *clause)) \
        and not view.has(view.cues.student_activity, view.sentence_of(clause)[0], clause[1])
    found: list[Trigger] = []
    for (match, _), kind in zip(hits, kinds):
        weak = kind == WEAK
        if weak:
            kind = "research_activity" if weak_allowed else ""
        if kind in COUNT_CATEGORIES:
            found.append((_title_start(view, match.start()) if weak else match.start(), match.end(), kind, weak))
    for index in range(len(found) - 2, -1, -1):
        modifier, head = found[index], found[index + 1]
        if modifier[1] == head[0]:
            # the head names the category, unless it is a weak word ("研讨" + "活动")
            category, weak = (modifier[2], modifier[3]) if head[3] else (head[2], False)
            found[index] = (modifier[0], head[1], category, weak)
            del found[index + 1]
    return found


def _title_start(view: ReportView, position: int) -> int:
    """Where a quoted name ending at `position` starts ("“课标与教材对读”活动": the weak word takes
    the name as its own), else `position`."""
    window = max(0, position - _QUOTED_TITLE_MAX)
    for name in view.cues.quoted_name.finditer(view.folded, window, position):
        if name.end() == position:
            return name.start()
    return position


def _frequencies(view: ReportView, clause: Span, period: re.Match[str], quantities: list[QuantityMatch],
                 triggers: list[Trigger]) -> tuple[list[Metric], list[QuantityMatch]]:
    """每两周一次 → (2weeks, 1); 每周三、周五各安排一次 → (week, 2); 每周三下午为…时间 → (week, 1)."""
    cues = view.cues
    after = [q for q in quantities if q.start >= period.end()]
    times = after[0] if after else None
    days = cues.weekday_run.match(view.folded, period.end())
    per_day = times is not None and cues.distribution.search(view.folded, period.end(), times.start)
    if days is not None and not per_day:
        times, used = None, quantities  # a timetable slot: 第七、八节 are lesson periods, not counts
    else:
        used = [times] if times else []
    if times is None and days is None and not view.has(cues.schedule, *clause):
        return [], []
    anchor = (times.start, times.end) if times else (period.start(), period.end())
    scheduled = [t for t in triggers if t[2] != "publication"]  # papers are not scheduled
    trigger = _nearest_trigger(scheduled, *anchor, None, within=clause[1] - clause[0]) \
        or _slot_trigger(view, scheduled)
    if trigger is None:
        return [], []
    level, evidence_start = view.level_for(clause, trigger[0], people=cues.people_after_level, same_kind=trigger[2],
                                           organizers=trigger[2] != "publication")
    quantity = times.quantity if times else Quantity(1.0)
    n_days = len(_DAY_SEPARATORS.findall(days.group())) + 1 if days else 1
    items = _distributed_items(view, clause[0], times) if times and not days else []
    if days is not None and times is None:
        items = _respective_items(view, days.end(), trigger[0], n_days)
        n_days = 1 if items else n_days
    rows = []
    for item in (items if items else [None]):
        metric = Metric(category=trigger[2], level=level, period=cues.period_of[period.group()],
                        times_per_period=None if quantity.value is None else quantity.value * n_days,
                        approx=quantity.approx, qualifier=quantity.qualifier,  # 三四次: 3, approx (rule 3)
                        unit=quantity.unit, item=item, start=evidence_start, end=clause[1])
        if times and not quantity.approx:
            _at_least_before(view, metric, period.end(), times.start)
        rows.append(metric)
    return rows, used


def _respective_items(view: ReportView, start: int, end: int, n_slots: int) -> list[str]:
    """"每周二上午、周三下午和周四上午…分别为综合组、语、数研训时间": one weekly slot per listed
    item, the list running from 分别为 to the activity word; [] unless there are `n_slots` items."""
    marker = view.cues.respectively.search(view.folded, start, end)
    if n_slots < 2 or marker is None:
        return []
    pieces = _pieces(view, marker.end(), end)
    return [view.text[s:e].strip().removesuffix(_ATTRIBUTIVE) for s, e in pieces] if len(pieces) == n_slots else []


def _slot_trigger(view: ReportView, triggers: list[Trigger]) -> Trigger | None:
    """"…周五下午作为组内固定活动时间": a weak word right before a schedule word names the slot's
    activity however far it stands from the period."""
    return next((t for t in triggers if t[3] and view.cues.schedule.match(view.folded, t[1])), None)


def _at_least_before(view: ReportView, metric: Metric, start: int, end: int) -> None:
    """"每学期至少组织两次": an approximate prefix a few words before the number still counts."""
    match = view.cues.approx_prefixes.search(view.folded, start, end)
    if match is not None:
        metric.approx, metric.qualifier = True, view.cues.approx_qualifier_of[match.group()]


def _count(view: ReportView, window: Span, quantity: QuantityMatch, triggers: list[Trigger]) -> list[Metric]:
    """One count, or one per item when it is distributed with 各 ("语文、数学各一次")."""
    trigger = _nearest_trigger(triggers, quantity.start, quantity.end, quantity.quantity.unit)
    if trigger is None:
        return []
    clause = view.clause_of(quantity.start)
    level, evidence_start = view.level_for((window[0], clause[1]), min(trigger[0], quantity.start),
                                           people=view.cues.people_after_level, organizers=trigger[2] != "publication",
                                           same_kind=trigger[2])
    q = quantity.quantity
    items = _distributed_items(view, clause[0], quantity)
    heads = 1.0 if items else _unlisted_heads(view, clause[0], quantity)
    return [Metric(category=trigger[2], value=_times(q.value, heads), value_max=_times(q.value_max, heads),
                   approx=q.approx, qualifier=q.qualifier, level=level, item=item, unit=q.unit,
                   start=min(evidence_start, clause[0]), end=clause[1])
            for item in (items if items else [None])]


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _unlisted_heads(view: ReportView, clause_start: int, quantity: QuantityMatch) -> float:
    """"两位老师在活动中各上了一节" → 2: 各 over a head count of people with no list (rule 1)."""
    marker = view.cues.distribution.search(view.folded, clause_start, quantity.start)
    if marker is None:
        return 1.0
    heads = [q for q in view.quantities_in(clause_start, marker.start())
             if q.quantity.unit in view.cues.lesson_giver_units and q.quantity.value and not q.quantity.approx]
    return (heads[-1].quantity.value or 1.0) if heads else 1.0  # a head count is never 0 or None here


def _per_person(view: ReportView, clause: Span, triggers: list[Trigger]) -> list[Metric]:
    """"6位青年教师每人上一节汇报课" → 6 lessons: the head count times the per-person count."""
    per_unit = view.cues.per_unit.search(view.folded, *clause)
    assert per_unit is not None  # the caller checked
    heads = [q for q in view.quantities_in(clause[0], per_unit.start())
             if q.quantity.unit in view.cues.lesson_giver_units and q.quantity.value and not q.quantity.approx]
    counts = [q for q in view.quantities_in(per_unit.end(), clause[1]) if q.quantity.value is not None]
    if not heads or not counts:
        return []
    facts = _count(view, clause, counts[0], triggers)
    for fact in facts:
        fact.value = _times(fact.value, heads[-1].quantity.value or 1.0)
    return facts


def _is_head_count(view: ReportView, quantity: QuantityMatch, following: QuantityMatch) -> bool:
    """"四个学科各承担了一次": 四个 says how many items share the count, it counts nothing."""
    marker = view.cues.distribution.search(view.folded, quantity.end, following.start)
    return marker is not None and marker.start() - quantity.end <= _HINT_REACH


def _single_lessons(view: ReportView, clause: Span, triggers: list[Trigger]) -> list[Metric]:
    """"执教公开课《数与形》" → 1 lesson; "推荐3位老师上校级公开课" → 3 lessons."""
    lessons = [t for t in triggers if t[2] == "open_lesson"]
    lesson = next((t for t in lessons if view.has(view.cues.single_lesson_verbs, max(clause[0], t[0] - _LESSON_VERB_REACH), t[0])),
                  lessons[0] if lessons else None)
    if lesson is None or _breakdown_follows(view, clause):
        return []  # "…执教公开课，其中市级公开课3节…": the parts are the facts
    givers = [q for q in view.quantities_in(clause[0], lesson[0])
              if q.quantity.unit in view.cues.lesson_giver_units and q.quantity.value is not None
              and view.has(view.cues.lesson_giver_verbs, q.end, lesson[0])]
    if givers:
        value = givers[-1].quantity.value
    elif view.has(view.cues.single_lesson_verbs, max(clause[0], lesson[0] - _LESSON_VERB_REACH), lesson[0]):
        value = 1.0
    else:
        return []
    level, evidence_start = view.level_for(clause, lesson[0], people=view.cues.people_after_level,
                                           organizers=True, same_kind="open_lesson")
    return [Metric(category="open_lesson", value=value, level=level, start=evidence_start, end=clause[1])]


def _breakdown_follows(view: ReportView, clause: Span) -> bool:
    if clause[1] + 1 >= len(view.folded):
        return False
    following = view.clause_of(clause[1] + 1)
    return view.cues.breakdown.match(view.folded, following[0]) is not None


def _nearest_trigger(triggers: list[Trigger], start: int, end: int, unit: str | None,
                     *, within: int = _MAX_TRIGGER_DISTANCE) -> Trigger | None:
    """The trigger closest to [start, end) whose category counts in `unit` (any unit if None)."""
    units = metric_cues().category_units
    best, best_distance = None, within + 1
    for trigger in triggers:
        if unit is not None and unit not in units[trigger[2]]:
            continue
        distance = max(trigger[0] - end, start - trigger[1], 0)
        if trigger[3] and distance > _WEAK_DISTANCE:
            continue
        if distance < best_distance:
            best, best_distance = trigger, distance
    return best


def _distributed_items(view: ReportView, clause_start: int, quantity: QuantityMatch) -> list[str]:
    """"语文、数学各一次" → ["语文", "数学"]; [] when the count is not distributed with 各.

    A head count before 各 ("低、中、高三个学段各…") says how many items; without one, a
    one-character item is an abbreviation joined to the next ("语、数复习专题研讨").
    """
    marker = view.cues.distribution.search(view.folded, clause_start, quantity.start)
    if marker is None:
        return []
    return _listed_items(view, clause_start, marker.start()) or _earlier_list(view, view.clause_of(quantity.start))


def _earlier_list(view: ReportView, clause: Span) -> list[str]:
    """"语文、数学、英语三个备课组还实行…，本学期各自完成了五六次…": 各 spreads the count over a
    list with a head count in the clause before (the head count marks where the list ends)."""
    previous = view.previous_clause(clause)
    if previous is None:
        return []
    for head in reversed(view.quantities_in(*previous)):
        if head.quantity.value and not head.quantity.approx \
                and any(sep in view.folded[previous[0]:head.start] for sep in view.cues.item_separators):
            items = _listed_items(view, previous[0], head.start, wanted=int(head.quantity.value))
            return items if len(items) == head.quantity.value else []
    return []


def _listed_items(view: ReportView, clause_start: int, list_end: int, *, wanted: int | None = None) -> list[str]:
    """The items listed in [clause_start, list_end) (after the last list-opening verb)."""
    list_start = clause_start
    for opener in view.cues.list_openers.finditer(view.folded, clause_start, list_end):
        list_start = opener.end()
    period = view.cues.periods.search(view.folded, list_start, list_end)
    if period is not None:  # "七、八、九年级备课组每周各安排一次"
        list_end = period.start()
    hint = [q for q in view.quantities_in(list_start, list_end) if list_end - q.end <= _HINT_REACH]
    if hint and wanted is None:
        list_end = hint[-1].start
        wanted = int(hint[-1].quantity.value) if hint[-1].quantity.value else None
    pieces = _pieces(view, list_start, list_end)
    if wanted and len(pieces) >= wanted:
        pieces = pieces[-int(wanted):]
    elif not wanted:
        pieces = _join_abbreviations(view, pieces)
    items = [view.text[s:e].strip() for s, e in pieces]
    return items if len(items) > 1 else []


def _pieces(view: ReportView, start: int, end: int) -> list[Span]:
    """Split [start, end) at the strongest separator present (、, else 和 / 及, else 与)."""
    text = view.folded[start:end]
    separator = next((word for word in view.cues.item_separators if word in text), None)
    pieces, position = [], start
    for index in _occurrences(text, separator):
        pieces.append((position, start + index))
        position = start + index + len(separator or "")
    pieces.append((position, end))
    return [(s, e) for s, e in pieces if view.folded[s:e].strip()]


def _occurrences(text: str, word: str | None) -> list[int]:
    if not word:
        return []
    found, index = [], text.find(word)
    while index != -1:
        found.append(index)
        index = text.find(word, index + len(word))
    return found


def _join_abbreviations(view: ReportView, pieces: list[Span]) -> list[Span]:
    """"语、数复习专题研讨" is one item; "七、八、九年级" are three."""
    joined: list[Span] = []
    pending: int | None = None
    for start, end in pieces:
        if pending is None and end - start == 1 and view.folded[start] not in _CN_DIGITS:
            pending = start
            continue
        joined.append((pending if pending is not None else start, end))
        pending = None
    if pending is not None:
        joined.append((pending, pieces[-1][1]))
    return joined
