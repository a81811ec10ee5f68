"""reportmine components for spaCy: sections, metrics and shortcomings as span groups.

    >>> doc = nlp()("我们进行县级公开教学一次，片级公开教学多次。")
    >>> [(span.text, span.label_, span._.rm["level"]) for span in doc.spans["rm_metrics"]]
    [('我们进行县级公开教学一次', 'open_lesson', 'county'), ('片级公开教学多次', 'open_lesson', 'cluster')]

The pipeline is `spacy.blank("zh")` with the jieba segmenter (doc.text stays the input, so the
extractors' character offsets survive) plus three components registered under the package
prefix. Each sets `doc.spans["rm_sections" | "rm_metrics" | "rm_shortcomings"]`; every span's
`span._.rm` holds the record as a dict. Render with
`displacy.render(doc, style="span", options={"spans_key": "rm_metrics"})`.
The plain functions (`extract_metrics`, `parse_sections` …) do the work; this is a convenience.
"""
from __future__ import annotations

import logging

from collections.abc import Callable, Iterable
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from reportmine.errors import ReportmineError
from reportmine.models import record_dict

__all__ = ["nlp", "SECTIONS_KEY", "METRICS_KEY", "SHORTCOMINGS_KEY"]

SECTIONS_KEY = "rm_sections"
METRICS_KEY = "rm_metrics"
SHORTCOMINGS_KEY = "rm_shortcomings"
_COMPONENTS = ("reportmine_sections", "reportmine_metrics", "reportmine_shortcomings")

# A list of (label, record dict) pairs for one text.
Labelled = list[tuple[str, dict[str, Any]]]

def _record_of(span: Span) -> dict[str, Any] | None:
    """`span._.rm`: the record a reportmine component attached to this span (None otherwise).

    Records live in `doc.user_data` under the span's id: spaCy keys plain extension values by
    offsets and label only, and two facts may share both ("语文、数学各一次").
    """
    user_data: dict[Any, Any] = span.doc.user_data  # typed str-keyed, but spaCy keys it by tuples too
    return user_data.get((_USER_DATA_KEY, span.id))


_USER_DATA_KEY = "reportmine"
Span.set_extension("rm", getter=_record_of, force=True)


def nlp(*, components: Iterable[str] = _COMPONENTS) -> Language:
    """Return a blank Chinese spaCy pipeline (jieba segmenter) with reportmine components added.

    Args:
        components: which of reportmine_sections / reportmine_metrics / reportmine_shortcomings
            to add, in this order.
    """
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # spaCy's segmenter loads jieba's global dictionary: no chatter
        pipeline = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    except ImportError as error:  # pragma: no cover - jieba is a declared dependency
        raise ReportmineError("jieba is needed for the Chinese tokenizer: pip install jieba") from error
    for name in components:
        pipeline.add_pipe(name)
    return pipeline


@Language.factory("reportmine_sections", assigns=["doc.spans"])
def make_sections(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Component: headings as `doc.spans["rm_sections"]`, labelled with their role."""
    return _SpanComponent(SECTIONS_KEY, _sections)


@Language.factory("reportmine_metrics", assigns=["doc.spans"])
def make_metrics(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Component: metrics as `doc.spans["rm_metrics"]`, labelled with their category."""
    return _SpanComponent(METRICS_KEY, _metrics)


@Language.factory("reportmine_shortcomings", assigns=["doc.spans"])
def make_shortcomings(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Component: admitted problems as `doc.spans["rm_shortcomings"]`."""
    return _SpanComponent(SHORTCOMINGS_KEY, _shortcomings)


class _SpanComponent:
    """A pipeline component turning the records of one extractor into a span group."""

    def __init__(self, key: str, extractor: Callable[[str], Labelled]) -> None:
        self.key = key
        self.extractor = extractor

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        user_data: dict[Any, Any] = doc.user_data
        for index, (label, record) in enumerate(self.extractor(doc.text)):
            span = doc.char_span(record["start"], record["end"], label=label, alignment_mode="expand",
                                 span_id=f"{self.key}:{index}")
            if span is not None:
                user_data[(_USER_DATA_KEY, span.id)] = record
                spans.append(span)
        doc.spans[self.key] = spans
        return doc


def _sections_of(text: str) -> list[Any]:
    # Imported here: the structure stage is optional for this module.
    from reportmine.structure.headings import parse_sections
    from reportmine.structure.roles import assign_roles

    return assign_roles(parse_sections(text), text)


def _sections(text: str) -> Labelled:
    return [(section.role, record_dict(section)) for section in _sections_of(text)]


def _metrics(text: str) -> Labelled:
    from reportmine.extract.metrics import extract_metrics

    try:
        sections = _sections_of(text)
    except ImportError:  # the structure stage is not installed: metrics without section ids
        sections = None
    return [(metric.category, record_dict(metric)) for metric in extract_metrics(text, sections=sections)]


def _shortcomings(text: str) -> Labelled:
    from reportmine.structure.items import extract_shortcomings

    items = extract_shortcomings(text, _sections_of(text))
    return [(item.category or "shortcoming", record_dict(item)) for item in items]
