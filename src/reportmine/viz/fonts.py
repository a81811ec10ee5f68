"""Find a CJK font, check which characters it covers, and hand it to matplotlib (never tofu boxes).

Order of preference in :func:`find_cjk_font`: the user's ``--font``, the Noto Sans CJK SC font
shipped by the ``mplfonts`` package, then a CJK font installed on the system.

    >>> path = find_cjk_font()
    >>> missing_glyphs(path, "公开课获奖")
    set()
"""
from __future__ import annotations

import functools
import importlib.util
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from reportmine.errors import InputError, ReportmineError

log = logging.getLogger(__name__)

# The font mplfonts ships (and its fallbacks inside the same folder), best first.
_MPLFONTS_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf", "SourceHanSerifSC-Regular.otf")

# Family-name fragments of CJK fonts matplotlib may already know about on this machine.
_SYSTEM_FAMILY_HINTS = (
    "Noto Sans CJK", "Noto Serif CJK", "Source Han Sans", "WenQuanYi", "SimHei",
    "PingFang", "Microsoft YaHei", "Heiti", "STHeiti", "SimSun", "AR PL",
)

# Where CJK fonts usually live when matplotlib has not indexed them (Linux, macOS, Windows).
_SYSTEM_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

_INSTALL_HINT = (
    "No font with Chinese characters was found. Install one, e.g. `pip install mplfonts` "
    "or `apt-get install fonts-noto-cjk`, or pass a font file with --font."
)

# Characters probed to decide that a font is a CJK font at all.
_CJK_PROBE = "学校公开课获奖"


def find_cjk_font(preferred: Path | str | None = None) -> Path:
    """Return the path of a font that can draw Chinese text.

    Args:
        preferred: a font file chosen by the user (``--font``); it must exist and cover Chinese.

    Raises:
        InputError: ``preferred`` is missing or has no Chinese glyphs.
        ReportmineError: no CJK font could be found anywhere (with an install hint).
    """
    if preferred is not None:
        return _checked_user_font(Path(preferred))
    for candidate in _candidates():
        if candidate.is_file() and _is_cjk_font(candidate):
            log.debug("using CJK font %s", candidate)
            return candidate
    raise ReportmineError(_INSTALL_HINT)


def font_covers(font_path: Path | str, text: str) -> bool:
    """Return True when the font has a glyph for every visible character of ``text``."""
    return not missing_glyphs(font_path, text)


def missing_glyphs(font_path: Path | str, text: str) -> set[str]:
    """Return the visible characters of ``text`` the font cannot draw (whitespace is ignored)."""
    codepoints = _cmap_codepoints(str(Path(font_path).resolve()))
    return {char for char in set(text) if not char.isspace() and ord(char) not in codepoints}


def matplotlib_font(font_path: Path | str) -> str:
    """Register the font with matplotlib, make it the default sans-serif font and return its family.

    Also sets ``axes.unicode_minus=False``: many CJK fonts lack U+2212 and would show a box for
    negative tick labels. Call inside ``matplotlib.rc_context()`` to keep the change local.
    """
    import matplotlib
    from matplotlib import font_manager

    path = str(Path(font_path).resolve())
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    sans_serif = [family, *[f for f in matplotlib.rcParams["font.sans-serif"] if f != family]]
    matplotlib.rcParams["font.sans-serif"] = sans_serif
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family


def subset_font(font_path: Path | str, text: str, *, flavor: str | None = "woff") -> bytes:
    """Return a font holding only the glyphs of ``text`` (WOFF by default, to embed in a page).

    Deterministic: the font's own timestamps are kept, so the same text gives the same bytes.
    Kept for horizontal running text only: no layout features (ligatures, vertical forms), no
    vertical metrics, no hints. The result of the last few calls is remembered (keyed by the
    font file's path, size and mtime, the characters and the flavor).
    """
    path = Path(font_path).resolve()
    stat = path.stat()
    characters = "".join(sorted(set(text)))
    return _subset_font_cached(str(path), stat.st_size, stat.st_mtime_ns, characters, flavor)


# Tables a subset for horizontal text in a browser or in Pillow never reads.
_SUBSET_DROP_TABLES = ("DSIG", "GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG")


@functools.lru_cache(maxsize=4)
def _subset_font_cached(path: str, _size: int, _mtime_ns: int, characters: str, flavor: str | None) -> bytes:
    # HarfBuzz's subsetter (C++) does in 20 ms what fontTools' pure-Python one does in 1.5 s on
    # a 16 MB CJK font; fontTools then only wraps the small result as WOFF.
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(path), 0)  # the first face of a .ttc/.otc collection
    request = hb.SubsetInput()
    for character in characters:
        request.unicode_set.add(ord(character))
    for tag in _SUBSET_DROP_TABLES:
        request.drop_table_tag_set.add(_tag_number(tag))
    request.layout_feature_tag_set.clear()  # no ligatures or vertical forms for running text
    request.name_id_set.clear()
    request.name_id_set.update({1, 2})  # family and style names only
    request.flags = hb.SubsetFlags.NO_HINTING
    subset = hb.subset(face, request)
    if subset is None:
        raise ReportmineError(f"could not subset the font {path}")
    data = bytes(subset.blob.data)
    if flavor is None:
        return data
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    font.flavor = flavor  # "woff" is zlib-compressed; woff2 would need the brotli package
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _tag_number(tag: str) -> int:
    """An OpenType table tag ("GSUB") as the 32-bit number HarfBuzz's sets hold."""
    return int.from_bytes(tag.encode("ascii"), "big")


def _checked_user_font(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"Font file not found: {path}")
    try:
        covered = _is_cjk_font(path)
    except Exception as exc:  # fontTools raises many kinds of errors on a non-font file
        raise InputError(f"Cannot read font file {path}: {exc}") from exc
    if not covered:
        raise InputError(f"Font {path} has no Chinese characters; choose a CJK font (e.g. Noto Sans CJK SC).")
    return path


def _candidates() -> Iterator[Path]:
    """Font files to try, best first. The system's are listed only when no mplfonts font does:
    listing them loads matplotlib's font manager, a third of a second in every drawing process."""
    yield from _mplfonts_candidates()
    yield from _system_candidates()


def _mplfonts_candidates() -> list[Path]:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return [folder / name for name in _MPLFONTS_FILES]


def _system_candidates() -> list[Path]:
    from matplotlib import font_manager

    known = sorted(
        (entry for entry in font_manager.fontManager.ttflist
         if any(hint.lower() in entry.name.lower() for hint in _SYSTEM_FAMILY_HINTS)),
        key=lambda entry: (entry.name, entry.fname),
    )
    return [Path(entry.fname) for entry in known] + [Path(p) for p in _SYSTEM_FONT_PATHS]


def _is_cjk_font(path: Path) -> bool:
    return not missing_glyphs(path, _CJK_PROBE)


@functools.lru_cache(maxsize=16)
def _cmap_codepoints(resolved_path: str) -> frozenset[int]:
    """Code points mapped by the font's best cmap; the first face of a .ttc/.otc collection.

    HarfBuzz reads the cmap of an OpenType or TrueType file in milliseconds, where fontTools
    needs most of a second for the 44,000 entries of a CJK font (paid in every process that
    draws). WOFF files, which HarfBuzz cannot open, and files that are no font at all (an
    error from fontTools) go through fontTools.
    """
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    face = hb.Face(hb.Blob.from_file_path(resolved_path), 0)
    if face.glyph_count:
        return frozenset(face.unicodes)
    is_collection = resolved_path.lower().endswith((".ttc", ".otc"))
    # lazy=True reads only the tables we touch (the cmap), not the outlines.
    font = TTFont(resolved_path, fontNumber=0 if is_collection else -1, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()
