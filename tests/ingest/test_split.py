"""split_reports: compilations become parts 1..n titled by their headings; single reports stay whole."""
from __future__ import annotations

import pytest

from reportmine.ingest.boilerplate import strip_boilerplate
from reportmine.ingest.split import looks_like_title, split_reports
from reportmine.text.normalize import normalize_text


def _clean(raw: str) -> str:
    return strip_boilerplate(normalize_text(raw))


def test_seed_002_three_parts(seed_002):
    parts = split_reports(_clean(seed_002), fallback_title="002")
    assert [p.title for p in parts] == [f"小学校本研训项目工作总结{n}" for n in (1, 2, 3)]
    for part in parts:
        assert part.text.split("\n")[0] == part.title  # text starts at its title line
    assert parts[0].text.split("\n")[1].startswith("本学年度我校组织全体教师")
    assert parts[0].text.endswith("促进教师的专业化发展。")
    assert parts[1].text.split("\n")[1].startswith("教育制度的改革使小班化教学应运而生")
    assert parts[2].text.endswith("促进我校尽快实现创建名校的奋斗目标。")
    joined = "\n".join(p.text for p in parts)
    assert "小学2020年校本研训项目工作总结范文" not in joined  # the page header belongs to no part
    assert "(2) 教师的教育教学反思力度不够。" in parts[0].text
    assert "(2) 教师的教育教学反思力度不够。" not in parts[1].text


def test_seed_002_parts_are_substrings_of_the_clean_text(seed_002):
    clean = _clean(seed_002)
    for part in split_reports(clean, fallback_title="002"):
        assert part.text in clean


def test_seed_000_single_report(seed_000):
    clean = _clean(seed_000)
    parts = split_reports(clean, fallback_title="000_1a97207371f7c8aa")
    assert len(parts) == 1
    assert parts[0].title == "学校校本研修工作总结报告"
    assert parts[0].text == clean


def test_untitled_single_report_uses_fallback():
    parts = split_reports("本学期我们开展了教研活动。\n取得了成效。", fallback_title="某校2020")
    assert [(p.title, p.text) for p in parts] == [("某校2020", "本学期我们开展了教研活动。\n取得了成效。")]


def test_empty_text_gives_no_parts():
    assert split_reports("", fallback_title="x") == []


@pytest.mark.parametrize(
    "lines, titles",
    [
        (["学校工作总结范文", "【篇一】", "学校校本研修工作总结", "正文一。", "【篇二】", "学校教研工作总结", "正文二。"],
         ["学校校本研修工作总结", "学校教研工作总结"]),
        (["篇一：小学教研工作总结", "正文一。", "篇二：初中教研工作总结", "正文二。", "篇三：高中教研工作总结", "正文三。"],
         ["小学教研工作总结", "初中教研工作总结", "高中教研工作总结"]),
        (["范文一", "正文一。", "范文二", "正文二。"], ["范文一", "范文二"]),
        (["第一篇 学校工作总结", "正文一。", "第二篇 学校工作汇报", "正文二。"], ["学校工作总结", "学校工作汇报"]),
        (["教研组工作总结（一）", "正文一。", "教研组工作总结（二）", "正文二。"], ["教研组工作总结（一）", "教研组工作总结（二）"]),
        (["工作计划1", "正文一。", "工作计划2", "正文二。"], ["工作计划1", "工作计划2"]),
    ],
)
def test_compilation_markers(lines, titles):
    parts = split_reports("\n".join(lines), fallback_title="x")
    assert [p.title for p in parts] == titles
    assert all(p.text.split("\n")[-1].startswith("正文") for p in parts)


@pytest.mark.parametrize(
    "lines",
    [
        # numbers that do not count 1..n are not a compilation
        ["学校工作总结2", "正文。", "学校工作总结3", "正文。"],
        # one numbered title alone is a single report
        ["小学校本研训项目工作总结1", "正文。"],
        # enumerated headings inside a report are not report titles
        ["学校工作总结", "一、形式多样", "正文。", "二、突出重点", "正文。"],
        ["学校工作总结", "1、调整分组，确定重点关注对象。", "2、组织理论学习，固化小班化教育理念。"],
    ],
)
def test_not_a_compilation(lines):
    parts = split_reports("\n".join(lines), fallback_title="x")
    assert len(parts) == 1
    assert parts[0].text == "\n".join(lines)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("学校校本研修工作总结报告", True),
        ("永嘉县实验小学2020学年教研工作汇报", True),
        ("金山縣第一高級中學2019學年校本研修工作總結", True),
        ("高三年级组研训工作小结", True),
        ("我校是所普通的农村小学，相对城堡地区而言，教师接受外界信息较为缓慢。", False),
        ("一学年来，我们进行县级公开教学一次，片级公开教学多次，总结了经验。", False),
        ("一、转变思想，更新观念", False),
    ],
)
def test_looks_like_title(line, expected):
    assert looks_like_title(line) is expected
