"""reportmine: evidence-linked tables from Chinese school summary reports (学校工作总结, 校本研修总结).

Library first: every CLI command calls one of these functions, and notebooks call them too.

    >>> import reportmine
    >>> corpus = reportmine.read_corpus("corpus")
    >>> result = reportmine.analyze(corpus)
    >>> result.metrics.head()
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "read_corpus",
    "analyze",
    "analyze_report",
    "nlp",
    "evaluate",
    "kwic",
    "Analysis",
    "Corpus",
    "ReportmineError",
]

_LAZY = {
    "read_corpus": ("reportmine.ingest.corpus", "read_corpus"),
    "Corpus": ("reportmine.ingest.corpus", "Corpus"),
    "analyze": ("reportmine.pipeline", "analyze"),
    "analyze_report": ("reportmine.pipeline", "analyze_report"),
    "Analysis": ("reportmine.pipeline", "Analysis"),
    "nlp": ("reportmine.spacy_ext", "nlp"),
    "evaluate": ("reportmine.evaluation", "evaluate"),
    "kwic": ("reportmine.themes.kwic", "kwic"),
    "ReportmineError": ("reportmine.errors", "ReportmineError"),
}


def __getattr__(name: str) -> Any:
    # Lazy imports keep `import reportmine` and `reportmine --help` fast (spaCy, sklearn are heavy).
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(module_name), attribute)
    raise AttributeError(f"module 'reportmine' has no attribute {name!r}")
