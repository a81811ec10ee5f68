"""Split a compilation page (…总结1 / …总结2, 【篇一】/【篇二】, 范文一 …) into its reports."""
from __future__ import annotations

import re
from dataclasses import dataclass

from reportmine.text.normalize import SENTENCE_FINAL, fold_for_matching

__all__ = ["ReportPart", "split_reports", "looks_like_title"]

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_REPORT_WORDS = ("总结", "汇报", "报告", "计划", "述职", "心得", "体会", "范文")
_TITLE_WORDS = ("总结", "小结", "报告", "汇报")
_TITLE_MAX = 40  # a report title is short; longer first lines are body text
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_NUMBER_ENDS = frozenset("一二三四五六七八九十）)")  # besides digits, what a numbered title ends in
# "小学校本研训项目工作总结1", "工作总结（二）", "范文三": a stem and a trailing number.
_NUMBERED_TITLE = re.compile(rf"^(?P<stem>\D.{{1,{_TITLE_MAX}}}?)[（(]?(?<!\d)(?P<num>{_NUM})[）)]?$")
# "【篇一】", "篇二：学校工作总结", "第三篇 …", "【范文一】": a marker, maybe a title after it.
_PIECE_MARKER = re.compile(
    rf"^[【\[]?\s*(?:篇\s*(?P<a>{_NUM})|第\s*(?P<b>{_NUM})\s*篇|范文\s*(?P<c>{_NUM}))\s*[】\]]?"
    rf"\s*[:：、.．\s]*(?P<rest>.*)$"
)


@dataclass
class ReportPart:
    """One report found in a file: its title and its normalized text (starting at the title)."""

    title: str
    text: str


def split_reports(text: str, *, fallback_title: str) -> list[ReportPart]:
    """Split normalized, boilerplate-free `text` into reports.

    Numbered title lines sharing a stem (…总结1, …总结2) or piece markers (篇一/【篇二】/范文三)
    start parts 1..n; lines before the first part (page title, repeated 范文 header) belong to
    no part. Otherwise the whole text is one report titled by its first line when that looks
    like a title, else by `fallback_title`.

    Example: "小学校本研训项目工作总结1\\n…\\n小学校本研训项目工作总结2\\n…" → two parts.
    """
    lines = [line for line in text.split("\n") if line]
    if not lines:
        return []
    starts = _numbered_starts(lines) or _marker_starts(lines)
    if not starts:
        title = lines[0] if looks_like_title(lines[0]) else fallback_title
        return [ReportPart(title=title, text="\n".join(lines))]
    parts = []
    for k, (index, title, skip) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        body = lines[index + skip : end]
        parts.append(ReportPart(title=title, text="\n".join(body)))
    return parts


def looks_like_title(line: str) -> bool:
    """True for a short line naming a report (contains 总结/报告/汇报, no sentence punctuation)."""
    folded = fold_for_matching(line)  # 工作總結 is a title too
    return (
        len(line) <= _TITLE_MAX
        and any(word in folded for word in _TITLE_WORDS)
        and line[-1] not in SENTENCE_FINAL
        and not any(p in line for p in "。，,；;")
    )


def _to_int(num: str) -> int:
    if num.isdigit():
        return int(num)
    if num == "十":
        return 10
    if num.startswith("十"):
        return 10 + _CN_DIGITS.get(num[1:], 0)
    if "十" in num:
        tens, _, ones = num.partition("十")
        return _CN_DIGITS.get(tens, 0) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(num, 0)


def _is_sequence(numbers: list[int]) -> bool:
    return len(numbers) >= 2 and numbers == list(range(1, len(numbers) + 1))


def _numbered_starts(lines: list[str]) -> list[tuple[int, str, int]]:
    """(line index, title, lines to skip) of each "<stem><n>" title, when a stem counts 1..n."""
    by_stem: dict[str, list[tuple[int, int]]] = {}
    for index, line in enumerate(lines):
        if len(line) > _TITLE_MAX or not _may_end_numbered(line[-1]):
            continue
        match = _NUMBERED_TITLE.match(line)
        if not match:
            continue
        stem = match["stem"].rstrip()
        if any(word in fold_for_matching(stem) for word in _REPORT_WORDS):
            by_stem.setdefault(stem, []).append((index, _to_int(match["num"])))
    for stem, hits in by_stem.items():
        if _is_sequence([n for _, n in hits]):
            return [(index, lines[index], 0) for index, _ in hits]
    return []


def _may_end_numbered(last: str) -> bool:
    """Whether a line ending in `last` can match `_NUMBERED_TITLE`: it ends in its number (\\d is
    a Unicode decimal digit, as str.isdecimal) or a closing bracket. Most lines do not, and this
    spares them the pattern's lazy search for a stem."""
    return last.isdecimal() or last in _NUMBER_ENDS


def _marker_starts(lines: list[str]) -> list[tuple[int, str, int]]:
    """(line index, title, lines to skip) of each 篇一/【篇二】/范文三 marker numbered 1..n."""
    hits: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        if len(line) > _TITLE_MAX + 8:
            continue
        match = _PIECE_MARKER.match(line)
        if match and not any(p in match["rest"] for p in "。；;"):
            num = match["a"] or match["b"] or match["c"]
            hits.append((index, _to_int(num), match["rest"].strip()))
    if not _is_sequence([n for _, n, _ in hits]):
        return []
    starts = []
    for index, _, rest in hits:
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if rest:
            starts.append((index, rest, 0))
        elif following and looks_like_title(following):
            starts.append((index, following, 1))  # bare "【篇一】" then the title line
        else:
            starts.append((index, lines[index], 0))
    return starts
