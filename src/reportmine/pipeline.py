"""Orchestration: per-report stages (parallel, cached, streaming) then corpus stages → `Analysis`."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pandas as pd

from reportmine import __version__
from reportmine.compiled import compiled_modules
from reportmine.errors import InputError
from reportmine.memory import arrow_memory_from_malloc, frozen_heap, peak_rss_mib
from reportmine.models import ErrorRecord, Report, ReportResult, ReportRows
from reportmine.store import TextStore, TokenStore

if TYPE_CHECKING:
    from reportmine.text.segment import Backend

logger = logging.getLogger(__name__)

TABLE_NAMES: tuple[str, ...] = (
    "reports",
    "sections",
    "metrics",
    "shortcomings",
    "plans",
    "topics",
    "doc_topics",
    "codes",
    "keywords",
    "near_duplicates",
    "compare_metrics",
    "compare_codes",
    "compare_topics",
    "errors",
)

# The tables complete once the per-report stages are done; the corpus stages add the others.
PER_REPORT_TABLES: tuple[str, ...] = ("reports", "sections", "metrics", "shortcomings", "plans", "errors")

FAILURE_STAGES = frozenset({"read", "decode", "split", "analyze"})

WARM_UP_REPORT = "warmup_report.txt"  # a short made-up report in resources/ (see `warm_up`)


@dataclass
class AnalyzeOptions:
    """Options of `analyze`; every field has a default a researcher can start with."""

    workers: int | None = None  # None = all cores; 1 = in this process
    use_cache: bool = True
    cache_dir: Path | None = None  # None = no cache unless the CLI passes OUT/.cache
    segmenter: Backend = "auto"  # checked by text.segment.get_segmenter
    user_dict: Path | None = None
    stopwords: Path | None = None
    codebook: Path | None = None
    n_topics: int | None = None  # None = chosen automatically
    topic_method: Literal["nmf", "lda"] = "nmf"  # checked by themes.topics.TopicModel
    duplicate_threshold: float = 0.5
    max_bytes: int = 20_000_000
    meta: Path | None = None
    pattern: str | None = None
    scheduler: str | None = None  # tcp://host:port of a Dask scheduler
    progress: bool = False
    spool_dir: Path | None = None  # where report texts and tokens wait for the corpus stages (None: temp dir)


@dataclass
class Analysis:
    """All tables of one run as DataFrames, plus report texts, tokens and the run manifest.

    Texts and tokens live in disk-backed stores (`reportmine.store`), not in the `reports`
    table: ``analysis.text(report_id)`` or ``analysis.texts[report_id]`` reads one text.
    """

    reports: pd.DataFrame
    sections: pd.DataFrame
    metrics: pd.DataFrame
    shortcomings: pd.DataFrame
    plans: pd.DataFrame
    topics: pd.DataFrame
    doc_topics: pd.DataFrame
    codes: pd.DataFrame
    keywords: pd.DataFrame
    near_duplicates: pd.DataFrame
    compare_metrics: pd.DataFrame
    compare_codes: pd.DataFrame
    compare_topics: pd.DataFrame
    errors: pd.DataFrame
    tokens: Mapping[str, list[str]] = field(default_factory=TokenStore)  # report_id → content tokens
    run: dict[str, Any] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=TextStore)  # report_id → normalized text

    def __post_init__(self) -> None:
        # A reports frame built by hand (or by `Corpus.to_frame`) may carry the texts as a column.
        if "text" in self.reports.columns:
            if not len(self.texts):
                pairs = zip(self.reports["report_id"], self.reports["text"])
                self.texts = TextStore({report_id: text for report_id, text in pairs if isinstance(text, str)})
            self.reports = self.reports.drop(columns=["text"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the contract tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def text(self, report_id: str) -> str:
        """Return the normalized text of one report (offsets of every table point into it)."""
        return self.texts[report_id]

    def reports_with_text(self) -> pd.DataFrame:
        """The `reports` table with a `text` column (for notebooks: holds every text in memory)."""
        return self.reports.assign(text=[self.texts.get(report_id, "") for report_id in self.reports["report_id"]])

    @property
    def failed(self) -> bool:
        """True when some input could not be analysed (skipped file types do not count)."""
        return bool(self.errors["stage"].isin(FAILURE_STAGES).any()) if len(self.errors) else False

    def write(self, out_dir: Path | str, **options: Any) -> list[Path]:
        """Write tables, texts, pictures and the HTML report (see `reportmine.output.write_analysis`)."""
        from reportmine.output import write_analysis

        return write_analysis(self, Path(out_dir), **options)


# --------------------------------------------------------------------------- per-report stages


def analyze_report(
    report: Report, *, segmenter: Any = None, codebook: Any = None, stopwords: frozenset[str] | None = None
) -> ReportResult:
    """Run every per-report stage on one report.

    Sections with roles, metrics, shortcomings, plans, tokens, codebook counts and the MinHash
    signature used by the near-duplicate search: everything that needs the report's text, so
    corpus stages can run on these results alone.
    """
    from reportmine.collect import signature_values
    from reportmine.extract.metrics import extract_metrics
    from reportmine.structure.headings import parse_sections
    from reportmine.structure.items import extract_plans, extract_shortcomings
    from reportmine.structure.roles import assign_roles
    from reportmine.text.segment import content_tokens, tokenize
    from reportmine.themes.codebook import code_text
    from reportmine.themes.duplicates import minhash_signature

    text = report.text
    sections = assign_roles(parse_sections(text), text)
    words = tokenize(text, segmenter=segmenter)
    return ReportResult(
        report=report,
        sections=sections,
        metrics=extract_metrics(text, sections=sections),
        shortcomings=extract_shortcomings(text, sections),
        plans=extract_plans(text, sections),
        tokens=content_tokens(words, stopwords=stopwords),
        n_tokens=len(words),
        codes=code_text(text, codebook),
        # Bare hash values: a MinHash object takes longer to unpickle in the main process than
        # the rest of the result together.
        signature=signature_values(minhash_signature(text)),
    )


@dataclass
class FileTask:
    """One input file to read and analyse in a worker (plain data, so it pickles everywhere)."""

    path: str
    root: str
    max_bytes: int
    segmenter: Backend = "auto"
    user_dict: str | None = None
    stopwords: str | None = None
    codebook: str | None = None
    cache_dir: str | None = None
    cache_salt: str = ""
    meta_rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # this file's --meta rows ("path", "path#part")
    pattern: str | None = None  # --pattern


@dataclass
class FileOutcome:
    """What one input file produced: analysed reports and/or error rows."""

    results: list[ReportResult]
    errors: list[ErrorRecord]
    from_cache: bool = False


@dataclass
class FileRows:
    """A `FileOutcome` flattened in the worker, metadata applied: what the main process collects."""

    rows: list[ReportRows]
    errors: list[ErrorRecord]
    from_cache: bool = False

    def __reduce__(self) -> tuple[Any, ...]:
        # As `ReportRows`: the constructor's arguments, not a dict of field names per object.
        return (FileRows, (self.rows, self.errors, self.from_cache))


def analyze_file(task: FileTask) -> FileRows:
    """`process_file`, then each report's metadata applied and its records flattened to rows."""
    from reportmine.collect import flatten_result

    outcome = process_file(task)
    rows = [flatten_result(result, meta_table=task.meta_rows, pattern=task.pattern) for result in outcome.results]
    return FileRows(rows, outcome.errors, outcome.from_cache)


def process_file(task: FileTask) -> FileOutcome:
    """Read, split and analyse one file; never raises for bad input (errors become rows)."""
    from reportmine import cache
    from reportmine.ingest.corpus import read_source_file

    path = Path(task.path)
    cache_slot: tuple[Path, str] | None = None  # (folder, key): None without a cache or for an unreadable file
    if task.cache_dir:
        cache_key = cache.file_key(path, task.cache_salt)
        cache_slot = (Path(task.cache_dir), cache_key) if cache_key is not None else None
    if cache_slot is not None:
        cached = cache.load(*cache_slot)
        if cached is not None:
            return FileOutcome(*_rebase(cached, path, Path(task.root)), from_cache=True)
    reports, errors = read_source_file(path, root=Path(task.root), max_bytes=task.max_bytes)
    results: list[ReportResult] = []
    segmenter = _process_segmenter(task.segmenter, task.user_dict)
    codebook = _process_codebook(task.codebook)
    stopwords = _process_stopwords(task.stopwords)
    for report in reports:
        try:
            results.append(analyze_report(report, segmenter=segmenter, codebook=codebook, stopwords=stopwords))
        except Exception as exc:  # one bad report must not stop the run
            logger.exception("analysis failed for %s", report.report_id)
            errors.append(ErrorRecord(report.path, "analyze", f"analysis failed for part {report.part}: {exc!r}"))
            results.append(ReportResult(report=replace(report, status="error")))
    if cache_slot is not None:
        cache.store(*cache_slot, (results, errors))
    return FileOutcome(results, errors)


_SEGMENTERS: dict[tuple[Backend, str | None], Any] = {}


def _process_segmenter(backend: Backend, user_dict: str | None) -> Any:
    # One segmenter per worker process: loading the dictionary costs about a second.
    key = (backend, user_dict)
    if key not in _SEGMENTERS:
        from reportmine.text.segment import get_segmenter

        _SEGMENTERS[key] = get_segmenter(backend, user_dict=Path(user_dict) if user_dict else None)
    return _SEGMENTERS[key]


@lru_cache(maxsize=4)
def _process_stopwords(path: str | None) -> frozenset[str]:
    from reportmine.text.segment import load_stopwords

    return load_stopwords(Path(path) if path else None)


@lru_cache(maxsize=4)
def _process_codebook(path: str | None) -> Any:
    from reportmine.themes.codebook import load_codebook

    return load_codebook(Path(path) if path else None)


def _rebase(
    cached: tuple[list[ReportResult], list[ErrorRecord]], path: Path, root: Path
) -> tuple[list[ReportResult], list[ErrorRecord]]:
    # The cache is keyed by content, so the same bytes under another name are re-labelled here.
    from reportmine.ingest.corpus import relative_path

    relpath = relative_path(path, root)
    results = []
    for result in cached[0]:
        report = replace(result.report, path=relpath, report_id=f"{relpath}#{result.report.part}")
        results.append(replace(result, report=report))
    errors = [replace(error, path=relpath) for error in cached[1]]
    return results, errors


# --------------------------------------------------------------------------- orchestration


def analyze(
    corpus: Any,
    *,
    options: AnalyzeOptions | None = None,
    on_report_tables: Callable[[Analysis], Any] | None = None,
    while_workers_run: Callable[[int], Any] | None = None,
    **option_values: Any,
) -> Analysis:
    """Analyse a folder, a file or a `Corpus` from `read_corpus`, and return every table.

    Args:
        corpus: a path (folder or single file) or a `reportmine.Corpus`.
        options: an `AnalyzeOptions`; keyword arguments override its fields
            (e.g. ``analyze("corpus", workers=2, n_topics=8)``).
        on_report_tables: called with an `Analysis` holding the per-report tables, texts and
            tokens (its corpus tables still empty) before the corpus stages start; the CLI
            starts writing report texts, per-report tables and word clouds there (`output.RunWriter.start`).
        while_workers_run: called once in this process with the number of inputs as the first
            result arrives, while the workers analyse the rest; the CLI imports the drawing
            modules there (`output.RunWriter.prepare`), for the processes it forks later to inherit.
    """
    from reportmine.ingest.corpus import Corpus

    settings = replace(options or AnalyzeOptions(), **option_values)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    root = Path(corpus.root) if isinstance(corpus, Corpus) else Path(corpus)
    if not isinstance(corpus, Corpus) and not root.exists():
        raise InputError(f"input {root} does not exist")
    meta_table, outcomes, n_inputs = _run_per_report(corpus, root, settings)
    # What is alive now (modules, the caller's objects) outlives the run, and what the collection
    # keeps lives until the corpus stages: the garbage collector need not visit either again.
    with frozen_heap(n_inputs), arrow_memory_from_malloc():
        collector = _collector(meta_table, settings, n_inputs)
        for index, outcome in enumerate(outcomes):  # results stream in as workers finish; each leaves memory at once
            collector.add_outcome(outcome)
            if index == 0 and while_workers_run is not None:
                while_workers_run(n_inputs)
        timings["per_report"] = time.perf_counter() - started
        peaks = {"per_report": peak_rss_mib()}
        analysis = _assemble(collector, settings, timings, peaks, on_report_tables)
    analysis.run.update(
        {
            "version": __version__,
            # The rule modules this installation runs compiled (setup.py): same results, faster.
            "compiled_modules": compiled_modules(),
            "input": str(root),
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(settings).items()},
            "counts": {name: int(len(getattr(analysis, name))) for name in TABLE_NAMES},
            "files_from_cache": collector.n_from_cache,
            "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
            # This process's peak resident memory so far, after each stage: the stage where it
            # reaches its final value set the peak.
            "peak_rss_mib": peaks,
        }
    )
    return analysis


def _run_per_report(
    corpus: Any, root: Path, settings: AnalyzeOptions
) -> tuple[dict[str, dict[str, Any]], Iterable[FileOutcome | FileRows], int]:
    """The metadata table, the per-report outcomes (streamed) and the number of inputs (files or reports)."""
    from reportmine.ingest.corpus import Corpus

    if isinstance(corpus, Corpus):
        return _meta_table(root, settings), _analyze_loaded_corpus(corpus, settings), len(corpus.reports)
    meta_table, tasks = _listed_while_warming_up(root, settings)
    return meta_table, _map_tasks(tasks, settings), len(tasks)


def _listed_while_warming_up(root: Path, settings: AnalyzeOptions) -> tuple[dict[str, dict[str, Any]], list[FileTask]]:
    """The metadata table and the file tasks of `root`, with this process warmed up for the
    workers it will fork (`warm_up`).

    Until the workers fork, one core works alone: a forked child lists the files and reads the
    metadata while this process warms up (the workers start a third of a second sooner at 4,000
    files; where processes are not forked, one after the other). With one worker, a Dask cluster
    or a single file nothing is forked here: the first file warms up the process that analyses it.
    """
    from reportmine.background import BackgroundJobs

    if settings.scheduler or (settings.workers or default_workers()) <= 1 or root.is_file():
        return _list_inputs(root, settings)
    with BackgroundJobs({"inputs": partial(_listed, root, settings)}) as listing:
        warm_up(settings)
        meta_table, located = listing.result("inputs")
    return meta_table, _file_tasks(root, located, meta_table, settings)


def _list_inputs(root: Path, settings: AnalyzeOptions) -> tuple[dict[str, dict[str, Any]], list[FileTask]]:
    meta_table, located = _listed(root, settings)
    return meta_table, _file_tasks(root, located, meta_table, settings)


def _listed(root: Path, settings: AnalyzeOptions) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The metadata table and `_source_files`: what the forked child sends back (plain strings
    and dicts; the tasks built from them there took as long again to pickle and unpickle)."""
    return _meta_table(root, settings), _source_files(root)


def warm_up(settings: AnalyzeOptions) -> None:
    """Load what analysing a report needs (the segmenter's dictionary, vocabularies, compiled
    patterns, lazily imported modules: about a second) by analysing a small bundled report
    (`resources/warmup_report.txt`) with `settings`' segmenter, codebook and stop words.

    Workers forked afterwards inherit it all instead of each loading it again.
    """
    from reportmine.vocab import resource_path

    sample = resource_path(WARM_UP_REPORT)
    analyze_file(FileTask(path=str(sample), root=str(sample.parent), max_bytes=settings.max_bytes, **_resource_options(settings)))


class _ResourceOptions(TypedDict):
    """The `FileTask` fields naming the segmenter and the user's files (paths as strings, to pickle)."""

    segmenter: Backend
    user_dict: str | None
    stopwords: str | None
    codebook: str | None


def _resource_options(settings: AnalyzeOptions) -> _ResourceOptions:
    """The `_ResourceOptions` of `settings`."""
    return {
        "segmenter": settings.segmenter,
        "user_dict": str(settings.user_dict) if settings.user_dict else None,
        "stopwords": str(settings.stopwords) if settings.stopwords else None,
        "codebook": str(settings.codebook) if settings.codebook else None,
    }


def _analyze_loaded_corpus(corpus: Any, settings: AnalyzeOptions) -> Iterator[FileOutcome]:
    options = _resource_options(settings)
    segmenter = _process_segmenter(options["segmenter"], options["user_dict"])
    codebook = _process_codebook(options["codebook"])
    stopwords = _process_stopwords(options["stopwords"])
    yield FileOutcome([], list(corpus.errors))
    for report in corpus.reports:
        try:
            result = analyze_report(report, segmenter=segmenter, codebook=codebook, stopwords=stopwords)
            yield FileOutcome([result], [])
        except Exception as exc:  # keep going: the report is listed with its error
            error = ErrorRecord(report.path, "analyze", f"analysis failed for part {report.part}: {exc!r}")
            yield FileOutcome([ReportResult(report=replace(report, status="error"))], [error])


def _source_files(root: Path) -> list[tuple[str, str]]:
    """(path, relative path) of each input file: `root` itself, or every file under the folder
    `root` (`iter_source_files`' order), without a Path object per file (100,000 took seconds)."""
    from reportmine.ingest.corpus import relative_path, source_relpaths

    if root.is_file():
        return [(str(root), relative_path(root, root.parent))]
    folder = str(root)
    return [(os.path.join(folder, relpath.replace("/", os.sep)), relpath) for relpath in source_relpaths(root)]


def _file_tasks(
    root: Path, located: list[tuple[str, str]], meta_table: dict[str, dict[str, Any]], settings: AnalyzeOptions
) -> list[FileTask]:
    """A task per file of `located` (`_source_files(root)`), each with its rows of `meta_table`."""
    from reportmine import cache

    base = root.parent if root.is_file() else root
    cache_dir = str(settings.cache_dir) if (settings.use_cache and settings.cache_dir) else None
    salt = cache.pipeline_salt(settings) if cache_dir else ""
    # Each task carries its own rows of the metadata table: workers apply metadata themselves.
    meta_rows: dict[str, dict[str, dict[str, Any]]] = {}
    for key, row in meta_table.items():
        meta_rows.setdefault(key.split("#")[0], {})[key] = row
    options = _resource_options(settings)
    base_text = str(base)
    return [
        FileTask(
            path=path,
            root=base_text,
            max_bytes=settings.max_bytes,
            **options,
            cache_dir=cache_dir,
            cache_salt=salt,
            meta_rows=meta_rows.get(relpath, {}),
            pattern=settings.pattern,
        )
        for path, relpath in located
    ]


def _map_tasks(tasks: list[FileTask], settings: AnalyzeOptions) -> Iterator[FileRows]:
    from reportmine import parallel

    yield from parallel.map_ordered(
        analyze_file,
        tasks,
        workers=settings.workers,
        scheduler=settings.scheduler,
        progress=settings.progress,
        description="analysing reports",
    )


def _collector(meta_table: dict[str, dict[str, Any]], settings: AnalyzeOptions, n_inputs: int) -> Any:
    from reportmine.collect import ResultCollector
    from reportmine import memory

    # Rows from workers come with their metadata; reports of a loaded `Corpus` get it here.
    # Tokens are counted as they arrive, while the workers run, unless the corpus is so large
    # that the corpus stages run one after another to save memory (then near-duplicates run
    # before the counts exist).
    return ResultCollector(
        meta_table=meta_table, pattern=settings.pattern, spool_dir=settings.spool_dir,
        count_terms=n_inputs <= memory.LARGE_CORPUS_REPORTS, expected_reports=n_inputs,
    )


def _meta_table(root: Path, settings: AnalyzeOptions) -> dict[str, dict[str, Any]]:
    """The --meta table (or INPUT/metadata.csv), keyed by relative path or "path#part"."""
    from reportmine.ingest.corpus import find_meta_file
    from reportmine.ingest.metadata import load_meta_table

    meta_path = settings.meta or find_meta_file(root)
    return load_meta_table(meta_path) if meta_path else {}


# --------------------------------------------------------------------------- tables


def _assemble(
    collector: Any, settings: AnalyzeOptions, timings: dict[str, float], peaks: dict[str, float | None],
    on_report_tables: Callable[[Analysis], Any] | None = None,
) -> Analysis:
    from reportmine.corpus_stages import run_corpus_stages

    started = time.perf_counter()
    tables = collector.tables()
    timings["tables"] = time.perf_counter() - started
    peaks["tables"] = peak_rss_mib()
    with frozen_heap(len(tables["reports"])):  # the tables live until the end of the run
        if on_report_tables is not None:
            on_report_tables(Analysis(
                **{name: tables.get(name, pd.DataFrame()) for name in TABLE_NAMES},
                tokens=collector.tokens, texts=collector.texts,
            ))
        tables.update(
            run_corpus_stages(
                tables,
                collector.tokens,
                settings=settings,
                timings=timings,
                code_counts=collector.code_counts,
                signatures=collector.signatures,
                texts=collector.texts,
                term_counts=collector.term_counts(list(tables["reports"]["report_id"])),
                peaks=peaks,
            )
        )
    peaks["corpus_stages"] = peak_rss_mib()
    return Analysis(**tables, tokens=collector.tokens, texts=collector.texts, run={})


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)

