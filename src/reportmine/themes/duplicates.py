"""Near-duplicate reports: the same text handed in by two schools, or one template reused.

Each report becomes a set of character shingles (``shingle`` consecutive letters/digits after
folding and removing punctuation and whitespace, so re-punctuated or re-wrapped copies still
match). Shingles are hashed to 32 bits in numpy (~1.5 ms per 3,000-character report on one
core, against ~6 ms with datasketch's SHA-1 per shingle); `minhash_signature` gives the same
MinHash values (datasketch's "affine32" scheme, computed in numpy) per report for computing in
worker processes.

Candidates (LSH banding, in numpy): the signatures are stacked into an (n, num_perm) array and
cut into b bands of r rows, with (b, r) chosen as datasketch's MinHashLSH chooses them for
0.8 × `threshold` (LSH is probabilistic, so candidates are sought at a lower similarity and the
exact Jaccard decides). Each band is hashed row-wise to 64 bits and reports with equal hashes
(a bucket) are found by sorting, O(n log n) per band. Inside a bucket each report is paired with
the reports before it, but with at most the 64 first ones in corpus order: a template copied by
thousands of schools costs n × 64 pairs per band, not n², and each copy still meets 64 others.
Candidate pairs are deduplicated in numpy (each few bands' pairs sorted and merged into the
distinct pairs so far), their MinHash estimate (share of equal hash values) is computed a slice
at a time, those below 0.8 × `threshold` are dropped and each report keeps its
five closest (estimate, then corpus order); a pair stays if it is among either report's five.

Exact check: for each kept pair the exact Jaccard similarity of the two shingle sets is computed
and pairs at or above `threshold` are kept. Pairs are visited one connected group of reports at
a time and each report's cleaned text and shingles are cached until its last pair, so a report in
many pairs is cleaned and shingled once while memory stays bounded; reports not cached yet are
cleaned and hashed a block at a time. The pairs of a block are compared together: the shingle
arrays of each side are the rows of a sparse matrix with a column per 32-bit hash, and scipy's
element-wise product of the two merges every pair's rows in compiled code; the shared passages of
the pairs at or above `threshold` are found in one pass over their positions. With precomputed
signatures, 12,500 synthetic reports take 3.3 s on one core and 100,000 take 33 s (4.4 and 47 s
when the pairs' arrays were tagged and merged by a numpy sort, and datasketch's index with
per-pair Python took 85 s for 20,000). Given `workers`, a large check (≥ 20,000 candidate pairs)
is shared out among forked processes, an equal run of pairs each, their caches splitting one
budget; the pipeline does so where the stage runs alone (past 50,000 reports). With two, 25,000
synthetic reports take 4.4–4.5 s instead of 6.6–7.0 s.

Genre phrases: when the corpus holds at least 20 reports, shingles that occur in more than 20 % of
them (领导重视、成立了以校长为组长的… in every 工作总结) are removed before the exact check (and
from the signatures computed here; precomputed ones keep them, which only adds candidates), because
two reports do not copy each other by sharing what the whole genre shares. Their document
frequency is counted on a seeded sample of at most 5,000 reports, plenty to tell 20 % apart; the
sample's shingles stay cached for the exact check.

`shared_chars` is the number of characters of report_a's cleaned text covered by shingles it
shares with report_b; `sample` is the beginning (≤ 80 characters) of the longest such covered
passage, as cleaned text (punctuation removed).
"""
from __future__ import annotations

import logging
import random
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence, Sized
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from reportmine.errors import InputError
from reportmine.store import ValuesInOrder
from reportmine.themes.codebook import fold

if TYPE_CHECKING:  # scipy is imported where the exact check runs, not where workers sign reports
    from scipy.sparse import csr_array

logger = logging.getLogger(__name__)

DUPLICATE_COLUMNS = ["report_a", "report_b", "school_a", "school_b", "similarity", "shared_chars", "sample"]
_WORD_RUN = re.compile(r"[^\W_]+")
_GENERIC_MIN_REPORTS = 20  # below this, "occurs in 20 % of reports" means only a handful of reports
_GENERIC_SHARE = 0.2
_GENERIC_SAMPLE = 5000
_SAMPLE_CHARS = 80
# LSH is probabilistic: pairs just above the threshold can be missed, so the index is asked for
# candidates at a lower similarity and the exact Jaccard decides.
_LSH_SLACK = 0.8
# A template copied by hundreds of schools makes every pair of its copies a candidate; keeping
# each report's closest partners (by MinHash estimate) bounds the exact checks to n × this.
_MAX_PARTNERS = 5
# A bucket of one band links each report to at most this many earlier reports of the bucket.
_BUCKET_LINKS = 64
_EMPTY_VALUE = (1 << 32) - 1  # datasketch's largest hash: a permutation no shingle has set
_MERGE_PAIRS = 1 << 22  # candidate pairs held (8 bytes each) before they are merged into the distinct ones
_ESTIMATE_PAIRS = 1 << 20  # candidate pairs estimated at a time
_CACHE_BYTES = 256 << 20  # cleaned texts and shingle hashes kept for the exact check


def clean_for_shingles(text: str) -> str:
    """Return `text` folded for matching with everything but letters and digits removed."""
    return "".join(_WORD_RUN.findall(fold(text)))


def _fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: spreads the rolling hash over all bits (uint64 arithmetic wraps).

    Mixes `values` in place (callers pass a fresh array) and returns it: no temporary per step.
    """
    values ^= values >> np.uint64(33)
    values *= np.uint64(0xFF51AFD7ED558CCD)
    values ^= values >> np.uint64(33)
    values *= np.uint64(0xC4CEB9FE1A85EC53)
    values ^= values >> np.uint64(33)
    return values


def _clean_codes(text: str) -> np.ndarray:
    """The code points of `clean_for_shingles(text)` (uint32), folded and sieved through lookup tables.

    About 5× faster than the fold, regex and join: the folded string is never built (the fold
    works one character at a time, so a table of every BMP code point's fold gives it) and
    neither is the cleaned one, as a signature only needs the code points. Texts beyond the
    Basic Multilingual Plane take the regex path.
    """
    try:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates
        codes = None
    folded, kept = _clean_tables()
    if codes is None or (len(codes) and int(codes.max()) >= len(folded)):
        return np.frombuffer(clean_for_shingles(text).encode("utf-32-le"), dtype=np.uint32)
    return folded[codes[kept[codes]]]


@lru_cache(maxsize=1)
def _clean_tables() -> tuple[np.ndarray, np.ndarray]:
    """(fold of each BMP code point, True where `_WORD_RUN` keeps that fold), built once per
    process with `fold` and the regex themselves.

    Indexed by the original code point: a BMP character may fold to one beyond the BMP. Lone
    surrogates cannot be encoded: they keep their code point and are dropped (a text holding
    one takes the regex path anyway).
    """
    folded = np.arange(0x10000, dtype=np.uint32)
    kept = np.zeros(0x10000, dtype=bool)
    for begin, end in ((0, 0xD800), (0xE000, 0x10000)):
        block = fold("".join(map(chr, range(begin, end))))
        folded[begin:end] = np.frombuffer(block.encode("utf-32-le"), dtype=np.uint32)
        kept[[begin + match.start() for match in re.finditer(r"[^\W_]", block)]] = True
    return folded, kept


def shingle_hashes(clean: str, size: int) -> np.ndarray:
    """Return the 32-bit hash of the shingle starting at each position of `clean` (vectorised).

    Hashing shingles in numpy rather than with SHA-1 per shingle makes signatures ~10× faster;
    with a few thousand shingles per report, 32-bit collisions are negligible.
    """
    if len(clean) < size:
        return np.empty(0, dtype=np.uint64)
    return _code_shingle_hashes(np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32), size)


def _code_shingle_hashes(code_points: np.ndarray, size: int) -> np.ndarray:
    """`shingle_hashes` of a text given as its code points."""
    if len(code_points) < size:
        return np.empty(0, dtype=np.uint64)
    codes = code_points.astype(np.uint64)
    n_shingles = len(codes) - size + 1
    # Horner's rule in place (the first step, 0 × 1,000,003 + code, is the first code itself).
    rolling = codes[:n_shingles].copy()
    for offset in range(1, size):
        rolling *= np.uint64(1_000_003)
        rolling += codes[offset : offset + n_shingles]
    rolling = _fmix64(rolling)
    rolling >>= np.uint64(32)
    return rolling


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its hash-table pass: ~5× faster here)."""
    values = np.sort(values)
    return values[_run_firsts(values)]


def _run_firsts(sorted_values: np.ndarray) -> np.ndarray:
    """Mask of the positions of a sorted array where a run of equal values starts."""
    if not len(sorted_values):
        return np.zeros(0, dtype=bool)
    return np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))


def _ranks(hashes: np.ndarray) -> np.ndarray:
    """For each of `hashes` (uint32), its index among their sorted distinct values (int32).

    Each hash is sorted with its position in one uint64: a fifth less time than a binary search
    of each hash among the distinct values, whose branches the processor cannot predict.
    """
    keyed = (hashes.astype(np.uint64) << np.uint64(32)) | np.arange(len(hashes), dtype=np.uint64)
    keyed.sort()
    ranks = np.empty(len(hashes), dtype=np.int32)
    ranks[(keyed & np.uint64(0xFFFFFFFF)).astype(np.intp)] = np.cumsum(_run_firsts(keyed >> np.uint64(32))) - 1
    return ranks


def _run_start_of_each(starts: np.ndarray, length: int) -> np.ndarray:
    """For each of `length` positions, where its run starts, given the runs' starts (ascending,
    the first at 0)."""
    return np.repeat(starts, np.diff(np.append(starts, length)))


def _lengths(items: Sequence[Sized]) -> np.ndarray:
    """The length of each of `items` (arrays or strings), as int64."""
    return np.fromiter(map(len, items), dtype=np.int64, count=len(items))


def _starts(counts: np.ndarray) -> np.ndarray:
    """Where each run starts when runs of `counts` elements are laid one after another."""
    return np.cumsum(counts) - counts


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h → a·h + b (mod 2³²) of datasketch's MinHash "affine32" scheme.

    Drawn exactly as ``MinHash(num_perm=num_perm, seed=seed)`` draws them (a test checks it),
    without importing datasketch: its package import pulls in scipy.integrate, a second and a
    half of start-up in every worker process.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash_signature(text: str, *, shingle: int = 5, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Return the MinHash values (uint32, one per permutation) of `text`'s character shingles.

    The values are datasketch's ``MinHash(num_perm, seed, hashfunc=int).update_batch`` of the
    shingle hashes; signatures made with the same `shingle`, `num_perm` and `seed` can be passed
    to `near_duplicates(..., signatures=...)` (computed in workers, for example).
    """
    # A repeated shingle cannot change a minimum: the hashes go in as they are, without the
    # sort that would make them distinct (it cost as much as the duplicates it saved).
    hashes = _code_shingle_hashes(_clean_codes(text), shingle)
    return _permuted_minima(hashes, num_perm=num_perm, seed=seed)


# MurmurHash3's 32-bit finaliser, as datasketch's "affine32" scheme pre-mixes each input hash.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_SIGNATURE_CHUNK = 4096  # shingles per (chunk × num_perm) block: bounds memory on huge reports


def _permuted_minima(hashes: np.ndarray, *, num_perm: int, seed: int) -> np.ndarray:
    """Minimum of a·fmix32(h) + b (wrapping at 2³²) over the shingle hashes, per permutation.

    datasketch's "affine32" update: fmix32 pre-mixes each 32-bit input, then each permutation is
    applied on the uint32 array at once. A report with no shingle keeps the empty value.
    """
    minima = np.full(num_perm, _EMPTY_VALUE, dtype=np.uint32)
    if not len(hashes):
        return minima
    s1, m1, s2, m2, s3 = _FMIX32
    values = hashes.astype(np.uint32)  # shingle hashes are 32-bit (see shingle_hashes)
    # In place: the fresh uint32 copy above is the only array the mixing needs.
    values ^= values >> s1
    values *= m1
    values ^= values >> s2
    values *= m2
    values ^= values >> s3
    values = values.reshape(1, -1)
    a, b = _permutations(num_perm, seed)
    a, b = a.reshape(-1, 1), b.reshape(-1, 1)
    for begin in range(0, values.shape[1], _SIGNATURE_CHUNK):
        # One row per permutation: the minimum runs along contiguous memory (fastest layout).
        block = a * values[:, begin : begin + _SIGNATURE_CHUNK]
        block += b
        minima = np.minimum(minima, block.min(axis=1))
    return minima


def _generic_shingles(cache: _ShingleCache, n_reports: int, *, seed: int) -> np.ndarray:
    """Shingles found in more than 20 % of the reports (counted on a seeded sample, kept cached)."""
    if n_reports < _GENERIC_MIN_REPORTS:
        return np.empty(0, dtype=np.uint32)
    indices = list(range(n_reports))
    if len(indices) > _GENERIC_SAMPLE:
        indices = sorted(random.Random(seed).sample(indices, _GENERIC_SAMPLE))
    cache.fill(indices)
    # Pooled a block of reports at a time: arrays of a few MB at most (see _frequent_values).
    pooled = [
        np.concatenate([cache.distinct(index) for index in indices[start : start + _BLOCK_REPORTS]])
        for start in range(0, len(indices), _BLOCK_REPORTS)
    ]
    return _frequent_values(pooled, _GENERIC_SHARE * len(indices))


def _frequent_values(parts: Sequence[np.ndarray], more_than: float) -> np.ndarray:
    """Sorted distinct values (uint32 hashes) occurring more than `more_than` times in `parts`.

    A value's bucket (its low bits) occurs at least as often as the value, so only the values
    of buckets above the bar are sorted and counted exactly: a few genre shingles' occurrences,
    not the millions of pooled ones (sorting those was most of the stage's genre count). The
    parts are worked one by one: arrays the size of all of them (tens of MB, fresh memory for
    every run) cost more to fault in than to compute.
    """
    n_values = sum(map(len, parts))
    # At least 8 buckets per `more_than` values: a bucket rarely crowds by chance.
    n_buckets = 1 << min(max(16, int(8 * n_values / max(more_than, 1)).bit_length()), 22)
    bucket_mask = np.uint32(n_buckets - 1)
    counts = np.zeros(n_buckets, dtype=np.int64)
    for part in parts:
        counts += np.bincount(part & bucket_mask, minlength=n_buckets)
    crowded = counts > more_than
    candidates = np.sort(np.concatenate([part[crowded[part & bucket_mask]] for part in parts] or [np.empty(0, np.uint32)]))
    if not len(candidates):
        return candidates
    starts = np.flatnonzero(_run_firsts(candidates))
    counts = np.diff(np.append(starts, len(candidates)))
    return candidates[starts[counts > more_than]]


_BLOCK_REPORTS = 256  # reports cleaned and hashed together (see _ShingleCache.fill)
_BLOCK_CHARS = 1 << 20  # ... or fewer, when they hold this many characters (bounds the block's arrays)


def _shingle_entries(texts: Sequence[str], size: int) -> list[_Shingles]:
    """The `_Shingles` of each text, cleaned and hashed as one concatenated text.

    The rolling hash runs over the texts one after another; the shingles that straddle two texts
    are dropped, so each text gets exactly the hashes of its own positions. Each text's hashes
    are sorted in place in one copy of the block and made distinct in one pass over it: per
    text, numpy's calls cost more than the work.
    """
    codes, lengths = _clean_block(texts)
    # Shingle hashes are 32-bit (see shingle_hashes): uint32 halves the cache.
    hashes = _code_shingle_hashes(codes, size).astype(np.uint32)
    starts = _starts(lengths)
    counts = np.maximum(lengths - size + 1, 0)
    ordered = hashes.copy()
    for start, count in zip(starts.tolist(), counts.tolist()):
        ordered[start : start + count].sort()
    # Text i owns positions start … start + count - 1; its last size - 1 (or all, when shorter)
    # straddle into the next text.
    inside = np.repeat(np.tile([True, False], len(lengths)), np.column_stack((counts, lengths - counts)).ravel())
    firsts = inside[: len(hashes)]
    firsts[1:] &= ordered[1:] != ordered[:-1]
    firsts[starts[counts > 0]] = True  # a text's first hash starts a run whatever comes before
    running = np.concatenate(([0], np.cumsum(firsts)))
    distinct_counts = running[np.minimum(starts + counts, len(hashes))] - running[np.minimum(starts, len(hashes))]
    distinct = np.split(ordered[firsts], np.cumsum(distinct_counts)[:-1])
    entries = []
    for start, length, count, own_distinct in zip(starts.tolist(), lengths.tolist(), counts.tolist(), distinct):
        # Copies: a view would keep the whole block's arrays alive as long as one entry lives.
        clean = codes[start : start + length].tobytes().decode("utf-32-le")  # for the shared passage's sample
        entries.append(_Shingles(clean, hashes[start : start + count].copy(), own_distinct.copy()))
    return entries


def _clean_block(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(`_clean_codes` of the texts one after another, how many code points each text has)."""
    if len(texts) == 1:  # one report built on demand: no block to assemble
        codes = _clean_codes(texts[0])
        return codes, np.array([len(codes)], dtype=np.int64)
    folded, kept = _clean_tables()
    try:
        raw = [np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) for text in texts]
    except UnicodeEncodeError:  # a lone surrogate: the texts are cleaned one by one
        raw = None
    joined = np.concatenate(raw) if raw else np.empty(0, dtype=np.uint32)
    if raw is None or (len(joined) and int(joined.max()) >= len(folded)):
        cleaned = [_clean_codes(text) for text in texts]  # one text at least needs the regex path
        return np.concatenate(cleaned or [joined]), _lengths(cleaned)
    keep = kept[joined]
    # Each text's kept code points: the running count of kept ones at its end minus at its start.
    ends = np.cumsum(_lengths(raw))
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    lengths = np.diff(kept_before[np.concatenate(([0], ends))])
    return folded[joined[keep]], lengths


@dataclass
class _Shingles:
    """One report's cleaned text and shingle hashes, as the near-duplicate search needs them."""

    clean: str
    hashes: np.ndarray  # the hash of the shingle starting at each position of `clean`
    distinct: np.ndarray  # sorted distinct hashes, genre shingles included
    content: np.ndarray | None = None  # `distinct` without the genre shingles, made when asked for
    ranks: np.ndarray | None = None  # where each position's hash stands in `distinct`, made when asked for

    @property
    def nbytes(self) -> int:
        content = self.content.nbytes if self.content is not None and self.content is not self.distinct else 0
        ranks = self.ranks.nbytes if self.ranks is not None else 0
        return 2 * len(self.clean) + self.hashes.nbytes + self.distinct.nbytes + content + ranks


class _ShingleCache:
    """Each report's `_Shingles`, built when needed and kept while they fit.

    At most `budget_bytes` of entries are kept; the least recently used go first (and `release`
    drops a report the caller is done with). On 100,000 reports with many near-duplicate pairs,
    keeping every report until its last pair held most of the corpus' shingles at once.
    """

    def __init__(self, texts: Sequence[object], size: int, *, budget_bytes: int | None = None) -> None:
        self._texts, self._size = texts, size
        self.budget = _CACHE_BYTES if budget_bytes is None else budget_bytes
        self._entries: OrderedDict[int, _Shingles] = OrderedDict()
        self._bytes = 0

    def _entry(self, index: int) -> _Shingles:
        entry = self._entries.get(index)
        if entry is not None:
            self._entries.move_to_end(index)
            return entry
        (entry,) = _shingle_entries([self._text(index)], self._size)
        self._add(index, entry)
        return entry

    def fill(self, indices: Sequence[int]) -> None:
        """Build the entries of `indices` not held yet, a block of reports at a time.

        Cleaning and hashing a block as one text pays numpy's per-call cost once per block: built
        one by one, the genre count's 5,000 reports spent more in those calls than in the work.
        """
        block: list[int] = []
        texts: list[str] = []  # read once: a text store reads each from disk
        chars = 0
        for index in indices:
            if index in self._entries:
                continue
            block.append(index)
            texts.append(self._text(index))
            chars += len(texts[-1])
            if len(block) == _BLOCK_REPORTS or chars >= _BLOCK_CHARS:
                self._add_block(block, texts)
                block, texts, chars = [], [], 0
        if block:
            self._add_block(block, texts)

    def _add_block(self, indices: list[int], texts: list[str]) -> None:
        for index, entry in zip(indices, _shingle_entries(texts, self._size)):
            self._add(index, entry)

    def _text(self, index: int) -> str:
        text = self._texts[index]
        return text if isinstance(text, str) else ""

    def _add(self, index: int, entry: _Shingles) -> None:
        self._entries[index] = entry
        self._bytes += entry.nbytes
        while self._bytes > self.budget and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.nbytes

    def clean(self, index: int) -> str:
        return self._entry(index).clean

    def hashes(self, index: int) -> np.ndarray:
        """The hash of the shingle starting at each position of report `index`'s cleaned text."""
        return self._entry(index).hashes

    def distinct(self, index: int) -> np.ndarray:
        """Sorted distinct shingle hashes of report `index` (genre shingles included)."""
        return self._entry(index).distinct

    def ranks(self, index: int) -> np.ndarray:
        """For each position of report `index`'s cleaned text, the index of its shingle's hash in
        `distinct(index)` (made once per report, for the passages of all its pairs)."""
        entry = self._entry(index)
        if entry.ranks is None:
            entry.ranks = _ranks(entry.hashes)
            self._bytes += entry.ranks.nbytes
        return entry.ranks

    def contents(self, indices: Sequence[int], generic: np.ndarray) -> list[np.ndarray]:
        """Sorted distinct shingle hashes of each report of `indices` without the genre shingles.

        The reports not sieved yet are sieved together: one membership test of all their
        hashes, where one per report cost more in numpy's calls than in the test.
        """
        entries = {index: self._entry(index) for index in indices}
        sieved = {index: entry.content for index, entry in entries.items() if entry.content is not None}
        unsieved = [index for index in entries if index not in sieved]
        if unsieved:
            before = sum(entries[index].nbytes for index in unsieved)
            distinct = [entries[index].distinct for index in unsieved]
            kept = ~_members(np.concatenate(distinct), generic) if len(generic) else None
            lengths = _lengths(distinct)
            starts = _starts(lengths)
            for index, start, stop in zip(unsieved, starts, starts + lengths):
                own = entries[index].distinct
                sieved[index] = entries[index].content = own if kept is None else own[kept[start:stop]]
            self._bytes += sum(entries[index].nbytes for index in unsieved) - before
        return [sieved[index] for index in indices]

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()
        self._bytes = 0

    def release(self, index: int) -> None:
        entry = self._entries.pop(index, None)
        if entry is not None:
            self._bytes -= entry.nbytes


def _lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) minimising the mean false-positive and false-negative areas.

    This is MinHashLSH's choice (datasketch's `_optimal_param` with weights 0.5/0.5; a test
    checks they agree), so the candidates are those the datasketch index returned.
    """
    return _optimal_bands(threshold, num_perm)


@lru_cache(maxsize=16)
def _optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands b and rows r (b·r ≤ num_perm) minimising ½∫₀ᵗ P(s) ds + ½∫ₜ¹ (1 − P(s)) ds.

    P(s) = 1 − (1 − sʳ)ᵇ is the chance that two signatures of Jaccard s share a band; the first
    integral is the false-positive area below the threshold t, the second the false-negative area
    above it. Integrals by the trapezoid rule on 1,001 points.
    """

    def area(y: np.ndarray, x: np.ndarray) -> float:
        return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)

    below, above = np.linspace(0.0, threshold, 1001), np.linspace(threshold, 1.0, 1001)
    best, best_error = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            error = 0.5 * area(1 - (1 - below**rows) ** bands, below) + 0.5 * area((1 - above**rows) ** bands, above)
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def _band_keys(matrix: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) 64-bit hash of each band of each signature (fold with multiply, xor, fmix64)."""
    blocks = matrix[:, : bands * rows].reshape(len(matrix), bands, rows)
    keys = np.zeros((len(matrix), bands), dtype=np.uint64)
    for row in range(rows):
        keys = _fmix64((keys * np.uint64(0x9E3779B97F4A7C15)) ^ blocks[:, :, row].astype(np.uint64) ^ np.uint64(row + 1))
    return keys


def _bucket_pairs(keys: np.ndarray, links: int) -> np.ndarray:
    """Pairs (as a·n + b, a < b) of rows sharing a bucket of one band.

    Each row is linked to the rows before it in its bucket, but to at most the `links` first of
    them (corpus order): a bucket of k rows costs min(k², k·links), not k², and every member of a
    template copied a thousand times still meets `links` of its copies.
    """
    n = len(keys)
    order = np.argsort(keys, kind="stable")  # stable: a bucket's rows stay in corpus order
    sorted_keys = keys[order]
    starts = np.flatnonzero(_run_firsts(sorted_keys))
    bucket_start = _run_start_of_each(starts, n)
    partners = np.minimum(np.arange(n) - bucket_start, links)
    total = int(partners.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    member = np.repeat(np.arange(n), partners)
    rank = np.arange(total) - np.repeat(_starts(partners), partners)
    first = order[np.repeat(bucket_start, partners) + rank]
    return first.astype(np.int64) * n + order[member]


def _agreement(matrix: np.ndarray, a: np.ndarray, b: np.ndarray, *, chunk: int = 1 << 10) -> np.ndarray:
    """Number of equal hash values of each pair (the MinHash estimate times num_perm).

    A thousand pairs at a time, so that their gathered rows stay in the processor's cache, with
    `np.take` (quicker than indexing for whole rows) and the equal values summed as bytes: a
    third of the time of 16,384 pairs indexed and counted with count_nonzero.
    """
    equal = np.empty(len(a), dtype=np.int16)
    for start in range(0, len(a), chunk):
        stop = start + chunk
        same = np.take(matrix, a[start:stop], axis=0) == np.take(matrix, b[start:stop], axis=0)
        equal[start:stop] = same.view(np.uint8).sum(axis=1, dtype=np.int16)
    return equal


# Numbers of equal hash values are int16 (0 … 32,767); with rows up to this many, a row, an
# equal count and a partner fit one int64 key (rows² × 32,768 < 2⁶³).
_EQUAL_SPAN = 1 << 15
_KEYED_ROWS = 16_000_000


class _ClosestPartners:
    """Each row's `max_partners` best partners (most equal hash values, then lowest partner),
    kept while candidate pairs arrive a slice at a time.

    The table holds n × max_partners entries whatever the number of pairs: sorting all candidate
    pairs at once (both directions, with their estimates) took 0.6 GB for the 3.4 million pairs
    of 100,000 synthetic reports. Since a row's order of partners is total, keeping the best of
    each slice together with the best so far gives each row's best of all its pairs.
    """

    def __init__(self, n_rows: int, max_partners: int) -> None:
        self._partner = np.full((n_rows, max_partners), -1, dtype=np.int64)
        self._equal = np.full((n_rows, max_partners), -1, dtype=np.int16)

    def add(self, a: np.ndarray, b: np.ndarray, equal: np.ndarray) -> None:
        """Offer the pairs (a, b) with their numbers of equal hash values to both their rows."""
        held = np.flatnonzero(self._partner.ravel() >= 0)
        n_rows, width = self._partner.shape
        source = np.concatenate((held // width, a, b))
        partner = np.concatenate((self._partner.ravel()[held], b, a))
        agreeing = np.concatenate((self._equal.ravel()[held], equal, equal)).astype(np.int64)
        if n_rows <= _KEYED_ROWS:
            # Row, then most equal values, then lowest partner, as one int64 key: sorting the
            # keys is several times quicker than a three-key lexsort, and they decode back.
            keys = (source * _EQUAL_SPAN + (_EQUAL_SPAN - 1 - agreeing)) * n_rows + partner
            keys.sort()
            source, rest = np.divmod(keys, _EQUAL_SPAN * n_rows)
            inverted, partner = np.divmod(rest, n_rows)
            agreeing = _EQUAL_SPAN - 1 - inverted
        else:
            order = np.lexsort((partner, -agreeing, source))
            source, partner, agreeing = source[order], partner[order], agreeing[order]
        # Each offer's rank among its row's: its position minus that of the row's first offer.
        firsts = np.flatnonzero(_run_firsts(source))
        rank = np.arange(len(source)) - _run_start_of_each(firsts, len(source))
        best = rank < width
        self._partner.fill(-1)
        self._equal.fill(-1)
        self._partner[source[best], rank[best]] = partner[best]
        self._equal[source[best], rank[best]] = agreeing[best]

    def pairs(self) -> np.ndarray:
        """The kept pairs as sorted distinct codes a·n + b (a < b): a pair is kept when it is
        among the best of either of its rows."""
        n_rows = len(self._partner)
        source, column = np.nonzero(self._partner >= 0)
        partner = self._partner[source, column]
        return _distinct(np.minimum(source, partner) * n_rows + np.maximum(source, partner))


def _hash_values(signature: np.ndarray) -> np.ndarray:
    # The values are 32-bit (datasketch's MinHash keeps them in uint64): held as uint32, the
    # signature matrix and the pairs' gathered rows take half the memory.
    return np.asarray(getattr(signature, "hashvalues", signature), dtype=np.uint32)


def _is_empty(signature: np.ndarray) -> bool:
    """True for the signature of a text too short for one shingle (every value at its maximum)."""
    return bool((_hash_values(signature) == _EMPTY_VALUE).all())


def _candidate_pairs(
    signatures: Sequence[np.ndarray | None],
    *,
    threshold: float,
    num_perm: int,
    max_partners: int = _MAX_PARTNERS,
    bucket_links: int = _BUCKET_LINKS,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a < b, sorted) sharing an LSH band, each report keeping its `max_partners` closest.

    Banding is done in numpy: the signatures are stacked into an (n, num_perm) array, each band
    is hashed row-wise and equal hashes are grouped by sorting (see `_bucket_pairs`).
    """
    rows = np.flatnonzero([signature is not None for signature in signatures])
    if len(rows) < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    matrix = np.stack([_hash_values(signature) for signature in signatures if signature is not None])
    if matrix.shape[1] != num_perm:
        raise InputError(
            f"signatures have {matrix.shape[1]} permutations, near_duplicates was given num_perm={num_perm}"
        )
    bands, per_band = _lsh_bands(max(0.05, threshold * _LSH_SLACK), num_perm)
    keys = _band_keys(matrix, bands, per_band)
    # Most pairs recur in many bands: the bands' pairs are made distinct a few bands at a time
    # (bounded memory) and merged into the distinct pairs so far. Sorting the pairs so far again
    # with each new band cost most of the search at 100,000 reports (10 of 17 s): both sides
    # sorted, the merge is linear.
    codes = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    for band in range(bands):
        pending.append(_bucket_pairs(keys[:, band], bucket_links))
        if band == bands - 1 or sum(map(len, pending)) > _MERGE_PAIRS:
            codes = _union(codes, _distinct(np.concatenate(pending)))
            pending = []
    # Estimated, filtered and ranked a slice at a time: the candidates can be tens of millions
    # of pairs, of which few come near the threshold.
    closest = _ClosestPartners(len(rows), max_partners)
    for start in range(0, len(codes), _ESTIMATE_PAIRS):
        a, b = np.divmod(codes[start : start + _ESTIMATE_PAIRS], len(rows))
        equal = _agreement(matrix, a, b)
        above = equal / num_perm >= threshold * _LSH_SLACK
        closest.add(a[above], b[above], equal[above])
    n_candidates = len(codes)
    del codes
    a, b = np.divmod(closest.pairs(), len(rows))
    # The work per report is bounded (bucket links per band, closest partners): these say how
    # near a corpus comes to the bounds (benchmarks/scale_corpus_stages.py reports them).
    logger.info("near_duplicates: %d reports, %d candidate pairs, %d to check", len(rows), n_candidates, len(a))
    return rows[a], rows[b]  # the codes are sorted, so the pairs are

def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Mask of `values` (integer hashes) found in the sorted array of distinct `sorted_set`.

    A table of the members' low bits (at least 8 slots per member) sieves the values first: only
    those whose slot a member holds are binary-searched, one value in eight at most when few
    are members. Sieving the genre shingles from a block of reports' hashes takes a tenth of the
    time a search of every value takes.
    """
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    slot_mask = (1 << max(16, len(sorted_set).bit_length() + 3)) - 1
    occupied = np.zeros(slot_mask + 1, dtype=bool)
    occupied[sorted_set & slot_mask] = True
    found = np.zeros(len(values), dtype=bool)
    maybe = np.flatnonzero(occupied[values & slot_mask])
    if len(maybe):
        found[maybe] = _searched_members(values[maybe], sorted_set)
    return found


def _searched_members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """`_members` by a binary search of each value."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    found = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[found] == values


def _merged(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The values of two sorted arrays in one sorted array: a stable sort of the two runs side by
    side is one merge (timsort), linear in their length."""
    merged = np.concatenate((first, second))
    merged.sort(kind="stable")
    return merged


def _union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Sorted distinct values of two sorted arrays of distinct values (one merge, `_merged`)."""
    if not len(first):
        return second
    merged = _merged(first, second)
    return merged[_run_firsts(merged)]


_HASH_COLUMNS = 1 << 32  # shingle hashes are 32-bit: a sparse row has a column for each


def _hash_rows(arrays: Sequence[np.ndarray], data: np.ndarray | None = None) -> csr_array:
    """Sparse rows, one per array of sorted distinct 32-bit hashes, holding `data` (ones by
    default) at the hashes' columns.

    The element-wise product of two such matrices merges each pair of rows in scipy's compiled
    code. The sorted arrays are already canonical rows: nothing is sorted, the arrays are only
    laid end to end as int64 (the index type scipy needs for 2³² columns).
    """
    from scipy.sparse import csr_array

    indptr = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum(_lengths(arrays), out=indptr[1:])
    indices = np.concatenate(arrays).astype(np.int64) if len(arrays) else np.empty(0, dtype=np.int64)
    values = np.ones(len(indices), dtype=np.int8) if data is None else data
    return csr_array((values, indices, indptr), shape=(len(arrays), _HASH_COLUMNS))


def _block_similarities(
    content_a: Sequence[np.ndarray], content_b: Sequence[np.ndarray]
) -> tuple[np.ndarray, csr_array]:
    """(Jaccard similarity of each pair's two sorted shingle arrays, the shared hashes as one
    sparse row per pair).

    The pairs' arrays are intersected as the element-wise product of two sparse matrices (see
    `_hash_rows`): checked one pair at a time, the numpy calls per pair took a sixth of the
    exact check, and a sort-merge of all the pairs' values tagged with their pair took 2.3
    times as long as scipy's merge of the rows.
    """
    shared = _hash_rows(content_a).multiply(_hash_rows(content_b))
    counts = np.diff(shared.indptr)
    sizes = _lengths(content_a) + _lengths(content_b)
    return counts / np.maximum(sizes - counts, 1), shared


def _shared_passages(
    cleans: Sequence[str], ranks: Sequence[np.ndarray], distinct: Sequence[np.ndarray], shared: csr_array,
    size: int,
) -> list[tuple[int, str]]:
    """(characters covered by shared shingles, start of the longest covered passage) of each pair.

    Pair i's first report has the cleaned text `cleans[i]`, the sorted distinct shingle hashes
    `distinct[i]` and `ranks[i]`, the index in `distinct[i]` of the hash at each position;
    row i of `shared` holds its shared hashes (`_block_similarities`). Worked for all the pairs
    at once on their positions one after another: the shared ones are marked among the distinct
    hashes and each position reads its mark. The marks come from a product of sparse rows (see
    `_hash_rows`) holding each distinct hash's place: its values are the places of the shared
    ones. A shingle starting at p covers characters p … p + size - 1; covered characters form
    runs, broken where a shared shingle starts after the previous one's end, or where the next
    pair's positions begin.
    """
    n_distinct = int(_lengths(distinct).sum())
    places = _hash_rows(distinct, data=np.arange(1, n_distinct + 1, dtype=np.int64))
    marked = np.zeros(n_distinct, dtype=bool)
    marked[places.multiply(shared).data - 1] = True
    position_counts = _lengths(ranks)
    passages = [(0, "")] * len(ranks)
    if not position_counts.sum():
        return passages
    owner_of_each = np.repeat(np.arange(len(ranks)), position_counts)
    distinct_starts = _starts(_lengths(distinct))
    hits = np.flatnonzero(marked[np.concatenate(ranks).astype(np.int64) + distinct_starts[owner_of_each]])
    if not len(hits):
        return passages
    owner = owner_of_each[hits]
    local = hits - _starts(position_counts)[owner]
    new_run = np.ones(len(hits), dtype=bool)
    new_run[1:] = (owner[1:] != owner[:-1]) | (np.diff(local) > size)
    firsts = np.flatnonzero(new_run)
    run_owner, run_start = owner[firsts], local[firsts]
    run_length = local[np.append(firsts[1:] - 1, len(hits) - 1)] + size - run_start
    covered = np.bincount(run_owner, weights=run_length, minlength=len(ranks)).astype(np.int64)
    # Each pair's first longest run (lexsort is stable: equal lengths stay in text order).
    order = np.lexsort((-run_length, run_owner))
    longest = order[_run_firsts(run_owner[order])]
    for index, start, length in zip(*(values[longest].tolist() for values in (run_owner, run_start, run_length))):
        passages[index] = (int(covered[index]), cleans[index][start : start + min(length, _SAMPLE_CHARS)])
    return passages


def _signatures(
    cache: _ShingleCache, n_reports: int, generic: np.ndarray, *, num_perm: int, seed: int
) -> list[np.ndarray | None]:
    # Shingle sets are built one report at a time and not kept: at
    # 100,000 reports they would not fit in memory; the candidate pairs rebuild theirs. The
    # permutations are drawn once and shared, as MinHash.bulk does.
    signatures: list[np.ndarray | None] = [None] * n_reports
    for index in range(n_reports):
        hashes = cache.distinct(index)
        cache.release(index)
        if len(generic):
            hashes = hashes[~_members(hashes, generic)]
        if len(hashes):
            signatures[index] = _permuted_minima(hashes, num_perm=num_perm, seed=seed)
    return signatures


def _exact_rows(
    pairs: tuple[np.ndarray, np.ndarray],
    cache: _ShingleCache,
    generic: np.ndarray,
    *,
    threshold: float,
    size: int,
    workers: int = 1,
) -> list[tuple[int, int, float, int, str]]:
    """(a, b, similarity, shared_chars, sample) of the candidate pairs at or above `threshold`.

    Pairs are visited one group of connected reports at a time and each report's shingles are
    dropped after its last pair, so a report in many pairs is shingled once and the cache holds
    about one group. The reports of the next `_FILL_PAIRS` pairs are shingled together (see
    `_ShingleCache.fill`). With `workers` ≥ 2 and at least `_PARALLEL_MIN_PAIRS` pairs, the
    pairs are shared out among that many forked processes, each with its part of the cache's
    budget. Rows come back in the order of `pairs`, however many processes checked them.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = pairs
    if not len(a):
        return []
    n = int(max(a.max(), b.max())) + 1
    _, group = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    order = np.lexsort((b, a, group[a]))
    check = partial(_checked_rows, a=a, b=b, n_reports=n, cache=cache, generic=generic.astype(np.uint32),
                    threshold=threshold, size=size)
    # Equal runs of pairs: a group cut in two costs only the shingles of its reports at the cut
    # made twice, while whole groups (one holds half the pairs at 100,000 synthetic reports)
    # would leave one process working alone.
    shares = np.array_split(order, workers) if workers > 1 and len(order) >= _PARALLEL_MIN_PAIRS else [order]
    if len(shares) == 1:
        rows = check(order)
    else:
        from reportmine.background import BackgroundJobs
        from reportmine.memory import release_memory

        # Emptied and given back first: a child's evictions could not free what this process
        # still holds. Each process then holds only its own pairs' shingles, within its part of
        # the budget.
        cache.clear()
        release_memory()
        cache.budget //= len(shares)
        jobs = {f"share {index}": partial(check, share) for index, share in enumerate(shares)}
        with BackgroundJobs(jobs, workers=len(jobs)) as running:
            rows = [row for name in jobs for row in running.result(name)]
    return [row[1:] for row in sorted(rows)]


def _checked_rows(
    positions: np.ndarray,
    *,
    a: np.ndarray,
    b: np.ndarray,
    n_reports: int,
    cache: _ShingleCache,
    generic: np.ndarray,
    threshold: float,
    size: int,
) -> list[tuple[int, int, int, float, int, str]]:
    """(position, a, b, similarity, shared_chars, sample) of the pairs at `positions` (in
    visiting order) at or above `threshold`; a report's shingles leave the cache after its last
    pair among them."""
    remaining = np.bincount(np.concatenate((a[positions], b[positions])), minlength=n_reports)
    rows = []
    for begin in range(0, len(positions), _FILL_PAIRS):
        block = positions[begin : begin + _FILL_PAIRS]
        firsts, seconds = a[block].tolist(), b[block].tolist()
        cache.fill(list(dict.fromkeys(chain.from_iterable(zip(firsts, seconds)))))
        contents = cache.contents(firsts + seconds, generic)
        content_a, content_b = contents[: len(firsts)], contents[len(firsts) :]
        for part in _bounded_runs([len(x) + len(y) for x, y in zip(content_a, content_b)], _PART_VALUES):
            checked = _exact_part(
                cache, [firsts[index] for index in part], [content_a[index] for index in part],
                [content_b[index] for index in part], threshold=threshold, size=size,
            )
            rows += [
                (int(block[part[tag]]), firsts[part[tag]], seconds[part[tag]], similarity, shared_chars, sample)
                for tag, similarity, shared_chars, sample in checked
            ]
        for index in firsts + seconds:
            remaining[index] -= 1
            if not remaining[index]:
                cache.release(index)
    return rows


_FILL_PAIRS = 256  # pairs whose reports are shingled together before they are checked
# Shingles of the pairs compared in one merge: tagged to 64 bits and merged, they take about 50 MB
# (a single pair of longer reports is compared alone).
_PART_VALUES = 1 << 21
# Below this many candidate pairs a second process costs more than it saves (its fork, and the
# shingles of the reports at a cut made in both processes).
_PARALLEL_MIN_PAIRS = 20_000


def _bounded_runs(sizes: list[int], bound: int) -> list[list[int]]:
    """The indices of `sizes` cut into runs whose sizes add up to at most `bound` (or one index),
    so that a block of very long reports is compared a few pairs at a time."""
    runs: list[list[int]] = [[]]
    held = 0
    for index, size in enumerate(sizes):
        if runs[-1] and held + size > bound:
            runs.append([])
            held = 0
        runs[-1].append(index)
        held += size
    return runs


def _exact_part(
    cache: _ShingleCache, firsts: list[int], content_a: list[np.ndarray], content_b: list[np.ndarray],
    *, threshold: float, size: int,
) -> list[tuple[int, float, int, str]]:
    """(i, similarity, shared_chars, sample) of the pairs i at or above `threshold`, in order:
    pair i's first report is `firsts[i]`, and `content_a[i]`, `content_b[i]` hold the shingles
    (genre ones removed) of its two reports."""
    similarity, shared = _block_similarities(content_a, content_b)
    kept = np.flatnonzero(similarity + 1e-12 >= threshold)
    if not len(kept):
        return []
    leaders = [firsts[tag] for tag in kept.tolist()]
    passages = _shared_passages(
        [cache.clean(index) for index in leaders], [cache.ranks(index) for index in leaders],
        [cache.distinct(index) for index in leaders], shared[kept, :], size,
    )
    return [
        (tag, float(similarity[tag]), shared_chars, sample)
        for tag, (shared_chars, sample) in zip(kept.tolist(), passages)
    ]


def near_duplicates(
    reports: pd.DataFrame,
    *,
    threshold: float = 0.5,
    shingle: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    signatures: Mapping[str, np.ndarray] | None = None,
    texts: Mapping[str, str] | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Return pairs of reports whose shingle sets have Jaccard similarity ≥ `threshold`.

    Args:
        reports: a frame with report_id, text and (optionally) school; without text when
            `texts` is given.
        threshold: minimum Jaccard similarity of the shingle sets, in (0, 1].
        shingle: characters per shingle.
        num_perm, seed: MinHash parameters (must match precomputed `signatures`).
        signatures: MinHash per report_id from `minhash_signature` (computed elsewhere, e.g. in
            worker processes), or their hash values; used for the LSH candidates, the exact
            check is done here.
        texts: report_id → text (e.g. an analysis' `TextStore`), read one report at a time.
        workers: processes for the exact check of many candidate pairs (forked where the
            platform forks; the rows are the same with any number).

    Returns:
        report_a, report_b (report_a first in input order), school_a, school_b, similarity,
        shared_chars, sample; most similar pairs first.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    if shingle < 1 or num_perm < 16:
        raise InputError("shingle must be ≥ 1 and num_perm ≥ 16")
    ids = list(reports["report_id"])
    schools = list(reports["school"]) if "school" in reports else [None] * len(ids)
    # From a store each text is read when its shingles are needed, and dropped after.
    texts_in_order: Sequence[object] = ValuesInOrder(texts, ids, default=None) if texts is not None else list(reports["text"])
    cache = _ShingleCache(texts_in_order, shingle)
    generic = _generic_shingles(cache, len(texts_in_order), seed=seed)
    if len(generic):
        logger.info("near_duplicates: ignoring %d genre shingles shared by > 20 %% of reports", len(generic))
    if signatures is None:
        minhashes = _signatures(cache, len(texts_in_order), generic, num_perm=num_perm, seed=seed)
    else:
        has_text = (
            [report_id in texts for report_id in ids] if texts is not None
            else [isinstance(text, str) for text in texts_in_order]
        )
        minhashes = [
            signature if present and signature is not None and not _is_empty(signature) else None
            for present, signature in zip(has_text, (signatures.get(report_id) for report_id in ids))
        ]
    pairs = _candidate_pairs(minhashes, threshold=threshold, num_perm=num_perm)
    exact = _exact_rows(pairs, cache, generic, threshold=threshold, size=shingle, workers=workers)
    rows = [
        (ids[a], ids[b], schools[a], schools[b], round(similarity, 4), shared_chars, sample)
        for a, b, similarity, shared_chars, sample in exact
    ]
    frame = pd.DataFrame(rows, columns=DUPLICATE_COLUMNS)
    frame = frame.sort_values("similarity", ascending=False, kind="stable").reset_index(drop=True)
    return frame.astype({"similarity": "float64", "shared_chars": "int64"})

__all__ = ["near_duplicates", "minhash_signature", "clean_for_shingles", "DUPLICATE_COLUMNS"]
