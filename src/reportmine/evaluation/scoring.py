"""The `Evaluation` of an output folder against gold: `evaluate`, its tables and files, thresholds."""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reportmine.errors import InputError
from reportmine.evaluation.gold import GOLD_META_KEYS, load_gold
from reportmine.evaluation.reading import none_if_missing, read_output_folder
from reportmine.evaluation.scorers import DETAIL_COLUMNS, Scores, Tally, prf, score_report, score_splitting
from reportmine.output import write_csv, write_text_atomic

logger = logging.getLogger(__name__)

# Order of the tables in the summary, the details and the rendering.
PRF_TABLES = ("sections", "metrics_lenient", "metrics_strict", "shortcomings", "plans")
ACCURACY_TABLES = ("splitting", "titles", "metadata")  # + metadata_<key> for each key gold gives
SUMMARY_COLUMNS = ("table", "measure", "value", "tp", "fp", "fn", "n")


@dataclass
class Evaluation:
    """Scores of one output folder against gold.

    Attributes:
        summary: one row per table and measure: table, measure (precision / recall / f1 /
            accuracy), value, tp, fp, fn, n.
        details: the misses and extras behind the numbers, one row each (DETAIL_COLUMNS).
        out_dir: the output folder scored.
        gold: the gold file or folder.
        n_gold_files: gold JSON files (distinct source documents).
        n_gold_reports: gold reports scored.
    """

    summary: pd.DataFrame
    details: pd.DataFrame
    out_dir: str
    gold: str
    n_gold_files: int
    n_gold_reports: int

    def value(self, table: str, measure: str | None = None) -> float:
        """Return one number of the summary; `measure` defaults to the table's headline measure."""
        measure = measure or _headline_measure(table)
        rows = self.summary[(self.summary["table"] == table) & (self.summary["measure"] == measure)]
        if rows.empty:
            raise KeyError(f"{table}.{measure}")
        return float(rows["value"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as JSON-ready data (NaN and NA become null)."""
        return {
            "out_dir": self.out_dir,
            "gold": self.gold,
            "n_gold_files": self.n_gold_files,
            "n_gold_reports": self.n_gold_reports,
            "summary": _json_records(self.summary),
            "details": _json_records(self.details),
        }

    def write(self, out_dir: Path) -> list[Path]:
        """Write evaluation_summary.csv, evaluation_details.csv (UTF-8 BOM) and evaluation.json."""
        out_dir = Path(out_dir)
        paths = [out_dir / "evaluation_summary.csv", out_dir / "evaluation_details.csv", out_dir / "evaluation.json"]
        # CSVs go through the same writer as the contract tables: BOM, formula cells neutralised.
        write_csv(self.summary, paths[0])
        write_csv(self.details, paths[1])
        write_text_atomic(paths[2], json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return paths


def write_evaluation(evaluation: Evaluation, out_dir: Path) -> list[Path]:
    """Write an evaluation's CSV and JSON files into `out_dir` (see `Evaluation.write`)."""
    return evaluation.write(out_dir)


def evaluate(out_dir: Path, gold: Path) -> Evaluation:
    """Score the tables in `out_dir` (written by `reportmine analyze`) against gold.

    Only reports present in gold are scored: a gold report missing from the output counts all
    its entries as misses; output reports without gold are ignored.

    Raises:
        GoldError: the gold breaks the schema.
        InputError: `out_dir` is not an output folder.
    """
    out_dir, gold = Path(out_dir), Path(gold)
    golds = load_gold(gold)
    output = read_output_folder(out_dir)
    scores = Scores()
    score_splitting(scores, golds, output.reports, error_paths=output.error_paths)
    for gold_report in golds:
        score_report(scores, gold_report, output)
    missing = sum(1 for g in golds if g.report_id not in output.reports)
    if missing:
        logger.warning("%d of %d gold reports are missing from %s", missing, len(golds), out_dir)
    return Evaluation(
        summary=_summary_frame(scores),
        details=_details_frame(scores.details),
        out_dir=str(out_dir),
        gold=str(gold),
        n_gold_files=len({g.path for g in golds}),
        n_gold_reports=len(golds),
    )


def _table_order(scores: Scores) -> list[str]:
    metadata_keys = [f"metadata_{key}" for key in GOLD_META_KEYS if f"metadata_{key}" in scores.tallies]
    return [*ACCURACY_TABLES, *metadata_keys, *PRF_TABLES]


def _headline_measure(table: str) -> str:
    return "f1" if table in PRF_TABLES else "accuracy"


def _summary_frame(scores: Scores) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for table in _table_order(scores):
        tally = scores.tallies.get(table, Tally())
        if table in PRF_TABLES:
            precision, recall, f1 = prf(tally.tp, tally.fp, tally.fn)
            for measure, value in (("precision", precision), ("recall", recall), ("f1", f1)):
                rows.append((table, measure, value, tally.tp, tally.fp, tally.fn, tally.tp + tally.fn))
        else:
            accuracy = tally.correct / tally.n if tally.n else math.nan
            rows.append((table, "accuracy", accuracy, tally.correct, None, tally.n - tally.correct, tally.n))
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    for column in ("tp", "fp", "fn", "n"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _details_frame(details: list[dict[str, Any]]) -> pd.DataFrame:
    table_rank = {name: rank for rank, name in enumerate([*ACCURACY_TABLES, *PRF_TABLES])}

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        table = row["table"]
        rank = table_rank.get(table, table_rank["metadata"] + 0.5)  # metadata_<key> after metadata
        start = row["start"] if row["start"] is not None else -1
        return (row["report_id"], rank, table, row["kind"] != "miss", start, str(row["evidence"] or row["text"]))

    frame = pd.DataFrame(sorted(details, key=order), columns=list(DETAIL_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    frame["start"] = frame["start"].astype("Int64")
    return frame


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in frame.astype(object).to_dict("records"):
        records.append({key: _plain(none_if_missing(value)) for key, value in row.items()})
    return records


def _plain(value: Any) -> Any:
    # numpy scalars (int64, float64, bool_) are not JSON serializable; .item() gives the Python value
    return value.item() if hasattr(value, "item") else value


def fail_under(evaluation: Evaluation, thresholds: Mapping[str, float]) -> list[str]:
    """Return a line for every measure below its threshold (empty when all pass).

    Keys name a table (`"metrics_strict"`: its headline measure, f1 or accuracy), a table and
    measure (`"metrics_strict.recall"`), or `"*"` / `"all"` for the headline measure of every
    table. Measures that could not be scored (NaN: nothing annotated) never fail.

    Raises:
        InputError: a key names no table or measure of the summary.
    """
    summary = evaluation.summary
    known = {f"{table}.{measure}" for table, measure in zip(summary["table"], summary["measure"])}
    failing: list[str] = []
    for key, threshold in sorted(thresholds.items()):
        for name in _threshold_targets(key, summary, known):
            table, measure = name.split(".", 1)
            value = evaluation.value(table, measure)
            if math.isnan(value):
                logger.info("%s not scored (nothing annotated); threshold %s ignored", name, threshold)
            elif value < threshold:
                failing.append(f"{name} = {value:.4f} < {threshold:.4f}")
    return list(dict.fromkeys(failing))  # a measure named twice is reported once


def parse_thresholds(values: Iterable[str]) -> dict[str, float]:
    """Return `fail_under` thresholds from CLI values: "0.9" (every table) or "metrics_strict=0.93".

    Raises:
        InputError: a value is not a number between 0 and 1, or not `name=number`.
    """
    thresholds: dict[str, float] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        try:
            threshold = float(number)
        except ValueError:
            threshold = math.nan
        if not 0 <= threshold <= 1:
            raise InputError(f"--fail-under {value!r}: expected a number from 0 to 1, or name=number "
                             "(e.g. metrics_strict=0.9)")
        thresholds[name.strip() or "*"] = threshold
    return thresholds


def _threshold_targets(key: str, summary: pd.DataFrame, known: set[str]) -> list[str]:
    if key in {"*", "all"}:
        tables = list(dict.fromkeys(summary["table"]))
        return [f"{table}.{_headline_measure(table)}" for table in tables]
    name = key if "." in key else f"{key}.{_headline_measure(key)}"
    if name not in known:
        raise InputError(f"unknown measure {key!r}; use one of: *, {', '.join(sorted(known))}")
    return [name]
