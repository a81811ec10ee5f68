"""The bundled corpus read with its metadata.csv: titles, parts and metadata as the gold says."""
from __future__ import annotations

import json

import pytest

from reportmine.ingest.corpus import read_corpus


@pytest.fixture(scope="module")
def corpus_reports(repo_root, seeds_dir):
    corpus_dir = repo_root / "corpus"
    assert (corpus_dir / "gold").is_dir(), "bundled corpus gold not found"
    reports = {}
    for source in (read_corpus(corpus_dir), read_corpus(seeds_dir)):
        assert source.errors == []
        reports.update({r.report_id: r for r in source.reports})
    return reports


def _gold_reports(repo_root):
    for path in sorted((repo_root / "corpus" / "gold").rglob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        for report in gold["reports"]:
            yield gold["path"], report


def test_titles_parts_and_metadata_match_gold(corpus_reports, repo_root):
    mismatches = []
    n_checked = 0
    for path, gold in _gold_reports(repo_root):
        candidates = [f"{path}#{gold['part']}", f"reports/{path}#{gold['part']}"]
        report = next((corpus_reports[c] for c in candidates if c in corpus_reports), None)
        if report is None:
            mismatches.append((path, gold["part"], "missing"))
            continue
        n_checked += 1
        if gold.get("title") and gold["title"] != report.title:
            mismatches.append((path, "title", gold["title"], report.title))
        for field, value in gold.get("meta", {}).items():
            if getattr(report, field) != value:
                mismatches.append((path, field, value, getattr(report, field)))
    assert n_checked >= 40
    assert mismatches == []
