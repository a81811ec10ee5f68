"""normalize_text (line structure only, characters kept) and fold_for_matching (same length)."""
from __future__ import annotations

import pytest

from reportmine.text.normalize import fold_for_matching, is_heading_start, normalize_text

SEED_000 = "000_1a97207371f7c8aa.txt"
SEED_002 = "002_a7e4325be9bd9d85.txt"


def _source_lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def test_seed_broken_sentence_is_mended(seeds_dir):
    raw = (seeds_dir / SEED_000).read_text(encoding="utf-8")
    assert "教师成\n长。" in raw
    text = normalize_text(raw)
    assert "3、学校领导加强学习，可通过走出去、请进来等方式指导、引领教师成长。" in text.split("\n")
    assert "教师成\n长" not in text


def test_seed_headings_and_other_lines_untouched(seeds_dir):
    raw = (seeds_dir / SEED_000).read_text(encoding="utf-8")
    lines = normalize_text(raw).split("\n")
    for heading in ("学校校本研修工作总结报告", "一、转变思想，更新观念", "欠缺之处：", "后续推进思路：",
                    "1、调整分组，确定重点关注对象。"):
        assert heading in lines
    # exactly one join in the whole seed: the broken 教师成/长 line
    assert len(lines) == len(_source_lines(raw)) - 1


def test_seed_002_list_lines_are_not_joined(seeds_dir):
    raw = (seeds_dir / SEED_002).read_text(encoding="utf-8")
    lines = normalize_text(raw).split("\n")
    assert lines == _source_lines(raw)
    assert "小班化教学目标:让每个学生有发展的空间,在全面中张扬个性" in lines
    assert "b、小组合作学习:每课至少有一次合作探究学习" in lines


def test_characters_kept_only_whitespace_changes(seeds_dir):
    raw = (seeds_dir / SEED_002).read_text(encoding="utf-8")
    text = normalize_text(raw)
    assert "".join(text.split()) == "".join(raw.split())
    # any within-line evidence of the source is still a substring
    assert "校级公开课64节,备课组内公开课90多节" in text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("第一行。\r\n第二行。\r第三行。", "第一行。\n第二行。\n第三行。"),
        ("  \u3000缩进的段落。\u3000 \n\n\n下一段。\t", "缩进的段落。\n下一段。"),
        ("\ufeff标题总结\n正文。", "标题总结\n正文。"),
        ("正文一。\n第 3 页 共 10 页\n正文二。", "正文一。\n正文二。"),
        ("正文一。\n第3页/共10页\n正文二。", "正文一。\n正文二。"),
        ("正文一。\n- 3 -\n正文二。", "正文一。\n正文二。"),
        ("正文一。\n— 12 —\n正文二。", "正文一。\n正文二。"),
        ("正文一。\n3/10\n正文二。", "正文一。\n正文二。"),
        ("正文一。\n7\n正文二。", "正文一。\n正文二。"),
        ("正文一。\nPage 2 of 9\n正文二。", "正文一。\n正文二。"),
    ],
)
def test_newlines_blank_lines_and_footers(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        # cut after a comma: always a continuation
        ("本学期我们开展了教研活动，\n取得了很好的效果。", "本学期我们开展了教研活动，取得了很好的效果。"),
        # a hard-wrapped long line continues on the next
        ("我校以课程改革为中心，以课堂教学质量为重点，突出抓课堂的教学目标为\n指导，深入开展教学研究。",
         "我校以课程改革为中心，以课堂教学质量为重点，突出抓课堂的教学目标为指导，深入开展教学研究。"),
        # headings keep their line
        ("一、转变思想，更新观念\n学校领导身先士卒，做好表率。", "一、转变思想，更新观念\n学校领导身先士卒，做好表率。"),
        ("（一）领导重视，认识到位，制度保证\n领导都非常重视。", "（一）领导重视，认识到位，制度保证\n领导都非常重视。"),
        ("学校校本研修工作总结报告\n我校是所普通的农村小学，相对城堡地区而言。",
         "学校校本研修工作总结报告\n我校是所普通的农村小学，相对城堡地区而言。"),
        # the next line opens with a marker: new paragraph even after an unfinished line
        ("我校围绕学校的研究总课题自定个人教育教学研究的子课题和计划安排如下\n1、继续强化教师素质意识。",
         "我校围绕学校的研究总课题自定个人教育教学研究的子课题和计划安排如下\n1、继续强化教师素质意识。"),
        ("第一部分 工作回顾\n第二部分 存在问题", "第一部分 工作回顾\n第二部分 存在问题"),
        ("①听课评课\n②集体备课", "①听课评课\n②集体备课"),
        # a long line followed by a short heading-like line: no join
        ("时间:2020-12-02 14:13:09 总结 我要投稿了的那一些\n小学2020年校本研训项目工作总结范文",
         "时间:2020-12-02 14:13:09 总结 我要投稿了的那一些\n小学2020年校本研训项目工作总结范文"),
        ("欠缺之处：\n1、课堂教学中。", "欠缺之处：\n1、课堂教学中。"),
        # a long title (no punctuation at all) is not a wrapped line
        ("瓯江区晨光幼儿园2018学年第一学期园本研修工作总结\n本学期，我园园本研修工作围绕课程理念展开。",
         "瓯江区晨光幼儿园2018学年第一学期园本研修工作总结\n本学期，我园园本研修工作围绕课程理念展开。"),
    ],
)
def test_paragraph_repair(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("一、转变思想", True), ("（一）领导重视", True), ("(一)领导重视", True), ("1、调整分组", True),
        ("1. 调整分组", True), ("（1）专题学习", True), ("(1) 教师的理论学习", True), ("①听课", True),
        ("第一部分 回顾", True), ("【篇一】", True), ("篇二", True), ("a、主动参与", True),
        ("E、课堂评价", True), ("首先，我们", True),
        ("2020年我校", False), ("1.5倍", False), ("我校是所普通的农村小学", False), ("长。", False),
    ],
)
def test_heading_markers(line, expected):
    assert is_heading_start(line) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("２０２０學年　校本研修：ＡＢｃ！", "2020学年 校本研修:ABc!"),
        ("開展公開課１６節", "开展公开课16节"),
        ("本学期开展研讨课3次。", "本学期开展研讨课3次。"),
        ("“请进来”、“走出去”", "“请进来”、“走出去”"),
        ("", ""),
    ],
)
def test_fold_for_matching(text, expected):
    folded = fold_for_matching(text)
    assert folded == expected
    assert len(folded) == len(text)


def test_fold_keeps_length_on_a_whole_report(seeds_dir):
    import opencc

    text = normalize_text((seeds_dir / SEED_000).read_text(encoding="utf-8"))
    traditional = opencc.OpenCC("s2t").convert(text)
    folded = fold_for_matching(traditional)
    assert len(folded) == len(traditional)
    assert "校本研修" in folded and "公开教学" in folded
    # offsets found in the folded text point at the original characters
    start = folded.index("公开教学")
    assert traditional[start : start + 4] == "公開教學"


def test_vectorized_fold_table_equals_per_character_fold():
    # The lookup array behind long texts is built with one batched OpenCC call: it must give
    # exactly what the per-character rule (`_fold_char`) gives, for every BMP character.
    from reportmine.text.normalize import _bmp_fold_array, _fold_char

    table = _bmp_fold_array()
    mismatches = [
        hex(code)
        for code in range(0x80, 0x10000)
        if not 0xD800 <= code < 0xE000 and chr(table[code]) != _fold_char(chr(code))
    ]
    assert mismatches == []
    assert all(table[code] == code for code in range(0x80))
    assert int((table == ord("\n")).sum()) == 1  # only "\n" folds to a newline: lines stay lines


@pytest.mark.parametrize(
    "text",
    [
        "開展公開課１６節，" * 20,  # long: the vectorized path
        "學" * 200 + "\U00020000" + "學",  # an astral character: the str.translate path
        "學" * 200 + "\ud800",  # a lone surrogate cannot be encoded: the str.translate path
    ],
)
def test_long_and_exotic_texts_fold_like_short_ones(text):
    from reportmine.text.normalize import _fold_table

    if "\ud800" in text:
        with pytest.raises(Exception):
            text.translate(_fold_table())
        with pytest.raises(Exception):
            fold_for_matching(text)
        return
    assert fold_for_matching(text) == text.translate(_fold_table())
    assert fold_for_matching(text[:50] + text[50:]) == "".join(fold_for_matching(ch) for ch in text)
