"""Counting content tokens once for topics and keywords: the same counts scikit-learn makes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from reportmine.store import TokenStore
from reportmine.themes.doc_term import TermCounter, count_terms
from reportmine.themes.keywords import keywords
from reportmine.themes.topics import TopicModel, fit_topics


def _sklearn_counts(token_lists):
    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens, lowercase=False)
    return vectorizer.fit_transform(token_lists), vectorizer.get_feature_names_out()


def test_counts_equal_scikit_learn_on_the_bundled_corpus(bundled_token_docs: pd.DataFrame):
    counted = count_terms(bundled_token_docs["tokens"])
    expected, terms = _sklearn_counts(bundled_token_docs["tokens"])
    assert list(counted.terms) == list(terms)
    assert (counted.counts != expected).nnz == 0
    assert counted.counts.has_sorted_indices


def test_counts_do_not_depend_on_the_block_size(bundled_token_docs: pd.DataFrame):
    whole = count_terms(bundled_token_docs["tokens"])
    in_blocks = count_terms(bundled_token_docs["tokens"], block_reports=3)
    assert list(in_blocks.terms) == list(whole.terms)
    assert (in_blocks.counts != whole.counts).nnz == 0
    # Each row's columns really are in order (the matrix says so without checking).
    resorted = in_blocks.counts.copy()
    resorted.has_sorted_indices = False
    resorted.sort_indices()
    assert np.array_equal(resorted.indices, in_blocks.counts.indices)


def test_a_counter_hands_its_counts_over_once():
    counter = TermCounter()
    counter.add_block([["公开课", "教研"], ["教研"]])
    counter.add_block([["小班化", "公开课"]])
    assert counter.result().counts.toarray().tolist() == [[1, 0, 1], [0, 0, 1], [1, 1, 0]]
    assert counter.result() is None  # its blocks moved into the matrix


def test_joined_tokens_count_as_their_lists(bundled_token_docs: pd.DataFrame):
    token_lists = [*bundled_token_docs["tokens"], [], ["公开课", "公开课"], []]
    from_lists, from_joined = TermCounter(), TermCounter()
    from_lists.add_block(token_lists[:5])
    from_lists.add_block(token_lists[5:])
    from_joined.add_joined_block([TokenStore.join(tokens) for tokens in token_lists[:5]], TokenStore.SEPARATOR)
    from_joined.add_joined_block([TokenStore.join(tokens).encode() for tokens in token_lists[5:]], TokenStore.SEPARATOR)
    lists, joined = from_lists.result(), from_joined.result()
    assert list(joined.terms) == list(lists.terms)
    assert (joined.counts != lists.counts).nnz == 0
    assert joined.counts.shape == (len(token_lists), len(lists.terms))


def test_counts_consolidated_on_the_way_equal_counts_stacked_at_the_end(bundled_token_docs: pd.DataFrame):
    token_lists = list(bundled_token_docs["tokens"])
    whole = count_terms(token_lists)
    counter = TermCounter()
    for start in range(0, len(token_lists), 3):
        counter.add_block(token_lists[start : start + 3])
        if start % 2:
            counter.consolidate()  # the terms of later blocks fall between the sorted ones
    counter.add_block([["新词", "公开课"]])
    counted = counter.result()
    expected = count_terms([*token_lists, ["新词", "公开课"]])
    assert list(counted.terms) == list(expected.terms) and len(counted.terms) > len(whole.terms)
    assert (counted.counts != expected.counts).nnz == 0
    assert np.array_equal(counted.counts.indices, expected.counts.indices)  # each row's columns in order


@pytest.mark.parametrize(
    ("token_lists", "expected"),
    [
        ([["公开课", "教研", "公开课"], [], ["教研"]], [[2, 1], [0, 0], [0, 1]]),
        ([["小班化"]], [[1]]),
    ],
)
def test_counts_of_small_cases(token_lists, expected):
    assert count_terms(token_lists).counts.toarray().tolist() == expected


def test_no_tokens_no_counts():
    assert count_terms([[], []]) is None
    assert count_terms([]) is None


def test_topics_from_counts_equal_topics_from_tokens(bundled_token_docs: pd.DataFrame):
    from_tokens = TopicModel(n_topics=4, max_fit_docs=30).fit(bundled_token_docs["tokens"])
    from_counts = TopicModel(n_topics=4, max_fit_docs=30).fit_counts(count_terms(bundled_token_docs["tokens"]))
    assert list(from_counts.feature_names_) == list(from_tokens.feature_names_)
    np.testing.assert_array_equal(from_counts.doc_topic_, from_tokens.doc_topic_)
    counted = fit_topics(bundled_token_docs, counts=count_terms(bundled_token_docs["tokens"]), n_topics=4)
    assert counted[0].equals(fit_topics(bundled_token_docs, n_topics=4)[0])


def test_topic_vocabulary_follows_scikit_learn_limits(bundled_token_docs: pd.DataFrame):
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = TopicModel(n_topics=3, max_features=200, max_fit_docs=None).fit(bundled_token_docs["tokens"])
    reference = TfidfVectorizer(analyzer=lambda tokens: tokens, lowercase=False, max_features=200, min_df=2, max_df=0.9)
    reference.fit(bundled_token_docs["tokens"])
    assert list(model.feature_names_) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(model.tfidf_.idf_, reference.idf_)


def test_keywords_from_counts_equal_keywords_from_tokens(bundled_token_docs: pd.DataFrame):
    counted = keywords(bundled_token_docs, by="school", top_n=5, counts=count_terms(bundled_token_docs["tokens"]))
    assert counted.equals(keywords(bundled_token_docs, by="school", top_n=5))


def test_counts_saved_to_a_file_load_back_equal(bundled_token_docs: pd.DataFrame, tmp_path):
    from reportmine.themes.doc_term import DocTermCounts

    counted = count_terms(bundled_token_docs["tokens"])
    loaded = DocTermCounts.load(counted.save(tmp_path / "counts.npz"))
    assert list(loaded.terms) == list(counted.terms) and loaded.terms.dtype == object
    assert (loaded.counts != counted.counts).nnz == 0 and loaded.counts.dtype == counted.counts.dtype
