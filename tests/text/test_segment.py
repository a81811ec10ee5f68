"""Tests for reportmine.text.segment: backends, domain dictionary, tokens and content tokens."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reportmine.errors import InputError, ReportmineError
from reportmine.text import segment
from reportmine.text.segment import (
    JiebaSegmenter,
    RjiebaSegmenter,
    Segmenter,
    content_tokens,
    dictionary_words,
    get_segmenter,
    load_stopwords,
    rjieba_available,
    tokenize,
)



@pytest.fixture(scope="session")
def jieba_segmenter() -> Segmenter:
    return get_segmenter("jieba")


@pytest.fixture(scope="session")
def rjieba_segmenter() -> Segmenter:
    assert rjieba_available(), "rjieba is a dev dependency: pip install -e '.[dev]'"
    return get_segmenter("rjieba")


@pytest.fixture(scope="session")
def seed_texts(seeds_dir: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]


def _spans(words: list[str]) -> set[tuple[int, int]]:
    spans, position = set(), 0
    for word in words:
        spans.add((position, position + len(word)))
        position += len(word)
    return spans


def test_get_segmenter_backends(jieba_segmenter: Segmenter) -> None:
    assert isinstance(jieba_segmenter, JiebaSegmenter)
    assert isinstance(jieba_segmenter, Segmenter)
    expected = RjiebaSegmenter if rjieba_available() else JiebaSegmenter
    assert isinstance(get_segmenter(), expected)


def test_unknown_backend_is_one_clear_error() -> None:
    with pytest.raises(InputError, match="choose one of auto, jieba, rjieba"):
        get_segmenter("thulac")  # type: ignore[arg-type]


# In a fresh interpreter: does the rjieba segmenter leave the rjieba package (and the default
# dictionary its import builds) unloaded, and does a later or earlier `import rjieba` give the
# same class?
_RJIEBA_LOADING = """
import sys
{before}
from reportmine.text.segment import _rjieba_class, get_segmenter
print(get_segmenter("rjieba").cut("我校开展校本研修和公开课"))
print("rjieba" in sys.modules)
import rjieba
print(rjieba.Jieba is _rjieba_class())
"""


@pytest.mark.parametrize(("before", "package_loaded"), [("", False), ("import rjieba", True)])
def test_rjieba_segmenter_loads_only_the_compiled_module(before: str, package_loaded: bool) -> None:
    result = subprocess.run([sys.executable, "-c", _RJIEBA_LOADING.format(before=before)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["['我校', '开展', '校本研修', '和', '公开课']", str(package_loaded), "True"]


def test_without_rjieba_auto_is_jieba_and_rjieba_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rjieba", None)  # `import rjieba` raises ImportError
    monkeypatch.delitem(sys.modules, "rjieba.rjieba", raising=False)
    segment._rjieba_class.cache_clear()
    try:
        assert not rjieba_available()
        assert isinstance(get_segmenter("auto"), JiebaSegmenter)
        with pytest.raises(InputError, match="rjieba backend is not installed"):
            get_segmenter("rjieba")
    finally:
        segment._rjieba_class.cache_clear()


def test_private_tokenizer_leaves_global_jieba_alone(jieba_segmenter: Segmenter) -> None:
    import jieba

    jieba_segmenter.cut("校本研训")
    assert segment._jieba_tokenizer(segment._dict_key(None)) is not jieba.dt


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_every_dictionary_term_is_one_token(backend: str, jieba_segmenter, request) -> None:
    segmenter = jieba_segmenter if backend == "jieba" else request.getfixturevalue("rjieba_segmenter")
    words = dictionary_words()
    assert len(words) >= 150
    split = [word for word in words if word not in segmenter.cut(f"我们开展{word}。")]
    assert split == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我校以小班化教育为中心，开展校本研修。", ["我校", "以", "小班化", "教育", "为", "中心", "开展", "校本研修"]),
        ("实行师徒结对，落实“双减”政策", ["实行", "师徒结对", "落实", "双减", "政策"]),
        ("  \n（一）集体备课 ", ["一", "集体备课"]),
        ("。，、！", []),
        ("本學期推行小班化教學，ＰＰＴ", ["本学期", "推行", "小班化", "教学", "PPT"]),  # folded first
    ],
)
def test_tokenize_keeps_words_only(text: str, expected: list[str], jieba_segmenter) -> None:
    assert tokenize(text, segmenter=jieba_segmenter) == expected


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["我校", "开展", "小班化", "教育"], ["小班化", "教育"]),  # formulaic filler dropped
        (["进一步", "加强", "师德", "建设"], ["师德", "建设"]),
        (["上", "了", "3", "节", "公开课"], ["公开课"]),  # single characters
        (["2020", "12.5", "第一", "三十", "2020-12-02", "第3"], []),  # numbers and dates
        (["教师", "学校", "老师", "的"], []),
        (["PPT", "核心素养"], ["PPT", "核心素养"]),
    ],
)
def test_content_tokens(tokens: list[str], expected: list[str]) -> None:
    assert content_tokens(tokens) == expected


def test_tokenize_without_folding_keeps_the_characters(jieba_segmenter) -> None:
    assert "".join(tokenize("小班化教學", segmenter=jieba_segmenter, fold=False)) == "小班化教學"


def test_jieba_logging_is_silenced(jieba_segmenter) -> None:
    import logging

    import jieba

    jieba_segmenter.cut("校本研修")
    assert jieba.default_logger.getEffectiveLevel() >= logging.WARNING


def test_user_stopwords_and_dictionary(tmp_path: Path) -> None:
    stop_file = tmp_path / "stop.txt"
    stop_file.write_text("# 本地的停用词\n课堂 教育\n", encoding="utf-8")
    stopwords = load_stopwords(stop_file)
    assert {"课堂", "教育", "进一步"} <= stopwords
    assert content_tokens(["课堂", "教育", "小班化"], stopwords=stopwords) == ["小班化"]

    dict_file = tmp_path / "dict.txt"
    dict_file.write_text("青蓝杯赛课 30000 n  # 区里的比赛\n", encoding="utf-8")
    segmenter = get_segmenter("jieba", user_dict=dict_file)
    assert "青蓝杯赛课" in segmenter.cut("参加青蓝杯赛课活动")
    assert "青蓝杯赛课" not in get_segmenter("jieba").cut("参加青蓝杯赛课活动")


def test_missing_user_files_raise_library_errors(tmp_path: Path) -> None:
    with pytest.raises(ReportmineError):
        get_segmenter("jieba", user_dict=tmp_path / "missing.txt")
    with pytest.raises(ReportmineError):
        load_stopwords(tmp_path / "missing.txt")


def test_cut_keeps_every_character(seed_texts: list[str], jieba_segmenter) -> None:
    for text in seed_texts:
        assert "".join(jieba_segmenter.cut(text)) == text


@pytest.mark.usefixtures("rjieba_segmenter")  # rjieba is a dev dependency: fail, never skip
def test_backends_agree_on_the_seeds(seed_texts: list[str], jieba_segmenter, rjieba_segmenter) -> None:
    # Measured on the seeds (2 files, ~7,400 tokens): 99.95 % of jieba's token spans are also
    # rjieba's. The one difference: rjieba keeps a date "2020-12-02" as one token where jieba
    # cuts 2020 / - / 12 / - / 02; content_tokens drops both as numbers.
    shared = total = 0
    for text in seed_texts:
        jieba_words, rjieba_words = jieba_segmenter.cut(text), rjieba_segmenter.cut(text)
        assert "".join(rjieba_words) == text
        reference = _spans(jieba_words)
        shared += len(reference & _spans(rjieba_words))
        total += len(reference)
        assert content_tokens(tokenize(text, segmenter=jieba_segmenter)) == content_tokens(
            tokenize(text, segmenter=rjieba_segmenter)
        )
    assert shared / total >= 0.995


def test_token_filters_give_the_same_result_with_and_without_their_memo(monkeypatch):
    # tokenize/content_tokens remember their verdict per distinct word; a full memo is emptied.
    from reportmine.text import segment

    words = ["小班化", "教育", "，", "2020", "的", "校本研修", "第一", "教育", "  "]
    stop = segment.load_stopwords()
    expected = [w for w in words if len(w) > 1 and w not in stop and not segment._NUMBER.match(w)
                and segment._WORD_CHAR.search(w)]
    assert content_tokens(words, stopwords=stop) == expected
    assert content_tokens(words, stopwords=set(stop)) == expected  # a plain set: no memo
    monkeypatch.setattr(segment, "_VERDICTS_MAX", 3)
    assert content_tokens(words, stopwords=stop) == expected
    assert content_tokens(words[::-1], stopwords=stop) == expected[::-1]
