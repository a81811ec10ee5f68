"""The metric extractor holds its scores on the project's gold (issue 5), measured as CI does:
`reportmine analyze` on the corpus and on the seeds, then the scoring of `reportmine evaluate`."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportmine.evaluation import evaluate, fail_under, parse_thresholds

THRESHOLDS = ("metrics_strict=0.93", "metrics_lenient=0.97")


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reportmine", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", timeout=600)


def _evaluate(out: Path, gold: Path) -> None:
    # the library call behind `reportmine evaluate --fail-under` (its table rendering is not tested here)
    evaluation = evaluate(out, gold)
    failures = fail_under(evaluation, parse_thresholds(list(THRESHOLDS)))
    details = evaluation.details.query("table == 'metrics_strict'")
    assert not failures, "\n".join(failures) + "\n" + details.to_string(max_colwidth=60)


@pytest.fixture(scope="module")
def corpus_run(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Analyse the bundled corpus; return (output folder, gold folder)."""
    corpus, work = repo_root / "corpus", tmp_path_factory.mktemp("corpus")
    flat_gold = sorted((corpus / "gold").glob("*.json"))
    if flat_gold:  # gold paths relative to corpus/reports
        gold = work / "gold"
        gold.mkdir()
        for path in flat_gold:
            shutil.copy(path, gold / path.name)
        meta = work / "meta.csv"
        lines = (corpus / "metadata.csv").read_text(encoding="utf-8-sig").splitlines()
        meta.write_text("\n".join(line.removeprefix("reports/") for line in lines) + "\n", encoding="utf-8")
        source, extra = corpus / "reports", ["--meta", meta]
    else:  # gold paths relative to corpus (corpus/gold/reports/…)
        gold, source, extra = corpus / "gold" / "reports", corpus, []
    out = work / "out"
    result = _run("analyze", source, "-o", out, "--workers", "2", "-q", "--no-pictures", *extra)
    assert result.returncode == 0, result.stderr[-2000:]
    return out, gold


def test_corpus_gold_metrics_scores(corpus_run: tuple[Path, Path]) -> None:
    _evaluate(*corpus_run)


def test_seed_gold_metrics_scores(repo_root: Path, seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "seeds"
    result = _run("analyze", seeds_dir, "-o", out, "-q", "--no-pictures")
    assert result.returncode == 0, result.stderr[-2000:]
    _evaluate(out, repo_root / "corpus" / "gold" / "seeds")
