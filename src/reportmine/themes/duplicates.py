"""Near-duplicate reports: the same text handed in by two schools, or one template reused.

Each report becomes a set of character shingles (``shingle`` consecutive letters/digits after
folding and removing punctuation and whitespace, so re-punctuated or re-wrapped copies still
match). MinHash signatures go into a MinHashLSH index (datasketch); only the candidate pairs it
returns are compared, so the work grows with the number of reports, not its square; each report
keeps at most its five closest candidates (by MinHash estimate), so a template copied by hundreds
of schools still costs O(n). For each kept candidate the exact Jaccard similarity of the two
shingle sets is computed and pairs at or above `threshold` are kept. Shingles are hashed to 32 bits in numpy (~1.5 ms per 3,000-character report
on one core, against ~6 ms with datasketch's SHA-1 per shingle); `minhash_signature` gives the
same signature per report for computing in worker processes.

Genre phrases: when the corpus holds at least 20 reports, shingles that occur in more than 20 % of
them (领导重视、成立了以校长为组长的… in every 工作总结) are removed before comparing, because
two reports do not copy each other by sharing what the whole genre shares. Their document
frequency is counted on a seeded sample of at most 5,000 reports, plenty to tell 20 % apart.

`shared_chars` is the number of characters of report_a's cleaned text covered by shingles it
shares with report_b; `sample` is the beginning (≤ 80 characters) of the longest such covered
passage, as cleaned text (punctuation removed).
"""
from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH

from reportmine.errors import InputError
from reportmine.themes.codebook import fold

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


def clean_for_shingles(text: str) -> str:
    """Return `text` folded for matching with everything but letters and digits removed."""
    return "".join(_WORD_RUN.findall(fold(text)))


def _fmix64(values: np.ndarray) -> np.ndarray:
    # MurmurHash3's finaliser: spreads the rolling hash over all bits (uint64 arithmetic wraps).
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def shingle_hashes(clean: str, size: int) -> np.ndarray:
    """Return the 32-bit hash of the shingle starting at each position of `clean` (vectorised).

    Hashing shingles in numpy rather than with SHA-1 per shingle makes signatures ~10× faster;
    with a few thousand shingles per report, 32-bit collisions are negligible.
    """
    if len(clean) < size:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n_shingles = len(codes) - size + 1
    rolling = np.zeros(n_shingles, dtype=np.uint64)
    for offset in range(size):
        rolling = rolling * np.uint64(1_000_003) + codes[offset : offset + n_shingles]
    return _fmix64(rolling) >> np.uint64(32)


def _shingle_set(clean: str, size: int, generic: np.ndarray | None = None) -> np.ndarray:
    """Sorted distinct shingle hashes of `clean`, without the genre shingles."""
    distinct = np.unique(shingle_hashes(clean, size))
    return distinct if generic is None or not len(generic) else distinct[~np.isin(distinct, generic, assume_unique=True)]


def _new_minhash(num_perm: int, seed: int) -> MinHash:
    # Shingles arrive already hashed to 32-bit integers: `int` is the (picklable) hash function.
    # Drawing the permutations is a third of a signature's cost: draw them once per (num_perm, seed).
    template = _template_minhash(num_perm, seed)
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=int, permutations=template.permutations, scheme=template.scheme)


@lru_cache(maxsize=8)
def _template_minhash(num_perm: int, seed: int) -> MinHash:
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=int)


def minhash_signature(text: str, *, shingle: int = 5, num_perm: int = 128, seed: int = 1) -> MinHash:
    """Return the MinHash of `text`'s character shingles (picklable; for computing in workers).

    Signatures made with the same `shingle`, `num_perm` and `seed` can be passed to
    `near_duplicates(..., signatures=...)`.
    """
    signature = _new_minhash(num_perm, seed)
    hashes = _shingle_set(clean_for_shingles(text), shingle)
    if len(hashes):
        signature.update_batch(hashes)
    return signature


def _generic_shingles(cleaned: Sequence[str], *, size: int, seed: int) -> np.ndarray:
    """Shingles found in more than 20 % of the reports (counted on a seeded sample)."""
    if len(cleaned) < _GENERIC_MIN_REPORTS:
        return np.empty(0, dtype=np.uint64)
    indices = list(range(len(cleaned)))
    if len(indices) > _GENERIC_SAMPLE:
        indices = sorted(random.Random(seed).sample(indices, _GENERIC_SAMPLE))
    pooled = np.concatenate([_shingle_set(cleaned[index], size) for index in indices])
    values, counts = np.unique(pooled, return_counts=True)
    return values[counts > _GENERIC_SHARE * len(indices)]


def _candidate_pairs(
    signatures: Sequence[MinHash | None], *, threshold: float, num_perm: int, max_partners: int = _MAX_PARTNERS
) -> list[tuple[int, int]]:
    """Pairs (a < b) the LSH index proposes, each report keeping its `max_partners` closest."""
    index = MinHashLSH(threshold=max(0.05, threshold * _LSH_SLACK), num_perm=num_perm)
    with index.insertion_session() as session:
        for key, signature in enumerate(signatures):
            if signature is not None:
                session.insert(key, signature)
    floor = threshold * _LSH_SLACK
    pairs: set[tuple[int, int]] = set()
    for key, signature in enumerate(signatures):
        if signature is None:
            continue
        others = sorted(other for other in index.query(signature) if other != key)
        estimates = [(float(np.mean(signature.hashvalues == signatures[other].hashvalues)), other) for other in others]
        closest = sorted((pair for pair in estimates if pair[0] >= floor), key=lambda pair: (-pair[0], pair[1]))
        pairs.update((min(key, other), max(key, other)) for _, other in closest[:max_partners])
    return sorted(pairs)


def _shared_passage(clean: str, shared: np.ndarray, size: int) -> tuple[int, str]:
    """Return (characters covered by shared shingles, start of the longest covered passage)."""
    starts_shared = np.isin(shingle_hashes(clean, size), shared)
    coverage = np.zeros(len(clean) + 1, dtype=np.int32)
    positions = np.flatnonzero(starts_shared)
    np.add.at(coverage, positions, 1)
    np.add.at(coverage, positions + size, -1)
    covered = np.cumsum(coverage)[:-1] > 0
    if not covered.any():
        return 0, ""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], covered.astype(np.int8), [0]))))
    starts, ends = edges[::2], edges[1::2]
    longest = int(np.argmax(ends - starts))  # first longest run: deterministic
    start = int(starts[longest])
    return int(covered.sum()), clean[start : min(int(ends[longest]), start + _SAMPLE_CHARS)]


def _signatures(cleaned: Sequence[str], generic: np.ndarray, *, size: int, num_perm: int, seed: int) -> list[MinHash | None]:
    # Shingle sets are built one report at a time and not kept: at 100,000 reports they would
    # not fit in memory; the few candidate pairs rebuild theirs. The permutations are drawn once
    # and shared, as MinHash.bulk does.
    signatures: list[MinHash | None] = [None] * len(cleaned)
    for index, clean in enumerate(cleaned):
        hashes = _shingle_set(clean, size, generic)
        if len(hashes):
            signature = _new_minhash(num_perm, seed)
            signature.update_batch(hashes)
            signatures[index] = signature
    return signatures


def near_duplicates(
    reports: pd.DataFrame,
    *,
    threshold: float = 0.5,
    shingle: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    signatures: Mapping[str, MinHash] | None = None,
) -> pd.DataFrame:
    """Return pairs of reports whose shingle sets have Jaccard similarity ≥ `threshold`.

    Args:
        reports: a frame with report_id, text and (optionally) school.
        threshold: minimum Jaccard similarity of the shingle sets, in (0, 1].
        shingle: characters per shingle.
        num_perm, seed: MinHash parameters (must match precomputed `signatures`).
        signatures: MinHash per report_id from `minhash_signature` (computed elsewhere, e.g. in
            worker processes); used for the LSH candidates, the exact check is done here.

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
    cleaned = [clean_for_shingles(t) if isinstance(t, str) else "" for t in reports["text"]]
    generic = _generic_shingles(cleaned, size=shingle, seed=seed)
    if len(generic):
        logger.info("near_duplicates: ignoring %d genre shingles shared by > 20 %% of reports", len(generic))
    if signatures is None:
        minhashes = _signatures(cleaned, generic, size=shingle, num_perm=num_perm, seed=seed)
    else:
        minhashes = [signatures.get(report_id) if len(cleaned[i]) >= shingle else None for i, report_id in enumerate(ids)]
    rows = []
    for a, b in _candidate_pairs(minhashes, threshold=threshold, num_perm=num_perm):
        shingles_a = _shingle_set(cleaned[a], shingle, generic)
        shingles_b = _shingle_set(cleaned[b], shingle, generic)
        shared = np.intersect1d(shingles_a, shingles_b, assume_unique=True)
        similarity = len(shared) / max(len(shingles_a) + len(shingles_b) - len(shared), 1)
        if similarity + 1e-12 < threshold:
            continue
        shared_chars, sample = _shared_passage(cleaned[a], shared, shingle)
        rows.append((ids[a], ids[b], schools[a], schools[b], round(similarity, 4), shared_chars, sample))
    frame = pd.DataFrame(rows, columns=DUPLICATE_COLUMNS)
    frame = frame.sort_values("similarity", ascending=False, kind="stable").reset_index(drop=True)
    return frame.astype({"similarity": "float64", "shared_chars": "int64"})


__all__ = ["near_duplicates", "minhash_signature", "clean_for_shingles", "DUPLICATE_COLUMNS"]
