"""Give freed memory back to the operating system between the stages of a run.

A run allocates through three heaps: Python's (small objects), the C library's (numpy, scipy
and large Python objects) and Arrow's (pandas string columns). glibc keeps freed blocks for
reuse and returns little to the system, so a stage that builds and drops a few hundred MB of
temporary objects would leave the process that much larger for the rest of the run, and the
next stage's temporaries (in another heap) would come on top. Trimming after each stage keeps the
resident size near what is actually alive. Where there is no glibc (macOS, Windows, musl) only
Arrow's pool is asked to release.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

# Above this many reports, memory matters more than the second core: the corpus stages and the
# writing jobs run one at a time (each still in a process of its own) instead of side by side.
LARGE_CORPUS_REPORTS = 50_000
# Up to this many reports the per-report tables' CSV and Parquet files are written beside the
# corpus stages (`output.RunWriter.start`). Their Arrow copies then add to the side-by-side
# stages' memory: +14-53 MiB at 20,000 reports (1.3 s faster), +186 MiB at 50,000 (2,015 MiB
# in all), where they are written after the corpus stages instead.
EARLY_TABLE_FILES_MAX_REPORTS = 20_000
# Up to this many inputs the main process imports the writing's modules while the workers run
# (`output.RunWriter.prepare`), for the drawing and writing processes to inherit (a quarter of a
# second sooner at 3,898 reports). They stay in its memory: with them its peak at 100,000
# reports was 1,731 MiB against 1,654 without (1,810 MiB in all against 1,786), and there the
# writing jobs run one after another in one process, so there is nothing to share.
PRELOAD_MAX_INPUTS = 20_000


def release_memory(n_reports: int | None = None) -> None:
    """Collect garbage, then return free heap memory to the system where the platform allows.

    `n_reports` is the size of the run: up to `LARGE_CORPUS_REPORTS` the garbage collection is
    skipped. It visits every object this process holds (0.1–0.3 s at a few thousand reports,
    more than the stage it follows), and what it would free there is tens of MB.
    """
    if n_reports is None or n_reports > LARGE_CORPUS_REPORTS:
        gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except ImportError:  # pyarrow is a dependency; without it there is no Arrow pool to release
        pass


@contextmanager
def frozen_heap(n_reports: int | None = None) -> Iterator[None]:
    """Keep the cyclic garbage collector off every object alive now, until the block ends.

    A full collection visits every object the process holds: in a run's main process each took
    0.1 s at a few thousand reports, freed nothing (what a run keeps, from the imported modules to
    the tables, lives until its end), and wrote to every page it visited, which forked children
    still share, so each page was copied. Frozen objects are still freed when their last reference
    goes; only cycles among them wait until the outermost block ends. A block inside another
    freezes what was made since; only the outermost one unfreezes. For a run of more than
    `LARGE_CORPUS_REPORTS` reports nothing is frozen: there `release_memory` collects garbage
    between stages, which must reach everything.
    """
    if n_reports is not None and n_reports > LARGE_CORPUS_REPORTS:
        yield
        return
    outermost = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if outermost:
            gc.unfreeze()


@contextmanager
def arrow_memory_from_malloc() -> Iterator[None]:
    """Let Arrow (pandas' string columns, table chunks, CSV, Parquet) allocate through the C
    library's malloc until the block ends, instead of its own mimalloc or jemalloc pool.

    Those pools keep the pages they freed for later: after the per-report tables were built in
    Arrow, the main process of a 20,000-report run stayed 50 MB larger than what it held, and a
    100,000-report run peaked 240 MB higher. Through malloc, `release_memory`'s trim gives them
    back. A buffer remembers the pool it came from, so arrays made inside the block may outlive it.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        logger.debug("malloc_trim not available; freed memory stays with the process")
        return None


def peak_rss_mib() -> float | None:
    """The most memory this process has held so far (peak resident set), in MiB; None on Windows.

    Recorded after each stage of a run (run.json ``peak_rss_mib``), it shows which stage set the
    peak: the first stage whose figure is the final one.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS, KiB elsewhere
