"""End-to-end benchmark: `reportmine analyze` against a plain single-process `jieba.lcut` loop.

Reports MB/s, reports/s, the CPU time of both sides, peak memory (PSS of the analyse process
and its workers, sampled in a second run unless `--memory same`) and the per-stage timings
`analyze` records in run.json, and holds them against the speed targets (`targets`). Figures go
into the README's "Speed and memory" section, their history into benchmarks/RESULTS.md.

    python benchmarks/make_corpus.py /tmp/synth15 --megabytes 15
    python benchmarks/run_benchmark.py /tmp/synth15 --workers 2
"""
from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import psutil


class Timing(NamedTuple):
    """Wall seconds of a piece of work and the CPU seconds (user + system) its processes took
    (None where not known)."""

    seconds: float
    cpu_seconds: float | None


def corpus_size(folder: Path) -> tuple[int, int]:
    """Number of files and total bytes of the .txt files under `folder`."""
    files = sorted(folder.rglob("*.txt"))
    return len(files), sum(path.stat().st_size for path in files)


def jieba_baseline(folder: Path) -> Timing:
    """Time a plain single-process loop needs to read and segment every file with jieba.lcut."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    started, cpu_started = time.perf_counter(), time.process_time()
    for path in sorted(folder.rglob("*.txt")):
        jieba.lcut(path.read_text(encoding="utf-8"))
    return Timing(time.perf_counter() - started, time.process_time() - cpu_started)


def _children_cpu_seconds() -> float | None:
    """CPU seconds of every finished process this one has waited for, with those of their own
    children they waited for (an analyse run's workers, topic model and writers all are); None
    where the operating system does not keep the sum (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakMemory:
    """Sample the memory of a process and all its children until stopped.

    The total is the sum of each process's PSS (proportional set size: a page shared by n
    processes counts 1/n in each), so forked children are not counted twice; RSS sums overcount
    them. Where PSS is not available (not Linux) RSS is summed. The main process's own peak RSS
    is kept too.
    """

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.peak_bytes = 0
        self.peak_main_rss = 0
        self._process = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _proportional(process: psutil.Process) -> int:
        try:
            return process.memory_full_info().pss
        except (AttributeError, psutil.AccessDenied):
            return process.memory_info().rss

    def sweep(self) -> int | None:
        """Bytes of the process and its running children now; None when one ended during the sweep.

        The processes are read one after another. A page that a process which ended meanwhile
        shared with another was counted in part in the one and, read after the end, in full in
        the other: at 100,000 reports such sweeps came out 50–400 MiB above those around them.
        They are dropped; the next sweep is a quarter of a second later. A child that had ended
        before (not waited for yet) holds no memory and is left out.
        """
        try:
            tree = (self._process, *self._process.children(recursive=True))
            processes = [process for process in tree if _alive(process)]
            total = sum(self._proportional(process) for process in processes)
            self.peak_main_rss = max(self.peak_main_rss, self._process.memory_info().rss)
        except psutil.Error:  # one ended before it was read
            return None
        return total if all(map(_alive, processes)) else None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.sweep() or 0)
            time.sleep(self._interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def _alive(process: psutil.Process) -> bool:
    """Whether `process` still runs (an ended child its parent has not waited for yet does not)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# Creating one empty file costs ~0.03 ms on a healthy ext4; a folder where it costs more than this
# slows the run's writing of one text file per report enough to show in its figures.
SLOW_FILE_CREATE_MS = 0.2


def file_create_ms(folder: Path, n_files: int = 500) -> float:
    """Milliseconds to create one empty file in a new subfolder of `folder` (mean of `n_files`).

    The files stay until `folder` goes: deleting them would itself slow the next allocations.
    On this project's machine a subfolder of /tmp took 0.9 ms a file (ext4 in a crowded
    block group after millions of files came and went) and one of /var/tmp 0.04 ms: 3.5 s of
    system CPU for the 15 MB corpus's report texts against 0.2 s.
    """
    probe = Path(tempfile.mkdtemp(prefix="create-probe-", dir=folder))
    started = time.perf_counter()
    for index in range(n_files):
        (probe / f"{index:04d}").touch()
    return (time.perf_counter() - started) / n_files * 1000


def compile_package() -> None:
    """Byte-compile reportmine's modules, as `pip install` does.

    An editable install started with PYTHONDONTWRITEBYTECODE set (as on this project's machine)
    compiles every module from source at each start, about 0.1 s that an installed package
    does not spend.
    """
    import compileall

    import reportmine

    compileall.compile_dir(Path(reportmine.__file__).parent, quiet=1)


class AnalyzeRun(NamedTuple):
    """One `analyze` run: its time (CPU: all its processes), memory peaks (None when not sampled)
    and run.json."""

    timing: Timing
    memory: "PeakMemory | None"
    run: dict


def run_analyze(folder: Path, out: Path, extra: list[str], *, sample_memory: bool = True) -> AnalyzeRun:
    """Run the CLI in a subprocess and wait for it."""
    command = [sys.executable, "-m", "reportmine", "analyze", str(folder), "-o", str(out), "--quiet", "--no-cache", *extra]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    memory = PeakMemory(process.pid) if sample_memory else None
    with memory if memory is not None else contextlib.nullcontext():
        returncode = process.wait()
    seconds = time.perf_counter() - started
    cpu_after = _children_cpu_seconds()
    if returncode not in (0, 1):
        raise SystemExit(f"analyze failed with exit status {returncode}")
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    cpu_seconds = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return AnalyzeRun(Timing(seconds, cpu_seconds), memory, run)


def timed_and_sampled(
    folder: Path, out: Path, extra: list[str], mode: str, *, repeat: int = 1, baseline: bool = True,
) -> tuple[list[Timing], list[Timing], "PeakMemory | None", dict, float]:
    """The timed runs (and the jieba loop after each, unless `baseline` is False) and the memory
    peaks, as `--memory` asks: sampled in a run of their own ("separate"), during the first timed
    run ("same") or not at all ("skip").

    Sampling reads each process's page tables (/proc/PID/smaps_rollup, about 5 ms a process
    with scikit-learn loaded) four times a second: on two cores that is CPU taken from the run
    it measures, so by default the run that is timed is not the one that is sampled.
    First the cost of creating a file in `out` is measured (`file_create_ms`): a run writes one
    text file per report there. Repeated runs alternate with the jieba loop, so that each ratio
    compares two runs made moments apart: on a shared machine the speed of the same code drifts
    by up to 2x within minutes. Each run writes into a folder of its own (timed, timed-2, …).
    Returns the runs' and the loops' times, the memory peaks, the last run.json and the
    file-creation milliseconds.
    """
    analyze_times: list[Timing] = []
    baseline_times: list[Timing] = []
    memory = None
    create_ms = file_create_ms(out)
    if create_ms > SLOW_FILE_CREATE_MS:
        print(f"warning: creating a file in {out} takes {create_ms:.2f} ms (a healthy disk: ~0.03 ms); "
              "the report texts' writing will weigh on the figures: give --out a folder elsewhere",
              file=sys.stderr)
    for index in range(repeat):
        name = "timed" if index == 0 else f"timed-{index + 1}"
        timing, sampled, run = run_analyze(folder, out / name, extra, sample_memory=mode == "same" and index == 0)
        memory = memory or sampled
        analyze_times.append(timing)
        if baseline:
            baseline_times.append(jieba_baseline(folder))
    if mode == "separate":
        memory = run_analyze(folder, out / "sampled", extra).memory
    return analyze_times, baseline_times, memory, run, create_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--no-pictures", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    # Deleting thousands of files makes ext4 allocate new inodes slowly for a few minutes (its
    # allocator skips recently freed ones), which slows the next run's report texts tenfold:
    # to time runs back to back, keep each run's output in a folder of its own.
    parser.add_argument("--out", type=Path, default=None, help="keep the output here (default: a temporary folder, deleted)")
    parser.add_argument("--memory", choices=("separate", "same", "skip"), default="separate",
                        help="sample peak memory in a second run (default), during the timed run, or not at all")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed runs, each followed by the jieba loop; medians are reported (default 1)")
    args = parser.parse_args(argv)

    n_files, n_bytes = corpus_size(args.folder)
    megabytes = n_bytes / 1e6
    extra = ["--workers", str(args.workers)] if args.workers else []
    if args.no_pictures:
        extra.append("--no-pictures")
    compile_package()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    timing = {"mode": args.memory, "repeat": args.repeat, "baseline": not args.skip_baseline}
    with contextlib.ExitStack() as cleanup:
        out = args.out if args.out is not None else Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        out.mkdir(parents=True, exist_ok=True)
        analyze_times, baseline_times, memory, run, create_ms = timed_and_sampled(args.folder, out, extra, **timing)
    analyze_seconds = [timed.seconds for timed in analyze_times]
    baseline_seconds = [timed.seconds for timed in baseline_times]
    seconds = statistics.median(analyze_seconds)
    figures = {
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
        # The rule modules the analysed run had compiled (`pip install .` compiles them; an
        # editable install runs them as Python): the figures depend on it.
        "compiled_modules": len(run.get("compiled_modules", [])),
        "files": n_files,
        "reports": run["counts"]["reports"],
        "megabytes": round(megabytes, 2),
        "analyze_seconds": round(seconds, 2),  # the median of --repeat runs
        "analyze_mb_per_s": round(megabytes / seconds, 2),
        "analyze_reports_per_s": round(run["counts"]["reports"] / seconds, 1),
        "peak_memory_mib": round(memory.peak_bytes / 2**20) if memory else None,  # all processes, PSS
        "peak_main_rss_mib": round(memory.peak_main_rss / 2**20) if memory else None,
        "memory_sampled": args.memory,
        # Where the output went and how fast files are created there (see file_create_ms).
        "output_folder": str(out),  # a temporary one is deleted by now
        "file_create_ms": round(create_ms, 3),
        "stage_seconds": run.get("timings_seconds", {}),
        "write_seconds": run.get("write_seconds", {}),
        # The analyse process's own peak RSS after each stage: where it reaches its final value
        # is the stage that set the peak.
        "main_peak_rss_mib_after": {**run.get("peak_rss_mib", {}), **{
            f"write_{name}": value for name, value in run.get("peak_rss_mib_writing", {}).items()}},
    }
    if args.repeat > 1:
        figures["analyze_seconds_each"] = [round(value, 2) for value in analyze_seconds]
    if baseline_seconds:
        baseline = statistics.median(baseline_seconds)
        figures["jieba_loop_seconds"] = round(baseline, 2)
        figures["jieba_loop_mb_per_s"] = round(megabytes / baseline, 2)
        # The median of the ratios of runs made one after the other, not the ratio of medians.
        ratios = [analyzed / looped for analyzed, looped in zip(analyze_seconds, baseline_seconds)]
        figures["analyze_vs_jieba_loop"] = round(statistics.median(ratios), 3)
        if args.repeat > 1:
            figures["jieba_loop_seconds_each"] = [round(value, 2) for value in baseline_seconds]
            figures["analyze_vs_jieba_loop_each"] = [round(value, 3) for value in ratios]
    figures.update(cpu_figures(analyze_times, baseline_times))
    figures["targets"] = target_figures(figures)
    report_figures(figures, args.json)
    return 0


# The targets of the speed issue on a 2-core machine (README, "Speed and memory").
TARGET_LOOP_RATIO = 0.5  # a run in at most half the time of the plain jieba loop ...
TARGET_LOOP_MEGABYTES = 15  # ... on a corpus of 15 MB
TARGET_PEAK_MIB = 2048  # peak memory under 2 GiB ...
TARGET_PEAK_REPORTS = 100_000  # ... at 100,000 reports


def target_figures(figures: dict) -> dict[str, dict]:
    """Each target the figures can be held against: what it asks, what was measured, whether it
    is met, and whether the corpus is the one the target names (`at_target_size`: the loop
    ratio is stated for 15 MB, the memory for 100,000 reports; on other corpora the verdict is
    only indicative). A target the run did not measure (no jieba loop, no memory) is left out."""
    targets: dict[str, dict] = {}
    if "analyze_vs_jieba_loop" in figures:
        ratio = figures["analyze_vs_jieba_loop"]
        targets["half_of_jieba_loop"] = {
            "target": TARGET_LOOP_RATIO, "measured": ratio, "met": ratio <= TARGET_LOOP_RATIO,
            "at_target_size": round(figures["megabytes"]) == TARGET_LOOP_MEGABYTES,
        }
    if figures.get("peak_memory_mib") is not None:
        peak = figures["peak_memory_mib"]
        targets["peak_memory_under_2_gib"] = {
            "target": TARGET_PEAK_MIB, "measured": peak, "met": peak < TARGET_PEAK_MIB,
            "at_target_size": figures["reports"] >= TARGET_PEAK_REPORTS,
        }
    return targets


def cpu_figures(analyze_times: list[Timing], baseline_times: list[Timing]) -> dict:
    """The CPU side of the runs (medians; each run's too when repeated), where it is known.

    CPU time drifts less than wall time with what else the machine runs, and it says what a
    wall-time target asks: on n cores a run can take at best its CPU seconds / n, so the
    analysis finishes in half the single-core loop's time on two cores only if it needs no
    more CPU than the loop (`analyze_cpu_vs_jieba_loop_cpu` ≤ 1) and keeps both cores busy
    throughout (`analyze_cores_busy` 2).
    """
    analyze_cpu = [timed.cpu_seconds for timed in analyze_times if timed.cpu_seconds is not None]
    baseline_cpu = [timed.cpu_seconds for timed in baseline_times if timed.cpu_seconds is not None]
    if len(analyze_cpu) < len(analyze_times) or len(baseline_cpu) < len(baseline_times):
        return {}
    figures: dict[str, float | list[float]] = {
        "analyze_cpu_seconds": round(statistics.median(analyze_cpu), 2),
        # CPU seconds per wall second: the cores the run kept busy on average.
        "analyze_cores_busy": round(statistics.median(cpu / timed.seconds for cpu, timed in zip(analyze_cpu, analyze_times)), 2),
    }
    if len(analyze_times) > 1:
        figures["analyze_cpu_seconds_each"] = [round(cpu, 2) for cpu in analyze_cpu]
    if baseline_cpu and min(baseline_cpu) > 0:  # an empty folder's loop may take no measurable CPU
        figures["jieba_loop_cpu_seconds"] = round(statistics.median(baseline_cpu), 2)
        figures["analyze_cpu_vs_jieba_loop_cpu"] = round(statistics.median(
            analyzed / looped for analyzed, looped in zip(analyze_cpu, baseline_cpu)), 3)
        if len(baseline_cpu) > 1:
            figures["jieba_loop_cpu_seconds_each"] = [round(cpu, 2) for cpu in baseline_cpu]
    return figures


def report_figures(figures: dict, json_path: Path | None) -> None:
    """Print the figures as JSON, and write them to `json_path` too when given (`--json`)."""
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    print(text)
    if json_path:
        json_path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
