"""Keywords per report, school or year: TF-IDF and keyness against the rest of the corpus.

For each group (all reports sharing a value of `by`) the tokens are pooled into one document.

- `tfidf`: scikit-learn's TF-IDF of the term in the group's pooled document, with the groups as
  the documents (smooth idf, l2-normalised rows).
- `keyness`: signed log-likelihood G² of the 2 × 2 table (term / other terms × group / rest of
  the corpus), with Williams' correction, as quanteda's ``textstat_keyness(measure = "lr")``;
  positive when the group uses the term more than the rest does. `log_likelihood` is its size.
- `chi2`: signed Pearson χ² of the same table with Yates' correction (quanteda's "chi2").

Each group keeps its `top_n` terms by keyness, then tfidf, count and term (so a corpus with one
group, where keyness is 0, ranks by tfidf); the table is sorted by group, then that rank.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer

from reportmine.errors import InputError
from reportmine.tables import label_each
from reportmine.themes.doc_term import DocTermCounts, count_terms

KEYWORD_COLUMNS = ["group_by", "group", "term", "count", "tfidf", "keyness", "log_likelihood", "chi2"]
UNKNOWN_GROUP = "(unknown)"
# Groups are scored a chunk at a time: at most this many groups, and at most this many nonzero
# counts (a chunk's scoring holds about thirty float arrays of its nonzeros). By school, 997
# pooled groups hold millions of nonzeros: unchunked they took 1.6 GB on 20,000 reports.
_CHUNK_GROUPS = 2000
_CHUNK_NONZEROS = 1 << 19


def _group_label(value: object) -> str:
    """Return a group value as text: 2020.0 → "2020", missing → "(unknown)"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return UNKNOWN_GROUP
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _group_codes(group_values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (each report's group index, group labels sorted with "(unknown)" last)."""
    keys = label_each(group_values, _group_label)
    ordered = sorted(set(keys), key=lambda label: (label == UNKNOWN_GROUP, label))
    return pd.Categorical(keys, categories=ordered).codes, np.asarray(ordered, dtype=object)


def _group_counts(doc_term: sparse.csr_matrix, codes: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """The groups × terms counts: each group's reports' rows summed."""
    if n_groups == len(codes) and np.array_equal(codes, np.arange(len(codes))):
        # Every report its own group, already in label order (by="report_id"): no copy needed.
        return doc_term
    membership = sparse.csr_matrix(
        (np.ones(len(codes), dtype=np.int32), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes))
    )
    return (membership @ doc_term).tocsr()


def _keyness(a: np.ndarray, group_total: np.ndarray, term_total: np.ndarray, total: float) -> tuple:
    """Signed G² (Williams) and signed χ² (Yates) of the 2×2 tables [[a, b], [c, d]] (float arrays).

    The four cells are worked one at a time rather than stacked into (4, n) arrays: the same
    operations in the same order (G² adds the cells' terms a, b, c, d in turn, as a sum over the
    stacked axis does), without the stacks' copies.
    """
    b = term_total - a  # the term in the rest of the corpus
    c = group_total - a  # other terms in the group
    d = total - a - b - c
    term_in, term_out, group_in, group_out = a + b, c + d, a + c, b + d  # the table's margins
    expected_a = term_in * group_in / total
    half_g2 = np.zeros(np.shape(expected_a))
    for observed, row, col in ((a, term_in, group_in), (b, term_in, group_out), (c, term_out, group_in), (d, term_out, group_out)):
        expected = expected_a if observed is a else row * col / total
        with np.errstate(divide="ignore", invalid="ignore"):
            cell = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
        np.add(half_g2, cell, out=half_g2)
    g2 = 2 * half_g2
    with np.errstate(divide="ignore", invalid="ignore"):
        williams = 1 + (total * (1 / term_in + 1 / term_out) - 1) * (total * (1 / group_in + 1 / group_out) - 1) / (6 * total)
        g2 = np.where(np.isfinite(williams) & (williams > 0), g2 / williams, g2)
        yates = np.maximum(np.abs(a * d - b * c) - total / 2, 0) ** 2 * total
        chi2 = yates / (term_in * term_out * group_in * group_out)
    sign = np.sign(np.round(a - expected_a, 9))  # 0 when the group is the whole corpus
    return sign * np.nan_to_num(g2), sign * np.nan_to_num(chi2)


_KEYNESS_SLICE = 1 << 16  # entries whose keyness is computed at a time (see _keyness_by_slices)


def _keyness_by_slices(a: np.ndarray, group_index: np.ndarray, term_index: np.ndarray, totals: tuple) -> tuple:
    """`_keyness` of the counts `a` of (group, term) entries, a slice of entries at a time.

    The same values in about 40 % less time: keyness takes some thirty temporary arrays, and a
    slice's (0.5 MB each) stay in the CPU cache where a whole chunk's (4 MB each) go out to
    memory and back for every operation. `totals` are the groups' totals, the terms' totals and
    the corpus total.
    """
    group_total, term_total, total = totals
    g2, chi2 = np.empty(len(a)), np.empty(len(a))
    for start in range(0, len(a), _KEYNESS_SLICE):
        part = slice(start, start + _KEYNESS_SLICE)
        g2[part], chi2[part] = _keyness(a[part], group_total[group_index[part]], term_total[term_index[part]], total)
    return g2, chi2


def _score_chunk(
    counts, transformer, labels: "_Labels", terms: pd.CategoricalDtype, rows: slice, totals: tuple, top_n: int,
) -> pd.DataFrame:
    chunk = counts[rows]
    chunk.sort_indices()
    block = chunk.tocoo()
    a = block.data.astype(float)
    group_index = block.row + rows.start
    g2, chi2 = _keyness_by_slices(a, group_index, block.col, totals)
    # TF-IDF rows are scaled one by one, so a chunk's rows equal those of the whole matrix; every
    # count is positive and so is its weight, so the weights have the counts' sparsity pattern.
    weighted = transformer.transform(chunk).tocsr()
    weighted.sort_indices()
    weights = weighted.data
    # Only entries that can reach a group's top_n by keyness go through the full sort.
    candidates = _top_by_keyness(g2, group_index, top_n)
    # Vocabulary indices are in term order, so -col is no key: ties break on the term itself.
    ranked = np.lexsort((block.col[candidates], -a[candidates], -weights[candidates], -g2[candidates],
                         group_index[candidates]))
    order = candidates[ranked]
    # Keep each group's first top_n before building the frame (a chunk holds every nonzero count).
    sorted_groups = group_index[order]
    first_of_group = np.searchsorted(sorted_groups, sorted_groups, side="left")
    order = order[np.arange(len(order)) - first_of_group < top_n]
    frame = pd.DataFrame({
        # Codes into the groupings, the group labels and the vocabulary: no string per row is built.
        "group_by": pd.Categorical.from_codes(np.full(len(order), labels.grouping, dtype=np.int8), dtype=labels.groupings),
        "group": pd.Categorical.from_codes(labels.codes[group_index[order]], dtype=labels.groups),
        "term": pd.Categorical.from_codes(block.col[order], dtype=terms),
        "count": a[order].astype("int64"),
        "tfidf": np.round(weights[order], 6),
        "keyness": np.round(g2[order], 4),
        "log_likelihood": np.round(np.abs(g2[order]), 4),
        "chi2": np.round(chi2[order], 4),
    })
    return frame


def _row_chunks(indptr: np.ndarray) -> list[slice]:
    """Consecutive row slices of at most _CHUNK_GROUPS rows and (but for a single row) at most
    _CHUNK_NONZEROS nonzero entries, from a CSR matrix's row pointer."""
    chunks = []
    start, n_rows = 0, len(indptr) - 1
    while start < n_rows:
        limit = min(start + _CHUNK_GROUPS, n_rows)
        # The last row whose end stays within the nonzero budget (at least one row).
        stop = int(np.searchsorted(indptr, indptr[start] + _CHUNK_NONZEROS, side="right")) - 1
        stop = max(start + 1, min(stop, limit))
        chunks.append(slice(start, stop))
        start = stop
    return chunks


def _top_by_keyness(g2: np.ndarray, group_index: np.ndarray, top_n: int) -> np.ndarray:
    """Indices of entries whose keyness is at least their group's top_n-th (ties all kept)."""
    n_groups = int(group_index.max()) + 1 if len(group_index) else 0
    cut = _kth_largest(g2, group_index, n_groups, top_n)
    return np.flatnonzero(g2 >= cut[group_index])


def _kth_largest(values: np.ndarray, group_index: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """Each group's k-th largest value; -inf for a group of fewer than k entries.

    Groups of about the same size (the same power of two) are padded with -inf into one matrix
    whose rows are partitioned at once: linear work, where sorting every entry by group and
    value (a chunk holds half a million) was most of the keywords stage.
    """
    sizes = np.bincount(group_index, minlength=n_groups)
    by_group = np.argsort(group_index, kind="stable")  # a CSR chunk's entries come grouped already
    starts = np.cumsum(sizes) - sizes
    cut = np.full(n_groups, -np.inf)
    width_bits = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    for bits in np.unique(width_bits[sizes >= k]).tolist():
        groups = np.flatnonzero((width_bits == bits) & (sizes >= k))
        width, group_sizes = 1 << bits, sizes[groups]
        row = np.repeat(np.arange(len(groups)), group_sizes)
        column = np.arange(len(row)) - np.repeat(np.cumsum(group_sizes) - group_sizes, group_sizes)
        padded = np.full((len(groups), width), -np.inf)
        padded[row, column] = values[by_group[np.repeat(starts[groups], group_sizes) + column]]
        padded.partition(width - k, axis=1)
        cut[groups] = padded[:, width - k]
    return cut


def keywords(
    token_docs: pd.DataFrame,
    *,
    by: str | Sequence[str] = "report_id",
    top_n: int = 20,
    tokens: Mapping[str, list[str]] | None = None,
    counts: DocTermCounts | None = None,
) -> pd.DataFrame:
    """Return the `keywords` table: the top terms of each group with tfidf, keyness and χ².

    Args:
        token_docs: one row per report with report_id, school, year … and `tokens` (content
            tokens), or without `tokens` when `tokens` is given.
        by: the column whose values form the groups (report_id, school, year, region, stage …),
            or several such columns: their tables are stacked, counting the tokens once.
        top_n: terms kept per group.
        tokens: report_id → content tokens, read one report at a time (e.g. an analysis'
            `TokenStore`), instead of a `tokens` column.
        counts: the reports' term counts from `doc_term.count_terms`, rows in the order of
            `token_docs` (counted once for topics and keywords); then tokens are not read.

    Returns:
        group_by, group (as text; missing values are "(unknown)"), term, count, tfidf, keyness,
        log_likelihood, chi2.
    """
    groupings = [by] if isinstance(by, str) else list(by)
    has_tokens = counts is not None or tokens is not None or "tokens" in token_docs.columns
    missing = [column for column in groupings if column not in token_docs.columns]
    if missing or not has_tokens:
        raise InputError(f"keywords needs the columns tokens (or a tokens mapping) and {', '.join(map(repr, groupings))}")
    if top_n < 1:
        raise InputError(f"top_n must be ≥ 1, got {top_n}")
    if counts is None:
        if tokens is not None:
            token_lists: Iterable[list[str]] = (tokens.get(report_id, []) for report_id in token_docs["report_id"])
        else:
            token_lists = token_docs["tokens"]
        counts = count_terms(token_lists)
    if counts is None:
        return pd.DataFrame(columns=KEYWORD_COLUMNS)
    if counts.n_reports != len(token_docs):
        raise InputError(f"keywords: counts have {counts.n_reports} rows for {len(token_docs)} reports")
    doc_term, terms = counts.counts, counts.terms
    term_dtype = pd.CategoricalDtype(pd.Index(terms, dtype="str"))
    grouped = [_group_codes(token_docs[grouping]) for grouping in groupings]
    group_dtype = pd.CategoricalDtype(_united_labels([groups for _, groups in grouped]))
    grouping_dtype = pd.CategoricalDtype(pd.Index(groupings, dtype="str"))
    frames = []
    for index, (codes, groups) in enumerate(grouped):
        group_term = _group_counts(doc_term, codes, len(groups))
        transformer = TfidfTransformer().fit(group_term)
        totals = (
            np.asarray(group_term.sum(axis=1)).ravel().astype(float),
            np.asarray(group_term.sum(axis=0)).ravel().astype(float),
            float(group_term.sum()),
        )
        labels = _Labels(index, grouping_dtype, group_dtype, group_dtype.categories.get_indexer(groups))
        frames += [
            _score_chunk(group_term, transformer, labels, term_dtype, rows, totals, top_n)
            for rows in _row_chunks(group_term.indptr)
        ]
    # Every chunk shares the same three dtypes, so the stacked columns stay categoricals.
    return pd.concat(frames, ignore_index=True)[KEYWORD_COLUMNS]


@dataclass(frozen=True)
class _Labels:
    """How a grouping's chunk rows are labelled: the grouping's code and its groups' codes.

    Every chunk of every grouping shares one `groups` dtype (the labels of all groupings) and one
    `groupings` dtype: chunks with their own categories would be stacked as text, or united at
    the cost of recoding every chunk against 100,000 report ids (a minute and 1 GB at 100,000
    reports), and a vocabulary or label copy per chunk would cost hundreds of MB.
    """

    grouping: int
    groupings: pd.CategoricalDtype
    groups: pd.CategoricalDtype
    codes: np.ndarray  # this grouping's group index → code in `groups`


def _united_labels(label_sets: list[np.ndarray]) -> pd.Index:
    """The group labels of all groupings, each once, in order of first appearance."""
    return pd.Index(pd.unique(np.concatenate(label_sets)) if label_sets else [], dtype="str")


__all__ = ["keywords", "KEYWORD_COLUMNS"]
