"""Heading grammar of Chinese official-document numbering: one report's text → its section tree.

The marker families (一、 / （一） / 1、 / 1. / （1） / ① / 第一部分 …) and the size limits are data in
``resources/headings.yaml``. Ranks are decided per report: a family takes the level at which it
first appears, numbering must continue by one (a family restarts at 1 only under a new parent),
a top-level run may switch style ((一)(二)(三) then 四、), and runs of list-prone markers whose
lines read like requirements rather than titles are items, not sections.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Pattern, cast

from reportmine.models import Section
from reportmine.text.normalize import fold_for_matching
from reportmine.vocab import load_vocab

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PLAIN = "plain"  # family name of unnumbered, bold-like heading lines


@dataclass(frozen=True)
class _Family:
    name: str
    regex: Pattern[str]
    numerals: str
    rank: int
    list_prone: bool
    separator_in_marker: bool


@dataclass
class _Grammar:
    families: list[_Family]
    # Matches where some family matches, its group "f<i>" naming the first such family i: one
    # failed match rejects a line, one match skips the families that cannot match.
    any_marker: Pattern[str] | None
    title_max: int
    title_with_body_max: int
    heading_body_min: int
    title_break: Pattern[str]
    sentence_punct: Pattern[str]
    plain_max: int
    plain_exclude: list[Pattern[str]]


@dataclass
class _Candidate:
    """A line that may open a section."""

    family: str
    numerals: str
    ordinal: int | None
    marker: str
    start: int  # line start (after leading blanks)
    title_start: int
    title: str
    title_end: int  # start of the body that follows the title (or the line end)
    line_index: int
    shape: str  # "title" (the line is a title) | "title_body" | "sentence"
    body_chars: int = 0
    list_prone: bool = False
    rank: int = 0  # typical rank of the family (0 for unnumbered headings)
    governs: bool = False  # body lines follow before the next same-family line
    depth: int = 0
    parent: int | None = None  # index into the accepted candidates


@dataclass
class _Level:
    families: set[str]
    numerals: str
    last: int | None
    index: int  # accepted-candidate index of the open section at this level
    list_prone: bool


def _load_grammar() -> _Grammar:
    vocab = load_vocab("headings.yaml")
    sets = vocab["ordinal_sets"]
    families = [
        _Family(
            name=entry["name"],
            regex=re.compile(entry["pattern"].format(**sets)),
            numerals=entry["numerals"],
            rank=int(entry["rank"]),
            list_prone=bool(entry["list_prone"]),
            separator_in_marker=bool(entry.get("separator_in_marker", True)),
        )
        for entry in vocab["families"]
    ]
    return _Grammar(
        families=families,
        any_marker=_any_of(families),
        title_max=int(vocab["title_max_chars"]),
        title_with_body_max=int(vocab["title_with_body_max_chars"]),
        heading_body_min=int(vocab["heading_body_min_chars"]),
        title_break=re.compile("[" + re.escape(vocab["title_breaks"]) + "]"),
        sentence_punct=re.compile("[" + re.escape(vocab["sentence_punctuation"]) + "]"),
        plain_max=int(vocab["plain_heading_max_chars"]),
        plain_exclude=[re.compile(p) for p in vocab["plain_heading_exclude"]],
    )


def _any_of(families: list[_Family]) -> Pattern[str] | None:
    """One alternation of every family pattern, family i's as group "f<i>" (its own groups
    unnamed): most lines start with no marker, and one failed match rejects them instead of one
    match per family; the alternation takes the first family that matches."""
    unnamed = [re.sub(r"\(\?P<\w+>", "(?:", family.regex.pattern) for family in families]
    try:
        return re.compile("|".join(f"(?P<f{index}>{pattern})" for index, pattern in enumerate(unnamed)))
    except re.error:  # e.g. a back-reference to a named group: check the families one by one
        return None


_GRAMMAR = _load_grammar()
_LINE = re.compile(r"[^\n]+")
_TRAILING_PUNCT = "。！？!?；;：:，,、 \u3000"
_SENTENCE_END = "。！？!?；;"
_SENTENCE_END_CHAR = re.compile(f"[{re.escape(_SENTENCE_END)}]")
_BRACKETED = re.compile(r"[【\[〖]\s*(.+?)\s*[】\]〗]")
_HALF_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_ordinal(numeral: str, numerals: str) -> int:
    """Return the integer value of one heading ordinal, e.g. ``parse_ordinal("十二", "cn") == 12``."""
    if numerals == "ar":
        return int(numeral.translate(_HALF_WIDTH_DIGITS))
    if numerals == "circled":
        return ord(numeral) - ord("①") + 1
    if numerals == "latin":
        return ord(numeral.lower()) - ord("a") + 1
    if "十" not in numeral:
        return _CN_DIGITS.get(numeral, 0)
    tens, _, units = numeral.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + _CN_DIGITS.get(units, 0)


def match_marker(line: str) -> tuple[_Family, re.Match[str]] | None:
    """Return the marker family and match at the start of `line`, e.g. for "（二）采取多种培训模式"."""
    families = _GRAMMAR.families
    if _GRAMMAR.any_marker is not None:
        first = _GRAMMAR.any_marker.match(line)
        if first is None:
            return None
        # Each family's group is named m<index>; the families before it do not match.
        families = families[int(cast(str, first.lastgroup)[1:]):]
    for family in families:
        found = family.regex.match(line)
        if found and found.end() < len(line):
            return family, found
    return None


def parse_sections(text: str) -> list[Section]:
    """Return the section tree of one report, in document order.

    Example:
        >>> text = "学校校本研修工作总结\\n一、转变思想，更新观念\\n学校领导身先士卒。\\n二、加强集体备课。本学期……"
        >>> [(s.section_id, s.marker, s.title) for s in parse_sections(text)]
        [('1', '一、', '转变思想，更新观念'), ('2', '二、', '加强集体备课')]
    """
    folded = fold_for_matching(text)  # same length: 學→学, （→(, so offsets carry over
    lines = [(m.start(), m.group()) for m in _LINE.finditer(folded)]
    candidates = _collect_candidates(lines)
    _mark_governing(candidates, len(lines))
    kept = _plain_headings([c for c in candidates if c.family == _PLAIN])
    kept += [c for c in candidates if c.family != _PLAIN and not c.list_prone]
    kept += _heading_runs([c for c in candidates if c.family != _PLAIN and c.list_prone])
    kept.sort(key=lambda c: c.start)
    accepted = _place(kept)
    return _build_sections(accepted, text)


def _collect_candidates(lines: list[tuple[int, str]]) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    sign_off = _sign_off_start(lines)
    for index, (line_start, raw) in enumerate(lines):
        if index == 0 or index >= sign_off:
            continue  # the document title and the closing school name / date are not sections
        stripped = raw.lstrip(" \t\u3000")
        start = line_start + len(raw) - len(stripped)
        stripped = stripped.rstrip()
        found = match_marker(stripped)
        candidate: _Candidate | None
        if found:
            candidate = _numbered_candidate(found[0], found[1], stripped, start, index)
        else:
            candidate = _plain_candidate(stripped, start, index)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _sign_off_start(lines: list[tuple[int, str]]) -> int:
    """Index of the first line of the closing block of short lines (school name, date)."""
    index = len(lines)
    while index > 1:
        line = lines[index - 1][1].strip()
        too_long = len(line) > _GRAMMAR.plain_max
        if too_long or _GRAMMAR.sentence_punct.search(line) or match_marker(line):
            break
        index -= 1
    return index


def _numbered_candidate(
    family: _Family, found: re.Match[str], line: str, start: int, index: int
) -> _Candidate:
    rest_offset = found.end()
    rest = line[rest_offset:]
    title, title_len, body_chars, shape = _split_title(rest)
    marker = line[:rest_offset].rstrip(" \t\u3000：:")
    if not family.separator_in_marker:
        marker = marker.rstrip("、，,．.")
    return _Candidate(
        family=family.name,
        numerals=family.numerals,
        ordinal=parse_ordinal(found.group("num"), family.numerals),
        marker=marker,
        start=start,
        title_start=start + rest_offset,
        title=title,
        title_end=start + rest_offset + title_len,
        line_index=index,
        shape=shape,
        body_chars=body_chars,
        list_prone=family.list_prone,
        rank=family.rank,
    )


def _split_title(rest: str) -> tuple[str, int, int, str]:
    """Return (title, chars up to the body, body length, shape) for the text after a marker."""
    brk = _GRAMMAR.title_break.search(rest)
    # "新教材研读：从“读懂”到“用好”" — a short line without a final stop is one title.
    whole_line = len(rest) <= _GRAMMAR.title_max and _SENTENCE_END_CHAR.search(rest) is None
    if brk is None or not rest[brk.end():].strip() or whole_line:
        title = rest.rstrip(_TRAILING_PUNCT)
        shape = "title" if len(rest) <= _GRAMMAR.title_max else "sentence"
        return title, len(rest), 0, shape
    title = rest[: brk.start()].rstrip(_TRAILING_PUNCT)
    body = rest[brk.end():]
    consumed = brk.end() + len(body) - len(body.lstrip(" \t\u3000"))
    if brk.start() <= _GRAMMAR.title_with_body_max:
        return title, consumed, len(body.strip()), "title_body"
    return title, consumed, len(body.strip()), "sentence"


def _plain_candidate(line: str, start: int, index: int) -> _Candidate | None:
    core = line.rstrip("：:")
    ends_with_colon = len(core) < len(line)
    if not core or len(core) > _GRAMMAR.plain_max:
        return None
    if _GRAMMAR.sentence_punct.search(core) or _GRAMMAR.title_break.search(core):
        return None
    if any(p.search(core) for p in _GRAMMAR.plain_exclude):
        return None
    if not ends_with_colon and len(core) < 2:
        return None
    bracketed = _BRACKETED.fullmatch(core)  # "【不足与反思】": the brackets are typography
    title_start = start + (bracketed.start(1) if bracketed else 0)
    title = bracketed.group(1).strip() if bracketed else core
    return _Candidate(
        family=_PLAIN, numerals="", ordinal=None, marker="", start=start, title_start=title_start,
        title=title, title_end=start + len(line), line_index=index, shape="title",
    )


def _mark_governing(candidates: list[_Candidate], n_lines: int) -> None:
    # A heading governs body lines; an enumerated requirement is followed by the next one at once.
    by_line = {c.line_index: c for c in candidates}
    for candidate in candidates:
        following = by_line.get(candidate.line_index + 1)
        candidate.governs = candidate.line_index + 1 < n_lines and (
            following is None or following.family != candidate.family
        )


def _plain_headings(candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop runs of three or more short lines in a row: a list ("学习一点理论\n思考一点问题…")."""
    runs: list[list[_Candidate]] = []
    for candidate in candidates:
        if runs and runs[-1][-1].line_index + 1 == candidate.line_index:
            runs[-1].append(candidate)
        else:
            runs.append([candidate])
    return [c for run in runs if len(run) < 3 for c in run]


def _heading_like(candidate: _Candidate) -> bool:
    if candidate.shape == "title":
        return candidate.governs
    if candidate.shape == "title_body":  # "1、师徒结对。本学年……" with a long or continued body
        return candidate.body_chars >= _GRAMMAR.heading_body_min or candidate.governs
    return False


def _heading_runs(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep the runs of list-prone markers (1, 2, 3 … of one family) that read like headings."""
    runs: list[list[_Candidate]] = []
    open_runs: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        run = open_runs.get(candidate.family)
        if run and candidate.ordinal == (run[-1].ordinal or 0) + 1:
            run.append(candidate)
        else:
            run = [candidate]
            runs.append(run)
            open_runs[candidate.family] = run
    kept: list[_Candidate] = []
    for run in runs:
        if sum(_heading_like(c) for c in run) * 2 > len(run):
            kept.extend(run)
    return kept


def _place(candidates: list[_Candidate]) -> list[_Candidate]:
    """Give each candidate a depth and parent with a stack of open levels; drop misfits."""
    # Unnumbered headings rank below numbered ones unless the numbered lines are mere sentences
    # ("不足之处\n一、部分学生书写不规范，……；").
    has_numbered_top = any(
        not c.list_prone and c.family != _PLAIN and c.shape != "sentence" for c in candidates
    )
    accepted: list[_Candidate] = []
    stack: list[_Level] = []
    last_seen: dict[str, int | None] = {}  # last accepted ordinal per family
    for candidate in candidates:
        level = _level_for(candidate, stack, has_numbered_top, last_seen)
        if level is None:
            continue
        last_seen[candidate.family] = candidate.ordinal
        # a style switch keeps the families seen at this level: (一)(二)(三) 四、 (五) …
        families = {candidate.family} | (stack[level].families if level < len(stack) else set())
        del stack[level:]
        candidate.depth = level + 1
        candidate.parent = stack[-1].index if stack else None
        accepted.append(candidate)
        stack.append(_Level(
            families, candidate.numerals, candidate.ordinal, len(accepted) - 1, candidate.list_prone
        ))
    return accepted


def _level_for(
    candidate: _Candidate,
    stack: list[_Level],
    has_numbered_top: bool,
    last_seen: dict[str, int | None],
) -> int | None:
    """Return the stack level (0 = top) the candidate opens, or None when it is not a heading."""
    if candidate.family == _PLAIN:
        for level, open_level in enumerate(stack):
            if _PLAIN in open_level.families:
                return level
        if not stack and has_numbered_top:
            return None  # a short line in the preamble ("现总结如下：") is not a section
        # "欠缺之处：" is a sub-heading of "四、"; after a list "1.…2.…3.…" it is a part of its own.
        return 1 + max((i for i, lvl in enumerate(stack) if not lvl.list_prone), default=-1)
    for level, open_level in enumerate(stack):
        if candidate.family in open_level.families:
            if candidate.ordinal == (open_level.last or 0) + 1 or candidate.ordinal == 1:
                return level
            return None  # numbering does not continue: a quoted or broken list
    if candidate.ordinal == 1:
        if candidate.rank == 1 and all(open_level.list_prone for open_level in stack):
            return 0  # "一、" after a preamble list "1、…2、…": the typical top rank wins
        return len(stack)
    if stack and candidate.ordinal == (last_seen.get(candidate.family) or 0) + 1:
        return len(stack)  # numbering that runs on across parents: （一）1、2、（二）3、4、
    for level, open_level in enumerate(stack):
        # style switch inside one run: (一)(二)(三) then 四、
        continues = candidate.ordinal == (open_level.last or 0) + 1
        if open_level.numerals == candidate.numerals and continues:
            return level
    if not stack and candidate.ordinal is not None and not candidate.list_prone:
        return 0  # the first top-level heading may be cut from an excerpt
    return None


def _build_sections(accepted: list[_Candidate], text: str) -> list[Section]:
    # Markers and titles were found in the folded text; show them as written.
    sections: list[Section] = []
    counters: dict[str | None, int] = {}
    ends = _section_ends(accepted, len(text))
    for index, candidate in enumerate(accepted):
        parent_id = sections[candidate.parent].section_id if candidate.parent is not None else None
        counters[parent_id] = counters.get(parent_id, 0) + 1
        section_id = f"{parent_id}.{counters[parent_id]}" if parent_id else str(counters[parent_id])
        end = ends[index]
        sections.append(
            Section(
                section_id=section_id,
                parent_id=parent_id,
                depth=candidate.depth,
                marker=text[candidate.start:candidate.start + len(candidate.marker)],
                title=text[candidate.title_start:candidate.title_start + len(candidate.title)],
                start=candidate.start,
                end=end,
                title_end=candidate.title_end,
            )
        )
    return sections


def _section_ends(accepted: list[_Candidate], text_end: int) -> list[int]:
    """Where each section ends: at the next heading of the same or a higher level (smaller or equal
    depth), else at the end of the text. One backward pass with a stack of the headings still
    open to the right (looking ahead from every heading was quadratic on long reports)."""
    ends = [text_end] * len(accepted)
    following: list[_Candidate] = []  # later headings, depths strictly increasing from the top
    for index in range(len(accepted) - 1, -1, -1):
        candidate = accepted[index]
        while following and following[-1].depth > candidate.depth:
            following.pop()
        if following:
            ends[index] = following[-1].start
        following.append(candidate)
    return ends
