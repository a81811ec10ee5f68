"""Tests of reportmine.viz.html_report: sections, escaping, no external resources, evidence anchors."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import reportmine.viz.html_report as html_report
from reportmine.viz.charts import write_charts
from reportmine.viz.html_report import write_html_report
from reportmine.viz.wordclouds import write_wordclouds

XSS_SCRIPT = "<script>alert(1)</script>"  # the same strings conftest.build_analysis(hostile=True) plants
SECTION_IDS = ["overview", "compare", "charts", "wordclouds", "shortcomings", "near-duplicates", "topics",
               "metrics", "errors"]
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class _PageParser(HTMLParser):
    """Collects tags, attributes, ids, <mark> texts and inline styles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.marks: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._open.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open and self._open[-1] == "mark":
            self.marks.append(data)
        if self._open and self._open[-1] == "style":
            self.styles.append(data)

    def values(self, name: str) -> list[str]:
        return [value for _tag, attribute, value in self.attributes if attribute == name]


def _parse(page: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def pictures(hostile_analysis, tmp_path_factory):
    out = tmp_path_factory.mktemp("pictures")
    charts = write_charts(hostile_analysis, out, formats=("png", "svg"))
    clouds = write_wordclouds(hostile_analysis, out, width=300, height=200, max_words=30)
    return charts, clouds


@pytest.fixture(scope="module")
def hostile_page(hostile_analysis, pictures, tmp_path_factory):
    charts, clouds = pictures
    path = write_html_report(hostile_analysis, tmp_path_factory.mktemp("html") / "report.html",
                             charts=charts, wordclouds=clouds, title="测试" + XSS_SCRIPT)
    return path.read_text(encoding="utf-8")


def test_report_text_is_escaped(hostile_page):
    assert "<script>alert" not in hostile_page
    assert "<img src=x" not in hostile_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile_page
    parsed = _parse(hostile_page)
    assert "script" not in parsed.tags
    assert not [name for name in parsed.values("onerror")]
    assert not [name for _tag, name, _value in parsed.attributes if name.startswith("on")]


def test_page_requests_nothing_from_outside(hostile_page):
    parsed = _parse(hostile_page)
    sources = parsed.values("src")
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources)
    assert all(href.startswith("#") for href in parsed.values("href"))
    assert not [value for value in parsed.values("src") + parsed.values("href") if _EXTERNAL.match(value)]
    style = "".join(parsed.styles)
    # The embedded font only (cut in FONT_PARTS files).
    assert re.findall(r"url\(\s*['\"]?([a-z]+:)?", style) == ["data:"] * html_report.FONT_PARTS
    assert not {"link", "iframe", "object", "embed", "base"} & set(parsed.tags)


def test_page_embeds_a_font_with_every_character_it_shows(hostile_page):
    from fontTools.ttLib import TTFont
    import base64
    import io

    encoded = re.findall(r'url\("data:font/woff;base64,([A-Za-z0-9+/=]+)"\)', hostile_page)
    assert len(encoded) == html_report.FONT_PARTS
    text = re.sub(r"data:[^\"]+", "", hostile_page)
    covered = set()
    for number, part in enumerate(encoded, start=1):
        covered |= set(TTFont(io.BytesIO(base64.b64decode(part))).getBestCmap())
        assert f'"reportmine-cjk-{number}", ' in hostile_page  # every part is in the font-family list
    assert {ch for ch in set(text) if not ch.isspace() and ord(ch) not in covered} == set()


def test_page_has_every_section(hostile_page):
    ids = _parse(hostile_page).values("id")
    assert [i for i in ids if i in SECTION_IDS] == SECTION_IDS


def test_charts_embedded_once_and_wordclouds_all(hostile_page, pictures):
    charts, clouds = pictures
    images = _parse(hostile_page).values("src")
    assert len(images) == len(charts) // 2 + len(clouds)


def test_each_metric_links_to_its_highlighted_evidence(hostile_page, hostile_analysis):
    parsed = _parse(hostile_page)
    metrics = hostile_analysis.metrics
    anchors = [i for i in parsed.values("id") if i.startswith("ev-")]
    assert anchors == [f"ev-{n}" for n in range(1, len(metrics) + 1)]
    assert set(parsed.values("href")) >= {f"#{anchor}" for anchor in anchors}
    texts = dict(zip(hostile_analysis.reports["report_id"], hostile_analysis.reports["text"]))
    expected = [texts[row.report_id][row.start:row.end] for row in metrics.itertuples()]
    assert parsed.marks == expected


def test_overview_counts_and_unknown_groups(hostile_page):
    assert "(未知)" in hostile_page
    assert re.search(r"<b>4</b>报告", hostile_page) and re.search(r"<b>1</b>错误", hostile_page)


def test_shortcomings_grouped_with_counts(hostile_page):
    assert re.search(r"<h3>观念 <span class=\"meta\">1 条</span></h3>", hostile_page)
    assert "(未分类)" in hostile_page


def test_output_is_deterministic(hostile_analysis, pictures, tmp_path):
    charts, clouds = pictures
    first = write_html_report(hostile_analysis, tmp_path / "a.html", charts=charts, wordclouds=clouds,
                              embed_font=False)
    second = write_html_report(hostile_analysis, tmp_path / "b.html", charts=charts, wordclouds=clouds,
                               embed_font=False)
    assert first.read_bytes() == second.read_bytes()


def test_page_drafted_before_the_pictures_are_drawn_is_the_page(hostile_analysis, pictures, tmp_path):
    charts, clouds = pictures
    at_once = write_html_report(hostile_analysis, tmp_path / "a.html", charts=charts, wordclouds=clouds).read_bytes()
    # Drafted while the pictures are not there yet (copies are drawn into an empty folder after).
    later = tmp_path / "later"
    planned_charts, planned_clouds = ([later / path.relative_to(path.parents[1]) for path in paths] for paths in (charts, clouds))
    draft = html_report.draft_html_report(hostile_analysis, charts=planned_charts, wordclouds=planned_clouds, drawn=False)
    assert not later.exists() and draft.page is not None
    for source, target in zip([*charts, *clouds], [*planned_charts, *planned_clouds]):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    drafted = write_html_report(hostile_analysis, tmp_path / "b.html", charts=planned_charts, wordclouds=planned_clouds,
                                draft=draft).read_bytes()
    assert drafted == at_once
    # Pictures other than the draft's (a chart that failed), or a file gone: the page is made afresh.
    fewer = write_html_report(hostile_analysis, tmp_path / "c.html", charts=planned_charts[2:], wordclouds=planned_clouds,
                              draft=draft).read_bytes()
    assert fewer == write_html_report(hostile_analysis, tmp_path / "d.html", charts=charts[2:], wordclouds=clouds).read_bytes()
    planned_clouds[0].unlink()
    gone = write_html_report(hostile_analysis, tmp_path / "e.html", charts=planned_charts, wordclouds=planned_clouds,
                             draft=draft).read_bytes()
    assert gone == write_html_report(hostile_analysis, tmp_path / "f.html", charts=planned_charts,
                                     wordclouds=planned_clouds).read_bytes()
    assert gone != drafted


def test_tables_part_computed_beforehand_gives_the_same_page(hostile_analysis, pictures, tmp_path):
    charts, clouds = pictures
    at_once = write_html_report(hostile_analysis, tmp_path / "a.html", charts=charts, wordclouds=clouds)
    tables = html_report.tables_context(hostile_analysis)
    assert not {"charts", "wordclouds"} & set(tables)
    beforehand = write_html_report(hostile_analysis, tmp_path / "b.html", charts=charts, wordclouds=clouds, tables=tables)
    assert at_once.read_bytes() == beforehand.read_bytes()


def test_page_resources_loaded_ahead_leave_the_page_unchanged(hostile_analysis, pictures, tmp_path):
    from reportmine.viz import fonts

    charts, clouds = pictures
    fonts._cmap_codepoints.cache_clear()
    html_report._environment.cache_clear()
    html_report.load_page_resources()
    # The font's character map is read and the template compiled now, not when the page is written.
    assert fonts._cmap_codepoints.cache_info().currsize >= 1
    assert html_report._environment.cache_info().currsize == 1
    assert [name for _, name in html_report._environment().cache.keys()] == [html_report.TEMPLATE]
    loaded = write_html_report(hostile_analysis, tmp_path / "a.html", charts=charts, wordclouds=clouds)
    fonts._cmap_codepoints.cache_clear()
    cold = write_html_report(hostile_analysis, tmp_path / "b.html", charts=charts, wordclouds=clouds)
    assert loaded.read_bytes() == cold.read_bytes()
    # A font that cannot be used is left for write_html_report to report, not raised here.
    html_report.load_page_resources(tmp_path / "missing.ttf")


def test_evidence_is_capped_and_says_so(analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(html_report, "MAX_EVIDENCE", 2)
    page = write_html_report(analysis, tmp_path / "r.html", embed_font=False).read_text(encoding="utf-8")
    assert [i for i in _parse(page).values("id") if i.startswith("ev-")] == ["ev-1", "ev-2"]
    assert f"共 {len(analysis.metrics)} 条" in page


def test_bad_offsets_show_evidence_without_context(analysis, tmp_path):
    broken = analysis.metrics.assign(start=10**9, end=10**9 + 3)
    analysis_copy = type(analysis)(**{**vars(analysis), "metrics": broken})
    page = write_html_report(analysis_copy, tmp_path / "r.html", embed_font=False).read_text(encoding="utf-8")
    assert page.count("原文位置不可用") == len(broken)


def test_empty_analysis_renders(empty_analysis, tmp_path):
    page = write_html_report(empty_analysis, tmp_path / "empty.html", embed_font=False).read_text(encoding="utf-8")
    parsed = _parse(page)
    assert [i for i in parsed.values("id") if i in SECTION_IDS] == SECTION_IDS
    assert "未提取到指标" in page and "没有图表" in page and "<b>0</b>报告" in page


def test_tables_without_report_text_still_render(analysis, tmp_path):
    reports = analysis.reports.drop(columns=["text", "school", "year"])
    bare = type(analysis)(**{**vars(analysis), "reports": reports})
    page = write_html_report(bare, tmp_path / "r.html", embed_font=False).read_text(encoding="utf-8")
    assert "原文位置不可用" in page


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), (float("nan"), ""), (3.0, "3"), (0.83125, "0.831"), (True, "是"),
    (["培训", "教师"], "培训、教师"), ("<b>", "<b>"),  # escaping is the template's job, not this one's
])
def test_cell_text(value, expected):
    assert html_report.cell_text(value) == expected


def test_font_is_embedded_with_one_render_and_equals_a_render_with_the_font(analysis, tmp_path, monkeypatch):
    page = write_html_report(analysis, tmp_path / "r.html").read_text(encoding="utf-8")
    assert html_report._PLACEHOLDER_PREFIX not in page
    uris = re.findall(r'url\("(data:font/woff;base64,[A-Za-z0-9+/=]+)"\)', page)
    assert len(uris) == html_report.FONT_PARTS and len(set(uris)) == len(uris)
    # Rendering the page straight with those fonts (the "placeholders" are the URIs themselves)
    # gives the same bytes as the placeholder swap.
    monkeypatch.setattr(html_report, "_font_placeholder", lambda part: uris[part])
    monkeypatch.setattr(html_report, "_font_data_uris", lambda _page, _font: uris)
    again = write_html_report(analysis, tmp_path / "again.html").read_text(encoding="utf-8")
    assert again == page


def test_font_parts_split_the_characters_and_do_not_depend_on_processes(analysis, monkeypatch):
    page = "学校公开课获奖" * 3 + "教研活动"
    parts = html_report._font_data_uris(page, None)
    monkeypatch.setattr("multiprocessing.get_start_method", lambda allow_none=False: "spawn")  # in process
    assert html_report._font_data_uris(page, None) == parts


def test_report_text_quoting_the_placeholder_is_left_alone(analysis, tmp_path):
    quoted = html_report._font_placeholder(0)
    page = write_html_report(analysis, tmp_path / "r.html", title="总结" + quoted).read_text(encoding="utf-8")
    assert page.count(quoted) == 2  # <title> and <h1>, not the font
    assert len(re.findall(r'url\("data:font/woff;base64,[A-Za-z0-9+/=]+"\)', page)) == html_report.FONT_PARTS


def test_page_says_when_only_some_schools_have_a_word_cloud(analysis, pictures, tmp_path):
    _charts, clouds = pictures
    schools = [path for path in clouds if path.stem.startswith("school_")]
    n_schools = analysis.reports["school"].map(html_report.group_label).nunique()
    assert len(schools) == n_schools  # every school has a cloud: no note
    page = write_html_report(analysis, tmp_path / "all.html", wordclouds=clouds, embed_font=False)
    assert "学校词云只画了" not in page.read_text(encoding="utf-8")
    fewer = [path for path in clouds if path not in schools[1:]]
    page = write_html_report(analysis, tmp_path / "some.html", wordclouds=fewer, embed_font=False)
    assert f"学校词云只画了报告最多的 1 所学校（共 {n_schools} 所）" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ["", "abc", "学校<a href='#x'>公开课</a>\n", "a\ud800b😀\x00", "A" * 1000 + "县"])
def test_page_characters_are_the_set_of_the_page(page):
    assert html_report.page_characters(page) == set(page)


def test_template_lookups_read_dict_keys_and_fall_back_to_attributes():
    template = html_report._environment().from_string("{{ row.n }}|{{ row.text }}|{{ loop_like.index }}|{{ word.upper() }}")

    class LoopLike:
        index = 3

    assert template.render(row={"n": 1, "text": "<b>"}, loop_like=LoopLike(), word="ab") == "1|&lt;b&gt;|3|AB"
    with pytest.raises(Exception, match="missing"):  # StrictUndefined: a missing key still fails loudly
        html_report._environment().from_string("{{ row.missing }}").render(row={})


def test_evidence_reads_only_its_columns_and_each_text_once(analysis):
    calls: list[str] = []

    class CountingTexts(dict):
        def get(self, key, default=None):
            calls.append(key)
            return super().get(key, default)

    metrics = analysis.metrics
    texts = CountingTexts(html_report._report_texts(analysis, analysis.reports))
    labels = html_report._report_labels(analysis.reports)
    evidence = html_report._evidence(metrics, texts, labels)
    assert len(calls) == len(set(calls)) == metrics["report_id"].astype(str).nunique()
    expected = html_report._evidence(metrics, dict(texts), labels)
    assert evidence == expected and evidence["rows"]
    assert evidence["rows"][0]["context"] is not None


def test_overview_and_labels_read_each_distinct_value_once_with_the_same_labels():
    import numpy as np
    import pandas as pd

    reports = pd.DataFrame({
        "report_id": ["a", "b", "c", "d"],
        "title": ["教研总结", None, np.nan, "教研总结"],
        "school": ["一中", None, " (unknown) ", "一中"],
        "year": pd.array([2020, None, 2021, 2020], dtype="Int64"),
    })
    overview = html_report._overview(reports, pd.DataFrame())
    assert overview["schools"] == 1 and overview["years"] == ["2020", "2021"]
    assert html_report._report_labels(reports) == {
        "a": "教研总结（一中，2020）", "b": "b（(未知)，(未知)）", "c": "c（(未知)，2021）", "d": "教研总结（一中，2020）"}


@pytest.mark.parametrize("text", ["", "abc", XSS_SCRIPT, "<img src=x onerror=alert(1)>", "a&b'c\"d<e>f", "&amp;", "学校"])
def test_escape_html_is_markupsafe_escape(text):
    from markupsafe import escape

    assert html_report.escape_html(text) == str(escape(text))


def test_table_rows_are_escaped(hostile_analysis):
    from markupsafe import escape

    frame = hostile_analysis.reports[["report_id", "title"]]
    view = html_report._table_view(frame)
    expected = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>\n" for row in view["rows"])
    assert str(view["body"]) == expected and "<script>" not in expected


def test_report_text_quoting_a_picture_placeholder_is_left_alone(analysis, pictures, tmp_path):
    charts, clouds = pictures
    quoted = html_report._image_placeholder(0)
    page = write_html_report(analysis, tmp_path / "r.html", charts=charts, wordclouds=clouds,
                             title="总结" + quoted).read_text(encoding="utf-8")
    assert page.count(quoted) == 2  # <title> and <h1>, not a picture
    assert len(_parse(page).values("src")) == len(charts) // 2 + len(clouds)
    assert all(src.startswith("data:image/png;base64,") for src in _parse(page).values("src"))
