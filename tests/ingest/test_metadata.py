"""Metadata: the meta file > the path pattern > the text, with the source recorded."""
from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from reportmine.errors import InputError, MetadataError
from reportmine.ingest.metadata import _clean_relpath, apply_metadata, infer_metadata, load_meta_table, match_pattern
from reportmine.models import Report


@pytest.mark.parametrize(
    "title, year",
    [
        ("永嘉县实验小学2020学年校本研修工作总结", 2020),
        ("2020学年第一学期教研组工作总结", 2020),
        ("2020学年度学校工作总结", 2020),
        ("2019—2020学年校本研修工作总结", 2019),
        ("2019-2020学年度教研工作总结", 2019),
        ("2019~2020学年第二学期工作总结", 2019),
        ("2019-20学年工作总结", 2019),
        ("2021年度校本研修工作总结", 2021),
        ("2021年上学期教研工作总结", 2021),
        ("2021年第二学期教研组工作总结", 2021),
        ("2021年春季学期工作总结", 2021),
        ("小学2020年校本研训项目工作总结", 2020),
        ("二〇二〇学年校本研修工作总结", 2020),
        ("２０２１年度工作总结", 2021),
        ("學校2020學年工作總結", 2020),
        ("学校校本研修工作总结报告", None),
        ("201X年校本研修总结", None),
        ("小学校本研训项目工作总结1", None),
    ],
)
def test_year_from_title(title, year):
    assert infer_metadata(title, title + "\n正文。")["year"] == year


@pytest.mark.parametrize(
    "closing, year",
    [
        ("二〇二一年一月", 2021),
        ("二○二一年元月八日", 2021),
        ("2021年1月8日", 2021),
        ("永嘉县实验小学 2021年1月8日", 2021),
        ("2021.01.08", 2021),
        ("2020-12-30", 2020),
        ("根据2014年7月教育部办公厅下发的通知，我们开展了一师一优课活动，取得了很好的效果。", None),
    ],
)
def test_year_from_dateline(closing, year):
    text = f"学校工作总结\n本学期我们开展了教研活动。\n{closing}"
    assert infer_metadata("学校工作总结", text)["year"] == year


def test_title_year_wins_over_dateline():
    text = "2020学年校本研修工作总结\n正文。\n2021年1月8日"
    assert infer_metadata("2020学年校本研修工作总结", text)["year"] == 2020


@pytest.mark.parametrize(
    "title, text, school, stage",
    [
        ("永嘉县实验小学2020学年校本研修工作总结", "正文。", "永嘉县实验小学", "小学"),
        ("2019-2020学年度瓯北镇第一中学教研工作总结", "正文。", "瓯北镇第一中学", "初中"),
        ("温州市第二高级中学2020学年工作总结", "正文。", "温州市第二高级中学", "高中"),
        ("乐清市实验幼儿园工作总结", "正文。", "乐清市实验幼儿园", "幼儿园"),
        ("永嘉县教师发展中心2021年度工作总结", "正文。", "永嘉县教师发展中心", None),
        ("学校工作总结", "本学期我们开展了教研活动。\n永嘉县桥头镇中心小学\n2021年1月", "永嘉县桥头镇中心小学", "小学"),
        ("学校工作总结", "永嘉县实验中学\n本学期我们开展了教研活动。", "永嘉县实验中学", "初中"),
        # "我校" / "农村小学" are never a school's name; the opening still gives the stage
        ("学校校本研修工作总结报告", "我校是所普通的农村小学，相对城堡地区而言。", None, "小学"),
        ("金山縣第一高級中學2019學年校本研修工作總結", "正文。", "金山縣第一高級中學", "高中"),
        ("金山一中数学教研组2020学年工作总结", "2020学年，数学组承担高一至高三36个班级的数学教学。", "金山一中", "高中"),
        ("永嘉县第一中学工作总结", "正文。", "永嘉县第一中学", "初中"),
        ("瓯北三小2021学年工作总结", "正文。", "瓯北三小", None),
        ("高三年级组研训工作小结", "正文。", None, "高中"),
        ("园本教研工作总结", "本学期，我园围绕班本课程开展园本教研。", None, "幼儿园"),
        ("英语组工作总结", "本学期英语组11位老师认真落实新课标要求。", None, None),
        ("数学组工作总结", "本学期七年级数学组围绕中考复习开展教研。", None, "初中"),
        # offices and area-wide reports cover several schools: no stage
        ("瓯江区教师发展中心2019年区域研训工作总结", "正文。", "瓯江区教师发展中心", None),
        ("瓯江区北片小学2020学年片区联研工作总结", "北片教研片区由红桥小学、桐岭小学组成。", None, None),
        ("瓯江区小学语文学科2021学年研训工作总结", "全区共有小学41所。", None, None),
        ("小学校本研训项目工作总结1", "本学年度我校组织全体教师。", None, "小学"),
        ("高中数学教研组工作总结", "正文。", None, "高中"),
        ("初中语文教研组工作总结", "正文。", None, "初中"),
    ],
)
def test_school_and_stage(title, text, school, stage):
    inferred = infer_metadata(title, f"{title}\n{text}")
    assert (inferred["school"], inferred["stage"]) == (school, stage)


def test_seed_reports(seed_000):
    assert infer_metadata("学校校本研修工作总结报告", seed_000) == {"school": None, "year": None, "stage": "小学"}


def test_stage_follows_the_school_from_the_meta_file():
    """A --meta school that is an office overrides the title's 小学 (an area-wide report)."""
    report = Report(report_id="r.txt#1", path="r.txt", part=1, title="某区北片2020学年联研工作总结",
                    text="某区北片2020学年联研工作总结\n我校是一所小学。")
    assert apply_metadata(report).stage == "小学"
    office = apply_metadata(report, meta_row={"school": "瓯江区教师发展中心"})
    assert (office.school, office.stage, office.meta_source) == ("瓯江区教师发展中心", None, {"school": "meta", "year": "text"})


@pytest.mark.parametrize(
    "pattern, relpath, expected",
    [
        ("{school}/{year}/*", "永嘉县实验小学/2020/总结.txt", {"school": "永嘉县实验小学", "year": 2020}),
        ("{region}/{school}_{year}.txt", "永嘉县/实验小学_2021.txt", {"region": "永嘉县", "school": "实验小学", "year": 2021}),
        ("{district}/{school}/*", "瓯北/一中/a.docx", {"region": "瓯北", "school": "一中"}),
        ("{school}/{year}/*", "永嘉县实验小学/2020/sub/总结.txt", {}),
        ("{school}/**", "永嘉县实验小学/2020/sub/总结.txt", {"school": "永嘉县实验小学"}),
        ("**/{school}/*.txt", "a/b/某小学/x.txt", {"school": "某小学"}),
        ("**/{school}/*.txt", "某小学/x.txt", {"school": "某小学"}),
        ("{school}/{year}学年/*", "某小学/2019学年/x.txt", {"school": "某小学", "year": 2019}),
        ("{school}/{year}/*", "某小学/往年/x.txt", {"school": "某小学"}),  # not a year: left out
        ("{school}/{year}/{batch}.txt", "某小学/2020/b1.txt", {"school": "某小学", "year": 2020, "batch": "b1"}),
    ],
)
def test_match_pattern(pattern, relpath, expected):
    assert match_pattern(pattern, relpath) == expected


@pytest.mark.parametrize("pattern", ["{school/*", "{school}/{school}", "{1x}/*", "school}/*"])
def test_bad_pattern(pattern):
    with pytest.raises(MetadataError):
        match_pattern(pattern, "a/b.txt")


def test_load_meta_csv(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text(
        "path,school,year,district,funding\n"
        "a/r1.txt,永嘉县实验小学,2020,永嘉县,high\n"
        "./b\\r2.docx,瓯北一中,,,\n",
        encoding="utf-8-sig",
    )
    table = load_meta_table(path)
    assert table == {
        "a/r1.txt": {"school": "永嘉县实验小学", "year": 2020, "region": "永嘉县", "funding": "high"},
        "b/r2.docx": {"school": "瓯北一中"},
    }


@pytest.mark.parametrize("written", [
    "a/r1.txt", "/abs/r1.txt", "a//r1.txt", "a/./r1.txt", "a/../r1.txt", "a/.hidden.txt", "a/r1.txt/", "//a/r1.txt",
    ".", "./a/r1.txt", "r1.txt", "a\\r1.txt",
])
def test_meta_paths_read_as_purepath_prints_them(written):
    # Most paths are taken as written, without a PurePosixPath per row; the key must not change.
    expected = str(PurePosixPath(written.replace("\\", "/").removeprefix("./")))
    assert _clean_relpath(written) == expected


def test_load_meta_csv_reads_repeated_years_and_keeps_a_repeated_column_last(tmp_path):
    path = tmp_path / "meta.csv"
    rows = "".join(f"s{index}/r.txt,{2016 + index % 3}学年,区{index},县{index}\n" for index in range(9))
    path.write_text("path,year,district,region\n" + rows, encoding="utf-8")
    table = load_meta_table(path)
    assert [table[f"s{index}/r.txt"]["year"] for index in range(9)] == [2016, 2017, 2018] * 3
    # district is an alias of region: of the two columns then named region, the last one counts
    assert table["s4/r.txt"]["region"] == "县4"


def test_load_meta_csv_saved_by_chinese_excel(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_bytes("path,school\nr1.txt,永嘉县实验小学\n".encode("gbk"))
    assert load_meta_table(path) == {"r1.txt": {"school": "永嘉县实验小学"}}


def test_load_meta_xlsx(tmp_path):
    import pandas as pd

    path = tmp_path / "meta.xlsx"
    pd.DataFrame({"path": ["r1.txt"], "school": ["永嘉县实验小学"], "year": ["2019学年"], "stage": ["小学"]}).to_excel(
        path, index=False
    )
    assert load_meta_table(path) == {"r1.txt": {"school": "永嘉县实验小学", "year": 2019, "stage": "小学"}}


@pytest.mark.parametrize(
    "content, message",
    [
        ("school,year\nA,2020\n", "needs a 'path' column"),
        ("path,year\nr1.txt,去年\n", "is not a year"),
        ("path,school\nr1.txt,A\nr1.txt,B\n", "appears twice"),
    ],
)
def test_bad_meta_table(tmp_path, content, message):
    path = tmp_path / "meta.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MetadataError, match=message):
        load_meta_table(path)


def test_missing_meta_table(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_meta_table(tmp_path / "nope.csv")


def _report(title="永嘉县实验小学2020学年校本研修工作总结"):
    return Report(report_id="x/r.txt#1", path="x/r.txt", part=1, title=title, text=f"{title}\n正文。")


@pytest.mark.parametrize(
    "meta_row, pattern_fields, expected, sources",
    [
        (None, None,
         {"school": "永嘉县实验小学", "year": 2020, "stage": "小学", "region": None},
         {"school": "text", "year": "text", "stage": "text"}),
        (None, {"school": "路径小学", "region": "永嘉县"},
         {"school": "路径小学", "year": 2020, "stage": "小学", "region": "永嘉县"},
         {"school": "pattern", "year": "text", "stage": "text", "region": "pattern"}),
        ({"school": "表格小学", "year": 2018}, {"school": "路径小学", "year": 2019, "region": "永嘉县"},
         {"school": "表格小学", "year": 2018, "stage": "小学", "region": "永嘉县"},
         {"school": "meta", "year": "meta", "stage": "text", "region": "pattern"}),
        ({"stage": "初中", "region": "瓯海区", "school": ""}, None,
         {"school": "永嘉县实验小学", "year": 2020, "stage": "初中", "region": "瓯海区"},
         {"school": "text", "year": "text", "stage": "meta", "region": "meta"}),
    ],
)
def test_precedence(meta_row, pattern_fields, expected, sources):
    report = apply_metadata(_report(), meta_row=meta_row, pattern_fields=pattern_fields)
    assert {k: getattr(report, k) for k in expected} == expected
    assert report.meta_source == sources


def test_extra_columns_carried_and_original_untouched():
    original = _report()
    report = apply_metadata(original, meta_row={"funding": "high", "batch": "m"}, pattern_fields={"batch": "p", "kind": "k"})
    assert report.extra == {"funding": "high", "batch": "m", "kind": "k"}
    assert original.school is None and original.extra == {}
