"""Load the domain vocabularies shipped in `reportmine/resources/` (cached, read once per process)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader parses the vocabularies ten times faster than the pure-Python one: every
# worker process loads them once, so this is start-up time of every run.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def resource_path(name: str) -> Path:
    """Return the filesystem path of a shipped resource file."""
    return Path(str(resources.files("reportmine") / "resources" / name))


@lru_cache(maxsize=None)
def load_vocab(name: str) -> Any:
    """Return the parsed YAML resource `name` (e.g. ``"metrics.yaml"``)."""
    with resource_path(name).open(encoding="utf-8") as handle:
        return parse_yaml(handle)


def parse_yaml(source: Any) -> Any:
    """Parse YAML text or an open text file as `yaml.safe_load` does (with libyaml when present)."""
    return yaml.load(source, Loader=_SAFE_LOADER)


def load_word_list(name: str) -> list[str]:
    """Return the non-empty, non-comment lines of a shipped word list (one entry per line)."""
    words: list[str] = []
    with resource_path(name).open(encoding="utf-8") as handle:
        for line in handle:
            entry = line.split("#", 1)[0].strip()
            if entry:
                words.append(entry)
    return words
