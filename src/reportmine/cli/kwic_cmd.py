"""`reportmine kwic`: keyword-in-context lines for checking a code, topic or number by eye."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from reportmine.cli.common import error_boundary, frame_records, print_frame, print_json


def kwic(
    term: Annotated[str, typer.Argument(help="Word or phrase to find (matched on folded text: full-width and traditional forms match too).")],
    input_path: Annotated[Path, typer.Argument(help="An output folder of `reportmine analyze`, or a folder/file of reports.", metavar="[INPUT]")] = Path("reportmine-out"),
    window: Annotated[int, typer.Option(help="Characters of context on each side.", min=1)] = 20,
    regex: Annotated[bool, typer.Option(help="Treat TERM as a regular expression.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to print (all rows go to --output).", min=1)] = 100,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the lines to this .csv or .xlsx file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Print every occurrence of TERM with its report id, school, year and offset."""
    from reportmine.themes.kwic import kwic as find_kwic

    with error_boundary(debug):
        reports, texts = _reports_and_texts(input_path)
        lines = find_kwic(reports, term, window=window, regex=regex, texts=texts)
        if output is not None:
            _write(lines, output)
    if as_json:
        print_json(frame_records(lines))
    else:
        print_frame(lines, title=f"{term}: {len(lines)} occurrences", limit=limit)


def _reports_and_texts(input_path: Path):
    from reportmine.errors import InputError
    from reportmine.ingest.corpus import read_corpus
    from reportmine.output import read_analysis

    if not input_path.exists():
        raise InputError(f"{input_path} does not exist")
    if input_path.is_dir() and ((input_path / "reports.parquet").exists() or (input_path / "reports.csv").exists()):
        analysis = read_analysis(input_path)
        return analysis.reports, analysis.texts
    return read_corpus(input_path).to_frame(), None


def _write(frame, output: Path) -> None:
    from reportmine.output import write_csv, write_xlsx

    if output.suffix.lower() == ".xlsx":
        write_xlsx({"kwic": frame}, output)
    else:
        write_csv(frame, output)
