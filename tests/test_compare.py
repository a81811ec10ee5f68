"""Tests for reportmine.compare: school × year tables with margins, zero columns, Chinese labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportmine.compare import (
    ALL,
    METRIC_CATEGORIES,
    UNKNOWN,
    compare_codes,
    compare_metrics,
    compare_topics,
    relabel,
)
from reportmine.errors import InputError

REPORTS = pd.DataFrame({
    "report_id": ["a", "b", "c", "d"],
    "school": ["永安小学", "永安小学", "桥头小学", None],
    "year": [2020, 2021, 2020, np.nan],
    "region": ["东区", "东区", "西区", "西区"],
    "stage": ["小学"] * 4,
    "n_chars": [1000, 2000, 1500, 500],
})
METRICS = pd.DataFrame({
    "report_id": ["a", "a", "a", "b", "c", "c", "x"],
    "category": ["open_lesson", "open_lesson", "research_activity", "award", "research_activity", "open_lesson", "award"],
    "value": [10, 4, None, 3, 5, 2, 99],
    "period": [None, None, "week", None, None, None, None],
    "part_of": [None, 0, None, None, None, None, None],
})


def _row(table: pd.DataFrame, **keys: str) -> pd.Series:
    mask = np.logical_and.reduce([table[key] == value for key, value in keys.items()])
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


def test_school_by_year_with_margins() -> None:
    table = compare_metrics(REPORTS, METRICS)
    assert table.columns[:3].tolist() == ["school", "year", "n_reports"]
    assert table[["school", "year"]].values.tolist() == [
        ["桥头小学", "2020"], ["桥头小学", ALL],
        ["永安小学", "2020"], ["永安小学", "2021"], ["永安小学", ALL],
        [UNKNOWN, UNKNOWN], [UNKNOWN, ALL],
        [ALL, "2020"], [ALL, "2021"], [ALL, UNKNOWN], [ALL, ALL],
    ]
    row = _row(table, school="永安小学", year="2020")
    assert row["open_lesson"] == 10  # the breakdown row (part_of) is not added to its total
    assert row["research_activity"] == 0 and row["research_activity_scheduled"] == 1  # frequency: counted apart
    total = _row(table, school=ALL, year=ALL)
    assert total["n_reports"] == 4  # report "x" is not in the corpus and is ignored
    assert (total["open_lesson"], total["award"], total["research_activity"]) == (12, 3, 5)
    assert total["open_lesson_per_report"] == pytest.approx(3.0)
    assert _row(table, school="永安小学", year=ALL)["n_reports"] == 2


@pytest.mark.parametrize(
    ("by", "keys"),
    [("school", ["school"]), ("year", ["year"]), ("district", ["region"]), (("region", "stage"), ["region", "stage"])],
)
def test_by_accepts_one_or_two_keys(by, keys: list[str]) -> None:
    table = compare_metrics(REPORTS, METRICS, by=by)
    assert table.columns[: len(keys)].tolist() == keys
    assert table.iloc[-1][keys].tolist() == [ALL] * len(keys)
    assert compare_metrics(REPORTS, METRICS, by=by, margins=False)[keys].ne(ALL).all().all()


@pytest.mark.parametrize("by", ["teacher", ("school", "school"), ("school", "year", "stage")])
def test_bad_by(by) -> None:
    with pytest.raises(InputError, match="one or two of"):
        compare_metrics(REPORTS, METRICS, by=by)


def test_known_categories_appear_even_without_rows() -> None:
    table = compare_metrics(REPORTS, METRICS.iloc[0:0], by="school")
    for category in METRIC_CATEGORIES:
        assert {category, f"{category}_per_report", f"{category}_scheduled"} <= set(table.columns)
        assert (table[category] == 0).all()


def test_compare_codes_counts_and_density() -> None:
    codes = pd.DataFrame({"report_id": ["a", "c", "c"], "code": ["小班化", "师德", "小班化"], "count": [3, 1, 2]})
    table = compare_codes(REPORTS, codes, by="year", code_names=["小班化", "双减", "师德"])
    assert table.columns.tolist() == [
        "year", "n_reports", "小班化", "双减", "师德", "小班化_per_10k", "双减_per_10k", "师德_per_10k",
    ]
    row = _row(table, year="2020")
    assert (row["小班化"], row["双减"], row["师德"]) == (5, 0, 1)
    assert row["小班化_per_10k"] == pytest.approx(5 * 10_000 / 2500)
    assert _row(table, year=ALL)["n_reports"] == 4


def test_compare_topics_means_over_modelled_reports() -> None:
    topics = pd.DataFrame({"topic_id": [0, 1], "label": ["小班化·教学·学生", "游戏·幼儿·研修"]})
    doc_topics = pd.DataFrame({
        "report_id": ["a", "a", "b", "b", "c", "c"], "topic_id": [0, 1] * 3, "weight": [0.9, 0.1, 0.5, 0.5, 0.0, 1.0],
    })
    table = compare_topics(REPORTS, doc_topics, topics, by="school")
    assert table.columns.tolist() == ["school", "n_reports", "小班化·教学·学生", "游戏·幼儿·研修"]
    assert _row(table, school="永安小学")["小班化·教学·学生"] == pytest.approx(0.7)
    assert _row(table, school=ALL)["小班化·教学·学生"] == pytest.approx(1.4 / 3)
    assert np.isnan(_row(table, school=UNKNOWN)["游戏·幼儿·研修"])


def test_relabel_zh() -> None:
    table = relabel(compare_metrics(REPORTS, METRICS, by="school"), labels="zh")
    assert table.columns[:6].tolist() == ["学校", "报告数", "公开课", "获奖", "教研活动", "论文"]
    assert "公开课（每份报告）" in table.columns
    assert table["学校"].tolist()[-2:] == ["未知", "合计"]
    assert relabel(table, labels="en") is table
    with pytest.raises(InputError):
        relabel(table, labels="fr")  # type: ignore[arg-type]


def test_deterministic_whatever_the_input_order() -> None:
    shuffled = REPORTS.sample(frac=1, random_state=3)
    assert compare_metrics(shuffled, METRICS.sample(frac=1, random_state=2)).equals(compare_metrics(REPORTS, METRICS))


@pytest.mark.parametrize("values", [
    pd.Series([2020, None, 2021, 2020], dtype="Int64"),
    pd.Series([2020.0, np.nan, 2020.5, -0.0, 2020.0]),
    pd.Series(["永安小学", None, " ", "桥头小学 ", "永安小学"], dtype="str"),
    pd.Series(["永安小学", None, "永安小学"], dtype="category"),
    pd.Series([1, 1.0, True, None, np.nan, " x "], dtype=object),
])
def test_labels_of_distinct_values_equal_labels_value_by_value(values: pd.Series) -> None:
    from reportmine.compare import _label
    from reportmine.tables import label_each

    assert label_each(values, _label).tolist() == [_label(value) for value in values]


def test_sort_key_puts_unknown_then_all_last() -> None:
    from reportmine.compare import _sort_key

    column = pd.Series(["永安小学", ALL, UNKNOWN, "2020", ALL])
    expected = column.map(lambda value: 2 if value == ALL else 1 if value == UNKNOWN else 0).astype(str) + "\x00" + column
    assert _sort_key(column).tolist() == expected.tolist()
