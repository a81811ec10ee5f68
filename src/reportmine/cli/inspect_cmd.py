"""`reportmine inspect`: one file's reports shown as a section tree with roles, items and metrics."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.tree import Tree

from reportmine.cli.common import error_boundary, print_json, stdout
from reportmine.models import ReportResult, record_dict


def inspect(
    file: Annotated[Path, typer.Argument(help="One report file (.txt, .docx, .pdf, .html).")],
    part: Annotated[Optional[int], typer.Option(help="Only this report of a compilation (1-based).", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Show one file's reports for checking by eye: section tree with roles, shortcomings, plans, metrics."""
    from reportmine.errors import InputError
    from reportmine.ingest.corpus import read_source_file
    from reportmine.pipeline import analyze_report

    with error_boundary(debug):
        if not file.is_file():
            raise InputError(f"{file} is not a file")
        reports, errors = read_source_file(file, root=file.parent, max_bytes=200_000_000)
        if not reports:
            raise InputError(errors[0].error if errors else f"{file}: no report found")
        chosen = [report for report in reports if part is None or report.part == part]
        if not chosen:
            raise InputError(f"{file} holds {len(reports)} report(s); there is no part {part}")
        results = [analyze_report(report) for report in chosen]
    if as_json:
        print_json([_result_dict(result) for result in results])
        return
    for result in results:
        _render(result)


def _result_dict(result: ReportResult) -> dict[str, Any]:
    report = result.report
    return {
        "report_id": report.report_id,
        "title": report.title,
        "school": report.school,
        "year": report.year,
        "stage": report.stage,
        "n_chars": report.n_chars,
        "sections": [record_dict(section) for section in result.sections],
        "metrics": [record_dict(metric) for metric in result.metrics],
        "shortcomings": [record_dict(item) for item in result.shortcomings],
        "plans": [record_dict(item) for item in result.plans],
    }


def _render(result: ReportResult) -> None:
    report = result.report
    stdout.rule(f"[bold]{report.title}[/bold]  ({report.report_id})")
    stdout.print(f"school: {report.school or '—'}   year: {report.year or '—'}   stage: {report.stage or '—'}   chars: {report.n_chars}", highlight=False)
    stdout.print(_section_tree(result))
    for label, items in (("shortcomings", result.shortcomings), ("plans", result.plans)):
        stdout.print(f"[bold]{label}[/bold] ({len(items)})")
        for item in items:
            category = f" [dim]\\[{item.category}][/dim]" if item.category else ""
            stdout.print(f"  {item.item_no}. {item.text}{category}  [dim]{item.start}–{item.end}[/dim]", highlight=False)
    stdout.print(_metrics_table(result))


def _section_tree(result: ReportResult) -> Tree:
    tree = Tree("[bold]sections[/bold]")
    nodes: dict[str | None, Tree] = {None: tree}
    for section in result.sections:
        parent = nodes.get(section.parent_id, tree)
        label = f"{section.section_id} {section.marker}{section.title}  [cyan]{section.role}[/cyan] [dim]{section.start}–{section.end}[/dim]"
        nodes[section.section_id] = parent.add(label, highlight=False)
    return tree


def _metrics_table(result: ReportResult) -> Table:
    table = Table(title=f"metrics ({len(result.metrics)})", show_lines=False)
    for column in ("category", "value", "level", "period", "grade", "recipient", "evidence"):
        table.add_column(column, overflow="fold")
    for metric in result.metrics:
        value = "" if metric.value is None else f"{metric.value:g}"
        if metric.value_max is not None:
            value += f"–{metric.value_max:g}"
        if metric.approx:
            value += f" ≈{metric.qualifier or ''}"
        period = f"{metric.times_per_period:g}/{metric.period}" if metric.period and metric.times_per_period else (metric.period or "")
        table.add_row(metric.category, value, metric.level, period, metric.grade or "", metric.recipient or "", metric.evidence)
    return table
