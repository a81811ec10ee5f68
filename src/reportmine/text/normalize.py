"""Offset-safe text normalization and same-length folding for matching.

`normalize_text` changes only whitespace and line structure: characters are kept as written, so
every evidence string taken from the normalized text is also a substring of the source line it
came from. `fold_for_matching` returns a string of exactly the same length for pattern matching
(full-width → half-width, traditional → simplified); offsets found in the folded string are
offsets into the original, and evidence always shows the original characters.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

__all__ = ["normalize_text", "fold_for_matching", "is_heading_start", "SENTENCE_FINAL"]

# A line ending in one of these closes a sentence (or introduces a list: ：).
SENTENCE_FINAL = frozenset("。！？；：…”」』!?;:.")
# A line ending in one of these is certainly cut mid-sentence.
_MID_SENTENCE = frozenset("，、,（(“「《〈—")

_CN_NUM = "一二三四五六七八九十百零〇"
# Heading / enumeration markers a new paragraph starts with.
_HEADING_START = re.compile(
    rf"""^(?:
        [{_CN_NUM}]{{1,3}}\s*[、.．]                      # 一、  二.
      | [（(]\s*[{_CN_NUM}\d]{{1,3}}\s*[）)]               # （一） (1)
      | \d{{1,2}}\s*(?:[、．]|\.(?!\d)|[）)])              # 1、 1. 1）
      | [①-⑳⑴-⒇⒈-⒛❶-❿]                                 # ① ⑴ ⒈ ❶
      | [a-zA-Z]\s*[、．]|[a-zA-Z]\.(?=\S)|[a-zA-Z][）)]   # a、 b. c)
      | 第[{_CN_NUM}\d]{{1,3}}\s*(?:部分|章|节|篇|条|点|方面)  # 第一部分
      | 第[{_CN_NUM}]{{1,3}}[，,、:：]                     # 第一，
      | [【\[]\s*(?:篇|第|范文)                            # 【篇一】
      | 篇[{_CN_NUM}\d]{{1,3}}                             # 篇一
      | (?:首先|其次|再次|最后|另外|此外)[，,：:]             # 首先，
    )""",
    re.VERBOSE,
)
# "小班化教学目标:" — a short label with a colon opens a new list entry.
_LABEL_START = re.compile(r"^[^，。,；;！？!?\s]{2,12}[:：]")
# Page numbers and running footers left by PDF/Word conversion.
_FOOTER_LINE = re.compile(
    r"""^(?:
        第\s*\d+\s*页\s*[,，/、]?\s*(?:共\s*\d+\s*页)?
      | 共\s*\d+\s*页\s*[,，/、]?\s*第\s*\d+\s*页
      | [-—–－_~·•\s]*\d{1,4}[-—–－_~·•\s]*
      | \d{1,4}\s*/\s*\d{1,4}
      | (?:page|Page|PAGE)\s*\d+(?:\s*(?:of|/)\s*\d+)?
    )$""",
    re.VERBOSE,
)
_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_EDGE_INVISIBLES = "\ufeff\u200b\u200c\u200d\u2060"

_HEADING_MAX = 25  # a line shorter than this without final punctuation reads as a heading
_TITLE_MAX = 40  # a line up to this long without any punctuation reads as a title
_INNER_PUNCTUATION = re.compile(r"[，。、；：！？,;:!?]")
_WRAPPED_MIN = 26  # a line at least this long without final punctuation was likely hard-wrapped
_FRAGMENT_MAX = 12  # a short tail like "长。" completes the previous line
_WRAP_MIN_LINES = 5  # hard-wrapped text has at least this many lines of (nearly) one length …
_WRAP_MIN_SHARE = 0.3  # … making up this share of its long lines


def normalize_text(raw: str) -> str:
    """Return `raw` with unified newlines, stripped non-empty lines and mended paragraphs.

    Page-number/footer lines are dropped and a paragraph broken mid-sentence is joined again
    ("…引领教师成\\n长。" → "…引领教师成长。"); headings keep their own line. Characters
    are never changed, only whitespace and line breaks.
    """
    lines = []
    for line in _physical_lines(raw):
        line = line.strip().strip(_EDGE_INVISIBLES).strip()
        if line and not _FOOTER_LINE.match(line):
            lines.append(line)
    return "\n".join(_mend_paragraphs(lines))


def _physical_lines(raw: str) -> list[str]:
    """`raw` split at "\\n" and every newline `_NEWLINES` knows (empty lines may be left out).

    str.splitlines splits at the same characters in C, and at three more: the ASCII file, group
    and record separators. Only a text holding one of those takes the regex.
    """
    if "\x1c" in raw or "\x1d" in raw or "\x1e" in raw:
        return _NEWLINES.sub("\n", raw).split("\n")
    return raw.splitlines()


def is_heading_start(line: str) -> bool:
    """True when `line` starts with a heading or enumeration marker (一、 （一） 1. ① 第一部分 …)."""
    return bool(_HEADING_START.match(line))


def _mend_paragraphs(lines: list[str]) -> list[str]:
    width = _wrap_width(lines)
    out: list[str] = []
    previous = ""  # the last physical line (out[-1] may already hold several)
    for line in lines:
        if out and (_fills_width(previous, line, width) or _continues(out[-1], line)):
            out[-1] += line
        else:
            out.append(line)
        previous = line
    return out


def _wrap_width(lines: list[str]) -> int | None:
    """The line width of hard-wrapped text (PDF, fixed-width .txt): many lines of one length."""
    lengths = Counter(len(line) for line in lines if len(line) >= _WRAPPED_MIN)
    if not lengths:
        return None
    width, count = lengths.most_common(1)[0]
    near = sum(n for length, n in lengths.items() if abs(length - width) <= 1)
    if count >= _WRAP_MIN_LINES and near >= _WRAP_MIN_SHARE * sum(lengths.values()):
        return width
    return None


def _fills_width(prev: str, line: str, width: int | None) -> bool:
    """In hard-wrapped text a full-width line goes on, even after 。 or ” at the wrap."""
    return (
        width is not None
        and len(prev) >= width - 2
        and not is_heading_start(line)
        and not _looks_like_heading(prev)
    )


def _looks_like_heading(line: str) -> bool:
    """A short line without final punctuation, or a title-length line without any punctuation
    ("瓯江区晨光幼儿园2018学年第一学期园本研修工作总结")."""
    if line[-1] in SENTENCE_FINAL or line[-1] in _MID_SENTENCE:
        return False
    return len(line) < _HEADING_MAX or (len(line) <= _TITLE_MAX and not _INNER_PUNCTUATION.search(line))


def _continues(prev: str, line: str) -> bool:
    """Whether `line` is the rest of a sentence that `prev` broke off."""
    if prev[-1] in SENTENCE_FINAL:
        return False
    if is_heading_start(line) or _LABEL_START.match(line):
        return False
    if _looks_like_heading(line) and line[-1] not in SENTENCE_FINAL:
        return False  # a title or heading line follows, not a continuation
    if prev[-1] in _MID_SENTENCE:
        return True
    if _looks_like_heading(prev):
        return False
    is_fragment = len(line) <= _FRAGMENT_MAX and line[-1] in SENTENCE_FINAL
    if is_heading_start(prev):
        return is_fragment or len(prev) >= 40
    return is_fragment or len(prev) >= _WRAPPED_MIN


@lru_cache(maxsize=16)
def fold_for_matching(text: str) -> str:
    """Return `text` folded for matching, with exactly the same length.

    Full-width ASCII becomes half-width (１２ → 12, ：→ :, U+3000 → space) and traditional
    characters become simplified one character at a time (學 → 学); a character whose conversion
    would change the length is kept. Use the folded string to *find* offsets; always show the
    original text as evidence. Cached: every stage of one report folds the same text, and
    the cache hands them one result. The fold works character by character, so folding a
    slice equals slicing the folded text (``fold(t)[a:b] == fold(t[a:b])``).
    """
    if len(text) >= _VECTOR_MIN:
        folded = _fold_vectorized(text)
        if folded is not None:
            return folded
    folded = text.translate(_fold_table())
    if len(folded) != len(text):  # pragma: no cover - guarded by construction
        raise AssertionError("fold_for_matching changed the text length")
    return folded


# Below this length a dict-driven str.translate is cheaper than the numpy round trip.
_VECTOR_MIN = 96
_BMP = 0x10000
_SURROGATES = (0xD800, 0xE000)


def _fold_vectorized(text: str) -> str | None:
    """Fold a Basic-Multilingual-Plane text through a lookup array (~10× faster than translate).

    Returns None when the text holds a character outside the table (astral planes, lone
    surrogates), which the lazy `str.translate` table then handles exactly as before.
    """
    import numpy as np

    try:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates
        return None
    if int(codes.max()) >= _BMP:
        return None
    return _bmp_fold_array()[codes].tobytes().decode("utf-32-le")


@lru_cache(maxsize=1)
def _bmp_fold_array():  # noqa: ANN202 - numpy array
    """The fold of every BMP code point (surrogates map to themselves), built once per process.

    Same rules as `_fold_char`: the t2s conversions are asked of OpenCC in one call with the
    characters separated by newlines (no conversion rule spans a newline, so each character is
    converted alone; tests check this against per-character conversion).
    """
    import numpy as np

    table = np.arange(_BMP, dtype=np.uint32)
    table[0x3000] = 0x20
    table[0xFF01:0xFF5F] -= 0xFEE0
    chars = [chr(code) for code in range(0x80, _BMP)
             if not (_SURROGATES[0] <= code < _SURROGATES[1]) and code != 0x3000 and not 0xFF01 <= code <= 0xFF5E]
    converted = _t2s().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - would mean a rule spans a newline
        converted = [_t2s().convert(ch) for ch in chars]
    for ch, new in zip(chars, converted):
        if len(new) == 1 and new != ch:
            table[ord(ch)] = ord(new)
    return table


class _FoldTable(dict):
    """Lazily filled ``str.translate`` table: code point → one folded character."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code)) if code >= 0x80 else chr(code)
        self[code] = folded
        return folded


@lru_cache(maxsize=1)
def _fold_table() -> _FoldTable:
    return _FoldTable()


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if code == 0x3000:
        return " "
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    converted = _t2s().convert(ch)
    return converted if len(converted) == 1 else ch


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")
