"""Tests for reportmine.themes.codebook: the shipped codebook, matching rules and malformed files."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reportmine.errors import InputError, ReportmineError
from reportmine.themes.codebook import CODES_COLUMNS, code_reports, code_text, fold, load_codebook

EXPECTED_CODES = {
    "小班化", "分层教学", "小组合作", "师徒结对", "集体备课", "网络研修", "课题研究", "师德",
    "读书", "信息技术", "双减", "核心素养", "作业设计", "家校合作", "专家引领", "听评课",
}


def test_shipped_codebook_has_the_documented_codes() -> None:
    codebook = load_codebook()
    assert EXPECTED_CODES <= set(codebook.names)
    assert all(code.description for code in codebook.codes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我校是小班化教育的实验学校", {"小班化": 1}),
        ("我校是小班化教育的實驗學校，推行小班化教學", {"小班化": 2}),  # traditional characters
        ("推行分层作业和因材施教", {"分层教学": 2}),
        ("开展小组合作学习", {"小组合作": 1}),  # the longer term 小组合作 wins, 合作学习 not counted again
        ("新老教师一对一结对，实施青蓝工程", {"师徒结对": 2}),
        ("承担市级课题，完成课题研究和一个小课题", {"课题研究": 3}),
        ("落实“双减”，做好课后服务", {"双减": 2}),
        ("组织教师听课、评课", {"听评课": 2}),
        ("今天天气很好", {}),
        ("小班组开展小班教学活动，中班、大班观摩", {}),  # kindergarten class names are not 小班化
    ],
)
def test_code_text(text: str, expected: dict[str, int]) -> None:
    assert code_text(text, load_codebook()) == expected


def test_fold_keeps_length() -> None:
    text = "小班化教學，ＡＢＣ１２３"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("小班化教学")


def test_xiaobanhua_found_in_every_seed_report_that_discusses_it(seed_reports: pd.DataFrame) -> None:
    codes = code_reports(seed_reports)
    hits = codes[codes["code"] == "小班化"].set_index("report_id")["count"]
    discussing = seed_reports[seed_reports["text"].str.contains("小班")]
    assert len(discussing) >= 3
    for report_id, text in zip(discussing["report_id"], discussing["text"]):
        assert hits.get(report_id, 0) >= text.count("小班化") > 0


def test_code_reports_table(seed_reports: pd.DataFrame) -> None:
    codes = code_reports(seed_reports)
    assert list(codes.columns) == CODES_COLUMNS
    assert (codes["count"] > 0).all()
    first = codes.iloc[0]
    n_chars = len(seed_reports.set_index("report_id").loc[first["report_id"], "text"])
    assert first["per_10k_chars"] == pytest.approx(first["count"] * 10_000 / n_chars, abs=1e-3)
    assert codes.equals(code_reports(seed_reports))


def test_code_reports_on_no_hits() -> None:
    codes = code_reports(pd.DataFrame({"report_id": ["a"], "text": ["今天天气很好"]}))
    assert codes.empty and list(codes.columns) == CODES_COLUMNS


def test_bundled_reports_discussing_xiaobanhua_get_the_code(bundled_reports: pd.DataFrame) -> None:
    codes = code_reports(bundled_reports)
    coded = set(codes.loc[codes["code"] == "小班化", "report_id"])
    discussing = {rid for rid, text in zip(bundled_reports["report_id"], bundled_reports["text"]) if "小班化" in fold(text)}
    assert discussing and discussing <= coded


def test_kindergarten_class_names_are_not_xiaobanhua(bundled_reports: pd.DataFrame) -> None:
    kindergartens = bundled_reports[bundled_reports["school"].str.endswith("_kg", na=False)]
    mentioning = kindergartens[kindergartens["text"].str.contains("小班") & ~kindergartens["text"].str.contains("小班化")]
    assert len(mentioning) >= 1
    codes = code_reports(mentioning)
    assert "小班化" not in set(codes["code"])


def test_user_codebook_replaces_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text(
        "走班:\n  description: 走班制\n  terms: [走班]\n  patterns: ['选课.{0,2}走班']\n短式: [教研沙龙]\n",
        encoding="utf-8",
    )
    codebook = load_codebook(path)
    assert codebook.names == ["走班", "短式"]
    assert code_text("实行选课走班，举办教研沙龙", codebook) == {"走班": 1, "短式": 1}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- 小班化\n- 双减\n", "mapping"),
        ("小班化: {terms: [小班化], extra: 1}\n", "unknown keys"),
        ("小班化: {description: 无}\n", "at least one term"),
        ("小班化: {terms: 小班化}\n", "list of non-empty strings"),
        ("小班化: {patterns: ['小班(']}\n", "not a valid regular expression"),
        ("小班化: [小班化\n", "not valid UTF-8 YAML"),
        ("", "non-empty mapping"),
    ],
)
def test_malformed_codebook_raises_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_codebook(path)
    assert isinstance(caught.value, ReportmineError)
    assert str(path) in str(caught.value)


def test_missing_codebook_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read codebook"):
        load_codebook(tmp_path / "none.yaml")


def test_fold_keeps_length_and_simplifies() -> None:
    from reportmine.themes.codebook import fold

    text = "小班化教學，ＡＢＣ"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("小班化教学") and folded.endswith("ABC")
