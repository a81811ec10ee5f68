"""read_corpus / read_source_file / iter_source_files: reports, error rows, ignore file, metadata."""
from __future__ import annotations

import codecs
import random
import shutil
from pathlib import Path

import pytest

from reportmine.errors import InputError
from reportmine.ingest.corpus import (
    REPORT_COLUMNS, Corpus, iter_source_files, read_corpus, read_source_file, source_relpaths,
)
from reportmine.text.normalize import normalize_text

SEED_000 = "000_1a97207371f7c8aa.txt"
SEED_002 = "002_a7e4325be9bd9d85.txt"


@pytest.fixture()
def seed_folder(tmp_path, seeds_dir) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(seeds_dir / SEED_000, root / SEED_000)
    shutil.copy(seeds_dir / SEED_002, root / SEED_002)
    return root


def test_seed_folder(seed_folder):
    corpus = read_corpus(seed_folder)
    assert corpus.errors == []
    assert [r.report_id for r in corpus.reports] == [
        f"{SEED_000}#1", f"{SEED_002}#1", f"{SEED_002}#2", f"{SEED_002}#3",
    ]
    assert [r.title for r in corpus.reports] == [
        "学校校本研修工作总结报告", "小学校本研训项目工作总结1", "小学校本研训项目工作总结2", "小学校本研训项目工作总结3",
    ]
    first = corpus.reports[0]
    assert (first.path, first.part, first.encoding, first.format) == (SEED_000, 1, "utf-8", "txt")
    assert "教师成长。" in first.text
    assert len(first.content_hash) == 40
    for report in corpus.reports[1:]:
        assert "小编" not in report.text and "我要投稿" not in report.text
        assert report.stage == "小学" and report.meta_source["stage"] == "text"


def test_to_frame(seed_folder):
    frame = read_corpus(seed_folder).to_frame()
    assert list(frame.columns) == REPORT_COLUMNS + ["text"]
    assert len(frame) == 4
    assert frame["n_chars"].tolist() == frame["text"].str.len().tolist()
    assert str(frame["year"].dtype) == "Int64"
    assert frame.loc[1, "stage_source"] == "text" and frame.loc[0, "school_source"] is None


def test_evidence_from_source_line_is_in_report_text(seed_folder, seeds_dir):
    corpus = read_corpus(seed_folder)
    part3 = corpus.reports[3]
    source_line = next(line for line in (seeds_dir / SEED_002).read_text(encoding="utf-8").splitlines()
                       if "校级公开课64节" in line).strip()
    start = part3.text.index(source_line)
    assert part3.text[start : start + len(source_line)] == source_line


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "gb18030", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_same_report_in_every_encoding(tmp_path, seed_000, encoding):
    data = {
        "utf-16-le-bom": codecs.BOM_UTF16_LE + seed_000.encode("utf-16-le"),
        "utf-16-be-bom": codecs.BOM_UTF16_BE + seed_000.encode("utf-16-be"),
    }.get(encoding) or seed_000.encode(encoding)
    (tmp_path / "r.txt").write_bytes(data)
    reference = normalize_text(seed_000)
    [report], errors = read_source_file(tmp_path / "r.txt", root=tmp_path)
    assert errors == []
    assert report.text == reference and report.n_chars == len(reference)
    assert report.encoding == encoding.replace("-bom", "")


def test_every_format_gives_the_same_report(tmp_path, seed_000, make_docx, seed_000_pdf):
    (tmp_path / "a.txt").write_bytes(seed_000.encode("gbk"))
    make_docx(tmp_path / "b.docx", seed_000.splitlines())
    shutil.copy(seed_000_pdf, tmp_path / "c.pdf")
    body = "".join(f"<p>{line}</p>\n" for line in seed_000.splitlines())
    (tmp_path / "d.html").write_bytes(
        f'<html><head><meta charset="gbk"></head><body><nav>首页</nav>{body}</body></html>'.encode("gbk")
    )
    corpus = read_corpus(tmp_path)
    assert corpus.errors == []
    assert [r.format for r in corpus.reports] == ["txt", "docx", "pdf", "html"]
    assert len({r.text for r in corpus.reports}) == 1
    assert len({r.n_chars for r in corpus.reports}) == 1
    assert {r.title for r in corpus.reports} == {"学校校本研修工作总结报告"}


def test_bad_inputs_become_error_rows(tmp_path, seed_000, make_docx):
    (tmp_path / "good.txt").write_text(seed_000, encoding="utf-8")
    (tmp_path / "random.txt").write_bytes(random.Random(3).randbytes(5000))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage garbage")
    (tmp_path / "big.txt").write_text(seed_000 * 5, encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    (tmp_path / "only_boilerplate.txt").write_text("时间:2020-12-02 14:13:09 总结 我要投稿\n", encoding="utf-8")
    corpus = read_corpus(tmp_path, max_bytes=len(seed_000.encode("utf-8")) * 2)
    assert [r.path for r in corpus.reports] == ["good.txt"]
    stages = {e.path: e.stage for e in corpus.errors}
    assert stages == {
        "big.txt": "read", "broken.docx": "read", "broken.pdf": "read", "empty.txt": "read",
        "only_boilerplate.txt": "split", "photo.jpg": "skip", "random.txt": "decode",
    }
    messages = {e.path: e.error for e in corpus.errors}
    assert messages["empty.txt"] == "file is empty"
    assert "above the" in messages["big.txt"] and "--max-mb" in messages["big.txt"]
    assert messages["photo.jpg"] == "unsupported file type .jpg"
    assert "not a valid .docx" in messages["broken.docx"]
    assert list(Corpus(tmp_path, errors=corpus.errors).errors_frame().columns) == ["path", "stage", "error"]


def test_read_source_file_never_raises_on_a_bug(tmp_path, monkeypatch):
    import reportmine.ingest.corpus as corpus_module

    (tmp_path / "r.txt").write_text("学校工作总结\n正文。", encoding="utf-8")
    monkeypatch.setattr(corpus_module, "split_reports", lambda *a, **k: 1 / 0)
    reports, errors = read_source_file(tmp_path / "r.txt", root=tmp_path)
    assert reports == [] and errors[0].stage == "split" and "ZeroDivisionError" in errors[0].error


def test_iter_source_files_sorted_hidden_and_ignore(tmp_path):
    for rel in ["b/2.txt", "b/1.txt", "a.txt", "gold/x.json", "notes.json", "sub/gold/keep.txt",
                ".hidden.txt", ".git/config.txt", "sub/.cache/x.txt", "drafts/d.txt", "metadata.csv",
                "drafts/keep.txt"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    (tmp_path / ".reportmineignore").write_text(
        "# test data\n/gold/\n*.json\nmetadata.csv\ndrafts/*.txt\n!drafts/keep.txt\n", encoding="utf-8"
    )
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path)]
    assert found == ["a.txt", "b/1.txt", "b/2.txt", "drafts/keep.txt", "sub/gold/keep.txt"]
    assert source_relpaths(tmp_path) == found  # the same walk, as strings


def test_ignore_dir_pattern_matches_at_any_depth(tmp_path):
    for rel in ["gold/a.txt", "x/gold/b.txt", "x/c.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    (tmp_path / ".reportmineignore").write_text("gold/\n", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path)] == ["x/c.txt"]


def _school_tree(tmp_path, seed_000) -> Path:
    root = tmp_path / "corpus"
    for rel in ["永嘉县实验小学/2020/总结.txt", "瓯北一中/2019/总结.txt"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(seed_000.replace("学校校本研修工作总结报告", "永嘉县文化小学2021学年校本研修工作总结"),
                                encoding="utf-8")
    return root


def test_metadata_precedence_in_read_corpus(tmp_path, seed_000):
    root = _school_tree(tmp_path, seed_000)
    meta = tmp_path / "meta.csv"
    meta.write_text("path,school,district,funding\n瓯北一中/2019/总结.txt,瓯北镇第一中学,永嘉县,high\n",
                    encoding="utf-8")
    corpus = read_corpus(root, meta=meta, pattern="{school}/{year}/*")
    frame = corpus.to_frame().set_index("path")
    a, b = frame.loc["永嘉县实验小学/2020/总结.txt"], frame.loc["瓯北一中/2019/总结.txt"]
    assert (a.school, a.school_source, a.year, a.year_source) == ("永嘉县实验小学", "pattern", 2020, "pattern")
    assert (a.stage, a.stage_source) == ("小学", "text")
    assert (b.school, b.school_source, b.region, b.region_source) == ("瓯北镇第一中学", "meta", "永嘉县", "meta")
    assert (b.year, b.year_source) == (2019, "pattern")
    assert b.funding == "high" and "funding" in frame.columns


def test_text_only_metadata(tmp_path, seed_000):
    root = _school_tree(tmp_path, seed_000)
    report = read_corpus(root).reports[0]
    assert (report.school, report.year, report.stage) == ("永嘉县文化小学", 2021, "小学")
    assert report.meta_source == {"school": "text", "year": "text", "stage": "text"}


def test_metadata_csv_at_root_is_used_and_not_read_as_a_report(tmp_path, seed_000):
    root = _school_tree(tmp_path, seed_000)
    (root / "metadata.csv").write_text("path,school,year\n永嘉县实验小学/2020/总结.txt,表格小学,2018\n", encoding="utf-8")
    corpus = read_corpus(root)
    assert corpus.errors == []
    report = next(r for r in corpus.reports if r.path.startswith("永嘉县实验小学"))
    assert (report.school, report.year, report.meta_source["school"]) == ("表格小学", 2018, "meta")


def test_single_file_input(tmp_path, seed_000):
    path = tmp_path / "deep" / "r.txt"
    path.parent.mkdir()
    path.write_text(seed_000, encoding="utf-8")
    corpus = read_corpus(path)
    assert [r.report_id for r in corpus.reports] == ["r.txt#1"]


def test_unknown_root(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_corpus(tmp_path / "missing")


def test_deterministic(seed_folder):
    first = read_corpus(seed_folder).to_frame()
    second = read_corpus(seed_folder).to_frame()
    assert first.equals(second)


def test_fanwen_web_page_as_html(tmp_path, seeds_dir, seed_002):
    """The saved 范文 page, as the site served it (GBK, menus, related links): same three reports."""
    lines = [line.strip() for line in seed_002.splitlines() if line.strip()]
    body = f"<h1>{lines[0]}</h1>\n" + "\n".join(f"<p>&nbsp;&nbsp;{line}</p>" for line in lines[1:])
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>小学校本研训项目工作总结_范文网</title><script>var x='广告';</script></head><body>"
        '<div id="header"><ul class="menu"><li>首页</li><li>工作总结</li></ul></div>'
        f'<div class="article">{body}</div>'
        '<div class="related"><h3>相关推荐</h3><ul><li>小学教研工作总结</li></ul></div>'
        "<footer>Copyright 范文网</footer></body></html>"
    )
    (tmp_path / "page.html").write_bytes(page.encode("gbk"))
    shutil.copy(seeds_dir / SEED_002, tmp_path / "page.txt")
    corpus = read_corpus(tmp_path)
    html = [r for r in corpus.reports if r.format == "html"]
    txt = [r for r in corpus.reports if r.format == "txt"]
    assert [r.title for r in html] == [r.title for r in txt] == [f"小学校本研训项目工作总结{n}" for n in (1, 2, 3)]
    assert [r.text for r in html] == [r.text for r in txt]
    assert html[0].encoding == "gb18030"


def test_meta_rows_per_part_and_parallel_style_reading(tmp_path, seeds_dir):
    """Rows keyed "path#part" address one report of a compilation; attach_metadata works on
    reports read one file at a time (as worker processes do)."""
    from reportmine.ingest.corpus import attach_metadata

    shutil.copy(seeds_dir / SEED_002, tmp_path / "page.txt")
    reports, errors = read_source_file(tmp_path / "page.txt", root=tmp_path)
    assert errors == [] and len(reports) == 3
    table = {"page.txt": {"school": "整页学校", "region": "永嘉县"}, "page.txt#2": {"school": "第二篇学校", "year": 2015}}
    rows = [(r.school, r.year, r.region, r.meta_source.get("school")) for r in attach_metadata(reports, table=table)]
    assert rows == [("整页学校", None, "永嘉县", "meta"), ("第二篇学校", 2015, "永嘉县", "meta"),
                    ("整页学校", None, "永嘉县", "meta")]


def test_root_metadata_table_is_never_a_source_file(tmp_path, seed_000):
    (tmp_path / "r.txt").write_text(seed_000, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("path,school\nr.txt,某小学\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "metadata.csv").write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path)] == ["r.txt", "sub/metadata.csv"]
