"""`reportmine compare`: school × year (or district, stage) comparison tables from an output folder."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reportmine.cli.common import error_boundary, frame_records, print_frame, print_json, stdout


class By(str, Enum):
    school = "school"
    year = "year"
    district = "district"
    stage = "stage"


class Which(str, Enum):
    metrics = "metrics"
    codes = "codes"
    topics = "topics"


class Labels(str, Enum):
    en = "en"
    zh = "zh"


# `district` is what researchers call it; the reports table keeps DESIGN.md's name `region`.
_COLUMN_OF = {By.school: "school", By.year: "year", By.district: "region", By.stage: "stage"}


def compare(
    out: Annotated[Path, typer.Argument(help="Output folder of `reportmine analyze`.")] = Path("reportmine-out"),
    by: Annotated[Optional[list[By]], typer.Option(help="Grouping; repeat for a cross table (default: --by school --by year).")] = None,
    table: Annotated[Which, typer.Option(help="What to compare.")] = Which.metrics,
    labels: Annotated[Labels, typer.Option(help="Column headers: en, or zh for tables going into Chinese papers (学校, 年份, 公开课 …).")] = Labels.en,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (.csv or .xlsx); default OUT/compare_<table>_by_<by>.csv and .xlsx.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.", min=1)] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Print a comparison table (with margins) and write it as CSV and XLSX."""
    from reportmine import compare as comparing
    from reportmine.output import read_analysis, write_csv, write_xlsx

    groups = by or [By.school, By.year]
    columns = tuple(_COLUMN_OF[group] for group in groups)
    with error_boundary(debug):
        analysis = read_analysis(out)
        if table is Which.metrics:
            frame = comparing.compare_metrics(analysis.reports, analysis.metrics, by=columns)
        elif table is Which.codes:
            frame = comparing.compare_codes(analysis.reports, analysis.codes, by=columns)
        else:
            frame = comparing.compare_topics(analysis.reports, analysis.doc_topics, analysis.topics, by=columns)
        if labels is Labels.zh:
            frame = comparing.relabel(frame, labels="zh")
        name = f"compare_{table.value}_by_{'_'.join(group.value for group in groups)}"
        targets = [output] if output else [out / f"{name}.csv", out / f"{name}.xlsx"]
        for target in targets:
            if target.suffix.lower() == ".xlsx":
                write_xlsx({name[:31]: frame}, target)
            else:
                write_csv(frame, target)
    if as_json:
        print_json(frame_records(frame))
        return
    print_frame(frame, title=f"{table.value} by {' × '.join(group.value for group in groups)}", limit=limit)
    stdout.print("written: " + ", ".join(str(target) for target in targets), style="dim")
