"""Shortcomings and plans: section items, passages without headings, markers, offsets, codebook."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportmine.errors import InputError
from reportmine.models import Item
from reportmine.structure.headings import parse_sections
from reportmine.structure.items import (
    categorize_shortcoming,
    extract_plans,
    extract_shortcomings,
    load_shortcoming_codebook,
)
from reportmine.structure.roles import assign_roles

TITLE = "学校工作总结\n"
MEASURES = "一、主要做法\n学校组织教师开展了读书活动，全年共举办读书沙龙4次。\n"


def _shortcomings(text: str) -> list[Item]:
    return extract_shortcomings(text, assign_roles(parse_sections(text), text))


def _plans(text: str) -> list[Item]:
    return extract_plans(text, assign_roles(parse_sections(text), text))


def _assert_exact_offsets(text: str, items: list[Item]) -> None:
    assert [i.item_no for i in items] == list(range(1, len(items) + 1))
    for item in items:
        assert text[item.start:item.end] == item.text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # items of a problems section, one per enumerated item, marker removed
        ("二、存在的问题\n1、教师的理论学习仍要加强督促。\n2、教师的教育教学反思力度不够。",
         ["教师的理论学习仍要加强督促。", "教师的教育教学反思力度不够。"]),
        ("二、反思\n(1) 教师的理论学习仍要加强督促。\n(2) 教师的教育教学反思力度不够。",
         ["教师的理论学习仍要加强督促。", "教师的教育教学反思力度不够。"]),
        ("二、存在不足\n①新教材把握不够；②研究学生学情少；③资源积累不多。",
         ["新教材把握不够", "研究学生学情少", "资源积累不多。"]),
        ("二、存在的问题\n一学期来，研训蓬勃发展。但也存在一些问题。一是参与积极性不高。二是缺乏专家引领。",
         ["参与积极性不高。", "缺乏专家引领。"]),
        ("二、问题与思考\n反思一年的工作，我们还存在以下困惑：1）回顾环节耗时较长；2）评价停留在经验层面。",
         ["回顾环节耗时较长", "评价停留在经验层面。"]),
        # not enumerated: one item per sentence that states a problem
        ("二、存在的不足\n教师参与面还不广。部分活动流于形式。",
         ["教师参与面还不广。", "部分活动流于形式。"]),
        # the plans paragraph after the problems belongs to plans
        ("二、存在的不足与今后打算\n我们也看到不足：一是观察记录流于描述；二是交流不够。\n下学期，我们打算：1. 继续研究分享环节；2. 评选优秀记录。",
         ["观察记录流于描述", "交流不够。"]),
    ],
)
def test_shortcomings_of_problems_sections(body: str, expected: list[str]) -> None:
    text = TITLE + MEASURES + body
    items = _shortcomings(text)
    assert [i.text for i in items] == expected
    _assert_exact_offsets(text, items)
    assert all(i.section_id == "2" for i in items)


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("当然，我们的工作也存在一些不足：一是线上研训的参与质量参差不齐；二是资料积累不够规范。",
         ["线上研训的参与质量参差不齐", "资料积累不够规范。"]),
        ("回顾一学期的工作，也存在一些问题：1.作业设计的系统性不够强；2.理论学习偏少。",
         ["作业设计的系统性不够强", "理论学习偏少。"]),
        ("反思一年的工作，我们也看到存在的问题。其一，自主设计不多；其二，研究能力还不足。新学年，我组将开展课例研究。",
         ["自主设计不多", "研究能力还不足。"]),
        ("反思本学年的工作，还存在以下问题：\n1、部分教师参与积极性不高。\n2、缺乏专家引领。\n总之，我们将继续努力。",
         ["部分教师参与积极性不高。", "缺乏专家引领。"]),
        ("综观一学年的工作，我们也有几点反思：第一，交流还不够深入；第二，部分教师热情不高。",
         ["交流还不够深入", "部分教师热情不高。"]),
        ("回顾本学期，也存在一些不足：首先，常规习惯还需加强；其次，家园沟通方式单一；最后，区域材料投放不够丰富。",
         ["常规习惯还需加强", "家园沟通方式单一", "区域材料投放不够丰富。"]),
        ("回顾一年，还存在以下几个方面的不足：\n一是教师参与不够。\n二是资料积累不全。\n总之，我们会努力。",
         ["教师参与不够。", "资料积累不全。"]),
        ("不足：部分教师参与不够。资料积累不全。\n今后，我们将加强管理。",
         ["部分教师参与不够。", "资料积累不全。"]),
    ],
)
def test_problem_passages_without_heading(passage: str, expected: list[str]) -> None:
    text = TITLE + MEASURES + passage
    items = _shortcomings(text)
    assert [i.text for i in items] == expected
    _assert_exact_offsets(text, items)


@pytest.mark.parametrize(
    "text",
    [
        # achievements and background sentences are not shortcomings
        TITLE + "一、研修成效\n一年来，教师在各级评比中获奖43人次。学校取得了优异的成绩。",
        TITLE + MEASURES + "学校行政人员及时发现问题、解决问题。\n二、搭建平台\n1、师徒结对。本学年新结对师徒12对。",
        TITLE + "一、现场教研，问题真解决\n户外游戏最大的难点是安全与放手之间的平衡。",
        TITLE + "一、做法\n我们有效解决了教学中的问题。\n1、集体备课。每周一次。\n2、听课。每周两节。",
    ],
)
def test_no_false_shortcomings(text: str) -> None:
    assert _shortcomings(text) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("二、今后的努力方向\n1.以课题为抓手，提升研修层次。\n2.完善集体备课流程。",
         ["以课题为抓手，提升研修层次。", "完善集体备课流程。"]),
        ("二、下学年设想\n①开展大单元教学研究；②建立分层作业资源库。",
         ["开展大单元教学研究", "建立分层作业资源库。"]),
        ("二、努力方向\n今后，我们将继续围绕“双减”开展研究，提高教研活动的质量。",
         ["今后，我们将继续围绕“双减”开展研究，提高教研活动的质量。"]),
        ("二、2020年工作打算\n一要深化片区联研机制；二要加强研训员队伍建设。",
         ["深化片区联研机制", "加强研训员队伍建设。"]),
    ],
)
def test_plans_of_plans_sections(body: str, expected: list[str]) -> None:
    text = TITLE + MEASURES + body
    items = _plans(text)
    assert [i.text for i in items] == expected
    _assert_exact_offsets(text, items)


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("今后，我们将加强骨干教师培养。", ["今后，我们将加强骨干教师培养。"]),
        ("今后，我们将继续加强学习。加大对学困生的辅导力度。我们相信，工作一定会越做越好。",
         ["今后，我们将继续加强学习。", "加大对学困生的辅导力度。"]),
        ("下一步，学校将完善考核制度。", ["下一步，学校将完善考核制度。"]),
        ("在今后的工作中，我们将克服分散性、力求整合性;克服无序性、力求有序性。",
         ["在今后的工作中，我们将克服分散性、力求整合性;克服无序性、力求有序性。"]),
        ("我校将在今后的工作中，进一步搞好校本研训。", ["我校将在今后的工作中，进一步搞好校本研训。"]),
        ("下学期，我们将着重做好三方面的工作：一是加强补差工作；二是改进评课方式；三是开展过关课活动。",
         ["加强补差工作", "改进评课方式", "开展过关课活动。"]),
        ("针对以上问题，新学年我们将：一是推行小切口研修主题；二是建立轮岗带教机制。",
         ["推行小切口研修主题", "建立轮岗带教机制。"]),
        ("新学年，我组将开展一轮专题课例研究；同时加强青年教师培养。",
         ["新学年，我组将开展一轮专题课例研究；同时加强青年教师培养。"]),
        ("今后，我们将继续探索有效模式，一方面加强联合教研；另一方面，设计跨学科的主题活动。",
         ["加强联合教研", "设计跨学科的主题活动。"]),
    ],
)
def test_plan_passages_without_heading(passage: str, expected: list[str]) -> None:
    text = TITLE + MEASURES + "二、成效\n教师获奖20项。\n" + passage
    items = _plans(text)
    assert [i.text for i in items] == expected
    _assert_exact_offsets(text, items)


def test_plan_sentences_early_in_the_report_are_not_closing_plans() -> None:
    text = TITLE + "一、主要做法\n今后，我们将加强学习。\n二、成效\n教师获奖20项。\n三、体会\n研修贵在坚持。"
    assert _plans(text) == []


def test_item_markers_and_sections_without_roles() -> None:
    text = TITLE + MEASURES + "二、存在的问题\n（1）理论学习不够。\n（2）反思力度不够。"
    items = extract_shortcomings(text, parse_sections(text))  # roles are assigned when missing
    assert [(i.marker, i.section_id) for i in items] == [("（1）", "2"), ("（2）", "2")]


def test_traditional_report() -> None:
    text = "金山中學總結\n一、完善制度\n正文。\n二、存在的問題\n反思本學年的工作，還存在以下問題：1、集體備課的時間難以統一；2、活動形式單一。"
    assert [i.text for i in _shortcomings(text)] == ["集體備課的時間難以統一", "活動形式單一。"]


def test_seed_000(seed_000: str) -> None:
    sections = assign_roles(parse_sections(seed_000), seed_000)
    shortcomings = extract_shortcomings(seed_000, sections)
    assert len(shortcomings) == 3
    assert shortcomings[1].text == "因受各种条件限制，教师参与论坛的面不广。"
    assert {i.section_id for i in shortcomings} == {"4.1"}
    plans = extract_plans(seed_000, sections)
    assert [i.marker for i in plans[:4]] == ["1、", "2、", "3、", "4、"]
    assert plans[0].text == "继续强化教师素质意识，强化理论学习，使校本研修工作更加科学化、制度化、规范化。"
    assert plans[2].text.replace("\n", "") == "学校领导加强学习，可通过走出去、请进来等方式指导、引领教师成长。"
    assert len(plans) in (4, 5) and all(i.section_id == "4.2" for i in plans)
    _assert_exact_offsets(seed_000, shortcomings)
    _assert_exact_offsets(seed_000, plans)


def test_seed_002(seed_002_parts: list[str]) -> None:
    part1, part2, part3 = seed_002_parts
    items1 = _shortcomings(part1)
    assert [i.text for i in items1] == ["教师的理论学习仍要加强督促。", "教师的教育教学反思力度不够。"]
    assert [i.category for i in items1] == ["理论学习", "教学反思"]
    items3 = _shortcomings(part3)
    assert [i.marker for i in items3] == ["一是", "二是"]
    assert items3[0].text.startswith("部分教师对校本研训的认识不足")
    assert items3[0].text.endswith("受益不多的被动局面。")
    assert items3[1].text == "校本研训水平还不高,成果还不十分突出,缺乏更多的专家引领。"
    for text in seed_002_parts:
        _assert_exact_offsets(text, _shortcomings(text))
        _assert_exact_offsets(text, _plans(text))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("教师的理论学习仍要加强督促。", "理论学习"),
        ("教师的教育教学反思力度不够。", "教学反思"),
        ("缺乏更多的专家引领。", "专家引领"),
        ("只有部分教师参与论坛，参与面不广。", "参与面"),
        ("教学工作任务十分繁忙，无暇顾及。", "时间与负担"),
        ("学校经费紧张，设备老化。", "经费与条件"),
        ("教研活动流于形式，实效不强。", "教研实效"),
        ("线上研训平台使用不熟练，网络不稳定。", "信息技术"),
        ("考核激励机制尚不健全。", "评价机制"),
        ("家长的教育焦虑依然存在。", "其他"),
    ],
)
def test_categorize_shortcoming(text: str, code: str) -> None:
    assert categorize_shortcoming(text) == code


def test_user_codebook(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text("default: 未归类\ncodes:\n  家校合作: [家长, 家校]\n", encoding="utf-8")
    book = load_shortcoming_codebook(path)
    assert categorize_shortcoming("家长的教育焦虑依然存在。", book) == "家校合作"
    assert categorize_shortcoming("教师反思不够。", book) == "未归类"
    text = TITLE + MEASURES + "二、存在的问题\n1、家校沟通不够。\n2、反思不够。"
    items = extract_shortcomings(text, parse_sections(text), codebook=book)
    assert [i.category for i in items] == ["家校合作", "未归类"]


def test_bad_codebook(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_shortcoming_codebook(path)
    with pytest.raises(InputError):
        load_shortcoming_codebook(tmp_path / "missing.yaml")


def test_items_get_the_category_categorize_shortcoming_gives(seed_000: str, seed_002_parts: list[str]) -> None:
    # extract_shortcomings prepares the codebook once per report; each item still gets the
    # code categorize_shortcoming gives its text alone.
    items = [item for text in [seed_000, *seed_002_parts] for item in _shortcomings(text)]
    assert len(items) >= 5
    assert [item.category for item in items] == [categorize_shortcoming(item.text) for item in items]
    assert len({item.category for item in items}) >= 2
