"""Tests for reportmine.themes.keywords: TF-IDF, keyness (G², χ²) and ordering."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from reportmine.errors import InputError
from reportmine.themes.keywords import KEYWORD_COLUMNS, keywords

DOCS = pd.DataFrame({
    "report_id": ["a", "b", "c"],
    "school": ["永安小学", "永安小学", "桥头小学"],
    "year": [2020.0, 2021.0, np.nan],
    "tokens": [
        ["小班化", "小班化", "小班化", "课堂", "评价"],
        ["小班化", "课堂", "师徒结对"],
        ["游戏", "游戏", "课堂", "观察", "评价"],
    ],
})


def _williams_g2(a: float, b: float, c: float, d: float) -> float:
    table = np.array([[a, b], [c, d]])
    g2 = chi2_contingency(table, correction=False, lambda_="log-likelihood").statistic
    n = table.sum()
    q = 1 + (n / (a + b) + n / (c + d) - 1) * (n / (a + c) + n / (b + d) - 1) / (6 * n)
    return g2 / q


def test_columns_and_groups() -> None:
    table = keywords(DOCS, by="school", top_n=3)
    assert list(table.columns) == KEYWORD_COLUMNS
    assert table["group_by"].unique().tolist() == ["school"]
    assert table["group"].unique().tolist() == ["桥头小学", "永安小学"]
    assert table.groupby("group").size().max() <= 3


def test_keyness_matches_reference_formulas() -> None:
    table = keywords(DOCS, by="school", top_n=10).set_index(["group", "term"])
    row = table.loc[("永安小学", "小班化")]
    # 2 × 2: 小班化 in 永安 (4) / rest (0); other terms in 永安 (4) / rest (5)
    a, b, c, d = 4, 0, 4, 5
    assert row["count"] == 4
    assert row["keyness"] == pytest.approx(_williams_g2(a, b, c, d), rel=1e-4)
    assert row["log_likelihood"] == pytest.approx(abs(row["keyness"]))
    assert row["chi2"] == pytest.approx(chi2_contingency([[a, b], [c, d]], correction=True).statistic, rel=1e-4)
    # a term the group uses less than the rest has negative keyness
    assert table.loc[("永安小学", "评价"), "keyness"] < 0
    assert table.loc[("永安小学", "评价"), "chi2"] <= 0


def test_ranking_is_by_keyness_and_deterministic() -> None:
    table = keywords(DOCS, by="school", top_n=10)
    for _, group in table.groupby("group", sort=False):
        assert group["keyness"].is_monotonic_decreasing
    assert table.equals(keywords(DOCS.sample(frac=1, random_state=1), by="school", top_n=10))


def test_year_labels_and_unknown_last() -> None:
    table = keywords(DOCS, by="year", top_n=2)
    assert table["group"].unique().tolist() == ["2020", "2021", "(unknown)"]


def test_single_group_ranks_by_tfidf() -> None:
    table = keywords(DOCS.assign(all="全部"), by="all", top_n=3)
    assert (table["keyness"] == 0).all()
    assert table["term"].tolist()[0] in {"小班化", "课堂"}
    assert table["tfidf"].is_monotonic_decreasing


def test_per_report_on_seeds(seed_token_docs: pd.DataFrame) -> None:
    table = keywords(seed_token_docs, top_n=15)
    assert set(table["group"]) == set(seed_token_docs["report_id"])
    assert (table.groupby("group").size() == 15).all()
    assert not math.isnan(table["keyness"].sum())


def test_bad_arguments() -> None:
    with pytest.raises(InputError):
        keywords(DOCS, by="region")
    with pytest.raises(InputError):
        keywords(DOCS, top_n=0)
    assert keywords(DOCS.assign(tokens=[[], [], []])).empty


def test_several_groupings_stack_the_tables_of_single_groupings(seed_token_docs: pd.DataFrame) -> None:
    stacked = keywords(seed_token_docs, by=("report_id", "school"), top_n=5)
    one_by_one = pd.concat(
        [keywords(seed_token_docs, by="report_id", top_n=5), keywords(seed_token_docs, by="school", top_n=5)],
        ignore_index=True,
    )
    as_text = {"group_by": str, "group": str, "term": str}  # category sets differ: each table has its own
    pd.testing.assert_frame_equal(stacked.astype(as_text), one_by_one.astype(as_text))
    # Stacked, the label columns stay categoricals (one category set across the groupings).
    for column in ("group_by", "group", "term"):
        assert isinstance(stacked[column].dtype, pd.CategoricalDtype), column


def test_tokens_can_come_from_a_store_instead_of_a_column() -> None:
    from reportmine.store import TokenStore

    store = TokenStore(dict(zip(DOCS["report_id"], DOCS["tokens"])))
    from_store = keywords(DOCS.drop(columns=["tokens"]), by="school", tokens=store)
    pd.testing.assert_frame_equal(from_store, keywords(DOCS, by="school"))
    assert keywords(DOCS.drop(columns=["tokens"]), tokens=TokenStore({"a": [], "b": [], "c": []})).empty


def test_groups_are_scored_in_chunks_bounded_by_rows_and_nonzeros(monkeypatch):
    import numpy as np

    from reportmine.themes import keywords as keywords_module

    monkeypatch.setattr(keywords_module, "_CHUNK_GROUPS", 3)
    monkeypatch.setattr(keywords_module, "_CHUNK_NONZEROS", 10)
    # Rows with 4, 4, 4, 1, 1, 1 and 25 nonzeros: the budget of 10 cuts after two rows, the limit
    # of 3 rows after three, and a row over the budget still gets a chunk of its own.
    indptr = np.cumsum([0, 4, 4, 4, 1, 1, 1, 25])
    chunks = keywords_module._row_chunks(indptr)
    assert [(chunk.start, chunk.stop) for chunk in chunks] == [(0, 2), (2, 5), (5, 6), (6, 7)]


def test_chunked_scoring_gives_the_table_of_one_chunk(seed_token_docs, monkeypatch):
    from reportmine.themes import keywords as keywords_module

    whole = keywords(seed_token_docs.assign(all="全部"), by=("report_id", "school", "all"), top_n=10)
    monkeypatch.setattr(keywords_module, "_CHUNK_NONZEROS", 50)  # a chunk per group
    assert keywords(seed_token_docs.assign(all="全部"), by=("report_id", "school", "all"), top_n=10).equals(whole)


def _bundled_cells(bundled_token_docs: pd.DataFrame, by: str) -> tuple:
    """(counts, group index, group totals, term totals, total) of the bundled corpus by `by`."""
    from reportmine.themes.doc_term import count_terms
    from reportmine.themes.keywords import _group_codes, _group_counts

    codes, groups = _group_codes(bundled_token_docs[by])
    counts = _group_counts(count_terms(bundled_token_docs["tokens"]).counts, codes, len(groups))
    block = counts.tocoo()
    group_total = np.asarray(counts.sum(axis=1)).ravel().astype(float)
    term_total = np.asarray(counts.sum(axis=0)).ravel().astype(float)
    return block.data.astype(float), block.row, group_total[block.row], term_total[block.col], float(counts.sum())


@pytest.mark.parametrize("by", ["report_id", "school", "year"])
def test_keyness_cell_by_cell_equals_the_stacked_computation(bundled_token_docs: pd.DataFrame, by: str) -> None:
    # The (4, n) stacked formulas _keyness replaced: the values must be the same to the bit.
    from reportmine.themes.keywords import _keyness

    a, _, group_total, term_total, total = _bundled_cells(bundled_token_docs, by)
    b, c = term_total - a, group_total - a
    d = total - a - b - c
    observed = np.stack([a, b, c, d])
    expected = np.stack([a + b, a + b, c + d, c + d]) * np.stack([a + c, b + d, a + c, b + d]) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * np.where(observed > 0, observed * np.log(observed / expected), 0.0).sum(axis=0)
        williams = 1 + (total * (1 / (a + b) + 1 / (c + d)) - 1) * (total * (1 / (a + c) + 1 / (b + d)) - 1) / (6 * total)
        g2 = np.where(np.isfinite(williams) & (williams > 0), g2 / williams, g2)
        chi2 = np.maximum(np.abs(a * d - b * c) - total / 2, 0) ** 2 * total / ((a + b) * (c + d) * (a + c) * (b + d))
    sign = np.sign(np.round(a - expected[0], 9))
    signed_g2, signed_chi2 = _keyness(a, group_total, term_total, total)
    assert signed_g2.tobytes() == (sign * np.nan_to_num(g2)).tobytes()
    assert signed_chi2.tobytes() == (sign * np.nan_to_num(chi2)).tobytes()


@pytest.mark.parametrize("top_n", [1, 5, 20, 400])
@pytest.mark.parametrize("by", ["report_id", "school", "year"])
def test_top_by_keyness_equals_the_cut_over_all_entries(bundled_token_docs: pd.DataFrame, by: str, top_n: int) -> None:
    # Each group's top_n-th keyness (found by partitioning) is the one found by sorting the group.
    from reportmine.themes.keywords import _keyness, _top_by_keyness

    a, group_index, group_total, term_total, total = _bundled_cells(bundled_token_docs, by)
    g2, _ = _keyness(a, group_total, term_total, total)
    cut = np.full(group_index.max() + 1, -np.inf)
    for group in np.unique(group_index):
        values = np.sort(g2[group_index == group])[::-1]
        if len(values) >= top_n:
            cut[group] = values[top_n - 1]
    expected = np.flatnonzero(g2 >= cut[group_index])
    assert np.array_equal(_top_by_keyness(g2, group_index, top_n), expected)


@pytest.mark.parametrize("k", [1, 3, 20])
def test_kth_largest_per_group_equals_sorting_each_group(k: int) -> None:
    # Groups of every size (none, fewer than k, around powers of two), in shuffled order, with ties.
    from reportmine.themes.keywords import _kth_largest

    rng = np.random.default_rng(7)
    sizes = np.array([0, 1, 2, 3, 7, 8, 9, 19, 20, 21, 31, 32, 33, 64, 65, 300])
    group_index = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(group_index)
    values = rng.integers(-5, 6, len(group_index)).astype(float) * 1.5
    expected = [np.sort(values[group_index == g])[::-1][k - 1] if size >= k else -np.inf for g, size in enumerate(sizes)]
    assert _kth_largest(values, group_index, len(sizes), k).tolist() == expected


def test_keyness_by_slices_equals_keyness_of_all_entries(bundled_token_docs: pd.DataFrame, monkeypatch) -> None:
    from reportmine.themes import keywords as module

    a, _, group_total, term_total, total = _bundled_cells(bundled_token_docs, "report_id")
    whole = module._keyness(a, group_total, term_total, total)
    monkeypatch.setattr(module, "_KEYNESS_SLICE", 1000)  # several slices and a partial last one
    assert len(a) > 3000 and len(a) % 1000
    # Each entry its own group and term, so the totals are gathered per slice by identity.
    entries = np.arange(len(a))
    sliced = module._keyness_by_slices(a, entries, entries, (group_total, term_total, total))
    assert all(left.tobytes() == right.tobytes() for left, right in zip(sliced, whole))


@pytest.mark.parametrize("values", [
    pd.Series([2020, None, 2021, 2020], dtype="Int64"),
    pd.Series([2020.0, np.nan, 2020.5, 2020.0]),
    pd.Series(["a.txt#1", None, "b.txt#1", "a.txt#1"], dtype="str"),
    pd.Series([1, 1.0, True, None, np.nan, "x"], dtype=object),
])
def test_group_labels_of_distinct_values_equal_labels_value_by_value(values: pd.Series) -> None:
    from reportmine.tables import label_each
    from reportmine.themes.keywords import _group_label

    assert label_each(values, _group_label).tolist() == [_group_label(value) for value in values]
