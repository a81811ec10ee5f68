"""`reportmine evaluate`: score an output folder against hand-coded gold annotations."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from reportmine.cli.common import error_boundary, print_json, stderr, stdout


def evaluate(
    out: Annotated[Path, typer.Argument(help="Output folder of `reportmine analyze`.")],
    gold: Annotated[Path, typer.Argument(help="Gold folder (all *.json inside, recursively) or one gold file.")],
    fail_under: Annotated[Optional[list[str]], typer.Option(help="Exit 1 when a score is below: `0.9` (every F1) or `metrics_strict=0.93` (one measure); repeatable.")] = None,
    write_to: Annotated[Optional[Path], typer.Option("--write-to", "-o", help="Folder for evaluation_summary/details tables (default: OUT).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Print precision, recall and F1 per table, splitting and metadata accuracy, misses and extras."""
    from reportmine import evaluation as scoring

    with error_boundary(debug):
        evaluation = scoring.evaluate(out, gold)
        evaluation.write(write_to or out)
        thresholds = scoring.parse_thresholds(fail_under or [])
        failing = scoring.fail_under(evaluation, thresholds) if thresholds else []
    if as_json:
        print_json({**evaluation.to_dict(), "failing": failing})
    else:
        scoring.render_evaluation(evaluation, console=stdout)
    for line in failing:
        stderr.print(f"[red]below threshold[/red]: {line}", highlight=False)
    if failing:
        raise typer.Exit(1)
