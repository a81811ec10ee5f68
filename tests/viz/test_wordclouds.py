"""Tests of reportmine.viz.wordclouds: files per group, safe names, drawable words, determinism."""
from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image

from reportmine.errors import InputError
from reportmine.viz.fonts import find_cjk_font, missing_glyphs
from reportmine.viz.wordclouds import _frequencies, render_wordcloud, safe_file_stem, write_wordclouds

SMALL = {"width": 400, "height": 300, "max_words": 60}


@pytest.fixture(scope="module")
def clouds(analysis, tmp_path_factory):
    return write_wordclouds(analysis, tmp_path_factory.mktemp("clouds"), **SMALL)


def test_one_cloud_per_corpus_year_and_school(clouds):
    names = [path.name for path in clouds]
    assert names == [
        "corpus.png", "year_(未知).png", "year_2019.png", "year_2020.png",
        "school_(未知).png", "school_城堡小学.png", "school_实验_小学.png", "school_实验小学.png",
    ]
    for path in clouds:
        assert path.parent.name == "wordclouds"
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (400, 300)


def test_clouds_are_byte_identical_across_runs(analysis, clouds, tmp_path):
    again = write_wordclouds(analysis, tmp_path, **SMALL)
    assert [path.read_bytes() for path in again] == [path.read_bytes() for path in clouds]


def test_by_selects_groupings(analysis, tmp_path):
    paths = write_wordclouds(analysis, tmp_path, by=("year",), **SMALL)
    assert [path.name for path in paths] == ["year_(未知).png", "year_2019.png", "year_2020.png"]


def test_unknown_grouping_is_rejected(analysis, tmp_path):
    with pytest.raises(InputError, match="grouping"):
        write_wordclouds(analysis, tmp_path, by=("region",))


def test_every_drawn_word_has_glyphs_in_the_font(analysis):
    font = find_cjk_font()
    tokens = [token for token_list in analysis.tokens.values() for token in token_list]
    cloud = render_wordcloud(_frequencies([tokens], font, 2), font_path=font, **SMALL)
    drawn = "".join(word for (word, _count), *_rest in cloud.layout_)
    assert drawn
    assert missing_glyphs(font, drawn) == set()


def test_words_the_font_cannot_draw_are_left_out():
    frequencies = _frequencies([["教研😀", "教研", "教研", "课", "，，"]], find_cjk_font(), 2)
    assert frequencies == {"教研": 2}


def test_ties_are_ordered_by_word_not_input_order():
    font = find_cjk_font()
    assert list(_frequencies([["学校", "教师"]], font, 2)) == list(_frequencies([["教师", "学校"]], font, 2))
    assert Counter(_frequencies([["学校", "教师", "教师"]], font, 2)) == {"教师": 2, "学校": 1}


def test_empty_analysis_writes_nothing(empty_analysis, tmp_path):
    assert write_wordclouds(empty_analysis, tmp_path, **SMALL) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("实验小学", "实验小学"),
    ("实验/小学", "实验_小学"),
    ("..\\..\\etc/passwd", "etc_passwd"),
    ('a:b*c?"d<e>f|g', "a_b_c_d_e_f_g"),
    ("  ", "_"),
    ("第一 中学", "第一_中学"),
])
def test_safe_file_stem(name, expected):
    assert safe_file_stem(name) == expected


def test_names_that_clash_after_cleaning_get_distinct_files():
    from reportmine.viz.wordclouds import _file_name

    used: set[str] = set()
    first, second = _file_name("school", "实验/小学", used), _file_name("school", "实验:小学", used)
    assert first == "school_实验_小学.png" and second.startswith("school_实验_小学_") and second != first


@pytest.mark.parametrize(("width", "height", "scale"), [(400, 300, 2), (401, 300, 1), (240, 150, 3)])
def test_cloud_laid_out_small_is_drawn_at_the_asked_size(analysis, width, height, scale):
    font = find_cjk_font()
    tokens = [token for token_list in analysis.tokens.values() for token in token_list]
    cloud = render_wordcloud(_frequencies([tokens], font, 2), font_path=font, width=width, height=height,
                             max_words=30, layout_scale=3)
    assert cloud.scale == scale and (cloud.width, cloud.height) == (width // scale, height // scale)
    assert cloud.to_image().size == (width, height)


def test_worker_processes_draw_the_same_bytes(analysis, clouds, tmp_path):
    in_workers = write_wordclouds(analysis, tmp_path, workers=2, **SMALL)  # 8 clouds: a pool of 2
    assert [path.read_bytes() for path in in_workers] == [path.read_bytes() for path in clouds]


def test_only_the_schools_with_most_reports_get_a_cloud(analysis, tmp_path):
    reports = analysis.reports.copy()
    reports.loc[reports["report_id"] == "c.txt#1", "school"] = "实验小学"  # 2 reports, the others 1
    bigger = type(analysis)(**{**vars(analysis), "reports": reports})
    paths = write_wordclouds(bigger, tmp_path, by=("school",), max_groups=2, **SMALL)
    # 实验小学 has most reports; of the two left with one report, ties go by name: 城堡小学 < 实验/小学.
    assert [path.name for path in paths] == ["school_城堡小学.png", "school_实验小学.png"]


def test_colours_are_wordclouds_own_viridis_draws():
    from random import Random

    from wordcloud.wordcloud import colormap_color_func

    from reportmine.viz.wordclouds import _viridis_color

    theirs, ours = Random(0), Random(0)
    expected = [colormap_color_func("viridis")("词", 10, (0, 0), None, random_state=theirs) for _ in range(2000)]
    assert [_viridis_color("词", 10, (0, 0), None, random_state=ours) for _ in range(2000)] == expected


def test_frequencies_merge_words_that_differ_in_edge_whitespace_only():
    font = find_cjk_font()
    merged = _frequencies([[" 教研", "教研\u3000", "教研", "学校", "学\u00a0校"], ["教研\n"]], font, 2)
    assert merged == {"教研": 4, "学\u00a0校": 1, "学校": 1}
    # Tokens holding NUL (the separator of the whitespace test) or no edge whitespace at all.
    for tokens in (["教\x00 研", "教研", "教\x00研"], ["教研", "学校"], ["教研\x00", "\x00 教研"]):
        expected = Counter(token.strip() for token in tokens)
        assert Counter(_frequencies([tokens], font, 2)) == {
            word: n for word, n in expected.items() if not missing_glyphs(font, word)}


def test_frequencies_limit_keeps_the_first_words_of_the_full_ranking():
    font = find_cjk_font()
    tokens = [["学校"] * 5 + ["教师"] * 5 + ["课堂"] * 3 + ["反思"] * 3 + ["作业"] * 2 + ["听课"]]
    full = _frequencies(tokens, font, 2)
    for limit in (0, 1, 3, 4, 6, 10):
        assert _frequencies(tokens, font, 2, limit=limit) == dict(list(full.items())[:limit])


@pytest.mark.parametrize(("width", "height", "scale"), [(640, 400, 2.5), (300, 200, 2.5), (402, 300, 2), (401, 300, 1)])
def test_cloud_laid_out_at_a_fractional_scale_keeps_the_size_and_the_smallest_words(analysis, width, height, scale):
    from reportmine.viz.wordclouds import SMALLEST_WORD_PIXELS

    font = find_cjk_font()
    tokens = [token for token_list in analysis.tokens.values() for token in token_list]
    cloud = render_wordcloud(_frequencies([tokens], font, 2), font_path=font, width=width, height=height,
                             max_words=30, layout_scale=2.5)
    assert cloud.scale == scale and (cloud.width, cloud.height) == (round(width / scale), round(height / scale))
    assert cloud.to_image().size == (width, height)
    assert int(cloud.min_font_size * scale) <= SMALLEST_WORD_PIXELS


def test_fonts_loaded_once_draw_the_same_picture_and_restore_wordcloud(tmp_path):
    import io

    import wordcloud.wordcloud as wordcloud_module
    from PIL import ImageFont

    from reportmine.viz.wordclouds import _fonts_loaded_once

    frequencies = {"公开课": 9, "教研活动": 7, "获奖": 5, "课题研究": 3, "校本教研": 2}
    font = find_cjk_font()

    def png() -> bytes:
        buffer = io.BytesIO()
        render_wordcloud(frequencies, font_path=font, width=400, height=300).to_image().save(buffer, format="PNG")
        return buffer.getvalue()

    plain = png()
    with _fonts_loaded_once():
        cached = wordcloud_module.ImageFont
        assert cached.truetype(str(font), 20) is cached.truetype(str(font), 20)  # loaded once
        assert png() == plain and png() == plain
    assert wordcloud_module.ImageFont is ImageFont
