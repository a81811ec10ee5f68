"""Fixtures for the ingest tests: the seed texts and builders of .docx/.pdf/.html files."""
from __future__ import annotations

from pathlib import Path

import pytest

SEED_000 = "000_1a97207371f7c8aa.txt"
SEED_002 = "002_a7e4325be9bd9d85.txt"


@pytest.fixture(scope="session")
def seed_000(seeds_dir) -> str:
    return (seeds_dir / SEED_000).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_002(seeds_dir) -> str:
    return (seeds_dir / SEED_002).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    """SimHei shipped by mplfonts (a declared dependency), for PDFs with a real CJK text layer."""
    import mplfonts

    path = Path(mplfonts.__file__).resolve().parent / "fonts" / "SimHei.ttf"
    assert path.is_file(), "mplfonts (a dependency) ships SimHei.ttf"
    return path


def write_docx(path: Path, paragraphs: list[str], *, table: list[list[str]] | None = None,
               table_after: int = 1) -> Path:
    """A .docx with `paragraphs`, and `table` (rows of cells) inserted after paragraph `table_after`."""
    import docx

    document = docx.Document()
    for index, text in enumerate(paragraphs):
        document.add_paragraph(text)
        if table is not None and index + 1 == table_after:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
    document.save(path)
    return path


def write_pdf(path: Path, text: str, font: Path, *, size: int = 11) -> Path:
    """A one-column PDF of `text` (fpdf2 wraps long lines, as a real PDF does)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", "", str(font))
    pdf.set_font("cjk", size=size)
    pdf.add_page()
    for line in text.splitlines():
        if line.strip():
            pdf.multi_cell(0, 6, line.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


@pytest.fixture(scope="session")
def seed_000_pdf(tmp_path_factory, seed_000, cjk_font) -> Path:
    return write_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf", seed_000, cjk_font)


@pytest.fixture(scope="session")
def make_docx():
    return write_docx


@pytest.fixture(scope="session")
def make_pdf(cjk_font):
    return lambda path, text, **kw: write_pdf(path, text, cjk_font, **kw)
