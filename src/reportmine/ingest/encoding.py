"""Bytes → str for every encoding a Chinese user meets (UTF-8/BOM, UTF-16, GB18030/GBK, Big5).

Chinese-first: BOMs decide; then strict UTF-8; then the legacy CJK codecs compete on how
*plausible* their result is (share of common Chinese characters), so a GBK file never comes out
as Big5 mojibake and the other way round. charset-normalizer is the last resort for the rest.
"""
from __future__ import annotations

import codecs
import logging
import re
from functools import lru_cache

import numpy as np

from reportmine.errors import ReadError

logger = logging.getLogger(__name__)

__all__ = ["decode_bytes"]

# A candidate must reach this share of common Chinese characters (among non-ASCII letters)
# to win; genuine Chinese text scores above 0.85, mojibake well below 0.6.
_MIN_CJK_SCORE = 0.6
_MAX_BAD_CHAR_RATIO = 0.02  # control characters / U+FFFD tolerated in a text file
# Control characters (not tab/newline/form feed), replacement marks, lone surrogates, private use.
# A raw string: `re` reads the escapes, so the source holds no lone surrogate (mypyc refuses one).
_BAD_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff\ue000-\uf8ff]")
_SCORE_SAMPLE = 20_000  # characters scored for plausibility: enough to decide, O(1) on long files


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; return ``(text, encoding)`` with a canonical lower-case name.

    The name is one of ``utf-8``, ``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, ``gb18030``,
    ``big5`` (or charset-normalizer's name for anything else). The BOM is not part of the text.

    Raises:
        ReadError: (stage ``decode``) for binary data or text in no recognisable encoding.
    """
    if not data:
        raise ReadError("file is empty", stage="decode")
    bom = _decode_bom(data)
    if bom is not None:
        return _checked(*bom)
    if b"\x00" in data:
        return _checked(*_decode_utf16_without_bom(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        # Short GBK text can be valid UTF-8 too (学校 = D1A7 D0A3 = "ѧУ"): prefer a legacy CJK
        # reading only when the UTF-8 one is not Chinese-looking and the other one is.
        if _cjk_score(text) < _MIN_CJK_SCORE and not _inside_latin_words(text):
            legacy = _best_cjk_candidate(data)
            if legacy is not None and _cjk_score(legacy[0]) >= _MIN_CJK_SCORE:
                return _checked(*legacy)
        return _checked(text, "utf-8")
    best = _best_cjk_candidate(data)
    if best is not None:
        return _checked(*best)
    return _checked(*_fallback(data))


def _decode_bom(data: bytes) -> tuple[str, str] | None:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", "utf-8-sig")
    if data.startswith(codecs.BOM_UTF16_LE) and not data.startswith(codecs.BOM_UTF32_LE):
        return _strict(data[2:], "utf-16-le", "utf-16-le")
    if data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data[2:], "utf-16-be", "utf-16-be")
    return None


def _strict(data: bytes, codec: str, name: str) -> tuple[str, str]:
    try:
        return data.decode(codec), name
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"file starts with a {name} byte-order mark but is not valid {name} "
            f"(damaged at byte {exc.start}); re-save it as UTF-8",
            stage="decode",
        ) from exc


def _decode_utf16_without_bom(data: bytes) -> tuple[str, str]:
    """NUL bytes: BOM-less UTF-16 when one byte order gives clean Chinese text, else binary.

    NULs alone do not tell the byte order (一 is U+4E00), so both orders are scored.
    """
    best: tuple[float, str, str] | None = None
    if len(data) % 2 == 0:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            bad = len(_BAD_CHARS.findall(text)) / max(1, len(text))
            if bad > _MAX_BAD_CHAR_RATIO:
                continue
            score = _cjk_score(text) - bad
            if best is None or score > best[0]:
                best = (score, text, codec)
    if best is not None and best[0] >= _MIN_CJK_SCORE:
        return best[1], best[2]
    raise ReadError(
        "file looks binary (it contains NUL bytes), not text; "
        "save it as .txt (UTF-8), .docx or .pdf, or exclude it",
        stage="decode",
    )


def _best_cjk_candidate(data: bytes) -> tuple[str, str] | None:
    """Decode strictly with each legacy CJK codec; keep the most Chinese-looking result."""
    candidates: list[tuple[float, int, str, str]] = []
    codecs_in_order = [("gb18030", "gb18030"), ("big5", "big5"), ("cp950", "big5")]
    if len(data) % 2 == 0:
        codecs_in_order += [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")]
    seen_names: set[str] = set()
    for rank, (codec, name) in enumerate(codecs_in_order):
        if name in seen_names:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        seen_names.add(name)
        candidates.append((_cjk_score(text), -rank, text, name))
    if not candidates:
        return None
    score, _, text, name = max(candidates, key=lambda c: (c[0], c[1]))
    logger.debug("legacy CJK candidates: %s", [(c[3], round(c[0], 3)) for c in candidates])
    if score < _MIN_CJK_SCORE and _non_ascii_count(text) >= 4:
        return None
    return text, name


def _fallback(data: bytes) -> tuple[str, str]:
    """UTF-8 or GB18030 with a few damaged bytes, else charset-normalizer's best guess."""
    for codec in ("utf-8", "gb18030"):
        text = data.decode(codec, errors="replace")
        n_bad = text.count("\ufffd")
        if n_bad <= max(1, len(text) // 200) and _cjk_score(text) >= _MIN_CJK_SCORE:
            logger.warning("decoded as %s with %d damaged byte sequence(s) shown as U+FFFD", codec, n_bad)
            return text, codec
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None:
        raise ReadError(
            "could not recognise the text encoding (the file may be binary or damaged); "
            "re-save it as UTF-8 text",
            stage="decode",
        )
    return str(match), match.encoding.lower().replace("_", "-")


def _checked(text: str, name: str) -> tuple[str, str]:
    """Reject decodings that are mostly control characters or replacement marks."""
    if text:
        bad = len(_BAD_CHARS.findall(text))
        if bad / len(text) > _MAX_BAD_CHAR_RATIO:
            raise ReadError(
                f"file does not look like text ({bad} of {len(text)} characters are control "
                f"or invalid characters when read as {name}); it may be binary or damaged",
                stage="decode",
            )
        if name != "utf-8" and _non_ascii_count(text) >= 20 and _cjk_score(text) < 0.3:
            raise ReadError(
                f"file does not look like Chinese text when read as {name}; "
                "re-save it as UTF-8 text",
                stage="decode",
            )
    return text, name


def _inside_latin_words(text: str) -> bool:
    """True when most non-ASCII characters touch an ASCII letter (Grüße, café): Western text."""
    total = touching = 0
    for i, ch in enumerate(text):
        if ord(ch) <= 0x7F or ch.isspace():
            continue
        total += 1
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
            touching += 1
    return total > 0 and touching / total >= 0.5




COMMON_CHARS_FILE = "common_chars.txt"  # in resources/, see `_common_chars`
# Candidates for the plausibility score: non-ASCII characters that are not whitespace (the
# regex class [^\x00-\x7f\s]); only the first _SCORE_SAMPLE characters are looked at.
_NON_ASCII = re.compile(r"[^\x00-\x7f\s]")
# Class of each code point in `_char_classes`: not a candidate, an uncommon or a common candidate.
_OTHER, _UNCOMMON, _COMMON = 0, 1, 2
_WHITESPACE_MAX = 0x3000  # str.isspace() (= regex \s) is false for every code point above


def _non_ascii_count(text: str) -> int:
    # Only "at least 20?" is ever asked: counting a sample keeps this O(1) on long reports.
    return int(np.count_nonzero(_sample_classes(text)))


def _cjk_score(text: str) -> float:
    """Share of non-ASCII, non-space characters that are common Chinese characters or punctuation."""
    classes = _sample_classes(text)
    n_candidates = int(np.count_nonzero(classes))
    if not n_candidates:
        return 1.0
    return int(np.count_nonzero(classes == _COMMON)) / n_candidates


def _sample_classes(text: str) -> np.ndarray:
    """The `_char_classes` class of each of the first `_SCORE_SAMPLE` characters (vectorised:
    a per-character regex or str.translate pass over every file was a fifth of reading time)."""
    codes = np.frombuffer(text[:_SCORE_SAMPLE].encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _char_classes()[codes]


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """Class of every code point: _OTHER (ASCII, whitespace), _COMMON (`_common_chars`), else _UNCOMMON."""
    classes = np.full(0x110000, _UNCOMMON, dtype=np.uint8)
    classes[:0x80] = _OTHER
    classes[[code for code in range(0x80, _WHITESPACE_MAX + 1) if chr(code).isspace()]] = _OTHER
    classes[[ord(ch) for ch in _common_chars() if not ch.isascii() and not ch.isspace()]] = _COMMON
    return classes


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """GB2312 level-1 hanzi (the 3,755 most common), their traditional forms (OpenCC s2t), CJK
    punctuation and full-width digits: the table shipped in resources/common_chars.txt (its
    definition is a test; building it here cost a tenth of a second before the workers fork)."""
    from reportmine.vocab import resource_path

    return frozenset(resource_path(COMMON_CHARS_FILE).read_text(encoding="utf-8").rstrip("\n"))
