"""The small family of exceptions the library raises; the CLI turns them into one clear line."""
from __future__ import annotations


class ReportmineError(Exception):
    """Base class of every error reportmine raises on purpose."""


class InputError(ReportmineError):
    """A file or folder given by the user cannot be used (missing, wrong kind, bad option)."""


class ReadError(ReportmineError):
    """One input file could not be read or decoded; the run records it and goes on."""

    def __init__(self, message: str, *, stage: str = "read") -> None:
        super().__init__(message)
        self.stage = stage


class SkippedFile(ReadError):
    """A file whose type reportmine does not read (listed as skipped, never silently ignored)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, stage="skip")


class MetadataError(ReportmineError):
    """A metadata file or path pattern given with --meta / --pattern is malformed."""


class GoldError(ReportmineError):
    """A gold annotation file does not follow the documented schema."""
