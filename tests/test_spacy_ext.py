"""The spaCy view: reportmine components give the same facts as the plain functions."""
from __future__ import annotations

from pathlib import Path

import pytest
from spacy import displacy

from reportmine.extract.metrics import extract_metrics
from reportmine.spacy_ext import METRICS_KEY, SECTIONS_KEY, SHORTCOMINGS_KEY, nlp


@pytest.fixture(scope="session")
def pipeline():
    return nlp()


@pytest.fixture(scope="session")
def seed_text(seeds_dir: Path) -> str:
    path = next(seeds_dir.glob("002_*.txt"))
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return "\n".join(line for line in lines if line)


def test_pipeline_keeps_text_and_names_components(pipeline) -> None:
    doc = pipeline("我们进行县级公开教学一次，片级公开教学多次。")
    assert doc.text == "我们进行县级公开教学一次，片级公开教学多次。"
    assert pipeline.pipe_names == ["reportmine_sections", "reportmine_metrics", "reportmine_shortcomings"]
    assert [(s.text, s.label_, s._.rm["level"]) for s in doc.spans[METRICS_KEY]] == [
        ("我们进行县级公开教学一次", "open_lesson", "county"), ("片级公开教学多次", "open_lesson", "cluster")]


def test_metric_spans_match_extract_metrics(pipeline, seed_text: str) -> None:
    doc = pipeline(seed_text)
    from_spacy = [(s._.rm["start"], s._.rm["end"], s.label_, s._.rm["value"]) for s in doc.spans[METRICS_KEY]]
    plain = [(m.start, m.end, m.category, m.value) for m in extract_metrics(seed_text)]
    def key(row: tuple) -> tuple:  # span groups keep spans of equal offsets in any order
        return row[:3] + (-1 if row[3] is None else row[3],)

    assert sorted(from_spacy, key=key) == sorted(plain, key=key) and len(plain) > 20
    for span in doc.spans[METRICS_KEY]:  # "expand" alignment covers at least the evidence
        assert span.start_char <= span._.rm["start"] and span.end_char >= span._.rm["end"]


def test_section_and_shortcoming_spans(pipeline, seeds_dir: Path) -> None:
    from reportmine.structure.headings import parse_sections
    from reportmine.structure.items import extract_shortcomings

    text = next(seeds_dir.glob("000_*.txt")).read_text(encoding="utf-8")
    doc = pipeline(text)
    sections = parse_sections(text)
    assert [s._.rm["section_id"] for s in doc.spans[SECTIONS_KEY]] == [s.section_id for s in sections]
    shortcomings = extract_shortcomings(text, sections)
    assert [s._.rm["text"] for s in doc.spans[SHORTCOMINGS_KEY]] == [item.text for item in shortcomings]
    assert len(doc.spans[SHORTCOMINGS_KEY]) >= 1


def test_spans_render_with_displacy(pipeline) -> None:
    doc = pipeline("上了县公开课16节。")
    html = displacy.render(doc, style="span", options={"spans_key": METRICS_KEY})
    assert "open_lesson" in html
