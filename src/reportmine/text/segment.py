"""Word segmentation with a domain dictionary: jieba by default, rjieba (jieba-rs) when asked or present.

Both backends load the same shipped dictionary (``resources/userdict.txt``: 校本研修, 小班化,
公开课, 师徒结对 …) plus an optional user dictionary, so that domain terms stay one token. The
segmenters are built lazily, once per process and per dictionary set (jieba needs about a second
to load its main dictionary), and never touch jieba's global tokenizer.

    >>> tokenize("我校以小班化教育为中心，开展校本研修。")
    ['我校', '以', '小班化', '教育', '为', '中心', '开展', '校本研修']
    >>> content_tokens(_)
    ['小班化', '教育', '中心', '校本研修']
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from pathlib import Path
from types import ModuleType
from typing import Literal, Protocol, runtime_checkable

from reportmine.errors import InputError
from reportmine.vocab import load_word_list

logger = logging.getLogger(__name__)

Backend = Literal["auto", "jieba", "rjieba"]
_BACKENDS = ("auto", "jieba", "rjieba")
_DEFAULT_DICT = "userdict.txt"
_DEFAULT_STOPWORDS = "stopwords.txt"

# A token counts as a word when it holds at least one letter or digit (CJK ideographs are letters).
_WORD_CHAR = re.compile(r"[^\W_]")
# Numbers written with digits or Chinese numerals, with an optional ordinal 第 and decimal point:
# 2020, 3.5, 2020-12-02, 三, 第一, 十二 — quantities and dates, not themes.
_NUMBER = re.compile(r"^第?[\d０-９][\d０-９.．%％:：/-]*$|^第?[零〇一二两三四五六七八九十百千万亿]+$")
_lock = threading.Lock()


@runtime_checkable
class Segmenter(Protocol):
    """What reportmine needs from a segmentation backend."""

    name: str

    def cut(self, text: str) -> list[str]:
        """Return the words of `text` in order; joined they give `text` back."""
        ...


def _dictionary_entries(paths: tuple[str, ...]) -> list[tuple[str, int | None, str | None]]:
    """Read `word [freq] [tag]` lines (comments after `#`) from the shipped and user dictionaries."""
    entries: list[tuple[str, int | None, str | None]] = []
    for path in paths:
        lines = (
            load_word_list(_DEFAULT_DICT)
            if path == _DEFAULT_DICT
            else _read_user_lines(Path(path))
        )
        for line in lines:
            fields = line.split()
            word = fields[0]
            freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
            tag = fields[-1] if len(fields) > 1 and not fields[-1].isdigit() else None
            entries.append((word, freq, tag))
    return entries


def _read_user_lines(path: Path) -> list[str]:
    """Return the non-empty, non-comment lines of a user word file (dictionary or stop words)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read word list {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"word list {path} is not UTF-8 text") from exc
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _dict_key(user_dict: Path | None) -> tuple[str, ...]:
    return (_DEFAULT_DICT,) if user_dict is None else (_DEFAULT_DICT, str(Path(user_dict).resolve()))


@lru_cache(maxsize=4)
def _jieba_tokenizer(dict_key: tuple[str, ...]):  # noqa: ANN202 - jieba has no types
    import jieba

    # jieba logs "Building prefix dict…" at DEBUG on its own logger with its own handler.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, freq, tag in _dictionary_entries(dict_key):
        tokenizer.add_word(word, freq, tag)
    return tokenizer


@lru_cache(maxsize=4)
def _rjieba_instance(dict_key: tuple[str, ...]):  # noqa: ANN202 - rjieba has no types
    instance = _rjieba_class()()
    for word, freq, tag in _dictionary_entries(dict_key):
        # rjieba's add_word needs a frequency; jieba would suggest one, we ship explicit ones.
        instance.add_word(word, freq if freq is not None else 20000, tag)
    return instance


_RJIEBA_EXTENSION = "rjieba.rjieba"  # the compiled module of the rjieba package


@lru_cache(maxsize=1)
def _rjieba_class() -> type:
    """rjieba's `Jieba` class; InputError when rjieba cannot be imported.

    Importing the `rjieba` package builds a `Jieba` with the default dictionary at once, for
    its module-level `cut` (0.13 s and 30 MB in every run's start-up), and reportmine builds its
    own with the domain words beside it. So the compiled module that defines the class is loaded
    by itself, under its own name: a later `import rjieba` finds it loaded and uses it. Where it
    is not found that way (another layout), the package is imported.
    """
    module = sys.modules.get(_RJIEBA_EXTENSION)
    try:
        if module is None and "rjieba" not in sys.modules:
            module = _load_rjieba_extension()
        if module is None:
            module = importlib.import_module("rjieba")
        jieba_class: type = module.Jieba
        return jieba_class
    except (ImportError, AttributeError) as exc:
        raise InputError(
            "the rjieba backend is not installed: pip install 'reportmine[fast]' or use backend='jieba'"
        ) from exc


def _load_rjieba_extension() -> ModuleType | None:
    """The compiled module of the rjieba package, loaded without the package's `__init__`; None
    when the package is not installed or holds no such file."""
    package = importlib.util.find_spec("rjieba")
    folders = package.submodule_search_locations if package is not None else None
    for folder in folders or []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "rjieba" + suffix)
            if os.path.isfile(path):
                loader = importlib.machinery.ExtensionFileLoader(_RJIEBA_EXTENSION, path)
                spec = importlib.util.spec_from_file_location(_RJIEBA_EXTENSION, path, loader=loader)
                assert spec is not None  # a file location with a loader always gives a spec
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                sys.modules[_RJIEBA_EXTENSION] = module
                return module
    return None


class JiebaSegmenter:
    """jieba (pure Python) with the domain dictionary; the reference backend."""

    name = "jieba"

    def __init__(self, *, user_dict: Path | None = None) -> None:
        self.user_dict = user_dict

    def cut(self, text: str) -> list[str]:
        with _lock:  # building the tokenizer is not thread-safe
            tokenizer = _jieba_tokenizer(_dict_key(self.user_dict))
        return list(tokenizer.cut(text, HMM=True))


class RjiebaSegmenter:
    """rjieba (jieba-rs, Rust) with the same dictionary: several times faster, near-identical cuts."""

    name = "rjieba"

    def __init__(self, *, user_dict: Path | None = None) -> None:
        self.user_dict = user_dict

    def cut(self, text: str) -> list[str]:
        with _lock:
            instance = _rjieba_instance(_dict_key(self.user_dict))
        return list(instance.cut(text, True))


def rjieba_available() -> bool:
    """Return whether the rjieba backend can be imported."""
    try:
        _rjieba_class()
    except InputError:
        return False
    return True


def get_segmenter(backend: Backend = "auto", *, user_dict: Path | None = None) -> Segmenter:
    """Return a segmenter: `auto` = rjieba when importable, else jieba.

    Args:
        backend: ``"auto"``, ``"jieba"`` or ``"rjieba"``.
        user_dict: an extra dictionary file (``word [freq] [tag]`` per line) loaded after ours.
    """
    if backend not in _BACKENDS:
        raise InputError(f"unknown segmentation backend {backend!r}; choose one of {', '.join(_BACKENDS)}")
    if user_dict is not None and not Path(user_dict).is_file():
        raise InputError(f"user dictionary {user_dict} does not exist")
    if backend == "rjieba" or (backend == "auto" and rjieba_available()):
        _rjieba_class()  # InputError now, not at the first cut, when rjieba is missing
        return RjiebaSegmenter(user_dict=user_dict)
    return JiebaSegmenter(user_dict=user_dict)


@lru_cache(maxsize=1)
def _default_segmenter() -> Segmenter:
    return get_segmenter("auto")


def _fold(text: str) -> str:
    try:
        from reportmine.text.normalize import fold_for_matching
    except ImportError:  # pragma: no cover - normalize ships with the package
        return text
    return fold_for_matching(text)


def tokenize(
    text: str, *, segmenter: Segmenter | None = None, backend: Backend | None = None, fold: bool = True
) -> list[str]:
    """Return the word tokens of `text`, without whitespace- or punctuation-only tokens.

    Args:
        segmenter: the segmenter to use (default: `get_segmenter("auto")`, built once).
        backend: shortcut for ``segmenter=get_segmenter(backend)``.
        fold: segment the text folded for matching (traditional → simplified, full-width →
            ASCII), so that a Big5 report gives the same tokens (教学, not 教學) as the others.
    """
    if segmenter is None:
        segmenter = _default_segmenter() if backend is None else get_segmenter(backend)
    words = segmenter.cut(_fold(text) if fold else text)
    return _kept(_IS_WORD, words, lambda word: _WORD_CHAR.search(word) is not None)


# Verdicts per distinct token, shared by all reports of a process: the vocabulary of a corpus is
# small next to its token count, so each word is tested once instead of at every occurrence.
_VERDICTS_MAX = 500_000  # a memo is emptied when it reaches this many words (bounded memory)
_IS_WORD: dict[str, bool] = {}
_IS_CONTENT: dict[frozenset[str], dict[str, bool]] = {}  # per stop-word set


_KEPT_BLOCK = 256  # tokens filtered at a time: a block with an unknown token is looked up again


def _kept(memo: dict[str, bool], tokens: list[str], test: Callable[[str], bool]) -> list[str]:
    """Return the tokens passing `test`, each distinct token tested once per process (`memo`)."""
    if len(tokens) <= _KEPT_BLOCK:
        return _kept_block(memo, tokens, test)
    kept: list[str] = []
    # A third of the reports of a fresh process bring a new word or two: block by block, such a
    # word costs a second pass over its block, not over the whole report.
    for begin in range(0, len(tokens), _KEPT_BLOCK):
        kept += _kept_block(memo, tokens[begin : begin + _KEPT_BLOCK], test)
    return kept


def _kept_block(memo: dict[str, bool], tokens: list[str], test: Callable[[str], bool]) -> list[str]:
    for _attempt in range(2):
        try:
            # A filter run in C. Once a few reports are done nearly every token is known, so the
            # lookup is tried first and the unknown tokens are only sought when it fails.
            return list(compress(tokens, map(memo.__getitem__, tokens)))
        except KeyError:  # an unknown token (or another thread emptied the shared memo meanwhile)
            _verdicts(memo, tokens, test)
    return [token for token in tokens if test(token)]


def _verdicts(memo: dict[str, bool], tokens: list[str], test: Callable[[str], bool]) -> dict[str, bool]:
    """Return `memo` after adding `test(token)` for the tokens it does not know yet."""
    unknown = set(tokens).difference(memo)
    if len(memo) + len(unknown) > _VERDICTS_MAX:
        memo.clear()
        unknown = set(tokens)
    for token in unknown:
        memo[token] = test(token)
    return memo


@lru_cache(maxsize=8)
def _stopword_set(extra_key: str | None) -> frozenset[str]:
    lines = load_word_list(_DEFAULT_STOPWORDS)
    if extra_key is not None:
        lines = lines + _read_user_lines(Path(extra_key))
    return frozenset(word for line in lines for word in line.split())


def load_stopwords(extra: Path | None = None) -> frozenset[str]:
    """Return the shipped stop words, plus those in `extra` (one or more per line, `#` comments)."""
    return _stopword_set(None if extra is None else str(Path(extra).resolve()))


def content_tokens(tokens: list[str], *, stopwords: frozenset[str] | set[str] | None = None) -> list[str]:
    """Return `tokens` without stop words, single characters and numbers (the theme-bearing words)."""
    stop = load_stopwords() if stopwords is None else stopwords

    def is_content(token: str) -> bool:
        return len(token) > 1 and token not in stop and not _NUMBER.match(token) and _WORD_CHAR.search(token) is not None

    if isinstance(stop, frozenset):  # hashable and immutable: its verdicts can be remembered
        memo = _IS_CONTENT.get(stop)
        if memo is None:
            if len(_IS_CONTENT) >= 8:
                _IS_CONTENT.clear()
            memo = _IS_CONTENT.setdefault(stop, {})
        return _kept(memo, tokens, is_content)
    return [token for token in tokens if is_content(token)]


def dictionary_words(*, user_dict: Path | None = None) -> list[str]:
    """Return the words of the shipped (and user) dictionary, e.g. to check coverage."""
    return [word for word, _freq, _tag in _dictionary_entries(_dict_key(user_dict))]


__all__ = [
    "Segmenter",
    "JiebaSegmenter",
    "RjiebaSegmenter",
    "get_segmenter",
    "rjieba_available",
    "tokenize",
    "content_tokens",
    "load_stopwords",
    "dictionary_words",
]
