"""Deductive coding: count the codebook's terms and patterns in each report (小班化, 师徒结对 …).

The codebook is a YAML file (``resources/codebook.yaml`` ships with the package, users replace
it): ``code → {description, terms, patterns}``. Terms and text are both folded for matching
(traditional → simplified, full-width → ASCII, same length), so 小班化 also counts 小班化 written
in traditional characters, and the longest term wins where several start at the same place.

    >>> code_text("我校是小班化教育的实验学校，推行分层作业。", load_codebook())
    {'小班化': 1, '分层教学': 1}
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from reportmine.errors import InputError
from reportmine.text.normalize import fold_for_matching
from reportmine.vocab import parse_yaml, resource_path

logger = logging.getLogger(__name__)

CODES_COLUMNS = ["report_id", "code", "count", "per_10k_chars"]


@dataclass(frozen=True)
class Code:
    """One code of the codebook and the expressions that signal it."""

    name: str
    description: str = ""
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """Codes in file order, each with one compiled regex over folded text."""

    codes: tuple[Code, ...]
    _regexes: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        """Return the code names in codebook order."""
        return [code.name for code in self.codes]

    def regex(self, name: str) -> re.Pattern[str]:
        """Return the compiled matcher of code `name`."""
        return self._regexes[name]


def fold(text: str) -> str:
    """Fold `text` for matching (full-width → half-width, traditional → simplified), same length."""
    return fold_for_matching(text)


def _build_regex(code: Code) -> re.Pattern[str]:
    # Longest terms first: the regex alternation takes the first alternative that matches.
    terms = sorted({fold(term) for term in code.terms}, key=lambda term: (-len(term), term))
    alternatives = [re.escape(term) for term in terms] + list(code.patterns)
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


def _parse_code(name: object, entry: object, source: str) -> Code:
    where = f"codebook {source}, code {name!r}"
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"codebook {source}: every code must be a non-empty name, got {name!r}")
    if isinstance(entry, list):  # short form `code: [term, term]`
        entry = {"terms": entry}
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a mapping with description/terms/patterns")
    unknown = set(entry) - {"description", "terms", "patterns"}
    if unknown:
        raise InputError(f"{where}: unknown keys {sorted(unknown)} (allowed: description, terms, patterns)")
    lists = {}
    for key in ("terms", "patterns"):
        values = entry.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) and str(v) for v in values):
            raise InputError(f"{where}: {key} must be a list of non-empty strings")
        lists[key] = tuple(str(value) for value in values)
    if not lists["terms"] and not lists["patterns"]:
        raise InputError(f"{where}: give at least one term or pattern")
    for pattern in lists["patterns"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"{where}: pattern {pattern!r} is not a valid regular expression ({exc})") from exc
    return Code(name.strip(), str(entry.get("description") or ""), lists["terms"], lists["patterns"])


def parse_codebook(data: object, *, source: str = "<data>") -> Codebook:
    """Return a Codebook from parsed YAML data (a mapping code → entry); raise InputError if malformed."""
    if not isinstance(data, dict) or not data:
        raise InputError(f"codebook {source}: expected a non-empty mapping of code → terms")
    codes = tuple(_parse_code(name, entry, source) for name, entry in data.items())
    return Codebook(codes, {code.name: _build_regex(code) for code in codes})


@lru_cache(maxsize=1)
def _default_codebook() -> Codebook:
    return _load_file(resource_path("codebook.yaml"))


def _load_file(path: Path) -> Codebook:
    try:
        data = parse_yaml(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"cannot read codebook {path}: {exc.strerror or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"codebook {path} is not valid UTF-8 YAML: {exc}") from exc
    return parse_codebook(data, source=str(path))


def load_codebook(path: Path | None = None) -> Codebook:
    """Return the shipped codebook, or the one in the YAML file `path`."""
    return _default_codebook() if path is None else _load_file(Path(path))


def code_text(text: str, codebook: Codebook | None = None, *, folded: bool = False) -> dict[str, int]:
    """Return {code: number of hits} for the codes found in `text` (codebook order, counts > 0)."""
    book = codebook or load_codebook()
    matchable = text if folded else fold(text)
    # findall counts the same non-overlapping matches as finditer, without a Match object each.
    counts = {name: len(book.regex(name).findall(matchable)) for name in book.names}
    return {name: count for name, count in counts.items() if count}


def code_reports(reports: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Return the `codes` table: report_id, code, count, per_10k_chars (rows with count > 0 only).

    Args:
        reports: a frame with columns report_id and text.
        codebook: the codebook to apply (default: the shipped one).
    """
    book = codebook or load_codebook()
    counts = []
    for report_id, text in zip(reports["report_id"], reports["text"]):
        text = text if isinstance(text, str) else ""
        counts.append((report_id, len(text), code_text(text, book)))
    return codes_frame(counts)


def codes_frame(counts: Iterable[tuple[str, int, Mapping[str, int]]]) -> pd.DataFrame:
    """Return the `codes` table from (report_id, n_chars, {code: count}) triples computed elsewhere.

    The pipeline counts codes per report in its worker processes and assembles the table here.
    """
    rows = [
        (report_id, code, count, round(count * 10_000 / max(n_chars, 1), 4))
        for report_id, n_chars, code_counts in counts
        for code, count in code_counts.items()
        if count > 0
    ]
    frame = pd.DataFrame(rows, columns=CODES_COLUMNS)
    # Rows follow the input order of reports, then codebook order: deterministic without a sort.
    return frame.astype({"count": "int64", "per_10k_chars": "float64"})


def code_totals(codes: pd.DataFrame) -> Counter[str]:
    """Return the total hits per code over a `codes` table (for quick summaries)."""
    return Counter(dict(codes.groupby("code")["count"].sum().astype(int)))


__all__ = ["Code", "Codebook", "fold", "load_codebook", "parse_codebook", "code_text", "code_reports", "codes_frame", "code_totals", "CODES_COLUMNS"]
