"""The column-at-a-time XLSX writer: values, blanks, escaping, Excel's limits, determinism."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from reportmine import workbook


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")])
def test_column_letter(index, letters):
    assert workbook.column_letter(index) == letters


def _read_back(path: Path, sheet: str) -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


def test_values_come_back_with_their_types(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "evidence": ["县级公开课16节", "A&B <教研> 组", None],
            "value": [16.0, np.nan, 0.25],
            "count": pd.array([3, None, 12], dtype="Int64"),
            "start": [0, 17, 2_000_000],
            "approx": [True, False, True],
            "level": pd.Categorical(["county", None, "school"]),
        }
    )
    workbook.write_workbook({"metrics": frame}, tmp_path / "book.xlsx")
    rows = _read_back(tmp_path / "book.xlsx", "metrics")
    assert rows[0] == list(frame.columns)
    assert rows[1] == ["县级公开课16节", 16, 3, 0, True, "county"]
    assert rows[2] == ["A&B <教研> 组", None, None, 17, False, None]
    assert rows[3] == [None, 0.25, 12, 2_000_000, True, "school"]


def test_text_is_never_a_formula_or_a_number(tmp_path: Path):
    frame = pd.DataFrame({"text": ["=1+1", "0012", "16"]})
    workbook.write_workbook({"t": frame}, tmp_path / "book.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "book.xlsx")["t"]
    assert [sheet.cell(row=row, column=1).value for row in (2, 3, 4)] == ["=1+1", "0012", "16"]
    assert {sheet.cell(row=row, column=1).data_type for row in (2, 3, 4)} == {"s"}


def test_characters_xml_cannot_hold_are_dropped_and_long_cells_cut(tmp_path: Path):
    long_text = "研" * (workbook.CELL_LIMIT + 100)
    frame = pd.DataFrame({"text": ["教\x01研\x0b组", long_text]})
    workbook.write_workbook({"t": frame}, tmp_path / "book.xlsx")
    rows = _read_back(tmp_path / "book.xlsx", "t")
    assert rows[1] == ["教研组"]
    assert len(rows[2][0]) <= workbook.CELL_LIMIT and rows[2][0].endswith("…[truncated]")


def test_infinite_numbers_are_blank(tmp_path: Path):
    workbook.write_workbook({"t": pd.DataFrame({"ratio": [np.inf, -np.inf, 1.5]})}, tmp_path / "book.xlsx")
    assert _read_back(tmp_path / "book.xlsx", "t")[1:] == [[None], [None], [1.5]]


def test_mixed_object_column_keeps_each_value_type(tmp_path: Path):
    frame = pd.DataFrame({"value": [1, "十余", None, 2.5, True]}, dtype=object)
    workbook.write_workbook({"t": frame}, tmp_path / "book.xlsx")
    assert [row[0] for row in _read_back(tmp_path / "book.xlsx", "t")[1:]] == [1, "十余", None, 2.5, True]


def test_empty_frame_and_sheet_order(tmp_path: Path):
    sheets = {"about": pd.DataFrame({"table": ["errors"]}), "errors": pd.DataFrame({"path": [], "stage": [], "error": []})}
    workbook.write_workbook(sheets, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    assert book.sheetnames == ["about", "errors"]
    assert _read_back(tmp_path / "book.xlsx", "errors") == [["path", "stage", "error"]]


def test_workbook_is_byte_identical_across_runs(tmp_path: Path):
    frame = pd.DataFrame({"school": ["温州市鹿城区实验小学"] * 3, "year": [2019, 2020, 2021]})
    digests = set()
    for run in ("one", "two"):
        workbook.write_workbook({"reports": frame}, tmp_path / f"{run}.xlsx")
        digests.add(hashlib.sha1((tmp_path / f"{run}.xlsx").read_bytes()).hexdigest())
    assert len(digests) == 1


def test_joined_bytes_are_the_utf8_of_the_strings_in_order():
    import pyarrow as pa

    strings = pa.array(["<row>", "", "县级公开课", "A&amp;B", "</row>"] * 3)
    assert workbook._joined_bytes(strings) == "".join(strings.to_pylist()).encode("utf-8")
    assert workbook._joined_bytes(strings.slice(2, 3)) == "县级公开课A&amp;B</row>".encode("utf-8")
    assert workbook._joined_bytes(pa.array([], pa.string())) == b""


def test_sheet_xml_is_utf8_xml_with_a_row_per_record():
    from xml.etree import ElementTree

    xml = workbook.sheet_xml(pd.DataFrame({"学校": ["实验小学", "城堡<小学>"], "n": [1, 2]}))
    rows = ElementTree.fromstring(xml).find("{*}sheetData")
    assert [row.get("r") for row in rows] == ["1", "2", "3"]
    assert "".join(rows[2].itertext()) == "城堡<小学>2"


@pytest.mark.parametrize("dtype", ["category", "str", "string"])
def test_text_columns_give_the_xml_of_their_python_strings(dtype):
    cells = ["县级<公开课>", None, "A&B", "=1+1", "县级<公开课>", "bad\x01char", "x" * (workbook.CELL_LIMIT + 5)]
    as_objects = pd.DataFrame({"t": pd.Series(cells, dtype=object)})
    typed = pd.DataFrame({"t": pd.Series(cells, dtype=dtype)})
    assert workbook.sheet_xml(typed) == workbook.sheet_xml(as_objects)


def test_categorical_with_unused_or_numeric_categories_is_written_cell_by_cell():
    unused_number = pd.Series(pd.Categorical(["a", None, "b"], categories=[1, "a", "b"]))
    numbers = pd.Series(pd.Categorical([3, None, 5]))
    for column in (unused_number, numbers):
        assert workbook.sheet_xml(pd.DataFrame({"t": column})) == workbook.sheet_xml(pd.DataFrame({"t": column.astype(object)}))
    assert workbook.sheet_xml(pd.DataFrame({"t": pd.Categorical([None, None], categories=[])})).count("<c ".encode()) == 1


def test_joined_bytes_of_a_slice():
    import pyarrow as pa

    strings = pa.array(["<row>甲</row>", "<row>B</row>", "<row>丙</row>", "<row>D</row>"])
    assert bytes(workbook._joined_bytes(strings.slice(1, 2))) == "<row>B</row><row>丙</row>".encode("utf-8")
    assert bytes(workbook._joined_bytes(strings.slice(0, 0))) == b""


def test_cell_text_skips_the_passes_a_column_does_not_need():
    import pyarrow as pa

    plain = pa.array(["学校", "a b", None, "x" * 40_000])
    assert workbook._cell_text(plain).to_pylist() == ["学校", "a b", None, "x" * (workbook.CELL_LIMIT - 20) + "…[truncated]"]
    special = pa.array(["a&b", "<i>\x00", None, "ok"])
    assert workbook._cell_text(special).to_pylist() == ["a&amp;b", "&lt;i&gt;", None, "ok"]
