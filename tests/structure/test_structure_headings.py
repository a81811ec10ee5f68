"""Heading grammar: marker families, ranks per report, items that are not sections, offsets."""
from __future__ import annotations

import pytest

from reportmine.structure.headings import parse_ordinal, parse_sections

TITLE = "学校工作总结\n"


def _tops(text: str) -> list[tuple[str, str]]:
    return [(s.marker, s.title) for s in parse_sections(text) if s.depth == 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one row per marker family, two headings each, body lines between them
        ("一、转变思想\n正文。\n二、讲求实效\n正文。", [("一、", "转变思想"), ("二、", "讲求实效")]),
        ("（一）领导重视\n正文。\n（二）形式多样\n正文。", [("（一）", "领导重视"), ("（二）", "形式多样")]),
        ("(一)领导重视\n正文。\n(二)形式多样\n正文。", [("(一)", "领导重视"), ("(二)", "形式多样")]),
        ("1、线上教研不停步\n正文。\n2、集体备课抓实效\n正文。", [("1、", "线上教研不停步"), ("2、", "集体备课抓实效")]),
        ("1.推门听课\n正文。\n2.研讨展示\n正文。", [("1.", "推门听课"), ("2.", "研讨展示")]),
        ("1．推门听课\n正文。\n2．研讨展示\n正文。", [("1．", "推门听课"), ("2．", "研讨展示")]),
        ("（1）师德建设\n正文。\n（2）骨干引领\n正文。", [("（1）", "师德建设"), ("（2）", "骨干引领")]),
        ("(1)师德建设\n正文。\n(2)骨干引领\n正文。", [("(1)", "师德建设"), ("(2)", "骨干引领")]),
        ("①师德建设\n正文。\n②骨干引领\n正文。", [("①", "师德建设"), ("②", "骨干引领")]),
        ("第一部分 基本情况\n正文。\n第二部分 主要做法\n正文。", [("第一部分", "基本情况"), ("第二部分", "主要做法")]),
        ("第一部分：基本情况\n正文。\n第二部分：主要做法\n正文。", [("第一部分", "基本情况"), ("第二部分", "主要做法")]),
        ("第一节 基本情况\n正文。\n第二节 主要做法\n正文。", [("第一节", "基本情况"), ("第二节", "主要做法")]),
        ("第一，加强学习\n正文。\n第二，注重实践\n正文。", [("第一，", "加强学习"), ("第二，", "注重实践")]),
        ("十一、营造氛围\n正文。", [("十一、", "营造氛围")]),
    ],
)
def test_marker_families(text: str, expected: list[tuple[str, str]]) -> None:
    assert _tops(TITLE + text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full-width digits and brackets are read like half-width ones; the marker stays as written
        ("１、线上教研\n正文。\n２、集体备课\n正文。", [("１、", "线上教研"), ("２、", "集体备课")]),
        ("（ 一 ）领导重视\n正文。\n（ 二 ）形式多样\n正文。", [("（ 一 ）", "领导重视"), ("（ 二 ）", "形式多样")]),
        ("（一）领导重视\n正文。\n(二)形式多样\n正文。", [("（一）", "领导重视"), ("(二)", "形式多样")]),
        # traditional characters
        ("一、完善制度保障研修有序開展\n正文。\n二、存在的問題\n正文。",
         [("一、", "完善制度保障研修有序開展"), ("二、", "存在的問題")]),
    ],
)
def test_full_width_and_traditional_forms(text: str, expected: list[tuple[str, str]]) -> None:
    assert _tops(TITLE + text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (一)(二)(三) then 四、: one top-level run that switches style
        ("(一)领导重视\n正文。\n(二)培训模式\n正文。\n(三)内容丰富\n正文。\n四、校本研训后的反思\n(1) 理论学习仍要加强。",
         ["领导重视", "培训模式", "内容丰富", "校本研训后的反思"]),
        # 一、 over （一） over 1、: nesting by first appearance
        ("一、做法\n（一）备课\n1、个人初备\n正文。\n2、集体研讨\n正文。\n（二）上课\n正文。\n二、成效\n正文。",
         ["做法", "成效"]),
        # a report whose top level is （一）, with 一、 never used
        ("（一）做法\n1、备课\n正文。\n2、上课\n正文。\n（二）成效\n正文。", ["做法", "成效"]),
        # a heading-like preamble list does not hold the 一、 sections that follow it
        ("1、指导思想\n正文。\n2、工作目标\n正文。\n一、主要做法\n正文。\n二、存在问题\n正文。",
         ["指导思想", "工作目标", "主要做法", "存在问题"]),
        # unnumbered headings are the top level when the numbered lines are mere sentences
        ("教研活动常态开展\n本学期我们把隔周的周五下午作为组内固定活动时间。\n不足之处\n"
         "一、部分学生书写不规范，作文中语法错误较多，读写融合的效果还需时间检验；\n"
         "二、听说训练的时间难以保证，受课时限制，口语训练多停留在课堂朗读；\n今后打算\n正文。",
         ["教研活动常态开展", "不足之处", "今后打算"]),
    ],
)
def test_mixed_styles_rank_per_report(text: str, expected: list[str]) -> None:
    assert [title for _, title in _tops(TITLE + text)] == expected


def test_nesting_ids_and_depths() -> None:
    text = TITLE + "一、做法\n（一）备课\n正文。\n（二）上课\n正文。\n二、成效\n正文。"
    rows = [(s.section_id, s.parent_id, s.depth, s.title) for s in parse_sections(text)]
    assert rows == [
        ("1", None, 1, "做法"),
        ("1.1", "1", 2, "备课"),
        ("1.2", "1", 2, "上课"),
        ("2", None, 1, "成效"),
    ]


@pytest.mark.parametrize(
    ("line", "title", "body_start"),
    [
        ("二、加强集体备课。本学期各组每两周集体备课一次。", "加强集体备课", "本学期"),
        ("（一）集体备课常态化。各备课组每两周开展一次集体备课。", "集体备课常态化", "各备课组"),
        ("1、问题与改进。回顾本学期的工作，我们认为还存在以下不足，这些不足主要表现在三个方面。",
         "问题与改进", "回顾"),
        ("1、自主学习：学校要求教师每学期阅读一本教育名著，教师可根据自己的专业发展阶段自主选择书目。",
         "自主学习", "学校要求"),
        ("(一)新教材研读：从“读懂”到“用好”", "新教材研读：从“读懂”到“用好”", "\n正文"),
    ],
)
def test_heading_and_body_on_one_line(line: str, title: str, body_start: str) -> None:
    text = TITLE + line + "\n正文。"
    sections = parse_sections(text)
    assert [s.title for s in sections] == [title]
    section = sections[0]
    assert text[section.start:].startswith(section.marker + title)
    assert text[section.title_end:].startswith(body_start)


def test_numbering_running_on_across_parents() -> None:
    text = TITLE + (
        "一、做法\n（一）备课\n1、个人初备\n正文。\n2、集体研讨\n正文。\n（二）上课\n3、课堂展示\n正文。\n"
        "4、课后反思\n正文。\n二、成效\n正文。"
    )
    rows = [(s.section_id, s.title) for s in parse_sections(text)]
    assert rows[-3:] == [("1.2.1", "课堂展示"), ("1.2.2", "课后反思"), ("2", "成效")]


def test_offsets_and_ends() -> None:
    text = TITLE + "一、做法\n正文一。\n（一）备课\n正文二。\n二、成效\n正文三。"
    sections = parse_sections(text)
    first, child, second = sections
    assert text[first.start:first.title_end] == "一、做法"
    assert first.end == second.start
    assert child.end == second.start
    assert second.end == len(text)
    assert text[child.start:child.end] == "（一）备课\n正文二。\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a list of rules: short "title: short body" lines one after another are items
        ("一、制度引领\n(1)课程设置:严格按课程标准实施。\n(2)教师学习:每周至少有1次专题学习。\n"
         "(3)作业批改:做到作业面批。\n二、有效落实\n正文。", ["制度引领", "有效落实"]),
        # long sentence items after an unnumbered sub-heading
        ("一、做法\n正文。\n欠缺之处：\n1、课堂教学中，部分教师急于赶教学进度，而忽略了课堂教学资源的生成，对学生的关注面不广。\n"
         "2、因受各种条件限制，教师参与论坛的面不广。", ["做法"]),
        # numbering that does not continue is not a heading
        ("一、做法\n正文。\n三、成效\n正文。", ["做法"]),
        # 一是 is inline, never a heading
        ("一、问题\n一是参与积极性不高。\n二是缺乏专家引领。", ["问题"]),
        # the document title and the closing school name and date are not sections
        ("一、做法\n正文。\n永嘉县桥头镇中心小学\n二〇二一年一月", ["做法"]),
        # a list of short lines is not a run of headings
        ("一、目标\n我们的目标是：\n学习一点理论\n思考一点问题\n实践一点技能\n二、做法\n正文。", ["目标", "做法"]),
        # a lead-in line in the preamble is not a section
        ("现将本学期工作总结如下：\n一、做法\n正文。", ["做法"]),
    ],
)
def test_lists_and_lines_that_are_not_sections(text: str, expected: list[str]) -> None:
    assert [title for _, title in _tops(TITLE + text)] == expected


def test_rules_list_is_not_a_section_at_any_depth() -> None:
    text = TITLE + (
        "一、制度引领\n本校结合计划实施。\n(1)课程设置:严格按课程标准实施。\n(2)教师学习:每周至少有1次学习。\n"
        "(3)校园文化:体现和谐。\n二、有效落实\n正文。"
    )
    assert [s.title for s in parse_sections(text)] == ["制度引领", "有效落实"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一、做法\n正文。\n欠缺之处：\n1、部分教师急于赶教学进度，而忽略了课堂教学资源的生成。\n后续推进思路：\n1、继续强化教师素质意识，强化理论学习。",
         [(1, "做法"), (2, "欠缺之处"), (2, "后续推进思路")]),
        ("主要做法\n正文很长的一段话。\n存在问题\n教师参与不够。", [(1, "主要做法"), (1, "存在问题")]),
        ("【主要工作】\n正文很长的一段话。\n【不足与反思】\n教师参与不够。", [(1, "主要工作"), (1, "不足与反思")]),
        # after a top-level list "1.…2.…" an unnumbered heading is a part of its own
        ("1.加强常规管理。学期初，教导处对各科教学计划进行了检查，学期中进行了两次常规检查。\n"
         "2.开展教研活动。各教研组每两周开展一次教研活动，共开展校级公开课12节，效果良好。\n"
         "存在问题：\n部分教师作业批改不够及时。\n下学期工作设想：\n1.继续抓好教学常规管理。\n2.加强青年教师培养。",
         [(1, "加强常规管理"), (1, "开展教研活动"), (1, "存在问题"), (1, "下学期工作设想")]),
    ],
)
def test_unnumbered_headings(text: str, expected: list[tuple[int, str]]) -> None:
    assert [(s.depth, s.title) for s in parse_sections(TITLE + text)] == expected


@pytest.mark.parametrize(
    ("numeral", "numerals", "value"),
    [("一", "cn", 1), ("十", "cn", 10), ("十二", "cn", 12), ("二十", "cn", 20), ("３", "ar", 3),
     ("12", "ar", 12), ("③", "circled", 3), ("E", "latin", 5)],
)
def test_parse_ordinal(numeral: str, numerals: str, value: int) -> None:
    assert parse_ordinal(numeral, numerals) == value


def test_seed_000_top_level(seed_000: str) -> None:
    assert _tops(seed_000) == [
        ("一、", "转变思想，更新观念"),
        ("二、", "形式多样，讲求实效"),
        ("三、", "突出重点、分项落实"),
        ("四、", "努力改进、力求完美"),
    ]
    titles = {s.title: s for s in parse_sections(seed_000)}
    assert titles["欠缺之处"].depth == 2 and titles["后续推进思路"].depth == 2


def test_seed_002_part_1_style_switch(seed_002_parts: list[str]) -> None:
    assert _tops(seed_002_parts[0]) == [
        ("(一)", "领导重视,认识到位,制度保证"),
        ("(二)", "采取多种培训模式,全面提升教师队伍的整体素质"),
        ("(三)", "校本研训内容丰富多彩"),
        ("四、", "校本研训后的反思"),
    ]


def test_seed_002_part_2_rules_are_items(seed_002_parts: list[str]) -> None:
    sections = parse_sections(seed_002_parts[1])
    tops = [s for s in sections if s.depth == 1]
    assert [s.marker for s in tops] == ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、"]
    assert tops[2].title == "制度引领,按部就班"
    assert not any(s.marker.startswith("(") for s in sections)  # (1)…(10) are rules, not sections


def test_seed_002_part_3(seed_002_parts: list[str]) -> None:
    tops = _tops(seed_002_parts[2])
    assert len(tops) == 6
    assert tops[-1] == ("六、", "校本研训中存在的问题")


def test_sections_of_all_seeds_hold_consistent_offsets(
    seed_000: str, seed_002_parts: list[str]
) -> None:
    for text in [seed_000, *seed_002_parts]:
        for section in parse_sections(text):
            assert section.start < section.title_end <= section.end <= len(text)
            assert text[section.start:].startswith(section.marker)
            assert section.title in text[section.start:section.title_end]


def test_short_lines_in_a_row_are_not_headings() -> None:
    text = TITLE + "一、目标\n我们的目标是：\n学习一点理论\n思考一点问题\n实践一点技能\n二、做法\n正文。"
    assert [s.title for s in parse_sections(text)] == ["目标", "做法"]


def test_section_ends_equal_the_next_heading_of_the_same_or_higher_level():
    # _section_ends (one backward pass) must equal looking ahead from every heading.
    import random

    from reportmine.structure.headings import _Candidate, _section_ends

    rng = random.Random(1)
    for _ in range(500):
        accepted, position = [], 0
        for line_index in range(rng.randint(0, 15)):
            position += rng.randint(1, 9)
            # Real candidates, not look-alikes: compiled (mypyc), the function checks their type.
            accepted.append(_Candidate(
                family="", numerals="", ordinal=None, marker="", start=position, title_start=position, title="",
                title_end=position, line_index=line_index, shape="title", depth=rng.randint(1, 4),
            ))
        text_end = position + 10
        expected = [next((later.start for later in accepted[index + 1:] if later.depth <= candidate.depth), text_end)
                    for index, candidate in enumerate(accepted)]
        assert _section_ends(accepted, text_end) == expected
