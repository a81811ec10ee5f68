"""Tests of reportmine.viz.fonts: finding a CJK font and checking glyph coverage."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from reportmine.errors import InputError
from reportmine.viz.fonts import find_cjk_font, font_covers, matplotlib_font, missing_glyphs, subset_font

CHART_WORDS = "公开课获奖教研活动学校年份数量（未知）主题随年份的变化各校编码出现比例0123456789-."


@pytest.fixture(scope="module")
def latin_font() -> Path:
    """A font without Chinese glyphs: the DejaVu Sans that matplotlib ships."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def test_found_font_covers_chart_words():
    font = find_cjk_font()
    assert font.is_file()
    assert font_covers(font, CHART_WORDS)


def test_preferred_font_is_used(tmp_path):
    font = find_cjk_font()
    assert find_cjk_font(str(font)) == font


def test_missing_preferred_font_raises(tmp_path):
    with pytest.raises(InputError, match="not found"):
        find_cjk_font(tmp_path / "nope.ttf")


def test_preferred_font_without_chinese_raises(latin_font):
    with pytest.raises(InputError, match="no Chinese"):
        find_cjk_font(latin_font)


def test_preferred_file_that_is_no_font_raises(tmp_path):
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"not a font at all")
    with pytest.raises(InputError):
        find_cjk_font(fake)


@pytest.mark.parametrize(("text", "expected"), [
    ("学校abc", {"学", "校"}),
    ("abc 123", set()),
    ("", set()),
])
def test_missing_glyphs_of_latin_font(latin_font, text, expected):
    assert missing_glyphs(latin_font, text) == expected


def test_missing_glyphs_reads_font_collections(tmp_path, latin_font):
    from fontTools.ttLib import TTCollection, TTFont

    collection = TTCollection()
    collection.fonts = [TTFont(latin_font)]
    ttc = tmp_path / "latin.ttc"
    collection.save(ttc)
    assert missing_glyphs(ttc, "学a") == {"学"}


def test_emoji_is_missing_from_cjk_font():
    assert missing_glyphs(find_cjk_font(), "教研😀") == {"😀"}


def test_matplotlib_font_registers_family_inside_rc_context():
    before = matplotlib.rcParams["axes.unicode_minus"]
    with matplotlib.rc_context():
        family = matplotlib_font(find_cjk_font())
        assert "CJK" in family or "Hei" in family
        assert matplotlib.rcParams["font.sans-serif"][0] == family
        assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert matplotlib.rcParams["axes.unicode_minus"] == before


def test_subset_font_is_small_deterministic_and_covers_the_text(tmp_path):
    text = "学校公开课获奖 2020"
    first, second = subset_font(find_cjk_font(), text), subset_font(find_cjk_font(), text)
    assert first == second and first[:4] == b"wOFF" and len(first) < 50_000
    (tmp_path / "subset.woff").write_bytes(first)
    assert missing_glyphs(tmp_path / "subset.woff", text) == set()


def test_subset_font_drops_layout_and_vertical_tables():
    from fontTools.ttLib import TTFont
    import io

    font = TTFont(io.BytesIO(subset_font(find_cjk_font(), "学校 2020", flavor=None)))
    assert not {"GSUB", "GPOS", "vhea", "vmtx", "VORG"} & set(font.keys())
    assert {ord(ch) for ch in "学校2020"} <= set(font.getBestCmap())


def test_harfbuzz_reads_the_same_code_points_as_fonttools(latin_font):
    from fontTools.ttLib import TTFont

    from reportmine.viz.fonts import _cmap_codepoints

    for path in (find_cjk_font(), latin_font):
        with TTFont(path, lazy=True) as font:
            assert _cmap_codepoints(str(path.resolve())) == frozenset(font.getBestCmap())


def test_woff_holds_the_tables_of_the_font_unchanged():
    import io

    from fontTools.ttLib import TTFont

    sfnt = subset_font(find_cjk_font(), "学校公开课获奖 2020 abc", flavor=None)
    woff = subset_font(find_cjk_font(), "学校公开课获奖 2020 abc", flavor="woff")
    read, original = TTFont(io.BytesIO(woff)), TTFont(io.BytesIO(sfnt))
    assert read.flavor == "woff"
    assert sorted(read.reader.keys()) == sorted(original.reader.keys())
    assert read.getBestCmap() == original.getBestCmap()
