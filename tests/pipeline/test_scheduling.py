"""Per-report stages give the same tables in process, in a process pool and on a Dask cluster."""
from __future__ import annotations

import shutil
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import reportmine
from reportmine import background, parallel


def _square(value: int) -> int:
    return value * value


@pytest.mark.parametrize("workers", [1, 2])
def test_map_ordered_keeps_task_order(workers: int):
    assert list(parallel.map_ordered(_square, list(range(40)), workers=workers)) == [v * v for v in range(40)]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, seeds_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("small")
    for path in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


def _facts(analysis: reportmine.Analysis) -> dict[str, pd.DataFrame]:
    return {name: analysis.tables()[name] for name in ("reports", "sections", "metrics", "shortcomings", "plans")}


def test_dask_cluster_gives_the_same_tables(small_corpus: Path):
    import distributed
    local = reportmine.analyze(small_corpus, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = reportmine.analyze(small_corpus, scheduler=cluster.scheduler_address)
    for name, table in _facts(local).items():
        pd.testing.assert_frame_equal(table, _facts(remote)[name], check_dtype=False)


def test_process_pool_gives_the_same_tables(small_corpus: Path, tmp_path: Path):
    # Enough files that the pool is really used (fewer run in process).
    for index in range(8):
        for path in small_corpus.glob("*.txt"):
            shutil.copy(path, tmp_path / f"{index}_{path.name}")
    in_process = reportmine.analyze(tmp_path, workers=1)
    pooled = reportmine.analyze(tmp_path, workers=2)
    for name, table in _facts(in_process).items():
        pd.testing.assert_frame_equal(table, _facts(pooled)[name], check_dtype=False)


def test_token_store_round_trips_and_is_a_mapping():
    from reportmine.store import TokenStore

    store = TokenStore({"a#1": ["校本研修", "公开课"], "b#1": []})
    store.add("c#1", ["小班化"])
    assert dict(store) == {"a#1": ["校本研修", "公开课"], "b#1": [], "c#1": ["小班化"]}
    assert store.get("missing", []) == [] and len(store) == 3


@pytest.mark.parametrize("workers", [1, 2])
def test_side_by_side_jobs_give_what_they_give_in_line(workers: int):
    from functools import partial

    jobs = {"sum": partial(sum, [1, 2, 3]), "upper": partial(str.upper, "校本")}
    results = parallel.run_side_by_side(jobs, workers=workers)
    assert {name: value for name, (value, _) in results.items()} == {"sum": 6, "upper": "校本"}
    assert all(seconds >= 0 for _, seconds in results.values())


def _job_pid(label: str) -> tuple[str, int]:
    return label, os.getpid()


def test_jobs_one_at_a_time_each_run_in_a_process_of_their_own():
    from functools import partial

    finished: list[str] = []
    jobs = {"first": partial(_job_pid, "a"), "second": partial(_job_pid, "b")}
    results = parallel.run_one_at_a_time(jobs, after_each=finished.append)
    assert [results[name][0][0] for name in jobs] == ["a", "b"] and finished == ["first", "second"]
    pids = {results[name][0][1] for name in jobs}
    if background._fork_context() is not None:  # forked afresh for each job: its memory leaves with it
        assert len(pids) == 2 and os.getpid() not in pids
    else:
        assert pids == {os.getpid()}


def _failing_job() -> None:
    raise ValueError("no counts")


def test_one_at_a_time_results_come_back_through_a_file_that_is_then_removed(tmp_path: Path):
    import numpy as np

    frame = pd.DataFrame({"report_id": ["r1", "r2"], "weight": np.array([0.25, 0.75])})
    results = parallel.run_one_at_a_time({"table": lambda: frame, "pid": os.getpid}, scratch_dir=tmp_path)
    assert results["table"][0].equals(frame)
    if background._fork_context() is not None:
        assert results["pid"][0] != os.getpid()
    assert list(tmp_path.iterdir()) == []  # each hand-over file went with its job
    with pytest.raises(ValueError, match="no counts"):  # a job's exception reaches the caller
        parallel.run_one_at_a_time({"broken": _failing_job}, scratch_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_large_corpus_mode_gives_the_tables_of_side_by_side_mode(small_corpus: Path, monkeypatch):
    from reportmine import memory
    from reportmine.themes import duplicates

    side_by_side = reportmine.analyze(small_corpus, workers=2)
    # Above this many reports: near-duplicates, then topics, then keywords, each forked alone,
    # and the tokens counted after the workers are done instead of on arrival.
    monkeypatch.setattr(memory, "LARGE_CORPUS_REPORTS", 0)
    # Alone, the near-duplicates' exact check is shared out among the workers when worth it.
    monkeypatch.setattr(duplicates, "_PARALLEL_MIN_PAIRS", 1)
    one_at_a_time = reportmine.analyze(small_corpus, workers=2)
    for name in ("topics", "doc_topics", "keywords", "near_duplicates", "compare_topics", "codes"):
        pd.testing.assert_frame_equal(getattr(one_at_a_time, name), getattr(side_by_side, name))
    assert len(one_at_a_time.keywords) > 0 and {"term_counts", "near_duplicates"} <= set(one_at_a_time.run["timings_seconds"])


def test_corpus_stages_give_the_same_tables_side_by_side(small_corpus: Path):
    # workers=2 runs topics, keywords and near-duplicates in forked processes reading the stores.
    in_line = reportmine.analyze(small_corpus, workers=1)
    side_by_side = reportmine.analyze(small_corpus, workers=2)
    for name in ("topics", "doc_topics", "keywords", "near_duplicates", "compare_topics"):
        pd.testing.assert_frame_equal(getattr(side_by_side, name), getattr(in_line, name))
    assert len(side_by_side.keywords) > 0 and len(side_by_side.topics) > 0


def _record_start(task: tuple[str, int]) -> int:
    folder, index = task
    Path(folder, f"{index}.started").touch()
    return index


def test_pool_runs_only_a_few_batches_ahead_of_a_slow_reader(tmp_path: Path):
    import time

    tasks = [(str(tmp_path), index) for index in range(2000)]
    results = parallel.map_ordered(_record_start, tasks, workers=2)
    assert next(results) == 0
    time.sleep(1.5)  # unbounded submission would have run all 2,000 tasks by now
    started = len(list(tmp_path.glob("*.started")))
    assert started <= (2 * parallel._BATCHES_PER_WORKER + 1) * 32
    assert list(results) == list(range(1, 2000))  # and nothing is lost or reordered


def test_worker_rows_carry_the_metadata_of_their_file(small_corpus: Path):
    from reportmine.pipeline import FileTask, analyze_file, process_file
    from reportmine.tables import TableBuilder

    path = sorted(small_corpus.glob("*.txt"))[0]
    task = FileTask(
        path=str(path), root=str(small_corpus), max_bytes=20_000_000,
        meta_rows={path.name: {"school": "永嘉县桥头镇中心小学", "year": "2019", "district": "永嘉县"}},
    )
    outcome = process_file(task)
    rows = analyze_file(task).rows
    assert len(rows) == len(outcome.results) >= 1
    first = rows[0]
    assert first.report["school"] == "永嘉县桥头镇中心小学" and first.report["year"] == 2019
    assert first.report["school_source"] == "meta" and first.report["district"] == "永嘉县"
    # Every metric row repeats the report's school and year (the table builder fills them in).
    builder = TableBuilder()
    builder.add_rows(first)
    metrics = builder.tables()["metrics"]
    assert len(metrics) == len(outcome.results[0].metrics)
    assert (metrics["school"] == "永嘉县桥头镇中心小学").all() and (metrics["year"] == 2019).all()
    assert first.text_utf8.decode("utf-8") == outcome.results[0].report.text
    assert first.tokens_utf8.decode("utf-8").split("\x1f") == outcome.results[0].tokens


def test_the_pool_gives_the_first_task_result_first(tmp_path: Path):
    # The first task runs before the pool forks (so workers inherit what it loaded): its result
    # still comes first, and every other result in order.
    assert list(parallel._pool_map(_square, list(range(20)), 2)) == [value * value for value in range(20)]


@pytest.mark.parametrize("workers", [1, 2])
def test_side_by_side_jobs_leave_this_process_its_own_work(workers: int):
    # `meanwhile` runs here once while the jobs run elsewhere (or before them, in line); the
    # corpus stages make the comparisons that need no topics that way.
    done: list[str] = []
    results = parallel.run_side_by_side(
        {"nine": lambda: _square(3), "sixteen": lambda: _square(4)}, workers=workers,
        meanwhile=lambda: done.append("compared"),
    )
    assert done == ["compared"]
    assert {name: value for name, (value, _seconds) in results.items()} == {"nine": 9, "sixteen": 16}


def test_warm_up_report_is_analysed_and_leaves_the_segmenter_loaded():
    from reportmine import pipeline
    from reportmine.vocab import resource_path

    pipeline._SEGMENTERS.clear()
    settings = pipeline.AnalyzeOptions(segmenter="jieba")
    pipeline.warm_up(settings)
    assert ("jieba", None) in pipeline._SEGMENTERS
    # The bundled report exercises the rules a real one does (else forked workers compile them).
    sample = resource_path(pipeline.WARM_UP_REPORT)
    outcome = pipeline.process_file(pipeline.FileTask(path=str(sample), root=str(sample.parent), max_bytes=10**6))
    assert outcome.errors == []
    (result,) = outcome.results
    assert {metric.category for metric in result.metrics} >= {"open_lesson", "award", "research_activity"}
    assert result.shortcomings and result.plans


def test_tasks_name_every_file_as_the_walk_does_with_its_metadata_rows():
    from reportmine import pipeline
    from reportmine.ingest.corpus import iter_source_files, relative_path
    from reportmine.ingest.metadata import load_meta_table

    root = Path(__file__).resolve().parents[2] / "corpus"
    settings = pipeline.AnalyzeOptions()
    meta_table, tasks = pipeline._list_inputs(root, settings)
    walked = list(iter_source_files(root))
    assert [task.path for task in tasks] == [str(path) for path in walked]
    assert {task.root for task in tasks} == {str(root)}
    assert meta_table == load_meta_table(root / "metadata.csv")
    for task, path in zip(tasks, walked):
        relpath = relative_path(path, root)
        assert task.meta_rows == {key: row for key, row in meta_table.items() if key.split("#")[0] == relpath}
    assert sum(bool(task.meta_rows) for task in tasks) > 40  # the bundled corpus lists its reports
    # A single file is its own task, keyed by its name, with the folder around it as root.
    (single,) = pipeline._list_inputs(walked[0], settings)[1]
    assert (single.path, single.root) == (str(walked[0]), str(walked[0].parent))
    # The child that lists the files while this process warms up hands over the same tasks.
    assert pipeline._listed_while_warming_up(root, replace(settings, workers=2)) == (meta_table, tasks)


def test_a_bad_metadata_file_read_by_the_listing_child_still_stops_the_run(small_corpus: Path, tmp_path: Path):
    from reportmine.errors import MetadataError

    meta = tmp_path / "meta.csv"
    meta.write_text("school,year\n一中,2023\n", encoding="utf-8")  # no path column
    with pytest.raises(MetadataError):
        reportmine.analyze(small_corpus, workers=2, meta=meta)


def test_while_workers_run_is_called_once_with_the_workers_started(small_corpus: Path, tmp_path: Path):
    import multiprocessing

    for index in range(8):
        for path in small_corpus.glob("*.txt"):
            shutil.copy(path, tmp_path / f"{index}_{path.name}")
    calls = []
    reportmine.analyze(tmp_path, workers=2,
                       while_workers_run=lambda n_inputs: calls.append((n_inputs, len(multiprocessing.active_children()))))
    (n_inputs, n_processes), = calls
    assert n_inputs == 8 * len(list(small_corpus.glob("*.txt"))) and n_processes >= 2  # the two workers were running


def test_prepare_loads_only_the_modules_the_writing_will_use(tmp_path: Path):
    import subprocess
    import sys

    check = ("import sys; from reportmine.output import RunWriter; "
             "RunWriter({out!r}, pictures={pictures}, formats={formats!r}).prepare({n_inputs}); "
             "print([name in sys.modules for name in ('wordcloud', 'matplotlib.figure', 'pyarrow.parquet')])")
    for pictures, formats, n_inputs, expected in ((True, ("csv", "parquet"), 100, [True, True, True]),
                                                  (False, ("csv",), 100, [False, False, False]),
                                                  (True, ("csv", "parquet"), 10**6, [False, False, False])):
        command = check.format(out=str(tmp_path), pictures=pictures, formats=formats, n_inputs=n_inputs)
        shown = subprocess.run([sys.executable, "-c", command], capture_output=True, text=True, check=True).stdout.strip()
        assert shown == str(expected)


def test_a_module_missing_for_prepare_does_not_stop_the_run(tmp_path: Path, monkeypatch):
    import builtins

    from reportmine.output import RunWriter

    real_import = builtins.__import__

    def no_wordcloud(name, *args, **kwargs):
        if name == "wordcloud":
            raise ImportError("no wordcloud here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wordcloud)
    RunWriter(tmp_path, pictures=True).prepare(10)  # the word-cloud job will say what is missing
