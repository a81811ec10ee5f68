"""Table-driven tests of the quantity grammar (numerals, ranges, approximate forms)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from reportmine.ingest.corpus import read_source_file
from reportmine.text.normalize import fold_for_matching
from reportmine.text.quantities import Quantity, _scan_pattern, find_quantities, parse_quantity, quantity_pattern

Q = Quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16节", Q(16, unit="节")),
        ("１２次", Q(12, unit="次")),
        ("两次", Q(2, unit="次")),
        ("十六", Q(16)),
        ("二十三", Q(23)),
        ("一百二十", Q(120)),
        ("一百零五", Q(105)),
        ("一千二百", Q(1200)),
        ("三四次", Q(3, 4, True, unit="次")),
        ("3-5节", Q(3, 5, unit="节")),
        ("3～5", Q(3, 5)),
        ("三至五次", Q(3, 5, unit="次")),
        ("五六十", Q(50, 60, True)),
        ("十五六", Q(15, 16, True)),
        ("十余次", Q(10, None, True, "余", "次")),
        ("90多节", Q(90, None, True, "多", "节")),
        ("二十来个", Q(20, None, True, "来", "个")),
        ("几十场次", Q(20, 90, True, "几", "场次")),
        ("数十", Q(20, 90, True, "数")),
        ("十几个", Q(11, 19, True, "几", "个")),  # annotation rule 2: ten-odd = 11 … 19
        ("十几", Q(11, 19, True, "几")),
        ("二十几名", Q(21, 29, True, "几", "名")),
        ("数十次", Q(20, 90, True, "数", "次")),
        ("几次", Q(None, None, True, "几", "次")),
        ("近百", Q(100, None, True, "近")),
        ("上百", Q(100, None, True, "上")),
        ("一百余次", Q(100, None, True, "余", "次")),
        ("百余", Q(100, None, True, "余")),
        ("至少3次", Q(3, None, True, "至少", "次")),
        ("不少于3次", Q(3, None, True, "至少", "次")),
        ("至少有1次", Q(1, None, True, "至少", "次")),
        ("20次左右", Q(20, None, True, "左右", "次")),
        ("多次", Q(None, None, True, "多", "次")),
        ("若干次", Q(None, None, True, "若干", "次")),
        ("数次", Q(None, None, True, "数", "次")),
        ("20节次", Q(20, unit="节次")),
        ("5课时", Q(5, unit="课时")),
        ("200人次", Q(200, unit="人次")),
    ],
)
def test_parse_quantity(text: str, expected: Quantity) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "教研", "二三两节", "上一节"])
def test_parse_quantity_rejects_non_quantities(text: str) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("我们进行县级公开教学一次，片级公开教学多次。", ["一次", "多次"]),
        ("16位不同学科的教师上了县公开课16节", ["16位", "16节"]),
        ("每两周一次", ["一次"]),
        ("在开学初的第一次教师会议上，第十一次", []),  # ordinals
        ("2014年7月，为期一周，半小时", []),  # dates and durations carry no counting unit
        ("备课组内公开课90多节", ["90多节"]),
    ],
)
def test_find_quantities(text: str, found: list[str]) -> None:
    matches = find_quantities(text)
    assert [text[m.start:m.end] for m in matches] == found


def test_find_quantities_offsets_and_window() -> None:
    text = "校级公开课64节，备课组内公开课90多节"
    matches = find_quantities(text, start=9)
    assert [(m.start, m.end, m.quantity.value) for m in matches] == [(16, 20, 90.0)]


def test_scan_pattern_finds_the_spans_of_the_quantity_pattern() -> None:
    # find_quantities scans with the pattern spelled from first characters and reads each match
    # with quantity_pattern at the same place: both must find the same spans from any start.
    alphabet = "0123456789０５.．-~至到 第零〇一二两兩三四五六七八九十百千万几数不少于低至最将近接大约超过上有要余多来节次场人个篇左右若干好a，\n"
    rng = random.Random(7)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 25))) for _ in range(20000)]
    reports = Path(__file__).resolve().parents[2] / "corpus" / "reports"
    texts += [fold_for_matching(report.text) for path in sorted(reports.rglob("*.txt"))
              for report in read_source_file(path, root=reports)[0]]
    plain, scan = quantity_pattern(), _scan_pattern()
    for index, text in enumerate(texts):
        start = index % (len(text) + 1)
        assert [m.span() for m in scan.finditer(text, start)] == [m.span() for m in plain.finditer(text, start)]
