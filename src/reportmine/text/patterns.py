"""Regex building blocks for word lists: one alternation that prefers the longest word.

    >>> word_alternation(["教研", "教研组", "教学"])
    '教(?:学|研(?:组)?)'
"""
from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["word_alternation"]


def word_alternation(words: Iterable[object]) -> str:
    """Return a regex that matches any of `words`, the longest one where several start at the
    same place (so "教研组" wins over "教研"), like ``"|".join(longest first)``.

    The words are factored into a prefix tree ("教研组|教研" → "教研(?:组)?"), which the regex
    engine walks character by character instead of trying every word in turn (about twice as
    fast on report text). It matches exactly what the flat alternation matches, also when a
    surrounding pattern backtracks: the words that fit at one position are prefixes of each other,
    and both forms try them longest first.
    """
    unique = {str(word) for word in words}
    if not unique or "" in unique:
        return "|".join(re.escape(word) for word in sorted(unique, key=lambda w: (-len(w), w)))
    tree: dict[str, dict] = {}  # char → subtree; "" marks a word end
    for word in unique:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _render_tree(tree)


def _render_tree(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _render_tree(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    if "" in node:  # a shorter word ends here: the longer continuations are tried first (greedy ?)
        return "(?:" + "|".join(branches) + ")?"
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
