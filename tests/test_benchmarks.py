"""The benchmark scripts: the synthetic corpus they time and the figures they report."""
from __future__ import annotations

import csv
import importlib.util
import json
import logging
import math
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_corpus() -> ModuleType:
    return _script("make_corpus")


@pytest.fixture(scope="module")
def small_corpus(make_corpus: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "corpus"
    assert make_corpus.main([str(folder), "--reports", "12"]) == 0
    return folder


def test_make_corpus_is_deterministic_and_lists_every_report(
    make_corpus: ModuleType, small_corpus: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    make_corpus.main([str(again), "--reports", "12"])
    reports = sorted(path.relative_to(small_corpus).as_posix() for path in small_corpus.rglob("*.txt"))
    assert len(reports) == 12
    assert all((small_corpus / name).read_bytes() == (again / name).read_bytes() for name in reports)
    with (small_corpus / "metadata.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["path"] for row in rows) == reports
    # Schools and years are renamed in the text itself, as the metadata says.
    first = next(row for row in rows if row["path"].endswith("0000000.txt"))
    assert (first["school"], first["year"]) == ("第1实验小学", "2016")
    assert "第1实验小学" in (small_corpus / first["path"]).read_text(encoding="utf-8")


def test_make_corpus_stops_at_the_size_asked(make_corpus: ModuleType, tmp_path: Path) -> None:
    make_corpus.main([str(tmp_path / "sized"), "--megabytes", "0.05"])
    sizes = [path.stat().st_size for path in (tmp_path / "sized").rglob("*.txt")]
    # It stops with the first report that reaches the size: at most one report beyond it.
    assert sum(sizes) >= 50_000 and sum(sizes) - max(sizes) < 50_000


def test_make_corpus_lists_reports_in_the_order_made_so_a_prefix_is_the_smaller_corpus(
    make_corpus: ModuleType, tmp_path: Path
) -> None:
    # What the scaling benchmark relies on: the first n rows of metadata.csv are the corpus of n.
    make_corpus.main([str(tmp_path / "big"), "--reports", "60", "--swap-share", "1"])
    make_corpus.main([str(tmp_path / "small"), "--reports", "50", "--swap-share", "1"])
    big = pd.read_csv(tmp_path / "big" / "metadata.csv", dtype=str)
    small = pd.read_csv(tmp_path / "small" / "metadata.csv", dtype=str)
    assert big.iloc[:50].equals(small)
    assert [path.split("/")[-1] for path in big["path"]] == [f"{index:07d}.txt" for index in range(60)]
    # The prefix holds the same texts, the straight copy (the 50th report) included.
    assert all((tmp_path / "big" / path).read_bytes() == (tmp_path / "small" / path).read_bytes() for path in small["path"])


def _long_lines(text: str) -> list[str]:
    """The paragraphs make_corpus may swap (40 characters or more), school names and years blanked."""
    blanked = re.sub(r"20[12]\d", "YEAR", re.sub(r"第\d+实验小学", "SCHOOL", text))
    return [line for line in blanked.split("\n")[1:] if len(line) >= 40]


def test_make_corpus_swap_share_sets_how_alike_reports_of_one_template_are(make_corpus: ModuleType, tmp_path: Path) -> None:
    # Two templates: reports 0 and 2 are made from the first, 1 and 3 from the second.
    texts = {}
    for share in ("0", "1"):
        folder = tmp_path / f"swap{share}"
        assert make_corpus.main([str(folder), "--reports", "4", "--templates", "2", "--swap-share", share]) == 0
        texts[share] = [(folder / f"school_{i + 1:03d}" / f"{i:07d}.txt").read_text(encoding="utf-8") for i in range(4)]
    kept, swapped = texts["0"], texts["1"]
    # Nothing swapped: two reports of a template hold the same paragraphs; the two templates differ.
    assert _long_lines(kept[0]) == _long_lines(kept[2]) and _long_lines(kept[0]) != _long_lines(kept[1])
    # Everything swapped: the paragraphs are drawn from both templates' pool, not kept in place.
    assert _long_lines(swapped[0]) != _long_lines(swapped[2])
    assert set(_long_lines(swapped[0])) <= set(_long_lines(kept[0])) | set(_long_lines(kept[1]))
    with pytest.raises(SystemExit):
        make_corpus.main([str(tmp_path / "bad"), "--reports", "2", "--swap-share", "1.5"])


@pytest.mark.slow
def test_benchmark_times_a_run_and_samples_memory_in_another(small_corpus: Path, tmp_path: Path) -> None:
    run_benchmark = _script("run_benchmark")
    figures_path = tmp_path / "figures.json"
    out = tmp_path / "out"
    code = run_benchmark.main([
        str(small_corpus), "--workers", "1", "--no-pictures", "--out", str(out), "--json", str(figures_path),
    ])
    assert code == 0
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert (figures["files"], figures["reports"], figures["memory_sampled"]) == (12, 12, "separate")
    assert figures["analyze_seconds"] > 0 and figures["analyze_reports_per_s"] > 0
    # The memory comes from a second run of its own: both outputs are there, with the same tables.
    assert figures["peak_memory_mib"] > 50 and figures["peak_main_rss_mib"] > 50
    timed, sampled = (json.loads((out / name / "run.json").read_text(encoding="utf-8")) for name in ("timed", "sampled"))
    assert timed["counts"] == sampled["counts"] and timed["counts"]["reports"] == 12
    assert set(figures["stage_seconds"]) >= {"per_report", "topics", "near_duplicates", "compare"}
    assert figures["compiled_modules"] == len(timed["compiled_modules"])  # the run is this installation's
    # How fast files are created where the output went (one text file per report is written there).
    assert figures["output_folder"] == str(out) and figures["file_create_ms"] > 0
    # The plain jieba loop over the same files, and the ratio the README's target is about
    # (analyze / loop: 12 reports segment in a blink, while analyze starts processes and writes).
    assert figures["jieba_loop_seconds"] >= 0 and figures["jieba_loop_mb_per_s"] > 0
    assert figures["analyze_vs_jieba_loop"] > 1
    # The CPU both took: the run's includes its processes (here one, plus its writers).
    assert figures["analyze_cpu_seconds"] > 0 and figures["analyze_cores_busy"] > 0
    assert figures["jieba_loop_cpu_seconds"] >= 0 and figures["analyze_cpu_vs_jieba_loop_cpu"] > 1
    # Both targets are held against this run, neither at the size it names.
    targets = figures["targets"]
    assert targets["half_of_jieba_loop"] == {"target": 0.5, "measured": figures["analyze_vs_jieba_loop"],
                                             "met": False, "at_target_size": False}
    assert targets["peak_memory_under_2_gib"]["measured"] == figures["peak_memory_mib"]
    assert (targets["peak_memory_under_2_gib"]["met"], targets["peak_memory_under_2_gib"]["at_target_size"]) == (True, False)


@pytest.mark.slow
def test_benchmark_without_memory_sampling_runs_once(small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_benchmark = _script("run_benchmark")
    out = tmp_path / "out"
    run_benchmark.main([str(small_corpus), "--workers", "1", "--skip-baseline", "--no-pictures", "--out", str(out),
                        "--memory", "skip"])
    figures = json.loads(capsys.readouterr().out)
    assert figures["peak_memory_mib"] is None and figures["memory_sampled"] == "skip"
    assert (out / "timed" / "run.json").exists() and not (out / "sampled").exists()
    assert "jieba_loop_seconds" not in figures
    assert figures["targets"] == {}  # neither the loop nor the memory was measured



@pytest.mark.slow
def test_repeated_benchmark_alternates_runs_and_reports_medians(small_corpus: Path, tmp_path: Path) -> None:
    run_benchmark = _script("run_benchmark")
    out, figures_path = tmp_path / "out", tmp_path / "figures.json"
    run_benchmark.main([str(small_corpus), "--workers", "1", "--no-pictures", "--out", str(out), "--memory", "skip",
                        "--repeat", "3", "--json", str(figures_path)])
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    # Three timed runs, each in a folder of its own, each followed by the jieba loop.
    assert all((out / name / "run.json").exists() for name in ("timed", "timed-2", "timed-3"))
    each, loops, ratios = (figures[key] for key in ("analyze_seconds_each", "jieba_loop_seconds_each", "analyze_vs_jieba_loop_each"))
    assert len(each) == len(loops) == len(ratios) == 3
    assert figures["analyze_seconds"] == sorted(each)[1]
    # The ratio is the median of each run's ratio to the loop right after it (12 small reports:
    # analyze starts processes and writes every file, the loop only segments).
    assert all(ratio > 1 for ratio in ratios) and figures["analyze_vs_jieba_loop"] == sorted(ratios)[1]
    assert len(figures["analyze_cpu_seconds_each"]) == len(figures["jieba_loop_cpu_seconds_each"]) == 3
    assert figures["analyze_cpu_seconds"] == sorted(figures["analyze_cpu_seconds_each"])[1]


def test_cpu_figures_are_medians_of_each_run_and_its_loop() -> None:
    run_benchmark = _script("run_benchmark")
    Timing = run_benchmark.Timing
    runs = [Timing(10.0, 18.0), Timing(12.0, 19.0), Timing(20.0, 20.0)]
    loops = [Timing(30.0, 29.0), Timing(30.0, 19.0), Timing(25.0, 25.0)]
    figures = run_benchmark.cpu_figures(runs, loops)
    assert figures["analyze_cpu_seconds"] == 19.0 and figures["jieba_loop_cpu_seconds"] == 25.0
    # Cores busy 1.8, 1.58, 1.0; CPU ratios 0.621, 1.0, 0.8: the median of each run's own.
    assert figures["analyze_cores_busy"] == 1.58 and figures["analyze_cpu_vs_jieba_loop_cpu"] == 0.8
    assert figures["analyze_cpu_seconds_each"] == [18.0, 19.0, 20.0]
    # Without a loop there is no ratio; where the CPU time is not known, no CPU figures at all.
    assert "analyze_cpu_vs_jieba_loop_cpu" not in run_benchmark.cpu_figures(runs, [])
    assert "analyze_cpu_vs_jieba_loop_cpu" not in run_benchmark.cpu_figures(runs[:1], [Timing(0.001, 0.0)])
    assert run_benchmark.cpu_figures([Timing(10.0, None)], loops[:1]) == {}


@pytest.mark.parametrize(("megabytes", "reports", "ratio", "peak", "met", "at_size"), [
    (15.0, 3898, 0.5, 801, (True, True), (True, False)),  # the ratio target is "at most half"
    (15.04, 3898, 0.534, None, (False,), (True,)),
    (76.9, 20000, 0.501, 1162, (False, True), (False, False)),
    (384.7, 100_000, None, 2048, (False,), (True,)),  # "under 2 GiB": 2,048 MiB is not
    (384.7, 100_000, None, 1845, (True,), (True,)),
])
def test_targets_are_held_against_the_figures_measured(megabytes, reports, ratio, peak, met, at_size) -> None:
    run_benchmark = _script("run_benchmark")
    figures = {"megabytes": megabytes, "reports": reports, "peak_memory_mib": peak}
    if ratio is not None:
        figures["analyze_vs_jieba_loop"] = ratio
    targets = run_benchmark.target_figures(figures)
    assert tuple(target["met"] for target in targets.values()) == met
    assert tuple(target["at_target_size"] for target in targets.values()) == at_size


def test_memory_sweep_during_which_a_process_ended_is_dropped(monkeypatch) -> None:
    # A parent with two children that sleep: a sweep counts all three; a sweep during which one
    # child ends (killed once the first child was read) would count its shared pages twice.
    import subprocess
    import sys
    import time

    import psutil

    run_benchmark = _script("run_benchmark")
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time\n"
        "children = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']) for _ in range(2)]\n"
        "time.sleep(60)\n"
    )])
    try:
        deadline = time.monotonic() + 30
        while len(psutil.Process(parent.pid).children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        memory = run_benchmark.PeakMemory(parent.pid)
        whole = memory.sweep()
        assert whole is not None and whole > 3 * 1_000_000
        ending = psutil.Process(parent.pid).children()[0]
        read = run_benchmark.PeakMemory._proportional

        def reading_then_ending(process):
            size = read(process)
            if process.pid == ending.pid:  # read, then it ends before the sweep is over
                ending.kill()
                while time.monotonic() < deadline and ending.status() != psutil.STATUS_ZOMBIE:
                    time.sleep(0.01)  # its parent does not wait for it: it stays a zombie
            return size

        monkeypatch.setattr(run_benchmark.PeakMemory, "_proportional", staticmethod(reading_then_ending))
        assert memory.sweep() is None
        monkeypatch.setattr(run_benchmark.PeakMemory, "_proportional", staticmethod(read))
        # Ended before the next sweep (a zombie its parent has not waited for): left out.
        after = memory.sweep()
        assert after is not None and after < whole
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()


def test_file_create_probe_creates_its_files_in_a_subfolder_and_keeps_them(tmp_path: Path) -> None:
    run_benchmark = _script("run_benchmark")
    milliseconds = run_benchmark.file_create_ms(tmp_path, n_files=20)
    (probe,) = tmp_path.iterdir()
    assert probe.name.startswith("create-probe-") and len(list(probe.iterdir())) == 20
    assert 0 < milliseconds < 1000


def test_growth_exponents_compare_each_stage_with_n_log_n() -> None:
    scale = _script("scale_corpus_stages")
    assert scale.growth_exponent((1000, 2000), (1.0, 2.0)) == pytest.approx(1.0)
    assert scale.growth_exponent((1000, 2000), (1.0, 4.0)) == pytest.approx(2.0)
    assert scale.growth_exponent((1000, 2000), (0.0, 1.0)) is None  # too quick to measure
    # 2000·ln 2000 / (1000·ln 1000) = 2.2: n log n grows a little faster than n.
    assert scale.n_log_n_exponent((1000, 2000)) == pytest.approx(1.0 + math.log(math.log(2000) / math.log(1000)) / math.log(2))
    figures = scale.scaling_figures([1000, 2000, 4000], {"linear": [1.0, 2.0, 4.0], "quadratic": [1.0, 4.0, 16.0],
                                                          "noisy linear": [0.8, 2.0, 3.6]})
    assert figures["linear"]["within_n_log_n"] and not figures["quadratic"]["within_n_log_n"]
    assert figures["quadratic"]["exponents"] == [2.0, 2.0] and figures["quadratic"]["fitted_exponent"] == 2.0
    # One quick first measurement: 1.32 from the first size to the second; the fit over all three, 1.08.
    assert figures["noisy linear"]["exponents"][0] > 1.3 and figures["noisy linear"]["within_n_log_n"]
    assert figures["linear"]["microseconds_per_report"] == [1000.0, 1000.0, 1000.0]
    assert len(figures["n_log_n_exponents"]) == 2


def test_scaling_benchmark_keeps_the_rows_of_the_first_reports() -> None:
    scale = _script("scale_corpus_stages")
    analysis = SimpleNamespace(
        reports=pd.DataFrame({"report_id": ["r1", "r2", "r3"], "school": ["甲", "乙", "丙"]}),
        metrics=pd.DataFrame({"report_id": ["r3", "r1", "r1"], "value": [1.0, 2.0, 3.0]}),
        sections=pd.DataFrame({"report_id": ["r2", "r3"]}),
        shortcomings=pd.DataFrame({"report_id": pd.Series([], dtype=str)}),
        plans=pd.DataFrame({"report_id": ["r1"]}),
        errors=pd.DataFrame({"path": ["bad.txt"], "stage": ["decode"]}),  # a file's error: no report to cut
    )
    tables = scale.first_reports(analysis, 2)
    assert list(tables["reports"]["report_id"]) == ["r1", "r2"]
    assert list(tables["metrics"]["value"]) == [2.0, 3.0]
    assert list(tables["sections"]["report_id"]) == ["r2"] and list(tables["plans"]["report_id"]) == ["r1"]
    assert len(tables["errors"]) == 1


def test_scaling_benchmark_takes_the_first_reports_in_metadata_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scale = _script("scale_corpus_stages")
    reports = pd.DataFrame({"report_id": ["a#1", "b#1", "b#2", "c#1", "d#1"],
                            "path": ["s1/a.txt", "s1/b.txt", "s1/b.txt", "s2/c.txt", "s2/d.txt"]})
    # Without a metadata.csv the reports table's order stays.
    assert scale.metadata_order(reports, tmp_path).equals(reports)
    assert "metadata.csv not found" in capsys.readouterr().err
    # Listed as make_corpus writes them (with a ./ and a Windows separator); d.txt is not listed.
    (tmp_path / "metadata.csv").write_text("path,school\ns2/c.txt,乙\n./s1/b.txt,甲\ns1\\a.txt,甲\n", encoding="utf-8")
    ordered = scale.metadata_order(reports, tmp_path)
    assert list(ordered["report_id"]) == ["c#1", "b#1", "b#2", "a#1", "d#1"]
    assert list(ordered.index) == [0, 1, 2, 3, 4]


@pytest.fixture(scope="module")
def seed_copies(seeds_dir: Path) -> dict[str, str]:
    """Two copies of one seed (one word changed in one) and another seed: one pair to find."""
    from reportmine.ingest.corpus import read_corpus

    text, other = [report.text for report in read_corpus(seeds_dir).reports][:2]
    return {"a": text, "b": text.replace("学校", "我校", 1), "c": other}


def test_pair_counts_are_what_the_near_duplicate_stage_logs(seed_copies: dict[str, str]) -> None:
    from reportmine.themes.duplicates import near_duplicates

    scale = _script("scale_corpus_stages")
    texts = seed_copies
    with scale.counted_pairs() as counts:
        found = near_duplicates(pd.DataFrame({"report_id": list(texts)}), texts=texts)
    assert list(zip(found["report_a"], found["report_b"])) == [("a", "b")]
    assert counts.candidates >= counts.checked >= 1
    # Afterwards the stage's logger is as it was: nothing more is counted.
    near_duplicates(pd.DataFrame({"report_id": ["a", "c"]}), texts=texts)
    assert counts.checked >= 1 and not logging.getLogger("reportmine.themes.duplicates").handlers


def test_pair_counts_come_back_from_a_forked_stage(seed_copies: dict[str, str]) -> None:
    # Past memory.LARGE_CORPUS_REPORTS reports the stage runs in a process forked for it
    # (parallel.run_one_at_a_time): its counts must still reach the benchmark.
    from functools import partial

    from reportmine.parallel import run_one_at_a_time
    from reportmine.themes.duplicates import near_duplicates

    scale = _script("scale_corpus_stages")
    texts = {**seed_copies, "d": seed_copies["a"][: len(seed_copies["a"]) // 2]}
    stage = partial(near_duplicates, pd.DataFrame({"report_id": list(texts)}), texts=texts)
    with scale.counted_pairs() as in_line:
        stage()
    with scale.counted_pairs() as forked:
        found = run_one_at_a_time({"near_duplicates": stage})["near_duplicates"][0]
    assert len(found) >= 1
    assert (forked.candidates, forked.checked) == (in_line.candidates, in_line.checked)
    assert forked.checked >= len(found)


@pytest.mark.slow
def test_scaling_benchmark_times_every_corpus_stage_at_each_size(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scale = _script("scale_corpus_stages")
    measured: list[dict[str, float]] = []
    timed = scale.time_corpus_stages

    def recorded(*args: object) -> tuple[dict[str, float], dict[str, int]]:
        timings, pairs = timed(*args)
        measured.append(timings)
        return timings, pairs

    monkeypatch.setattr(scale, "time_corpus_stages", recorded)
    figures_path = tmp_path / "scale.json"
    assert scale.main([str(small_corpus), "--sizes", "12,6", "--workers", "1", "--repeat", "2", "--json", str(figures_path)]) == 0
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert figures["sizes"] == [6, 12] and figures["repeat"] == 2 and figures["order"] == "metadata"
    assert figures["near_duplicate_found_per_report"] == [round(n / size, 3) for n, size in zip(figures["near_duplicate_pairs"], (6, 12))]
    assert all(len(figures[f"near_duplicate_{kind}_per_report"]) == 2 for kind in ("candidates", "checked"))
    # Two runs at each size, and each stage keeps its quickest.
    assert len(measured) == 4
    assert figures["topics"]["seconds"] == [round(min(run["topics"] for run in runs), 3) for runs in (measured[:2], measured[2:])]
    assert all(len(figures[stage]["seconds"]) == 2 for stage in scale.STAGES)
    assert all(seconds > 0 for stage in ("topics", "keywords", "compare") for seconds in figures[stage]["seconds"])
    assert len(figures["near_duplicate_pairs"]) == 2
    # More sizes than the folder holds reports is an error, not a silent cut.
    with pytest.raises(SystemExit):
        scale.main([str(small_corpus), "--sizes", "6,13", "--workers", "1"])
