"""Charts of the comparison tables: metrics by school and year, code prevalence, topic trends.

Every chart is drawn with the CJK font from :mod:`reportmine.viz.fonts` (Chinese titles and
labels, no tofu) and saved without dates or random ids, so the same analysis gives
byte-identical PNG and SVG files. A chart whose table is empty is skipped and logged.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from reportmine.errors import InputError

log = logging.getLogger(__name__)

ChartFormat = Literal["png", "svg"]
CHART_FORMATS: tuple[str, ...] = ("png", "svg")

UNKNOWN = "(未知)"  # label of a missing school or year
MARGIN = "(all)"  # margin rows of the compare_* tables
_COMPARE_UNKNOWN = "(unknown)"  # how reportmine.compare labels missing metadata
# Derived columns of compare_metrics (rates, scheduled frequencies): not sums to plot.
_DERIVED_SUFFIXES = ("_per_report", "_per_10k", "_scheduled")

# Chinese names of the metric categories (docs/tables.md); other categories keep their own name.
METRIC_LABELS = {
    "open_lesson": "公开课",
    "award": "获奖",
    "research_activity": "教研活动",
    "publication": "论文",
}

MAX_SCHOOLS = 40  # more bars or heatmap rows than this are unreadable; the largest schools are kept

# rcParams that make output reproducible: fixed SVG ids, text as paths (no font needed to view).
_RC = {
    "svg.hashsalt": "reportmine",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
}


def group_label(value: Any) -> str:
    """Return the display label of a school or year value; missing values become "(未知)"."""
    if value is None:
        return UNKNOWN
    if isinstance(value, float):
        if math.isnan(value):
            return UNKNOWN
        if value.is_integer():  # a year column with NaN in it turns 2020 into 2020.0
            return str(int(value))
    try:
        if pd.isna(value):
            return UNKNOWN
    except (TypeError, ValueError):  # lists and arrays: not a missing scalar
        pass
    text = str(value).strip()
    return UNKNOWN if not text or text == _COMPARE_UNKNOWN else text


def write_charts(
    analysis: Any,
    out_dir: Path,
    *,
    font_path: Path | str | None = None,
    formats: Sequence[ChartFormat] = ("png", "svg"),
) -> list[Path]:
    """Draw every chart the analysis has data for into ``out_dir`` and return the files.

    Charts: ``metrics_by_school`` (grouped bars of metric sums per school), ``metrics_by_year``
    (one line panel per category), ``code_prevalence`` (school × code heatmap of the share of reports
    with the code) and ``topic_trends`` (mean topic weight per year).
    """
    bad = sorted(set(formats) - set(CHART_FORMATS))
    if bad:
        raise InputError(f"Unknown chart format {bad}; choose from {list(CHART_FORMATS)}.")
    import matplotlib

    from reportmine.viz.fonts import find_cjk_font, matplotlib_font

    font = find_cjk_font(font_path)
    target = Path(out_dir)
    written: list[Path] = []
    # rc_context restores the caller's settings (a notebook's font, backend) afterwards.
    with matplotlib.rc_context(_RC):
        matplotlib_font(font)
        for name, build in _CHART_BUILDERS:
            figure = build(analysis)
            if figure is None:
                log.info("chart %s skipped: no data", name)
                continue
            written.extend(_save(figure, target / name, formats))
    return written


def _save(figure: Any, stem: Path, formats: Sequence[str]) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        # Without these keys matplotlib writes its version and today's date into the file.
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        figure.savefig(path, format=fmt, metadata=metadata, facecolor="white")
        paths.append(path)
    return paths


def _new_figure(width: float, height: float) -> Any:
    # A bare Figure (no pyplot) renders through Agg without touching the global backend or
    # the pyplot figure registry, so it is safe inside notebooks and servers.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _table(analysis: Any, name: str) -> pd.DataFrame:
    table = getattr(analysis, name, None)
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _with_school_year(frame: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Add display labels ``school`` and ``year`` to a per-report table (from ``reports``)."""
    meta = pd.DataFrame({"report_id": [], "school": [], "year": []})
    if len(reports) and "report_id" in reports.columns:
        meta = pd.DataFrame({
            "report_id": reports["report_id"].astype(str),
            "school": reports.get("school", pd.Series([None] * len(reports))).map(group_label).to_numpy(),
            "year": reports.get("year", pd.Series([None] * len(reports))).map(group_label).to_numpy(),
        }).drop_duplicates("report_id")
    keyed = frame.drop(columns=["school", "year"], errors="ignore").assign(
        report_id=frame["report_id"].astype(str))
    merged = keyed.merge(meta, on="report_id", how="left")
    merged["school"] = merged["school"].map(group_label)
    merged["year"] = merged["year"].map(group_label)
    return merged


def _year_key(label: str) -> tuple[int, float, str]:
    return (0, float(label), "") if label.replace(".", "", 1).isdigit() else (1, 0.0, label)


def _short(label: str, max_chars: int = 16) -> str:
    """Shorten a tick label so one long school name cannot squeeze the plot to nothing."""
    return label if len(label) <= max_chars else label[: max_chars - 1] + "…"


def _cap_note(n_total: int, n_shown: int) -> str:
    return f"（{n_total} 所学校中的 {n_shown} 所）" if n_shown < n_total else ""


def _year_positions(years: list[str]) -> list[float]:
    """x positions of year labels: the year itself (gaps between years stay visible) when numeric."""
    if all(_year_key(year)[0] == 0 for year in years):
        return [float(year) for year in years]
    return [float(index) for index in range(len(years))]


def _natural_key(label: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key reading digit runs as numbers: 第2中学 before 第10中学, topic 2 before topic 10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", label) if part)


def _school_key(label: str) -> tuple[bool, tuple[tuple[int, int, str], ...]]:
    return (label == UNKNOWN, _natural_key(label))


def _metric_sums(analysis: Any) -> pd.DataFrame:
    """Metric sums per (school, year) from compare_metrics, else summed from the metrics table."""
    compare = _table(analysis, "compare_metrics")
    if len(compare) and {"school", "year"} <= set(compare.columns):
        frame = compare.assign(school=compare["school"].map(group_label), year=compare["year"].map(group_label))
        frame = frame[(frame["school"] != MARGIN) & (frame["year"] != MARGIN)]
        categories = [c for c in frame.columns
                      if c not in ("school", "year", "n_reports") and not str(c).endswith(_DERIVED_SUFFIXES)]
        values = frame[categories].apply(pd.to_numeric, errors="coerce")
        values = values.loc[:, values.notna().any()].fillna(0)  # drop text columns (extra metadata)
        return pd.concat([frame[["school", "year"]], values], axis=1)
    metrics = _table(analysis, "metrics")
    if not len(metrics) or "category" not in metrics.columns:
        return pd.DataFrame(columns=["school", "year"])
    # Rows with part_of break down a total counted in another row: summing both would double count.
    facts = metrics[metrics["part_of"].isna()] if "part_of" in metrics.columns else metrics
    facts = _with_school_year(facts, _table(analysis, "reports"))
    facts = facts.assign(value=pd.to_numeric(facts["value"], errors="coerce").fillna(0))
    wide = facts.pivot_table(index=["school", "year"], columns="category", values="value",
                             aggfunc="sum", fill_value=0)
    return wide.reset_index().rename_axis(columns=None)


def _metric_columns(sums: pd.DataFrame) -> list[str]:
    others = sorted(c for c in sums.columns if c not in ("school", "year") and c not in METRIC_LABELS)
    return [c for c in METRIC_LABELS if c in sums.columns] + others


def _metrics_by_school(analysis: Any) -> Any:
    sums = _metric_sums(analysis)
    categories = _metric_columns(sums)
    if not len(sums) or not categories:
        return None
    per_school = sums.groupby("school")[categories].sum()
    n_schools = len(per_school)
    if len(per_school) > MAX_SCHOOLS:
        log.info("metrics_by_school: showing the %d schools with most metrics of %d", MAX_SCHOOLS, len(per_school))
        largest = per_school.sum(axis=1).sort_values(ascending=False, kind="stable").index
        per_school = per_school.loc[largest[:MAX_SCHOOLS]]
    schools = sorted(per_school.index, key=_school_key, reverse=True)  # first school at the top
    figure = _new_figure(8, max(3.5, 1.5 + 0.25 * len(schools) * len(categories) ** 0.5))
    axes = figure.add_subplot()
    bar_height = 0.8 / len(categories)
    for index, category in enumerate(categories):
        # First category on top of each group, as in the legend.
        positions = [row + ((len(categories) - 1) / 2 - index) * bar_height for row in range(len(schools))]
        axes.barh(positions, per_school.loc[schools, category], height=bar_height,
                  label=METRIC_LABELS.get(category, category))
    axes.set_yticks(range(len(schools)), [_short(school) for school in schools])
    axes.set_ylim(-0.6, len(schools) - 0.4)
    axes.set_xlabel("数量（各年合计）")
    axes.set_ylabel("学校")
    axes.set_title("各校公开课、获奖与教研活动" + _cap_note(n_schools, len(schools)))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: never hides a bar
    return figure


def _metrics_by_year(analysis: Any) -> Any:
    sums = _metric_sums(analysis)
    categories = _metric_columns(sums)
    known = sums[sums["year"] != UNKNOWN] if len(sums) else sums
    if not len(known) or not categories:
        return None
    per_year = known.groupby("year")[categories].sum()
    years = sorted(per_year.index, key=_year_key)
    from matplotlib.ticker import MaxNLocator

    # One panel per category with its own y scale: awards (a few) would vanish next to
    # research activities (hundreds) on a shared axis.
    figure = _new_figure(max(6.0, 3.2 * len(categories)), 3.8)
    panels = figure.subplots(1, len(categories), squeeze=False)[0]
    positions = _year_positions(years)
    for index, (axes, category) in enumerate(zip(panels, categories)):
        values = per_year.loc[years, category]
        axes.plot(positions, values, marker="o", color=f"C{index % 10}")
        axes.set_xticks(positions, years, rotation=45 if len(years) > 6 else 0)
        axes.set_ylim(0, max(1.0, float(values.max()) * 1.08))  # an all-zero series still gets 0…1
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2 lessons on the axis
        axes.set_title(METRIC_LABELS.get(category, category))
        axes.set_xlabel("年份")
    panels[0].set_ylabel("数量（各校合计）")
    figure.suptitle("各年份公开课、获奖与教研活动")
    return figure


def _code_shares(analysis: Any) -> pd.DataFrame:
    """School × code table: share of the school's reports that contain the code."""
    codes, reports = _table(analysis, "codes"), _table(analysis, "reports")
    if not len(codes) or not len(reports) or not {"report_id", "code"} <= set(codes.columns):
        return pd.DataFrame()
    present = codes
    if "count" in codes.columns:  # the table lists count > 0 only, but a caller's table may not
        present = codes[pd.to_numeric(codes["count"], errors="coerce").fillna(1) > 0]
    present = _with_school_year(present[["report_id", "code"]].drop_duplicates(), reports)
    reports_per_school = _with_school_year(reports[["report_id"]], reports).groupby("school")["report_id"].nunique()
    with_code = present.groupby(["school", "code"])["report_id"].nunique().unstack(fill_value=0)
    shares = with_code.div(reports_per_school.reindex(with_code.index), axis=0).fillna(0)
    n_schools = len(shares)
    if len(shares) > MAX_SCHOOLS:
        log.info("code_prevalence: showing the %d schools with most reports of %d", MAX_SCHOOLS, len(shares))
        largest = reports_per_school.reindex(shares.index).sort_values(ascending=False, kind="stable").index
        shares = shares.loc[largest[:MAX_SCHOOLS]]
    codes_in_order = sorted(shares.columns, key=lambda code: _natural_key(str(code)))
    ordered = shares.loc[sorted(shares.index, key=_school_key), codes_in_order]
    ordered.attrs["n_schools"] = n_schools  # before the cap, for the chart title
    return ordered


def _code_prevalence(analysis: Any) -> Any:
    shares = _code_shares(analysis)
    if shares.empty:
        return None
    n_schools, n_codes = shares.shape
    figure = _new_figure(min(16, 3 + 0.55 * n_codes), 2 + 0.4 * n_schools)
    axes = figure.add_subplot()
    image = axes.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(n_codes), [_short(str(code)) for code in shares.columns], rotation=45, ha="right")
    axes.set_yticks(range(n_schools), [_short(school) for school in shares.index])
    if n_schools * n_codes <= 400:  # numbers in the cells only while they stay legible
        for (row, col), share in pd.DataFrame(shares.to_numpy()).stack().items():
            axes.text(col, row, f"{share:.0%}", ha="center", va="center", fontsize=7,
                      color="white" if share > 0.6 else "black")
    figure.colorbar(image, ax=axes, label="含该代码的报告比例")
    axes.set_xlabel("代码")
    axes.set_ylabel("学校")
    axes.set_title("各校编码出现比例" + _cap_note(shares.attrs.get("n_schools", n_schools), n_schools))
    return figure


def _topic_means(analysis: Any) -> pd.DataFrame:
    """Year × topic label table of mean topic weight over all reports of the year."""
    doc_topics, reports = _table(analysis, "doc_topics"), _table(analysis, "reports")
    if not len(doc_topics) or not len(reports):
        return pd.DataFrame()
    weights = _with_school_year(doc_topics, reports)
    weights = weights[weights["year"] != UNKNOWN]
    if not len(weights):
        return pd.DataFrame()
    labels = _topic_labels(_table(analysis, "topics"))
    weights = weights.assign(topic=weights["topic_id"].map(lambda t: labels.get(str(t), f"主题{t}")),
                             weight=pd.to_numeric(weights["weight"], errors="coerce").fillna(0))
    # Dividing by every report of the year (not only rows present) keeps sparse doc_topics right.
    reports_per_year = _with_school_year(reports[["report_id"]], reports).groupby("year")["report_id"].nunique()
    totals = weights.pivot_table(index="year", columns="topic", values="weight", aggfunc="sum", fill_value=0)
    means = totals.div(reports_per_year.reindex(totals.index), axis=0).fillna(0)
    return means.loc[sorted(means.index, key=_year_key), sorted(means.columns, key=lambda c: _natural_key(str(c)))]


def _topic_labels(topics: pd.DataFrame) -> dict[str, str]:
    if not len(topics) or "topic_id" not in topics.columns:
        return {}
    names = topics["label"] if "label" in topics.columns else topics["topic_id"]
    return {str(t): _short(f"{t}: {group_label(name)}", 24) for t, name in zip(topics["topic_id"], names)}


def _topic_trends(analysis: Any) -> Any:
    means = _topic_means(analysis)
    if means.empty:
        return None
    figure = _new_figure(9, 4.5)
    axes = figure.add_subplot()
    colors = [f"C{i % 10}" for i in range(len(means.columns))]
    styles = ["-", "--", ":", "-."]
    positions = _year_positions(list(means.index))
    for index, topic in enumerate(means.columns):
        axes.plot(positions, means[topic], marker="o", color=colors[index],
                  linestyle=styles[(index // 10) % len(styles)], label=topic)
    axes.set_xlabel("年份")
    axes.set_xticks(positions, list(means.index))
    axes.set_ylabel("平均主题权重")
    axes.set_title("主题随年份的变化")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return figure


_CHART_BUILDERS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("metrics_by_school", _metrics_by_school),
    ("metrics_by_year", _metrics_by_year),
    ("code_prevalence", _code_prevalence),
    ("topic_trends", _topic_trends),
)
