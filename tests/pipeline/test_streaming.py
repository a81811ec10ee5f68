"""A run keeps texts and tokens in disk spools and builds tables chunk by chunk, with no change to the output."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reportmine
from reportmine.collect import ResultCollector, signature_values
from reportmine.ingest.corpus import read_corpus
from reportmine.output import read_analysis
from reportmine.pipeline import analyze_report
from reportmine.store import TextStore, TokenStore, ValuesInOrder
from reportmine.tables import TableBuilder
from reportmine.themes.duplicates import minhash_signature


@pytest.fixture(scope="module")
def seed_results(seeds_dir: Path):
    return [analyze_report(report) for report in read_corpus(seeds_dir).reports]


def test_text_store_returns_what_was_added_and_keeps_it_off_the_heap(tmp_path: Path, seed_results):
    store = TextStore(directory=tmp_path)
    for result in seed_results:
        store.add(result.report.report_id, result.report.text)
    assert {rid: store[rid] for rid in store} == {r.report.report_id: r.report.text for r in seed_results}
    assert store.nbytes == sum(len(r.report.text.encode("utf-8")) for r in seed_results)
    assert store.size(seed_results[0].report.report_id) == len(seed_results[0].report.text.encode("utf-8"))
    # The spool file is anonymous: nothing is left behind in the folder, during or after the run.
    assert os.listdir(tmp_path) == [] or os.name == "nt"


def test_stores_replace_values_and_pickle_by_value():
    tokens = TokenStore({"a#1": ["公开课", "教研"], "b#1": []})
    tokens.add("a#1", ["小班化"])
    copy = pickle.loads(pickle.dumps(tokens))
    assert dict(copy) == {"a#1": ["小班化"], "b#1": []} and copy.size("b#1") == 0
    texts = pickle.loads(pickle.dumps(TextStore({"x": "第一学期\n第二学期"})))
    assert texts["x"] == "第一学期\n第二学期"
    assert list(ValuesInOrder(texts, ["x", "missing"], default=None)) == ["第一学期\n第二学期", None]


@pytest.mark.parametrize("chunk_reports", [1, 3])
def test_tables_do_not_depend_on_the_chunk_size(seed_results, chunk_reports: int):
    whole, chunked = TableBuilder(chunk_reports=10_000), TableBuilder(chunk_reports=chunk_reports)
    for result in seed_results:
        whole.add(result)
        chunked.add(result)
    expected, got = whole.tables(), chunked.tables()
    assert len(got["metrics"]) > 10 and len(got["reports"]) == len(seed_results)
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table)


def test_collector_spools_text_and_tokens_and_keeps_signatures_small(seed_results, tmp_path: Path):
    collector = ResultCollector(spool_dir=tmp_path, chunk_reports=2)
    for result in seed_results:
        collector.add(result)
    tables = collector.tables()
    assert "text" not in tables["reports"].columns
    first = seed_results[0]
    assert collector.texts[first.report.report_id] == first.report.text
    assert collector.tokens[first.report.report_id] == first.tokens
    assert collector.signatures[first.report.report_id].dtype.name == "uint32"
    expected = minhash_signature(first.report.text)
    assert (collector.signatures[first.report.report_id] == expected).all()
    assert (signature_values(minhash_signature(first.report.text)) == expected).all()


def test_analysis_reads_texts_from_its_store(seeds_dir: Path):
    analysis = reportmine.analyze(seeds_dir, workers=1)
    assert "text" not in analysis.reports.columns
    assert isinstance(analysis.texts, TextStore) and isinstance(analysis.tokens, TokenStore)
    row = analysis.metrics.iloc[0]
    assert analysis.text(row["report_id"])[row["start"] : row["end"]] == row["evidence"]
    frame = analysis.reports_with_text()
    assert (frame["text"].str.len() == frame["n_chars"]).all()


def test_hand_built_reports_frame_moves_its_text_into_the_store(seeds_dir: Path):
    frame = read_corpus(seeds_dir).to_frame()
    empty = pd.DataFrame()
    analysis = reportmine.Analysis(
        reports=frame, **{name: empty for name in reportmine.pipeline.TABLE_NAMES if name != "reports"}
    )
    assert "text" not in analysis.reports.columns
    assert analysis.text(frame["report_id"].iloc[0]) == frame["text"].iloc[0]


def test_output_folder_texts_are_read_when_asked_for(seeds_dir: Path, tmp_path: Path):
    analysis = reportmine.analyze(seeds_dir, workers=1)
    analysis.write(tmp_path, pictures=False, html=False)
    loaded = read_analysis(tmp_path)
    report_id = analysis.reports["report_id"].iloc[-1]
    assert loaded.text(report_id) == analysis.text(report_id)
    assert set(loaded.texts) == set(analysis.reports["report_id"])


def test_workbook_written_by_a_second_process_equals_one_written_in_line(seeds_dir: Path, tmp_path: Path, monkeypatch):
    import reportmine.pipeline as pipeline
    from openpyxl import load_workbook

    analysis = reportmine.analyze(seeds_dir, workers=1)
    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    analysis.write(tmp_path / "background", pictures=False, html=False)
    monkeypatch.setattr(pipeline, "default_workers", lambda: 1)
    analysis.write(tmp_path / "in_line", pictures=False, html=False)
    background = (tmp_path / "background" / "reportmine.xlsx").read_bytes()
    assert background == (tmp_path / "in_line" / "reportmine.xlsx").read_bytes()
    about = load_workbook(tmp_path / "background" / "reportmine.xlsx", read_only=True)["about"]
    counts = {row[0]: row[1] for row in about.iter_rows(min_row=2, values_only=True)}
    assert counts["metrics"] == len(analysis.metrics) and counts["reports"] == len(analysis.reports)


def test_tokens_counted_on_arrival_follow_the_requested_report_order(seed_results, tmp_path: Path):
    from reportmine.themes.doc_term import count_terms

    collector = ResultCollector(spool_dir=tmp_path, chunk_reports=2, count_terms=True)
    for result in seed_results:
        collector.add(result)
    order = [result.report.report_id for result in reversed(seed_results)]
    counted = collector.term_counts(order)
    expected = count_terms([collector.tokens[report_id] for report_id in order])
    assert list(counted.terms) == list(expected.terms)
    assert (counted.counts != expected.counts).nnz == 0
    assert ResultCollector(spool_dir=tmp_path).term_counts(order) is None  # not counted on arrival


def test_the_rows_before_the_last_few_inputs_become_a_chunk_early(seed_results, tmp_path: Path, monkeypatch):
    import reportmine.collect as collect
    from reportmine.pipeline import FileOutcome

    monkeypatch.setattr(collect, "_LAST_CHUNK_INPUTS", 1)
    early = ResultCollector(spool_dir=tmp_path, expected_reports=len(seed_results))
    in_line = ResultCollector(spool_dir=tmp_path)
    for result in seed_results:
        early.add_outcome(FileOutcome([result], []))
        in_line.add(result)
        if result is seed_results[-2]:
            assert early.builder._pending == 0  # converted before the last input came
    expected = in_line.tables()
    for name, table in early.tables().items():
        pd.testing.assert_frame_equal(table, expected[name])


def test_a_large_corpus_writes_the_same_files_through_one_background_process(seeds_dir: Path, tmp_path: Path, monkeypatch):
    import hashlib

    import reportmine.background as background
    import reportmine.memory as memory
    import reportmine.pipeline as pipeline

    analysis = reportmine.analyze(seeds_dir, workers=1)
    monkeypatch.setattr(pipeline, "default_workers", lambda: 2)
    analysis.write(tmp_path / "side_by_side", html=False)
    started: list[int] = []
    original = background.BackgroundJobs.__init__

    def recording(self, jobs, *, workers=None):
        started.append(workers)
        original(self, jobs, workers=workers)

    monkeypatch.setattr(background.BackgroundJobs, "__init__", recording)
    monkeypatch.setattr(memory, "LARGE_CORPUS_REPORTS", 0)  # these four reports count as a large corpus
    analysis.write(tmp_path / "one_at_a_time", html=False)
    assert started == [1]

    def digests(folder: Path) -> dict[str, str]:
        return {path.relative_to(folder).as_posix(): hashlib.sha1(path.read_bytes()).hexdigest()
                for path in sorted(folder.rglob("*")) if path.is_file() and path.name != "run.json"}

    assert digests(tmp_path / "one_at_a_time") == digests(tmp_path / "side_by_side")


def test_memory_release_collects_garbage_only_for_a_large_run(monkeypatch):
    import gc

    import reportmine.memory as memory

    collections: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or 0)
    memory.release_memory(memory.LARGE_CORPUS_REPORTS)
    assert collections == []  # a few thousand reports: the full collection costs more than it frees
    memory.release_memory(memory.LARGE_CORPUS_REPORTS + 1)
    memory.release_memory()  # size unknown (a notebook's call): collect
    assert len(collections) == 2


def test_frozen_heap_keeps_the_collector_off_live_objects_until_the_outermost_block_ends():
    import gc

    import reportmine.memory as memory

    assert gc.get_freeze_count() == 0
    with memory.frozen_heap():
        outer = gc.get_freeze_count()
        assert outer > 0  # everything alive at the start is frozen
        kept = [[index] for index in range(1000)]  # made inside: not frozen yet
        with memory.frozen_heap(memory.LARGE_CORPUS_REPORTS):
            assert gc.get_freeze_count() >= outer + len(kept)  # an inner block freezes what was made since
        assert gc.get_freeze_count() >= outer + len(kept)  # ... and leaves it frozen
    assert gc.get_freeze_count() == 0  # the outermost block unfreezes everything
    with memory.frozen_heap(memory.LARGE_CORPUS_REPORTS + 1):
        assert gc.get_freeze_count() == 0  # a large run: garbage collection between stages must reach everything
    del kept


@pytest.mark.parametrize(
    "values",
    [
        ["公开课", None, "教研"], [None, None], [1, 2], [1, None], [1, 2.5], [1.5, float("nan"), None],
        [True, False], [True, None], ["a", 1], [1, True], [2**70, 1], [b"x", None], [[1], None],
    ],
)
def test_record_chunks_have_the_columns_pandas_makes_of_rows(values):
    from reportmine.tables import _column

    expected = pd.DataFrame([(value,) for value in values])[0]
    repeated = pd.DataFrame([(value,) for value in values for _ in range(2)])[0]
    for built, wanted in ((_column(values), expected), (_column(values, repeat=np.repeat(np.arange(len(values)), 2)), repeated)):
        built = pd.Series(built)
        assert built.dtype == wanted.dtype
        pd.testing.assert_series_equal(built, wanted, check_exact=True, check_names=False)


def test_arrow_allocates_through_malloc_inside_the_block_and_as_before_after_it():
    import pyarrow as pa

    import reportmine.memory as memory

    before = pa.default_memory_pool().backend_name
    with memory.arrow_memory_from_malloc():
        assert pa.default_memory_pool().backend_name == "system"
        kept = pa.array(["公开课"] * 1000)  # a buffer of the malloc pool ...
    assert pa.default_memory_pool().backend_name == before
    assert kept.to_pylist()[-1] == "公开课"  # ... outlives the block


def test_analyze_and_write_leave_arrow_pool_and_collector_as_they_were(seeds_dir, tmp_path):
    import gc

    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    reportmine.analyze(seeds_dir, workers=1).write(tmp_path / "out", pictures=False, html=False)
    assert pa.default_memory_pool().backend_name == before
    assert gc.get_freeze_count() == 0
