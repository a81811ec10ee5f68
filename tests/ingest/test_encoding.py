"""decode_bytes: every encoding a Chinese user meets gives the same text; garbage is refused."""
from __future__ import annotations

import codecs
import random

import pytest

from reportmine.errors import ReadError
from reportmine.ingest.encoding import decode_bytes


@pytest.mark.parametrize(
    "encode, expected_name",
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("gb18030"), "gb18030"),
        (lambda t: t.encode("gbk"), "gb18030"),
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16-le"),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16-be"),
        (lambda t: t.encode("utf-16-le"), "utf-16-le"),  # no BOM: detected from the NUL pattern
        (lambda t: t.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16-le-bom", "utf-16-be-bom",
         "utf-16-le-nobom", "utf-16-be-nobom"],
)
@pytest.mark.parametrize("seed", ["seed_000", "seed_002"])
def test_seed_text_identical_in_every_encoding(seed, encode, expected_name, request):
    text = request.getfixturevalue(seed)
    decoded, name = decode_bytes(encode(text))
    assert name == expected_name
    assert decoded == text
    assert len(decoded) == len(text)


def test_big5_traditional_sample(seed_000):
    import opencc

    traditional = opencc.OpenCC("s2t").convert(seed_000)
    data = traditional.encode("big5", errors="replace")
    decoded, name = decode_bytes(data)
    assert name == "big5"
    assert decoded == data.decode("big5")
    assert "學校校本研修工作總結報告" in decoded


@pytest.mark.parametrize(
    "text",
    ["学校", "校本研修", "总结", "本学期我们开展了教研活动。", "公开课16节，研讨课3次。",
     "二〇二一年一月", "欠缺之处：\n1、课堂教学中，部分教师急于赶教学进度。"],
)
def test_gbk_never_mojibake(text):
    """Short GBK text is sometimes valid UTF-8 or Big5 too ("学校" = D1A7 D0A3 = "ѧУ")."""
    decoded, name = decode_bytes(text.encode("gbk"))
    assert decoded == text
    assert name == "gb18030"


@pytest.mark.parametrize("text", ["學校工作總結", "本學期我們開展了教研活動。", "公開課十六節"])
def test_big5_short_texts(text):
    decoded, name = decode_bytes(text.encode("big5"))
    assert decoded == text
    assert name == "big5"


def test_western_utf8_stays_utf8():
    assert decode_bytes("Grüße aus Köln".encode("utf-8")) == ("Grüße aus Köln", "utf-8")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(1).randbytes(4000),  # with NULs
        random.Random(2).randbytes(4000).replace(b"\x00", b"\x01"),  # without NULs
        b"\x00\x01\x02\x03" * 200,
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    ],
    ids=["random", "random-no-nul", "control", "png"],
)
def test_binary_is_refused(data):
    with pytest.raises(ReadError) as info:
        decode_bytes(data)
    assert info.value.stage == "decode"
    assert "binary" in str(info.value) or "encoding" in str(info.value) or "text" in str(info.value)


def test_empty_is_refused():
    with pytest.raises(ReadError, match="empty"):
        decode_bytes(b"")


def test_broken_utf16_bom():
    with pytest.raises(ReadError, match="utf-16-le"):
        decode_bytes(codecs.BOM_UTF16_LE + "学校".encode("utf-16-le") + b"\x00\xd8")


@pytest.mark.parametrize("codec, name", [("utf-8", "utf-8"), ("gbk", "gb18030")])
def test_a_few_damaged_bytes_do_not_lose_the_file(seed_000, codec, name):
    data = bytearray(seed_000.encode(codec))
    data[600] = 0xFF  # 0xFF is invalid in both encodings
    decoded, detected = decode_bytes(bytes(data))
    assert detected == name
    assert 1 <= decoded.count("\ufffd") <= 3
    assert "二、形式多样，讲求实效" in decoded and decoded.endswith("使我校教学质量稳步提高。\n")


@pytest.mark.parametrize(
    "text",
    ["学校工作总结", "Grüße aus Köln", "ab\u3000\u2000 ｘ學", "", "x" * 30_000 + "中", "Ѧу" * 50],
)
def test_plausibility_counts_match_the_regex_definition(text):
    # The vectorised counts must equal the documented definition: non-ASCII, non-space
    # characters among the first _SCORE_SAMPLE, and the share of them that are common.
    from reportmine.ingest import encoding

    candidates = encoding._NON_ASCII.findall(text, 0, encoding._SCORE_SAMPLE)
    common = encoding._common_chars()
    assert encoding._non_ascii_count(text) == len(candidates)
    expected = sum(ch in common for ch in candidates) / len(candidates) if candidates else 1.0
    assert encoding._cjk_score(text) == expected


def test_shipped_common_characters_are_gb2312_level_1_with_traditional_forms_and_punctuation():
    # The definition of resources/common_chars.txt, which the plausibility score reads (the file
    # holds the sorted characters of the set built here on one line).
    import opencc

    from reportmine.ingest import encoding

    level_1 = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                level_1.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(level_1) == 3755
    to_traditional = opencc.OpenCC("s2t")
    traditional = {form for char in level_1 for form in to_traditional.convert(char)}
    punctuation = set("，。、；：？！“”‘’（）《》〈〉【】『』「」…—·～％＋－＝／０１２３４５６７８９　")
    assert encoding._common_chars() == frozenset(level_1 | traditional | punctuation)
