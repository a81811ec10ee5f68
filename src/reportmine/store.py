"""Where a run keeps report texts and tokens: an append-only spool on disk, not the heap.

At 100,000 reports the texts and the content tokens are each several hundred MB of Python
strings; the main process would hold both until the last table is written. A spool writes each
value to an anonymous temporary file (removed when closed, on every OS) as results stream in, and
keeps only ``key → (offset, size)`` in memory. Reading a value back is one positioned read.

- `TextStore`: report_id → normalized text (the string every offset points into).
- `TokenStore`: report_id → content tokens (a list per read; stored as one joined string).
- `FolderTextStore`: report_id → text read from an output folder's ``texts/`` files.
- `ValuesInOrder`: a lazy, indexable view of a store's values for a list of keys, so corpus
  stages (topics, keywords, near-duplicates) can walk every report without building a list.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

ValueT = TypeVar("ValueT")


class SpoolStore(Mapping[str, ValueT]):
    """An append-only mapping from key to a string-encoded value, kept in a temporary file.

    Subclasses say how a value becomes a string (`_encode`) and back (`_decode`). Adding a key
    twice keeps the last value (the earlier bytes stay in the file, unreferenced). A store pickles
    by value, so an `Analysis` can be pickled and sent elsewhere.
    """

    def __init__(self, values: Mapping[str, ValueT] | None = None, *, directory: Path | str | None = None) -> None:
        self._directory = str(directory) if directory is not None else None
        if self._directory is not None:
            Path(self._directory).mkdir(parents=True, exist_ok=True)
        # Unbuffered: each value goes to the file in one write, so a forked child (corpus stages,
        # word clouds) finds every value there and inherits no buffered bytes to write again.
        self._file = tempfile.TemporaryFile(dir=self._directory, buffering=0)
        self._index: dict[str, tuple[int, int]] = {}
        self._end = 0
        for key, value in (values or {}).items():
            self.add(key, value)

    def _encode(self, value: ValueT) -> str:
        raise NotImplementedError

    def _decode(self, stored: str) -> ValueT:
        raise NotImplementedError

    def add(self, key: str, value: ValueT) -> None:
        """Store (or replace) the value of `key`."""
        self._add_raw(key, self._encode(value))

    def add_utf8(self, key: str, data: bytes) -> None:
        """Store a value already encoded: its `_encode` string in UTF-8."""
        self._add_bytes(key, data)

    def size(self, key: str) -> int:
        """Bytes (UTF-8) stored for `key`: 0 for an empty value, without reading it."""
        return self._index[key][1]

    def _read(self, offset: int, size: int) -> bytes:
        if hasattr(os, "pread"):
            # A positioned read leaves the shared file offset alone, so forked children that
            # inherited the descriptor can read without racing each other.
            return os.pread(self._file.fileno(), size, offset)
        self._file.seek(offset)
        return self._file.read(size)

    def __getitem__(self, key: str) -> ValueT:
        return self._decode(self._raw(key))

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def nbytes(self) -> int:
        """Bytes written to the spool file."""
        return self._end

    def close(self) -> None:
        """Remove the spool file; the store is empty afterwards."""
        self._file.close()
        self._index.clear()

    def __getstate__(self) -> dict[str, Any]:
        return {"values": {key: self._raw(key) for key in self._index}, "directory": self._directory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        SpoolStore.__init__(self, directory=state["directory"])
        for key, stored in state["values"].items():
            self._add_raw(key, stored)

    def _raw(self, key: str) -> str:
        offset, size = self._index[key]
        return self._read(offset, size).decode("utf-8") if size else ""

    def _add_raw(self, key: str, stored: str) -> None:
        self._add_bytes(key, stored.encode("utf-8"))

    def _add_bytes(self, key: str, data: bytes) -> None:
        if hasattr(os, "pwrite"):
            written = os.pwrite(self._file.fileno(), data, self._end)
        else:
            self._file.seek(self._end)
            written = self._file.write(data)
        if written != len(data):  # a short write (a full disk, a signal): write the rest
            self._write_all(data[written:], self._end + written)
        self._index[key] = (self._end, len(data))
        self._end += len(data)

    def _write_all(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        while view:
            self._file.seek(offset)
            written = self._file.write(view)
            view, offset = view[written:], offset + written

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} values, {self._end:,} bytes on disk)"


class TextStore(SpoolStore[str]):
    """report_id → normalized report text, spooled to disk as reports are analysed."""

    def _encode(self, value: str) -> str:
        return value

    def _decode(self, stored: str) -> str:
        return stored


class TokenStore(SpoolStore[list[str]]):
    """report_id → content tokens; a read returns a new list."""

    SEPARATOR = "\x1f"  # ASCII unit separator: never inside a token

    @classmethod
    def join(cls, tokens: Iterable[str]) -> str:
        """The tokens as the store keeps them (one string: cheap to send between processes)."""
        return cls.SEPARATOR.join(tokens)

    @classmethod
    def split(cls, joined: str) -> list[str]:
        """The tokens of a `join`ed string."""
        return joined.split(cls.SEPARATOR) if joined else []

    def _encode(self, value: Iterable[str]) -> str:
        return self.join(value)

    def _decode(self, stored: str) -> list[str]:
        return self.split(stored)


class FolderTextStore(Mapping[str, str]):
    """report_id → text of an output folder's ``texts/`` file, read when asked for."""

    def __init__(self, folder: Path | str, text_files: Mapping[str, str]) -> None:
        self._folder = Path(folder)
        self._files = dict(text_files)

    def __getitem__(self, report_id: str) -> str:
        path = self._folder / self._files[report_id]
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


class ValuesInOrder(Sequence[ValueT], Generic[ValueT]):
    """``store[keys[i]]`` for i in range(len(keys)), read when indexed; missing keys give `default`."""

    def __init__(self, store: Mapping[str, ValueT], keys: Iterable[str], default: ValueT) -> None:
        self._store = store
        self._keys = list(keys)
        self._default = default

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, index: int) -> ValueT:  # type: ignore[override]
        if isinstance(index, slice):
            raise TypeError("ValuesInOrder does not slice; index one position at a time")
        key = self._keys[index]
        return self._store[key] if key in self._store else self._default

    def __iter__(self) -> Iterator[ValueT]:
        for index in range(len(self._keys)):
            yield self[index]


__all__ = ["SpoolStore", "TextStore", "TokenStore", "FolderTextStore", "ValuesInOrder"]
