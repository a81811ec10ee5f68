"""Rendering an `Evaluation` for people: the summary table, then each document's misses and extras."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from reportmine.evaluation.scoring import Evaluation


def render_evaluation(
    evaluation: Evaluation, *, console: Any, max_documents: int = 20, max_rows_per_document: int = 12,
    max_chars: int = 48,
) -> None:
    """Print the summary table, then the misses and extras of each document (truncated).

    Args:
        evaluation: the result of `evaluate`.
        console: a `rich.console.Console`.
        max_documents: documents whose details are shown (the rest are counted).
        max_rows_per_document: detail rows shown per document (the rest are counted).
        max_chars: longest evidence or item text shown before an ellipsis.
    """
    from rich.text import Text

    console.print(_summary_table(evaluation))
    shown = _details_to_show(evaluation.details)
    if shown.empty:  # a perfect score has no misses or extras to list
        console.print("no misses and no extras")
        return
    documents = list(dict.fromkeys(shown["report_id"]))
    for report_id in documents[:max_documents]:
        rows = shown[shown["report_id"] == report_id]
        console.print(_document_table(report_id, rows, max_rows=max_rows_per_document, max_chars=max_chars))
    if len(documents) > max_documents:
        console.print(Text(f"… {len(documents) - max_documents} more documents with misses or extras"))


def _summary_table(evaluation: Evaluation) -> Any:
    from rich.table import Table

    table = Table(
        title=f"reportmine evaluation: {evaluation.n_gold_reports} gold reports in {evaluation.n_gold_files} files",
        title_justify="left",
    )
    for column in ("table", "precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "n"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, rows in evaluation.summary.groupby("table", sort=False):
        measures = dict(zip(rows["measure"], rows["value"]))
        first = rows.iloc[0]
        table.add_row(
            str(name),
            *(_format_score(measures.get(m)) for m in ("precision", "recall", "f1", "accuracy")),
            *(_format_count(first[c]) for c in ("tp", "fp", "fn", "n")),
        )
    return table


def _details_to_show(details: pd.DataFrame) -> pd.DataFrame:
    # A strict miss or extra that is also a lenient one says nothing new: show only the rows
    # where strict and lenient differ (wrong attributes).
    lenient = details[details["table"] == "metrics_lenient"]
    lenient_keys = set(zip(lenient["report_id"], lenient["kind"], lenient["evidence"], lenient["start"]))
    keys = zip(details["report_id"], details["kind"], details["evidence"], details["start"])
    repeated = [table == "metrics_strict" and key in lenient_keys for table, key in zip(details["table"], keys)]
    return details[[not flag for flag in repeated]]


def _document_table(report_id: str, rows: pd.DataFrame, *, max_rows: int, max_chars: int) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{report_id}: {len(rows)} misses/extras"), title_justify="left")
    for column in ("kind", "table", "fact", "evidence / text", "note"):
        table.add_column(column, overflow="fold")
    for row in rows.head(max_rows).itertuples(index=False):
        table.add_row(
            Text(row.kind, style="red" if row.kind == "miss" else "yellow"),
            Text(row.table),
            Text(_describe_fact(row)),
            Text(_truncate(row.evidence if isinstance(row.evidence, str) else row.text, max_chars)),
            Text(_truncate(row.note, max_chars * 2)),
        )
    if len(rows) > max_rows:
        table.caption = f"… {len(rows) - max_rows} more (see evaluation_details.csv)"
    return table


def _describe_fact(row: Any) -> str:
    if not isinstance(row.category, str):
        return ""
    value = "" if pd.isna(row.value) else f" {row.value:g}"
    level = f" ({row.level})" if isinstance(row.level, str) and row.level != "unknown" else ""
    return f"{row.category}{value}{level}"


def _format_score(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.3f}"


def _format_count(value: Any) -> str:
    return "" if pd.isna(value) else str(int(value))


def _truncate(text: Any, limit: int) -> str:
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
