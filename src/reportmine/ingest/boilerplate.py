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
    # Each cue list is compiled into one alternation: one regex scan per line instead of a
    # Python-level `cue in line` per cue (a line is boilerplate when any of them occurs).
    line_cues: re.Pattern[str]
    short_line_cues: re.Pattern[str]
    short_line_max: int
    line_patterns: re.Pattern[str]
    keep_patterns: re.Pattern[str]
    intro_anchors: re.Pattern[str]
    intro_cues: re.Pattern[str]
    trailing_headings: tuple[str, ...]
    trailing_line_max: int
    # Every word a line must contain for a test other than `line_patterns` to remove it (line
    # and short-line cues, intro anchors, trailing-list headings): one scan of the whole text
    # finds the few lines that need the full test.
    any_word: re.Pattern[str]


_NEVER = "(?!)"  # an empty cue list matches nothing


def _any_of_words(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex that finds any of `words` (the same yes/no answer as `any(w in line ...)`)."""
    return re.compile("|".join(re.escape(word) for word in words) or _NEVER)


def _any_of_patterns(patterns: list[str]) -> re.Pattern[str]:
    """One regex that searches like `any(p.search(line) for p in patterns)` on a single line."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns) or _NEVER)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    vocab = load_vocab("boilerplate.yaml")

    def folded(key: str) -> tuple[str, ...]:  # lines are matched folded, so the cues are too
        return tuple(fold_for_matching(cue) for cue in vocab[key])

    # A cue holding a newline can never be in a line: left out, it cannot match across lines.
    words = tuple(word for key in ("line_cues", "short_line_cues", "intro_anchors", "trailing_list_headings")
                  for word in folded(key) if "\n" not in word)
    return _Rules(
        line_cues=_any_of_words(folded("line_cues")),
        short_line_cues=_any_of_words(folded("short_line_cues")),
        short_line_max=int(vocab["short_line_max"]),
        line_patterns=_any_of_patterns(vocab["line_patterns"]),
        keep_patterns=_any_of_patterns(vocab["keep_bracket_patterns"]),
        intro_anchors=_any_of_words(folded("intro_anchors")),
        intro_cues=_any_of_words(folded("intro_cues")),
        trailing_headings=folded("trailing_list_headings"),
        trailing_line_max=int(vocab["trailing_list_line_max"]),
        any_word=_any_of_words(words),
    )


def strip_boilerplate(text: str) -> str:
    """Return normalized `text` without the lines a 范文 site added around the report(s).

    Example: "时间:2020-12-02 14:13:09 总结 我要投稿" and "…以下是小编帮大家整理的…范文，
    供大家参考借鉴…" disappear; "一、转变思想，更新观念" stays.
    """
    rules = _rules()
    lines = text.split("\n")
    # Fold once for the whole text: the fold is per character, so its lines are the folded lines.
    folded_text = fold_for_matching(text)
    folded = folded_text.split("\n")
    if len(folded) != len(lines):  # pragma: no cover - no character folds to a newline
        folded = [fold_for_matching(line) for line in lines]
        folded_text = "\n".join(folded)
    with_cue = _lines_with_word(folded_text, rules.any_word)
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if i not in with_cue:  # only a whole-line pattern can remove it
            if not _is_pattern_line(folded[i], rules):
                kept.append(lines[i])
            i += 1
            continue
        if _is_trailing_heading(folded[i], rules):
            i += 1
            while i < len(lines) and _is_list_entry(folded[i], rules):
                i += 1
            continue
        if not _is_boilerplate_folded(folded[i], rules):
            kept.append(lines[i])
        i += 1
    return "\n".join(kept)


def _lines_with_word(text: str, words: re.Pattern[str]) -> set[int]:
    """Indices of the lines of `text` holding a match of `words` (which never spans a newline).

    The scan finds at least one match in every such line: a match ends in the line it starts in.
    """
    found: set[int] = set()
    line = 0
    scanned_to = 0
    for match in words.finditer(text):
        line += text.count("\n", scanned_to, match.start())
        scanned_to = match.start()
        found.add(line)
    return found


def is_boilerplate_line(line: str) -> bool:
    """True when one normalized line is site furniture rather than report text."""
    return _is_boilerplate_folded(fold_for_matching(line), _rules())  # 小編 / 我要投稿 too


def _is_boilerplate_folded(line: str, rules: _Rules) -> bool:
    if rules.keep_patterns.search(line):
        return False
    if rules.line_cues.search(line):
        return True
    if len(line) <= rules.short_line_max and rules.short_line_cues.search(line):
        return True
    if rules.line_patterns.search(line):
        return True
    return _is_intro(line, rules)


def _is_pattern_line(line: str, rules: _Rules) -> bool:
    """`_is_boilerplate_folded` of a line holding none of the cue words."""
    return rules.line_patterns.search(line) is not None and rules.keep_patterns.search(line) is None


def _is_intro(line: str, rules: _Rules) -> bool:
    return (
        len(line) <= _INTRO_MAX
        and rules.intro_anchors.search(line) is not None
        and rules.intro_cues.search(line) is not None
    )


def _is_trailing_heading(line: str, rules: _Rules) -> bool:
    return len(line) <= 20 and line.startswith(rules.trailing_headings)


def _is_list_entry(line: str, rules: _Rules) -> bool:
    """An article title in a trailing link list: short and not a finished sentence."""
    is_title = len(line) <= rules.trailing_line_max and line[-1] not in SENTENCE_FINAL
    is_teaser = len(line) <= rules.short_line_max and rules.intro_anchors.search(line) is not None
    return is_title or is_teaser
