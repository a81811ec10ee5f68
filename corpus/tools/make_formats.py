"""Build the non-txt test reports (docx, pdf, html) from plain-text sources.

Sources live in corpus/tools/sources/ and are named
``<school_slug>__<stem>.<ext>.txt``; the output is written to
``corpus/reports/<school_slug>/<stem>.<ext>``.

* ``.docx``: one paragraph per source line (lines that look like headings are
  bold); lines starting with ``|`` form one table (first row = header).
* ``.pdf``: one paragraph per line, wrapped by fpdf2, CJK font SimHei from mplfonts.
* ``.html``: a saved 范文 page, GBK encoded, with site boilerplate; the source
  holds the page title on line 1, the dateline on line 2, and reports separated by
  lines ``=====``; each report starts with its title line.

Run:  python corpus/tools/make_formats.py
"""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
REPORTS = HERE.parent / "reports"

HEADING = re.compile(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.、])")


def _target(src: Path) -> Path:
    slug, rest = src.name.split("__", 1)
    return REPORTS / slug / rest[: -len(".txt")]


def make_docx(lines: list[str], out: Path) -> None:
    from docx import Document

    doc = Document()
    # fixed core properties keep the output reproducible
    import datetime as _dt

    fixed = _dt.datetime(2023, 1, 15, 8, 0, 0)
    doc.core_properties.created = fixed
    doc.core_properties.modified = fixed
    doc.core_properties.author = "reportmine corpus"
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if not table_rows:
            return
        table = doc.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        table.style = "Table Grid"
        for r, row in enumerate(table_rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
        table_rows.clear()

    for i, line in enumerate(lines):
        if line.startswith("|"):
            table_rows.append(line.strip("|").split("|"))
            continue
        flush_table()
        p = doc.add_paragraph()
        run = p.add_run(line)
        if i == 0 or (HEADING.match(line) and len(line) <= 30):
            run.bold = True
    flush_table()
    _save_reproducible(doc, out)


def _save_reproducible(doc, out: Path) -> None:
    """Save a python-docx document with fixed zip timestamps (same bytes every run)."""
    import io
    import zipfile

    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2023, 1, 15, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, zin.read(item.filename))


def make_pdf(lines: list[str], out: Path) -> None:
    import mplfonts
    from fpdf import FPDF

    font = Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"
    pdf = FPDF(format="A4")
    pdf.set_creation_date(__import__("datetime").datetime(2023, 7, 5, 9, 0, 0))
    pdf.set_margins(18, 20, 18)
    pdf.add_font("SimHei", "", str(font))
    pdf.add_page()
    for i, line in enumerate(lines):
        pdf.set_font("SimHei", size=16 if i == 0 else 10)
        pdf.multi_cell(0, 8 if i == 0 else 6.5, line, align="C" if i == 0 else "L",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.output(str(out))


PAGE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>{title}_工作总结范文网</title>
<meta name="keywords" content="{title},工作总结,教研组总结" />
<link rel="stylesheet" href="/static/css/style.css" />
</head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/zongjie/">工作总结</a> | <a href="/jihua/">工作计划</a> | <a href="/xindetihui/">心得体会</a> | <a href="/fanwen/">范文大全</a> | <a href="/tougao/">我要投稿</a></div>
<div class="position">当前位置：<a href="/">范文网</a> &gt; <a href="/zongjie/">工作总结</a> &gt; <a href="/zongjie/jiaoyanzu/">教研组工作总结</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info">时间:{date} 教研组工作总结 <a href="/tougao/">我要投稿</a></div>
<div class="content">
<p>{intro}</p>
{body}
</div>
<div class="related"><h3>相关推荐</h3><ul>
<li><a href="/zongjie/jiaoyanzu/101.html">小学数学教研组工作总结</a></li>
<li><a href="/zongjie/jiaoyanzu/102.html">初中语文教研组工作总结范文（精选5篇）</a></li>
<li><a href="/zongjie/jiaoyanzu/103.html">2021年学校教研工作总结</a></li>
<li><a href="/zongjie/jiaoyanzu/104.html">幼儿园园本教研工作总结</a></li>
</ul></div>
</div>
<div class="footer">Copyright &copy; 工作总结范文网 版权所有 | <a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | 本站部分文章来自网络，如有侵权请联系删除</div>
<script type="text/javascript">
var _hmt = _hmt || [];
(function() {{ var hm = document.createElement("script"); hm.src = "/static/js/stat.js"; document.body.appendChild(hm); }})();
</script>
</body>
</html>
"""


def make_html(lines: list[str], out: Path) -> None:
    title, date, intro = lines[0], lines[1], lines[2]
    parts: list[list[str]] = [[]]
    for line in lines[3:]:
        if line.strip() == "=====":
            parts.append([])
        else:
            parts[-1].append(line)
    body = []
    for part in parts:
        if not part:
            continue
        body.append(f"<h2>{html.escape(part[0])}</h2>")
        body.extend(f"<p>{html.escape(x)}</p>" for x in part[1:])
    page = PAGE.format(title=html.escape(title), date=html.escape(date),
                       intro=html.escape(intro), body="\n".join(body))
    out.write_bytes(page.encode("gbk"))


def main() -> int:
    for src in sorted(SOURCES.glob("*.txt")):
        out = _target(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        lines = [x.rstrip() for x in src.read_text(encoding="utf-8").splitlines() if x.strip()]
        kind = out.suffix.lower()
        if kind == ".docx":
            make_docx(lines, out)
        elif kind == ".pdf":
            make_pdf(lines, out)
        elif kind in (".html", ".htm"):
            make_html(lines, out)
        else:
            print(f"skip {src.name}: unknown target {kind}", file=sys.stderr)
            continue
        print(f"{src.name} -> {out.relative_to(REPORTS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
