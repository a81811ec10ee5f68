"""Tests for reportmine.themes.duplicates: copied reports are found, unrelated ones are not."""
from __future__ import annotations

import random

import pandas as pd
import pytest

from reportmine.errors import InputError
from reportmine.themes.duplicates import DUPLICATE_COLUMNS, clean_for_shingles, minhash_signature, near_duplicates


@pytest.fixture(scope="module")
def with_copy(seed_reports: pd.DataFrame) -> pd.DataFrame:
    """The seeds plus the first report handed in again by another school, lightly edited."""
    original = seed_reports.iloc[0]
    copied = (
        original["text"].replace("我校", "红桥镇中心小学").replace("一学年来", "这一年来").replace("，", "。")
    )
    extra = {"report_id": "copy.txt#1", "school": "红桥镇中心小学", "year": 2021, "text": copied}
    return pd.concat([seed_reports, pd.DataFrame([extra])], ignore_index=True)


def test_copied_report_is_reported(with_copy: pd.DataFrame) -> None:
    pairs = near_duplicates(with_copy)
    assert list(pairs.columns) == DUPLICATE_COLUMNS
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert (pair["report_a"], pair["report_b"]) == (with_copy.iloc[0]["report_id"], "copy.txt#1")
    assert (pair["school_a"], pair["school_b"]) == (with_copy.iloc[0]["school"], "红桥镇中心小学")
    assert pair["similarity"] >= 0.8
    assert pair["shared_chars"] > 0.8 * len(clean_for_shingles(with_copy.iloc[0]["text"]))
    assert 0 < len(pair["sample"]) <= 80
    assert pair["sample"] in clean_for_shingles(with_copy.iloc[0]["text"])
    assert pair["sample"] in clean_for_shingles(with_copy.iloc[-1]["text"])


def test_unrelated_seed_reports_are_not_duplicates(seed_reports: pd.DataFrame) -> None:
    # The three reports of the 范文 page share the genre and a few phrases, nothing more.
    assert near_duplicates(seed_reports, threshold=0.2).empty


def test_runs_are_identical_and_signatures_can_be_precomputed(with_copy: pd.DataFrame) -> None:
    first = near_duplicates(with_copy)
    assert first.equals(near_duplicates(with_copy))
    signatures = {rid: minhash_signature(text) for rid, text in zip(with_copy["report_id"], with_copy["text"])}
    assert near_duplicates(with_copy, signatures=signatures)[["report_a", "report_b"]].equals(
        first[["report_a", "report_b"]]
    )


def _random_text(rng: random.Random, n_chars: int) -> str:
    alphabet = "教学研究课堂学生发展活动小组合作阅读写作数学语文科学音乐美术体育德育家长社区安全卫生"
    return "".join(rng.choice(alphabet) for _ in range(n_chars))


def test_genre_phrases_shared_by_many_reports_are_ignored() -> None:
    # 25 reports share a long genre passage (60 % of each) but are otherwise different; one is a
    # real copy of another. Only the copy is reported.
    rng = random.Random(7)
    genre = "学校领导高度重视成立了以校长为组长的校本研修领导小组制定了切实可行的研修计划" * 6
    texts = [genre + _random_text(rng, 200) for _ in range(25)]
    texts.append(texts[3])
    frame = pd.DataFrame({"report_id": [f"r{i:02d}" for i in range(26)], "text": texts})
    pairs = near_duplicates(frame)
    assert pairs[["report_a", "report_b"]].values.tolist() == [["r03", "r25"]]
    assert "school_a" in pairs and pairs["school_a"].isna().all()


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1])
def test_bad_threshold(threshold: float, seed_reports: pd.DataFrame) -> None:
    with pytest.raises(InputError):
        near_duplicates(seed_reports, threshold=threshold)


def test_short_and_empty_texts_are_skipped() -> None:
    frame = pd.DataFrame({"report_id": ["a", "b", "c"], "school": [None] * 3, "text": ["", "小班", None]})
    assert near_duplicates(frame).empty


def test_bundled_corpus_template_reuse_is_the_one_pair(bundled_reports: pd.DataFrame) -> None:
    # corpus/README.md: hongqiao_ms/2021_gongzuo.txt reuses yongan_ps/2021_xuexiao.txt with the
    # school name replaced; no other pair of the ~40 bundled reports shares that much text.
    pairs = near_duplicates(bundled_reports)
    found = {frozenset(pair) for pair in zip(pairs["report_a"], pairs["report_b"])}
    assert found == {frozenset({"hongqiao_ms/2021_gongzuo.txt", "yongan_ps/2021_xuexiao.txt"})}
    assert set(pairs.iloc[0][["school_a", "school_b"]]) == {"hongqiao_ms", "yongan_ps"}
