"""Fake analyses for the viz tests: small DataFrames built from real sentences of the seed reports."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

SEEDS = Path("/work/shared/seeds")
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'

# Exact column lists of docs/tables.md (the contract the viz functions consume).
COLUMNS = {
    "reports": ["report_id", "path", "part", "title", "school", "year", "stage", "region", "n_chars",
                "n_tokens", "encoding", "format", "status", "text"],
    "sections": ["report_id", "section_id", "parent_id", "depth", "marker", "title", "role", "start", "end"],
    "metrics": ["report_id", "metric_id", "category", "level", "value", "value_max", "approx", "qualifier",
                "period", "times_per_period", "grade", "recipient", "item", "unit", "evidence", "start", "end",
                "section_id", "part_of", "school", "year"],
    "shortcomings": ["report_id", "item_no", "text", "category", "section_id", "start", "end"],
    "plans": ["report_id", "item_no", "text", "section_id", "start", "end"],
    "topics": ["topic_id", "label", "top_terms", "weight_share"],
    "doc_topics": ["report_id", "topic_id", "weight"],
    "codes": ["report_id", "code", "count", "per_10k_chars"],
    "near_duplicates": ["report_a", "report_b", "school_a", "school_b", "similarity", "shared_chars", "sample"],
    "compare_metrics": ["school", "year", "n_reports", "open_lesson", "award", "research_activity",
                        "open_lesson_per_report", "award_per_report", "research_activity_per_report"],
    "compare_codes": ["school", "year", "n_reports", "小班化", "集体备课", "小班化_per_10k", "集体备课_per_10k"],
    "compare_topics": ["school", "year", "n_reports", "小班化教学", "教师培训"],
    "errors": ["path", "stage", "error"],
}


def _seed_text(name: str, start: int, length: int) -> str:
    text = (SEEDS / name).read_text(encoding="utf-8")
    return text[start:start + length]


def _tokens(text: str) -> list[str]:
    import jieba

    return [t for t in jieba.lcut(text) if re.search(r"[\u4e00-\u9fff]{2,}", t)]


def _metric(report_id: str, text: str, phrase: str, category: str, value: float | None, level: str) -> dict:
    start = text.index(phrase)
    return {"report_id": report_id, "category": category, "value": value, "level": level,
            "evidence": phrase, "start": start, "end": start + len(phrase), "part_of": None}


def build_analysis(*, hostile: bool = False) -> SimpleNamespace:
    """A four-report analysis (two schools, two years, one report without school or year)."""
    bad = XSS_SCRIPT + XSS_IMG if hostile else ""
    texts = {
        "a.txt#1": _seed_text("000_1a97207371f7c8aa.txt", 0, 1600) + bad,
        "b.txt#1": _seed_text("002_a7e4325be9bd9d85.txt", 2000, 6000),
        "b.txt#2": _seed_text("002_a7e4325be9bd9d85.txt", 6000, 4000),
        "c.txt#1": _seed_text("000_1a97207371f7c8aa.txt", 1600, 2000),
    }
    meta = {  # report_id -> (title, school, year)
        "a.txt#1": ("学校校本研修工作总结报告" + bad, "城堡小学" + bad, 2019),
        "b.txt#1": ("小学校本研训项目工作总结1", "实验小学", 2020),
        "b.txt#2": ("小学校本研训项目工作总结2", "实验/小学", 2020.0),
        "c.txt#1": ("校本研修总结", None, float("nan")),
    }
    reports = pd.DataFrame([
        {"report_id": rid, "path": rid.split("#")[0], "part": int(rid[-1]), "title": meta[rid][0],
         "school": meta[rid][1], "year": meta[rid][2], "n_chars": len(text), "status": "ok", "text": text}
        for rid, text in texts.items()
    ], columns=COLUMNS["reports"])
    metric_rows = [
        _metric("b.txt#2", texts["b.txt#2"], "16位不同学科的教师上了县公开课16节", "open_lesson", 16, "county"),
        _metric("b.txt#2", texts["b.txt#2"], "校级公开课64节", "open_lesson", 64, "school"),
        _metric("b.txt#1", texts["b.txt#1"], "荣获县二等奖", "award", 1, "county"),
        _metric("a.txt#1", texts["a.txt#1"], "充分利用教研活动的时间", "research_activity", None, "school"),
        _metric("c.txt#1", texts["c.txt#1"], "听课", "research_activity", 2, "unknown"),
    ]
    if hostile:
        metric_rows.append(_metric("a.txt#1", texts["a.txt#1"], bad, "award", 3, "city"))
    metrics = pd.DataFrame(metric_rows, columns=COLUMNS["metrics"])
    metrics["metric_id"] = range(len(metrics))
    shortcomings = pd.DataFrame([
        {"report_id": "a.txt#1", "item_no": 1, "text": "教师接受外界信息较为缓慢，观念更新相对迟钝" + bad,
         "category": "观念" + bad},
        {"report_id": "b.txt#1", "item_no": 1, "text": "找出自己在某一方面的不足", "category": "能力"},
        {"report_id": "b.txt#2", "item_no": 2, "text": "教师观念的转变是一个长期艰苦的过程", "category": "观念"},
        {"report_id": "c.txt#1", "item_no": 1, "text": "在实际教学实践中又遇到了较多问题", "category": None},
    ], columns=COLUMNS["shortcomings"])
    topics = pd.DataFrame([
        {"topic_id": 0, "label": "小班化教学", "top_terms": "小班化 教学 课堂", "weight_share": 0.6},
        {"topic_id": 1, "label": "教师培训", "top_terms": ["培训", "教师", "理论" + bad], "weight_share": 0.4},
    ], columns=COLUMNS["topics"])
    doc_topics = pd.DataFrame([(rid, t, w) for rid in texts for t, w in ((0, 0.7), (1, 0.3))],
                              columns=COLUMNS["doc_topics"])
    doc_topics.loc[doc_topics["report_id"] == "a.txt#1", "weight"] = [0.2, 0.8]
    codes = pd.DataFrame([
        {"report_id": rid, "code": code, "count": text.count(code), "per_10k_chars": text.count(code) * 1e4 / len(text)}
        for rid, text in texts.items() for code in ("小班化", "集体备课", "听课") if code in text
    ], columns=COLUMNS["codes"])
    near_duplicates = pd.DataFrame([
        {"report_a": "b.txt#1", "report_b": "b.txt#2", "school_a": "实验小学", "school_b": "实验/小学",
         "similarity": 0.8312, "shared_chars": 420, "sample": "校本培训和校本教研,是教师成长的一只方舟。" + bad},
    ], columns=COLUMNS["near_duplicates"])
    compare_metrics = pd.DataFrame([
        {"school": "实验小学", "year": 2020, "n_reports": 1, "open_lesson": 0, "award": 1, "research_activity": 0},
        {"school": "实验/小学", "year": 2020, "n_reports": 1, "open_lesson": 80, "award": 0, "research_activity": 0},
        {"school": "城堡小学" + bad, "year": 2019, "n_reports": 1, "open_lesson": 0, "award": 0, "research_activity": 0},
        {"school": "(未知)", "year": "(未知)", "n_reports": 1, "open_lesson": 2, "award": 0, "research_activity": 0},
        {"school": "(all)", "year": "(all)", "n_reports": 4, "open_lesson": 82, "award": 1, "research_activity": 0},
    ], columns=COLUMNS["compare_metrics"])
    errors = pd.DataFrame([
        {"path": "broken.pdf", "stage": "read", "error": "PDF has no text layer" + bad},
        {"path": "logo.png", "stage": "skip", "error": "not a report file type"},
    ], columns=COLUMNS["errors"])
    return SimpleNamespace(
        reports=reports, sections=pd.DataFrame(columns=COLUMNS["sections"]), metrics=metrics,
        shortcomings=shortcomings, plans=pd.DataFrame(columns=COLUMNS["plans"]), topics=topics,
        doc_topics=doc_topics, codes=codes, near_duplicates=near_duplicates, compare_metrics=compare_metrics,
        compare_codes=pd.DataFrame(columns=COLUMNS["compare_codes"]),
        compare_topics=pd.DataFrame([{"school": "(all)", "year": "(all)", "n_reports": 4, "小班化教学": 0.6,
                                      "教师培训": 0.4}], columns=COLUMNS["compare_topics"]),
        errors=errors, tokens={rid: _tokens(text) for rid, text in texts.items()},
    )


def build_empty_analysis() -> SimpleNamespace:
    """Every table present with its columns and no rows; no tokens."""
    tables = {name: pd.DataFrame(columns=columns) for name, columns in COLUMNS.items()}
    return SimpleNamespace(**tables, tokens={})


@pytest.fixture(scope="session")
def analysis() -> SimpleNamespace:
    return build_analysis()


@pytest.fixture(scope="session")
def hostile_analysis() -> SimpleNamespace:
    return build_analysis(hostile=True)


@pytest.fixture()
def empty_analysis() -> SimpleNamespace:
    return build_empty_analysis()
