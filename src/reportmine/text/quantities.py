"""Counted quantities in Chinese text: numerals, ranges and approximate forms with their unit.

    >>> parse_quantity("90多节")
    Quantity(value=90.0, value_max=None, approx=True, qualifier='多', unit='节')
    >>> [m.quantity.value_max for m in find_quantities("每学年举行三四次的示范教学")]
    [4.0]

Arabic (12), full-width (１２) and Chinese numerals (十六, 一百零五, 两) are read by a small
numeral parser; the approximate forms (十余, 几十, 近百, 至少3次, 多次 …) follow DESIGN.md and
keep both ends of the range plus a qualifier. The words (units, qualifiers) come from
`resources/metrics.yaml` under `quantities`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reportmine.vocab import load_vocab

__all__ = ["Quantity", "QuantityMatch", "parse_quantity", "find_quantities", "quantity_pattern"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_MAGNITUDES = {"十": 10, "百": 100, "千": 1000}
_VAGUE_DIGITS = "几数"  # 几十 / 数十: some tens
_ARABIC_DIGITS = "0123456789０１２３４５６７８９"
_ARABIC = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
_CN_NUMERALS = "零〇一二两兩三四五六七八九十百千万几数"
_CN_NUMBER = f"[{_CN_NUMERALS}]+"
# A quantity never continues a number or an ordinal (第一次).
_NOT_BEFORE = "第0-9０-９零〇一二两兩三四五六七八九十百千万"
_RANGE_SEPARATOR = r"\s*[-－~～—–至到]\s*"
# A number or a range of numbers: "3", "2.5", "3-5", "三", "三至五".
_NUMBER = rf"{_ARABIC}(?:{_RANGE_SEPARATOR}{_ARABIC})?|{_CN_NUMBER}(?:[至到]{_CN_NUMBER})?"


@dataclass(frozen=True)
class Quantity:
    """A parsed count: `value` … `value_max` (a range), approximate or not, with its unit."""

    value: float | None
    value_max: float | None = None
    approx: bool = False
    qualifier: str | None = None  # 余 / 多 / 近 / 上 / 至少 / 几 / 数 / 若干 / 约 / 左右
    unit: str | None = None


@dataclass(frozen=True)
class QuantityMatch:
    """A quantity found in a text, with its character offsets."""

    start: int
    end: int
    quantity: Quantity


def parse_quantity(s: str) -> Quantity | None:
    """Return the quantity `s` states ("十余次", "3-5节", "多次", "１２"), or None if it is none."""
    match = _patterns()[1].fullmatch(s.strip())
    return _quantity_of(match) if match else None


def find_quantities(text: str, *, start: int = 0, end: int | None = None) -> list[QuantityMatch]:
    """Return every quantity with a counting unit in `text[start:end]`, offsets into `text`.

    Ordinals ("第一次") and unreadable digit runs ("二三两节") are skipped.
    """
    pattern = quantity_pattern()
    end = len(text) if end is None else end
    found: list[QuantityMatch] = []
    memo = _QUANTITY_MEMO
    for match in _scan_pattern().finditer(text, start, end):
        # The pattern has no lookahead past its end, so equal matched strings split into equal
        # groups and give equal quantities: "一次", "3节" are parsed once per process.
        key = match.group()
        quantity = memo.get(key, _UNSEEN)  # one lookup: safe if another thread empties the memo
        if quantity is _UNSEEN:
            # the scan pattern has no groups: the quantity pattern matches the same span there
            quantity = _quantity_of(pattern.match(text, match.start(), end))  # type: ignore[arg-type]
            if len(memo) >= _QUANTITY_MEMO_MAX:
                memo.clear()
            memo[key] = quantity
        if isinstance(quantity, Quantity):  # not None, and typed for mypyc (see setup.py)
            found.append(QuantityMatch(match.start(), match.end(), quantity))
    return found


_QUANTITY_MEMO: dict[str, Quantity | None] = {}  # matched text → its quantity (Quantity is frozen)
_UNSEEN = object()
_QUANTITY_MEMO_MAX = 100_000


def quantity_pattern() -> re.Pattern[str]:
    """Return the compiled pattern of a quantity with its unit (named groups pre, num, vague, …)."""
    return _patterns()[0]


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    vocab = load_vocab("metrics.yaml")["quantities"]
    prefixes = sorted(vocab["approx_prefixes"], key=len, reverse=True)
    magnitude_only = set(vocab["magnitude_only_prefixes"])
    prefix_alternatives = "|".join(
        re.escape(word) + ("(?=[百千万])" if word in magnitude_only else "") for word in prefixes
    )
    fillers = "|".join(map(re.escape, vocab["prefix_fillers"]))
    core = (
        rf"(?<![{_NOT_BEFORE}])(?:(?P<pre>{prefix_alternatives})(?:{fillers})?)?"
        rf"(?:(?P<num>{_NUMBER})(?P<suf>{_alternation(vocab['approx_suffixes'])})?"
        rf"|(?P<vague>{_alternation(vocab['vague_counts'])}))"
    )
    unit = rf"(?P<unit>{_alternation(vocab['units'])})(?P<post>{_alternation(vocab['approx_postfixes'])})?"
    # a lookahead on the possible first characters lets the scanner skip most text at C speed
    first = "0-9０-９" + _CN_NUMERALS + "".join(
        re.escape(word[0]) for word in [*prefixes, *vocab["vague_counts"]])
    with_unit = re.compile(f"(?=[{first}])" + core + unit)
    bare = re.compile(core + f"(?:{unit})?")
    return with_unit, bare


@lru_cache(maxsize=1)
def _scan_pattern() -> re.Pattern[str]:
    """A pattern matching exactly the spans `quantity_pattern` matches, spelled from the literal
    first characters: "近(?<!…)(?:…)|一(?<!…)(?:…)|…" lets the regex engine skip to the next
    possible start at C speed (a lookahead on the first characters, as in `quantity_pattern`,
    still entered the matcher at every position: about twice the time of the scan).

    At one position only the alternatives spelled with its character can match, and they keep
    the order of `quantity_pattern` (an approximate prefix first, then a number, then a vague
    count), so the first match there is the same; the character before a quantity is checked
    after its first one (``(?<![…].)``). It has no groups: `find_quantities` reads a match's
    parts with `quantity_pattern` at the same place.
    """
    vocab = load_vocab("metrics.yaml")["quantities"]
    prefixes = sorted(vocab["approx_prefixes"], key=len, reverse=True)
    magnitude_only = set(vocab["magnitude_only_prefixes"])
    vague = sorted(vocab["vague_counts"], key=len, reverse=True)
    unit = f"(?:{_alternation(vocab['units'])})(?:{_alternation(vocab['approx_postfixes'])})?"
    suffix = f"(?:{_alternation(vocab['approx_suffixes'])})?"
    after_prefix = f"(?:{'|'.join(map(re.escape, vocab['prefix_fillers']))})?(?:(?:{_NUMBER}){suffix}|{_alternation(vague)}){unit}"
    rests: dict[str, list[str]] = {}
    for word in prefixes:
        lookahead = "(?=[百千万])" if word in magnitude_only else ""
        rests.setdefault(word[0], []).append(re.escape(word[1:]) + lookahead + after_prefix)
    for digit in _ARABIC_DIGITS:  # the rest of [0-9０-９]+…
        rests.setdefault(digit, []).append(
            rf"[0-9０-９]*(?:[.．][0-9０-９]+)?(?:{_RANGE_SEPARATOR}{_ARABIC})?{suffix}{unit}")
    for digit in _CN_NUMERALS:
        rests.setdefault(digit, []).append(f"[{_CN_NUMERALS}]*(?:[至到]{_CN_NUMBER})?{suffix}{unit}")
    for word in vague:
        rests.setdefault(word[0], []).append(re.escape(word[1:]) + unit)
    not_before = f"(?<![{_NOT_BEFORE}].)"
    return re.compile("|".join(f"{re.escape(first)}{not_before}(?:{'|'.join(alternatives)})"
                               for first, alternatives in sorted(rests.items())))


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _prefix_qualifier(prefix: str | None) -> str | None:
    if prefix is None:
        return None
    return load_vocab("metrics.yaml")["quantities"]["approx_prefixes"][prefix]


def _quantity_of(match: re.Match[str]) -> Quantity | None:
    """Build the Quantity of a pattern match; None when the numeral cannot be read."""
    unit = match.group("unit")
    qualifier = _prefix_qualifier(match.group("pre"))
    if match.group("vague") is not None:
        return Quantity(None, None, True, qualifier or match.group("vague"), unit)
    read = _read_number(match.group("num"))
    if read is None:
        return None
    low, high, vague_qualifier = read
    if vague_qualifier is not None and low is None:
        return Quantity(None, None, True, qualifier or vague_qualifier, unit)
    words = [qualifier, match.group("suf"), vague_qualifier, match.group("post")]
    approx = any(word is not None for word in words)  # 三四次 is approximate too, with no word
    return Quantity(low, high, approx, next((word for word in words if word), None), unit)


def _read_number(text: str) -> tuple[float | None, float | None, str | None] | None:
    """Return (low, high, qualifier) of a numeral, a range or a vague numeral; None if unreadable.

    The qualifier is None for an exact number or range, "" for neighbouring digits (三四).
    """
    ranged = re.fullmatch(rf"({_ARABIC}|{_CN_NUMBER}){_RANGE_SEPARATOR}({_ARABIC}|{_CN_NUMBER})", text)
    if ranged:
        low, high = _read_plain(ranged.group(1)), _read_plain(ranged.group(2))
        return None if low is None or high is None else (low, high, None)
    if text[0].isdigit():
        return (float(text.replace("．", ".")), None, None)
    vague = next((ch for ch in _VAGUE_DIGITS if ch in text), None)
    if vague is not None:
        return _read_vague(text, vague)
    adjacent = _read_adjacent_digits(text)
    if adjacent is not None:
        return (adjacent[0], adjacent[1], "")  # "" = approximate without a qualifier word
    value = _cn_to_int(text)
    return None if value is None else (float(value), None, None)


def _read_plain(text: str) -> float | None:
    if text[0].isdigit():
        return float(text.replace("．", "."))
    value = _cn_to_int(text)
    return None if value is None else float(value)


def _read_vague(text: str, vague: str) -> tuple[float | None, float | None, str] | None:
    """几十 / 数十 → 20…90, 十几 → 11…19, 二十几 → 21…29, 几 → no value."""
    if text == vague:
        return (None, None, vague)
    head, _, tail = text.partition(vague)
    if tail in _CN_MAGNITUDES or tail == "万":  # 几十, 数百
        magnitude = _CN_MAGNITUDES.get(tail, 10000)
        base = _cn_to_int(head) if head else 0
        if base is None:
            return None
        return (float(base + 2 * magnitude), float(base + 9 * magnitude), vague)
    if not tail and head and head[-1] in _CN_MAGNITUDES:  # 十几 → 11…19, 二十几 → 21…29
        return _read_odd(head, vague)
    return None


def _read_odd(head: str, vague: str) -> tuple[float, float, str] | None:
    """十几 / 二十几: "`head` and some units", the unit digit 1…9 (十几 → 11…19)."""
    base = _cn_to_int(head)
    return None if base is None else (float(base + 1), float(base + 9), vague)


def _read_adjacent_digits(text: str) -> tuple[float, float] | None:
    """三四 → 3…4, 五六十 → 50…60, 十五六 → 15…16 (two neighbouring digits give a range)."""
    match = re.fullmatch(r"(?P<head>.*?[十百千万])?(?P<a>[一二两三四五六七八九])(?P<b>[一二三四五六七八九])(?P<mag>[十百千万])?", text)
    if not match:
        return None
    low_digit, high_digit = _CN_DIGITS[match.group("a")], _CN_DIGITS[match.group("b")]
    if high_digit != low_digit + 1:
        return None
    magnitude = {"万": 10000, **_CN_MAGNITUDES}.get(match.group("mag") or "", 1)
    head = _cn_to_int(match.group("head")) if match.group("head") else 0
    if head is None or (head and magnitude != 1):
        return None
    return (float(head + low_digit * magnitude), float(head + high_digit * magnitude))


def _cn_to_int(text: str) -> int | None:
    """Read a plain Chinese numeral (十六, 一百零五, 两千三百, 百) or None if it is not one."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in ("零", "〇"):
            digit = None
        elif ch in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row ("二三") are not one number
            digit = _CN_DIGITS[ch]
        elif ch in _CN_MAGNITUDES:
            section += (1 if digit is None else digit) * _CN_MAGNITUDES[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)
