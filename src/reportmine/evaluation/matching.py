"""Matching rules of the evaluation: spans, title folding and one-to-one gold ↔ output pairing.

Everything is deterministic: the same candidates always give the same pairs, so evaluation
numbers never change between runs. The rules are documented in docs/evaluation.md.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Span = tuple[int, int]

# Attributes compared by the strict metric score (`item` and `unit` are never scored).
STRICT_ATTRIBUTES = (
    "value", "value_max", "approx", "qualifier", "level", "period", "times_per_period", "grade", "recipient",
)

# An item pair matches when the spans share at least this share of the shorter span.
ITEM_MIN_OVERLAP = 0.5

# Full-width and half-width forms of a marker must compare equal: （一） == (一), 1． == 1.
_MARKER_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Candidate:
    """A possible gold ↔ output pairing with the evidence that supports it."""

    gold_index: int
    output_index: int
    overlap: int  # characters shared by the two spans (0 for pairs not based on spans)
    start: int  # where the shared characters begin (earlier wins among equal overlaps)


def find_all(text: str, needle: str) -> list[Span]:
    """Return every (start, end) span where `needle` occurs in `text`, overlapping ones included."""
    if not needle:
        return []
    spans: list[Span] = []
    position = text.find(needle)
    while position != -1:
        spans.append((position, position + len(needle)))
        position = text.find(needle, position + 1)
    return spans


def overlap_length(first: Span, second: Span) -> int:
    """Return how many characters two half-open spans share (0 when disjoint)."""
    return max(0, min(first[1], second[1]) - max(first[0], second[0]))


def best_overlap(gold_spans: Sequence[Span], output_span: Span) -> tuple[int, int, Span | None]:
    """Return (overlap, start, gold span) of the gold occurrence sharing most with `output_span`.

    Among equally good occurrences the earliest wins, so the choice does not depend on order.
    """
    best: tuple[int, int, Span | None] = (0, 0, None)
    for gold_span in sorted(gold_spans):
        shared = overlap_length(gold_span, output_span)
        if shared > best[0]:
            best = (shared, max(gold_span[0], output_span[0]), gold_span)
    return best


def items_overlap_enough(gold_span: Span, output_span: Span | None, *, minimum: float = ITEM_MIN_OVERLAP) -> bool:
    """Return True when the spans share at least `minimum` of the shorter span's length (an
    output without a span shares nothing)."""
    if output_span is None:
        return False
    shorter = min(gold_span[1] - gold_span[0], output_span[1] - output_span[0])
    if shorter <= 0:
        return False
    return overlap_length(gold_span, output_span) >= minimum * shorter


def assign_greedy(candidates: Sequence[Candidate]) -> list[tuple[int, int]]:
    """Return one-to-one (gold_index, output_index) pairs chosen greedily from `candidates`.

    Pairs are taken by overlap (largest first), then earlier start, then gold and output order,
    skipping any pair whose gold entry or output row is already taken.
    """
    ordered = sorted(candidates, key=lambda c: (-c.overlap, c.start, c.gold_index, c.output_index))
    taken_gold: set[int] = set()
    taken_output: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for candidate in ordered:
        if candidate.gold_index in taken_gold or candidate.output_index in taken_output:
            continue
        taken_gold.add(candidate.gold_index)
        taken_output.add(candidate.output_index)
        pairs.append((candidate.gold_index, candidate.output_index))
    return sorted(pairs)


def align_in_order(n_gold: int, n_output: int, matches: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Return the largest order-preserving one-to-one pairing (a longest common subsequence).

    `matches(g, o)` says whether gold entry g may pair with output entry o. Among equally long
    alignments the one pairing the earliest output entries wins, so the result is deterministic.
    """
    # best[g][o] = size of the best alignment of gold[g:] with output[o:]
    best = [[0] * (n_output + 1) for _ in range(n_gold + 1)]
    for g in range(n_gold - 1, -1, -1):
        for o in range(n_output - 1, -1, -1):
            paired = best[g + 1][o + 1] + 1 if matches(g, o) else 0
            best[g][o] = max(paired, best[g + 1][o], best[g][o + 1])
    pairs: list[tuple[int, int]] = []
    g = o = 0
    while g < n_gold and o < n_output:
        if matches(g, o) and best[g][o] == best[g + 1][o + 1] + 1:
            pairs.append((g, o))
            g, o = g + 1, o + 1
        elif best[g + 1][o] >= best[g][o + 1]:
            g += 1
        else:
            o += 1
    return pairs


def span_overlaps(
    gold_spans: Sequence[Sequence[Span]], output_spans: Sequence[Span | None]
) -> Iterator[tuple[int, int, int, int, Span]]:
    """Yield (gold_index, output_index, overlap, start, gold span) for every overlapping pair.

    Each gold entry may occur several times in the text; the occurrence sharing most with the
    output span is used (see `best_overlap`). Outputs without a span never overlap.
    """
    for g, spans in enumerate(gold_spans):
        for o, output_span in enumerate(output_spans):
            if output_span is None:
                continue
            overlap, start, gold_span = best_overlap(spans, output_span)
            if gold_span is not None:  # None: no occurrence shares a character
                yield g, o, overlap, start, gold_span


def assign_with_optional(
    required: Sequence[Candidate], excusing: Sequence[Candidate], optional: Sequence[bool]
) -> tuple[dict[int, int], set[int]]:
    """Return required gold → output pairs, and the outputs excused by an optional entry.

    Required entries are assigned first so that an optional entry never takes an output row a
    required one could have used; each optional entry then excuses at most one leftover row.
    """
    pairs = assign_greedy([c for c in required if not optional[c.gold_index]])
    taken = {output_index for _, output_index in pairs}
    rest = [c for c in excusing if optional[c.gold_index] and c.output_index not in taken]
    return dict(pairs), {output_index for _, output_index in assign_greedy(rest)}


def fold_title(title: str | None) -> str:
    """Return a title reduced for comparison: NFKC, case-folded, no punctuation or whitespace."""
    if not title:
        return ""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in folded if not _is_punctuation_or_space(ch))


def fold_marker(marker: str | None) -> str:
    """Return a heading marker in one width and without spaces: （一） and (一) compare equal."""
    if not marker:
        return ""
    return _MARKER_SPACE.sub("", unicodedata.normalize("NFKC", marker))


def titles_match(gold_title: str, output_title: str, *, gold_marker: str, output_marker: str) -> bool:
    """Return True when two section headings name the same section.

    Equal folded titles always match; otherwise one folded title containing the other is
    accepted only when the markers are equal (an extractor that kept body text on the heading
    line, or cut the title short, still finds the right section).
    """
    gold_folded, output_folded = fold_title(gold_title), fold_title(output_title)
    if gold_folded == output_folded:
        return True
    if not gold_folded or not output_folded:
        return False
    contained = gold_folded in output_folded or output_folded in gold_folded
    return contained and fold_marker(gold_marker) == fold_marker(output_marker)


def same_number(first: float | None, second: float | None) -> bool:
    """Return True when two optional quantities are equal (None equals only None)."""
    if first is None or second is None:
        return first is None and second is None
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-9)


def differing_attributes(gold: Mapping[str, Any], output: Mapping[str, Any]) -> list[str]:
    """Return the strict attributes on which an output metric differs from a gold one."""
    differing = []
    for key in STRICT_ATTRIBUTES:
        expected, found = gold[key], output[key]
        if key in {"value", "value_max", "times_per_period"}:
            equal = same_number(expected, found)
        elif key in {"level", "recipient"}:
            # null and "unknown" both say the text names no level / recipient.
            equal = (expected or "unknown") == (found or "unknown")
        else:
            equal = expected == found
        if not equal:
            differing.append(key)
    return differing


def _is_punctuation_or_space(ch: str) -> bool:
    # P* = punctuation (，、。：“” …), Z* = separators; S* covers symbols such as ～ and ·
    return ch.isspace() or unicodedata.category(ch)[0] in {"P", "Z", "S"}
