"""School × year comparison tables of metrics, codebook codes and topics, with margins.

Named after what they compare, quanteda-style: `compare_metrics`, `compare_codes`,
`compare_topics`. Each takes the `reports` table (for the grouping metadata and the number of
reports) and one result table, groups by `by` — one or two of school, year, region (alias
district), stage — and adds margin rows labelled "(all)". Missing metadata becomes "(unknown)".
Group values are written as text (year 2020 → "2020") so that one column can hold both years
and "(all)"; rows are sorted by value with "(unknown)" and then "(all)" last.

    >>> compare_metrics(reports, metrics, by=("school", "year"))
         school  year  n_reports  open_lesson  award … open_lesson_per_report …
    0  永安小学  2020          1          12.0    3.0 …                   12.0 …
    1  永安小学 (all)          2          20.0    5.0 …                   10.0 …
    2     (all) 2020          3          …

`relabel(table, labels="zh")` gives Chinese column names (学校, 年份, 报告数, 公开课 …) for
tables that go into Chinese papers.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from reportmine.errors import InputError
from reportmine.tables import label_each

ALL = "(all)"
UNKNOWN = "(unknown)"
GROUP_COLUMNS = ("school", "year", "region", "stage")
_ALIASES = {"district": "region"}
_METRIC_INPUTS = ("report_id", "category", "value", "part_of", "period")  # what compare_metrics reads
# The metric categories of DESIGN.md, always given a column (0 when a corpus has none).
METRIC_CATEGORIES = ("open_lesson", "award", "research_activity", "publication")

ZH_LABELS: dict[str, str] = {
    "school": "学校",
    "year": "年份",
    "region": "地区",
    "stage": "学段",
    "n_reports": "报告数",
    "open_lesson": "公开课",
    "award": "获奖",
    "research_activity": "教研活动",
    "publication": "论文",
    "report_id": "报告",
    "code": "编码",
    "count": "次数",
    "topic_id": "主题",
    "label": "标签",
    "weight": "权重",
    ALL: "合计",
    UNKNOWN: "未知",
}
# Suffixes of derived columns, translated after the base name: open_lesson_per_report → 公开课（每份报告）.
_ZH_SUFFIXES = {"_per_report": "（每份报告）", "_scheduled": "（定期）", "_per_10k": "（每万字）"}


def _normalize_by(by: str | Sequence[str]) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    keys = [_ALIASES.get(key, key) for key in keys]
    if not 1 <= len(keys) <= 2 or len(set(keys)) != len(keys) or not set(keys) <= set(GROUP_COLUMNS):
        raise InputError(f"by must be one or two of {', '.join(GROUP_COLUMNS)} (district = region), got {by!r}")
    return keys


def _label(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return UNKNOWN
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() or UNKNOWN


def _report_groups(reports: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return report_id, the group keys as labels and n_chars, one row per report."""
    missing = {"report_id", *keys} - set(reports.columns)
    if missing:
        raise InputError(f"the reports table lacks the column(s) {', '.join(sorted(missing))}")
    frame = pd.DataFrame({"report_id": reports["report_id"].to_numpy()})
    for key in keys:
        frame[key] = label_each(reports[key], _label)
    if "n_chars" in reports:
        frame["n_chars"] = pd.to_numeric(reports["n_chars"], errors="coerce").fillna(0).to_numpy()
    elif "text" in reports:
        frame["n_chars"] = [len(text) if isinstance(text, str) else 0 for text in reports["text"]]
    else:
        frame["n_chars"] = 0
    return frame


def _with_margins(groups: pd.DataFrame, keys: list[str], margins: bool) -> pd.DataFrame:
    """Stack the per-group rows with every combination of keys replaced by "(all)"."""
    if not margins:
        return groups
    frames = []
    for mask in itertools.product((False, True), repeat=len(keys)):
        frames.append(groups.assign(**{key: ALL for key, rolled in zip(keys, mask) if rolled}))
    return pd.concat(frames, ignore_index=True)


def _sort_key(column: pd.Series) -> pd.Series:
    # Group values first, then "(unknown)", then "(all)": compared whole, not value by value.
    rank = np.where(column == ALL, "2", np.where(column == UNKNOWN, "1", "0"))
    return pd.Series(rank, index=column.index) + "\x00" + column


def _aggregate(long: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """Sum `sums` and count reports per group (with margins), sorted deterministically."""
    grouped = long.groupby(keys, sort=False, dropna=False)
    # One sum over all the columns at once: a named aggregation per column (a hundred codes and
    # topics) cost a groupby pass each.
    table = grouped[sums].sum()
    table.insert(0, "n_reports", grouped["report_id"].nunique())
    table = table.reset_index()
    return table.sort_values(keys, key=_sort_key, kind="stable").reset_index(drop=True)


def _per_report_values(reports: pd.DataFrame, table: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """Return report_id × values of `column` (wide, 0 where absent), summing `value`."""
    wide = table.pivot_table(index="report_id", columns=column, values=value, aggfunc="sum", fill_value=0)
    wide.columns = [str(name) for name in wide.columns]
    return wide.reindex(reports["report_id"].unique(), fill_value=0)


def compare_metrics(
    reports: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("school", "year"),
    margins: bool = True,
) -> pd.DataFrame:
    """Return metric totals per group: n_reports, `<category>`, `<category>_per_report`, `<category>_scheduled`.

    `<category>` sums `value` over rows that have one and are not a breakdown of another row
    (`part_of` empty), so totals are not counted twice; frequencies (rows with a `period`, e.g.
    每周一次教研) are not added to counts but counted in `<category>_scheduled`.
    """
    keys = _normalize_by(by)
    groups = _report_groups(reports, keys)
    # Only the columns read here: each filter below copies what it keeps, and the whole table
    # (evidence, ids …) is several hundred MB at 100,000 reports.
    rows = metrics[[column for column in _METRIC_INPUTS if column in metrics]]
    rows = rows[rows["report_id"].isin(groups["report_id"])] if len(rows) else rows
    top_level = rows["part_of"].isna() if "part_of" in rows else pd.Series(True, index=rows.index)
    values = pd.to_numeric(rows.get("value"), errors="coerce") if len(rows) else pd.Series(dtype=float)
    counted = rows.assign(_value=values)[top_level & values.notna()]
    scheduled = rows[top_level & rows["period"].notna()].assign(_n=1) if "period" in rows else rows.iloc[0:0]
    categories = list(METRIC_CATEGORIES) + sorted(set(rows.get("category", [])) - set(METRIC_CATEGORIES))
    sums = _per_report_values(groups, counted, "category", "_value") if len(counted) else None
    plans = _per_report_values(groups, scheduled, "category", "_n") if len(scheduled) else None
    wide = groups.set_index("report_id")
    for category in categories:
        wide[category] = sums[category] if sums is not None and category in sums else 0.0
        wide[f"{category}_scheduled"] = plans[category] if plans is not None and category in plans else 0
    wide = wide.reset_index()
    totals = _aggregate(_with_margins(wide, keys, margins), keys, categories + [f"{c}_scheduled" for c in categories])
    for category in categories:
        totals[category] = totals[category].astype(float)
        totals[f"{category}_per_report"] = (totals[category] / totals["n_reports"]).round(4)
        totals[f"{category}_scheduled"] = totals[f"{category}_scheduled"].astype("int64")
    columns = keys + ["n_reports"] + categories + [f"{c}_per_report" for c in categories] + [f"{c}_scheduled" for c in categories]
    return totals[columns]


def compare_codes(
    reports: pd.DataFrame,
    codes: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("school", "year"),
    margins: bool = True,
    code_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return codebook hits per group: n_reports, `<code>` (count), `<code>_per_10k` (per 10,000 characters).

    Args:
        code_names: every code of the codebook, in order, so that codes without hits still get
            (zero) columns; default: the codes present in `codes`, in first-seen order.
    """
    keys = _normalize_by(by)
    groups = _report_groups(reports, keys)
    present = list(dict.fromkeys(codes["code"])) if len(codes) else []
    names = list(code_names) + [c for c in present if c not in set(code_names)] if code_names else present
    counts = _per_report_values(groups, codes, "code", "count") if len(codes) else None
    wide = groups.set_index("report_id")
    for name in names:
        wide[name] = counts[name] if counts is not None and name in counts else 0
    totals = _aggregate(_with_margins(wide.reset_index(), keys, margins), keys, names + ["n_chars"])
    for name in names:
        totals[name] = totals[name].astype("int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            per_10k = np.where(totals["n_chars"] > 0, totals[name] * 10_000 / totals["n_chars"], 0.0)
        totals[f"{name}_per_10k"] = np.round(per_10k, 4)
    return totals[keys + ["n_reports"] + names + [f"{name}_per_10k" for name in names]]


def _topic_columns(topics: pd.DataFrame) -> dict[int, str]:
    """Map topic_id → column name: its label, made unique by the id when two labels coincide."""
    labels = dict(zip(topics["topic_id"].astype(int), topics["label"].astype(str)))
    repeated = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    return {tid: f"{label}#{tid}" if label in repeated or not label else label for tid, label in labels.items()}


def compare_topics(
    reports: pd.DataFrame,
    doc_topics: pd.DataFrame,
    topics: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("school", "year"),
    margins: bool = True,
) -> pd.DataFrame:
    """Return the mean topic weight per group: n_reports and one column per topic label.

    The mean is over the group's reports that the topic model saw (reports absent from
    `doc_topics`, e.g. empty ones, are not counted as zero); n_reports counts all reports.
    """
    keys = _normalize_by(by)
    groups = _report_groups(reports, keys)
    columns = _topic_columns(topics)
    weights = doc_topics.pivot_table(index="report_id", columns="topic_id", values="weight", aggfunc="sum")
    weights = weights.reindex(columns=list(columns)).fillna(0.0).rename(columns=columns)
    wide = groups.merge(weights, left_on="report_id", right_index=True, how="left")
    wide["_modelled"] = wide[list(columns.values())].notna().all(axis=1).astype(int) if columns else 0
    wide = wide.fillna({name: 0.0 for name in columns.values()})
    names = list(columns.values())
    totals = _aggregate(_with_margins(wide, keys, margins), keys, names + ["_modelled"])
    for name in names:
        with np.errstate(divide="ignore", invalid="ignore"):
            totals[name] = np.round(np.where(totals["_modelled"] > 0, totals[name] / totals["_modelled"], np.nan), 6)
    return totals[keys + ["n_reports"] + names]


def relabel(table: pd.DataFrame, labels: Literal["en", "zh"] = "zh") -> pd.DataFrame:
    """Return `table` with Chinese column names and margin labels (`labels="zh"`), or unchanged ("en")."""
    if labels == "en":
        return table
    if labels != "zh":
        raise InputError(f"labels must be 'en' or 'zh', got {labels!r}")
    renamed = table.rename(columns={column: _zh_column(column) for column in table.columns})
    for key in GROUP_COLUMNS:
        zh_key = ZH_LABELS[key]
        if zh_key in renamed:
            renamed[zh_key] = renamed[zh_key].replace({ALL: ZH_LABELS[ALL], UNKNOWN: ZH_LABELS[UNKNOWN]})
    return renamed


def _zh_column(column: object) -> object:
    if not isinstance(column, str):
        return column
    if column in ZH_LABELS:
        return ZH_LABELS[column]
    for suffix, zh_suffix in _ZH_SUFFIXES.items():
        if column.endswith(suffix):
            return ZH_LABELS.get(column[: -len(suffix)], column[: -len(suffix)]) + zh_suffix
    return column


__all__ = ["compare_metrics", "compare_codes", "compare_topics", "relabel", "ZH_LABELS", "METRIC_CATEGORIES", "ALL", "UNKNOWN"]
