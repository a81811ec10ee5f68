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
from functools import lru_cache

from reportmine.extract.cues import metric_cues
from reportmine.extract.organizers import body_level, organizer_level
from reportmine.text.quantities import QuantityMatch, find_quantities

__all__ = ["ReportView", "Span"]

Span = tuple[int, int]

# Clause breaks after folding (full-width forms kept in case folding is not available);
# a full stop between digits is a decimal point, not a break (`_clause_breaks`).
_BREAK_CHARS = ",;:!?\n。，；：！？."
_CLAUSE_BREAK = re.compile(f"[{re.escape(_BREAK_CHARS)}]")
# From this length on the breaks are found with numpy (for shorter texts the regex is cheaper).
_VECTOR_MIN = 96
# Blanks other than the newline (a break itself): only a clause holding one can need trimming.
_INNER_BLANK = re.compile(r"[^\S\n]")
_DIGITS = frozenset("0123456789")
# Breaks that end a sentence or a ；-part: a level word never reaches across them.
_SENTENCE_BREAKS = frozenset("。!?;！？；\n")
_NUMERALS = tuple("一二三四五六七八九十两")
# Kinds of counted facts: a clause stating one keeps its level word to itself.
_COUNTED_KINDS = ("open_lesson", "research_activity", "publication")
# A destination verb this far before a place makes it a destination ("赴永嘉县桥头镇…").
_DESTINATION_REACH = 4
# Characters joining level words in a list ("市、区教研员").
_LEVEL_JOINERS = ("、", "和", "及", "与")
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


def _clause_breaks(folded: str) -> list[int]:
    """Offsets of the clause breaks. One character class lets the scanner skip text at C speed
    (a lookaround alternative for the full stop made it try every position); full stops are
    then kept unless they stand between two digits, as "(?<![0-9])\\.|\\.(?![0-9])" keeps them."""
    if len(folded) >= _VECTOR_MIN:
        found = _clause_breaks_vectorized(folded)
        if found is not None:
            return found
    breaks = [match.start() for match in _CLAUSE_BREAK.finditer(folded)]
    if "." not in folded:
        return breaks
    last = len(folded) - 1
    return [index for index in breaks if not (
        folded[index] == "." and 0 < index < last and folded[index - 1] in _DIGITS and folded[index + 1] in _DIGITS)]


def _clause_breaks_vectorized(folded: str) -> list[int] | None:
    """`_clause_breaks` through a lookup array (0.6 of the time of the regex on a report); None
    for a text numpy cannot take (lone surrogates), which the regex then reads."""
    import numpy as np

    try:
        codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:
        return None
    breaks = _break_table()[codes]
    if "." in folded:  # a full stop between two digits is a decimal point
        digits = (codes >= ord("0")) & (codes <= ord("9"))
        breaks[1:-1] &= ~((codes[1:-1] == ord(".")) & digits[:-2] & digits[2:])
    return np.flatnonzero(breaks).tolist()


@lru_cache(maxsize=1)
def _break_table():  # noqa: ANN202 - numpy array
    """True at the code points of the clause breaks, for every code point (built once)."""
    import numpy as np

    table = np.zeros(0x110000, dtype=bool)
    table[[ord(char) for char in _BREAK_CHARS]] = True
    return table


def _clause_spans(folded: str, breaks: list[int]) -> list[Span]:
    """The span of the text before each break and after the last one, surrounding blanks trimmed.

    All clauses at once: the extractors ask ~70,000 times per 600 reports for the clause around
    an offset, and a list read after a bisection is cheaper than a lazily filled cache. Only a
    clause holding a blank other than a newline can start or end with one: those are trimmed,
    the others kept as they are without looking at them.
    """
    spans = list(zip([0, *map((1).__add__, breaks)], [*breaks, len(folded)]))
    for blank in _INNER_BLANK.finditer(folded):
        index = bisect_right(breaks, blank.start())
        start, end = spans[index]
        if start != end and (folded[start].isspace() or folded[end - 1].isspace()):
            spans[index] = _trimmed(folded, start, end)
    return spans


def _trimmed(folded: str, start: int, end: int) -> Span:
    """[start, end) without the blanks at either end."""
    while start < end and folded[start].isspace():
        start += 1
    while end > start and folded[end - 1].isspace():
        end -= 1
    return start, end


class _WordIndex:
    """The matches of a word pattern over the whole folded text, answered per window by bisection.

    A window's own scan (``pattern.finditer(folded, start, end)``) finds exactly the whole-text
    matches lying inside the window unless a whole-text match straddles one of its ends: every
    position the window scan tries is then tried by the whole-text scan with the same result (a
    shorter text end never makes a failed literal alternative match). Windows cut through a
    match are scanned as before. Only for patterns without lookarounds (plain word lists).
    """

    def __init__(self, pattern: re.Pattern[str], folded: str) -> None:
        self.pattern, self.folded = pattern, folded
        self.matches = list(pattern.finditer(folded))
        self.starts = [match.start() for match in self.matches]
        self.ends = [match.end() for match in self.matches]

    def finditer(self, start: int, end: int) -> list[re.Match[str]]:
        """The matches ``pattern.finditer(folded, start, end)`` gives, in text order."""
        first = bisect_right(self.ends, start)  # first match ending after `start`
        if first == len(self.matches) or self.starts[first] >= end:
            return []  # no whole-text match reaches into the window: its scan finds none
        last = bisect_left(self.starts, end, first)  # matches starting before `end`
        if self.starts[first] < start or self.ends[last - 1] > end:
            return list(self.pattern.finditer(self.folded, start, end))  # a match cut by the window
        return self.matches[first:last]


@dataclass
class ReportView:
    """One report's text with its folded copy, clauses and quantities, searched by offset."""

    text: str

    def __post_init__(self) -> None:
        self.folded = _mask_titles(_fold_function()(self.text))
        self.breaks = _clause_breaks(self.folded)
        self.quantities = find_quantities(self.folded)
        # Quantities never overlap, so their ends rise with their starts: the ones wholly inside a
        # window are one slice, found by bisecting both lists.
        self._quantity_starts = [q.start for q in self.quantities]
        self._quantity_ends = [q.end for q in self.quantities]
        self.cues = metric_cues()
        self.clauses = _clause_spans(self.folded, self.breaks)  # clause number → span
        self._levels = _WordIndex(self.cues.levels, self.folded)
        # Results of pure helpers of the extractors, keyed by the helper's name and arguments
        # (a clause's frame is asked for up to four times per award).
        self.memo: dict[tuple[object, ...], object] = {}

    def clause_of(self, position: int) -> Span:
        """Return (start, end) of the clause around `position`, surrounding blanks trimmed."""
        return self.clauses[bisect_right(self.breaks, position)]

    def previous_clause(self, clause: Span, *, across_sentences: bool = False) -> Span | None:
        """Return the clause before `clause` in the same sentence (or paragraph), else None."""
        index = bisect_left(self.breaks, clause[0]) - 1
        stops = "\n" if across_sentences else _SENTENCE_BREAKS
        if index < 0 or self.folded[self.breaks[index]] in stops:
            return None
        return self.clauses[index] if self.breaks[index] > 0 else None  # the clause ended by that break

    def next_clause(self, clause: Span) -> Span | None:
        """Return the clause after `clause` in the same sentence (or ；-part), else None."""
        if clause[1] >= len(self.folded) or self.folded[clause[1]] in _SENTENCE_BREAKS:
            return None
        return self.clause_of(clause[1] + 1)

    def sentence_of(self, clause: Span) -> Span:
        """Return the span of the sentence (or ；-part) holding `clause`."""
        first = last = clause
        while (previous := self.previous_clause(first)) is not None:
            first = previous
        while (following := self.next_clause(last)) is not None:
            last = following
        return first[0], last[1]

    def quantities_in(self, start: int, end: int) -> list[QuantityMatch]:
        """Return the quantities lying wholly inside [start, end)."""
        first = bisect_left(self._quantity_starts, start)
        return self.quantities[first:bisect_right(self._quantity_ends, end, first)]

    def is_count(self, quantity: QuantityMatch) -> bool:
        """True unless the quantity counts people or units ("四个教研组") or is no count at all
        ("下一次教研", "每一节公开课", "一轮轮研讨", "一个关键问题")."""
        cues, folded = self.cues, self.folded
        unit = quantity.quantity.unit or ""
        if unit not in cues.event_units and cues.count_object.match(folded, quantity.end) is not None:
            return False
        before = folded[quantity.start - 1] if quantity.start else ""
        if before in cues.not_count_prefixes or (before == cues.previous_marker and unit in cues.previous_units):
            return False
        if unit and folded.startswith(unit[-1], quantity.end):  # reduplicated: 一轮轮, 一次次
            return False
        if cues.not_count_followers.match(folded, quantity.end) is not None:
            return False
        return not folded.startswith(_NUMERALS, quantity.end)  # "三个一": a slogan, not a count

    def is_article(self, quantity: QuantityMatch) -> bool:
        """True for "一个" / "二次": an article or "second round", a count only in a frequency."""
        return self.folded[quantity.start:quantity.end] in self.cues.article_counts

    def levels_in(self, start: int, end: int, *, people: re.Pattern[str] | None = None) -> list[str]:
        """Return the levels of the level words in [start, end), in text order.

        With `people`, a level word followed (within 3 characters) by a people word describes the
        people ("市、区教研员", "全校教师") and is skipped.
        """
        found: list[str] = []
        for match in self._levels.finditer(start, end):
            level = self.cues.level_of[match.group()]
            scope = match.group() in self.cues.scope_levels
            if level and not (people and not scope and self._describes_people(match.end(), people)) \
                    and not self.has(self.cues.destination_verbs, max(0, match.start() - _DESTINATION_REACH), match.start()):
                found.append(level)
        return found

    def names_group(self, start: int, end: int) -> bool:
        """True when [start, end) names a teachers' group (教研组, 我组, 组内 …)."""
        cues = self.cues
        return "group" in self.levels_in(start, end) or any(
            cues.organizer_of[m.group()] == "group" for m in cues.organizers.finditer(self.folded, start, end))

    def _describes_people(self, position: int, people: re.Pattern[str]) -> bool:
        """True when people words follow, maybe after more level words ("市、区教研员")."""
        while self.folded.startswith(_LEVEL_JOINERS, position):
            joined = self.cues.levels.match(self.folded, position + 1)
            if joined is None:
                break
            position = joined.end()
        return people.match(self.folded, position) is not None

    def level_for(self, clause: Span, anchor: int, *, people: re.Pattern[str] | None = None,
                  organizers: bool = False, same_kind: str | None = None) -> tuple[str, int]:
        """Return (level, evidence start) for a fact anchored at `anchor` in `clause`.

        The nearest level word before the anchor wins, then one after it in the clause, then one
        in the clause before (the evidence then starts there): "县级层面的评比，获一等奖". With
        `organizers`, the body organising it ("我校…共开展研讨活动5次", extract.organizers) is the
        last resort; the kind of report gives no default. A clause before that states a fact of
        kind `same_kind` keeps its level word to itself.
        """
        before = self.levels_in(clause[0], anchor, people=people)
        after = self.levels_in(anchor, clause[1])
        if before or after:
            several = "unknown" in before + after  # "全区…教师有十余篇论文在各级刊物发表"
            return ("unknown" if several else before[-1] if before else after[0]), clause[0]
        body = body_level(self, clause)
        if body is not None:
            return body, clause[0]
        previous = self.previous_clause(clause)
        earlier = self.levels_in(*previous, people=people) if previous else []
        if earlier and previous is not None \
                and not any(self.states_fact_of(kind, *previous) for kind in _COUNTED_KINDS):
            return earlier[-1], previous[0]  # "…开展联片教研，由我组承担半日活动观摩一场"
        own = organizers and organizer_level(self, clause, anchor, own_clause=True)
        if own:
            return own, clause[0]  # "…校内共开展研讨课136节，各备课组每学期至少进行两轮磨课"
        if earlier and previous is not None and not (same_kind and self.states_fact_of(same_kind, *previous)):
            return earlier[-1], previous[0]
        if organizers:
            level = organizer_level(self, clause, anchor)
            if level is not None:
                return level, clause[0]
        return "unknown", clause[0]

    def states_fact_of(self, kind: str, start: int, end: int) -> bool:
        """True when [start, end) states its own fact of `kind`: a trigger of that category with a
        count or a lesson verb ("…执教观摩课，…上了一节示范课": the first level is not shared)."""
        return kind in self._stated_kinds(start, end)

    def _stated_kinds(self, start: int, end: int) -> frozenset[str]:
        """The trigger kinds of [start, end) when it states a fact (a count or a lesson verb),
        else none; asked for several kinds of one clause, so read once per span."""
        key = ("stated kinds", start, end)
        known = self.memo.get(key)
        if known is None:
            kinds = frozenset(cue.kind for _, cue in self.cues.hits(self.folded, start, end))
            states = bool(kinds) and (any(self.is_count(q) for q in self.quantities_in(start, end))
                                      or self.has(self.cues.single_lesson_verbs, start, end))
            known = self.memo[key] = kinds if states else frozenset()
        return known  # type: ignore[return-value]  # only this method stores under its key

    def has(self, pattern: re.Pattern[str], start: int, end: int) -> bool:
        """True when `pattern` occurs in the folded text within [start, end)."""
        return pattern.search(self.folded, start, end) is not None
