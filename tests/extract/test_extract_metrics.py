"""Table-driven tests of the metric grammar (docs/annotation.md) and the seed-report facts."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportmine.extract.metrics import extract_metrics
from reportmine.models import Metric, Section

FIELDS = ("category", "level", "value", "value_max", "approx", "qualifier", "period",
          "times_per_period", "grade", "recipient")


def facts(text: str) -> list[dict[str, Any]]:
    """The metrics of `text` with the non-null attributes among FIELDS."""
    return [{f: getattr(m, f) for f in FIELDS if getattr(m, f) not in (None, False, "unknown")}
            for m in extract_metrics(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们进行县级公开教学一次，片级公开教学多次。",
         [dict(category="open_lesson", level="county", value=1.0),
          dict(category="open_lesson", level="cluster", approx=True, qualifier="多")]),
        ("16位不同学科的教师上了县公开课16节，校级公开课64节，备课组内公开课90多节。",
         [dict(category="open_lesson", level="county", value=16.0),
          dict(category="open_lesson", level="school", value=64.0),
          dict(category="open_lesson", level="group", value=90.0, approx=True, qualifier="多")]),
        ("教研组每月一次教研公开课。",
         [dict(category="open_lesson", level="group", period="month", times_per_period=1.0)]),
        ("教研组定期活动(每两周一次)与分散活动。",
         [dict(category="research_activity", level="group", period="2weeks", times_per_period=1.0)]),
        ("每周三下午为固定教研时间。",
         [dict(category="research_activity", period="week", times_per_period=1.0)]),
        ("每学期至少组织两次基本功比赛和读书活动；",
         [dict(category="research_activity", period="semester", times_per_period=2.0, approx=True,
               qualifier="至少")]),
        ("举行校本研训几十场次：",  # 校本 is a genre, not a level (rule 4a)
         [dict(category="research_activity", value=20.0, value_max=90.0, approx=True, qualifier="几")]),
        ("多次开展了集体备课活动。",
         [dict(category="research_activity", approx=True, qualifier="多")]),
        ("共开展课堂教学研讨活动5次，分别为语文1次，英语2次，音乐1次。",
         [dict(category="research_activity", value=5.0)]),
        ("合计研讨活动一百余次，其中语文研讨活动20次，数学研讨活动十余次。",
         [dict(category="research_activity", value=100.0, approx=True, qualifier="余")]),
        ("校本教研合计一百余次，其中技能科教学展示十余次。",  # a part of another category stays
         [dict(category="research_activity", value=100.0, approx=True, qualifier="余"),
          dict(category="open_lesson", value=10.0, approx=True, qualifier="余")]),
        ("高一备课组每周三、周五各安排一次集体备课。",
         [dict(category="research_activity", level="group", period="week", times_per_period=2.0)]),
        ("教研组坚持每周一次线上教研，共计14次。",
         [dict(category="research_activity", level="group", value=14.0, period="week", times_per_period=1.0)]),
        ("每学期末举行了语、数复习专题研讨、师徒结对帮扶课堂教学研讨各一次。",
         [dict(category="research_activity", period="semester", times_per_period=1.0)] * 2),
        ("我校教师为村小送教上课15节，执教观摩课《小红母鸡》。",
         [dict(category="open_lesson", value=15.0), dict(category="open_lesson", value=1.0)]),
        ("学校组织了全员参与的信息技术应用能力提升培训，共计6个专题。",
         [dict(category="research_activity", level="school", value=6.0)]),
        ("组内每位教师都上了一节研讨课，共9节。", [dict(category="open_lesson", level="group", value=9.0)]),
        ("每学期末，教科室组织一次课题成果汇报会。",  # the organiser is the school's office (rule 4b)
         [dict(category="research_activity", level="school", period="semester", times_per_period=1.0)]),
        ("推荐3位老师上校级公开课。", [dict(category="open_lesson", level="school", value=3.0)]),
        ("开展了语文、数学研讨课各一次。",
         [dict(category="open_lesson", value=1.0), dict(category="open_lesson", value=1.0)]),
        ("在省级刊物发表论文3篇。", [dict(category="publication", level="province", value=3.0)]),
        ("全校开展听课、评课活动二十余次。",
         [dict(category="research_activity", level="school", value=20.0, approx=True, qualifier="余")]),
    ],
)
def test_counts_and_frequencies(text: str, expected: list[dict[str, Any]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("周阳等3人获市小科学家提名奖；",
         [dict(category="award", level="city", grade="nomination", recipient="student", value=3.0)]),
        ("我校林朵同学获温州市小科学家称号。",
         [dict(category="award", level="city", grade="title", recipient="student", value=1.0)]),
        ("6名同学获永嘉县小科学家称号，2人获县小科学家提名奖；",
         [dict(category="award", level="county", grade="title", recipient="student", value=6.0),
          dict(category="award", level="county", grade="nomination", recipient="student", value=2.0)]),
        ("1名同学获永嘉市小文学家称号2人获县小文学家提名奖；",
         [dict(category="award", level="city", grade="title", recipient="student", value=1.0),
          dict(category="award", level="county", grade="nomination", recipient="student", value=2.0)]),
        ("市教坛中坚2人，",
         [dict(category="award", level="city", grade="title", recipient="teacher", value=2.0)]),
        ("金莉智老师撰写的论文《浅谈小先生制在自然小班化小学语文教学中的应用》荣获县二等奖；",
         [dict(category="award", level="county", grade="second", recipient="teacher", value=1.0)]),
        ("我校被评为温州市示范学校。",
         [dict(category="award", level="city", grade="title", recipient="school", value=1.0)]),
        ("参加县级层面的课例评比，获一等奖。",
         [dict(category="award", level="county", grade="first", recipient="teacher", value=1.0)]),
        ("在区新教师基本功比赛中，邵敏敏老师获一等奖，胡晓丹老师获三等奖。",
         [dict(category="award", level="county", grade="first", recipient="teacher", value=1.0),
          dict(category="award", level="county", grade="third", recipient="teacher", value=1.0)]),
        ("我校学生获省一等奖4人、省二等奖9人。",
         [dict(category="award", level="province", grade="first", recipient="student", value=4.0),
          dict(category="award", level="province", grade="second", recipient="student", value=9.0)]),
        ("组内两位老师参加了县初中科学实验技能比赛，分获一等奖和三等奖。",
         [dict(category="award", level="county", grade="first", recipient="teacher", value=1.0),
          dict(category="award", level="county", grade="third", recipient="teacher", value=1.0)]),
        ("本学年教师撰写的论文在区级评比中获奖9篇，其中一等奖2篇。",
         [dict(category="award", level="county", recipient="teacher", value=9.0)]),
    ],
)
def test_awards(text: str, expected: list[dict[str, Any]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "小组合作学习：每课至少有一次合作探究学习",
        "课堂发言，每生每课至少发言一次",
        "个别辅导：有学习困难生辅导方案，每周至少有一次个别辅导。",
        "本学期我们新引进了5位教师，本次论坛共涉及6个学科。",
        "根据2014年7月教育部办公厅下发《关于开展2014年度“一师一优课、一课一名师”活动的通知》",
        "一年来，多人数到南京小班化学校为期一周学习，每次教研活动都要先进行半小时的理论学习。",
        "加强骨干教师培养，造就一批骨干教师。",
        "2位老师获得中学高级教师职称。",
        "完善校本研训、集体备课及课题研究成果奖励等制度。",
        "掌握了如何组织一次有效教研的策略，一直是教师培训的一个关键问题。",
        "力争在县优质课评比中获一等奖。",
        "全校56位教师参加培训，培训经费3万元，培训合格率达98%。",
        "学校现有市级学科带头人3人、骨干教师9人。",
        "教务处每两周检查一次各备课组的研修记录。",
    ],
)
def test_not_metrics(text: str) -> None:
    assert extract_metrics(text) == []


def test_distribution_items_and_offsets() -> None:
    text = "本学期开展了语文、数学研讨课各一次。"
    metrics = extract_metrics(text)
    assert [m.item for m in metrics] == ["语文", "数学研讨课"]
    assert all(text[m.start:m.end] == m.evidence for m in metrics)


def test_full_width_and_traditional_forms_match() -> None:
    metrics = extract_metrics("上了縣公開課１６節，")
    assert [(m.category, m.level, m.value, m.evidence) for m in metrics] == [
        ("open_lesson", "county", 16.0, "上了縣公開課１６節")]


def test_evidence_widens_to_the_level_word_of_the_clause_before() -> None:
    text = "选送至研训部参加县级层面的评比，获一等奖2篇。"
    [metric] = extract_metrics(text)
    assert (metric.level, metric.value, metric.evidence) == ("county", 2.0, "选送至研训部参加县级层面的评比，获一等奖2篇")


def test_section_ids_point_to_the_innermost_section() -> None:
    text = "一、成效\n1、公开课\n上了县公开课16节。"
    sections = [Section("1", None, 1, "一、", "成效", start=0, end=len(text)),
                Section("1.1", "1", 2, "1、", "公开课", start=5, end=len(text))]
    [metric] = extract_metrics(text, sections=sections)
    assert metric.section_id == "1.1"


# --- the seed reports (../shared/seeds): facts with exact attributes --------------------------


def _seed_text(seeds_dir: Path, prefix: str) -> str:
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return "\n".join(line for line in lines if line)


def _find(metrics: list[Metric], evidence_part: str, **attributes: Any) -> Metric:
    for metric in metrics:
        if evidence_part in metric.evidence and all(getattr(metric, k) == v for k, v in attributes.items()):
            return metric
    raise AssertionError(f"no metric {attributes} with evidence containing {evidence_part!r}")


def test_seed_000(seeds_dir: Path) -> None:
    text = _seed_text(seeds_dir, "000")
    metrics = extract_metrics(text)
    _find(metrics, "县级公开教学一次", category="open_lesson", level="county", value=1.0, approx=False)
    _find(metrics, "片级公开教学多次", category="open_lesson", level="cluster", value=None, approx=True,
          qualifier="多")
    _find(metrics, "研讨活动5次", category="research_activity", value=5.0)
    assert not [m for m in metrics if "语文1次" in m.evidence or "英语2次" in m.evidence]
    assert all(text[m.start:m.end] == m.evidence for m in metrics)


SEED_002 = [
    ("县公开课16节", dict(category="open_lesson", level="county", value=16.0)),
    ("校级公开课64节", dict(category="open_lesson", level="school", value=64.0)),
    ("公开课90多节", dict(category="open_lesson", level="group", value=90.0, approx=True, qualifier="多")),
    ("几十场次", dict(value=20.0, value_max=90.0, approx=True, qualifier="几")),
    ("一百余次", dict(value=100.0, approx=True, qualifier="余", level="group")),
    ("三四次", dict(times_per_period=3.0, value_max=None, approx=True)),  # a range in a frequency (rule 3)
    ("两次不同形式的教学展示", dict(category="open_lesson", period="month", times_per_period=2.0)),
    ("至少组织两次基本功", dict(category="research_activity", period="semester", times_per_period=2.0,
                         approx=True, qualifier="至少")),
    ("市教坛中坚2人", dict(category="award", level="city", grade="title", recipient="teacher", value=2.0)),
    ("林朵同学", dict(category="award", level="city", grade="title", recipient="student", value=1.0)),
    ("周阳等3人", dict(category="award", level="city", grade="nomination", recipient="student", value=3.0)),
    ("6名同学获永嘉县小科学家称号", dict(level="county", grade="title", recipient="student", value=6.0)),
    ("2人获县小科学家提名奖", dict(level="county", grade="nomination", value=2.0)),
    ("6名同学获永嘉县小数学家称号", dict(level="county", grade="title", value=6.0)),
    ("7人获县小数学家提名奖", dict(level="county", grade="nomination", value=7.0)),
    ("2人获温州市小数学家提名奖", dict(level="city", grade="nomination", value=2.0)),
    ("金莉智老师", dict(category="award", level="county", grade="second", recipient="teacher", item="论文",
                    value=1.0)),
    ("潘赛丹老师撰写的论文", dict(category="award", level="county", grade="third", recipient="teacher")),
    ("每星期至少有1次", dict(category="research_activity", period="week", times_per_period=1.0, approx=True,
                        qualifier="至少", value=None)),
    ("每两周一次", dict(category="research_activity", period="2weeks", times_per_period=1.0)),
    ("每月一次教研公开课", dict(category="open_lesson", period="month", times_per_period=1.0, level="group")),
    ("示范课和观摩课20节次", dict(category="open_lesson", value=20.0, level="school")),
    ("听评课20节次", dict(category="research_activity", value=20.0)),
]


@pytest.fixture(scope="module")
def seed_002_metrics(seeds_dir: Path) -> list[Metric]:
    return extract_metrics(_seed_text(seeds_dir, "002"))


@pytest.mark.parametrize(("evidence_part", "attributes"), SEED_002, ids=[row[0] for row in SEED_002])
def test_seed_002(seed_002_metrics: list[Metric], evidence_part: str, attributes: dict[str, Any]) -> None:
    _find(seed_002_metrics, evidence_part, **attributes)


@pytest.mark.parametrize("rule", ["每课至少有一次", "每生每课", "每周至少有一次个别辅导", "半小时", "2014年"])
def test_seed_002_holds_out_non_metrics(seed_002_metrics: list[Metric], rule: str) -> None:
    assert not [m for m in seed_002_metrics if rule in m.evidence]


def test_innermost_sections_sweep_equals_asking_every_section():
    # Each metric gets the deepest section holding its start (the later one on equal depth);
    # the sweep must give what checking every section for every metric gives.
    import random

    from reportmine.extract.metrics import _innermost_sections
    from reportmine.models import Section

    def brute_force(sections, position):
        inner = None
        for section in sections:
            if section.start <= position < section.end and (inner is None or section.depth >= inner.depth):
                inner = section
        return inner.section_id if inner else None

    rng = random.Random(5)
    for _ in range(500):
        sections = []
        for number in range(rng.randint(0, 12)):
            start = rng.randint(0, 50)
            sections.append(Section(section_id=str(number), parent_id=None, depth=rng.randint(1, 3), marker="",
                                    title="", start=start, end=start + rng.randint(0, 30)))
        positions = [rng.randint(-2, 85) for _ in range(rng.randint(0, 15))]
        assert _innermost_sections(sections, positions) == [brute_force(sections, p) for p in positions]
