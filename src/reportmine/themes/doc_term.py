"""Count each report's content tokens once: the reports × terms matrix topics and keywords share.

scikit-learn's vectorizers look every token up in a Python dict (about 0.4 µs a token: a second
per 2.5 million tokens), and the topic model and the keyword tables each counted the whole corpus
again. Here a block of reports is counted with one hash-table pass in C (`pandas.factorize`), only
each block's distinct terms touch the Python vocabulary, and both stages read the same matrix.
Columns are in sorted term order, as scikit-learn's `CountVectorizer` orders them, so a model fitted
on these counts is the one fitted on the tokens.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

_BLOCK_REPORTS = 1000  # reports counted at a time: bounds the block's flat array of token strings (~40 MB)


@dataclass(frozen=True)
class DocTermCounts:
    """Reports × terms counts (int32 CSR, rows in report order) and the sorted terms."""

    counts: sparse.csr_matrix
    terms: np.ndarray  # object array of str, sorted; column j counts terms[j]

    @property
    def n_reports(self) -> int:
        return int(self.counts.shape[0])

    def save(self, path: Path) -> Path:
        """Write the counts to `path` (an uncompressed ``.npz``); `load` reads them back.

        For handing the counts from one process to another: a file costs the receiver one copy
        of the arrays, a pickle sent through a pipe two (the message, then the arrays).
        """
        matrix = self.counts
        np.savez(path, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr,
                 shape=np.asarray(matrix.shape), terms=np.asarray(self.terms, dtype=str))
        return path

    @classmethod
    def load(cls, path: Path) -> DocTermCounts:
        """The counts `save` wrote to `path`."""
        with np.load(path) as stored:
            counts = sparse.csr_matrix((stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"]))
            terms = stored["terms"].astype(object)
        counts.has_sorted_indices = True
        return cls(counts=counts, terms=terms)


def count_terms(token_lists: Iterable[list[str]], *, block_reports: int = _BLOCK_REPORTS) -> DocTermCounts | None:
    """Count the tokens of each report; None when no report has a token.

    The token lists are read once, in order, a block at a time (they may come lazily from a
    disk spool).

    >>> count_terms([["公开课", "教研", "公开课"], ["教研"]]).counts.toarray().tolist()
    [[2, 1], [0, 1]]
    """
    counter = TermCounter()
    for block in _blocks(token_lists, block_reports):
        counter.add_block(block)
    return counter.result()


class TermCounter:
    """Counts reports' tokens block by block as they come (e.g. while a run collects results)."""

    def __init__(self) -> None:
        self._vocabulary: dict[str, int] = {}
        # Each block's counts with, when its columns are not vocabulary ids, the vocabulary id of
        # each column (see `consolidate`).
        self._blocks: list[tuple[sparse.csr_matrix, np.ndarray | None]] = []
        self._sorted_ids: np.ndarray = np.empty(0, dtype=np.int64)  # ids in term order at the last `consolidate`

    def add_block(self, token_lists: list[list[str]]) -> None:
        """Count the next reports (one token list each, in report order)."""
        if token_lists:
            self._blocks.append((_count_block(token_lists, self._vocabulary), None))

    def add_joined_block(self, joined_tokens: Sequence[str | bytes], separator: str) -> None:
        """Count the next reports, each report's tokens as one string (or its UTF-8 bytes)
        joined by `separator` (as `store.TokenStore` keeps them)."""
        if joined_tokens:
            self._blocks.append((_count_joined_block(joined_tokens, separator, self._vocabulary), None))

    def consolidate(self) -> None:
        """Stack the blocks counted so far into one, its columns in the sorted order of the terms
        known now: the sorting `result` needs, done ahead (e.g. while a run's last results come).

        Terms counted later fall between these columns without reordering any row's columns: the
        order of the terms known now holds among all terms.
        """
        if self._vocabulary and self._blocks:
            order = self._term_order()
            self._blocks = [(self._stack(order), order)]
            self._sorted_ids = order

    def result(self) -> DocTermCounts | None:
        """The counts of every report added, columns in sorted term order; None without tokens.

        The blocks are moved into the matrix one at a time (the counter is empty afterwards), so
        memory holds about one copy of the counts, not the blocks, their stack and a re-indexed
        copy at once (three copies: 0.5 GB at 100,000 reports).
        """
        if not self._vocabulary:
            return None
        order = self._term_order()
        terms = np.empty(len(order), dtype=object)
        terms[:] = list(self._vocabulary)
        counts = self._stack(order)
        self._vocabulary, self._sorted_ids = {}, np.empty(0, dtype=np.int64)
        return DocTermCounts(counts=counts, terms=terms[order])

    def _term_order(self) -> np.ndarray:
        """The vocabulary ids in sorted term order."""
        terms = list(self._vocabulary)
        # The ids sorted at the last `consolidate` first: already in order, they are one run for
        # Python's sort, which then only places the terms that came since (ids are given in turn).
        ids = [*self._sorted_ids.tolist(), *range(len(self._sorted_ids), len(terms))]
        return np.asarray(sorted(ids, key=terms.__getitem__), dtype=np.int64)

    def _stack(self, order: np.ndarray) -> sparse.csr_matrix:
        """The blocks (moved out of the counter) as one matrix whose column j counts the term
        with id `order[j]`, each row's columns in order."""
        n_terms = len(order)
        column_of = np.empty(n_terms, dtype=np.int32)
        column_of[order] = np.arange(n_terms, dtype=np.int32)
        blocks = self._blocks
        n_rows = sum(block.shape[0] for block, _ in blocks)
        n_counts = sum(block.nnz for block, _ in blocks)
        index_dtype = np.int32 if n_counts <= np.iinfo(np.int32).max else np.int64
        indptr = np.zeros(n_rows + 1, dtype=index_dtype)
        indices = np.empty(n_counts, dtype=np.int32)
        data = np.empty(n_counts, dtype=np.int32)
        row, position = 0, 0
        while blocks:
            block, column_ids = blocks.pop(0)
            if column_ids is None:  # columns are vocabulary ids: in term order once re-sorted
                block = sparse.csr_matrix((block.data, column_of[block.indices], block.indptr), shape=(block.shape[0], n_terms))
                block.sort_indices()
            else:  # columns in term order already, and mapped to term order they keep it
                block = sparse.csr_matrix(
                    (block.data, column_of[column_ids][block.indices], block.indptr), shape=(block.shape[0], n_terms)
                )
            indices[position : position + block.nnz] = block.indices
            data[position : position + block.nnz] = block.data
            indptr[row + 1 : row + block.shape[0] + 1] = block.indptr[1:] + position
            row, position = row + block.shape[0], position + block.nnz
        counts = sparse.csr_matrix((data, indices, indptr), shape=(n_rows, n_terms))
        counts.has_sorted_indices = True
        return counts


def _blocks(token_lists: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    iterator = iter(token_lists)
    while block := list(islice(iterator, size)):
        yield block


def _count_block(block: list[list[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    lengths = np.fromiter((len(tokens) for tokens in block), dtype=np.int64, count=len(block))
    flat = np.fromiter(chain.from_iterable(block), dtype=object, count=int(lengths.sum()))
    codes, distinct = pd.factorize(flat)
    return _block_matrix(codes, distinct, lengths, vocabulary)


def _count_joined_block(
    joined_tokens: Sequence[str | bytes], separator: str, vocabulary: dict[str, int]
) -> sparse.csr_matrix:
    """`_count_block` of joined token strings, split and hashed in Arrow: no Python string is
    made per token (splitting into lists and factorizing them was most of the counting time),
    only one per distinct term of the block."""
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = pa.array(joined_tokens, type=pa.large_binary()).cast(pa.large_string())  # checks bytes are UTF-8
    # A report without tokens is an empty string; as null it splits into no list, not [""].
    joined = pc.if_else(pc.equal(pc.binary_length(joined), 0), pa.scalar(None, pa.large_string()), joined)
    token_lists = pc.split_pattern(joined, pattern=separator)
    lengths = pc.fill_null(pc.list_value_length(token_lists), 0).to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(token_lists))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return _block_matrix(codes, encoded.dictionary.to_pylist(), lengths, vocabulary)


def _block_matrix(codes: np.ndarray, distinct: Sequence[str], lengths: np.ndarray, vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """The block's reports × vocabulary counts from each token's index in `distinct` (the
    block's terms) and each report's number of tokens; new terms join `vocabulary`."""
    # Only the block's distinct terms go through the Python vocabulary.
    term_ids = np.fromiter(
        (vocabulary.setdefault(term, len(vocabulary)) for term in distinct), dtype=np.int32, count=len(distinct)
    )
    rows = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    matrix = sparse.coo_matrix(
        (np.ones(len(codes), dtype=np.int32), (rows, term_ids[codes])), shape=(len(lengths), max(len(vocabulary), 1))
    )
    return matrix.tocsr()  # duplicates (a term used twice in a report) are summed here


__all__ = ["DocTermCounts", "TermCounter", "count_terms"]
