"""Table-driven tests of the constructions added for issue 5 (docs/annotation.md rules 1–5).

Every row is a short made-up sentence for one general construction, never a corpus sentence.
"""
from __future__ import annotations

from typing import Any

import pytest

from reportmine.extract.metrics import extract_metrics

FIELDS = ("category", "level", "value", "value_max", "approx", "qualifier", "period",
          "times_per_period", "grade", "recipient")


def facts(text: str) -> list[dict[str, Any]]:
    """The metrics of `text` with the non-null attributes among FIELDS."""
    return [{f: getattr(m, f) for f in FIELDS if getattr(m, f) not in (None, False, "unknown")}
            for m in extract_metrics(text)]


def items(text: str) -> list[str | None]:
    return [m.item for m in extract_metrics(text)]


RA, OL, AW = "research_activity", "open_lesson", "award"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 各自 spreads a count over a list with a head count in the clause before (rule 1)
        ("物理、化学两个教研组分工合作，本学期各自开展了三次专题研讨。",
         [dict(category=RA, level="group", value=3.0)] * 2),
        # 各 over an unlisted number of people: one row with the product (rule 1)
        ("两位老师在活动中各上了一节示范课。", [dict(category=OL, value=2.0)]),
        # "每人上一节" counts only with the number of people in the clause (rule 2)
        ("6位青年教师每人上一节汇报课。", [dict(category=OL, value=6.0)]),
        ("每位教师一学年至少开一节公开课。", []),
        # weekly slots given to several groups with 分别为: one weekly row per group (rule 3)
        ("每周一下午、周三下午分别为语文组、数学组教研时间。",
         [dict(category=RA, level="group", period="week", times_per_period=1.0)] * 2),
        # a compact frequency: 隔周一研 / 一周一研
        ("科学组实行“隔周一研”。", [dict(category=RA, level="group", period="2weeks", times_per_period=1.0)]),
        ("我们坚持一周一研。", [dict(category=RA, period="week", times_per_period=1.0)]),
        ("每周一研究一个问题。", []),
        # a range inside a frequency: the lower end, approximate, no value_max (rule 3)
        ("专家每学年来校指导三四次。", [dict(category=RA, period="year", times_per_period=3.0, approx=True)]),
        # a weak word named by a quoted title, or by a schedule word, is the activity
        ("各备课组每月开展一次“单元作业设计”活动。",
         [dict(category=RA, level="group", period="month", times_per_period=1.0)]),
        ("我们把隔周的周三下午作为组内固定活动时间。",
         [dict(category=RA, level="group", period="2weeks", times_per_period=1.0)]),
        # experts' visits
        ("本学期邀请省内外专家来校讲学3次。", [dict(category=RA, value=3.0)]),
    ],
)
def test_counts_lists_and_frequencies(text: str, expected: list[dict[str, Any]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected_items"),
    [
        ("物理、化学两个教研组分工合作，本学期各自开展了三次专题研讨。", ["物理", "化学"]),
        ("每周一下午、周三下午分别为语文组、数学组的教研时间。", ["语文组", "数学组"]),
        ("学校先后获得“温州市绿色学校”“省级文明校园”等称号。", ["温州市绿色学校", "省级文明校园"]),
    ],
)
def test_listed_items(text: str, expected_items: list[str]) -> None:
    assert items(text) == expected_items


@pytest.mark.parametrize(
    "text",
    [
        # a task quota: a lesson listed with written work is a rule, not a fact
        "新教师每学期上一节汇报课、写两篇教学反思。",
        "青年教师每月上一节汇报课，写一篇教学反思。",
        # comparisons describe
        "听一次讲座比读十本书还有用。",
        "参加一次集体备课，比自己备五节课收获更大。",
        # rarity
        "一学期也难得有一次外出听课的机会。",
        # students' activities
        "开设两个学生社团，每周四下午活动一次。",
        # no prize won
        "学校给予奖励。",
        "在区优秀教学设计评比中，",
    ],
)
def test_not_metrics(text: str) -> None:
    assert extract_metrics(text) == []


def test_quota_in_another_sentence_part_keeps_the_lesson() -> None:
    assert facts("每月上一节汇报课；每学期撰写反思不少于10篇。") == [
        dict(category=OL, period="month", times_per_period=1.0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 4a: a scope word counts even before people; 各级 names no level
        ("全区120名教师参赛，评出一等奖10名。",
         [dict(category=AW, level="county", value=10.0, grade="first", recipient="teacher")]),
        ("全区教师有十余篇论文在各级刊物发表。",
         [dict(category="publication", value=10.0, approx=True, qualifier="余")]),
        ("每周三下午为科学组教研时间。",  # a body qualifying the activity
         [dict(category=RA, level="group", period="week", times_per_period=1.0)]),
        ("我组与兄弟园开展联片教研，由我组承担观摩活动一场。",  # the event in the clause before
         [dict(category=OL, level="cluster", value=1.0)]),
        ("全年学区联片教研共开展5次，我校教师为村小送教上课8节。",
         [dict(category=RA, level="cluster", value=5.0), dict(category=OL, level="cluster", value=8.0)]),
        # 4b: the organiser named in the sentence
        ("学校每月举办一次读书沙龙。", [dict(category=RA, level="school", period="month", times_per_period=1.0)]),
        ("各备课组实行“一人主备”制度，每周集体备课一次。",
         [dict(category=RA, level="group", period="week", times_per_period=1.0)]),
        ("学校要求各备课组每周集体备课一次。",  # the doer named in a rule
         [dict(category=RA, level="group", period="week", times_per_period=1.0)]),
        ("学校组织教师开展专题研修，邀请市、区教研员作专题讲座3场。",
         [dict(category=RA, level="school", value=3.0)]),
        ("全学年校内共开展研讨课36节，各备课组每学期至少进行两轮磨课。",
         [dict(category=OL, level="school", value=36.0),
          dict(category=RA, level="group", period="semester", times_per_period=2.0, approx=True, qualifier="至少")]),
        ("在学校组织的基本功比赛中，我组三位青年教师获一等奖。",
         [dict(category=AW, level="school", value=3.0, grade="first", recipient="teacher")]),
        # ... but not people who teach, nor a body inside the school, nor a bare 我们
        ("我组教师共开设公开课12节。", [dict(category=OL, value=12.0)]),
        ("学校与兄弟学校结成帮扶对子，共上示范课6节。", [dict(category=OL, value=6.0)]),
        ("学校名师工作室组织成员开展送教活动，执教示范课2节。", [dict(category=OL, value=2.0)]),
        ("学校为新教师配备导师，师傅每学期听徒弟的课不少于10节。",
         [dict(category=RA, period="semester", times_per_period=10.0, approx=True, qualifier="至少")]),
        # 4c: the kind of report gives no default
        ("英语组工作总结\n一学年共进行集体备课16次。", [dict(category=RA, value=16.0)]),
    ],
)
def test_levels(text: str, expected: list[dict[str, Any]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("学校先后获得“温州市绿色学校”“省级文明校园”等称号。",
         [dict(category=AW, level="city", value=1.0, grade="title", recipient="school"),
          dict(category=AW, level="province", value=1.0, grade="title", recipient="school")]),
        ("语文组被评为县先进教研组。",
         [dict(category=AW, level="county", value=1.0, grade="title", recipient="teacher")]),
        ("我校三（1）班获县合唱比赛二等奖。",
         [dict(category=AW, level="county", value=1.0, grade="second", recipient="student")]),
        ("学校开发了校本课程10门，其中2门被评为市精品选修课程。",
         [dict(category=AW, level="city", value=2.0, grade="title", recipient="school")]),
        ("7件作品获校级奖励。", [dict(category=AW, level="school", value=7.0, recipient="teacher")]),
        ("李老师执教的课例被评为市优秀课例。",
         [dict(category=AW, level="city", value=1.0, grade="excellence", recipient="teacher")]),
        ("王老师的课例在市优秀课例评选中获三等奖。",
         [dict(category=AW, level="city", value=1.0, grade="third", recipient="teacher")]),
        ("评出优秀作品一等奖5份。", [dict(category=AW, value=5.0, grade="first")]),
    ],
)
def test_award_attributes(text: str, expected: list[dict[str, Any]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "物理、化学两个教研组分工合作，本学期各自开展了三次专题研讨。",
        "学校先后获得“温州市绿色学校”“省级文明校园”等称号。",
        "每周一下午、周三下午分别为语文组、数学组教研时间。",
        "科学组实行“隔周一研”。",
    ],
)
def test_evidence_is_the_text_at_the_offsets(text: str) -> None:
    metrics = extract_metrics(text)
    assert metrics and all(text[m.start:m.end] == m.evidence for m in metrics)


@pytest.mark.parametrize("context", ["{}", "(?:{})组", "(?:{})(?:活动|组)", "开展(?:{})+", "(?:{}){{2}}$"])
def test_word_alternation_matches_like_the_flat_longest_first_one(context):
    # cues.alternation builds a prefix tree; it must match exactly like "|".join(longest first),
    # also when the surrounding pattern backtracks into it.
    import random
    import re

    from reportmine.extract.cues import alternation

    def flat(words):
        return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))

    rng = random.Random(7)
    alphabet = "教研组活动开展公课"
    for _ in range(300):
        words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 8))}
        text = "".join(rng.choice(alphabet + "。") for _ in range(80))
        expected = re.compile(context.format(flat(words)))
        tree = re.compile(context.format(alternation(words)))
        assert [m.span() for m in tree.finditer(text)] == [m.span() for m in expected.finditer(text)]
