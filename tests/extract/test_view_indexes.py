"""The per-report indexes of ReportView answer exactly what a scan of the window would."""
from __future__ import annotations

import random
import re

from reportmine.extract.clauses import ReportView, _clause_breaks, _WordIndex

_TEXT = ("本学期市级公开课3节，区级、县级研讨课各1.5次；校级教研活动每周一次。\n"
         "全市教师2.0培训，片区联片教研12次。省市区三级比赛中获一等奖。市.区")


def test_clause_breaks_keep_decimal_points_inside_numbers() -> None:
    old = re.compile(r"[,;:!?\n。，；：！？]|(?<![0-9])\.|\.(?![0-9])")
    for text in (_TEXT, "1.5", ".5", "5.", "a.b", "3.4.5", "。.。", ""):
        assert _clause_breaks(text) == [m.start() for m in old.finditer(text)]


def test_word_index_equals_window_scans() -> None:
    view = ReportView(_TEXT)
    index = _WordIndex(view.cues.levels, view.folded)
    rng = random.Random(7)
    for _ in range(2000):
        start = rng.randrange(len(view.folded) + 1)
        end = rng.randrange(start, len(view.folded) + 1)
        expected = [m.span() for m in view.cues.levels.finditer(view.folded, start, end)]
        assert [m.span() for m in index.finditer(start, end)] == expected


def test_hits_pair_each_trigger_with_its_cue() -> None:
    view = ReportView(_TEXT)
    hits = view.cues.hits(view.folded)
    assert [match.span() for match, _ in hits] == [m.span() for m in view.cues.triggers.finditer(view.folded)]
    assert all(cue == view.cues.cue_of(match) for match, cue in hits)
    assert [cue.kind for _, cue in hits if cue.kind != "blocker"][:2] == ["open_lesson", "open_lesson"]


def test_quantities_in_equals_a_window_filter() -> None:
    view = ReportView(_TEXT)
    rng = random.Random(3)
    for _ in range(2000):
        start = rng.randrange(len(view.folded) + 1)
        end = rng.randrange(len(view.folded) + 1)
        expected = [q for q in view.quantities if start <= q.start and q.end <= end]
        assert view.quantities_in(start, end) == expected


def test_stated_kinds_need_a_count_or_a_lesson_verb() -> None:
    view = ReportView("本学期执教观摩课，开展教研活动，上了示范课3节。")
    assert view.states_fact_of("open_lesson", *view.clause_of(0))  # 执教: a lesson verb
    assert not view.states_fact_of("research_activity", *view.clause_of(10))  # no count
    assert view.states_fact_of("open_lesson", *view.clause_of(18))  # 3节
    assert not view.states_fact_of("publication", *view.clause_of(18))
