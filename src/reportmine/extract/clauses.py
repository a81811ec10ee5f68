"""The folded view of one report that metric extractors search: clauses, quantities, levels.

Matching runs on a folded copy (full-width → half-width, traditional → simplified, book titles
《…》 masked so their words and numbers never count) of exactly the original length, so every
offset found is an offset into the original text.

    >>> view = ReportView("我们进行县级公开教学一次，片级公开教学多次。")
    >>> view.clause_of(8)
    (0, 12)
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from reportmine.extract.cues import metric_cues
from reportmine.text.quantities import QuantityMatch, find_quantities

__all__ = ["ReportView", "Span"]

Span = tuple[int, int]

# Clause breaks after folding (full-width forms kept in case folding is not available);
# a full stop between digits is a decimal point, not a break.
_CLAUSE_BREAK = re.compile(r"[,;:!?\n。，；：！？]|(?<![0-9])\.|\.(?![0-9])")
# Breaks that end a sentence: a level word never reaches across them.
_SENTENCE_BREAKS = frozenset("。!?！？\n")
_BOOK_TITLE = re.compile(r"《[^《》\n]{1,120}》")
_MASK = "□"


def _fallback_fold(text: str) -> str:
    """Same-length fold of full-width ASCII only (used when text.normalize is unavailable)."""
    return text.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _fold_function() -> Callable[[str], str]:
    # The shared fold (traditional → simplified too) lives in the ingest helper's module.
    try:
        from reportmine.text.normalize import fold_for_matching
    except ImportError:  # pragma: no cover - only while the module is missing
        return _fallback_fold
    return fold_for_matching


def _mask_titles(folded: str) -> str:
    return _BOOK_TITLE.sub(lambda m: "《" + _MASK * (len(m.group()) - 2) + "》", folded)


@dataclass
class ReportView:
    """One report's text with its folded copy, clause breaks and quantities, searched by offset."""

    text: str

    def __post_init__(self) -> None:
        self.folded = _mask_titles(_fold_function()(self.text))
        self.breaks = [m.start() for m in _CLAUSE_BREAK.finditer(self.folded)]
        self.quantities = find_quantities(self.folded)
        self._quantity_starts = [q.start for q in self.quantities]
        self.cues = metric_cues()

    def clause_of(self, position: int) -> Span:
        """Return (start, end) of the clause around `position`, surrounding blanks trimmed."""
        index = bisect_right(self.breaks, position)
        start = self.breaks[index - 1] + 1 if index else 0
        end = self.breaks[index] if index < len(self.breaks) else len(self.folded)
        while start < end and self.folded[start].isspace():
            start += 1
        while end > start and self.folded[end - 1].isspace():
            end -= 1
        return start, end

    def previous_clause(self, clause: Span) -> Span | None:
        """Return the clause before `clause` in the same sentence, or None at a sentence start."""
        index = bisect_left(self.breaks, clause[0]) - 1
        if index < 0 or self.folded[self.breaks[index]] in _SENTENCE_BREAKS:
            return None
        return self.clause_of(self.breaks[index] - 1) if self.breaks[index] > 0 else None

    def quantities_in(self, start: int, end: int) -> list[QuantityMatch]:
        """Return the quantities lying wholly inside [start, end)."""
        first = bisect_left(self._quantity_starts, start)
        found = []
        for quantity in self.quantities[first:]:
            if quantity.start >= end:
                break
            if quantity.end <= end:
                found.append(quantity)
        return found

    def is_count(self, quantity: QuantityMatch) -> bool:
        """True unless the quantity counts people or units ("四个教研组") or is no count at all
        ("下一次教研", "每一节公开课", "一轮轮研讨", "一个关键问题")."""
        cues, folded = self.cues, self.folded
        if cues.count_object.match(folded, quantity.end) is not None:
            return False
        if quantity.start and folded[quantity.start - 1] in cues.not_count_prefixes:
            return False
        unit = quantity.quantity.unit or ""
        if unit and folded.startswith(unit[-1], quantity.end):  # reduplicated: 一轮轮, 一次次
            return False
        return folded[quantity.start:quantity.end] not in cues.article_counts

    def levels_in(self, start: int, end: int, *, people: re.Pattern[str] | None = None) -> list[str]:
        """Return the levels of the level words in [start, end), in text order.

        With `people`, a level word followed (within 3 characters) by a people word describes the
        people ("市、区教研员", "全校教师") and is skipped.
        """
        found = []
        for match in self.cues.levels.finditer(self.folded, start, end):
            level = self.cues.level_of[match.group()]
            if level and not (people and people.search(self.folded, match.end(), match.end() + 3 + 3)
                              and people.search(self.folded, match.end(), match.end() + 3).start() < match.end() + 3):
                found.append(level)
        return found

    def last_level(self, start: int, end: int) -> str | None:
        """Return the level of the last level word in [start, end), None if there is none."""
        levels = self.levels_in(start, end)
        return levels[-1] if levels else None

    def first_level(self, start: int, end: int) -> str | None:
        """Return the level of the first level word in [start, end), None if there is none."""
        levels = self.levels_in(start, end)
        return levels[0] if levels else None

    def level_for(self, clause: Span, anchor: int, *, people: re.Pattern[str] | None = None,
                  organizers: bool = False) -> tuple[str, int]:
        """Return (level, evidence start) for a fact anchored at `anchor` in `clause`.

        The nearest level word before the anchor wins, then one after it in the clause, then one
        in the clause before (the evidence then starts there): "县级层面的评比，获一等奖". With
        `organizers`, an organizing school ("我校…共开展研讨活动5次") is the last resort.
        """
        before = self.levels_in(clause[0], anchor, people=people)
        after = self.levels_in(anchor, clause[1], people=people)
        if before or after:
            return (before[-1] if before else after[0]), clause[0]
        previous = self.previous_clause(clause)
        if previous is not None:
            earlier = self.levels_in(*previous, people=people)
            if earlier:
                return earlier[-1], previous[0]
        if organizers:
            for span in (clause, previous):
                if span is not None and self.has(self.cues.school_organizers, *span):
                    return "school", clause[0]
        return "unknown", clause[0]

    def has(self, pattern: re.Pattern[str], start: int, end: int) -> bool:
        """True when `pattern` occurs in the folded text within [start, end)."""
        return pattern.search(self.folded, start, end) is not None
