"""The per-report indexes of ReportView answer exactly what a scan of the window would."""
from __future__ import annotations

import random
import re

from reportmine.extract.clauses import ReportView, _clause_breaks, _clause_spans, _trimmed, _WordIndex

_TEXT = ("本学期市级公开课3节，区级、县级研讨课各1.5次；校级教研活动每周一次。\n"
         "全市教师2.0培训，片区联片教研12次。省市区三级比赛中获一等奖。市.区")


def test_clause_breaks_keep_decimal_points_inside_numbers() -> None:
    old = re.compile(r"[,;:!?\n。，；：！？]|(?<![0-9])\.|\.(?![0-9])")
    for text in (_TEXT, "1.5", ".5", "5.", "a.b", "3.4.5", "。.。", ""):
        assert _clause_breaks(text) == [m.start() for m in old.finditer(text)]


def test_clause_breaks_and_spans_of_long_texts_equal_the_plain_definitions() -> None:
    # long texts take the numpy path, the ones with a lone surrogate the regex; spans are trimmed
    # only where a blank stands
    old = re.compile(r"[,;:!?\n。，；：！？]|(?<![0-9])\.|\.(?![0-9])")
    rng = random.Random(11)
    alphabet = "ab 1.2\n\t\u3000\x1c，。.:x3\u2003市区"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(300))) for _ in range(3000)]
    texts += [_TEXT * 3, _TEXT * 3 + "\ud800", "1." * 60, " ，" * 60 + " "]
    for text in texts:
        breaks = _clause_breaks(text)
        assert breaks == [m.start() for m in old.finditer(text)]
        plain = [(start, end) if start == end or not (text[start].isspace() or text[end - 1].isspace())
                 else _trimmed(text, start, end) for start, end in zip([0] + [b + 1 for b in breaks], breaks + [len(text)])]
        assert _clause_spans(text, breaks) == plain


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


def _old_clause_of(folded: str, breaks: list[int], position: int) -> tuple[int, int]:
    """The clause around `position` as the view found it before clause spans were listed."""
    index = sum(1 for b in breaks if b <= position)
    start = breaks[index - 1] + 1 if index else 0
    end = breaks[index] if index < len(breaks) else len(folded)
    while start < end and folded[start].isspace():
        start += 1
    while end > start and folded[end - 1].isspace():
        end -= 1
    return start, end


def test_clause_spans_trim_blanks_around_every_clause() -> None:
    text = _TEXT + "\n  一、 教研活动 ：  每周一次 ，\u3000共 3 次。 \n\n ，，"
    view = ReportView(text)
    assert len(view.clauses) == len(view.breaks) + 1
    for position in range(len(view.folded) + 1):
        assert view.clause_of(position) == _old_clause_of(view.folded, view.breaks, position)
    assert view.folded[slice(*view.clause_of(text.rindex("每周")))] == "每周一次"
    assert view.folded[slice(*view.clause_of(text.index("共 3")))] == "共 3 次"


def test_previous_and_next_clause_stay_in_the_sentence() -> None:
    view = ReportView("学校开展教研活动，每周一次，共计14次。\n市级公开课3节；区级2节")
    first, second, third = (view.clause_of(view.folded.index(word)) for word in ("学校", "每周", "共计"))
    assert view.previous_clause(second) == first and view.previous_clause(third) == second
    assert view.previous_clause(first) is None
    lesson, county = view.clause_of(view.folded.index("市级")), view.clause_of(view.folded.index("区级"))
    assert view.previous_clause(lesson) is None  # a sentence ends before it
    assert view.previous_clause(county) is None and view.previous_clause(county, across_sentences=True) == lesson
    assert view.next_clause(first) == second and view.next_clause(third) is None
