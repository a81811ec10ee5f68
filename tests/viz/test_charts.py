"""Tests of reportmine.viz.charts: files per chart and format, determinism, CJK glyphs, empty tables."""
from __future__ import annotations

import logging
import math
import warnings
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from reportmine.errors import InputError
from reportmine.viz.charts import _code_shares, _metric_sums, _topic_means, group_label, write_charts

CHART_NAMES = ["metrics_by_school", "metrics_by_year", "code_prevalence", "topic_trends"]


@pytest.fixture(scope="module")
def charts(analysis, tmp_path_factory):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = write_charts(analysis, tmp_path_factory.mktemp("charts"), formats=("png", "svg"))
    return paths, [str(w.message) for w in caught]


def test_every_chart_in_png_and_svg(charts):
    paths, _ = charts
    assert [path.name for path in paths] == [f"{name}.{fmt}" for name in CHART_NAMES for fmt in ("png", "svg")]
    assert all(path.stat().st_size > 1000 for path in paths)
    assert len({path.parent for path in paths}) == 1  # straight into out_dir, no subfolder


def test_png_only_by_default(analysis, tmp_path):
    assert [path.name for path in write_charts(analysis, tmp_path)] == [f"{name}.png" for name in CHART_NAMES]


def test_chart_files_names_what_write_charts_writes_when_every_chart_has_data(charts):
    from reportmine.viz.charts import chart_files

    paths, _ = charts
    assert chart_files(paths[0].parent, ("png", "svg")) == paths


def test_no_glyph_is_missing_from_the_font(charts):
    _, messages = charts
    assert not [m for m in messages if "missing from" in m or "Glyph" in m]


def test_charts_are_byte_identical_across_runs(analysis, charts, tmp_path):
    paths, _ = charts
    again = write_charts(analysis, tmp_path, formats=("png", "svg"))
    assert [path.read_bytes() for path in again] == [path.read_bytes() for path in paths]


def test_files_carry_no_date_or_software_stamp(charts):
    paths, _ = charts
    svg = next(path for path in paths if path.suffix == ".svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    png = next(path for path in paths if path.suffix == ".png").read_bytes()
    assert b"Software" not in png


def test_caller_rc_params_are_left_alone(analysis, tmp_path):
    before = (matplotlib.rcParams["font.family"], matplotlib.rcParams["axes.unicode_minus"])
    write_charts(analysis, tmp_path, formats=("png",))
    assert (matplotlib.rcParams["font.family"], matplotlib.rcParams["axes.unicode_minus"]) == before


def test_empty_tables_skip_every_chart(empty_analysis, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="reportmine.viz.charts"):
        assert write_charts(empty_analysis, tmp_path) == []
    assert "skipped" in caplog.text


def test_metric_sums_fall_back_to_metrics_table(analysis):
    fallback = SimpleNamespace(**{**vars(analysis), "compare_metrics": analysis.compare_metrics.head(0)})
    sums = _metric_sums(fallback).set_index(["school", "year"])
    assert sums.loc[("实验/小学", "2020"), "open_lesson"] == 80
    assert sums.loc[("(未知)", "(未知)"), "research_activity"] == 2


def test_metric_sums_from_compare_table_drop_margins(analysis):
    sums = _metric_sums(analysis)
    assert "(all)" not in set(sums["school"]) and sums["open_lesson"].sum() == 82
    assert "open_lesson_per_report" not in sums.columns


def test_metric_sums_skip_derived_columns_and_map_unknown(analysis):
    compare = analysis.compare_metrics.assign(research_activity_scheduled=5.0)
    compare.loc[compare["school"] == "(未知)", ["school", "year"]] = "(unknown)"
    sums = _metric_sums(SimpleNamespace(**{**vars(analysis), "compare_metrics": compare}))
    assert "research_activity_scheduled" not in sums.columns
    assert ("(未知)", "(未知)") in set(zip(sums["school"], sums["year"]))


def test_code_shares_count_reports_without_codes(analysis):
    shares = _code_shares(analysis)
    assert set(shares.index) == {"城堡小学", "实验小学", "实验/小学", "(未知)"}
    assert ((shares >= 0) & (shares <= 1)).all().all()


def test_topic_means_per_year(analysis):
    means = _topic_means(analysis)
    assert list(means.index) == ["2019", "2020"]
    assert means.loc["2019", "1: 教师培训"] == pytest.approx(0.8)


def test_unknown_format_is_rejected(analysis, tmp_path):
    with pytest.raises(InputError, match="format"):
        write_charts(analysis, tmp_path, formats=("gif",))


@pytest.mark.parametrize(("value", "expected"), [
    (None, "(未知)"), (math.nan, "(未知)"), (pd.NA, "(未知)"), ("  ", "(未知)"),
    ("(unknown)", "(未知)"), (2020.0, "2020"), ("2020", "2020"), (2019, "2019"), ("实验小学", "实验小学"), ("(all)", "(all)"),
])
def test_group_label(value, expected):
    assert group_label(value) == expected


def _crowded_analysis(n_schools: int = 120, n_topics: int = 30) -> SimpleNamespace:
    """Many schools (one to three reports each) and many topics: more than any chart can show."""
    reports = pd.DataFrame([
        {"report_id": f"r{school}-{k}", "school": f"第{school}实验小学", "year": 2016 + (school + k) % 8}
        for school in range(n_schools) for k in range(1 + school % 3)
    ])
    ids = list(reports["report_id"])
    metrics = pd.DataFrame([{"report_id": rid, "category": category, "value": 1 + i % 5, "part_of": None}
                            for i, rid in enumerate(ids) for category in ("open_lesson", "award")])
    doc_topics = pd.DataFrame([{"report_id": rid, "topic_id": t, "weight": ((i + t) % 7) / 21}
                               for i, rid in enumerate(ids) for t in range(n_topics)])
    topics = pd.DataFrame({"topic_id": range(n_topics), "label": [f"主题词{t}" for t in range(n_topics)]})
    codes = pd.DataFrame([{"report_id": rid, "code": f"代码{c}", "count": 1}
                          for i, rid in enumerate(ids) for c in range(12) if (i + c) % 3 == 0])
    return SimpleNamespace(reports=reports, metrics=metrics, doc_topics=doc_topics, topics=topics, codes=codes,
                           compare_metrics=pd.DataFrame())


def test_crowded_charts_show_the_largest_groups_and_say_so(tmp_path):
    from reportmine.viz import charts

    crowded = _crowded_analysis()
    data = dict(charts._chart_data(crowded))
    assert len(data["metrics_by_school"]) == charts.MAX_SCHOOLS
    assert len(data["code_prevalence"]) == charts.MAX_SCHOOLS
    assert set(data["code_prevalence"].index) <= set(crowded.reports["school"][crowded.reports["report_id"].str.endswith("-2")])
    assert len(data["topic_trends"].columns) == charts.MAX_TOPICS
    with matplotlib.rc_context(charts._RC):
        titles = {name: charts._DRAWERS[name](table).axes[0].get_title() for name, table in data.items()}
    assert "（120 所学校中指标最多的 40 所）" in titles["metrics_by_school"]
    assert "（120 所学校中报告最多的 40 所）" in titles["code_prevalence"]
    assert "（30 个主题中平均权重最高的 10 个）" in titles["topic_trends"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = write_charts(crowded, tmp_path)
    assert len(paths) == 4
    assert not [w for w in caught if "constrained_layout" in str(w.message) or "collapsed" in str(w.message)]


def test_few_topics_are_all_drawn(analysis):
    from reportmine.viz import charts

    means = charts._top_topics(_topic_means(analysis))
    assert list(means.columns) == list(_topic_means(analysis).columns)


def test_worker_processes_draw_the_same_bytes(analysis, charts, tmp_path):
    paths, _ = charts
    in_workers = write_charts(analysis, tmp_path, workers=2, formats=("png", "svg"))
    in_process = write_charts(analysis, tmp_path / "one", workers=1, formats=("png", "svg"))
    assert [path.name for path in in_workers] == [path.name for path in paths]
    assert [path.read_bytes() for path in in_workers] == [path.read_bytes() for path in in_process]


def test_with_school_year_labels_each_row_from_the_first_report_row():
    import numpy as np
    import pandas as pd

    from reportmine.viz.charts import UNKNOWN, _with_school_year

    reports = pd.DataFrame({"report_id": ["a", "b", "a", "c"], "school": ["一中", None, "二中", "三中"],
                            "year": [2020, 2021, 2019, np.nan]})
    frame = pd.DataFrame({"report_id": ["a", "c", "b", "zzz", None, "a"], "school": ["stale"] * 6})
    labelled = _with_school_year(frame, reports)
    assert labelled["school"].tolist() == ["一中", "三中", UNKNOWN, UNKNOWN, UNKNOWN, "一中"]
    assert labelled["year"].tolist() == ["2020", UNKNOWN, "2021", UNKNOWN, UNKNOWN, "2020"]
    categorical = _with_school_year(frame.assign(report_id=frame["report_id"].astype("category")), reports)
    assert categorical["school"].tolist() == labelled["school"].tolist()
    # Without report ids (or reports) every row is unknown.
    assert set(_with_school_year(frame, reports.iloc[:0])["school"]) == {UNKNOWN}
    assert set(_with_school_year(frame, reports.drop(columns=["school"]))["school"]) == {UNKNOWN}
