"""One file → raw text, per format: .txt/.md, .docx, .pdf (text layer), .html/.htm."""
from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from reportmine.errors import ReadError, SkippedFile
from reportmine.ingest.encoding import decode_bytes

logger = logging.getLogger(__name__)

__all__ = ["RawDocument", "read_document", "SUPPORTED_SUFFIXES"]

_FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_SUFFIXES = frozenset(_FORMATS)

_DROP_TAGS = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe",
              "template", "svg", "button", "select")
# class/id words of page furniture; matched against each "-"/"_"-separated piece of a name.
_FURNITURE = re.compile(r"^(?:nav|navbar|navigation|menu|footer|related|relate|comments?|share|"
                        r"sharing|breadcrumbs?|crumbs?|sidebar|pager|pagination)", re.IGNORECASE)
_BLOCK_TAGS = ("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
               "table", "section", "article", "main", "blockquote", "pre", "dd", "dt", "dl",
               "center", "title", "caption", "figcaption", "address")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
                    "cp936": "gb18030", "big5": "big5", "big5-hkscs": "big5", "cp950": "big5",
                    "utf-8": "utf-8", "utf8": "utf-8"}
# Chinese characters, CJK/full-width punctuation and the quotes Chinese text uses: a source line
# break between two of these renders as nothing (CSS Text segment-break rule), not as a space.
_CJK_CLASS = "[\u2014\u2018\u2019\u201c\u201d\u2026\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]"
_WRAP_BETWEEN_CJK = re.compile(rf"(?<={_CJK_CLASS})[ \t\r]*\n[ \t\r\n]*(?={_CJK_CLASS})")
_CELL_LINE_MAX = 60  # cells up to this length in a multi-cell row share one line
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class RawDocument:
    """The text of one file before normalization, and how it was read."""

    text: str
    encoding: str | None
    format: str  # txt | docx | pdf | html
    content_hash: str  # sha1 of the file bytes


# Formats Chinese schools often use that reportmine cannot read directly: say how to include them.
_CONVERTIBLE = frozenset({".doc", ".wps", ".rtf", ".odt", ".pages"})
_CONVERT_HINT = " (save it as .docx, .pdf or .txt to include it)"


def read_document(path: Path, *, max_bytes: int = 20_000_000) -> RawDocument:
    """Read one file into a `RawDocument`.

    Raises:
        SkippedFile: the file type is not one reportmine reads.
        ReadError: the file is empty, too large, unreadable, damaged or has no text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        hint = _CONVERT_HINT if suffix in _CONVERTIBLE else ""
        raise SkippedFile(f"unsupported file type {suffix or '(no extension)'}{hint}")
    data = _read_bytes(path, max_bytes=max_bytes)
    content_hash = hashlib.sha1(data).hexdigest()
    if fmt == "txt":
        text, encoding = decode_bytes(data)
    elif fmt == "docx":
        text, encoding = _docx_text(data), None
    elif fmt == "pdf":
        text, encoding = _pdf_text(data), None
    else:
        text, encoding = _html_text(data)
    if not text.strip():
        raise ReadError(f"no text found in this .{suffix.lstrip('.')} file (it is blank)")
    return RawDocument(text=text, encoding=encoding, format=fmt, content_hash=content_hash)


def _read_bytes(path: Path, *, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ReadError(
                f"file is {_megabytes(size)}, above the {_megabytes(max_bytes)} limit (raise --max-mb)"
            )
        data = path.read_bytes()
    except PermissionError as exc:
        raise ReadError("permission denied: reportmine may not read this file (check its permissions)") from exc
    except IsADirectoryError as exc:
        raise ReadError("expected a file but found a folder") from exc
    except FileNotFoundError as exc:
        raise ReadError("file disappeared while the corpus was being read") from exc
    except OSError as exc:
        raise ReadError(f"could not read the file: {exc.strerror or exc}") from exc
    if not data:
        raise ReadError("file is empty")
    return data


def _megabytes(n_bytes: int) -> str:
    mb = n_bytes / 1_000_000
    return f"{mb:.0f} MB" if mb >= 1 and mb == int(mb) else f"{mb:.1f} MB"


# ---------------------------------------------------------------- docx


def _docx_text(data: bytes) -> str:
    """Paragraphs and table cells of the body, in document order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReadError(
            "not a valid .docx (the file is damaged or is another format renamed); "
            "open and re-save it in Word, or save old .doc files as .docx"
        ) from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends inside a damaged package
        raise ReadError(f"not a valid .docx (damaged content: {type(exc).__name__})") from exc
    lines: list[str] = []
    _docx_block_lines(document.element.body, lines)
    return "\n".join(lines)


def _docx_block_lines(container, lines: list[str]) -> None:
    """Append the text of the paragraphs and tables directly inside `container`, in order."""
    for child in container.iterchildren():
        if child.tag == f"{_W_NS}p":
            lines.append(_docx_paragraph_text(child))
        elif child.tag == f"{_W_NS}tbl":
            _docx_table_lines(child, lines)
        elif child.tag == f"{_W_NS}sdt":  # content controls wrap ordinary blocks
            for content in child.iterchildren(f"{_W_NS}sdtContent"):
                _docx_block_lines(content, lines)


def _docx_table_lines(table, lines: list[str]) -> None:
    """A row of short cells becomes one tab-separated line ("县级公开课\t16节"), so a count stays
    next to what it counts; a layout table (one cell holding the report) keeps its paragraphs."""
    for row in table.iterchildren(f"{_W_NS}tr"):
        cells: list[list[str]] = []
        for cell in row.iterchildren(f"{_W_NS}tc"):
            cell_lines: list[str] = []
            _docx_block_lines(cell, cell_lines)
            cell_lines = [line for line in cell_lines if line.strip()]
            if cell_lines:
                cells.append(cell_lines)
        if len(cells) >= 2 and all(len(c) == 1 and len(c[0]) <= _CELL_LINE_MAX for c in cells):
            lines.append("\t".join(c[0].strip() for c in cells))
        else:
            for cell_lines in cells:
                lines.extend(cell_lines)


def _docx_paragraph_text(p) -> str:
    parts: list[str] = []
    for node in p.iter(f"{_W_NS}t", f"{_W_NS}tab", f"{_W_NS}br", f"{_W_NS}cr"):
        if node.tag == f"{_W_NS}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W_NS}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


# ---------------------------------------------------------------- pdf


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("PDF is password-protected; save an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except FileNotDecryptedError as exc:
        raise ReadError("PDF is password-protected; save an unprotected copy") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ReadError(
            "not a valid .pdf (the file is damaged or is another format renamed); "
            "re-export it as PDF or save it as .docx/.txt"
        ) from exc
    if not any(page.strip() for page in pages):
        raise ReadError("PDF has no text layer (scanned image?); run OCR on it first")
    return "\n".join(pages)


# ---------------------------------------------------------------- html


def _html_text(data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup, Comment

    markup, encoding = _html_decode(data)
    soup = BeautifulSoup(markup, "lxml")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    total = len(soup.get_text())
    for tag in soup.find_all(_looks_like_furniture):
        if tag.decomposed:
            continue
        # Never drop the page's main content because of a careless class name.
        if len(tag.get_text()) <= 0.5 * total:
            tag.decompose()
    root = soup.body or soup
    for br in root.find_all("br"):
        br.replace_with("\n")
    for text_node in root.find_all(string=True):
        if text_node.parent is not None and text_node.parent.name != "pre":
            text_node.replace_with(_collapse_html_space(str(text_node)))
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.append("\n")
    return root.get_text(), encoding


def _looks_like_furniture(tag) -> bool:
    if tag.name in ("html", "body", "main", "article") or tag.attrs is None:
        return False
    names = list(tag.get("class") or []) + [tag.get("id") or ""]
    return any(_FURNITURE.match(piece) for name in names for piece in re.split(r"[-_\s]+", name) if piece)


def _collapse_html_space(s: str) -> str:
    """HTML whitespace: a wrapped line between Chinese characters vanishes, other runs → one space."""
    s = _WRAP_BETWEEN_CJK.sub("", s)
    return re.sub(r"[ \t\r\n\f]+", " ", s)


def _html_decode(data: bytes) -> tuple[str, str]:
    """Decode with the charset the page declares (meta charset / http-equiv), else detect."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data)
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = match.group(1).decode("ascii", "ignore").lower()
        codec = _CHARSET_ALIASES.get(declared, declared)
        try:
            return data.decode(codec), codec
        except (LookupError, UnicodeDecodeError):
            logger.info("declared charset %r does not decode this page; detecting instead", declared)
    return decode_bytes(data)
