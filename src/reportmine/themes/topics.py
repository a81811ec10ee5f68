"""Inductive topics: TF-IDF + NMF (or counts + LDA) over content tokens, seeded and reproducible.

`TopicModel` has the scikit-learn estimator shape: parameters are stored untouched by
``__init__`` and checked by `fit`; learned attributes end with ``_``. Input is already tokenized
(lists of content tokens from `reportmine.text.segment`), so the vectorizer's analyzer is the
identity. NMF starts from NNDSVD, which is deterministic: two fits on the same tokens give the
same topics, and `random_state` matters only for LDA.

Choosing the number of topics (``n_topics=None``):

- up to 2,000 reports: fit NMF for every k from 3 (2 for a corpus of fewer than six reports) to
  min(12, n_reports // 2) and keep the k whose
  topics are most coherent — mean NPMI of each topic's top-10 terms, with probabilities
  estimated from document co-occurrence in the corpus itself; ties go to the smaller k. This
  takes a second or two on 100 reports. The search always uses NMF, also for method="lda".
- beyond that: no search, k = clamp(round(sqrt(n_reports / 2)), 3, 30).

Above `max_fit_docs` reports (3,000) the model is fitted on a seeded random sample of that size
and every report is transformed with it: fitting then costs the same whatever the corpus size,
and the stage grows linearly with the number of reports.

Topics are numbered by decreasing share of the total document-topic weight (topic 0 is the most
present); `label` is the top three terms joined by "·".
"""
from __future__ import annotations

import logging
import math
import warnings
from numbers import Integral
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from reportmine.errors import InputError
from reportmine.store import ValuesInOrder
from reportmine.themes.doc_term import DocTermCounts, count_terms

logger = logging.getLogger(__name__)

TOPICS_COLUMNS = ["topic_id", "label", "top_terms", "weight_share"]
DOC_TOPICS_COLUMNS = ["report_id", "topic_id", "weight"]
_METHODS = ("nmf", "lda")
_SEARCH_MAX_DOCS = 2000  # above this, the number of topics comes from the formula, not a search
_SEARCH_MAX_K = 12
_SEARCH_MIN_K = 3
_COHERENCE_TERMS = 10
_MAX_ITER = {"nmf": 300, "lda": 50}
# NMF stops when its projected gradient falls below tol × the first one. At scikit-learn's 1e-4
# a 3,000-report fit ran 284 coordinate-descent sweeps (6.4 s); at 1e-3 it runs 55 (2.0 s) with
# the same reconstruction error to 4 digits and 99 % of the top-10 terms of every topic.
_NMF_TOL = 1e-3
_TRANSFORM_CHUNK = 20_000  # reports projected onto the topics at a time
# The weighted term matrix in single precision: NMF's time is mostly sparse × dense products,
# which read half the bytes (a third less time at 3,898 reports); the topics and their top
# terms came out the same, report weights moved by at most 4e-4.
_MATRIX_DTYPE = np.float32
_SEARCH_MAX_ITER = 100  # enough to rank k; the final fit runs longer


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def formula_n_topics(n_docs: int) -> int:
    """Return clamp(round(sqrt(n_docs / 2)), 3, 30): the topic count used for large corpora."""
    return int(min(30, max(3, round(math.sqrt(n_docs / 2)))))


@contextmanager
def _quiet_fit() -> Iterator[None]:
    """Silence what a fit warns of that is no news to the user: a capped max_iter is a deliberate
    speed/accuracy trade-off, and the reconstruction error NMF computes last (unused here) may take
    the square root of a rounding error just below zero in single precision."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def npmi_coherence(doc_term, top_indices: Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    """Return the mean NPMI of each topic's top terms, from document co-occurrence in `doc_term`."""
    present = (doc_term > 0).astype(np.float64).tocsc()
    n_docs = present.shape[0]
    scores = []
    for indices in top_indices:
        columns = present[:, list(indices)]
        joint = (columns.T @ columns).toarray() / n_docs
        marginal = np.diag(joint)
        upper = np.triu_indices(len(indices), k=1)
        p_ij = joint[upper]
        p_i_p_j = marginal[upper[0]] * marginal[upper[1]]
        with np.errstate(divide="ignore", invalid="ignore"):
            npmi = np.where(
                p_ij >= 1, 1.0, np.where(p_ij > 0, np.log(p_ij / p_i_p_j) / -np.log(p_ij), -1.0)
            )
        scores.append(float(npmi.mean()) if npmi.size else 0.0)
    return np.asarray(scores)


class TopicModel(BaseEstimator):
    """NMF or LDA topic model over token lists, with topics labelled by their top terms.

    Args:
        n_topics: number of topics, or None to choose it (see the module docstring).
        method: ``"nmf"`` (TF-IDF input, default) or ``"lda"`` (term counts).
        max_features, min_df, max_df: vocabulary limits, as in scikit-learn's vectorizers
            (relaxed to 1 and 1.0 when a tiny corpus would leave no term).
        n_top_terms: terms listed per topic.
        max_fit_docs: above this many reports the vocabulary and topics are learned from a seeded
            random sample of this size and every report is then transformed, so fitting costs the
            same at 100,000 reports as at 3,000 (None: always fit on all reports).
        random_state: seed for LDA and for the sample (NMF with NNDSVD is deterministic anyway).
    """

    def __init__(
        self,
        *,
        n_topics: int | None = None,
        method: Literal["nmf", "lda"] = "nmf",
        max_features: int | None = 5000,
        min_df: int | float = 2,
        max_df: int | float = 0.9,
        n_top_terms: int = 10,
        max_fit_docs: int | None = 3000,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_topics = n_topics
        self.method = method
        self.max_features = max_features
        self.min_df = min_df
        self.max_df = max_df
        self.n_top_terms = n_top_terms
        self.max_fit_docs = max_fit_docs
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.method not in _METHODS:
            raise InputError(f"unknown topic method {self.method!r}; choose one of {', '.join(_METHODS)}")
        if self.n_topics is not None and (not isinstance(self.n_topics, (int, np.integer)) or self.n_topics < 1):
            raise InputError(f"n_topics must be a positive integer or None, got {self.n_topics!r}")
        if not isinstance(self.n_top_terms, (int, np.integer)) or self.n_top_terms < 1:
            raise InputError(f"n_top_terms must be a positive integer, got {self.n_top_terms!r}")
        if self.max_fit_docs is not None and (not isinstance(self.max_fit_docs, (int, np.integer)) or self.max_fit_docs < 2):
            raise InputError(f"max_fit_docs must be an integer ≥ 2 or None, got {self.max_fit_docs!r}")

    def _weight(self, fit_counts: sparse.csr_matrix) -> tuple[np.ndarray, sparse.csr_matrix]:
        """Pick the vocabulary and weight the counts, as scikit-learn's TfidfVectorizer would.

        Returns the kept columns of `fit_counts` and the weighted reports × kept terms matrix;
        the vocabulary limits are relaxed to 1 and 1.0 when a tiny corpus would leave no term.
        """
        lda = self.method == "lda"
        present = np.flatnonzero(np.bincount(fit_counts.indices, minlength=fit_counts.shape[1]))
        counts = fit_counts[:, present].astype(_MATRIX_DTYPE)
        for min_df, max_df in [(self.min_df, self.max_df), (1, 1.0)]:
            kept = _limit_vocabulary(counts, min_df=min_df, max_df=max_df, max_features=self.max_features)
            if kept is None:
                logger.info("topics: vocabulary limits too strict for %d reports; relaxing", counts.shape[0])
                continue
            matrix = counts[:, kept]
            self.tfidf_ = TfidfTransformer(use_idf=not lda, norm=None if lda else "l2").fit(matrix)
            return present[kept], self.tfidf_.transform(matrix, copy=False)
        raise InputError("topics: the reports have no content tokens to model")

    def _make_model(self, n_topics: int, seed: int):  # noqa: ANN202
        if self.method == "lda":
            return LatentDirichletAllocation(
                n_components=n_topics, learning_method="batch", max_iter=_MAX_ITER["lda"], random_state=seed
            )
        return NMF(n_components=n_topics, init="nndsvd", max_iter=_MAX_ITER["nmf"], tol=_NMF_TOL, random_state=seed)

    def _fit_model(self, doc_term, n_topics: int, seed: int):  # noqa: ANN202
        model = self._make_model(n_topics, seed)
        with _quiet_fit():
            doc_topic = model.fit_transform(doc_term)
        return model, doc_topic

    def _choose_n_topics(self, doc_term, seed: int, n_docs: int) -> int:
        n_terms = doc_term.shape[1]
        ceiling = max(1, min(doc_term.shape[0], n_terms))
        if n_docs > _SEARCH_MAX_DOCS:
            self.k_scores_ = {}
            return min(formula_n_topics(n_docs), ceiling)
        upper = min(_SEARCH_MAX_K, n_docs // 2, ceiling)
        # Two topics split a corpus by school type at best and NPMI favours such broad topics;
        # a thematic reading needs at least three whenever the corpus can carry them.
        candidates = range(_SEARCH_MIN_K if upper >= _SEARCH_MIN_K else 2, upper + 1)
        scores = {}
        for k in candidates:
            # The search always uses NMF (LDA would take ten times longer); LDA is fitted once after.
            model = NMF(n_components=k, init="nndsvd", max_iter=_SEARCH_MAX_ITER, tol=_NMF_TOL, random_state=seed)
            with _quiet_fit():
                model.fit(doc_term)
            top = np.argsort(-model.components_, axis=1, kind="stable")[:, :_COHERENCE_TERMS]
            scores[k] = float(npmi_coherence(doc_term, top).mean())
        self.k_scores_ = scores
        if not scores:
            return min(2, ceiling)
        return max(scores, key=lambda k: (round(scores[k], 9), -k))

    def fit(self, token_lists: Iterable[list[str]], y: object = None) -> TopicModel:  # noqa: ARG002
        """Learn the vocabulary and topics from lists of content tokens (one list per report)."""
        self._check_params()
        counts = count_terms(token_lists)
        if counts is None:
            raise InputError("topics: the reports have no content tokens to model")
        return self.fit_counts(counts)

    def fit_counts(self, counts: DocTermCounts) -> TopicModel:
        """Learn the vocabulary and topics from the reports' term counts (`doc_term.count_terms`)."""
        self._check_params()
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        n_docs = counts.n_reports
        if not n_docs:
            raise InputError("topics: no reports to model")
        sample: np.ndarray | slice = slice(None)
        if self.max_fit_docs is not None and n_docs > self.max_fit_docs:
            sample = np.sort(rng.choice(n_docs, size=int(self.max_fit_docs), replace=False))
        sampled = not isinstance(sample, slice)
        columns, doc_term = self._weight(counts.counts[sample])
        self.feature_names_ = counts.terms[columns]
        self.vocabulary_ = {str(term): index for index, term in enumerate(self.feature_names_)}
        # One BLAS thread: multi-threaded reductions may round differently from run to run, and on
        # these thin sparse problems threads cost more than they bring (5x slower on 2 busy cores).
        with threadpool_limits(limits=1, user_api="blas"):
            chosen = self.n_topics if self.n_topics is not None else self._choose_n_topics(doc_term, seed, n_docs)
            self.n_topics_ = int(min(chosen, max(1, min(doc_term.shape))))
            self.model_, doc_topic = self._fit_model(doc_term, self.n_topics_, seed)
            if sampled:
                doc_topic = self._transform_in_chunks(counts.counts, columns)
        # Renumber topics by decreasing total weight (stable for ties) so topic 0 is the most present.
        totals = doc_topic.sum(axis=0)
        self.topic_order_ = np.argsort(-totals, kind="stable")
        self.components_ = self.model_.components_[self.topic_order_]
        self.doc_topic_ = _normalize_rows(doc_topic[:, self.topic_order_])
        self.weight_share_ = totals[self.topic_order_] / totals.sum() if totals.sum() > 0 else totals * 0
        return self

    def _transform_in_chunks(self, all_counts: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        # NMF's solver stops on a tolerance summed over the rows it is given, so one call is kept
        # up to _TRANSFORM_CHUNK reports; beyond, chunks bound the memory of the term matrix (rows
        # are cut before the vocabulary's columns, so no copy of the whole matrix is made).
        parts = []
        for start in range(0, all_counts.shape[0], _TRANSFORM_CHUNK):
            chunk = all_counts[start : start + _TRANSFORM_CHUNK][:, columns].astype(_MATRIX_DTYPE)
            parts.append(self.model_.transform(self.tfidf_.transform(chunk, copy=False)))
        return np.vstack(parts)

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise InputError("this TopicModel is not fitted yet: call fit(token_lists) first")

    def transform(self, token_lists: Iterable[list[str]]) -> np.ndarray:
        """Return the topic weights (rows sum to 1, or 0 for reports with no known term)."""
        self._check_fitted()
        counter = CountVectorizer(analyzer=_identity, lowercase=False, vocabulary=self.vocabulary_, dtype=_MATRIX_DTYPE)
        doc_term = self.tfidf_.transform(counter.transform(list(tokens) for tokens in token_lists), copy=False)
        return _normalize_rows(self.model_.transform(doc_term)[:, self.topic_order_])

    def fit_transform(self, token_lists: Iterable[list[str]], y: object = None) -> np.ndarray:  # noqa: ARG002
        """Fit, then return the document-topic weights of the training reports."""
        return self.fit(token_lists).doc_topic_

    def top_terms(self, topic_id: int) -> list[str]:
        """Return the `n_top_terms` heaviest terms of a topic (ties in term order)."""
        self._check_fitted()
        order = np.lexsort((np.arange(self.components_.shape[1]), -self.components_[topic_id]))
        return [str(self.feature_names_[i]) for i in order[: self.n_top_terms] if self.components_[topic_id, i] > 0]

    def topics_frame(self) -> pd.DataFrame:
        """Return the `topics` table: topic_id, label (top 3 terms joined by ·), top_terms, weight_share."""
        self._check_fitted()
        rows = []
        for topic_id in range(self.n_topics_):
            terms = self.top_terms(topic_id)
            rows.append((topic_id, "·".join(terms[:3]), " ".join(terms), round(float(self.weight_share_[topic_id]), 6)))
        return pd.DataFrame(rows, columns=TOPICS_COLUMNS)

    def doc_topics_frame(self, report_ids: Sequence[str]) -> pd.DataFrame:
        """Return the `doc_topics` table (report × topic weight) for the training reports, in order."""
        self._check_fitted()
        report_ids = list(report_ids)
        if len(report_ids) != self.doc_topic_.shape[0]:
            raise InputError(f"got {len(report_ids)} report ids for {self.doc_topic_.shape[0]} modelled reports")
        k = self.n_topics_
        # Each report id repeats k times: as a categorical the ids are held once, not k times
        # (3 million strings at 100,000 reports).
        reports = pd.Categorical(report_ids)
        return pd.DataFrame({
            "report_id": pd.Categorical.from_codes(np.repeat(reports.codes, k), dtype=reports.dtype),
            "topic_id": np.tile(np.arange(k, dtype=np.int64), len(report_ids)),
            "weight": np.round(self.doc_topic_.ravel(), 6),
        })


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix, dtype=np.float64), where=sums > 0)


def fit_topics(
    token_docs: pd.DataFrame,
    *,
    tokens: Mapping[str, list[str]] | None = None,
    counts: DocTermCounts | None = None,
    **params: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit a TopicModel on `token_docs` and return the (topics, doc_topics) tables.

    `token_docs` has report_id and `tokens`, or only report_id when `tokens` (report_id →
    content tokens, e.g. a `TokenStore`) is given; then each report's tokens are read when needed.
    `counts` (from `doc_term.count_terms`, rows in the order of `token_docs`) replaces the tokens
    when the corpus stages have counted them once for topics and keywords.
    A corpus with fewer than two reports that have content tokens has no topics to find: both
    tables come back empty (with their columns) instead of an error, so a run over a folder of
    one report, or of only unreadable files, still writes every table.
    """
    report_ids = list(token_docs["report_id"])
    if counts is None:
        docs: Sequence[list[str]] = (
            ValuesInOrder(tokens, report_ids, default=[]) if tokens is not None else list(token_docs["tokens"])
        )
        counts = count_terms(docs)
    n_with_tokens = int(np.count_nonzero(np.diff(counts.counts.indptr))) if counts is not None else 0
    if counts is None or n_with_tokens < 2:
        logger.info("topics: %d report(s) with content tokens, no topic model fitted", n_with_tokens)
        return pd.DataFrame(columns=TOPICS_COLUMNS), pd.DataFrame(columns=DOC_TOPICS_COLUMNS)
    if counts.n_reports != len(report_ids):
        raise InputError(f"topics: counts have {counts.n_reports} rows for {len(report_ids)} reports")
    model = TopicModel(**params).fit_counts(counts)
    return model.topics_frame(), model.doc_topics_frame(report_ids)


def _limit_vocabulary(
    counts: sparse.csr_matrix, *, min_df: int | float, max_df: int | float, max_features: int | None
) -> np.ndarray | None:
    """Columns kept by scikit-learn's document-frequency and max_features rules; None if none."""
    n_docs = counts.shape[0]
    max_doc_count = max_df if isinstance(max_df, Integral) else max_df * n_docs
    min_doc_count = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if max_doc_count < min_doc_count:
        return None
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    mask = (document_frequency <= max_doc_count) & (document_frequency >= min_doc_count)
    if max_features is not None and mask.sum() > max_features:
        # The same (unstable) argsort of the same float totals as scikit-learn: the same ties win.
        term_totals = np.asarray(counts.sum(axis=0)).ravel()
        most_used = (-term_totals[mask]).argsort()[:max_features]
        limited = np.zeros(len(mask), dtype=bool)
        limited[np.flatnonzero(mask)[most_used]] = True
        mask = limited
    kept = np.flatnonzero(mask)
    return kept if len(kept) else None


__all__ = ["TopicModel", "fit_topics", "formula_n_topics", "npmi_coherence", "TOPICS_COLUMNS", "DOC_TOPICS_COLUMNS"]
