"""Walk a folder, read every file into reports (or error rows), attach metadata.

Per file: read → normalize_text → strip_boilerplate → split_reports → Report + metadata.
`read_source_file` is a pure per-file function (picklable arguments, no shared state), so the
pipeline can call it in worker processes; `read_corpus` is the simple serial entry point.
"""
from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from reportmine.errors import InputError, ReadError
from reportmine.ingest.boilerplate import strip_boilerplate
from reportmine.ingest.metadata import apply_metadata, load_meta_table, match_pattern
from reportmine.ingest.readers import read_document
from reportmine.ingest.split import split_reports
from reportmine.models import ErrorRecord, Report
from reportmine.tables import REPORT_COLUMNS as TABLE_REPORT_COLUMNS
from reportmine.text.normalize import normalize_text

logger = logging.getLogger(__name__)

__all__ = [
    "Corpus", "iter_source_files", "source_relpaths", "read_source_file", "read_corpus", "attach_metadata",
    "find_meta_file", "REPORT_COLUMNS",
]

IGNORE_FILE = ".reportmineignore"
AUTO_META_NAMES = ("metadata.csv", "metadata.xlsx")
# The reports table as reading gives it: everything but n_tokens, which segmentation adds.
REPORT_COLUMNS = [column for column in TABLE_REPORT_COLUMNS if column != "n_tokens"]


@dataclass
class Corpus:
    """The reports read from one folder (or file), and the files that could not be read."""

    root: Path
    reports: list[Report] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)

    def to_frame(self):
        """The `reports` table (docs/tables.md, without n_tokens/text_file) plus a `text` column."""
        from reportmine.tables import reports_frame

        return reports_frame(self.reports)

    def errors_frame(self):
        """The `errors` table: path, stage, error."""
        from reportmine.tables import errors_frame

        return errors_frame(self.errors)


# ---------------------------------------------------------------- walking


def iter_source_files(root: Path) -> Iterator[Path]:
    """Every file under `root`, sorted by relative path, skipping hidden files and folders, the
    root's own ``metadata.csv``/``metadata.xlsx`` and whatever `root/.reportmineignore` lists
    (gitignore-style lines: ``gold/``, ``*.json``). A file given as `root` is yielded as is."""
    root = Path(root)
    if root.is_file():
        yield root
        return
    for relpath in source_relpaths(root):
        yield root / relpath


def source_relpaths(root: Path) -> list[str]:
    """The relative posix paths of the files `iter_source_files` yields under the folder `root`,
    in its order. Kept as strings: a Path object per file cost seconds at 100,000 files."""
    rules = _load_ignore(root)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _ignored(rel_dir + d, True, rules)
        )
        for name in filenames:
            rel = rel_dir + name
            if rel in AUTO_META_NAMES:  # the corpus's own metadata table is not a report
                continue
            if not name.startswith(".") and not _ignored(rel, False, rules):
                found.append(rel)
    found.sort()
    return found


def _load_ignore(root: Path) -> list[tuple[str, bool, bool, bool]]:
    """(glob, negated, directory-only, anchored) per line of .reportmineignore."""
    path = root / IGNORE_FILE
    if not path.is_file():
        return []
    rules = []
    for raw in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line  # "/gold" or "drafts/*.txt": relative to the root, as in gitignore
        rules.append((line.lstrip("/"), negated, dir_only, anchored))
    return rules


def _ignored(relpath: str, is_dir: bool, rules: list[tuple[str, bool, bool, bool]]) -> bool:
    ignored = False
    name = relpath.rsplit("/", 1)[-1]
    for glob, negated, dir_only, anchored in rules:
        if dir_only and not is_dir:
            continue
        target = relpath if anchored else name
        if fnmatch.fnmatchcase(target, glob) or (anchored and glob.startswith("**/")
                                                 and fnmatch.fnmatchcase(name, glob[3:])):
            ignored = not negated
    return ignored


# ---------------------------------------------------------------- one file


def read_source_file(path: Path, *, root: Path, max_bytes: int = 20_000_000) -> tuple[list[Report], list[ErrorRecord]]:
    """Read one file into its reports (text metadata inferred), or an error row; never raises."""
    path = Path(path)
    relpath = relative_path(path, Path(root))
    try:
        document = read_document(path, max_bytes=max_bytes)
    except ReadError as exc:
        return [], [ErrorRecord(path=relpath, stage=exc.stage, error=str(exc))]
    except Exception as exc:  # a bug or an exotic file must not stop the run
        logger.exception("unexpected error reading %s", relpath)
        return [], [ErrorRecord(path=relpath, stage="read", error=f"unexpected error: {type(exc).__name__}: {exc}")]
    try:
        text = strip_boilerplate(normalize_text(document.text))
        parts = split_reports(text, fallback_title=path.stem)
    except Exception as exc:
        logger.exception("unexpected error splitting %s", relpath)
        return [], [ErrorRecord(path=relpath, stage="split", error=f"unexpected error: {type(exc).__name__}: {exc}")]
    if not parts:
        return [], [ErrorRecord(path=relpath, stage="split",
                                error="no report text left after removing page boilerplate")]
    reports = []
    for number, part in enumerate(parts, start=1):
        report = Report(
            report_id=f"{relpath}#{number}", path=relpath, part=number, title=part.title,
            text=part.text, encoding=document.encoding, format=document.format,
            content_hash=document.content_hash,
        )
        try:
            report = apply_metadata(report)
        except Exception:  # text metadata is a convenience: never lose the report over it
            logger.exception("could not infer metadata from the text of %s", report.report_id)
        reports.append(report)
    return reports, []


def relative_path(path: Path, root: Path) -> str:
    """`path` as the corpus names it: relative to `root` in posix form (the file name when `root` is the file)."""
    if path == root:
        return path.name
    # Paths print normalized (no "." parts, no doubled or trailing separators), so a file under
    # `root` prints as root, a separator and what pathlib's part-by-part relative_to gives.
    prefix = str(root) + os.sep
    if str(path).startswith(prefix):
        return str(path)[len(prefix):].replace(os.sep, "/")
    try:
        relative = path.relative_to(root)
    except ValueError:
        return path.name if root.is_file() else path.as_posix()
    # Nothing lies under a file, so `root` is a folder here: no stat of it for every file.
    return relative.as_posix()


# ---------------------------------------------------------------- the corpus


def read_corpus(
    path: str | Path,
    *,
    meta: str | Path | dict[str, dict[str, Any]] | None = None,
    pattern: str | None = None,
    max_bytes: int = 20_000_000,
) -> Corpus:
    """Read a folder (recursively) or a single file into a `Corpus`.

    Args:
        meta: a CSV/XLSX metadata table keyed by relative ``path`` (or its loaded dict); when
            omitted, ``metadata.csv`` (or ``metadata.xlsx``) at the folder's root is used.
        pattern: a path template such as ``"{school}/{year}/*"``.
        max_bytes: files above this size become error rows.

    Raises:
        InputError: `path` does not exist or is neither a file nor a folder.
    """
    source = Path(path)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    if not (source.is_dir() or source.is_file()):
        raise InputError(f"input is neither a file nor a folder: {source}")
    root = source if source.is_dir() else source.parent
    meta_file = find_meta_file(source) if meta is None else (Path(meta) if isinstance(meta, (str, Path)) else None)
    table = meta if isinstance(meta, dict) else (load_meta_table(meta_file) if meta_file is not None else {})
    corpus = Corpus(root=root)
    for file in iter_source_files(source):
        if meta_file is not None and file.resolve() == meta_file.resolve():
            continue
        reports, errors = read_source_file(file, root=source, max_bytes=max_bytes)
        corpus.reports.extend(reports)
        corpus.errors.extend(errors)
    corpus.reports = attach_metadata(corpus.reports, table=table, pattern=pattern)
    return corpus


def find_meta_file(source: Path) -> Path | None:
    """The ``metadata.csv`` (or ``metadata.xlsx``) at the root of a corpus folder, if any."""
    if not Path(source).is_dir():
        return None
    return next((Path(source) / n for n in AUTO_META_NAMES if (Path(source) / n).is_file()), None)


def attach_metadata(
    reports: list[Report],
    *,
    table: dict[str, dict[str, Any]] | None = None,
    pattern: str | None = None,
) -> list[Report]:
    """Apply metadata-file rows (keyed by ``path`` or ``path#part``) and a path pattern to reports.

    For pipelines that read files in parallel with `read_source_file` and attach metadata after.
    """
    table = table or {}
    out = [attach_report_metadata(report, table=table, pattern=pattern) for report in reports]
    warn_unmatched_metadata(table, {report.path for report in reports})
    return out


def attach_report_metadata(
    report: Report, *, table: dict[str, dict[str, Any]], pattern: str | None = None
) -> Report:
    """One report with its metadata-file row and path-pattern fields applied (meta beats pattern)."""
    row = {**table.get(report.path, {}), **table.get(report.report_id, {})}  # "path#part" refines "path"
    fields = match_pattern(pattern, report.path) if pattern else None
    return apply_metadata(report, meta_row=row, pattern_fields=fields) if row or fields else report


def warn_unmatched_metadata(table: dict[str, dict[str, Any]], paths: set[str]) -> None:
    """Log how many metadata rows name no file of the run (a typo in a path column, usually)."""
    missing = sorted({key.split("#")[0] for key in table} - paths)
    if missing:
        logger.warning("%d metadata row(s) match no report file, e.g. %s", len(missing), missing[0])
