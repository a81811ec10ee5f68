"""Ruling a shortcoming code out with one search picks the code that counting every cue picks."""
from __future__ import annotations

import random

from reportmine.structure.items import _best_code, _cue_lists, _prepared_cues

_ALPHABET = "存在有的一些问题不足之处，。：:\n主要表现在困惑与反思工作中暴露出发现了方面欠缺ab 1"


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(60))) for _ in range(count)]


def _old_best_code(folded: str, default: str, book: dict) -> str:
    best_code, best_score = default, 0
    for code, cues in book["codes"].items():
        text, covered = folded, 0
        for cue in sorted((c for c in cues if c), key=len, reverse=True):
            count = text.count(cue)
            if count:
                covered += len(cue) * count
                text = text.replace(cue, "\0" * len(cue))
        if covered > best_score:
            best_code, best_score = code, covered
    return best_code


def test_best_code_equals_counting_every_cue() -> None:
    book = {"default": "其他", "codes": {"A": ["问题", "问", ""], "B": ["不足之处", "不足"], "C": [], "D": ["a+b"]}}
    lists = _cue_lists(book)
    for text in _random_texts(2000, 3) + ["a+b问题", "不足之处问题"]:
        assert _best_code(text, "其他", lists) == _old_best_code(text, "其他", book)
    assert _prepared_cues(())[0].search("anything") is None
