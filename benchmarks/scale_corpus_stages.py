"""How the corpus stages grow with the number of reports, against n log n.

The per-report stages run once, on the whole folder (`reportmine.analyze`); then, for each size
n, the corpus stages (term counts, codes, topics, keywords, near-duplicates, comparisons) run on
the first n reports through `corpus_stages.run_corpus_stages` with one worker, so each stage is
timed alone, one after another.

"First" is the order of the folder's `metadata.csv` (`--order metadata`, the default; a folder
without one keeps the reports table's order): `make_corpus.py` lists its reports there in the
order it made them, so the first n are the very corpus `make_corpus.py --reports n` makes, with
the same share of copies. The order of the reports table (`--order table`: by path, so by school
folder) keeps whole schools instead, and a pair of copies from two schools is in the first n
only when both schools are: its pairs grow as n², whatever the corpus. The MinHash signatures
and codebook counts the pipeline's workers make per report are made here beforehand, untimed,
from the same texts. With `--repeat N` the stages run N times at each size and each stage keeps
its quickest time: a stage of a fraction of a second is otherwise at the mercy of one slow
moment of the machine.

Between two sizes a stage's growth exponent is log(t₂/t₁) / log(n₂/n₁): 1 is linear, and n log n
gives 1 + log(log n₂ / log n₁) / log(n₂/n₁), about 1.1 at these sizes. Over all sizes the exponent
is the least-squares slope of log t on log n (one slow measurement moves it less than it moves an
exponent between two sizes); a stage "stays within n log n" when that slope is no larger than the
slope of n log n over the same sizes. Near-duplicates also get their time per pair found: their
work grows with the pairs the corpus holds as well as with the reports.

    python benchmarks/make_corpus.py /tmp/synth100k --reports 100000
    python benchmarks/scale_corpus_stages.py /tmp/synth100k --sizes 12500,25000,50000,100000 --repeat 3
"""
from __future__ import annotations

import argparse
import logging
import math
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmark scripts

from run_benchmark import report_figures  # noqa: E402

# Stages of `run_corpus_stages`, as named in its timings (run.json's timings_seconds).
STAGES = ("term_counts", "codes", "topics", "keywords", "near_duplicates", "compare")
PER_REPORT_TABLES = ("sections", "metrics", "shortcomings", "plans", "errors")


def growth_exponent(sizes: tuple[int, int], seconds: tuple[float, float]) -> float | None:
    """log(t₂/t₁) / log(n₂/n₁); None when a time is zero (too quick to measure)."""
    (n_small, n_large), (t_small, t_large) = sizes, seconds
    if t_small <= 0 or t_large <= 0:
        return None
    return math.log(t_large / t_small) / math.log(n_large / n_small)


def n_log_n_exponent(sizes: tuple[int, int]) -> float:
    """The growth exponent of n log n between two sizes (n ≥ 2)."""
    n_small, n_large = sizes
    return growth_exponent(sizes, (n_small * math.log(n_small), n_large * math.log(n_large)))  # type: ignore[return-value]


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """The least-squares slope of log(seconds) on log(size); None when a time is zero."""
    if min(seconds) <= 0:
        return None
    slope, _intercept = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def metadata_order(reports: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """`reports` in the row order of `folder/metadata.csv` (reports it does not list last, in
    their own order); unchanged when the folder has no metadata.csv."""
    listing = folder / "metadata.csv"
    if not listing.is_file():
        print(f"{listing} not found: the reports table's order is used", file=sys.stderr)
        return reports
    rows = pd.read_csv(listing, usecols=["path"], dtype=str, keep_default_na=False)["path"]
    position = pd.Series(np.arange(len(rows)), index=rows.str.replace("\\", "/", regex=False).str.replace(r"^\./", "", regex=True))
    position = position[~position.index.duplicated()]
    order = reports["path"].map(position).fillna(len(rows)).to_numpy()
    return reports.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def first_reports(analysis: Any, n: int) -> dict[str, pd.DataFrame]:
    """The per-report tables of the first `n` reports (in the order of `analysis.reports`)."""
    reports = analysis.reports.iloc[:n].reset_index(drop=True)
    kept = set(reports["report_id"])
    tables = {"reports": reports}
    for name in PER_REPORT_TABLES:
        table = getattr(analysis, name)
        tables[name] = table[table["report_id"].isin(kept)].reset_index(drop=True) if "report_id" in table else table
    return tables


def per_report_inputs(analysis: Any) -> tuple[dict[str, Any], list[tuple[str, int, dict[str, int]]]]:
    """Each report's MinHash signature and codebook counts, as the pipeline's workers make them."""
    from reportmine.themes.codebook import code_text, load_codebook
    from reportmine.themes.duplicates import minhash_signature

    book = load_codebook()
    signatures: dict[str, Any] = {}
    code_counts = []
    for report_id in analysis.reports["report_id"]:
        text = analysis.texts.get(report_id, "")
        signatures[report_id] = minhash_signature(text)
        code_counts.append((report_id, len(text), code_text(text, book)))
    return signatures, code_counts


class PairCounts(logging.Handler):
    """Keeps the candidate pairs and the pairs to check that the near-duplicate stage logs.

    Past `memory.LARGE_CORPUS_REPORTS` reports the stage runs in a process forked for it, where
    a count kept in memory would stay: each count is appended to a file instead (the forked
    process inherits this handler), and `read` takes the last one.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(logging.INFO)
        self.path = path
        self.candidates = self.checked = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("near_duplicates: %d reports, %d candidate pairs"):
            _, candidates, checked = record.args  # type: ignore[misc]
            with self.path.open("a", encoding="utf-8") as counts_file:
                counts_file.write(f"{candidates} {checked}\n")

    def read(self) -> None:
        """Take the last counts written (none: the stage did not run, the counts stay)."""
        counts = self.path.read_text(encoding="utf-8").split() if self.path.exists() else []
        if counts:
            self.candidates, self.checked = int(counts[-2]), int(counts[-1])


@contextmanager
def counted_pairs() -> Iterator[PairCounts]:
    """While the block runs, the near-duplicate stage's counts go to the `PairCounts` given
    (read when the block ends, from this process or one it forked)."""
    stage_logger = logging.getLogger("reportmine.themes.duplicates")
    level = stage_logger.level
    with tempfile.TemporaryDirectory() as scratch:
        counts = PairCounts(Path(scratch) / "pair_counts.txt")
        stage_logger.addHandler(counts)
        stage_logger.setLevel(logging.INFO)
        try:
            yield counts
        finally:
            stage_logger.removeHandler(counts)
            stage_logger.setLevel(level)
            counts.read()


def time_corpus_stages(analysis: Any, n: int, signatures: dict[str, Any],
                       code_counts: list[tuple[str, int, dict[str, int]]]) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds of each corpus stage on the first `n` reports, and the near-duplicate stage's
    candidate pairs, pairs checked and pairs found."""
    from reportmine.corpus_stages import run_corpus_stages
    from reportmine.pipeline import AnalyzeOptions

    tables = first_reports(analysis, n)
    timings: dict[str, float] = {}
    with counted_pairs() as counts:
        out = run_corpus_stages(
            tables, analysis.tokens, settings=AnalyzeOptions(workers=1), timings=timings,
            code_counts=code_counts[:n], signatures=signatures, texts=analysis.texts,
        )
    pairs = {"candidates": counts.candidates, "checked": counts.checked, "found": len(out["near_duplicates"])}
    return {stage: timings.get(stage, 0.0) for stage in STAGES}, pairs


def scaling_figures(sizes: list[int], seconds: dict[str, list[float]]) -> dict[str, Any]:
    """Per stage: seconds at each size, µs per report, exponents between neighbouring sizes, the
    exponent fitted over all sizes and whether it stays within n log n's over the same sizes."""
    steps = list(zip(sizes, sizes[1:]))
    n_log_n = fitted_exponent(sizes, [n * math.log(n) for n in sizes])
    figures: dict[str, Any] = {
        "n_log_n_exponents": [round(n_log_n_exponent(step), 3) for step in steps],
        "n_log_n_fitted_exponent": round(n_log_n, 3),  # type: ignore[arg-type]
    }
    for stage, times in seconds.items():
        exponents = [growth_exponent(step, pair) for step, pair in zip(steps, zip(times, times[1:]))]
        fitted = fitted_exponent(sizes, times)
        figures[stage] = {
            "seconds": [round(value, 3) for value in times],
            "microseconds_per_report": [round(value / n * 1e6, 1) for value, n in zip(times, sizes)],
            "exponents": [None if value is None else round(value, 3) for value in exponents],
            "fitted_exponent": None if fitted is None else round(fitted, 3),
            "within_n_log_n": None if fitted is None else fitted <= n_log_n,  # type: ignore[operator]
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sizes", default="12500,25000,50000,100000", help="numbers of reports, comma-separated")
    parser.add_argument("--workers", type=int, default=None, help="workers of the per-report stages (default: all cores)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the corpus stages at each size; the quickest counts")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--order", choices=("metadata", "table"), default="metadata",
                        help="which reports are the first n: metadata.csv's order (as make_corpus made them) or the reports table's")
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if len(sizes) < 2 or sizes[0] < 2:
        parser.error("give at least two sizes of 2 reports or more")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    from reportmine.pipeline import analyze

    started = time.perf_counter()
    analysis = analyze(args.folder, workers=args.workers, use_cache=False)
    if args.order == "metadata":
        analysis.reports = metadata_order(analysis.reports, args.folder)
    n_reports = len(analysis.reports)
    if sizes[-1] > n_reports:
        parser.error(f"the folder holds {n_reports} reports, fewer than {sizes[-1]}")
    signatures, code_counts = per_report_inputs(analysis)
    prepared = time.perf_counter() - started
    seconds: dict[str, list[float]] = {stage: [] for stage in STAGES}
    pairs: list[dict[str, int]] = []
    for n in sizes:
        runs = [time_corpus_stages(analysis, n, signatures, code_counts) for _ in range(args.repeat)]
        quickest = {stage: min(timings[stage] for timings, _ in runs) for stage in STAGES}
        for stage in STAGES:
            seconds[stage].append(quickest[stage])
        pairs.append(runs[0][1])
        print(f"{n} reports: " + ", ".join(f"{stage} {quickest[stage]:.2f} s" for stage in STAGES), file=sys.stderr)
    figures = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "sizes": sizes,
        "repeat": args.repeat,
        "order": args.order,
        "near_duplicate_pairs": [counted["found"] for counted in pairs],
        # Per report: candidate pairs (at most bands × 64), pairs checked (at most 5), pairs found.
        **{f"near_duplicate_{kind}_per_report": [round(counted[kind] / n, 3) for counted, n in zip(pairs, sizes)]
           for kind in ("candidates", "checked", "found")},
        "near_duplicates_microseconds_per_pair": [
            round(value / max(counted["found"], 1) * 1e6, 1) for value, counted in zip(seconds["near_duplicates"], pairs)],
        "preparation_seconds": round(prepared, 1),
        **scaling_figures(sizes, seconds),
    }
    report_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
