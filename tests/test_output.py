"""Writing tables: CSV with BOM, formula neutralisation, Parquet, XLSX, atomic and deterministic writes."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from reportmine import output


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+86 577 1234", "'+86 577 1234"),
        ("-1+2", "'-1+2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("县级公开课16节", "县级公开课16节"),
        ("", ""),
        (16, 16),
    ],
)
def test_neutralize_cell(cell, expected):
    assert output.neutralize_cell(cell) == expected


def test_csv_has_bom_and_neutral_formulas(tmp_path: Path):
    frame = pd.DataFrame({"evidence": ["=HYPERLINK(\"http://x\",\"点我\")", "上了县公开课16节"], "value": [1, 16]})
    target = tmp_path / "metrics.csv"
    output.write_csv(frame, target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "上了县公开课16节" in text
    assert output.read_table(tmp_path, "metrics")["evidence"].tolist() == frame["evidence"].tolist()


def test_csv_writes_categories_as_their_values_missing_ones_blank(tmp_path: Path):
    frame = pd.DataFrame({
        "school": pd.Series(["一中", None, "=二中"], dtype="string[pyarrow]").astype("category"),
        "year": pd.Series([2020, None, 2021], dtype="Int64").astype("category"),
    })
    output.write_csv(frame, tmp_path / "reports.csv")
    lines = (tmp_path / "reports.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines == ['"school","year"', '"一中",2020', ",", "\"'=二中\",2021"]


def test_xlsx_cells_are_not_formulas(tmp_path: Path):
    import openpyxl

    frame = pd.DataFrame({"text": ["=1+1", "@SUM(1)", "正常文本"]})
    target = tmp_path / "book.xlsx"
    output.write_xlsx({"shortcomings": frame}, target)
    sheet = openpyxl.load_workbook(target)["shortcomings"]
    values = [sheet.cell(row=row, column=1).value for row in range(2, 5)]
    assert values == ["'=1+1", "'@SUM(1)", "正常文本"]
    assert all(sheet.cell(row=row, column=1).data_type == "s" for row in range(2, 5))


def test_xlsx_caps_long_tables_and_says_so(tmp_path: Path):
    import openpyxl

    target = tmp_path / "book.xlsx"
    output.write_xlsx({"keywords": pd.DataFrame({"term": [f"词{i}" for i in range(30)]})}, target, max_rows=10)
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["about", "keywords"]
    assert workbook["keywords"].max_row == 11
    about = [[cell.value for cell in row] for row in workbook["about"].iter_rows()]
    assert about[1][:3] == ["keywords", 30, 10] and "keywords.csv" in about[1][3]


def test_parquet_keeps_values_untouched(tmp_path: Path):
    frame = pd.DataFrame({"text": ["=1+1"], "tokens": [["公开课", "教研"]]})
    output.write_parquet(frame, tmp_path / "t.parquet")
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back.loc[0, "text"] == "=1+1"
    assert back.loc[0, "tokens"] == '["公开课", "教研"]'


def test_write_tables_is_byte_identical_across_runs(tmp_path: Path):
    tables = {"reports": pd.DataFrame({"report_id": ["a#1"], "title": ["校本研修总结"]}), "errors": pd.DataFrame({"path": [], "stage": [], "error": []})}
    digests = []
    for run in ("one", "two"):
        written = output.write_tables(tables, tmp_path / run)
        digests.append({path.name: hashlib.sha1(path.read_bytes()).hexdigest() for path in written})
    assert digests[0] == digests[1]
    assert set(digests[0]) == {"reports.csv", "reports.parquet", "errors.csv", "errors.parquet", "reportmine.xlsx"}


def test_atomic_write_leaves_old_table_when_interrupted(tmp_path: Path):
    target = tmp_path / "metrics.csv"
    output.write_csv(pd.DataFrame({"value": [1]}), target)
    before = target.read_bytes()

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted):
        with output.atomic_path(target, suffix=".csv") as temporary:
            temporary.write_text("value\n2\n3", encoding="utf-8")
            raise Interrupted
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]


def test_write_texts_removes_stale_files(tmp_path: Path):
    reports = pd.DataFrame({"report_id": ["a#1", "b#1"], "text": ["甲", "乙"]})
    output.write_texts(reports, tmp_path)
    names = output.write_texts(reports.iloc[:1], tmp_path)
    assert names.tolist() == ["texts/000001.txt"]
    assert sorted(p.name for p in (tmp_path / "texts").iterdir()) == ["000001.txt"]


def test_every_column_kind_is_neutralised_and_categories_never_merge():
    frame = pd.DataFrame({
        "text": pd.array(["=1+1", "ok", None, "-x", "@a"], dtype="str"),
        "code": pd.Categorical(["=a", "b", "b", "+c", None]),
        "clash": pd.Categorical(["=a", "'=a", "b", "=a", None]),  # "=a" must not become the other value
        "mixed": ["+1", 3, None, "x", "\tt"],
    })
    safe = output.neutralize_frame(frame)
    assert safe["text"].tolist()[:2] == ["'=1+1", "ok"] and safe["text"].tolist()[3:] == ["'-x", "'@a"]
    assert safe["code"].astype(object).tolist()[:4] == ["'=a", "b", "b", "'+c"]
    assert safe["clash"].astype(object).tolist()[:4] == ["'=a", "'=a", "b", "'=a"]
    assert safe["mixed"].tolist()[:2] == ["'+1", 3] and safe["mixed"].tolist()[4] == "'\tt"
    assert frame["code"].astype(object).tolist()[0] == "=a"  # the input is not changed


def test_parquet_is_written_in_row_groups_with_one_schema(tmp_path: Path):
    import pyarrow.parquet as pq

    # A column empty in the first row group and text in the next: the schema comes from the
    # whole column, so every row group agrees.
    frame = pd.DataFrame({
        "level": pd.Categorical(["county", "school"] * 6),
        "qualifier": [None] * 6 + ["余"] * 6,
        "part_of": pd.array(list(range(11)) + [None], dtype="Int64"),
        "evidence": ["上了县公开课16节"] * 12,
    })
    output.write_parquet(frame, tmp_path / "metrics.parquet", chunk_rows=5)
    assert pq.ParquetFile(tmp_path / "metrics.parquet").metadata.num_row_groups == 3
    back = pd.read_parquet(tmp_path / "metrics.parquet")
    assert back["qualifier"].isna().tolist() == [True] * 6 + [False] * 6
    assert set(back["qualifier"].dropna()) == {"余"}
    assert back["part_of"].iloc[-2] == 10 and pd.isna(back["part_of"].iloc[-1])
    assert back["level"].tolist() == frame["level"].tolist()
    assert back["evidence"].tolist() == frame["evidence"].tolist()


@pytest.fixture(scope="module")
def seed_analysis(seeds_dir: Path):
    import reportmine

    return reportmine.analyze(seeds_dir, workers=1)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != "run.json"}


def test_files_written_by_background_processes_equal_those_written_in_line(seed_analysis, tmp_path: Path, monkeypatch):
    import json

    import reportmine.pipeline as pipeline
    from reportmine.compiled import compiled_modules

    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    seed_analysis.write(tmp_path / "background")
    monkeypatch.setattr(pipeline, "default_workers", lambda: 1)
    seed_analysis.write(tmp_path / "in_line")
    background, in_line = _files(tmp_path / "background"), _files(tmp_path / "in_line")
    assert background == in_line
    assert {"report.html", "reportmine.xlsx", "charts/metrics_by_school.png", "wordclouds/corpus.png"} <= set(background)
    run = json.loads((tmp_path / "background" / "run.json").read_text(encoding="utf-8"))
    assert run["warnings"] == []
    assert run["compiled_modules"] == compiled_modules()  # what this installation runs compiled
    assert {"texts", "csv", "parquet", "xlsx", "charts", "wordclouds", "html", "total"} <= set(run["write_seconds"])


@pytest.mark.parametrize("cores", [2, 1])
def test_texts_and_clouds_started_before_the_corpus_stages_give_the_same_files(
    seeds_dir: Path, tmp_path: Path, monkeypatch, cores: int
):
    import json

    import reportmine
    import reportmine.pipeline as pipeline
    from reportmine.output import RunWriter

    # On one core nothing starts early: the same pieces are written after the corpus stages.
    monkeypatch.setattr(pipeline, "default_workers", lambda: cores)
    seen: list[reportmine.Analysis] = []
    with RunWriter(tmp_path / "early") as writer:

        def start(report_analysis: reportmine.Analysis) -> None:
            seen.append(report_analysis)
            writer.start(report_analysis)

        analysis = reportmine.analyze(seeds_dir, workers=1, on_report_tables=start)
        writer.write(analysis)
    # The per-report tables, with the corpus tables still empty, arrive before the corpus stages.
    assert len(seen) == 1 and seen[0].reports.equals(analysis.reports) and seen[0].topics.empty
    assert seen[0].texts is analysis.texts and seen[0].tokens is analysis.tokens
    analysis.write(tmp_path / "after")
    assert _files(tmp_path / "early") == _files(tmp_path / "after")
    run = json.loads((tmp_path / "early" / "run.json").read_text(encoding="utf-8"))
    assert {"texts", "wordclouds", "charts", "xlsx"} <= set(run["write_seconds"])
    assert "wordclouds/corpus.png" in run["outputs"] and "texts/000001.txt" not in run["outputs"]
    # With two cores the per-report tables' files are written beside the corpus stages too.
    assert ("report_tables" in run["write_seconds"]) == (cores == 2)
    assert {"metrics.csv", "metrics.parquet", "reports.csv", "topics.csv"} <= set(run["outputs"])


def test_per_report_tables_of_a_larger_corpus_are_written_after_the_corpus_stages(seeds_dir: Path, tmp_path: Path, monkeypatch):
    import json

    import reportmine
    import reportmine.memory as memory
    import reportmine.pipeline as pipeline
    from reportmine.output import RunWriter

    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    monkeypatch.setattr(memory, "EARLY_TABLE_FILES_MAX_REPORTS", 1)  # the seeds hold more reports
    with RunWriter(tmp_path / "early") as writer:
        analysis = reportmine.analyze(seeds_dir, workers=1, on_report_tables=writer.start)
        writer.write(analysis)
    run = json.loads((tmp_path / "early" / "run.json").read_text(encoding="utf-8"))
    # Texts and clouds still start early; the tables wait, and are all there.
    assert "report_tables" not in run["write_seconds"] and "texts" in run["write_seconds"]
    assert {"metrics.csv", "metrics.parquet", "reports.csv", "errors.parquet"} <= set(run["outputs"])


def test_per_report_tables_failing_beside_the_corpus_stages_are_written_after_them(
    seeds_dir: Path, tmp_path: Path, monkeypatch, caplog
):
    import reportmine
    import reportmine.output as output
    import reportmine.pipeline as pipeline

    def broken(*args, **kwargs):
        raise OSError("disk full for a moment")

    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    monkeypatch.setattr(output, "_write_report_tables", broken)  # forked workers inherit the patch
    with output.RunWriter(tmp_path / "early") as writer:
        analysis = reportmine.analyze(seeds_dir, workers=1, on_report_tables=writer.start)
        written = writer.write(analysis)
    analysis.write(tmp_path / "after")
    assert _files(tmp_path / "early") == _files(tmp_path / "after")
    assert tmp_path / "early" / "metrics.parquet" in written and tmp_path / "early" / "reports.csv" in written
    assert "disk full for a moment" in caplog.text and "writing them now" in caplog.text


@pytest.mark.parametrize("cores", [2, 1])
def test_a_failing_picture_leaves_the_tables_the_page_and_a_warning(seed_analysis, tmp_path: Path, monkeypatch, cores):
    import json

    import reportmine.pipeline as pipeline
    import reportmine.viz.wordclouds as wordclouds

    def broken(*args, **kwargs):
        raise RuntimeError("cloud canvas too small")

    monkeypatch.setattr(wordclouds, "write_wordclouds", broken)  # forked workers inherit the patch
    monkeypatch.setattr(pipeline, "default_workers", lambda: cores)
    seed_analysis.write(tmp_path)
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert len(run["warnings"]) == 1 and run["warnings"][0].startswith("word clouds not written: RuntimeError")
    assert "cloud canvas too small" in run["warnings"][0]
    assert {"reports.csv", "metrics.parquet", "reportmine.xlsx", "report.html", "charts/metrics_by_school.png"} <= set(run["outputs"])
    assert not any(name.startswith("wordclouds/") for name in run["outputs"])


@pytest.mark.parametrize("cores", [2, 1])
def test_a_failing_workbook_fails_the_write(seed_analysis, tmp_path: Path, monkeypatch, cores):
    import reportmine.pipeline as pipeline
    import reportmine.workbook as workbook

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(workbook, "write_workbook", broken)
    monkeypatch.setattr(pipeline, "default_workers", lambda: cores)
    with pytest.raises(OSError, match="disk full"):
        seed_analysis.write(tmp_path, pictures=False, html=False)
    assert (tmp_path / "reports.csv").is_file() and not (tmp_path / "reportmine.xlsx").exists()


def test_text_categories_are_tested_at_once_and_kept_when_none_is_formula_like():
    harmless = pd.Series(pd.Categorical(["一中", "二中", None, "一中"]))
    assert output.neutralize_frame(pd.DataFrame({"school": harmless}))["school"].astype(object).tolist()[:2] == ["一中", "二中"]
    for prefix in output._FORMULA_PREFIXES:  # each prefix is caught by the vectorised test too
        risky = pd.Series(pd.Categorical(["一中", f"{prefix}x", None]))
        assert output.neutralize_frame(pd.DataFrame({"s": risky}))["s"].astype(object).tolist()[:2] == ["一中", f"'{prefix}x"]


@pytest.mark.parametrize("chunk_rows", [2, 100])
def test_csv_and_parquet_written_together_equal_each_written_alone(tmp_path: Path, chunk_rows: int):
    frame = pd.DataFrame({
        "text": pd.array(["=1+1", "ok", None, "-x", "@a"], dtype="str"),
        "code": pd.Categorical(["=a", "b", "b", "+c", None]),
        "clash": pd.Categorical(["=a", "'=a", "b", "=a", None]),
        "numbers_as_objects": pd.Series([1, None, 3, -4, 5], dtype=object),
        "flags_as_objects": pd.Series([True, None, False, True, None], dtype=object),
        "floats_as_objects": pd.Series([0.1, None, 1e-5, -4.0, float("nan")], dtype=object),
        "lists": [["=x", "y"], None, [], ("a",), {"k": "=v"}],
        "controls": ["\tx", "\rz", "x\t", "+", ""],
        "counts": pd.array([1, None, 2, 3, None], dtype="Int64"),
        "floats": [0.1, 1e-5, float("nan"), 2.5, -1e20],
        "nothing": [None] * 5,
        "year": pd.Categorical([2020, 2021, None, 2020, 2021]),
        "objects": pd.Series(["=a", None, "b", float("nan"), "-"], dtype=object),
    })
    output.write_csv(frame, tmp_path / "alone.csv", chunk_rows=chunk_rows)
    output.write_parquet(frame, tmp_path / "alone.parquet", chunk_rows=chunk_rows)
    seconds: dict[str, float] = {}
    output.write_csv_and_parquet(frame, tmp_path / "together.csv", tmp_path / "together.parquet",
                                 chunk_rows=chunk_rows, seconds=seconds)
    assert (tmp_path / "alone.csv").read_bytes() == (tmp_path / "together.csv").read_bytes()
    assert (tmp_path / "alone.parquet").read_bytes() == (tmp_path / "together.parquet").read_bytes()
    assert set(seconds) == {"csv", "parquet"}
