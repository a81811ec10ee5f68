"""Shared pieces of the CLI: consoles, the error boundary, output helpers."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from reportmine.errors import GoldError, InputError, MetadataError, ReportmineError

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

# Errors caused by what the user typed or pointed at exit with 2, like typer's usage errors.
_USAGE_ERRORS = (InputError, MetadataError, GoldError)


@contextmanager
def error_boundary(debug: bool) -> Iterator[None]:
    """Turn library exceptions into one red line on stderr and an exit code (2 usage, 1 other)."""
    try:
        yield
    except typer.Exit:
        raise
    except ReportmineError as exc:
        if debug:
            raise
        stderr.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, _USAGE_ERRORS) else 1) from None
    except KeyboardInterrupt:
        stderr.print("[red]interrupted[/red]: tables already written are complete; rerun to finish")
        raise typer.Exit(130) from None


def print_json(payload: Any) -> None:
    """Print machine-readable JSON on stdout."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if pd.isna(value):
        return None
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-friendly dicts (NaN → None)."""
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def print_frame(frame: pd.DataFrame, *, title: str | None = None, limit: int = 50, formatter: Callable[[Any], str] | None = None) -> None:
    """Print a DataFrame as a rich table (first `limit` rows)."""
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    shown = frame.head(limit)
    for row in shown.itertuples(index=False):
        table.add_row(*[(formatter or _cell)(value) for value in row])
    stdout.print(table)
    if len(frame) > limit:
        stdout.print(f"… {len(frame) - limit} more rows", style="dim")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
