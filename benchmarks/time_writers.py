"""Time the picture and HTML writers (charts, word clouds, report.html) on one analysed corpus.

The analysis is built once and pickled (``--cache``), so repeated runs time only the writers,
called the way ``reportmine.output.write_analysis`` calls them.

    python benchmarks/make_corpus.py /tmp/viz_synth --megabytes 15
    python benchmarks/time_writers.py /tmp/viz_synth --cache /tmp/viz_analysis.pkl --repeat 3
    python benchmarks/time_writers.py corpus --cache /tmp/viz_corpus.pkl --profile /tmp/writers.prof
"""
from __future__ import annotations

import argparse
import pickle
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def load_analysis(corpus: Path, cache: Path | None, workers: int) -> object:
    if cache is not None and cache.exists():
        with cache.open("rb") as handle:
            return pickle.load(handle)
    from reportmine.pipeline import analyze

    started = time.perf_counter()
    analysis = analyze(corpus, workers=workers)
    print(f"analyze: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump(analysis, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return analysis


def _cpu() -> float:
    """CPU seconds of this process and its finished children (worker pools)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_writers(analysis: object, out_dir: Path) -> dict[str, float]:
    """Wall seconds of each writer, and its CPU seconds (worker processes included) as cpu_*."""
    from reportmine.viz.charts import write_charts
    from reportmine.viz.html_report import write_html_report
    from reportmine.viz.wordclouds import write_wordclouds

    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, write: Any) -> Any:
        cpu_started, started = _cpu(), time.perf_counter()
        result = write()
        seconds[name], cpu[name] = time.perf_counter() - started, _cpu() - cpu_started
        return result

    charts = timed("charts", lambda: write_charts(analysis, out_dir / "charts"))
    clouds = timed("wordclouds", lambda: write_wordclouds(analysis, out_dir))
    timed("html", lambda: write_html_report(analysis, out_dir / "report.html", charts=charts, wordclouds=clouds))
    seconds["total"] = sum(seconds.values())
    seconds.update({f"cpu_{name}": value for name, value in cpu.items()})
    seconds["cpu_total"] = sum(cpu.values())
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, help="pickle of the analysis (written on first use)")
    parser.add_argument("--workers", type=int, default=2, help="workers for analyze (when not cached)")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each in a fresh folder (first is cold)")
    parser.add_argument("--out", type=Path, help="keep the output of the last run here")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first run here")
    args = parser.parse_args()
    analysis = load_analysis(args.corpus, args.cache, args.workers)
    runs = []
    for index in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            out_dir = args.out if args.out is not None and index == args.repeat - 1 else Path(scratch)
            if args.profile is not None and index == 0:
                import cProfile

                profiler = cProfile.Profile()
                seconds = profiler.runcall(run_writers, analysis, out_dir)
                profiler.dump_stats(args.profile)
            else:
                seconds = run_writers(analysis, out_dir)
        runs.append(seconds)
        print("run %d: " % (index + 1) + "  ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    if len(runs) > 1:
        print("median: " + "  ".join(f"{k} {statistics.median(r[k] for r in runs):.2f} s" for k in runs[0]))


if __name__ == "__main__":
    main()
