"""Tests for reportmine.evaluate: gold loading, scoring by hand-computed numbers, outputs, real gold."""
from __future__ import annotations

import copy
import importlib
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reportmine.errors import GoldError, InputError
from reportmine.evaluation import (
    Evaluation,
    evaluate,
    fail_under,
    load_gold,
    parse_thresholds,
    render_evaluation,
)
from reportmine.evaluation.matching import Candidate, align_in_order, assign_greedy, titles_match
from reportmine.evaluation.reading import _read_table

REPO = Path(__file__).resolve().parents[1]

TEXT_A = (
    "城南小学2021学年校本研修工作总结\n"
    "一、转变思想，更新观念\n"
    "本学期上了县公开课16节。王老师获市一等奖。专题讲座和示范课共5次。\n"
    "二、存在的问题\n"
    "1、教师的理论学习仍要加强督促。\n"
    "2、课题研究不够深入。\n"
    "三、今后的打算\n"
    "加强骨干教师培养，造就一批骨干教师。\n"
)
TEXT_B = (
    "城北中学2020学年教研组工作总结\n"
    "一、主要做法\n"
    "每两周开展一次集体备课。\n"
    "二、不足\n"
    "部分教师参与不积极。\n"
)
ID_A, ID_B = "a/2021.txt#1", "b/2020.txt#1"

GOLD_A = {
    "schema": "reportmine-gold/1",
    "path": "a/2021.txt",
    "annotator": "test",
    "reports": [
        {
            "part": 1,
            "title": "城南小学2021学年校本研修工作总结",
            "meta": {"school": "城南小学", "year": 2021, "stage": "小学"},
            "sections": [
                {"marker": "一、", "title": "转变思想，更新观念"},
                {"marker": "二、", "title": "存在的问题"},
                {"marker": "三、", "title": "今后的打算"},
            ],
            "metrics": [
                {"category": "open_lesson", "value": 16, "level": "county", "evidence": "上了县公开课16节"},
                {"category": "award", "value": 1, "level": "city", "grade": "first", "recipient": "teacher",
                 "evidence": "王老师获市一等奖"},
                {"category": "open_lesson", "value": 5, "evidence": "专题讲座和示范课共5次", "optional": True},
            ],
            "shortcomings": [{"text": "教师的理论学习仍要加强督促。"}, {"text": "课题研究不够深入。"}],
            "plans": [{"text": "加强骨干教师培养，造就一批骨干教师。"}],
        }
    ],
}
GOLD_B = {
    "schema": "reportmine-gold/1",
    "path": "b/2020.txt",
    "reports": [
        {
            "part": 1,
            "title": "城北中学2020学年教研组工作总结",
            "meta": {"school": "城北中学", "year": 2020, "stage": "初中"},
            "sections": [{"marker": "一、", "title": "主要做法"}, {"marker": "二、", "title": "不足"}],
            "metrics": [
                {"category": "research_activity", "value": None, "period": "2weeks", "times_per_period": 1,
                 "evidence": "每两周开展一次集体备课"},
            ],
            "shortcomings": [{"text": "部分教师参与不积极。"}],
            "plans": [],
        }
    ],
}


def _span(text: str, snippet: str) -> tuple[int, int]:
    start = text.index(snippet)
    return start, start + len(snippet)


def _metric(report_id: str, text: str, category: str, value: float | None, evidence: str, **attributes: Any) -> dict:
    start, end = _span(text, evidence)
    row = {"report_id": report_id, "category": category, "value": value, "value_max": None, "approx": False,
           "qualifier": None, "level": "unknown", "period": None, "times_per_period": None, "grade": None,
           "recipient": None, "item": None, "evidence": evidence, "start": start, "end": end, "part_of": None}
    row.update(attributes)
    return row


def _item(report_id: str, text: str, snippet: str, number: int) -> dict:
    start, end = _span(text, snippet)
    return {"report_id": report_id, "item_no": number, "text": snippet, "section_id": None, "start": start, "end": end}


def _section(report_id: str, text: str, section_id: str, depth: int, marker: str, title: str) -> dict:
    start = text.index(marker + title)
    return {"report_id": report_id, "section_id": section_id, "parent_id": None, "depth": depth,
            "marker": marker, "title": title, "role": "other", "start": start, "end": start + len(marker + title)}


def perfect_tables() -> dict[str, list[dict]]:
    """The output an ideal `reportmine analyze` would write for TEXT_A and TEXT_B."""
    return {
        "reports": [
            {"report_id": ID_A, "path": "a/2021.txt", "part": 1, "title": "城南小学2021学年校本研修工作总结",
             "school": "城南小学", "year": 2021, "stage": "小学", "text_file": "0001.txt"},
            {"report_id": ID_B, "path": "b/2020.txt", "part": 1, "title": "城北中学2020学年教研组工作总结",
             "school": "城北中学", "year": 2020, "stage": "初中", "text_file": "0002.txt"},
        ],
        "sections": [
            _section(ID_A, TEXT_A, "1", 1, "一、", "转变思想，更新观念"),
            _section(ID_A, TEXT_A, "2", 1, "二、", "存在的问题"),
            _section(ID_A, TEXT_A, "2.1", 2, "1、", "教师的理论学习仍要加强督促"),  # depth 2: not scored
            _section(ID_A, TEXT_A, "3", 1, "三、", "今后的打算"),
            _section(ID_B, TEXT_B, "1", 1, "一、", "主要做法"),
            _section(ID_B, TEXT_B, "2", 1, "二、", "不足"),
        ],
        "metrics": [
            _metric(ID_A, TEXT_A, "open_lesson", 16, "上了县公开课16节", level="county"),
            _metric(ID_A, TEXT_A, "award", 1, "王老师获市一等奖", level="city", grade="first", recipient="teacher"),
            _metric(ID_A, TEXT_A, "open_lesson", 5, "专题讲座和示范课共5次"),  # matches the optional gold
            _metric(ID_A, TEXT_A, "open_lesson", 10, "上了县公开课16节", part_of=0),  # a breakdown: ignored
            _metric(ID_B, TEXT_B, "research_activity", None, "每两周开展一次集体备课", period="2weeks",
                    times_per_period=1),
        ],
        "shortcomings": [
            _item(ID_A, TEXT_A, "教师的理论学习仍要加强督促。", 1),
            _item(ID_A, TEXT_A, "课题研究不够深入。", 2),
            _item(ID_B, TEXT_B, "部分教师参与不积极。", 1),
        ],
        "plans": [_item(ID_A, TEXT_A, "加强骨干教师培养，造就一批骨干教师。", 1)],
    }


def write_output(out: Path, tables: dict[str, list[dict]], *, fmt: str = "csv") -> Path:
    """Write tables like `reportmine analyze` does: CSV with BOM (or Parquet) plus texts/."""
    (out / "texts").mkdir(parents=True, exist_ok=True)
    (out / "texts" / "0001.txt").write_text(TEXT_A, encoding="utf-8")
    (out / "texts" / "0002.txt").write_text(TEXT_B, encoding="utf-8")
    for name, rows in tables.items():
        frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["report_id"])
        if fmt == "parquet":
            frame.to_parquet(out / f"{name}.parquet")
        else:
            frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8-sig")
    return out


def write_gold(folder: Path, *golds: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for gold in golds:
        (folder / (gold["path"].replace("/", "__") + ".json")).write_text(
            json.dumps(gold, ensure_ascii=False), encoding="utf-8"
        )
    return folder


@pytest.fixture
def gold_dir(tmp_path: Path) -> Path:
    return write_gold(tmp_path / "gold", GOLD_A, GOLD_B)


def run(tmp_path: Path, gold_dir: Path, tables: dict[str, list[dict]], *, fmt: str = "csv") -> Evaluation:
    return evaluate(write_output(tmp_path / "out", tables, fmt=fmt), gold_dir)


def scores(evaluation: Evaluation) -> dict[str, float]:
    return {f"{t}.{m}": v for t, m, v in zip(evaluation.summary["table"], evaluation.summary["measure"],
                                              evaluation.summary["value"])}


# --------------------------------------------------------------------------------------------
# Scoring


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_perfect_output_scores_one_everywhere(tmp_path: Path, gold_dir: Path, fmt: str) -> None:
    evaluation = run(tmp_path, gold_dir, perfect_tables(), fmt=fmt)
    assert all(value == 1.0 for value in scores(evaluation).values()), evaluation.summary
    assert evaluation.details.empty
    assert set(evaluation.summary["table"]) == {
        "splitting", "titles", "metadata", "metadata_school", "metadata_year", "metadata_stage",
        "sections", "metrics_lenient", "metrics_strict", "shortcomings", "plans",
    }
    strict = evaluation.summary.query("table == 'metrics_strict' and measure == 'f1'").iloc[0]
    assert (strict["tp"], strict["fp"], strict["fn"], strict["n"]) == (3, 0, 0, 3)  # optional not counted


def test_dropped_metric_lowers_recall_to_two_thirds(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    del tables["metrics"][0]
    result = scores(run(tmp_path, gold_dir, tables))
    for table in ("metrics_lenient", "metrics_strict"):
        assert result[f"{table}.recall"] == pytest.approx(2 / 3)
        assert result[f"{table}.precision"] == 1.0
        assert result[f"{table}.f1"] == pytest.approx(0.8)


def test_wrong_level_lowers_strict_only(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][0]["level"] = "school"
    evaluation = run(tmp_path, gold_dir, tables)
    result = scores(evaluation)
    assert result["metrics_lenient.f1"] == 1.0
    assert result["metrics_strict.precision"] == pytest.approx(2 / 3)
    assert result["metrics_strict.recall"] == pytest.approx(2 / 3)
    miss = evaluation.details.query("table == 'metrics_strict' and kind == 'miss'").iloc[0]
    assert miss["evidence"] == "上了县公开课16节"
    assert "level (gold county, output school)" in miss["note"]


def test_extra_metric_lowers_precision(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"].append(_metric(ID_A, TEXT_A, "research_activity", 2, "转变思想"))
    evaluation = run(tmp_path, gold_dir, tables)
    result = scores(evaluation)
    assert result["metrics_lenient.precision"] == pytest.approx(3 / 4)
    assert result["metrics_lenient.recall"] == 1.0
    extra = evaluation.details.query("table == 'metrics_lenient'")
    assert list(extra["kind"]) == ["extra"] and list(extra["evidence"]) == ["转变思想"]


def test_optional_gold_is_neither_required_nor_penalised(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    del tables["metrics"][2]  # the row matching the optional gold entry
    assert all(value == 1.0 for value in scores(run(tmp_path, gold_dir, tables)).values())


def test_row_on_optional_gold_is_excused_whatever_its_category(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][2].update(category="research_activity", value=None)  # borderline: read differently
    assert all(value == 1.0 for value in scores(run(tmp_path, gold_dir, tables)).values())
    tables["metrics"].append(dict(tables["metrics"][2]))  # a second row on it: one-to-one, an extra
    assert scores(evaluate(write_output(tmp_path / "out", tables), gold_dir))["metrics_lenient.precision"] == 0.75


def test_value_mismatch_is_a_lenient_miss_and_extra(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][0]["value"] = 15
    result = scores(run(tmp_path, gold_dir, tables))
    assert result["metrics_lenient.precision"] == pytest.approx(2 / 3)
    assert result["metrics_lenient.recall"] == pytest.approx(2 / 3)


def test_missing_report_counts_all_its_gold_as_misses(tmp_path: Path, gold_dir: Path) -> None:
    tables = {name: [row for row in rows if row["report_id"] != ID_B] for name, rows in perfect_tables().items()}
    evaluation = run(tmp_path, gold_dir, tables)
    result = scores(evaluation)
    assert result["splitting.accuracy"] == 0.5
    assert result["titles.accuracy"] == 0.5
    assert result["metadata.accuracy"] == 0.5
    assert result["metrics_strict.recall"] == pytest.approx(2 / 3)
    assert result["shortcomings.recall"] == pytest.approx(2 / 3)
    assert result["sections.recall"] == pytest.approx(3 / 5)
    assert result["plans.f1"] == 1.0
    splitting = evaluation.details.query("table == 'splitting'")
    assert splitting["note"].iloc[0].startswith("document not in this output")
    misses = evaluation.details.query("report_id == @ID_B and table == 'metrics_lenient'")
    assert list(misses["kind"]) == ["miss"]
    assert misses["note"].iloc[0] == "report missing from output"


def test_file_that_failed_in_analyze_is_named_in_the_splitting_note(tmp_path: Path, gold_dir: Path) -> None:
    tables = {name: [row for row in rows if row["report_id"] != ID_B] for name, rows in perfect_tables().items()}
    tables["errors"] = [{"path": "b/2020.txt", "stage": "decode", "error": "not a known encoding"}]
    evaluation = run(tmp_path, gold_dir, tables)
    note = evaluation.details.query("table == 'splitting'")["note"].iloc[0]
    assert note == "no report: the file failed in analyze (stage decode, see errors)"


def test_output_reports_not_in_gold_are_ignored(tmp_path: Path) -> None:
    gold = write_gold(tmp_path / "gold", GOLD_A)
    evaluation = run(tmp_path, gold, perfect_tables())
    assert all(value == 1.0 for value in scores(evaluation).values())


def test_wrong_year_halves_year_accuracy(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["reports"][0]["year"] = 2020
    evaluation = run(tmp_path, gold_dir, tables)
    result = scores(evaluation)
    assert result["metadata_year.accuracy"] == 0.5
    assert result["metadata_school.accuracy"] == 1.0
    assert result["metadata.accuracy"] == pytest.approx(5 / 6)
    assert len(evaluation.details) == 1  # the pooled `metadata` measure adds no second row
    miss = evaluation.details.query("table == 'metadata_year'").iloc[0]
    assert (miss["report_id"], miss["text"], miss["note"]) == (ID_A, "year: 2021", "output: 2020")


def test_split_file_with_extra_part_fails_splitting(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["reports"].append({"report_id": "a/2021.txt#2", "path": "a/2021.txt", "part": 2, "title": "x",
                              "school": None, "year": None, "stage": None, "text_file": "0001.txt"})
    result = scores(run(tmp_path, gold_dir, tables))
    assert result["splitting.accuracy"] == 0.5
    assert result["titles.accuracy"] == 1.0


def test_sections_match_by_title_containment_only_with_equal_marker(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["sections"][0]["title"] = "转变思想，更新观念。学校领导身先士卒"  # body text kept: still a match
    tables["sections"][1]["marker"] = "（二）"
    tables["sections"][1]["title"] = "存在的问题与不足"  # contains the gold title but another marker
    result = scores(run(tmp_path, gold_dir, tables))
    assert result["sections.recall"] == pytest.approx(4 / 5)
    assert result["sections.precision"] == pytest.approx(4 / 5)


def test_items_match_one_to_one_by_half_overlap(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    merged = "教师的理论学习仍要加强督促。\n2、课题研究不够深入。"
    tables["shortcomings"][0:2] = [_item(ID_A, TEXT_A, merged, 1)]  # one row covering two gold items
    tables["plans"][0] = _item(ID_A, TEXT_A, "加强骨干教师培养", 1)  # a fragment: ≥ 50 % of the shorter
    evaluation = run(tmp_path, gold_dir, tables)
    result = scores(evaluation)
    assert result["shortcomings.precision"] == 1.0
    assert result["shortcomings.recall"] == pytest.approx(2 / 3)
    assert result["plans.f1"] == 1.0
    assert list(evaluation.details["text"]) == ["课题研究不够深入。"]


def test_output_span_is_located_from_text_when_offsets_missing(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    for row in tables["metrics"] + tables["shortcomings"]:
        row["start"] = row["end"] = None
    assert all(value == 1.0 for value in scores(run(tmp_path, gold_dir, tables)).values())


def test_gold_evidence_not_in_text_is_a_miss_with_a_note(tmp_path: Path) -> None:
    gold = copy.deepcopy(GOLD_B)
    gold["reports"][0]["metrics"][0]["evidence"] = "每周开展一次集体备课"
    evaluation = run(tmp_path, write_gold(tmp_path / "gold", gold), perfect_tables())
    miss = evaluation.details.query("table == 'metrics_lenient' and kind == 'miss'").iloc[0]
    assert miss["note"] == "evidence not found in report text"


def test_csv_spreadsheet_prefix_is_undone(tmp_path: Path) -> None:
    pd.DataFrame({"report_id": ["r#1"], "text": ["'=SUM(A1)"], "other": ["'plain"]}).to_csv(
        tmp_path / "plans.csv", index=False, encoding="utf-8-sig"
    )
    rows = _read_table(tmp_path, "plans")
    assert rows == [{"report_id": "r#1", "text": "=SUM(A1)", "other": "'plain"}]


def test_not_an_output_folder_raises_input_error(tmp_path: Path, gold_dir: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="reports"):
        evaluate(tmp_path / "empty", gold_dir)


# --------------------------------------------------------------------------------------------
# Results: fail_under, writing, rendering


def test_fail_under(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][0]["level"] = "school"
    evaluation = run(tmp_path, gold_dir, tables)
    assert fail_under(evaluation, {"metrics_lenient": 0.9}) == []
    assert fail_under(evaluation, {"metrics_strict": 0.9}) == ["metrics_strict.f1 = 0.6667 < 0.9000"]
    assert fail_under(evaluation, {"metrics_strict.recall": 0.5}) == []
    assert fail_under(evaluation, {"*": 0.9}) == ["metrics_strict.f1 = 0.6667 < 0.9000"]
    with pytest.raises(InputError, match="unknown measure"):
        fail_under(evaluation, {"metric_strict": 0.9})


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["0.9"], {"*": 0.9}), (["metrics_strict=0.93", "sections.recall=0.5"],
                             {"metrics_strict": 0.93, "sections.recall": 0.5})],
)
def test_parse_thresholds(values: list[str], expected: dict[str, float]) -> None:
    assert parse_thresholds(values) == expected


@pytest.mark.parametrize("value", ["high", "metrics_strict=", "1.5", "metrics_strict=nan"])
def test_parse_thresholds_rejects_bad_values(value: str) -> None:
    with pytest.raises(InputError, match="--fail-under"):
        parse_thresholds([value])


def test_details_reconcile_with_counts(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][0]["level"] = "school"
    tables["metrics"].append(_metric(ID_A, TEXT_A, "research_activity", 2, "转变思想"))
    tables["shortcomings"] = tables["shortcomings"][1:]
    tables["sections"] = tables["sections"][1:]
    evaluation = run(tmp_path, gold_dir, tables)
    prf_rows = evaluation.summary[evaluation.summary["measure"] == "f1"]
    for table, fp, fn in zip(prf_rows["table"], prf_rows["fp"], prf_rows["fn"]):
        assert (evaluation.details["table"] == table).sum() == fp + fn, table
    assert list(evaluation.summary.columns) == ["table", "measure", "value", "tp", "fp", "fn", "n"]


def test_write_and_to_dict(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["shortcomings"].append({"report_id": ID_B, "item_no": 2, "text": "-1 formula-like text",
                                   "section_id": None, "start": None, "end": None})
    evaluation = run(tmp_path, gold_dir, tables)
    paths = evaluation.write(tmp_path / "eval")
    assert [p.name for p in paths] == ["evaluation_summary.csv", "evaluation_details.csv", "evaluation.json"]
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")
    assert "'-1 formula-like text" in paths[1].read_text(encoding="utf-8-sig")
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(evaluation.to_dict(), ensure_ascii=False))
    assert data["n_gold_reports"] == 2 and data["details"][0]["kind"] == "extra"
    fp = {row["table"]: row["fp"] for row in data["summary"]}
    assert fp["shortcomings"] == 1 and fp["metadata"] is None


def test_outputs_are_deterministic(tmp_path: Path, gold_dir: Path) -> None:
    tables = perfect_tables()
    tables["metrics"][0]["level"] = "school"
    first = run(tmp_path, gold_dir, tables).to_dict()
    second = evaluate(tmp_path / "out", gold_dir).to_dict()
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


def test_render_evaluation_shows_summary_and_misses(tmp_path: Path, gold_dir: Path) -> None:
    from rich.console import Console

    tables = perfect_tables()
    tables["metrics"][0]["level"] = "school"
    tables["shortcomings"] = []
    console = Console(record=True, width=160)
    render_evaluation(run(tmp_path, gold_dir, tables), console=console, max_rows_per_document=2)
    shown = console.export_text()
    assert "metrics_strict" in shown and "0.667" in shown
    assert "level (gold county" in shown
    assert "more (see evaluation_details.csv)" in shown


def test_render_evaluation_of_a_perfect_output(tmp_path: Path, gold_dir: Path) -> None:
    from rich.console import Console

    console = Console(record=True, width=160)
    render_evaluation(run(tmp_path, gold_dir, perfect_tables()), console=console)
    assert "no misses and no extras" in console.export_text()


# --------------------------------------------------------------------------------------------
# Matching helpers


def test_assign_greedy_prefers_larger_overlap_then_earlier_start() -> None:
    candidates = [Candidate(0, 0, 5, 10), Candidate(0, 1, 8, 20), Candidate(1, 1, 8, 15), Candidate(1, 0, 3, 0)]
    assert assign_greedy(candidates) == [(0, 0), (1, 1)]


def test_align_in_order_is_one_to_one_and_monotone() -> None:
    gold, output = ["a", "b", "c"], ["b", "a", "c", "c"]
    pairs = align_in_order(len(gold), len(output), lambda g, o: gold[g] == output[o])
    assert pairs == [(1, 0), (2, 2)]  # as long as [(0, 1), (2, 2)]; ties go to the earlier output


@pytest.mark.parametrize(
    ("gold", "output", "gold_marker", "output_marker", "expected"),
    [
        ("转变思想，更新观念", "转变思想 更新观念", "一、", "二、", True),
        ("存在的问题", "存在的问题与不足", "（四）", "(四)", True),
        ("存在的问题", "存在的问题与不足", "四、", "五、", False),
        ("今后打算", "工作总结", "一、", "一、", False),
    ],
)
def test_titles_match(gold: str, output: str, gold_marker: str, output_marker: str, expected: bool) -> None:
    assert titles_match(gold, output, gold_marker=gold_marker, output_marker=output_marker) is expected


# --------------------------------------------------------------------------------------------
# Gold schema


def _gold_with(change: Any) -> dict:
    gold = copy.deepcopy(GOLD_A)
    change(gold)
    return gold


def _report(gold: dict) -> dict:
    return gold["reports"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda g: g.pop("schema"), "field 'schema'"),
        (lambda g: g.update(path=""), "field 'path'"),
        (lambda g: g.update(reports=[]), "field 'reports'"),
        (lambda g: _report(g).update(part=0), "reports[0] field 'part'"),
        (lambda g: g["reports"].append(copy.deepcopy(_report(g))), "report part 1 is given twice"),
        (lambda g: _report(g).update(shortcommings=[]), "report part 1: unknown field 'shortcommings'"),
        (lambda g: _report(g)["meta"].update(year="2021"), "report part 1: meta: field 'year'"),
        (lambda g: _report(g)["meta"].update(stage="小学部"), "meta: field 'stage' must be one of"),
        (lambda g: _report(g)["metrics"][0].update(level="县级"), "metrics[0]: field 'level' must be one of"),
        (lambda g: _report(g)["metrics"][1].pop("evidence"), "metrics[1]: field 'evidence'"),
        (lambda g: _report(g)["metrics"][0].update(vaule=3), "metrics[0]: unknown field 'vaule'"),
        (lambda g: _report(g)["metrics"][0].update(value="16"), "metrics[0]: field 'value' must be a number"),
        (lambda g: _report(g)["metrics"][0].update(approx="yes"), "metrics[0]: field 'approx' must be bool"),
        (lambda g: _report(g)["shortcomings"][0].pop("text"), "shortcomings[0]: field 'text'"),
        (lambda g: _report(g).update(plans="x"), "field 'plans' must be a list"),
        (lambda g: _report(g)["sections"].append("一、x"), "sections[3] must be an object"),
    ],
)
def test_schema_errors_name_file_part_and_field(tmp_path: Path, change: Any, message: str) -> None:
    (tmp_path / "a__2021.txt.json").write_text(json.dumps(_gold_with(change), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GoldError) as raised:
        load_gold(tmp_path)
    assert "a__2021.txt.json" in str(raised.value)
    assert message in str(raised.value)


def test_gold_errors_for_bad_json_missing_path_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(GoldError, match="bad.json: not valid UTF-8 JSON"):
        load_gold(tmp_path / "bad.json")
    with pytest.raises(GoldError, match="not found"):
        load_gold(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GoldError, match="no gold files"):
        load_gold(tmp_path / "empty")


def test_load_gold_reads_folders_recursively_with_defaults(tmp_path: Path) -> None:
    write_gold(tmp_path / "sub" / "deeper", GOLD_A)
    write_gold(tmp_path, GOLD_B)
    reports = load_gold(tmp_path)
    assert [r.report_id for r in reports] == [ID_A, ID_B]
    optional = reports[0].metrics[2]
    assert (optional.level, optional.approx, optional.recipient, optional.optional) == ("unknown", False, None, True)
    assert reports[1].plans == [] and reports[1].meta["year"] == 2020
    with pytest.raises(GoldError, match="also annotated"):
        write_gold(tmp_path / "copy", GOLD_A)
        load_gold(tmp_path)


# --------------------------------------------------------------------------------------------
# The real gold: every evidence and item text occurs in its document


def _real_gold_files() -> list[Path]:
    return sorted((REPO / "corpus" / "gold").rglob("*.json"))


def _document_root(gold_file: Path) -> Path:
    seeds = REPO / "corpus" / "gold" / "seeds"
    return (REPO.parent / "shared" / "seeds") if seeds in gold_file.parents else (REPO / "corpus")


def _part_texts(path: Path, root: Path) -> dict[int, str] | None:
    """Return {part: normalized text} via reportmine.ingest.corpus; None when that cannot be used."""
    try:
        read_source_file = importlib.import_module("reportmine.ingest.corpus").read_source_file
    except (ImportError, AttributeError):
        return None
    try:
        reports, errors = read_source_file(path, root=root)
    except Exception as error:  # a bug in ingest must not hide the gold check: fall back, loudly
        warnings.warn(f"read_source_file({path.name}) failed ({error!r}); checked against the whole file")
        return None
    if errors and not reports:
        pytest.fail(f"{path}: {errors[0].stage} error: {errors[0].error}")
    return {int(report.part): report.text for report in reports}


def _whole_text(path: Path) -> str | None:
    """Return a document's whole normalized text with whatever readers exist (None if none fits)."""
    try:
        raw = importlib.import_module("reportmine.ingest.readers").read_document(path).text
    except (ImportError, AttributeError):
        if path.suffix.lower() != ".txt":
            return None
        raw = _decode_txt(path.read_bytes(), path)
    try:
        return importlib.import_module("reportmine.text.normalize").normalize_text(raw)
    except (ImportError, AttributeError):
        return raw


def _decode_txt(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    pytest.fail(f"{path}: neither UTF-8 nor GB18030")


def test_real_gold_evidence_occurs_in_its_document() -> None:
    gold_files = _real_gold_files()
    assert gold_files, "no gold files found under corpus/gold/"
    problems: list[str] = []
    checked = 0
    for gold_file in gold_files:
        root = _document_root(gold_file)
        for report in load_gold(gold_file):
            source = root / report.path
            assert source.is_file(), f"{gold_file}: document {source} not found"
            texts = _part_texts(source, root)
            if texts is None:  # ingest not usable: the whole document, unsplit
                text = _whole_text(source)
                if text is None:
                    continue
            elif report.part not in texts:
                problems.append(f"{gold_file.name}: part {report.part} not found in {source}")
                continue
            else:
                text = texts[report.part]
            checked += 1
            snippets = [m.evidence for m in report.metrics or []]
            snippets += [i.text for i in (report.shortcomings or []) + (report.plans or [])]
            problems += [f"{gold_file.name} part {report.part}: {s!r}" for s in snippets if s not in text]
    assert checked, "no gold report could be checked against its document"
    assert not problems, "gold snippets not in the report text:\n" + "\n".join(problems)


def test_nan_scores_when_nothing_annotated(tmp_path: Path) -> None:
    gold = copy.deepcopy(GOLD_B)
    for key in ("sections", "metrics", "shortcomings", "plans", "meta", "title"):
        gold["reports"][0].pop(key)
    evaluation = run(tmp_path, write_gold(tmp_path / "gold", gold), perfect_tables())
    result = scores(evaluation)
    assert math.isnan(result["metrics_strict.f1"]) and result["splitting.accuracy"] == 1.0
    assert fail_under(evaluation, {"*": 0.99}) == []
