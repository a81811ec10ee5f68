"""Section roles (background, measures, achievements, problems, plans, other) from a cue table.

The cues are data in ``resources/roles.yaml``: heading words first, then, for an uninformative
heading, cue patterns counted in the section's own body. Children inherit a parent's problems or
plans role unless their own heading names another specific role.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Pattern

from reportmine.models import Section, replaced
from reportmine.text.normalize import fold_for_matching
from reportmine.vocab import load_vocab

ROLES = ("background", "measures", "achievements", "problems", "plans", "other")
_INHERITED = ("problems", "plans")


@dataclass(frozen=True)
class _RoleCues:
    heading: dict[str, list[str]]
    measures: list[str]
    negator: Pattern[str]
    follower: Pattern[str]
    closing_plans: list[str]
    content: dict[str, Pattern[str]]
    content_min_hits: int


def _load_cues() -> _RoleCues:
    vocab = load_vocab("roles.yaml")
    return _RoleCues(
        heading={role: list(words) for role, words in vocab["heading_cues"].items()},
        measures=list(vocab["measures"]),
        negator=re.compile("(?:" + vocab["problem_cue_negators"] + ")[^，,、。；;：:]{0,4}$"),
        follower=re.compile(vocab["problem_cue_followers"]),
        closing_plans=list(vocab["closing_plan_cues"]),
        content={role: re.compile(p) for role, p in vocab["content_cues"].items()},
        content_min_hits=int(vocab["content_min_hits"]),
    )


_CUES = _load_cues()


@lru_cache(maxsize=8192)
def heading_role(title: str) -> str | None:
    """Return the role a heading title names, or None when it names none.

    Example:
        >>> heading_role("校本研训中存在的问题"), heading_role("后续推进思路"), heading_role("明确思路")
        ('problems', 'plans', None)

    Cached: a pure function of the title, and reports of one corpus repeat their headings
    (存在的问题, 主要做法 …), each of which costs some eighty cue look-ups.
    """
    title = fold_for_matching(title)  # traditional headings (存在的問題) match simplified cues
    best: tuple[int, int, str] | None = None  # (position, -cue length, role)
    for role, words in _CUES.heading.items():
        for word in words:
            if word not in title:  # most cues are absent: skip the call
                continue
            position = _cue_position(title, word, role)
            if position >= 0 and (best is None or (position, -len(word)) < best[:2]):
                best = (position, -len(word), role)
    if best is not None:
        return best[2]
    if any(word in title for word in _CUES.measures):
        return "measures"
    return None


def _cue_position(title: str, word: str, role: str) -> int:
    position = title.find(word)
    while position >= 0 and role == "problems" and (
        _CUES.negator.search(title[:position])
        or _CUES.follower.search(title[position + len(word):])
    ):
        position = title.find(word, position + 1)  # "加强教学反思", "问题真解决" are measures
    return position


def content_role(body: str) -> str | None:
    """Return the role the body of an uninformative section states, e.g. "存在以下不足：……尚未……"."""
    return _folded_content_role(fold_for_matching(body))


def _folded_content_role(body: str) -> str | None:
    """`content_role` of a body already folded for matching."""
    hits = {role: len(pattern.findall(body)) for role, pattern in _CUES.content.items()}
    role, count = max(hits.items(), key=lambda item: item[1])
    others = [n for r, n in hits.items() if r != role]
    if count >= _CUES.content_min_hits and all(count > n for n in others):
        return role
    return None


def assign_roles(sections: list[Section], text: str) -> list[Section]:
    """Return new sections with `role` set from heading cues, content cues and inheritance.

    Example:
        >>> from reportmine.structure.headings import parse_sections
        >>> text = "总结\\n四、校本研训后的反思\\n(1) 教师的理论学习仍要加强督促。"
        >>> [s.role for s in assign_roles(parse_sections(text), text)]
        ['problems']
    """
    by_id: dict[str, Section] = {}
    result: list[Section] = []
    last_top = max((s.start for s in sections if s.depth == 1), default=-1)
    first_child: dict[str, int] = {}  # section id → start of its first child heading
    for s in sections:
        if s.parent_id is not None:
            first_child.setdefault(s.parent_id, s.start)
    for section in sections:
        parent = by_id.get(section.parent_id) if section.parent_id else None
        own = heading_role(section.title)
        if own in (None, "measures") and section.start == last_top and section.depth == 1:
            own = _closing_role(section.title) or own
        if own is None or own == "measures":
            inherited = parent.role if parent is not None and parent.role in _INHERITED else None
            own = inherited or own or _body_role(section, first_child, text) or "other"
        updated = replaced(section, role=own)
        by_id[section.section_id] = updated
        result.append(updated)
    return result


def _closing_role(title: str) -> str | None:
    folded = fold_for_matching(title)
    return "plans" if any(word in folded for word in _CUES.closing_plans) else None


def _body_role(section: Section, first_child: dict[str, int], text: str) -> str | None:
    # The fold works per character, so a slice of the folded report (cached: parsing the
    # sections folded it) is the folded body: no second fold of each body.
    return _folded_content_role(_own_body(section, first_child, fold_for_matching(text)))


def _own_body(section: Section, first_child: dict[str, int], text: str) -> str:
    # The body up to the first child heading: children speak for themselves.
    return text[section.title_end:first_child.get(section.section_id, section.end)]
