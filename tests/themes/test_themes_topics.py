"""Tests for reportmine.themes.topics: estimator shape, reproducibility, automatic topic count."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportmine.errors import InputError
from reportmine.themes import topics as topics_module
from reportmine.themes.topics import DOC_TOPICS_COLUMNS, TOPICS_COLUMNS, TopicModel, fit_topics, formula_n_topics


@pytest.fixture(scope="module")
def corpus_tokens(seed_token_docs: pd.DataFrame, bundled_token_docs: pd.DataFrame) -> pd.DataFrame:
    """Seeds and bundled reports together (about 30–50 real-sized reports)."""
    return pd.concat([seed_token_docs, bundled_token_docs], ignore_index=True)


def test_parameters_are_stored_untouched_and_checked_in_fit() -> None:
    model = TopicModel(n_topics=0, method="svd")  # type: ignore[arg-type]
    assert model.get_params() == {
        "n_topics": 0, "method": "svd", "max_features": 5000, "min_df": 2, "max_df": 0.9,
        "n_top_terms": 10, "max_fit_docs": 3000, "random_state": 0,
    }
    with pytest.raises(InputError, match="topic method"):
        model.fit([["小班化", "课堂"]])
    with pytest.raises(InputError, match="n_topics"):
        TopicModel(n_topics=0).fit([["小班化", "课堂"]])
    with pytest.raises(InputError, match="not fitted"):
        TopicModel().topics_frame()


def test_two_fits_give_identical_topics(seed_token_docs: pd.DataFrame) -> None:
    first = fit_topics(seed_token_docs, n_topics=3)
    second = fit_topics(seed_token_docs, n_topics=3)
    assert first[0].equals(second[0])
    assert first[1].equals(second[1])


def test_two_automatic_fits_on_the_corpus_are_identical(corpus_tokens: pd.DataFrame) -> None:
    model_a = TopicModel().fit(corpus_tokens["tokens"])
    model_b = TopicModel().fit(corpus_tokens["tokens"])
    assert model_a.n_topics_ == model_b.n_topics_
    assert model_a.topics_frame().equals(model_b.topics_frame())
    assert np.array_equal(model_a.doc_topic_, model_b.doc_topic_)
    assert set(model_a.k_scores_) == set(range(3, min(12, len(corpus_tokens) // 2) + 1))
    assert model_a.n_topics_ >= 3


def test_learned_attributes_and_tables(seed_token_docs: pd.DataFrame) -> None:
    model = TopicModel(n_topics=2, n_top_terms=8).fit(seed_token_docs["tokens"])
    assert model.n_topics_ == 2
    assert model.components_.shape == (2, len(model.vocabulary_))
    assert np.allclose(model.doc_topic_.sum(axis=1), 1)
    topics = model.topics_frame()
    assert list(topics.columns) == TOPICS_COLUMNS
    assert topics["topic_id"].tolist() == [0, 1]
    assert topics["weight_share"].is_monotonic_decreasing
    assert topics["weight_share"].sum() == pytest.approx(1, abs=1e-5)
    for row in topics.itertuples():
        terms = row.top_terms.split(" ")
        assert len(terms) == 8 and row.label == "·".join(terms[:3])
    doc_topics = model.doc_topics_frame(seed_token_docs["report_id"])
    assert list(doc_topics.columns) == DOC_TOPICS_COLUMNS
    assert len(doc_topics) == 2 * len(seed_token_docs)
    assert model.transform(seed_token_docs["tokens"]).shape == (len(seed_token_docs), 2)
    with pytest.raises(InputError):
        model.doc_topics_frame(["only-one"])


def test_lda_method(seed_token_docs: pd.DataFrame) -> None:
    topics, doc_topics = fit_topics(seed_token_docs, n_topics=2, method="lda")
    assert len(topics) == 2
    assert doc_topics.groupby("report_id")["weight"].sum().round(4).eq(1).all()


@pytest.mark.parametrize(("n_docs", "expected"), [(10, 3), (100, 7), (5000, 30), (100_000, 30)])
def test_formula_n_topics(n_docs: int, expected: int) -> None:
    assert formula_n_topics(n_docs) == expected


def test_large_corpora_use_the_formula_without_search(monkeypatch, seed_token_docs: pd.DataFrame) -> None:
    monkeypatch.setattr(topics_module, "_SEARCH_MAX_DOCS", 2)
    model = TopicModel().fit(seed_token_docs["tokens"])
    assert model.k_scores_ == {}
    assert model.n_topics_ == min(formula_n_topics(len(seed_token_docs)), len(seed_token_docs))


def test_tiny_corpora_still_fit() -> None:
    # Two reports without a shared term: min_df=2 would leave no vocabulary, so it is relaxed.
    model = TopicModel().fit([["小班化", "课堂"], ["游戏", "幼儿"]])
    assert model.n_topics_ >= 1 and len(model.topics_frame()) == model.n_topics_
    with pytest.raises(InputError, match="no content tokens"):
        TopicModel().fit([[], []])


def test_fit_topics_on_fewer_than_two_documents_gives_empty_tables() -> None:
    import pandas as pd

    from reportmine.themes.topics import DOC_TOPICS_COLUMNS, TOPICS_COLUMNS, fit_topics

    token_docs = pd.DataFrame({"report_id": ["a#1", "b#1"], "tokens": [["公开课", "教研"], []]})
    topics, doc_topics = fit_topics(token_docs)
    assert topics.empty and list(topics.columns) == TOPICS_COLUMNS
    assert doc_topics.empty and list(doc_topics.columns) == DOC_TOPICS_COLUMNS


def test_large_corpora_fit_on_a_seeded_sample_and_transform_every_report(corpus_tokens: pd.DataFrame) -> None:
    tokens = list(corpus_tokens["tokens"])
    first = TopicModel(n_topics=4, max_fit_docs=10).fit(tokens)
    second = TopicModel(n_topics=4, max_fit_docs=10).fit(tokens)
    assert first.doc_topic_.shape == (len(tokens), 4)
    assert np.array_equal(first.doc_topic_, second.doc_topic_)
    full = TopicModel(n_topics=4, max_fit_docs=None).fit(tokens)
    assert len(first.vocabulary_) < len(full.vocabulary_)  # learned from the sample only


def test_reports_are_projected_in_chunks_with_the_result_of_one_call(corpus_tokens: pd.DataFrame, monkeypatch) -> None:
    from reportmine.themes import topics as topics_module

    # LDA's projection treats each report on its own, so chunking must not change a weight.
    tokens = list(corpus_tokens["tokens"])
    whole = TopicModel(n_topics=3, method="lda", max_fit_docs=10).fit(tokens)
    monkeypatch.setattr(topics_module, "_TRANSFORM_CHUNK", 7)
    chunked = TopicModel(n_topics=3, method="lda", max_fit_docs=10).fit(tokens)
    assert chunked.doc_topic_.shape == (len(tokens), 3)
    assert np.allclose(whole.doc_topic_, chunked.doc_topic_, atol=1e-9)


def test_topics_read_tokens_from_a_store(corpus_tokens: pd.DataFrame) -> None:
    from reportmine.store import TokenStore
    from reportmine.themes.topics import fit_topics

    store = TokenStore(dict(zip(corpus_tokens["report_id"], corpus_tokens["tokens"])))
    from_store = fit_topics(corpus_tokens[["report_id"]], tokens=store, n_topics=4)
    from_column = fit_topics(corpus_tokens[["report_id", "tokens"]], n_topics=4)
    for got, expected in zip(from_store, from_column):
        pd.testing.assert_frame_equal(got, expected)
