"""Where work runs: a per-file function over many tasks (in process, in a process pool, or on a
Dask cluster), and whole corpus jobs side by side or one at a time in forked processes."""
from __future__ import annotations

import functools
import logging
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import islice
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
# Stage announcements ("topics", "writing tables" …): silent unless a caller listens, as the CLI
# does to tell people what a long run is doing after the per-report progress bar.
_stages = logging.getLogger("reportmine.progress")


def announce(stage: str) -> None:
    """Say which stage of a run starts now (on the `reportmine.progress` logger)."""
    _stages.info(stage)

TaskT = TypeVar("TaskT")
ResultT = TypeVar("ResultT")

# Below this many tasks per worker, starting processes (and loading the segmenter dictionary in
# each) costs more than it saves.
_MIN_TASKS_PER_WORKER = 4
_BATCHES_PER_WORKER = 4  # batches submitted ahead per worker: enough to keep every worker busy


def map_ordered(
    function: Callable[[TaskT], ResultT],
    tasks: Sequence[TaskT],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    description: str = "working",
) -> Iterator[ResultT]:
    """Yield `function(task)` for every task, in task order, as results become available.

    Args:
        workers: processes to use (None = all cores, 1 = this process).
        scheduler: address of a Dask distributed scheduler (``tcp://host:port``); when given the
            tasks run on that cluster instead of local processes.
        progress: show a progress bar on stderr (only when stderr is a terminal).
    """
    from reportmine.pipeline import default_workers

    n_workers = default_workers() if workers is None else max(1, workers)
    with _progress_bar(progress, len(tasks), description) as advance:
        if scheduler:
            results = _dask_map(function, tasks, scheduler)
        elif n_workers == 1 or len(tasks) < n_workers * _MIN_TASKS_PER_WORKER:
            results = map(function, tasks)
        else:
            results = _pool_map(function, tasks, n_workers)
        for result in results:
            advance()
            yield result


def _pool_map(function: Callable[[Any], Any], tasks: Sequence[Any], n_workers: int) -> Iterator[Any]:
    # Small batches keep the bar moving; results come back in task order. At most a few batches
    # per worker are in flight: `Executor.map` would submit every task at once, and when this
    # process falls behind the workers (it shares the cores with them) finished results would
    # pile up in memory: 1.4 GB over a 100,000-report run. Now a worker waits instead.
    # The first task runs here, before the pool forks: it loads what every task needs (the
    # segmenter's dictionary, vocabularies, compiled patterns: about a second) once, and forked
    # workers inherit it instead of each loading it again.
    first = function(tasks[0])
    rest = tasks[1:]
    chunksize = max(1, min(32, len(rest) // (n_workers * 8) or 1))
    batches = (rest[start : start + chunksize] for start in range(0, len(rest), chunksize))
    with ProcessPoolExecutor(max_workers=n_workers) as executor:
        in_flight: deque[Any] = deque(
            executor.submit(_run_batch, function, batch) for batch in islice(batches, n_workers * _BATCHES_PER_WORKER)
        )
        yield first
        while in_flight:
            results = in_flight.popleft().result()
            for batch in islice(batches, 1):
                in_flight.append(executor.submit(_run_batch, function, batch))
            yield from results


def _run_batch(function: Callable[[Any], Any], batch: Sequence[Any]) -> list[Any]:
    return [function(task) for task in batch]


def run_side_by_side(
    jobs: Mapping[str, Callable[[], Any]],
    *,
    workers: int | None = None,
    after_each: Callable[[str], None] | None = None,
    meanwhile: Callable[[], Any] | None = None,
) -> dict[str, tuple[Any, float]]:
    """Run independent jobs at once in forked processes; return name → (result, seconds).

    A forked child reads what this process holds (tables, the disk-spool stores) without any
    pickling; only the results travel back (see `reportmine.background`). Where fork is not
    available (Windows; macOS spawns by default) or with fewer than two workers, the jobs run
    here one after another; the results are the same either way. `after_each(name)` runs after
    each job run here (e.g. to release memory). `meanwhile()` runs here once the jobs have
    started (before them when they run here): work of this process that does not need them.
    """
    from reportmine.background import BackgroundJobs, background_workers
    from reportmine.pipeline import default_workers

    n_workers = min(len(jobs), default_workers() if workers is None else max(1, workers))
    n_workers = min(n_workers, background_workers(len(jobs))) if n_workers >= 2 else 0
    results: dict[str, tuple[Any, float]] = {}
    seconds: dict[str, float] = {}
    with BackgroundJobs(jobs, workers=n_workers) as background:
        if meanwhile is not None:
            meanwhile()
        for name in jobs:
            results[name] = (background.result(name, seconds), seconds[name])
            if background.in_line and after_each is not None:
                after_each(name)
    return results


def run_one_at_a_time(
    jobs: Mapping[str, Callable[[], Any]],
    *,
    after_each: Callable[[str], None] | None = None,
    scratch_dir: str | Path | None = None,
) -> dict[str, tuple[Any, float]]:
    """Run jobs one after another, each in a process forked for it; return name → (result, seconds).

    For jobs whose working memory is large next to their result: it leaves with the process, so
    this process grows only by the results, and the next job starts from the same size instead
    of on top of what the heaps kept from the last one. A result comes back through a file in
    `scratch_dir` (default: the system's temporary folder), read once its process has ended:
    through a pipe it would be read here while the job's process still holds its working memory
    and its own copy of the result. Without fork the jobs run here (their results take the same
    way). `after_each(name)` runs here after each job.
    """
    import tempfile

    from reportmine.background import BackgroundJobs

    results: dict[str, tuple[Any, float]] = {}
    seconds: dict[str, float] = {}
    for name, job in jobs.items():
        with tempfile.TemporaryDirectory(dir=scratch_dir) as scratch:
            handover = Path(scratch) / "result.pickle"
            with BackgroundJobs({name: functools.partial(_save_result, job, handover)}, workers=1) as background:
                background.result(name, seconds)
            # Leaving the block waited for the job's process to end.
            results[name] = (_load_result(handover), seconds[name])
        if after_each is not None:
            after_each(name)
    return results


def _save_result(job: Callable[[], Any], path: Path) -> None:
    with path.open("wb") as handle:
        pickle.dump(job(), handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load_result(path: Path) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)


def _dask_map(function: Callable[[Any], Any], tasks: Sequence[Any], scheduler: str) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError as exc:  # an optional extra
        from reportmine.errors import ReportmineError

        raise ReportmineError("--scheduler needs Dask: pip install 'reportmine[dask]'") from exc
    with Client(scheduler) as client:
        futures = client.map(function, list(tasks), pure=False)
        for future in futures:
            yield future.result()
            future.release()


def _progress_bar(enabled: bool, total: int, description: str) -> Any:
    if not enabled or not sys.stderr.isatty():
        return nullcontext(lambda: None)
    return _RichProgress(total, description)


class _RichProgress:
    """A rich progress bar on stderr used as a context manager yielding an `advance()` callable."""

    def __init__(self, total: int, description: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._task = self._progress.add_task(description, total=total)

    def __enter__(self) -> Callable[[], None]:
        self._progress.start()
        return lambda: self._progress.advance(self._task)

    def __exit__(self, *exc_info: Any) -> None:
        self._progress.stop()
