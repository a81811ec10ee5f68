"""strip_boilerplate: 范文-site furniture goes, every sentence of the report stays."""
from __future__ import annotations

import pytest

from reportmine.ingest.boilerplate import is_boilerplate_line, strip_boilerplate
from reportmine.text.normalize import normalize_text


def test_seed_002_site_lines_removed(seed_002):
    text = strip_boilerplate(normalize_text(seed_002))
    for cue in ("小编", "我要投稿", "供大家参考借鉴", "希望可以帮助到有需要的朋友", "时间:2020-12-02",
                "不经意间", "那么要如何写呢"):
        assert cue not in text


def test_seed_002_report_lines_all_kept(seed_002):
    normalized = normalize_text(seed_002).split("\n")
    kept = strip_boilerplate("\n".join(normalized)).split("\n")
    removed = [line for line in normalized if line not in kept]
    assert len(removed) == 2  # the date/投稿 line and the 小编 intro, nothing else
    assert all("小编" in line or "我要投稿" in line for line in removed)
    for line in ("小学校本研训项目工作总结1", "(1) 教师的理论学习仍要加强督促。",
                 "小班化教学目标:让每个学生有发展的空间,在全面中张扬个性"):
        assert line in kept


def test_single_report_is_untouched(seed_000):
    normalized = normalize_text(seed_000)
    assert strip_boilerplate(normalized) == normalized


@pytest.mark.parametrize(
    "line",
    [
        "时间:2020-12-02 14:13:09 总结 我要投稿",
        "发布时间：2021-01-08 09:12:33",
        "以下是小编为大家收集的学校工作总结，仅供参考。",
        "为大家精心整理的学校工作总结范文，供大家参考借鉴，希望可以帮助到有需要的朋友。",
        "本站为大家整理的校本研修总结范文，欢迎阅读与收藏。",
        "上一篇：学校安全工作总结",
        "下一篇：2021年教研组工作计划",
        "相关推荐：",
        "推荐阅读：小学教研工作总结",
        "本文地址：https://www.example.com/zj/123.html",
        "版权所有 © 某某范文网",
        "免责声明：本站部分内容来源于网络。",
        "【工作总结】【工作计划】【心得体会】",
        "当前位置：首页 > 工作总结",
        "以下是小編為大家整理的學校工作總結，供大家參考借鑒。",  # a traditional-character site
    ],
)
def test_boilerplate_lines(line):
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "学校领导身先士卒，做好表率。",
        "【篇一】小学校本研修工作总结",
        "【范文二】",
        "三是通过公开课、评优课、示范课、观摩课、观点报告、读书沙龙等形式为教师提供展示与竞赛的平台。",
        "我们组织教师学习了优秀范文，并开展了交流研讨，上一学期的经验得到了推广和应用，时间安排合理。",
        "时间保证、人员保证(全员参加)、内容保证、过程保证。",
        "教师的教育理论素养决定了课改的深度和广度，相关推荐书目由教导处统一印发给每一位教师认真研读，"
        "并在每周的业务学习时间进行读书心得交流，取得了较好的效果，教师的理论水平有了明显提高。",
    ],
)
def test_report_lines_are_not_boilerplate(line):
    assert not is_boilerplate_line(line)


def test_trailing_link_list_removed():
    text = "\n".join([
        "学校校本研修工作总结报告",
        "本学期我们开展了教研活动五次。",
        "总之，校本教研是我校教学工作的重点。",
        "扩展阅读",
        "1、小学教研工作总结范文",
        "2、学校校本研修工作计划",
        "初中教研组工作总结",
    ])
    assert strip_boilerplate(text).split("\n") == [
        "学校校本研修工作总结报告", "本学期我们开展了教研活动五次。", "总之，校本教研是我校教学工作的重点。",
    ]


def test_trailing_list_stops_at_report_text():
    text = "相关文章：\n学校工作总结\n本学期我们继续开展师德达标活动，取得了良好效果。"
    assert strip_boilerplate(text) == "本学期我们继续开展师德达标活动，取得了良好效果。"
