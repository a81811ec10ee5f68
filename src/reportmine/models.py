"""Plain records passed between pipeline stages (one unit name each: report, section, metric, item)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeVar

RecordT = TypeVar("RecordT")


@dataclass
class ErrorRecord:
    """An input that could not be analysed: one row of the `errors` table."""

    path: str
    stage: str  # skip | read | decode | split | analyze
    error: str  # a sentence a researcher understands


@dataclass
class Report:
    """One report: normalized text plus metadata; offsets everywhere point into `text`."""

    report_id: str  # "<relative path>#<part>", stable across runs
    path: str  # posix path relative to the corpus root
    part: int  # 1-based position inside its file
    title: str
    text: str  # normalized text (characters as written; see text.normalize)
    encoding: str | None = None
    format: str = "txt"
    school: str | None = None
    year: int | None = None
    stage: str | None = None  # 幼儿园 / 小学 / 初中 / 高中 / None
    region: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # further --meta columns, carried through
    meta_source: dict[str, str] = field(default_factory=dict)  # field -> meta | pattern | text
    status: str = "ok"
    content_hash: str = ""  # sha1 of the source file bytes (cache key)

    @property
    def n_chars(self) -> int:
        return len(self.text)


@dataclass
class Section:
    """One heading and the text it governs: a row of the `sections` table."""

    section_id: str  # "2.1" = first child of the second top-level section
    parent_id: str | None
    depth: int  # 1 for top level
    marker: str  # the numbering as written: "二、", "（一）", "1.", "①", "第一部分", "" for unnumbered
    title: str  # heading text without marker and without the body that may follow on the same line
    role: str = "other"  # background | measures | achievements | problems | plans | other
    start: int = 0  # offset of the heading (marker included)
    end: int = 0  # end of the section's text (exclusive)
    title_end: int = 0  # offset just after the title (body starts here)


@dataclass
class Metric:
    """One extracted fact with its quantity, attributes and evidence: a row of `metrics`."""

    category: str  # open_lesson | award | research_activity | publication
    value: float | None = None
    value_max: float | None = None
    approx: bool = False
    qualifier: str | None = None  # 余 / 多 / 近 / 上 / 至少 / 几 / 数 / 若干 …
    level: str = "unknown"
    period: str | None = None  # day | week | 2weeks | month | semester | year
    times_per_period: float | None = None
    grade: str | None = None  # special | first | second | third | excellence | nomination | title | other
    recipient: str | None = None  # teacher | student | school | unknown
    item: str | None = None  # what was counted or awarded (论文, 课例, 语文 …)
    unit: str | None = None  # 节 / 次 / 名 …
    evidence: str = ""
    start: int = 0
    end: int = 0
    section_id: str | None = None
    part_of: int | None = None  # index (within the report) of the total this row breaks down


@dataclass
class Item:
    """One enumerated shortcoming or plan, marker removed: a row of `shortcomings` / `plans`."""

    item_no: int
    text: str
    start: int
    end: int
    section_id: str | None = None
    category: str | None = None  # shortcomings only: a code of the shortcoming codebook
    marker: str | None = None


@dataclass
class ReportResult:
    """Everything the per-report stages produce for one report."""

    report: Report
    sections: list[Section] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    shortcomings: list[Item] = field(default_factory=list)
    plans: list[Item] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # content tokens (stop words removed)
    n_tokens: int = 0  # all word tokens of the report
    codes: dict[str, int] = field(default_factory=dict)  # codebook code -> hits (count > 0 only)
    signature: Any = None  # MinHash hash values (uint32 array) of the character shingles, for near-duplicates


@dataclass
class ReportRows:
    """One analysed report flattened for the main process: records as columns, text, tokens.

    Workers send this instead of a `ReportResult`: a tuple per record field pickles and unpickles
    several times faster than a dataclass per record, and the main process only appends the
    columns (`tables.TableBuilder`), which become table columns without a pass over rows.
    Metadata is already applied. Each record table is one tuple per field of its record type
    (`Section`, `Metric`, `Item`), in field order, or () when the report has none; the table
    builder adds the report id (and a metric's id, school and year).
    """

    report: dict[str, Any]  # the `reports` row (no text)
    # Text and tokens travel as the UTF-8 bytes the main process writes to its spools: bytes
    # unpickle without decoding and are written without encoding (`store.SpoolStore.add_utf8`).
    text_utf8: bytes
    tokens_utf8: bytes  # content tokens joined as a `TokenStore` stores them
    codes: dict[str, int]
    signature: Any
    sections: tuple[tuple[Any, ...], ...]
    metrics: tuple[tuple[Any, ...], ...]
    shortcomings: tuple[tuple[Any, ...], ...]
    plans: tuple[tuple[Any, ...], ...]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the constructor's arguments: a dataclass's default pickle is a dict of field
        # names to values, and the main process would unpickle the names again for every report.
        return (ReportRows, record_values(self))


def record_dict(record: Any) -> dict[str, Any]:
    """Return a flat dataclass record (no nested records) as a plain dict, for DataFrames and JSON.

    A shallow copy of the fields: `dataclasses.asdict` deep-copies every value and was most of
    the main process's time per report.
    """
    return {name: getattr(record, name) for name in field_names(record.__class__)}


def replaced(record: RecordT, **changes: Any) -> RecordT:
    """`dataclasses.replace` for the plain records here (no ``init=False`` fields), a new record
    made from the field values: `replace` reads the dataclass's field list again on every call,
    which showed in the per-report stages, where a record is replaced per section and report."""
    return type(record)(**{**vars(record), **changes})


def record_values(record: Any) -> tuple[Any, ...]:
    """A flat dataclass record's field values, in field order (a shallow copy, like `record_dict`)."""
    return _values_getter(record.__class__)(record)


@lru_cache(maxsize=None)
def _values_getter(record_type: type) -> Callable[[Any], tuple[Any, ...]]:
    # One attrgetter call reads all fields in C: a generator of getattr calls was most of the
    # cost of flattening a report's sections, metrics and items into rows.
    names = field_names(record_type)
    if len(names) < 2:  # attrgetter of one name returns the bare value, not a 1-tuple
        return lambda record: tuple(getattr(record, name) for name in names)
    return attrgetter(*names)


@lru_cache(maxsize=None)
def field_names(record_type: type) -> tuple[str, ...]:
    """The field names of a dataclass type, in order."""
    return tuple(item.name for item in fields(record_type))
