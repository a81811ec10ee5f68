"""Score an analysis output folder against hand-checked gold annotations.

`load_gold` reads and validates gold JSON (docs/annotation.md); `evaluate` compares the tables
written by `reportmine analyze` with it and returns an `Evaluation` (summary and per-document
misses and extras); `fail_under` and `render_evaluation` serve the CLI. The matching rules are
documented in docs/evaluation.md.

    >>> evaluation = evaluate(Path("out-seeds"), Path("corpus/gold/seeds"))
    >>> evaluation.summary.query("table == 'metrics_strict'")

Modules: `gold` (records, loading, schema), `reading` (an output folder's tables and texts),
`matching` (spans, titles, one-to-one pairing), `scorers` (one scorer per table), `scoring`
(`Evaluation`, `evaluate`, thresholds) and `render` (rich tables).
"""
from __future__ import annotations

from reportmine.evaluation.gold import (
    GOLD_GRADES,
    GOLD_LEVELS,
    GOLD_META_KEYS,
    GOLD_PERIODS,
    GOLD_RECIPIENTS,
    GOLD_SCHEMA,
    GOLD_STAGES,
    GoldItem,
    GoldMetric,
    GoldReport,
    GoldSection,
    load_gold,
)
from reportmine.evaluation.matching import STRICT_ATTRIBUTES
from reportmine.evaluation.reading import none_if_missing
from reportmine.evaluation.render import render_evaluation
from reportmine.evaluation.scorers import (
    DETAIL_COLUMNS,
    Scores,
    Tally,
    prf,
    score_items,
    score_metadata,
    score_metrics,
    score_sections,
    score_splitting,
)
from reportmine.evaluation.scoring import (
    ACCURACY_TABLES,
    PRF_TABLES,
    SUMMARY_COLUMNS,
    Evaluation,
    evaluate,
    fail_under,
    parse_thresholds,
    write_evaluation,
)

__all__ = [
    "GOLD_SCHEMA", "GoldItem", "GoldMetric", "GoldReport", "GoldSection", "Evaluation",
    "load_gold", "evaluate", "fail_under", "parse_thresholds", "render_evaluation", "write_evaluation",
    # vocabularies and table layout
    "GOLD_LEVELS", "GOLD_PERIODS", "GOLD_GRADES", "GOLD_RECIPIENTS", "GOLD_STAGES", "GOLD_META_KEYS",
    "PRF_TABLES", "ACCURACY_TABLES", "SUMMARY_COLUMNS", "DETAIL_COLUMNS", "STRICT_ATTRIBUTES",
    # building blocks of `evaluate`
    "Scores", "Tally", "prf", "none_if_missing",
    "score_splitting", "score_metadata", "score_sections", "score_metrics", "score_items",
]
