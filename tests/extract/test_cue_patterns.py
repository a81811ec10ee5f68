"""The trigger pattern, grouped by first character, finds what the plain alternation finds."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportmine.extract.clauses import ReportView
from reportmine.extract.cues import _compact_frequency, _split_first, alternation, metric_cues
from reportmine.ingest.corpus import read_source_file
from reportmine.vocab import load_vocab

_REPORTS = Path(__file__).resolve().parents[2] / "corpus" / "reports"


def _plain_triggers() -> re.Pattern[str]:
    """The triggers as one flat alternation: compact frequencies, split-word patterns, words."""
    vocab = load_vocab("metrics.yaml")
    patterns = [pattern for spec in vocab["categories"].values() for pattern in spec.get("patterns") or []]
    parts = [f"(?P<compact>{_compact_frequency(vocab)})"]
    parts += [f"(?P<p{index}>{pattern})" for index, pattern in enumerate(patterns)]
    return re.compile("|".join([*parts, alternation(metric_cues().trigger_of)]))


def _expected_kind(match: re.Match[str]) -> tuple[str, bool]:
    """(kind, compact) of a plain-alternation match."""
    vocab = load_vocab("metrics.yaml")
    if match.lastgroup == "compact":
        return "research_activity", True
    if match.lastgroup is not None:
        kinds = [name for name, spec in vocab["categories"].items() for _ in spec.get("patterns") or []]
        return kinds[int(match.lastgroup[1:])], False
    return metric_cues().trigger_of[match.group()].kind, False


def _span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return match.span() if match else None


def test_triggers_match_the_plain_alternation_on_the_bundled_reports() -> None:
    cues, plain = metric_cues(), _plain_triggers()
    texts = [ReportView(report.text).folded for path in sorted(_REPORTS.rglob("*.txt"))
             for report in read_source_file(path, root=_REPORTS)[0]]
    texts.append("教研组每周一研，隔周一研究；听师傅的课三节，听了专家的集体活动，公开课一等奖、一周一研，每学期一研。")
    assert len(texts) > 40
    found = 0
    for folded in texts:
        expected = [(m.span(), _expected_kind(m)) for m in plain.finditer(folded)]
        hits = [(match.span(), (cue.kind, cue.compact)) for match, cue in cues.hits(folded)]
        assert hits == expected
        for start in range(0, len(folded), 5):  # match() and windowed search() as the extractors ask
            assert _span(cues.triggers.match(folded, start)) == _span(plain.match(folded, start))
            window = (start, start + 12)
            assert _span(cues.triggers.search(folded, *window)) == _span(plain.search(folded, *window))
        found += len(hits)
    assert found > 1000
    kinds = {cue.kind for _, cue in cues.hits(texts[-1])}
    assert {"research_activity", "open_lesson", "grade"} <= kinds


def test_compact_and_split_word_hits_keep_their_cues() -> None:
    cues = metric_cues()
    folded = ReportView("教研组实行隔周一研，听师傅的课三节。").folded
    hits = [(match.group(), cue.kind, cue.compact) for match, cue in cues.hits(folded)]
    assert ("隔周一研", "research_activity", True) in hits
    assert ("听师傅的课", "research_activity", False) in hits  # a split-word pattern of research


@pytest.mark.parametrize("pattern", ["听a|b", "(听)课", "[听]课", "*课", "听?课"])
def test_split_word_patterns_need_a_literal_head_and_no_top_level_bar(pattern: str) -> None:
    with pytest.raises(ValueError):
        _split_first(pattern)
    assert _split_first("听(?:a|b)课") == ("听", "(?:a|b)课")
