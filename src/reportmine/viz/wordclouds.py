"""Word clouds of content-token frequencies for the corpus, each school and each year (PNG files).

Output is deterministic: frequencies are ordered by (count desc, word), the layout is seeded and
PNG files carry no timestamp, so the same tokens give byte-identical images.
"""
from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import logging
import os
import random
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reportmine.errors import InputError, ReportmineError
from reportmine.parallel import map_ordered
from reportmine.viz.charts import group_label
from reportmine.viz.fonts import find_cjk_font, missing_glyphs, subset_font

log = logging.getLogger(__name__)

Grouping = Literal["corpus", "school", "year"]
GROUPINGS: tuple[str, ...] = ("corpus", "year", "school")  # output order: few big groups first

# Characters that cannot appear in a file name on some OS (path separators above all), and
# whitespace, which makes names awkward in shells.
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')
# A token worth drawing holds at least one letter, digit or CJK character (not only punctuation).
_WORDLIKE = re.compile(r"\w")
# Whitespace at the start or end of a token, in tokens joined by NUL (which is not whitespace).
_EDGE_SPACE = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")

# Per group, word frequencies are counted on at most this many reports spread evenly over it:
# the 80 most frequent words of a few hundred reports are the group's, and reading every
# report's tokens was most of the clouds' cost on a large corpus (the corpus and each year are
# groups too). A cloud's sizes are relative, so the counts need no scaling.
MAX_REPORTS_COUNTED = 200
LAYOUT_SCALE = 2.5  # words are placed on a canvas this many times smaller (see render_wordcloud)
SMALLEST_WORD_PIXELS = 8  # the smallest words drawn are about this high (see render_wordcloud)
PALETTE_COLORS = 64  # colours of the saved PNG
PNG_COMPRESS_LEVEL = 4  # zlib level of the saved PNG (see _draw)
_CANDIDATES_PER_WORD = 3  # most frequent words tested for drawability per word drawn (_frequencies)


def write_wordclouds(
    analysis: Any,
    out_dir: Path,
    *,
    by: Sequence[Grouping] = ("corpus", "school", "year"),
    font_path: Path | str | None = None,
    max_words: int = 80,
    width: int = 640,
    height: int = 400,
    min_chars: int = 2,
    max_groups: int = 20,
    workers: int | None = None,
) -> list[Path]:
    """Write one word-cloud PNG per group under ``out_dir/wordclouds/`` and return their paths.

    Args:
        analysis: object with ``reports`` (report_id, school, year) and ``tokens``
            (report_id → content tokens, stop words removed).
        by: which groupings to draw: the whole ``corpus``, each ``school``, each ``year``.
        font_path: a CJK font file; found with :func:`find_cjk_font` when None.
        min_chars: shorter tokens are left out (single characters are mostly noise).
        workers: processes drawing clouds in parallel (None = all cores, 1 = this process).
        max_groups: per grouping, only the groups with most reports get a cloud (ties by name),
            so a national corpus with thousands of schools does not draw thousands of pictures
            (each cloud costs about 0.1 s of CPU).
        width, height: size of each PNG in pixels; the HTML report shows clouds at most 520
            pixels wide.

    Returns:
        Paths of the files written, corpus first, then years and schools, each in sorted order.
        Groups without tokens are skipped (and logged).
    """
    unknown = sorted(set(by) - set(GROUPINGS))
    if unknown:
        raise InputError(f"Unknown word-cloud grouping {unknown}; choose from {list(GROUPINGS)}.")
    font = find_cjk_font(font_path)
    target = Path(out_dir) / "wordclouds"
    tokens: Mapping[str, list[str]] = getattr(analysis, "tokens", None) or {}
    written: list[Path] = []
    used_names: set[str] = set()
    jobs: list[tuple[dict[str, int], Path]] = []
    for grouping in GROUPINGS:  # fixed order keeps the returned list stable whatever `by` says
        if grouping not in by:
            continue
        for group, report_ids in _largest_groups(_groups(analysis.reports, grouping, tokens), max_groups, grouping):
            counted = report_ids[:: max(1, -(-len(report_ids) // MAX_REPORTS_COUNTED))]
            # WordCloud draws the max_words most frequent words and nothing else: the rest
            # would only be sorted here, and pickled to a worker and sorted there, for nothing.
            frequencies = _frequencies((tokens.get(rid, []) for rid in counted), font, min_chars, limit=max_words)
            if not frequencies:
                log.info("word cloud %s=%s skipped: no tokens", grouping, group)
                continue
            jobs.append((frequencies, target / _file_name(grouping, group, used_names)))
    with tempfile.TemporaryDirectory() as scratch:
        drawing_font = _drawing_font(font, jobs, max_words, Path(scratch))
        tasks = [_CloudTask(freqs, str(path), str(drawing_font), max_words, width, height) for freqs, path in jobs]
        # Left before the scratch folder goes: the cached fonts hold the subset file open.
        with _fonts_loaded_once():
            written = [Path(path) for path in map_ordered(_draw_task, tasks, workers=workers)]
    return written


class _CachedImageFont:
    """`PIL.ImageFont` as wordcloud sees it, but `truetype(path, size)` loads each (font, size)
    once per process and returns that same font object afterwards.

    wordcloud loads the font again for every size it tries while placing a word (about 200
    times per cloud) and again for every word drawn; the 29 clouds of a run need 62 distinct
    (font, size) pairs of 5,800 loads. A FreeType font is not changed by measuring or drawing
    text, so the pictures are the same. Fonts loaded before a fork are left to the parent:
    a forked drawing worker loads its own.
    """

    def __init__(self, image_font: Any) -> None:
        self._image_font = image_font
        self._fonts: dict[tuple[str, float], Any] = {}
        self._pid = os.getpid()

    def truetype(self, font: Any, size: float = 10, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(font, (str, os.PathLike)):
            return self._image_font.truetype(font, size, *args, **kwargs)
        if self._pid != os.getpid():  # a forked child: the parent's font handles are not ours
            self._fonts, self._pid = {}, os.getpid()
        key = (os.fspath(font), size)
        loaded = self._fonts.get(key)
        if loaded is None:
            loaded = self._fonts[key] = self._image_font.truetype(font, size)
        return loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._image_font, name)


@contextmanager
def _fonts_loaded_once() -> Iterator[None]:
    """While the block runs, wordcloud loads each (font, size) once per process (`_CachedImageFont`).

    It swaps the `ImageFont` name in wordcloud's module, so it is not thread-safe: another
    thread drawing clouds meanwhile would share the cache and could see the name restored
    midway (harmless for the pictures, but not what either thread set). Processes forked inside
    the block (the drawing pool) inherit the swap and keep their own cache.
    """
    import wordcloud.wordcloud as wordcloud_module

    original = wordcloud_module.ImageFont
    wordcloud_module.ImageFont = _CachedImageFont(original)
    try:
        yield
    finally:
        wordcloud_module.ImageFont = original


def _largest_groups(groups: list[tuple[str, list[str]]], max_groups: int, grouping: str) -> list[tuple[str, list[str]]]:
    if len(groups) <= max_groups:
        return groups
    log.info("word clouds by %s: drawing the %d largest of %d groups", grouping, max_groups, len(groups))
    largest = sorted(groups, key=lambda group: (-len(group[1]), group[0]))[:max_groups]
    return sorted(largest)


def _drawing_font(font: Path, jobs: list[tuple[dict[str, int], Path]], max_words: int, scratch: Path) -> Path:
    """A copy of `font` holding only the characters to draw: Pillow reloads the font for every
    size it tries, and a 16 MB CJK font makes that a third of the drawing time."""
    characters = {char for frequencies, _ in jobs for word in itertools.islice(frequencies, max_words) for char in word}
    if not characters:
        return font
    subset = scratch / f"cloud-font{font.suffix.lower() if font.suffix.lower() in ('.otf', '.ttf') else '.otf'}"
    subset.write_bytes(subset_font(font, "".join(sorted(characters)), flavor=None))
    return subset


@dataclass(frozen=True)
class _CloudTask:
    """One word cloud to draw in a worker process (plain data, so it pickles)."""

    frequencies: dict[str, int]
    path: str
    font: str
    max_words: int
    width: int
    height: int


def _draw_task(task: _CloudTask) -> str:
    _draw(task.frequencies, Path(task.path), font=Path(task.font), max_words=task.max_words,
          width=task.width, height=task.height)
    return task.path


def render_wordcloud(
    frequencies: Mapping[str, float],
    *,
    font_path: Path | str,
    max_words: int = 80,
    width: int = 640,
    height: int = 400,
    layout_scale: float = LAYOUT_SCALE,
) -> Any:
    """Lay out a ``wordcloud.WordCloud`` from word frequencies (seeded, white background).

    The words are placed on a canvas ``layout_scale`` times smaller than ``width`` × ``height``
    and drawn at full size (``to_image()`` is ``width`` × ``height``): placing is the costly part
    and grows with the canvas area, so a scale of 2.5 lays out six times faster; the words stay
    sharp, only the gaps between them and the steps between font sizes are a little coarser
    (2.5 pixels). The first of ``layout_scale`` and the whole numbers below it that divides both
    sides into whole numbers is used, so the picture always has exactly the size asked for.
    The smallest words are about SMALLEST_WORD_PIXELS high at any scale (wordcloud's own
    smallest size, 4, where the scale is 2 or less).
    """
    try:
        from wordcloud import WordCloud
    except ImportError as exc:  # pragma: no cover - wordcloud is a declared dependency
        raise ReportmineError("Word clouds need the wordcloud package: pip install wordcloud") from exc
    scale = next(s for s in _scales(layout_scale) if (width / s).is_integer() and (height / s).is_integer())
    width, height = round(width / scale), round(height / scale)
    cloud = WordCloud(
        font_path=str(font_path),
        width=width,
        height=height,
        scale=scale,
        max_words=max_words,
        background_color="white",
        collocations=False,
        random_state=0,
        prefer_horizontal=0.95,  # Chinese read poorly when many words are turned sideways
        # A fixed largest size spares wordcloud a whole trial layout it runs to find one (half the time).
        max_font_size=max(12, height // 4),
        min_font_size=max(1, min(4, int(SMALLEST_WORD_PIXELS / scale))),
        color_func=_viridis_color,
    )
    return cloud.generate_from_frequencies(dict(frequencies))


def _scales(layout_scale: float) -> list[float]:
    """`layout_scale`, then the whole numbers below it down to 1 (the layout scales to try)."""
    if layout_scale <= 1:
        return [1.0]
    whole = int(layout_scale)
    return ([] if whole == layout_scale else [float(layout_scale)]) + [float(s) for s in range(whole, 0, -1)]


def _viridis_color(word: str, font_size: int, position: tuple[int, int], orientation: Any,
                   random_state: random.Random, **_: Any) -> str:
    """wordcloud's default colouring, a random viridis colour per word, from the same random draw.

    Its own colour function imports pyplot (half a second per drawing process) and asks the
    colormap for each word; this looks the colour up in a table, so the pictures are unchanged.
    """
    colors = _viridis_colors()
    return colors[min(int(random_state.uniform(0, 1) * len(colors)), len(colors) - 1)]


@functools.lru_cache(maxsize=1)
def _viridis_colors() -> tuple[str, ...]:
    """The viridis colours as the "rgb(r, g, b)" strings wordcloud's colour function makes."""
    import matplotlib  # wordcloud imports it anyway; matplotlib.colormaps needs no pyplot
    import numpy as np

    colormap = matplotlib.colormaps["viridis"]
    return tuple("rgb({:.0f}, {:.0f}, {:.0f})".format(*np.maximum(0, 255 * np.array(colormap(index)))[:3])
                 for index in range(colormap.N))


def safe_file_stem(name: str, *, max_chars: int = 60) -> str:
    """Return ``name`` usable as a file stem: Chinese kept, path separators and controls removed."""
    stem = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    return stem[:max_chars] or "_"


def _groups(reports: Any, grouping: str, tokens: Mapping[str, list[str]]) -> list[tuple[str, list[str]]]:
    """(group label, report ids) in sorted label order; unknown school/year becomes "(未知)"."""
    if grouping == "corpus":
        ids = list(reports["report_id"]) if len(reports) else sorted(tokens)
        return [("corpus", [str(rid) for rid in ids])]
    if not len(reports) or grouping not in reports.columns:
        return []
    members: dict[str, list[str]] = {}
    for rid, value in zip(reports["report_id"], reports[grouping]):
        members.setdefault(group_label(value), []).append(str(rid))
    return sorted(members.items())


def _frequencies(token_lists: Iterable[list[str]], font: Path, min_chars: int, *,
                 limit: int | None = None) -> dict[str, int]:
    """Drawable words by count (desc), then word; only the first `limit` when given."""
    raw: Counter[str] = Counter()
    for token_list in token_lists:
        raw.update(token_list)  # a list goes through Counter's C loop
    counts = raw
    # " 教研" and "教研" are one word. Tokens rarely carry whitespace: one regex search over
    # them all decides whether any must be merged, instead of a Python loop over every word.
    if _EDGE_SPACE.search("\x00".join(raw)):
        counts = Counter()
        for word, n in raw.items():
            counts[word.strip()] += n
    # Ties broken by the word itself, so report order never changes the picture.
    key = lambda item: (-item[1], item[0])  # noqa: E731
    if limit is not None:
        # Only the most frequent words are drawn: the drawable test runs on a few times `limit`
        # candidates, not on the tens of thousands of words a group has. Enough of them drawable
        # gives the same first `limit` as filtering every word, else every word is filtered.
        candidates = heapq.nsmallest(_CANDIDATES_PER_WORD * limit, counts.items(), key=key)
        drawable = _drawable(dict(candidates), font, min_chars)
        if len(drawable) >= limit or len(candidates) == len(counts):
            return dict(list(drawable.items())[:limit])
    drawable = _drawable(counts, font, min_chars)
    ranked = sorted(drawable.items(), key=key) if limit is None else heapq.nsmallest(limit, drawable.items(), key=key)
    return dict(ranked)


def _drawable(counts: Mapping[str, int], font: Path, min_chars: int) -> dict[str, int]:
    """The words of `counts` worth drawing (in their order): long enough, not only punctuation,
    and no character the font lacks (it would be drawn as a box)."""
    undrawable = missing_glyphs(font, "".join(counts))
    return {
        word: n for word, n in counts.items()
        if len(word) >= min_chars and _WORDLIKE.search(word) and undrawable.isdisjoint(word)
    }


def _file_name(grouping: str, group: str, used_names: set[str]) -> str:
    stem = "corpus" if grouping == "corpus" else f"{grouping}_{safe_file_stem(group)}"
    if stem in used_names:  # two names that differ only in unsafe characters
        stem = f"{stem}_{hashlib.sha1(group.encode('utf-8')).hexdigest()[:8]}"
    used_names.add(stem)
    return f"{stem}.png"


def _fast_octree() -> Any:
    from PIL import Image

    return Image.Quantize.FASTOCTREE


def _draw(frequencies: Mapping[str, int], path: Path, *, font: Path, max_words: int,
          width: int, height: int) -> None:
    cloud = render_wordcloud(frequencies, font_path=font, max_words=max_words, width=width, height=height)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A 64-colour palette looks the same (few flat colours and their anti-aliased edges on
    # white) at a third of the size, which matters once dozens of clouds are embedded in the
    # HTML report. Fast octree is deterministic and ten times quicker than median cut. zlib
    # level 4 (PNG_COMPRESS_LEVEL) writes in under half the time of the default level 6, for
    # files 5% larger (the same pixels). Pillow writes no date or version chunk.
    image = cloud.to_image().quantize(colors=PALETTE_COLORS, method=_fast_octree())
    image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    log.debug("word cloud written: %s", path)
