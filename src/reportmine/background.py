"""Run named jobs in forked processes while this process goes on with its own work.

`write_analysis` uses it to draw the charts and word clouds and write the XLSX workbook while
the main process writes the texts, CSV and Parquet files: on two cores the writing phase then
keeps both busy instead of one.

A forked worker inherits each job together with everything it refers to (the analysis, its
tables, the disk-spool stores), so nothing is pickled on the way out, however large the corpus;
only each job's result, its seconds and the warnings it raised come back. Where processes are not
forked (Windows; macOS, where forking a process that loaded system frameworks is unsafe) or on one
core, a job runs in this process when its result is asked for: the results are the same.
"""
from __future__ import annotations

import multiprocessing
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any

from reportmine.memory import frozen_heap

Job = Callable[[], Any]
# What a worker sends back: the job's result, its seconds, and its warnings (category, message).
_Outcome = tuple[Any, float, list[tuple[type[Warning], str]]]

# The jobs of the pool this worker belongs to, set by `_inherit_jobs` when the worker starts.
_INHERITED_JOBS: dict[str, Job] = {}


def background_workers(n_jobs: int) -> int:
    """Worker processes `BackgroundJobs` would use for `n_jobs` jobs here; 0 means in line.

    One per job, even beyond the cores: a job that is waiting (for a pool of its own, as the
    word clouds do) must not keep another from starting, and the system shares the cores among
    whatever runs. On one core nothing is gained by a second process.
    """
    from reportmine.pipeline import default_workers

    if default_workers() < 2 or _fork_context() is None:
        return 0
    return n_jobs


class BackgroundJobs:
    """Named jobs run by forked worker processes, started at once, while the caller goes on.

    Use as a context manager: leaving it waits for running jobs and drops those not started.
    `result(name)` waits for one job and raises its exception, if any.
    """

    def __init__(self, jobs: Mapping[str, Job], *, workers: int | None = None) -> None:
        """Start `jobs`, in the order given, on `workers` processes (None: `background_workers`,
        one per job; 0: none, each job runs here when its result is asked for)."""
        self._jobs = dict(jobs)
        n_workers = background_workers(len(self._jobs)) if workers is None else workers
        context = _fork_context()
        self._executor: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[_Outcome]] = {}
        if n_workers > 0 and self._jobs and context is not None:
            try:
                # Under fork a worker's initializer arguments are inherited, not pickled: the
                # jobs' closures reach the workers as they are.
                self._executor = ProcessPoolExecutor(
                    max_workers=n_workers, mp_context=context, initializer=_inherit_jobs, initargs=(self._jobs,)
                )
            except (OSError, ImportError):  # no process support here (e.g. no semaphores): in line
                return
            # The workers fork at the first submit. With the objects they inherit frozen, their
            # garbage collections do not visit (and so copy) every page of this process's heap.
            with frozen_heap():
                self._futures = {name: self._executor.submit(_run_inherited_job, name) for name in self._jobs}

    @property
    def in_line(self) -> bool:
        """True when the jobs run in this process, each when its result is asked for."""
        return self._executor is None

    def has(self, name: str) -> bool:
        """True when `name` is one of the jobs."""
        return name in self._jobs

    def result(self, name: str, seconds: dict[str, float] | None = None) -> Any:
        """Wait for job `name` and return its result; its seconds go into `seconds[name]`.

        Warnings the job raised in a worker are raised again here; its exception, if any, too.
        """
        future = self._futures.get(name)
        if future is None:
            value, elapsed = _timed(self._jobs[name])
        else:
            value, elapsed, caught = future.result()
            for category, message in caught:
                warnings.warn(message, category, stacklevel=2)
        if seconds is not None:
            seconds[name] = elapsed
        return value

    def close(self) -> None:
        """Wait for the jobs that are running; those not started yet are dropped."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "BackgroundJobs":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def _fork_context() -> Any:
    """The fork start method where it is available and safe, else None."""
    if sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _inherit_jobs(jobs: Mapping[str, Job]) -> None:
    _INHERITED_JOBS.update(jobs)


def _run_inherited_job(name: str) -> _Outcome:
    with warnings.catch_warnings(record=True) as caught:
        value, elapsed = _timed(_INHERITED_JOBS[name])
    return value, elapsed, [(warning.category, str(warning.message)) for warning in caught]


def _timed(job: Job) -> tuple[Any, float]:
    started = time.perf_counter()
    value = job()
    return value, time.perf_counter() - started


__all__ = ["BackgroundJobs", "background_workers"]
