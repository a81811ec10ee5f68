"""Tests for reportmine.themes.duplicates: copied reports are found, unrelated ones are not."""
from __future__ import annotations

import itertools
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


_SEED_PARAGRAPHS = (
    "本学期我校以课堂教学改革为重点，组织教师开展集体备课和听课评课活动，提高了课堂效率。",
    "学校成立了校本研修领导小组，制定了研修计划，每周开展一次教研活动，做到有计划有记录。",
    "我们积极组织教师参加各级培训，鼓励青年教师上公开课，以老带新，促进教师专业成长。",
    "在德育工作中，学校开展了安全教育、法制教育和感恩教育，学生的行为习惯有了明显改善。",
    "家校合作方面，学校召开家长会，开展家访活动，办好家长学校，形成了教育合力。",
    "存在的不足：部分教师教研意识不强，课题研究的深度不够，今后要加强理论学习和反思。",
)


def _synthetic_corpus(n_reports: int, seed: int) -> tuple[pd.DataFrame, set[frozenset[str]], list[str]]:
    """Reports built from the seed paragraphs (shared genre) plus text of their own.

    Returns the frame, the planted copy pairs (a report handed in again, lightly edited) and the
    ids of 120 reports that reuse one long template.
    """
    rng = random.Random(seed)
    template = _random_text(rng, 900)
    texts = []
    for number in range(n_reports):
        paragraphs = rng.sample(_SEED_PARAGRAPHS, 4)
        own = template[:600] + _random_text(rng, 150) if number % 16 == 5 else _random_text(rng, 500)
        texts.append("".join(paragraphs[:2]) + own + "".join(paragraphs[2:]))
    ids = [f"school_{number:04d}/report.txt" for number in range(n_reports)]
    planted = set()
    for original in rng.sample(range(n_reports), 40):
        text = list(texts[original])
        for position in rng.sample(range(len(text)), 15):  # a few characters edited
            text[position] = rng.choice("，。、的了")
        ids.append(f"copy_{original:04d}/report.txt")
        texts.append("".join(text))
        planted.add(frozenset({ids[original], ids[-1]}))
    frame = pd.DataFrame({"report_id": ids, "school": [i.split("/")[0] for i in ids], "text": texts})
    template_ids = [ids[number] for number in range(n_reports) if number % 16 == 5]
    return frame, planted, template_ids


def test_synthetic_corpus_finds_planted_copies_and_template() -> None:
    frame, planted, template_ids = _synthetic_corpus(2000, seed=11)
    pairs = near_duplicates(frame)
    found = {frozenset(pair) for pair in zip(pairs["report_a"], pairs["report_b"])}
    assert planted <= found
    in_pairs = set(pairs["report_a"]) | set(pairs["report_b"])
    assert set(template_ids) <= in_pairs  # every reuse of the template meets another one
    # Nothing else: the seed paragraphs are the genre, the rest of each report is its own.
    assert found - planted <= {frozenset(pair) for pair in itertools.combinations(template_ids, 2)}
    # A template shared by 125 reports gives each a few partners, not 125² / 2 pairs.
    assert len(found - planted) <= 5 * len(template_ids)
    assert (pairs["similarity"] >= 0.5).all()
    assert pairs.equals(near_duplicates(frame))


def test_precomputed_signatures_skip_short_texts() -> None:
    frame = pd.DataFrame({"report_id": ["a", "b", "c"], "text": ["小班", "小班", "中班"]})
    signatures = {rid: minhash_signature(text) for rid, text in zip(frame["report_id"], frame["text"])}
    assert near_duplicates(frame, signatures=signatures).empty


def test_signatures_with_other_num_perm_are_rejected(with_copy: pd.DataFrame) -> None:
    signatures = {rid: minhash_signature(text, num_perm=64) for rid, text in zip(with_copy["report_id"], with_copy["text"])}
    with pytest.raises(InputError, match="num_perm"):
        near_duplicates(with_copy, signatures=signatures)


@pytest.mark.parametrize("threshold", [0.2, 0.4, 0.64, 0.8])
def test_band_choice_matches_datasketch(threshold: float) -> None:
    from datasketch import lsh

    from reportmine.themes.duplicates import _optimal_bands

    assert _optimal_bands(threshold, 128) == lsh._optimal_param(threshold, 128, 0.5, 0.5)


def test_texts_from_a_store_and_bare_hash_values_give_the_same_pairs(with_copy: pd.DataFrame) -> None:
    from reportmine.collect import signature_values
    from reportmine.store import TextStore

    minhashes = {rid: minhash_signature(text) for rid, text in zip(with_copy["report_id"], with_copy["text"])}
    store = TextStore(dict(zip(with_copy["report_id"], with_copy["text"])))
    from_store = near_duplicates(
        with_copy[["report_id", "school"]],
        signatures={rid: signature_values(signature) for rid, signature in minhashes.items()},
        texts=store,
    )
    pd.testing.assert_frame_equal(from_store, near_duplicates(with_copy, signatures=minhashes))
    assert len(from_store) == 1


@pytest.mark.parametrize("n_chars", [0, 4, 5, 300, 20_000])
def test_signature_values_equal_datasketch_update_batch(seed_reports: pd.DataFrame, n_chars: int) -> None:
    # minhash_signature draws the permutations and applies them in numpy itself: the values must
    # be exactly those datasketch's own MinHash gives for the same shingle hashes.
    from datasketch import MinHash

    from reportmine.themes.duplicates import _distinct, _permutations, clean_for_shingles, shingle_hashes

    text = ("".join(seed_reports["text"]) * 10)[:n_chars]
    expected = MinHash(num_perm=128, seed=1, hashfunc=int)
    hashes = _distinct(shingle_hashes(clean_for_shingles(text), 5))
    if len(hashes):
        expected.update_batch(hashes)
    signature = minhash_signature(text)
    assert signature.dtype == expected.hashvalues.dtype
    assert (signature == expected.hashvalues).all()
    assert all((drawn == reference).all() for drawn, reference in zip(_permutations(128, 1), expected.permutations))


@pytest.fixture(scope="module")
def with_two_copies(with_copy: pd.DataFrame) -> pd.DataFrame:
    """`with_copy` plus the second seed report handed in again by a third school, re-punctuated."""
    second = with_copy.iloc[1]
    extra = {"report_id": "copy2.txt#1", "school": "桥头小学", "year": 2022,
             "text": second["text"].replace("，", "。").replace("我们", "我校")}
    return pd.concat([with_copy, pd.DataFrame([extra])], ignore_index=True)


def test_a_tiny_shingle_cache_gives_the_same_pairs(with_two_copies: pd.DataFrame, monkeypatch) -> None:
    from reportmine.themes import duplicates

    reports = with_two_copies
    roomy = near_duplicates(reports)
    monkeypatch.setattr(duplicates, "_CACHE_BYTES", 1)  # every report is shingled again when needed
    assert len(roomy) == 2
    pd.testing.assert_frame_equal(near_duplicates(reports), roomy)


@pytest.mark.parametrize("slice_pairs", [1, 7, 1000])
@pytest.mark.parametrize("keyed", [True, False])  # offers ranked by one int64 key, or by lexsort (huge corpora)
def test_closest_partners_kept_slice_by_slice_equal_the_best_of_all_pairs(slice_pairs: int, keyed: bool, monkeypatch) -> None:
    import numpy as np

    from reportmine.themes import duplicates
    from reportmine.themes.duplicates import _ClosestPartners

    if not keyed:
        monkeypatch.setattr(duplicates, "_KEYED_ROWS", 0)
    rng = np.random.default_rng(3)
    n_rows, max_partners = 40, 3
    codes = np.unique(rng.integers(0, n_rows * n_rows, 300))
    a, b = np.divmod(codes, n_rows)
    a, b = a[a < b], b[a < b]
    equal = rng.integers(50, 54, len(a)).astype(np.int16)  # few values: many ties, broken by partner
    closest = _ClosestPartners(n_rows, max_partners)
    for start in range(0, len(a), slice_pairs):
        closest.add(a[start : start + slice_pairs], b[start : start + slice_pairs], equal[start : start + slice_pairs])
    # Brute force: each row's partners sorted by (more equal values, lower partner), first three.
    best = set()
    for row in range(n_rows):
        offers = [(-int(e), int(y if x == row else x)) for x, y, e in zip(a, b, equal) if row in (x, y)]
        best |= {(min(row, partner), max(row, partner)) for _, partner in sorted(offers)[:max_partners]}
    assert [tuple(divmod(int(code), n_rows)) for code in closest.pairs()] == sorted(best)


def test_clean_codes_equal_the_regex_cleaning(seed_reports: pd.DataFrame) -> None:
    # The lookup tables fold and sieve each character as fold() and the regex do: same code points
    # on real reports, on traditional and full-width text, on text beyond the BMP and on BMP
    # characters (private use) whose fold lies beyond it.
    import numpy as np

    from reportmine.themes.duplicates import _clean_codes

    texts = list(seed_reports["text"]) + ["學校ＡＢＣ１２３，　教研！_x", "𠀀汉字𝔸 end", "", "，。", "\ue056\ue619郡材い厩2019" * 9]
    for text in texts:
        expected = np.frombuffer(clean_for_shingles(text).encode("utf-32-le"), dtype=np.uint32)
        assert np.array_equal(_clean_codes(text), expected)


def test_frequent_values_equal_a_full_count() -> None:
    import numpy as np

    from reportmine.themes.duplicates import _frequent_values

    rng = np.random.default_rng(5)
    common = rng.integers(0, 1 << 32, 30, dtype=np.uint32)
    # Values sharing a common value's bucket (low bits) but rarer: the exact count must drop them.
    neighbours = common + np.uint32(1 << 22)
    values = np.concatenate([
        rng.integers(0, 1 << 32, 200_000, dtype=np.uint32),
        np.repeat(common, rng.integers(5, 60, len(common))),
        np.repeat(neighbours, 9),
    ])
    rng.shuffle(values)
    distinct, counts = np.unique(values, return_counts=True)
    for more_than in (0, 8, 9, 20, 1000):
        for parts in ([values], np.array_split(values, 7)):
            assert np.array_equal(_frequent_values(parts, more_than), distinct[counts > more_than])
    assert len(_frequent_values([values[:0]], 3)) == 0
    assert len(_frequent_values([], 3)) == 0


def test_ranks_by_sorting_with_positions_equal_a_binary_search(seed_reports: pd.DataFrame) -> None:
    import numpy as np

    from reportmine.themes.duplicates import _ranks, _ShingleCache

    texts = list(seed_reports["text"]) + ["", "短", "重复重复重复重复重复"]
    cache = _ShingleCache(texts, 5)
    for index in range(len(texts)):
        ranks = _ranks(cache.hashes(index))
        assert ranks.dtype == np.int32
        assert np.array_equal(ranks, np.searchsorted(cache.distinct(index), cache.hashes(index)))


def test_union_by_merge_equals_numpy_union() -> None:
    import numpy as np

    from reportmine.themes.duplicates import _union

    rng = np.random.default_rng(5)
    for size_a, size_b in ((0, 0), (0, 40), (40, 0), (1, 1), (300, 200)):
        # Values from a small range: the two sides share many.
        a, b = np.unique(rng.integers(0, 500, size_a)), np.unique(rng.integers(0, 500, size_b))
        union = _union(a, b)
        assert union.dtype == np.int64
        assert np.array_equal(union, np.union1d(a, b))


@pytest.mark.parametrize("merge_pairs", [1, 40, None])
def test_candidate_pairs_are_merged_from_every_band(monkeypatch, merge_pairs: int | None) -> None:
    # Random signatures, and pairs planted by copying 14 of the 32 bands (56 of 128 values, above
    # 0.8 × 0.5): each pair shares its own bands, so a pair lost in any merge of the bands' pairs
    # (after every band, every few, or once at the end) would be missing.
    import numpy as np

    from reportmine.themes import duplicates

    rng = np.random.default_rng(11)
    bands, rows = duplicates._lsh_bands(0.5 * duplicates._LSH_SLACK, 128)
    assert (bands, rows) == (32, 4)
    signatures = rng.integers(0, 1 << 32, (40, 128), dtype=np.uint32)
    planted = [(2 * pair, 2 * pair + 1) for pair in range(15)]
    for first, second in planted:
        for band in rng.choice(bands, 14, replace=False):
            signatures[second, band * rows : (band + 1) * rows] = signatures[first, band * rows : (band + 1) * rows]
    if merge_pairs is not None:
        monkeypatch.setattr(duplicates, "_MERGE_PAIRS", merge_pairs)
    a, b = duplicates._candidate_pairs(list(signatures), threshold=0.5, num_perm=128)
    assert list(zip(a.tolist(), b.tolist())) == planted


def test_shingle_entries_of_a_block_equal_those_of_each_text(seed_reports: pd.DataFrame) -> None:
    # Hashing texts one after another must drop exactly the shingles that straddle two texts,
    # also around empty and short texts, and a block with a text the regex path cleans.
    import numpy as np

    from reportmine.themes.duplicates import _clean_codes, _code_shingle_hashes, _distinct, _shingle_entries

    seeds = list(seed_reports["text"])
    blocks = [seeds + ["", "短", "四个字符", seeds[0][:5]], ["", ""], seeds[:2] + ["𠀀汉字𝔸 end" * 3], ["學校", "\ue056\ue619郡材い厩2019" * 12]]
    for texts in blocks:
        entries = _shingle_entries(texts, 5)
        assert len(entries) == len(texts)
        for text, entry in zip(texts, entries):
            codes = _clean_codes(text)
            hashes = _code_shingle_hashes(codes, 5).astype(np.uint32)
            assert entry.clean == clean_for_shingles(text)
            assert entry.hashes.dtype == np.uint32 and np.array_equal(entry.hashes, hashes)
            assert np.array_equal(entry.distinct, _distinct(hashes))


def test_members_by_slot_table_equal_a_binary_search(seed_reports: pd.DataFrame) -> None:
    # Real shingle hashes, plus sets crowding one slot and holding (or not) the value 0, which an
    # empty slot also holds.
    import numpy as np

    from reportmine.themes.duplicates import _ShingleCache, _members

    def searched(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
        return np.isin(values, sorted_set)

    cache = _ShingleCache(list(seed_reports["text"]), 5)
    hashes = [cache.hashes(index) for index in range(len(seed_reports))]
    distinct = [cache.distinct(index) for index in range(len(seed_reports))]
    crowded = np.arange(0, 50 << 20, 1 << 20, dtype=np.uint32)  # fifty members in slot 0
    cases = [(h, d) for h in hashes for d in distinct] + [
        (np.concatenate((crowded, crowded + np.uint32(1), [np.uint32(0)])), crowded[1:]),
        (np.array([0, 1, 1 << 20, 5], dtype=np.uint32), crowded),
        (np.array([0, 7], dtype=np.uint32), np.array([7], dtype=np.uint32)),
        (hashes[0], distinct[0][:0]),
    ]
    for values, sorted_set in cases:
        assert np.array_equal(_members(values, sorted_set), searched(values, sorted_set))


def test_shared_passages_from_positions_equal_the_covered_mask(seed_reports: pd.DataFrame) -> None:
    import numpy as np

    from reportmine.themes.duplicates import _SAMPLE_CHARS, _hash_rows, _ShingleCache, _shared_passages

    def by_mask(clean: str, hashes: np.ndarray, shared: np.ndarray, size: int) -> tuple[int, str]:
        # The per-character computation that working on the shared positions replaced.
        starts_shared = np.isin(hashes, shared)
        covered = np.convolve(starts_shared.astype(np.int32), np.ones(size, dtype=np.int32))[: len(clean)] > 0
        if not covered.any():
            return 0, ""
        edges = np.flatnonzero(np.diff(np.concatenate(([0], covered.astype(np.int8), [0]))))
        starts, ends = edges[::2], edges[1::2]
        start = int(starts[int(np.argmax(ends - starts))])
        return int(covered.sum()), clean[start : min(int(ends[int(np.argmax(ends - starts))]), start + _SAMPLE_CHARS)]

    texts = list(seed_reports["text"])
    texts.append(texts[0].replace("，", "。").replace("我校", "红桥镇中心小学"))
    for size in (1, 5):
        cache = _ShingleCache(texts, size)
        leaders, subsets, expected = [], [], []
        for first in range(len(texts)):
            ranks, distinct = cache.ranks(first), cache.distinct(first)
            assert np.array_equal(distinct[ranks], cache.hashes(first))
            for second in range(len(texts)):
                shared = np.intersect1d(cache.distinct(first), cache.distinct(second), assume_unique=True)
                for subset in (shared, shared[::3], shared[:0]):
                    leaders.append(first)
                    subsets.append(subset)
                    expected.append(by_mask(cache.clean(first), cache.hashes(first), subset, size))
        # All the pairs at once, and each alone: a pair's passage must not depend on its neighbours.
        passages = _shared_passages(
            [cache.clean(i) for i in leaders], [cache.ranks(i) for i in leaders],
            [cache.distinct(i) for i in leaders], _hash_rows(subsets), size,
        )
        assert passages == expected
        for index in (0, 1, 2, len(leaders) - 1):
            alone = _shared_passages([cache.clean(leaders[index])], [cache.ranks(leaders[index])],
                                     [cache.distinct(leaders[index])], _hash_rows([subsets[index]]), size)
            assert alone == [expected[index]]


def test_similarities_of_a_block_equal_those_of_each_pair(seed_reports: pd.DataFrame) -> None:
    import numpy as np

    from reportmine.themes.duplicates import _block_similarities, _ShingleCache

    texts = list(seed_reports["text"]) + [seed_reports["text"][0].replace("，", "。")[:2000], "", "短"]
    cache = _ShingleCache(texts, 5)
    pairs = list(itertools.product(range(len(texts)), repeat=2))
    similarity, shared = _block_similarities([cache.distinct(a) for a, _ in pairs], [cache.distinct(b) for _, b in pairs])
    assert shared.shape[0] == len(pairs)
    for row, (first, second) in enumerate(pairs):
        a, b = cache.distinct(first), cache.distinct(second)
        common = np.intersect1d(a, b, assume_unique=True)
        assert similarity[row] == len(common) / max(len(a) + len(b) - len(common), 1)
        assert np.array_equal(shared.indices[shared.indptr[row] : shared.indptr[row + 1]], common)


@pytest.fixture(scope="module")
def six_times(with_two_copies: pd.DataFrame) -> pd.DataFrame:
    """`with_two_copies` six times over under distinct ids: many pairs in several groups."""
    reports = pd.concat([with_two_copies] * 6, ignore_index=True)
    reports["report_id"] = [f"{rid}@{i}" for i, rid in enumerate(reports["report_id"])]
    return reports


def test_pairs_do_not_depend_on_how_reports_are_shingled_together(six_times: pd.DataFrame, monkeypatch) -> None:
    from reportmine.themes import duplicates

    reports = six_times
    together = near_duplicates(reports)
    assert len(together) > 2
    monkeypatch.setattr(duplicates, "_FILL_PAIRS", 1)
    monkeypatch.setattr(duplicates, "_BLOCK_REPORTS", 2)
    pd.testing.assert_frame_equal(near_duplicates(reports), together)
    # Blocks of many pairs, compared a pair at a time (each pair alone over the bound).
    monkeypatch.setattr(duplicates, "_FILL_PAIRS", 64)
    monkeypatch.setattr(duplicates, "_PART_VALUES", 1)
    pd.testing.assert_frame_equal(near_duplicates(reports), together)


def test_bounded_runs_cut_where_the_sizes_would_pass_the_bound() -> None:
    from reportmine.themes.duplicates import _bounded_runs

    assert _bounded_runs([3, 3, 3, 1], 6) == [[0, 1], [2, 3]]
    assert _bounded_runs([9, 2, 9], 6) == [[0], [1], [2]]  # a size over the bound stays alone
    assert _bounded_runs([1, 1, 1], 100) == [[0, 1, 2]]
    assert _bounded_runs([], 5) == [[]]


def test_exact_check_shared_among_processes_gives_the_same_pairs(six_times: pd.DataFrame, monkeypatch) -> None:
    from reportmine import background
    from reportmine.themes import duplicates

    reports = six_times
    alone = near_duplicates(reports)

    started: list[int] = []  # the jobs of each group of processes started
    original = background.BackgroundJobs.__init__

    def recording(self, jobs, *, workers=None):
        started.append(len(jobs))
        original(self, jobs, workers=workers)

    monkeypatch.setattr(background.BackgroundJobs, "__init__", recording)
    monkeypatch.setattr(duplicates, "_PARALLEL_MIN_PAIRS", 1)  # these few pairs are worth a second process
    pd.testing.assert_frame_equal(near_duplicates(reports, workers=2), alone)
    assert started == [2] and len(alone) > 2
    pd.testing.assert_frame_equal(near_duplicates(reports, workers=3), alone)
    assert started == [2, 3]
    # Below the threshold of pairs the check stays in this process.
    monkeypatch.setattr(duplicates, "_PARALLEL_MIN_PAIRS", len(reports) ** 2)
    pd.testing.assert_frame_equal(near_duplicates(reports, workers=2), alone)
    assert started == [2, 3]
