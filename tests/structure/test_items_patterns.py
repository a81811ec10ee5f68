"""Ruling a shortcoming code out with one search picks the code that counting every cue picks."""
from __future__ import annotations

import random
import re
from pathlib import Path

from reportmine.ingest.corpus import read_source_file
from reportmine.structure.items import _CUES, _best_code, _cue_lists, _prepared_cues
from reportmine.text.normalize import fold_for_matching
from reportmine.vocab import load_vocab

_REPORTS = Path(__file__).resolve().parents[2] / "corpus" / "reports"

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


def _plain_problem_lead() -> re.Pattern[str]:
    """The problem lead as a plain alternation of the roles.yaml entries, the line start asserted first."""
    cues = load_vocab("roles.yaml")["passages"]
    alternatives = "|".join(
        ("(?:^|(?<=\\n))" if entry.get("line_start") else "")
        + "(?:" + "|".join(map(re.escape, entry["heads"])) + ")" + f"(?:{entry['rest']})"
        for entry in cues["problem_lead"])
    return re.compile(f"(?:{alternatives}){cues['problem_lead_end']}")


def test_problem_lead_spelled_by_first_character_finds_what_the_plain_alternation_finds() -> None:
    plain = _plain_problem_lead()
    # one lead of each alternative, then random texts and the bundled reports
    examples = ["具体体现为以下方面：", "主要表现在：", "工作中的问题：", "反思与思考：", "暴露出的问题。", "发现了一些不足：",
                "有几点困惑\n", "欠缺之处：", "困惑与反思：", "不足之处是：", "问题与不足。", "存在问题：",
                "问题：", "前言\n问题：", "\n存在的困惑与思考：", "存在的不足。"]
    texts = examples + ["我们的问题：", "a问题与不足：", "\n\n反思："] + _random_texts(3000, 5) + [report.text for path in sorted(_REPORTS.rglob("*.txt"))
                                      for report in read_source_file(path, root=_REPORTS)[0]]
    for text in texts:
        folded = fold_for_matching(text)
        assert [m.span() for m in _CUES.problem_lead.finditer(folded)] == [m.span() for m in plain.finditer(folded)]
    assert all(plain.search(example) for example in examples)


def test_every_plan_start_holds_a_plan_word() -> None:
    # `_plan_passages` skips paragraphs without a plan word; that is only safe while this holds.
    alphabet = "今后下一步阶段学期年新的届来明接展望未努力方向改进整措施工作设想打算：:，。在针对为此我们将 a"
    rng = random.Random(11)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(30))) for _ in range(5000)]
    texts += [report.text for path in sorted(_REPORTS.rglob("*.txt")) for report in read_source_file(path, root=_REPORTS)[0]]
    starts = 0
    for text in texts:
        for line in fold_for_matching(text).split("\n"):
            for index in range(len(line)):
                if _CUES.plan_start.search(line[index:]):
                    starts += 1
                    assert _CUES.plan_word.search(line[index:])
    assert starts > 100
