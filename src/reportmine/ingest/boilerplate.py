"""Drop 范文-site boilerplate lines (我要投稿, 小编 intros, 相关推荐 lists …) from normalized text.

The cue phrases are data in ``resources/boilerplate.yaml``. Removal works on whole lines of
normalized text (one paragraph per line) and never edits inside a line, so a report's own
sentences are kept character for character.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reportmine.text.normalize import SENTENCE_FINAL, fold_for_matching
from reportmine.vocab import load_vocab

__all__ = ["strip_boilerplate", "is_boilerplate_line"]

_INTRO_MAX = 300  # the site's intro paragraph is short; a longer paragraph is report text


@dataclass(frozen=True)
class _Rules:
    line_cues: tuple[str, ...]
    short_line_cues: tuple[str, ...]
    short_line_max: int
    line_patterns: tuple[re.Pattern[str], ...]
    keep_patterns: tuple[re.Pattern[str], ...]
    intro_anchors: tuple[str, ...]
    intro_cues: tuple[str, ...]
    trailing_headings: tuple[str, ...]
    trailing_line_max: int


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    vocab = load_vocab("boilerplate.yaml")

    def folded(key: str) -> tuple[str, ...]:  # lines are matched folded, so the cues are too
        return tuple(fold_for_matching(cue) for cue in vocab[key])

    return _Rules(
        line_cues=folded("line_cues"),
        short_line_cues=folded("short_line_cues"),
        short_line_max=int(vocab["short_line_max"]),
        line_patterns=tuple(re.compile(p) for p in vocab["line_patterns"]),
        keep_patterns=tuple(re.compile(p) for p in vocab["keep_bracket_patterns"]),
        intro_anchors=folded("intro_anchors"),
        intro_cues=folded("intro_cues"),
        trailing_headings=folded("trailing_list_headings"),
        trailing_line_max=int(vocab["trailing_list_line_max"]),
    )


def strip_boilerplate(text: str) -> str:
    """Return normalized `text` without the lines a 范文 site added around the report(s).

    Example: "时间:2020-12-02 14:13:09 总结 我要投稿" and "…以下是小编帮大家整理的…范文，
    供大家参考借鉴…" disappear; "一、转变思想，更新观念" stays.
    """
    rules = _rules()
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_trailing_heading(fold_for_matching(line), rules):
            i += 1
            while i < len(lines) and _is_list_entry(fold_for_matching(lines[i]), rules):
                i += 1
            continue
        if not is_boilerplate_line(line):
            kept.append(line)
        i += 1
    return "\n".join(kept)


def is_boilerplate_line(line: str) -> bool:
    """True when one normalized line is site furniture rather than report text."""
    rules = _rules()
    line = fold_for_matching(line)  # 小編 / 我要投稿 on traditional-character sites too
    if any(p.search(line) for p in rules.keep_patterns):
        return False
    if any(cue in line for cue in rules.line_cues):
        return True
    if len(line) <= rules.short_line_max and any(cue in line for cue in rules.short_line_cues):
        return True
    if any(p.search(line) for p in rules.line_patterns):
        return True
    return _is_intro(line, rules)


def _is_intro(line: str, rules: _Rules) -> bool:
    return (
        len(line) <= _INTRO_MAX
        and any(anchor in line for anchor in rules.intro_anchors)
        and any(cue in line for cue in rules.intro_cues)
    )


def _is_trailing_heading(line: str, rules: _Rules) -> bool:
    return len(line) <= 20 and line.startswith(rules.trailing_headings)


def _is_list_entry(line: str, rules: _Rules) -> bool:
    """An article title in a trailing link list: short and not a finished sentence."""
    is_title = len(line) <= rules.trailing_line_max and line[-1] not in SENTENCE_FINAL
    is_teaser = len(line) <= rules.short_line_max and any(a in line for a in rules.intro_anchors)
    return is_title or is_teaser
