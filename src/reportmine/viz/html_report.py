"""One self-contained HTML report: overview, comparison tables, pictures, findings and evidence.

The page makes no network request (inline CSS, images as base64 data URIs, a CSP that forbids
anything else) and every string that came from a report is escaped by jinja2's autoescape, so a
hostile title or evidence span shows as text and never runs. The same analysis gives the same
bytes: nothing time-dependent is written unless ``generated_at`` is passed in.
"""
from __future__ import annotations

import base64
import functools
import logging
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from reportmine.errors import ReportmineError
from reportmine.viz.charts import METRIC_LABELS, UNKNOWN, _labels, group_label  # noqa: F401 (group_label: re-exported)

log = logging.getLogger(__name__)

CONTEXT_CHARS = 120  # characters of report text shown on each side of an evidence span
MAX_EVIDENCE = 2000  # metrics shown with evidence; more would make the file heavy
MAX_TABLE_ROWS = 500  # rows of any other table
MAX_WORDCLOUDS = 60  # embedded word clouds (corpus and years come first); the rest stay as files
EXAMPLES_PER_CATEGORY = 3  # example shortcomings per category

CHART_TITLES = {
    "metrics_by_school": "各校公开课、获奖与教研活动",
    "metrics_by_year": "各年份公开课、获奖与教研活动",
    "code_prevalence": "各校编码出现比例",
    "topic_trends": "主题随年份的变化",
}
_PLACEHOLDER_PREFIX = "reportmine-placeholder-3f9c2d7a"  # of _font_placeholder and _image_placeholder
_PLACEHOLDER_RE = re.compile(re.escape(_PLACEHOLDER_PREFIX) + r"-(?:font|image)-[0-9]+-end")
TEMPLATE = "report.html"  # in viz/templates/
FONT_PARTS = 1  # the embedded font is cut in this many files (more only helps when subsetting is slow)
_IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_LEVEL_LABELS = {
    "group": "组内", "school": "校级", "cluster": "片区", "county": "县/区级", "city": "市级",
    "province": "省级", "national": "国家级", "unknown": "未注明",
}
# The metrics columns the evidence view reads (_evidence, _value_text).
_EVIDENCE_COLUMNS = frozenset({"report_id", "category", "value", "value_max", "period", "times_per_period",
                               "qualifier", "approx", "level", "evidence", "start", "end"})
_PERIOD_LABELS = {"day": "天", "week": "周", "2weeks": "两周", "month": "月", "semester": "学期", "year": "年"}


def write_html_report(
    analysis: Any,
    out_path: Path,
    *,
    charts: Sequence[Path] = (),
    wordclouds: Sequence[Path] = (),
    draft: PageDraft | None = None,
    **options: Any,
) -> Path:
    """Write the HTML report of ``analysis`` to ``out_path`` and return the path.

    `charts`, `wordclouds` and `options` (title, generated_at, embed_font, font_path, tables)
    are those of :func:`draft_html_report`. `draft` is a draft of the same analysis and options
    made before the pictures were drawn: it is used when it was made for these `charts` and
    `wordclouds` and their files are there, else the page is rendered here; the page is the same.
    """
    if draft is None or not draft.fits(charts, wordclouds):
        draft = draft_html_report(analysis, charts=charts, wordclouds=wordclouds, **options)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(draft.finished(), encoding="utf-8", newline="\n")
    return out_path


@dataclass(frozen=True)
class PageDraft:
    """The report page rendered before its pictures are read (`draft_html_report`): the fonts
    are in, a placeholder stands for each picture's data URI until `finished`."""

    charts: tuple[Path, ...]  # the picture files it was made for
    wordclouds: tuple[Path, ...]
    page: str | None  # None: the placeholders could not be used (see `draft_html_report`)
    pictures: dict[str, Path]  # placeholder → picture file
    context: dict[str, Any]  # what the template was given (for the page rendered at once)

    def fits(self, charts: Sequence[Path], wordclouds: Sequence[Path]) -> bool:
        """True when made for these pictures and every file it embeds is there."""
        return ((self.charts, self.wordclouds) == (tuple(map(Path, charts)), tuple(map(Path, wordclouds)))
                and all(path.is_file() for path in self.pictures.values()))

    def finished(self) -> str:
        """The page, with each picture's file read as a data URI."""
        uris = {placeholder: _data_uri(path) for placeholder, path in self.pictures.items()}
        if self.page is not None:
            return _PLACEHOLDER_RE.sub(lambda match: uris[match.group()], self.page)
        pictures = {key: [{**image, "src": uris[image["src"]]} for image in self.context[key]]
                    for key in ("charts", "wordclouds")}
        return _environment().get_template(TEMPLATE).render(**{**self.context, **pictures})


def draft_html_report(
    analysis: Any,
    *,
    charts: Sequence[Path] = (),
    wordclouds: Sequence[Path] = (),
    title: str = "reportmine 报告",
    generated_at: str | None = None,
    embed_font: bool = True,
    font_path: Path | str | None = None,
    tables: Mapping[str, Any] | None = None,
    drawn: bool = True,
) -> PageDraft:
    """Render the report page of `analysis` with these pictures before they are read, for
    instance while they are still being drawn: `write_html_report(..., draft=...)` then only
    reads them in.

    Args:
        analysis: object with the tables of docs/tables.md as DataFrame attributes
            and ``texts`` (report_id → text) for the evidence view.
        charts: chart files from :func:`write_charts`; of a PNG/SVG pair only the PNG is embedded.
        wordclouds: PNG files from :func:`write_wordclouds`.
        generated_at: a date to print in the footer; omitted by default to keep output reproducible.
        embed_font: embed a subset of the CJK font (only the characters on the page, as data
            URIs of FONT_PARTS fonts listed one after the other in the page's font-family) so
            the page shows Chinese even where no CJK font is installed; costs ~0.05 s and some
            hundred KB.
        font_path: the CJK font to embed; found with :func:`find_cjk_font` when None.
        tables: :func:`tables_context` of ``analysis`` when computed already (`write_analysis`
            computes it while the pictures are still being drawn); computed here when None.
        drawn: whether the pictures are there. A picture whose file is missing is left out of
            the page (and logged); with ``drawn=False`` (pictures still being drawn) every
            picture listed is placed, and `write_html_report` renders the page afresh if one
            is missing by then.
    """
    template = _environment().get_template(TEMPLATE)
    fonts = [_font_placeholder(part) for part in range(FONT_PARTS)] if embed_font else []
    # The page is rendered once with placeholders where the fonts and the pictures go, then
    # they are put in: the page's characters, which decide the font subset, are read without
    # the megabytes of base64 of the pictures. Placeholders, @font-face rules and data URIs are
    # printable ASCII (which autoescape leaves alone and the subset always holds), so this is
    # the page a render with the fonts and pictures themselves would give.
    images: dict[str, Path] = {}
    context = {"title": title, "generated_at": generated_at, "font_faces": fonts,
               **(tables if tables is not None else tables_context(analysis)),
               **_pictures_with_placeholders(_picture_files(analysis, charts=charts, wordclouds=wordclouds, drawn=drawn), images)}
    rendered = template.render(**context)
    font_faces = _font_data_uris(rendered, font_path) if embed_font else []
    expected = [*fonts, *images]
    found = _PLACEHOLDER_RE.findall(rendered)
    # None: no font to embed (drop the @font-face rules), or a report happens to quote a placeholder.
    page: str | None = None
    if len(font_faces) == len(fonts) and len(found) == len(expected) and set(found) == set(expected):
        font_uris = dict(zip(fonts, font_faces))
        page = _PLACEHOLDER_RE.sub(lambda match: font_uris.get(match.group(), match.group()), rendered)
    return PageDraft(tuple(map(Path, charts)), tuple(map(Path, wordclouds)), page, images,
                     {**context, "font_faces": font_faces})


def load_page_resources(font_path: Path | str | None = None) -> None:
    """Load ahead what writing the page needs besides its content (the compiled template, and
    for the embedded font its character map, HarfBuzz and the WOFF writer), for instance while
    the pictures are still being drawn, so that the page is written as soon as they are. A font
    that cannot be used is reported by `write_html_report`."""
    import uharfbuzz  # noqa: F401
    from fontTools.ttLib import TTFont  # noqa: F401

    from reportmine.viz.fonts import find_cjk_font

    _environment().get_template(TEMPLATE)

    try:
        find_cjk_font(font_path)
    except ReportmineError:
        pass


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    """The jinja2 environment (one per process: it keeps the compiled template, and recompiles
    it when the file changes) of the report, where `{{ row.name }}` looks in dicts first.

    jinja2 resolves `row.name` as the attribute `name` and, failing that, as the item: for the
    dicts the page is built from, every lookup raised and caught an AttributeError, half of the
    render's time. No key of the context is also a dict attribute (items, keys, values …), so
    the page is the same.
    """
    import jinja2

    class DictFirstEnvironment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute in obj:
                return obj[attribute]
            return super().getattr(obj, attribute)

    return DictFirstEnvironment(
        loader=jinja2.PackageLoader("reportmine.viz", "templates"),
        autoescape=True,  # report text is data: every {{ }} is escaped, and no template uses |safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_characters(page: str) -> set[str]:
    """The distinct characters of `page`, as `set(page)`, in a quarter of its time.

    Counted over the code points (UTF-32 as numbers) rather than by hashing each of the
    millions of characters: most of the page is the base64 of the pictures.
    """
    if not page:
        return set()
    # surrogatepass: a lone surrogate is a character of the page like any other.
    code_points = np.frombuffer(page.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return {chr(code_point) for code_point in np.flatnonzero(np.bincount(code_points))}


def _font_data_uris(page: str, font_path: Path | str | None) -> list[str]:
    """WOFF data URIs of FONT_PARTS fonts that together hold every character of the page."""
    from reportmine.viz.fonts import find_cjk_font, subset_font

    # All of printable ASCII too: the data URIs and the @font-face rules are ASCII.
    visible = sorted(ch for ch in page_characters(page) | set(string.printable) if not ch.isspace())
    try:
        font = find_cjk_font(font_path)
    except ReportmineError:
        if font_path is not None:  # the user named a font: say it is unusable
            raise
        log.warning("no CJK font to embed; the HTML report relies on the reader's fonts")
        return []
    # Split by code point into parts of equal size (HarfBuzz subsets the 1,000-2,000 characters
    # of a page in a few tens of milliseconds, so one part is enough).
    size = math.ceil(len(visible) / FONT_PARTS)
    parts = ["".join(visible[start:start + size]) for start in range(0, size * FONT_PARTS, size)]
    return ["data:font/woff;base64," + base64.b64encode(subset_font(font, part)).decode("ascii") for part in parts]


def _font_placeholder(part: int) -> str:
    """Stands for the data URI of font `part` while the page is rendered: letters, digits and
    "-" only (autoescape leaves it alone), and no placeholder is the beginning of another."""
    return f"{_PLACEHOLDER_PREFIX}-font-{part}-end"


def _image_placeholder(number: int) -> str:
    """Stands for the data URI of picture `number` while the page is rendered (as _font_placeholder)."""
    return f"{_PLACEHOLDER_PREFIX}-image-{number}-end"


def _pictures_with_placeholders(pictures: dict[str, Any], images: dict[str, Path]) -> dict[str, Any]:
    """`pictures` with a placeholder for each picture's "src" (its file); `images` gets placeholder → file."""
    shown = dict(pictures)
    for key in ("charts", "wordclouds"):
        shown[key] = []
        for image in pictures[key]:
            placeholder = _image_placeholder(len(images))
            images[placeholder] = image["src"]
            shown[key].append({**image, "src": placeholder})
    return shown


def report_context(analysis: Any, *, charts: Sequence[Path] = (), wordclouds: Sequence[Path] = ()) -> dict[str, Any]:
    """Everything the template shows, as plain strings, numbers, lists and dicts (unescaped)."""
    return {**tables_context(analysis), **pictures_context(analysis, charts=charts, wordclouds=wordclouds)}


def tables_context(analysis: Any) -> dict[str, Any]:
    """What the template shows of the tables and texts: all of `report_context` but the pictures."""
    reports = _table(analysis, "reports")
    labels = _report_labels(reports)
    return {
        "overview": _overview(reports, _table(analysis, "errors")),
        "compare_tables": [
            {"name": name, "caption": caption, **_table_view(_chinese_headers(_table(analysis, name)))}
            for name, caption in (("compare_metrics", "指标（学校 × 年份）"), ("compare_codes", "编码（学校 × 年份）"),
                                  ("compare_topics", "主题（学校 × 年份）"))
        ],
        "shortcomings": _shortcoming_groups(_table(analysis, "shortcomings"), labels),
        "near_duplicates": _near_duplicates(_table(analysis, "near_duplicates"), labels),
        "topics": _table_view(_table(analysis, "topics")),
        "evidence": _evidence(_table(analysis, "metrics"), _report_texts(analysis, reports), labels),
        "errors": _table_view(_table(analysis, "errors")),
        "max_rows": MAX_TABLE_ROWS,
    }


def pictures_context(analysis: Any, *, charts: Sequence[Path] = (), wordclouds: Sequence[Path] = ()) -> dict[str, Any]:
    """What the template shows of the charts and word clouds (the files, embedded as data URIs)."""
    pictures = _picture_files(analysis, charts=charts, wordclouds=wordclouds)
    for key in ("charts", "wordclouds"):
        pictures[key] = [{**image, "src": _data_uri(image["src"])} for image in pictures[key]]
    return pictures


def _picture_files(
    analysis: Any, *, charts: Sequence[Path] = (), wordclouds: Sequence[Path] = (), drawn: bool = True,
) -> dict[str, Any]:
    """`pictures_context` with each picture's file where its data URI goes (see `draft_html_report`
    for `drawn`)."""
    wordclouds = list(wordclouds)
    return {
        "charts": _images(_prefer_png(charts), caption=lambda stem: CHART_TITLES.get(stem, stem), drawn=drawn),
        "wordclouds": _images(wordclouds[:MAX_WORDCLOUDS], caption=_wordcloud_caption, drawn=drawn),
        "wordclouds_total": len(wordclouds),
        "wordcloud_schools": _wordcloud_schools(_table(analysis, "reports"), wordclouds),
    }


def _chinese_headers(table: pd.DataFrame) -> pd.DataFrame:
    """Compare tables with Chinese column names and margins (学校, 公开课, 合计 …) for the page."""
    try:
        from reportmine.compare import relabel

        return relabel(table, labels="zh")
    except Exception:  # noqa: BLE001 - a page with English headers beats no page
        log.debug("compare tables keep their English column names", exc_info=True)
        return table


def _table(analysis: Any, name: str) -> pd.DataFrame:
    table = getattr(analysis, name, None)
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays
        return False


def cell_text(value: Any) -> str:
    """Display form of one table cell: blanks for missing values, short floats, lists joined."""
    kind = type(value)
    if kind is str:  # the common cells first, with the answers of the general path below
        return value
    if kind is float and not math.isnan(value) and not math.isinf(value):
        return str(int(value)) if value.is_integer() else format(round(value, 3), "g")
    if isinstance(value, (list, tuple, np.ndarray)):  # top_terms may be a list of words
        return "、".join(cell_text(item) for item in list(value))
    if isinstance(value, np.generic):  # numpy scalars behave like their Python counterparts
        value = value.item()
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isinf(value):
            return str(value)
        return str(int(value)) if value.is_integer() else format(round(value, 3), "g")
    return str(value)


def _table_view(frame: pd.DataFrame, *, max_rows: int = MAX_TABLE_ROWS) -> dict[str, Any]:
    shown = frame.head(max_rows)
    columns = [_column_texts_and_html(shown.iloc[:, index]) for index in range(shown.shape[1])]
    rows = [list(row) for row in zip(*(texts for texts, _ in columns))] if columns else [[] for _ in range(len(shown))]
    # The rows as the page shows them, built here: the template escaping and writing each cell
    # was most of the page's render time. The cells are escaped as autoescape does (markupsafe).
    if columns:
        body = "".join(f"<tr><td>{'</td><td>'.join(row)}</td></tr>\n" for row in zip(*(htmls for _, htmls in columns)))
    else:
        body = "<tr></tr>\n" * len(shown)
    return {"columns": [str(c) for c in frame.columns], "rows": rows, "total": len(frame), "body": Markup(body)}


def _column_texts(column: pd.Series) -> list[str]:
    """:func:`cell_text` of every cell, computed once per distinct value (compare tables repeat
    0 and the same labels in thousands of cells)."""
    return _column_texts_and_html(column)[0]


def _column_texts_and_html(column: pd.Series) -> tuple[list[str], list[str]]:
    """:func:`cell_text` of every cell and the same escaped for HTML, each computed once per
    distinct value (compare tables repeat 0 and the same labels in thousands of cells)."""
    values = column.astype(object)  # Python objects, not numpy scalars: floats stay floats
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists of top terms): one by one
        texts = [cell_text(value) for value in values]
        return texts, [escape_html(text) for text in texts]
    unique_texts = np.array([cell_text(value) for value in uniques] + [""], dtype=object)
    htmls = np.array([escape_html(text) for text in unique_texts], dtype=object)
    return unique_texts[codes].tolist(), htmls[codes].tolist()  # code -1 (missing) picks the trailing ""


def escape_html(text: str) -> str:
    """`text` escaped for HTML exactly as markupsafe.escape (jinja2's autoescape) does, as a
    plain string: without building a Markup object, a third of the cost of a short string."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")


def _report_labels(reports: pd.DataFrame) -> dict[str, str]:
    """report_id → "title（school，year）" for showing which report a row comes from."""
    if "report_id" not in reports.columns:
        return {}
    ids = [str(rid) for rid in reports["report_id"]]
    titles = _column_texts(reports["title"]) if "title" in reports.columns else [""] * len(ids)
    schools, years = (_labels(reports[column]) if column in reports.columns else [UNKNOWN] * len(ids)
                      for column in ("school", "year"))
    return {rid: f"{title or rid}（{school}，{year}）" for rid, title, school, year in zip(ids, titles, schools, years)}


def _label_of(labels: dict[str, str], report_id: Any) -> str:
    return labels.get(str(report_id), cell_text(report_id))


def _overview(reports: pd.DataFrame, errors: pd.DataFrame) -> dict[str, Any]:
    def known(column: str) -> list[str]:
        if column not in reports.columns:
            return []
        return sorted(set(_labels(reports[column])) - {UNKNOWN})  # labelled once per distinct value

    if "n_chars" in reports.columns and reports["n_chars"].notna().any():
        chars = int(pd.to_numeric(reports["n_chars"], errors="coerce").fillna(0).sum())
    elif "text" in reports.columns:
        chars = int(reports["text"].fillna("").astype(str).str.len().sum())
    else:
        chars = 0
    stages = errors["stage"].astype(str) if "stage" in errors.columns else pd.Series([], dtype=str)
    return {
        "reports": len(reports),
        "schools": len(known("school")),
        "years": known("year"),
        "chars": chars,
        "errors": int((stages != "skip").sum()),
        "skipped": int((stages == "skip").sum()),
    }


def _prefer_png(paths: Iterable[Path]) -> list[Path]:
    """Of charts saved as both PNG and SVG keep the PNG (smaller to embed, same picture)."""
    by_stem: dict[tuple[Path, str], Path] = {}
    for path in map(Path, paths):
        key = (path.parent, path.stem)
        if key not in by_stem or path.suffix.lower() == ".png":
            by_stem[key] = path
    return list(by_stem.values())


def _images(paths: Iterable[Path], *, caption: Any, drawn: bool = True) -> list[dict[str, Any]]:
    """The pictures that can be shown, each as its file ("src") and caption (files not drawn
    yet are taken as they will be)."""
    images = []
    for path in map(Path, paths):
        if path.suffix.lower() not in _IMAGE_TYPES or (drawn and not path.is_file()):
            log.warning("image left out of the HTML report (missing or unknown type): %s", path)
            continue
        images.append({"src": path, "caption": caption(path.stem)})
    return images


def _data_uri(path: Path) -> str:
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{_IMAGE_TYPES[path.suffix.lower()]};base64,{encoded}"


def _wordcloud_schools(reports: pd.DataFrame, wordclouds: Sequence[Path]) -> dict[str, int]:
    """How many schools have a word cloud, of how many (write_wordclouds draws the largest only)."""
    shown = sum(1 for path in wordclouds if Path(path).stem.startswith("school_"))
    total = len(set(_labels(reports["school"]))) if "school" in reports.columns and len(reports) else 0
    return {"shown": shown, "total": total}


def _wordcloud_caption(stem: str) -> str:
    grouping, _, name = stem.partition("_")
    return {"corpus": "全部报告", "school": f"学校：{name}", "year": f"年份：{name}"}.get(grouping, stem)


def _shortcoming_groups(shortcomings: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Categories by count (desc), each with its count and the first few items as examples."""
    if not len(shortcomings):
        return []
    categories = shortcomings.get("category", pd.Series([None] * len(shortcomings), index=shortcomings.index))
    keyed = shortcomings.assign(_category=categories.map(lambda c: "(未分类)" if _is_missing(c) else str(c)))
    groups = []
    for category, rows in keyed.groupby("_category", sort=True):
        examples = [{"text": cell_text(row.get("text")), "report": _label_of(labels, row.get("report_id"))}
                    for row in rows.head(EXAMPLES_PER_CATEGORY).to_dict("records")]
        groups.append({"category": category, "count": len(rows), "examples": examples})
    return sorted(groups, key=lambda group: -group["count"])  # stable: ties stay in name order


def _near_duplicates(pairs: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    if not len(pairs):
        return {"rows": [], "total": 0}
    if "similarity" in pairs.columns:
        pairs = pairs.sort_values("similarity", ascending=False, kind="stable")
    rows = []
    for row in pairs.head(MAX_TABLE_ROWS).to_dict("records"):
        rows.append({
            "report_a": _label_of(labels, row.get("report_a")),
            "report_b": _label_of(labels, row.get("report_b")),
            "similarity": cell_text(row.get("similarity")),
            "shared_chars": cell_text(row.get("shared_chars")),
            "sample": _clip(cell_text(row.get("sample")), 300),
        })
    return {"rows": rows, "total": len(pairs)}


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + "…"


def _report_texts(analysis: Any, reports: pd.DataFrame) -> Mapping[str, str]:
    """report_id → text: the analysis' text store, else a `text` column of a hand-built reports frame."""
    texts = getattr(analysis, "texts", None)
    if texts is not None and len(texts):
        return texts
    if "text" in reports.columns and "report_id" in reports.columns:
        return {str(rid): text for rid, text in zip(reports["report_id"], reports["text"]) if isinstance(text, str)}
    return {}


def _evidence(metrics: pd.DataFrame, texts: Mapping[str, str], labels: dict[str, str]) -> dict[str, Any]:
    """Metric rows, each with the report text around its evidence span split for highlighting."""
    items = []
    shown = metrics.head(MAX_EVIDENCE)
    # Only the columns shown: the table has twice as many, each boxed cell by cell in to_dict.
    shown = shown[[column for column in shown.columns if column in _EVIDENCE_COLUMNS]]
    text_of: dict[str, str | None] = {}  # a report's metrics are consecutive rows: decode its text once
    for number, row in enumerate(shown.to_dict("records"), start=1):
        report_id = str(row.get("report_id"))
        if report_id not in text_of:
            text_of[report_id] = texts.get(report_id)
        items.append({
            "n": number,
            "report": labels.get(report_id, report_id),
            "category": METRIC_LABELS.get(str(row.get("category")), cell_text(row.get("category"))),
            "value": _value_text(row),
            "level": _LEVEL_LABELS.get(str(row.get("level")), cell_text(row.get("level"))),
            "evidence": cell_text(row.get("evidence")),
            "context": _context(text_of[report_id], row.get("start"), row.get("end")),
        })
    return {"rows": items, "total": len(metrics), "cap": MAX_EVIDENCE}


def _value_text(row: dict[str, Any]) -> str:
    value, value_max = cell_text(row.get("value")), cell_text(row.get("value_max"))
    text = f"{value}–{value_max}" if value and value_max and value_max != value else value
    if not _is_missing(row.get("period")):
        period = _PERIOD_LABELS.get(str(row.get("period")), cell_text(row.get("period")))
        text = f"{text} 每{period}{cell_text(row.get('times_per_period'))}次".strip()
    if not text:  # 多次, 若干: a count the text does not give
        return f"{cell_text(row.get('qualifier'))}（未给出数量）".lstrip()
    approx = row.get("approx")
    return f"≈{text}" if not _is_missing(approx) and bool(approx) else text


def _context(text: str | None, start: Any, end: Any) -> dict[str, str] | None:
    """Text before, inside and after the span [start, end), ~CONTEXT_CHARS each side; None if unusable."""
    if text is None or _is_missing(start) or _is_missing(end):
        return None
    start, end = int(start), int(end)
    if not 0 <= start <= end <= len(text):
        return None
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    return {
        "before": ("…" if left > 0 else "") + text[left:start],
        "mark": text[start:end],
        "after": text[end:right] + ("…" if right < len(text) else ""),
    }
