"""Jobs in forked processes beside the caller's work: results, seconds, errors and warnings come back."""
from __future__ import annotations

import os
import threading
import warnings

import pytest

from reportmine import background
from reportmine.background import BackgroundJobs, background_workers

needs_fork = pytest.mark.skipif(background._fork_context() is None, reason="processes are not forked here")
MODES = [pytest.param(2, id="forked", marks=needs_fork), pytest.param(0, id="in_line")]


def _fail() -> None:
    raise ValueError("no font for this cloud")


def _warn() -> str:
    warnings.warn("a glyph is missing", UserWarning)
    return "drawn"


@pytest.mark.parametrize("workers", MODES)
def test_results_come_back_by_name_with_their_seconds(workers):
    seconds: dict[str, float] = {}
    with BackgroundJobs({"pid": os.getpid, "sum": lambda: sum(range(10))}, workers=workers) as jobs:
        assert jobs.result("sum", seconds) == 45
        ran_in = jobs.result("pid", seconds)
    assert (ran_in == os.getpid()) == (workers == 0)
    assert set(seconds) == {"sum", "pid"} and all(value >= 0 for value in seconds.values())


@pytest.mark.parametrize("workers", MODES)
def test_a_job_error_is_raised_by_result_and_the_others_still_finish(workers):
    with BackgroundJobs({"clouds": _fail, "charts": lambda: "ok"}, workers=workers) as jobs:
        with pytest.raises(ValueError, match="no font"):
            jobs.result("clouds")
        assert jobs.result("charts") == "ok"


@pytest.mark.parametrize("workers", MODES)
def test_warnings_raised_in_a_job_reach_the_caller(workers):
    with BackgroundJobs({"charts": _warn}, workers=workers) as jobs:
        with pytest.warns(UserWarning, match="glyph is missing"):
            assert jobs.result("charts") == "drawn"


@needs_fork
def test_forked_jobs_use_the_callers_objects_without_pickling_them():
    lock = threading.Lock()  # cannot be pickled
    with BackgroundJobs({"locked": lambda: lock.locked()}, workers=1) as jobs:
        assert jobs.result("locked") is False
        assert not jobs.in_line


def test_one_core_runs_the_jobs_in_line(monkeypatch):
    import reportmine.pipeline as pipeline

    monkeypatch.setattr(pipeline, "default_workers", lambda: 1)
    assert background_workers(3) == 0
    with BackgroundJobs({"pid": os.getpid}) as jobs:
        assert jobs.in_line and jobs.result("pid") == os.getpid()


@needs_fork
def test_every_job_has_a_worker_of_its_own(monkeypatch):
    import reportmine.pipeline as pipeline

    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    assert [background_workers(n) for n in (0, 1, 2, 3)] == [0, 1, 2, 3]


def test_without_process_support_the_jobs_run_in_line(monkeypatch):
    def no_semaphores(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(background, "ProcessPoolExecutor", no_semaphores)
    with BackgroundJobs({"pid": os.getpid}, workers=2) as jobs:
        assert jobs.in_line and jobs.result("pid") == os.getpid()
