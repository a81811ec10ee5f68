"""read_document per format: the same report read from .txt/.docx/.pdf/.html gives the same text."""
from __future__ import annotations

import hashlib

import pytest

from reportmine.errors import ReadError, SkippedFile
from reportmine.ingest.readers import read_document
from reportmine.text.normalize import normalize_text

HTML_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>学校校本研修工作总结报告_范文网</title>
<style>p {{ color: red; }} .x:before {{ content: "样式里的字"; }}</style>
<script>var ad = "脚本里的广告文字";</script>
</head><body>
<div class="top-nav"><a href="/">首页</a> <a href="/zj/">工作总结</a></div>
<nav><ul><li>导航栏目一</li><li>导航栏目二</li></ul></nav>
<div class="breadcrumb">当前位置：首页 &gt; 工作总结</div>
<div id="content" class="article-content">
{body}
</div>
<div class="related-list"><h3>相关阅读</h3><ul><li><a>另一篇总结</a></li></ul></div>
<div id="comments">网友评论：写得好</div>
<footer>版权所有 某某范文网</footer>
</body></html>
"""


def _html_body(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # a heading, paragraphs, one paragraph wrapped in the source and one split by <br>
    out = [f"<h1>{lines[0]}</h1>"]
    for line in lines[1:]:
        if len(line) > 40:
            middle = len(line) // 2
            out.append(f"<p>\n  {line[:middle]}\n  {line[middle:]}</p>")
        else:
            out.append(f"<p><span>{line}</span></p>")
    return "\n".join(out)


def test_txt(tmp_path, seed_000):
    path = tmp_path / "report.txt"
    path.write_bytes(seed_000.encode("gb18030"))
    document = read_document(path)
    assert document.text == seed_000
    assert (document.encoding, document.format) == ("gb18030", "txt")
    assert document.content_hash == hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".md", ".text", ".TXT"])
def test_other_text_suffixes(tmp_path, seed_000, suffix):
    path = tmp_path / f"report{suffix}"
    path.write_text(seed_000, encoding="utf-8")
    assert read_document(path).text == seed_000


def test_docx_paragraphs_and_table_in_body_order(tmp_path, seed_000, make_docx):
    paragraphs = [line.strip() for line in seed_000.splitlines() if line.strip()]
    table = [["项目", "次数"], ["县级公开课", "16"], ["校级公开课", "64节"]]
    path = make_docx(tmp_path / "report.docx", paragraphs, table=table, table_after=2)
    document = read_document(path)
    assert document.format == "docx" and document.encoding is None
    lines = document.text.split("\n")
    row_lines = ["项目\t次数", "县级公开课\t16", "校级公开课\t64节"]
    assert lines[:2] == paragraphs[:2]
    assert lines[2:5] == row_lines  # the table sits between paragraph 2 and 3, one line per row
    assert lines[5:] == paragraphs[2:]
    # a lone number in a cell is data, not a page number: it survives normalization
    assert "县级公开课\t16" in normalize_text(document.text).split("\n")


def test_docx_layout_table_keeps_paragraphs(tmp_path, seed_000, make_docx):
    """Forms often hold the whole report in one big cell: its paragraphs stay separate lines."""
    paragraphs = [line.strip() for line in seed_000.splitlines() if line.strip()]
    path = make_docx(tmp_path / "form.docx", ["学校校本研修工作总结报告"],
                     table=[["总结内容", "\n".join(paragraphs[1:])]], table_after=1)
    text = normalize_text(read_document(path).text)
    assert text.split("\n") == ["学校校本研修工作总结报告", "总结内容"] + normalize_text(seed_000).split("\n")[1:]


def test_docx_same_text_as_txt(tmp_path, seed_000, make_docx):
    paragraphs = seed_000.splitlines()
    document = read_document(make_docx(tmp_path / "report.docx", paragraphs))
    assert normalize_text(document.text) == normalize_text(seed_000)


def test_pdf_same_text_as_txt(seed_000_pdf, seed_000):
    document = read_document(seed_000_pdf)
    assert document.format == "pdf"
    # fpdf2 wraps long lines; normalization mends them to the original paragraphs
    assert len(document.text.split("\n")) > len(seed_000.splitlines()) + 20
    normalized = normalize_text(document.text)
    assert normalized == normalize_text(seed_000)
    assert len(normalized) == len(normalize_text(seed_000))


@pytest.mark.parametrize("charset, codec", [("gb2312", "gb18030"), ("gbk", "gbk"), ("utf-8", "utf-8")])
def test_html_declared_charset_and_furniture_dropped(tmp_path, seed_000, charset, codec):
    page = HTML_PAGE.format(charset=charset, body=_html_body(seed_000))
    path = tmp_path / "report.html"
    path.write_bytes(page.encode(codec))
    document = read_document(path)
    assert document.format == "html"
    assert document.encoding in ("gb18030", "utf-8")
    for furniture in ("脚本里的广告文字", "样式里的字", "导航栏目", "首页", "当前位置", "相关阅读",
                      "网友评论", "版权所有", "另一篇总结"):
        assert furniture not in document.text
    assert normalize_text(document.text) == normalize_text(seed_000)


def test_html_without_declared_charset_is_detected(tmp_path, seed_000):
    page = "<html><body>" + _html_body(seed_000) + "</body></html>"
    path = tmp_path / "report.htm"
    path.write_bytes(page.encode("gbk"))
    document = read_document(path)
    assert document.encoding == "gb18030"
    assert normalize_text(document.text) == normalize_text(seed_000)


def test_html_careless_class_never_drops_main_content(tmp_path, seed_000):
    page = f'<html><body><div class="menu-wrapper">{_html_body(seed_000)}</div></body></html>'
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    assert normalize_text(read_document(path).text) == normalize_text(seed_000)


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("name", ["photo.jpg", "data.json", "README", "old.doc"])
def test_unknown_extension_is_skipped(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(SkippedFile, match="unsupported file type") as info:
        read_document(path)
    assert info.value.stage == "skip"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match="file is empty") as info:
        read_document(path)
    assert info.value.stage == "read"


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n\u3000\n", encoding="utf-8")
    with pytest.raises(ReadError, match="no text"):
        read_document(path)


def test_oversize_file(tmp_path, seed_000):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2_500_000)
    with pytest.raises(ReadError, match=r"file is 2\.5 MB, above the 1 MB limit \(raise --max-mb\)"):
        read_document(path, max_bytes=1_000_000)


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
def test_broken_office_files(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes("这其实是一个文本文件，被改了扩展名。".encode("utf-8") * 20)
    with pytest.raises(ReadError, match=rf"not a valid \{suffix}") as info:
        read_document(path)
    assert info.value.stage == "read"


def test_truncated_docx(tmp_path, seed_000, make_docx):
    path = make_docx(tmp_path / "full.docx", seed_000.splitlines())
    broken = tmp_path / "truncated.docx"
    broken.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ReadError, match=r"not a valid \.docx"):
        read_document(broken)


def test_pdf_without_text_layer(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a drawing, as a scanned page has no text either
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(ReadError, match=r"PDF has no text layer \(scanned image\?\)"):
        read_document(path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("内容", encoding="utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_bytes", refuse)
    with pytest.raises(ReadError, match="permission denied") as info:
        read_document(path)
    assert info.value.stage == "read"


def test_binary_txt_is_decode_error(tmp_path):
    import random

    path = tmp_path / "garbage.txt"
    path.write_bytes(random.Random(7).randbytes(3000))
    with pytest.raises(ReadError) as info:
        read_document(path)
    assert info.value.stage == "decode"
