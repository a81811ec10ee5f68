"""School, year, stage and region of each report: from --meta, from a path pattern, from the text.

Precedence per field: the metadata file > the path pattern > what the text says; the source is
recorded in ``Report.meta_source`` (``meta`` | ``pattern`` | ``text``). Vocabulary (school-name
endings, stage words) lives in ``resources/metadata.yaml``.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from reportmine.errors import InputError, MetadataError
from reportmine.models import Report, replaced
from reportmine.text.normalize import fold_for_matching
from reportmine.vocab import load_vocab

logger = logging.getLogger(__name__)

__all__ = [
    "load_meta_table", "match_pattern", "infer_metadata", "infer_stage", "apply_metadata", "META_FIELDS",
]

META_FIELDS = ("school", "year", "stage", "region")
_ALIASES = {"district": "region"}
_CN_DIGIT = str.maketrans("〇零○Ｏ一二三四五六七八九", "0000123456789")
_CN_YEAR = re.compile(r"[〇零○Ｏ一二三四五六七八九]{4}")
_DASH = r"[-—–－~～至到/]"
# Title year rules, first match wins (DESIGN.md: the year of the period the title states).
_TITLE_YEAR = [
    re.compile(rf"(?<!\d)(\d{{4}})\s*{_DASH}+\s*(?:\d{{4}}|\d{{2}})\s*(?:学年|年度|年)"),  # 2019—2020学年
    re.compile(r"(?<!\d)(\d{4})\s*学年"),  # 2020学年(度)
    re.compile(r"(?<!\d)(\d{4})\s*年度"),  # 2021年度
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(?:[上下春秋]季?|第\s*[一二12]\s*)?学期"),  # 2021年上学期
    re.compile(r"(?<!\d)(\d{4})\s*年(?!\s*\d{1,2}\s*月)"),  # 2020年校本研训工作总结
]
_MONTH = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3}|元)"
_DATELINE = [
    re.compile(rf"(?<!\d)(\d{{4}})\s*年\s*{_MONTH}\s*月(?:\s*{_MONTH}\s*[日号])?\s*$"),
    re.compile(r"(?<!\d)(\d{4})\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}\s*$"),
]
# Years at the start of a title before the school's name: "2020学年第一学期", "2019-2020学年度".
_TITLE_PREFIX = re.compile(
    rf"^\s*(?:\d{{4}}\s*(?:{_DASH}+\s*\d{{2,4}})?\s*(?:学年度?|年度|年)?\s*"
    rf"(?:第\s*[一二12]\s*学期|[上下春秋]季?学期)?\s*)?"
)


# ---------------------------------------------------------------- metadata file


def load_meta_table(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a CSV/XLSX metadata table keyed by its ``path`` column (posix, relative to the corpus).

    Columns school, year, region (or its alias ``district``), stage and any other columns are
    returned per path; empty cells are left out so lower-precedence sources can fill them.

    Raises:
        InputError: the file does not exist. MetadataError: it is malformed.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"metadata file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = _read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        else:
            raise MetadataError(f"metadata file must be .csv or .xlsx, not {suffix or 'no extension'}: {path}")
    except MetadataError:
        raise
    except Exception as exc:
        raise MetadataError(f"could not read metadata file {path.name}: {exc}") from exc
    frame.columns = [_ALIASES.get(str(c).strip().lower(), str(c).strip()) for c in frame.columns]
    if "path" not in frame.columns:
        raise MetadataError(f"metadata file {path.name} needs a 'path' column (file path relative to the corpus folder)")
    # Rows as tuples of column lists, not `to_dict("records")`, and each distinct year read
    # once: a 100,000-row table took seconds. A repeated column name keeps its last column, as
    # `to_dict` does.
    names = [str(name) for name in frame.columns]
    columns = [frame.iloc[:, index].tolist() for index in range(len(names))]
    years: dict[str, int | None] = {}
    table: dict[str, dict[str, Any]] = {}
    for number, values in enumerate(zip(*columns), start=2):
        record = dict(zip(names, values))
        key = _clean_relpath(record.pop("path"))
        if not key:
            continue
        if key in table:
            raise MetadataError(f"metadata file {path.name}: path {key!r} appears twice (row {number})")
        row: dict[str, Any] = {k: str(v).strip() for k, v in record.items() if _present(v)}
        if "year" in row:
            written = row["year"]
            if written not in years:
                years[written] = _parse_year(written)
            year = years[written]
            if year is None:
                raise MetadataError(f"metadata file {path.name}, row {number}: year {written!r} is not a year")
            row["year"] = year
        table[key] = row
    return table


def _read_csv(path: Path, *, sep: str):
    import pandas as pd

    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return pd.read_csv(path, dtype=str, sep=sep, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError:
            continue
    raise MetadataError(f"metadata file {path.name} is neither UTF-8 nor GB18030 text")


def _present(value: Any) -> bool:
    return value is not None and value == value and str(value).strip() != ""  # value == value: not NaN


def _clean_relpath(value: Any) -> str:
    if not _present(value):
        return ""
    text = str(value).strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    if "//" not in text and "/." not in text and not text.endswith("/") and text != ".":
        return text  # already as PurePosixPath prints it (the common case: no Path built per row)
    return str(PurePosixPath(text))


def _parse_year(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    text = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGIT), fold_for_matching(str(value)))
    match = re.search(r"(?<!\d)(\d{4})(?:\.0)?(?!\d)", text)
    if not match:
        return None
    year = int(match.group(1))
    vocab = _vocab()
    return year if vocab["year_min"] <= year <= vocab["year_max"] else None


# ---------------------------------------------------------------- path pattern


def match_pattern(pattern: str, relpath: str) -> dict[str, Any]:
    """Fields of `relpath` named by a template like ``"{school}/{year}/*"``; ``{}`` if it does not match.

    ``{field}`` matches within one path segment, ``*`` one segment (or part of one), ``**`` any
    number of segments. ``year`` becomes an int when it holds a 4-digit year.

    Raises:
        MetadataError: the pattern is malformed.
    """
    regex = _pattern_regex(pattern)
    match = regex.fullmatch(relpath.replace("\\", "/"))
    if not match:
        return {}
    fields: dict[str, Any] = {}
    for name, value in match.groupdict().items():
        name = _ALIASES.get(name, name)
        if value is None or value == "":
            continue
        if name == "year":
            year = _parse_year(value)
            if year is None:
                logger.debug("pattern field year=%r in %s is not a year", value, relpath)
                continue
            fields[name] = year
        else:
            fields[name] = value
    return fields


@lru_cache(maxsize=64)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    if not pattern or pattern.count("{") != pattern.count("}"):
        raise MetadataError(f"path pattern {pattern!r} has unbalanced braces; write fields as {{school}}")
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "{":
            end = pattern.find("}", i)
            name = pattern[i + 1 : end].strip()
            if not name.isidentifier() or name in seen:
                raise MetadataError(f"path pattern {pattern!r}: bad or repeated field name {{{name}}}")
            seen.add(name)
            out.append(f"(?P<{name}>[^/]+?)")
            i = end + 1
        elif pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "}":
            raise MetadataError(f"path pattern {pattern!r} has unbalanced braces")
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out))


# ---------------------------------------------------------------- from the text


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    return load_vocab("metadata.yaml")


@lru_cache(maxsize=1)
def _school_regex() -> re.Pattern[str]:
    vocab = _vocab()
    stops = re.escape(vocab["name_stop_chars"])
    endings = [re.escape(s) for s in _suffixes()] + list(vocab["school_abbreviations"])
    return re.compile(rf"(?P<name>[^{stops}\d\sA-Za-z]{{2,24}}?(?:{'|'.join(endings)}))")


@lru_cache(maxsize=1)
def _suffixes() -> tuple[str, ...]:
    return tuple(sorted(_vocab()["school_suffixes"], key=len, reverse=True))


@lru_cache(maxsize=1)
def _area_scope() -> re.Pattern[str]:
    """A title about an area's schools: "瓯江区小学语文学科…", "瓯江区北片小学…"."""
    vocab = _vocab()
    units = "|".join(re.escape(u) for u in sorted(vocab["area_units"], key=len, reverse=True))
    stages = "|".join(re.escape(word) for word, _ in vocab["stage_words"])
    return re.compile(rf"^[\u4e00-\u9fff]{{1,10}}?(?:{units})(?:{stages})")


def infer_metadata(title: str, text: str) -> dict[str, Any]:
    """School, year and stage as the report states them (``None`` when it does not).

    Example: title "永嘉县实验小学2020学年校本研修工作总结" →
    ``{"school": "永嘉县实验小学", "year": 2020, "stage": "小学"}``.
    """
    school, year, stage = _inferred(title, text)
    return {"school": school, "year": year, "stage": stage}


# Reading infers each report's metadata, and the worker applies the --meta rows and --pattern
# to the same report again before sending it: the second inference is served from here.
@lru_cache(maxsize=64)
def _inferred(title: str, text: str) -> tuple[str | None, int | None, str | None]:
    # The report is folded once (a fold the later stages find cached) instead of line by line:
    # the fold keeps every character's place and folds none to a newline, so its lines are the
    # folded lines.
    folded_text = fold_for_matching(text)
    lines = [line for line in text.split("\n") if line]
    folded_lines = [line for line in folded_text.split("\n") if line]
    if len(folded_lines) != len(lines):  # pragma: no cover - guarded by construction
        folded_lines = [fold_for_matching(line) for line in lines]
    folded_title = fold_for_matching(title)
    school = _school(title, folded_title, list(zip(lines, folded_lines)))
    opening = folded_text[: _vocab()["stage_opening_chars"]]
    stage = _stage(fold_for_matching(school or ""), folded_title, opening)
    return school, _year(folded_title, folded_lines), stage


def _school(title: str, folded_title: str, lines: list[tuple[str, str]]) -> str | None:
    """The school named by the title or a short opening or closing line (`lines`: each line
    as written and folded)."""
    vocab = _vocab()
    short = vocab["signature_max"]
    body = lines[1:] if lines and lines[0][0] == title else lines
    candidates = [(title, folded_title)]
    candidates += [pair for pair in body[: vocab["opening_lines"]] if len(pair[0]) <= short]
    candidates += [pair for pair in reversed(body[-vocab["closing_lines"] :]) if len(pair[0]) <= short]
    for line, folded in candidates:
        name = _school_at_start(line, folded)
        if name:
            return name
    return None


def _school_at_start(line: str, folded: str) -> str | None:
    """The school's name when `line` (`folded`: the line folded) starts with one (after a
    leading 2020学年…)."""
    vocab = _vocab()
    prefix = _TITLE_PREFIX.match(folded)  # it may match nothing, never fail
    start = prefix.end() if prefix else 0
    match = _school_regex().match(folded, start)
    if not match:
        return None
    name = match.group("name")  # checked folded (學 → 学), returned as written
    suffix = next((s for s in _suffixes() if name.endswith(s)), None)
    stem = name[: -len(suffix)] if suffix else name[:-2]  # abbreviations: 一中, 三小
    if len(stem) < 2:
        return None
    if stem.endswith(tuple(vocab["area_units"])) and not name.endswith(tuple(vocab["office_suffixes"])):
        return None  # "瓯江区小学": an area's schools; "瓯江区教师发展中心" is fine
    if name.startswith(tuple(vocab["generic_prefixes"])) or any(w in name for w in vocab["name_bad_words"]):
        return None
    return line[match.start("name") : match.end("name")]


def _year(folded_title: str, folded_lines: list[str]) -> int | None:
    """The year the title states, else the year of a closing date line (both given folded)."""
    folded = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGIT), folded_title)
    for pattern in _TITLE_YEAR:
        for match in pattern.finditer(folded):
            year = _parse_year(match.group(1))
            if year is not None:
                return year
    vocab = _vocab()
    for line in reversed(folded_lines[-vocab["closing_lines"] :]):
        if len(line) > vocab["signature_max"]:
            continue
        line = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGIT), line)
        for pattern in _DATELINE:
            dateline = pattern.search(line)
            if dateline and _parse_year(dateline.group(1)) is not None:
                return int(dateline.group(1))
    return None


def infer_stage(school: str | None, title: str, text: str = "") -> str | None:
    """幼儿园 / 小学 / 初中 / 高中 from the school's name, else the title, else the opening text.

    ``None`` for offices and area-wide reports that cover several schools (教师发展中心,
    "瓯江区小学语文学科…").
    """
    opening = fold_for_matching(text[: _vocab()["stage_opening_chars"]])
    return _stage(fold_for_matching(school or ""), fold_for_matching(title), opening)


def _stage(school: str, title: str, opening_text: str) -> str | None:
    """`infer_stage` of the folded school name, title and opening text."""
    vocab = _vocab()
    pairs = vocab["stage_words"]
    if school.endswith(tuple(vocab["office_suffixes"])) or _area_scope().match(_TITLE_PREFIX.sub("", title)):
        return None
    for word, stage in pairs:
        if school.endswith(word):
            return stage
    for source in (school, title):
        found = [(source.find(word), i, stage) for i, (word, stage) in enumerate(pairs) if word in source]
        if found:
            return min(found)[2]
    opening = title + "\n" + opening_text
    for cue, stage in vocab["stage_text_cues"]:
        if re.search(cue, opening, re.MULTILINE):
            return stage
    return None


# ---------------------------------------------------------------- precedence


def apply_metadata(
    report: Report,
    *,
    meta_row: dict[str, Any] | None = None,
    pattern_fields: dict[str, Any] | None = None,
) -> Report:
    """Return a copy of `report` with school/year/stage/region (and extra columns) filled in.

    Precedence per field: `meta_row` (the --meta file) > `pattern_fields` (--pattern) > the
    text; ``meta_source[field]`` records which one gave the value.
    """
    inferred = infer_metadata(report.title, report.text)
    sources = (("meta", meta_row or {}), ("pattern", pattern_fields or {}), ("text", inferred))
    values: dict[str, Any] = {}
    meta_source: dict[str, str] = {}
    for field in META_FIELDS:
        for source, row in sources:
            value = row.get(field)
            if _present(value):
                values[field] = _parse_year(value) if field == "year" else value
                if values[field] is not None:
                    meta_source[field] = source
                    break
        else:
            values[field] = None
    if meta_source.get("stage") == "text" or "stage" not in meta_source:
        # the stage follows the school actually used (a --meta school may be an office)
        # infer_stage is a pure function of (school, title, text): reuse the inferred stage
        # when the school is the inferred one too.
        stage = (inferred["stage"] if values["school"] == inferred["school"]
                 else infer_stage(values["school"], report.title, report.text))
        values["stage"] = stage
        meta_source.pop("stage", None)
        if stage is not None:
            meta_source["stage"] = "text"
    extra = dict(report.extra)
    for source, row in sources[:2][::-1]:  # meta overrides pattern for extra columns too
        extra.update({k: v for k, v in row.items() if k not in META_FIELDS and _present(v)})
    return replaced(report, **{**values, "extra": extra, "meta_source": meta_source})
