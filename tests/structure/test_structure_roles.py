"""Section roles from the cue table: heading words, content cues, inheritance."""
from __future__ import annotations

import pytest

from reportmine.structure.headings import parse_sections
from reportmine.structure.roles import ROLES, assign_roles, content_role, heading_role


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("校本研训中存在的问题", "problems"),
        ("校本研训后的反思", "problems"),
        ("欠缺之处", "problems"),
        ("问题与思考", "problems"),
        ("困惑与不足", "problems"),
        ("存在的問題", "problems"),  # traditional
        ("后续推进思路", "plans"),
        ("今后的努力方向", "plans"),
        ("下一步工作设想", "plans"),
        ("2020年工作打算", "plans"),
        ("研修成效", "achievements"),
        ("成绩与荣誉", "achievements"),
        ("基本情况", "background"),
        ("指导思想", "background"),
        ("加强集体备课", "measures"),
        ("主要做法与措施", "measures"),
        ("明确思路,制定目标", None),
        # the earliest specific cue wins
        ("存在的问题与今后的努力方向", "problems"),
        # a problems word that names something done is no problem
        ("加强教学反思", "measures"),
        ("现场教研，问题真解决", "measures"),
        ("视导调研发现问题", None),
    ],
)
def test_heading_role(title: str, role: str | None) -> None:
    assert heading_role(title) == role


@pytest.mark.parametrize(
    ("body", "role"),
    [
        ("本学期还存在一些问题。教师的理论学习尚未形成习惯，读书氛围还不够浓。", "problems"),
        ("今后，我们将继续深化课堂研究；下一步，我们将加强骨干培养。", "plans"),
        ("学校组织教师开展了读书活动。", None),
    ],
)
def test_content_role(body: str, role: str | None) -> None:
    assert content_role(body) == role


def test_roles_inherit_and_override() -> None:
    text = (
        "总结\n一、主要做法\n正文。\n二、反思与展望\n正文。\n（一）教师方面\n教师参与不够。\n"
        "（二）今后打算\n继续加强学习。\n三、2021年工作思路\n正文。"
    )
    roles = {s.title: s.role for s in assign_roles(parse_sections(text), text)}
    assert roles == {
        "主要做法": "measures",
        "反思与展望": "problems",
        "教师方面": "problems",  # inherited
        "今后打算": "plans",  # its own heading says otherwise
        "2021年工作思路": "plans",  # the closing section announces the next period
    }


def test_assign_roles_returns_new_sections() -> None:
    text = "总结\n一、存在的问题\n教师参与不够。"
    sections = parse_sections(text)
    with_roles = assign_roles(sections, text)
    assert sections[0].role == "other" and with_roles[0].role == "problems"
    assert all(s.role in ROLES for s in with_roles)


def test_seed_roles(seed_000: str, seed_002_parts: list[str]) -> None:
    roles = {s.title: s.role for s in assign_roles(parse_sections(seed_000), seed_000)}
    assert roles["欠缺之处"] == "problems" and roles["后续推进思路"] == "plans"
    part1, _, part3 = seed_002_parts
    assert assign_roles(parse_sections(part1), part1)[-1].role == "problems"
    assert assign_roles(parse_sections(part3), part3)[-1].role == "problems"
