"""Charts of the comparison tables: metrics by school and year, code prevalence, topic trends.

Every chart is drawn with the CJK font from :mod:`reportmine.viz.fonts` (Chinese titles and
labels, no tofu) and saved without dates or random ids, so the same analysis gives
byte-identical PNG and SVG files. A chart whose table is empty is skipped and logged. Charts
of many schools or topics keep the largest MAX_SCHOOLS schools or MAX_TOPICS topics and say so
in their title. The small tables to plot are computed in the caller's process; the charts are
drawn in worker processes when the platform forks them cheaply.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportmine.errors import InputError
from reportmine.tables import label_each

log = logging.getLogger(__name__)

CHART_FORMATS: tuple[str, ...] = ("png", "svg")  # what write_charts can write

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

# Every chart, in the order they are drawn and listed.
CHART_NAMES: tuple[str, ...] = ("metrics_by_school", "metrics_by_year", "code_prevalence", "topic_trends")
MAX_SCHOOLS = 40  # more bars or heatmap rows than this are unreadable; the largest schools are kept
MAX_TOPICS = 10  # lines in the topic chart (ten distinct colours); the topics of most weight are kept
CELL_LABELS_MAX = 400  # heatmap cells up to which each cell shows its percentage

# rcParams that make output reproducible: fixed SVG ids, text as paths (no font needed to view).
_RC: dict[Any, Any] = {
    "svg.hashsalt": "reportmine",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    # A fixed title height: otherwise every axes measures all its tick labels at each save to
    # lift the title above any on top (there are none here), a fifth of a chart's time.
    "axes.titley": 1.0,
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
    formats: Sequence[str] = ("png",),
    workers: int | None = 1,
) -> list[Path]:
    """Draw every chart the analysis has data for into ``out_dir`` and return the files.

    Charts: ``metrics_by_school`` (grouped bars of metric sums per school), ``metrics_by_year``
    (one line panel per category), ``code_prevalence`` (school × code heatmap of the share of reports
    with the code) and ``topic_trends`` (mean topic weight per year). Charts of many schools or
    topics show the largest ones and say so in their title.

    PNG by default (what the HTML report embeds and papers take); ask for ``("png", "svg")`` to
    get vector files too (each SVG costs another full drawing of the chart).

    The small tables to plot are computed here; each chart is then drawn on its own, in this
    process by default (a chart costs ~0.1 s, less than a worker process) or in up to
    ``workers`` forked processes (None = all cores). The bytes do not depend on ``workers``.
    """
    bad = sorted(set(formats) - set(CHART_FORMATS))
    if bad:
        raise InputError(f"Unknown chart format {bad}; choose from {list(CHART_FORMATS)}.")
    from reportmine.viz.fonts import find_cjk_font

    font = find_cjk_font(font_path)
    target = Path(out_dir)
    tasks = []
    for name, data in _chart_data(analysis):
        if data is None:
            log.info("chart %s skipped: no data", name)
            continue
        tasks.append(_ChartTask(name, data, str(target / name), tuple(formats), str(font)))
    if not tasks or not formats:
        return []
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for paths, messages in _run_tasks(tasks, workers):
        for category, message in messages:  # warnings raised in a worker reach the caller too
            warnings.warn(message, category, stacklevel=2)
        written.extend(Path(path) for path in paths)
    return written


@dataclass(frozen=True)
class _ChartTask:
    """One chart to draw (plain data, so it pickles to a worker process)."""

    name: str
    data: Any
    stem: str
    formats: tuple[str, ...]
    font: str


_Result = tuple[list[str], list[tuple[type[Warning], str]]]


def _run_tasks(tasks: list[_ChartTask], workers: int | None) -> list[_Result]:
    import multiprocessing
    import os

    if workers is None:
        try:
            workers = len(os.sched_getaffinity(0))
        except AttributeError:  # macOS and Windows
            workers = os.cpu_count() or 1
    n_workers = min(max(1, workers), len(tasks))
    # A forked worker starts with matplotlib loaded; a spawned one would spend longer importing
    # it than drawing the charts takes.
    if n_workers == 1 or multiprocessing.get_start_method(allow_none=False) != "fork":
        return [_draw_task(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor

    # Imported once here, before forking, rather than once in every worker (a quarter second each).
    load_drawing_modules()

    # The heatmap first: it takes as long as the three others, so two workers end together.
    order = sorted(range(len(tasks)), key=lambda i: (tasks[i].name != "code_prevalence", i))
    results: list[Any] = [None] * len(tasks)
    try:
        executor = ProcessPoolExecutor(max_workers=n_workers)
    except (OSError, ImportError):  # no process support here (e.g. no semaphores): draw in this process
        return [_draw_task(task) for task in tasks]
    with executor:
        for index, result in zip(order, executor.map(_draw_task, [tasks[i] for i in order])):
            results[index] = result
    return results


def load_drawing_modules() -> None:
    """Import the parts of matplotlib the charts draw with (about half a second): a process that
    does so before forking the processes that draw spares each of them the import."""
    import matplotlib.colorbar  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.ticker  # noqa: F401
    from matplotlib.backends import backend_agg, backend_svg  # noqa: F401


def _draw_task(task: _ChartTask) -> _Result:
    import matplotlib

    from reportmine.viz.fonts import matplotlib_font

    paths = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # rc_context restores the caller's settings (a notebook's font, backend) afterwards.
        with matplotlib.rc_context(_RC):
            matplotlib_font(task.font)
            figure = _DRAWERS[task.name](task.data)
            for fmt in task.formats:
                paths.append(_save(figure, Path(task.stem).with_suffix(f".{fmt}"), fmt))
    return [str(path) for path in paths], [(w.category, str(w.message)) for w in caught]


def _save(figure: Any, path: Path, fmt: str) -> Path:
    if fmt == "png":
        return _save_png(figure, path)
    # Without this key matplotlib writes today's date into the file.
    figure.savefig(path, format=fmt, metadata={"Date": None}, facecolor="white")
    return path


def _save_png(figure: Any, path: Path) -> Path:
    """Draw with Agg and save as RGB (the background is opaque white: no alpha channel to
    store) at zlib level 3, which writes in a third of the default level's time, ~10% larger.
    Pillow adds no date or software chunk, so the bytes depend on the picture alone."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    figure.set_facecolor("white")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).convert("RGB")
    dots_per_inch = round(figure.dpi)
    image.save(path, format="PNG", compress_level=3, dpi=(dots_per_inch, dots_per_inch))
    return path


def _new_figure(width: float, height: float) -> Any:
    # A bare Figure (no pyplot) renders through Agg without touching the global backend or
    # the pyplot figure registry, so it is safe inside notebooks and servers. No layout engine:
    # constrained layout measures every label three times per save (most of a chart's cost);
    # the margins are set from the labels' lengths instead (_set_margins).
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _text_inches(text: str, points: float = 10.0) -> float:
    """Width of ``text`` in inches: Chinese characters are one em wide, others at most 0.62 em."""
    ems = sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.62 for char in text)
    return ems * points / 72


def _widest(labels: Iterable[str], points: float = 10.0) -> float:
    return max((_text_inches(label, points) for label in labels), default=0.0)


def _set_margins(figure: Any, *, left: float, right: float, bottom: float, top: float, **spacing: float) -> None:
    """Room around the axes, in inches, for tick labels, axis labels, titles and legends."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(left=min(left / width, 0.6), right=max(1 - right / width, 0.4),
                           bottom=min(bottom / height, 0.6), top=max(1 - top / height, 0.4), **spacing)


def _legend_inches(labels: Iterable[str], points: float = 10.0) -> float:
    """Width of a legend: the longest label plus the line sample and the frame's padding."""
    return _widest(labels, points) + 4.2 * points / 72


def _hbars(axes: Any, positions: Sequence[float], widths: Sequence[float], height: float, *,
           color: str, label: str) -> None:
    """Horizontal bars as one collection: a Rectangle per bar costs a millisecond each to add."""
    from matplotlib.collections import PolyCollection

    half = height / 2
    boxes = [[(0, y - half), (0, y + half), (w, y + half), (w, y - half)] for y, w in zip(positions, widths)]
    axes.add_collection(PolyCollection(boxes, facecolors=color, edgecolors="none", label=label))


def _table(analysis: Any, name: str) -> pd.DataFrame:
    table = getattr(analysis, name, None)
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _with_school_year(frame: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """Add display labels ``school`` and ``year`` to a per-report table (from ``reports``).

    Labels are looked up by report id (through the categories when the id column is
    categorical): a merge would copy tables of millions of rows (doc_topics at 100,000 reports).
    """
    report_ids = frame["report_id"]
    if not isinstance(report_ids.dtype, pd.CategoricalDtype):
        report_ids = report_ids.astype(str).astype("category")
    codes = report_ids.cat.codes.to_numpy()
    categories = report_ids.cat.categories.astype(str)
    schools = years = np.array([], dtype=object)
    positions = np.full(len(categories), -1)  # each category's report among `schools`; -1: none
    if len(reports) and "report_id" in reports.columns:
        ids = reports["report_id"].astype(str)
        # The first row of a report id wins, as `drop_duplicates` kept it. One index lookup
        # for all ids: reading them row by row cost a third of the charts' tables.
        first = ~ids.duplicated(keep="first").to_numpy()
        unknown = np.full(len(ids), UNKNOWN, dtype=object)
        schools = (_labels(reports["school"]) if "school" in reports.columns else unknown)[first]
        years = (_labels(reports["year"]) if "year" in reports.columns else unknown)[first]
        positions = pd.Index(ids[first]).get_indexer(categories)
    # Position -1 (no report) picks the UNKNOWN appended to the labels; so does code -1 (missing id).
    school_labels = np.append(np.append(schools, UNKNOWN)[positions], UNKNOWN)
    year_labels = np.append(np.append(years, UNKNOWN)[positions], UNKNOWN)
    # Labels are final already; a report missing from `reports` has neither school nor year.
    return frame.drop(columns=["school", "year"], errors="ignore").assign(
        report_id=report_ids.astype(str) if frame["report_id"].dtype == object else frame["report_id"],
        school=school_labels[codes],  # code -1 (missing id) picks the trailing UNKNOWN
        year=year_labels[codes],
    )


def _labels(values: pd.Series) -> np.ndarray:
    """:func:`group_label` of every value, computed once per distinct value (tables have 100k rows)."""
    return label_each(values, group_label)


def _year_key(label: str) -> tuple[int, float, str]:
    return (0, float(label), "") if label.replace(".", "", 1).isdigit() else (1, 0.0, label)


def _short(label: str, max_chars: int = 16) -> str:
    """Shorten a tick label so one long school name cannot squeeze the plot to nothing."""
    return label if len(label) <= max_chars else label[: max_chars - 1] + "…"


def _cap_note(n_total: int, n_shown: int, most: str) -> str:
    """Title note of a chart showing only the schools with most `most` (报告, 指标)."""
    return f"（{n_total} 所学校中{most}最多的 {n_shown} 所）" if n_shown < n_total else ""


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
        frame = compare.assign(school=_labels(compare["school"]), year=_labels(compare["year"]))
        frame = frame[(frame["school"] != MARGIN) & (frame["year"] != MARGIN)]
        categories = [c for c in frame.columns
                      if c not in ("school", "year", "n_reports") and not str(c).endswith(_DERIVED_SUFFIXES)]
        values = frame[categories].apply(pd.to_numeric, errors="coerce")
        values = values.loc[:, values.notna().any()].fillna(0)  # drop text columns (extra metadata)
        return pd.concat([frame[["school", "year"]], values], axis=1)
    metrics = _table(analysis, "metrics")
    if not len(metrics) or "category" not in metrics.columns:
        return pd.DataFrame(columns=["school", "year"])
    # Only the columns read here: each step below copies the rows it keeps, and the whole table
    # (evidence, ids …) is several hundred MB at 100,000 reports.
    metrics = metrics[[column for column in ("report_id", "category", "value", "part_of") if column in metrics.columns]]
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


def _school_totals(sums: pd.DataFrame) -> pd.DataFrame | None:
    """Metric sums per school (all years), the MAX_SCHOOLS schools with most metrics, in plot order."""
    categories = _metric_columns(sums)
    if not len(sums) or not categories:
        return None
    per_school = sums.groupby("school")[categories].sum()
    n_schools = len(per_school)
    if len(per_school) > MAX_SCHOOLS:
        log.info("metrics_by_school: showing the %d schools with most metrics of %d", MAX_SCHOOLS, len(per_school))
        largest = per_school.sum(axis=1).sort_values(ascending=False, kind="stable").index
        per_school = per_school.loc[largest[:MAX_SCHOOLS]]
    per_school = per_school.loc[sorted(per_school.index, key=_school_key, reverse=True)]  # first school at the top
    per_school.attrs["n_schools"] = n_schools  # before the cap, for the chart title
    return per_school


def _metrics_by_school(per_school: pd.DataFrame) -> Any:
    schools, categories = list(per_school.index), list(per_school.columns)
    figure = _new_figure(8, max(3.5, 1.5 + 0.25 * len(schools) * len(categories) ** 0.5))
    axes = figure.add_subplot()
    bar_height = 0.8 / len(categories)
    labels = [METRIC_LABELS.get(category, category) for category in categories]
    for index, (category, label) in enumerate(zip(categories, labels)):
        # First category on top of each group, as in the legend.
        positions = [row + ((len(categories) - 1) / 2 - index) * bar_height for row in range(len(schools))]
        _hbars(axes, positions, per_school[category].tolist(), bar_height, color=f"C{index % 10}", label=label)
    axes.set_xlim(0, max(1.0, float(per_school.to_numpy().max()) * 1.05))
    tick_labels = [_short(school) for school in schools]
    axes.set_yticks(range(len(schools)), tick_labels)
    axes.set_ylim(-0.6, len(schools) - 0.4)
    axes.set_xlabel("数量（各年合计）")
    axes.set_ylabel("学校")
    axes.set_title("各校公开课、获奖与教研活动" + _cap_note(per_school.attrs.get("n_schools", len(schools)), len(schools), "指标"))
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: never hides a bar
    _set_margins(figure, left=_widest(tick_labels) + 0.45, right=_legend_inches(labels) + 0.15, bottom=0.6, top=0.4)
    return figure


def _year_totals(sums: pd.DataFrame) -> pd.DataFrame | None:
    """Metric sums per known year (all schools), years in order."""
    categories = _metric_columns(sums)
    known = sums[sums["year"] != UNKNOWN] if len(sums) else sums
    if not len(known) or not categories:
        return None
    per_year = known.groupby("year")[categories].sum()
    return per_year.loc[sorted(per_year.index, key=_year_key)]


def _metrics_by_year(per_year: pd.DataFrame) -> Any:
    from matplotlib.ticker import MaxNLocator

    years, categories = list(per_year.index), list(per_year.columns)
    # One panel per category with its own y scale: awards (a few) would vanish next to
    # research activities (hundreds) on a shared axis.
    figure = _new_figure(max(6.0, 3.2 * len(categories)), 3.8)
    panels = figure.subplots(1, len(categories), squeeze=False)[0]
    positions = _year_positions(years)
    for index, (axes, category) in enumerate(zip(panels, categories)):
        values = per_year[category]
        axes.plot(positions, values, marker="o", color=f"C{index % 10}")
        axes.set_xticks(positions, years, rotation=45 if len(years) > 6 else 0)
        axes.set_ylim(0, max(1.0, float(values.max()) * 1.08))  # an all-zero series still gets 0…1
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2 lessons on the axis
        axes.set_title(METRIC_LABELS.get(category, category))
        axes.set_xlabel("年份")
    panels[0].set_ylabel("数量（各校合计）")
    figure.suptitle("各年份公开课、获奖与教研活动")
    rotated = len(years) > 6
    year_width = _widest(years)
    _set_margins(figure, left=0.8, right=0.2, bottom=(0.75 * year_width + 0.55) if rotated else 0.6, top=0.75,
                 wspace=0.3)
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


def _code_prevalence(shares: pd.DataFrame) -> Any:
    n_schools, n_codes = shares.shape
    figure = _new_figure(min(16, 3 + 0.55 * n_codes), 2 + 0.4 * n_schools)
    axes = figure.add_subplot()
    image = axes.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    code_labels = [_short(str(code)) for code in shares.columns]
    school_labels = [_short(school) for school in shares.index]
    axes.set_xticks(range(n_codes), code_labels, rotation=45, ha="right")
    axes.set_yticks(range(n_schools), school_labels)
    if n_schools * n_codes <= CELL_LABELS_MAX:  # numbers in the cells only while they stay legible
        for (row, col), share in pd.DataFrame(shares.to_numpy()).stack().items():
            axes.text(col, row, f"{share:.0%}", ha="center", va="center", fontsize=7,
                      color="white" if share > 0.6 else "black")
    axes.set_xlabel("代码")
    axes.set_ylabel("学校")
    axes.set_title("各校编码出现比例" + _cap_note(shares.attrs.get("n_schools", n_schools), n_schools, "报告"))
    # Rotated code labels reach down 0.7 of their length; the colorbar, its ticks and its label
    # sit right of the axes.
    _set_margins(figure, left=_widest(school_labels) + 0.45, right=0.95,
                 bottom=0.72 * _widest(code_labels) + 0.5, top=0.4)
    # After the margins: the colorbar takes its room from the axes as they are now.
    colorbar_axes = figure.add_axes((1 - 0.85 / figure.get_figwidth(), axes.get_position().y0,
                                     0.2 / figure.get_figwidth(), axes.get_position().height))
    figure.colorbar(image, cax=colorbar_axes, label="含该代码的报告比例")
    return figure


def _topic_means(analysis: Any) -> pd.DataFrame:
    """Year × topic label table of mean topic weight over all reports of the year."""
    doc_topics, reports = _table(analysis, "doc_topics"), _table(analysis, "reports")
    if not len(doc_topics) or not len(reports):
        return pd.DataFrame()
    # Summed per (year, topic) through integer codes: doc_topics has a row per report and topic
    # (3 million at 100,000 reports), too many to label one by one.
    report_ids = doc_topics["report_id"]
    if not isinstance(report_ids.dtype, pd.CategoricalDtype):
        report_ids = report_ids.astype(str).astype("category")
    per_report = _with_school_year(pd.DataFrame({"report_id": report_ids.cat.categories.astype(str)}), reports)
    year_codes, years = pd.factorize(np.append(per_report["year"].to_numpy(), UNKNOWN))
    row_years = year_codes[report_ids.cat.codes.to_numpy()]  # code -1 (missing id) picks UNKNOWN
    topic_codes, topic_ids = pd.factorize(doc_topics["topic_id"])
    cells = row_years * len(topic_ids) + topic_codes
    values = pd.to_numeric(doc_topics["weight"], errors="coerce").fillna(0).to_numpy(dtype=float)
    shape = (len(years), len(topic_ids))
    # pandas' grouped sum (compensated, in row order), as the pivot table it replaces: same sums.
    grouped = pd.Series(values).groupby(cells, sort=False).sum()
    sums = np.zeros(shape[0] * shape[1])
    sums[grouped.index.to_numpy()] = grouped.to_numpy()
    sums = sums.reshape(shape)
    rows = np.bincount(cells, minlength=shape[0] * shape[1]).reshape(shape)
    known = np.asarray(years) != UNKNOWN
    if not rows[known].any():
        return pd.DataFrame()
    labels = _topic_labels(_table(analysis, "topics"))
    names = [labels.get(str(t), f"主题{t}") for t in topic_ids]
    present_years, present_topics = known & rows.any(axis=1), rows[known].any(axis=0)
    totals = pd.DataFrame(
        sums[np.ix_(present_years, present_topics)],
        index=pd.Index(np.asarray(years)[present_years], name="year"),
        columns=pd.Index(np.asarray(names, dtype=object)[present_topics], name="topic"),
    )
    # Dividing by every report of the year (not only rows present) keeps sparse doc_topics right.
    reports_per_year = _with_school_year(reports[["report_id"]], reports).groupby("year")["report_id"].nunique()
    means = totals.div(reports_per_year.reindex(totals.index), axis=0).fillna(0)
    return means.loc[sorted(means.index, key=_year_key), sorted(means.columns, key=lambda c: _natural_key(str(c)))]


def _topic_labels(topics: pd.DataFrame) -> dict[str, str]:
    if not len(topics) or "topic_id" not in topics.columns:
        return {}
    names = topics["label"] if "label" in topics.columns else topics["topic_id"]
    return {str(t): _short(f"{t}: {group_label(name)}", 24) for t, name in zip(topics["topic_id"], names)}


def _top_topics(means: pd.DataFrame) -> pd.DataFrame | None:
    """The MAX_TOPICS topics of most mean weight over the years (in topic order); None if empty.

    Thirty lines in one chart cannot be told apart, and their legend overflows the figure.
    """
    if means.empty:
        return None
    n_topics = len(means.columns)
    if n_topics > MAX_TOPICS:
        log.info("topic_trends: showing the %d topics of most weight of %d", MAX_TOPICS, n_topics)
        strongest = set(means.mean(axis=0).sort_values(ascending=False, kind="stable").index[:MAX_TOPICS])
        means = means[[topic for topic in means.columns if topic in strongest]]
    means = means.copy()
    means.attrs["n_topics"] = n_topics
    return means


def _topic_trends(means: pd.DataFrame) -> Any:
    figure = _new_figure(9, max(4.5, 1.5 + 0.22 * len(means.columns)))
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
    n_topics = means.attrs.get("n_topics", len(means.columns))
    note = f"（{n_topics} 个主题中平均权重最高的 {len(means.columns)} 个）" if len(means.columns) < n_topics else ""
    axes.set_title("主题随年份的变化" + note)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    _set_margins(figure, left=0.8, right=_legend_inches([str(topic) for topic in means.columns], 8) + 0.15,
                 bottom=0.6, top=0.4)
    return figure


def chart_files(out_dir: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The files `write_charts` writes into `out_dir` when every chart has data, in its order."""
    return [Path(out_dir) / f"{name}.{fmt}" for name in CHART_NAMES for fmt in formats]


def _chart_data(analysis: Any) -> list[tuple[str, pd.DataFrame | None]]:
    """(chart name, the small table it plots or None when there is nothing to plot), in output order."""
    sums = _metric_sums(analysis)
    shares = _code_shares(analysis)
    tables = (_school_totals(sums), _year_totals(sums), None if shares.empty else shares, _top_topics(_topic_means(analysis)))
    return list(zip(CHART_NAMES, tables))


# How each chart draws its table (looked up by name in worker processes).
_DRAWERS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "metrics_by_school": _metrics_by_school,
    "metrics_by_year": _metrics_by_year,
    "code_prevalence": _code_prevalence,
    "topic_trends": _topic_trends,
}
