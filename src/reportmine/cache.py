"""Incremental cache: per-file results keyed by the file's content hash and the pipeline version."""
from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path
from typing import Any

from reportmine import __version__
from reportmine.output import atomic_path
from reportmine.vocab import resource_path

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def pipeline_salt(settings: Any) -> str:
    """Return a hash of everything besides the file bytes that changes per-report results.

    The package version, every shipped vocabulary file, the segmenter and the user's dictionary,
    stop words and codebook: editing a cue table or upgrading reportmine invalidates the cache.
    """
    digest = hashlib.sha1(__version__.encode())
    resources_dir = resource_path("")
    for path in sorted(p for p in resources_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(resources_dir).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(f"{settings.segmenter}|{settings.max_bytes}".encode())
    # The user's vocabularies change tokens and codes, which are computed per report.
    for name in ("user_dict", "stopwords", "codebook"):
        path = getattr(settings, name)
        digest.update(name.encode() + (Path(path).read_bytes() if path else b"-"))
    return digest.hexdigest()


def file_key(path: Path, salt: str) -> str | None:
    """Return the cache key of a file, or None if it cannot be read.

    The key hashes the salt, the file's name and its bytes: the name matters because the
    extension chooses the reader and the stem is the title of a report whose text has none.
    """
    digest = hashlib.sha1(salt.encode())
    digest.update(path.name.encode("utf-8", "surrogateescape"))
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None  # unreadable: let the reader produce the error row
    return digest.hexdigest()


def _entry(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.pkl"


def load(cache_dir: Path, key: str) -> Any | None:
    """Return the cached value for `key`, or None when absent or unreadable."""
    entry = _entry(cache_dir, key)
    if not entry.exists():
        return None
    try:
        with entry.open("rb") as handle:
            return pickle.load(handle)
    except Exception:  # a damaged entry is recomputed, never trusted
        logger.warning("ignoring damaged cache entry %s", entry)
        return None


def store(cache_dir: Path, key: str, value: Any) -> None:
    """Store `value` under `key` atomically (concurrent workers never see half an entry)."""
    entry = _entry(cache_dir, key)
    try:
        with atomic_path(entry, suffix=".pkl") as temporary:
            with temporary.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a full or read-only disk slows the next run, it must not fail this one
        logger.warning("could not write cache entry %s: %s", entry, exc)
