"""`reportmine analyze`: read a folder of reports and write every table, picture and the HTML report."""
from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from reportmine.cli.common import error_boundary, print_frame, print_json, stderr, stdout

if TYPE_CHECKING:
    from reportmine.pipeline import Analysis


class Backend(str, Enum):
    auto = "auto"
    jieba = "jieba"
    rjieba = "rjieba"


class TopicMethod(str, Enum):
    nmf = "nmf"
    lda = "lda"


def analyze(
    input_path: Annotated[Path, typer.Argument(help="Folder (read recursively) or single file of reports.", metavar="INPUT")] = Path("corpus"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("reportmine-out"),
    meta: Annotated[Optional[Path], typer.Option(help="CSV/XLSX of metadata keyed by relative `path` (school, year, region/district, stage, extra columns). Default: INPUT/metadata.csv when present.")] = None,
    pattern: Annotated[Optional[str], typer.Option(help='Path template giving metadata, e.g. "{school}/{year}/*".')] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes for per-report stages (default: all cores).", min=1)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-analyse every file instead of reusing OUT/.cache.")] = False,
    max_mb: Annotated[float, typer.Option(help="Files larger than this many MB are listed in errors, not read.")] = 20.0,
    segmenter: Annotated[Backend, typer.Option(help="Word segmenter: auto uses rjieba when installed, else jieba.")] = Backend.auto,
    user_dict: Annotated[Optional[Path], typer.Option(help="Extra jieba dictionary (one word per line, optional frequency).")] = None,
    stopwords: Annotated[Optional[Path], typer.Option(help="Extra stop words (one per line).")] = None,
    codebook: Annotated[Optional[Path], typer.Option(help="Codebook YAML replacing the shipped one.")] = None,
    topics: Annotated[Optional[int], typer.Option(help="Number of topics (default: chosen automatically).", min=1)] = None,
    topic_method: Annotated[TopicMethod, typer.Option(help="Topic model.")] = TopicMethod.nmf,
    font: Annotated[Optional[Path], typer.Option(help="CJK font file for word clouds and charts (default: the bundled one).")] = None,
    pictures: Annotated[bool, typer.Option("--pictures/--no-pictures", help="Draw word clouds and charts.")] = True,
    svg: Annotated[bool, typer.Option("--svg", help="Also save each chart as SVG (vector, for papers); PNG always.")] = False,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address (tcp://HOST:PORT) to run per-report stages on a cluster.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Analyse every report under INPUT and write the tables to OUT.

    Writes CSV (UTF-8 with BOM), Parquet and one XLSX workbook per table, the report texts, word
    clouds, charts, report.html and run.json. Exit status: 0 when every input was analysed, 1 when
    some file failed (everything else is still written), 2 for usage errors.
    """
    from reportmine.output import RunWriter
    from reportmine.pipeline import AnalyzeOptions, analyze as run_analysis

    if not quiet:
        _show_stages()
    with error_boundary(debug):
        options = AnalyzeOptions(
            workers=workers,
            use_cache=not no_cache,
            cache_dir=out / ".cache",
            spool_dir=out,  # texts and tokens wait beside the output, not in a RAM-backed /tmp
            segmenter=segmenter.value,
            user_dict=user_dict,
            stopwords=stopwords,
            codebook=codebook,
            n_topics=topics,
            topic_method=topic_method.value,
            max_bytes=int(max_mb * 1_000_000),
            meta=meta,
            pattern=pattern,
            scheduler=scheduler,
            progress=not quiet,
        )
        arguments = {"input": str(input_path), "out": str(out), "meta": str(meta) if meta else None, "pattern": pattern}
        with RunWriter(out, pictures=pictures, font=font, chart_formats=("png", "svg") if svg else ("png",), arguments=arguments) as writer:
            # Report texts, per-report tables and word clouds are written while the corpus stages run.
            analysis = run_analysis(input_path, options=options, on_report_tables=writer.start,
                                    while_workers_run=writer.prepare)
            writer.write(analysis)
    _summarise(analysis, out, quiet=quiet, as_json=as_json)
    if analysis.failed:
        raise typer.Exit(1)


class _StageLines(logging.Handler):
    """Logging handler printing stage announcements as dim lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        stderr.print(f"· {record.getMessage()}", style="dim", highlight=False)


def _show_stages() -> None:
    """Print each stage of the run as a dim line on stderr (the per-report bar shows the rest)."""
    stages = logging.getLogger("reportmine.progress")
    if not any(isinstance(handler, _StageLines) for handler in stages.handlers):
        stages.addHandler(_StageLines())
    stages.setLevel(logging.INFO)
    stages.propagate = False


def _summarise(analysis: Analysis, out: Path, *, quiet: bool, as_json: bool) -> None:
    import pandas as pd

    counts = analysis.run.get("counts", {})
    if as_json:
        print_json({"out": str(out), "counts": counts, "failed": analysis.failed, "timings_seconds": analysis.run.get("timings_seconds", {})})
        return
    if not quiet:
        print_frame(pd.DataFrame({"table": list(counts), "rows": list(counts.values())}), title=f"reportmine → {out}")
    failures = analysis.errors[analysis.errors["stage"] != "skip"] if len(analysis.errors) else analysis.errors
    for row in failures.itertuples(index=False):
        stderr.print(f"[red]failed[/red] {row.path} ({row.stage}): {row.error}", highlight=False)
    if not quiet:
        stdout.print(f"open {out / 'report.html'} for the overview", style="dim")
