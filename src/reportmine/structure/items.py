"""Shortcomings and plans as items: the enumerated items of problems/plans sections and passages.

An item is one enumerated entry (一是 / 其一 / 第一， / 1、 / 1. / (1) / ① …) with its marker removed,
or one sentence when nothing is enumerated. Passages without a heading are found by the cue
patterns in ``resources/roles.yaml`` ("也存在一些不足：一是……", "今后，我们将……"). Shortcomings get
a `category` from a user-replaceable codebook (``resources/shortcoming_codebook.yaml``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Pattern

import yaml

from reportmine.errors import InputError
from reportmine.models import Item, Section
from reportmine.structure.headings import match_marker, parse_ordinal
from reportmine.structure.roles import assign_roles
from reportmine.text.normalize import fold_for_matching
from reportmine.text.patterns import word_alternation
from reportmine.vocab import load_vocab, parse_yaml

# A sentence, searched within one paragraph (a line joined across a break keeps its "\n").
_SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’」』）)]?|$)")
_LINE = re.compile(r"[^\n]+")
_FINAL = "。！？!?"
_LEAD_PUNCT = " \t\u3000：:，,、.．"
_TRAIL_PUNCT = " \t\u3000；;，,、"
# Inline enumerations at a clause start: 一是……二是……, 一要……, 其一，……, 第一，……, 1.……, 1）……, (1)……,
# ①……, 一方面……另一方面……, 首先……其次……最后……
# The leading lookahead names every marker's first character, so the scanner rejects most
# positions with one class test instead of trying each alternative (keep it in step with them).
_INLINE = re.compile(
    r"(?=[一二三四五六七八九十其第(0-9①-⑳另首再最])"
    r"(?:^|(?<=[。；;：:，,！？!?\s]))(?P<marker>(?P<shi>[一二三四五六七八九十])是"
    r"|(?P<yao>[一二三四五六七八九十])要"
    r"|其(?P<qi>[一二三四五六七八九十])[，,、：:]?|第(?P<di>[一二三四五六七八九十])[，,、：:]"
    r"|\((?P<arp>[0-9]{1,2})\)|(?P<ar>[0-9]{1,2})(?:[、）)]|[.．](?![0-9]))|(?P<cir>[①-⑳])"
    r"|(?P<fm>一|另一)方面[，,]?"
    r"|(?P<seq>首先|其次|再次|再者|最后)[，,：:]?)"
)
_INLINE_KINDS = {
    "shi": "cn", "yao": "cn", "qi": "cn", "di": "cn", "arp": "ar", "ar": "ar", "cir": "circled",
    "fm": "pair", "seq": "sequence",
}
# Ordinals of the word enumerations; 最后 (0) closes a sequence of any length.
_WORD_ORDINALS = {"一": 1, "另一": 2, "首先": 1, "其次": 2, "再次": 3, "再者": 3, "最后": 0}


@dataclass(frozen=True)
class _PassageCues:
    problem_lead: Pattern[str]
    plan_start: Pattern[str]
    # any plan time word or label: a text without one holds no plan start
    plan_word: Pattern[str]
    summary_start: Pattern[str]
    problem_cue: Pattern[str]


def _problem_lead(cues: dict[str, Any]) -> Pattern[str]:
    """One alternative per head word of the `problem_lead` entries, in order, each spelled from its
    literal first character: the engine then skips to a possible start at C speed (a lookahead on
    the first characters still entered the matcher at every position: twice the time). A line
    start is checked after that character (``(?<![^\\n].)``: the head follows a newline or the text
    start), as ``(?:^|(?<=\\n))`` before it would."""
    alternatives = []
    for entry in cues["problem_lead"]:
        line_start = r"(?<![^\n].)" if entry.get("line_start") else ""
        for head in map(str, entry["heads"]):
            alternatives.append(f"{re.escape(head[0])}{line_start}{re.escape(head[1:])}(?:{entry['rest']})")
    return re.compile(f"(?:{'|'.join(alternatives)}){cues['problem_lead_end']}")


def _load_passage_cues() -> _PassageCues:
    cues = load_vocab("roles.yaml")["passages"]
    lead = _problem_lead(cues)
    times, labels = [str(word) for word in cues["plan_times"]], [str(word) for word in cues["plan_labels"]]
    plan_start = cues["plan_start"].replace("{plan_times}", "|".join(map(re.escape, times)))
    plan_start = plan_start.replace("{plan_labels}", "|".join(map(re.escape, labels)))
    return _PassageCues(
        problem_lead=lead, plan_start=re.compile(plan_start), plan_word=re.compile(word_alternation(times + labels)),
        summary_start=re.compile(cues["summary_start"]), problem_cue=re.compile(cues["problem_cue"]),
    )


_CUES = _load_passage_cues()
# start, end and the marker's (start, end): spans are found in the folded text, markers are
# shown as written
_Span = tuple[int, int, "tuple[int, int] | None"]


def load_shortcoming_codebook(path: str | Path | None = None) -> dict[str, Any]:
    """Return the shortcoming codebook ``{"default": code, "codes": {code: [cue, …]}}``.

    Args:
        path: a YAML file of the same shape as ``resources/shortcoming_codebook.yaml``;
            None loads the shipped one.
    """
    if path is None:
        return _shipped_shortcoming_codebook()
    try:
        data = parse_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"cannot read shortcoming codebook {path}: {error}") from error
    return _codebook_from(data, path)


def _codebook_from(data: Any, path: Path | str | None) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("codes"), dict):
        raise InputError(f"shortcoming codebook {path or 'shipped'} needs a 'codes' mapping")
    codes = {str(code): [str(cue) for cue in (cues or [])] for code, cues in data["codes"].items()}
    return {"default": str(data.get("default", "其他")), "codes": codes}


@lru_cache(maxsize=1)
def _shipped_shortcoming_codebook() -> dict[str, Any]:
    # Built once per process: every shortcoming of every report is categorised with it (callers
    # read it, never change it).
    return _codebook_from(load_vocab("shortcoming_codebook.yaml"), None)


def categorize_shortcoming(text: str, codebook: dict[str, Any] | None = None) -> str:
    """Return the codebook code whose cue terms cover most of `text` (longer cues weigh more).

    Example:
        >>> categorize_shortcoming("教师的教育教学反思力度不够。")
        '教学反思'
    """
    book = codebook if codebook is not None else load_shortcoming_codebook()
    return _best_code(fold_for_matching(text), book["default"], _cue_lists(book))


# (code, a pattern finding any of its cues, its cues longest first), in codebook order
_CueLists = tuple[tuple[str, "Pattern[str]", tuple[str, ...]], ...]


def _cue_lists(book: dict[str, Any]) -> _CueLists:
    """The codebook's cue lists ready for `_best_code` (prepared once per report, not per item)."""
    return tuple((code, *_prepared_cues(tuple(cues))) for code, cues in book["codes"].items())


def _best_code(folded: str, default: str, cue_lists: _CueLists) -> str:
    best_code, best_score = default, 0
    for code, any_cue, cues in cue_lists:
        # most items hold no cue of most codes: one search rules a code out instead of a
        # count per cue
        if any_cue.search(folded) is None:
            continue
        score = _covered_chars(folded, cues)
        if score > best_score:
            best_code, best_score = code, score
    return best_code


@lru_cache(maxsize=256)
def _prepared_cues(cues: tuple[str, ...]) -> tuple[Pattern[str], tuple[str, ...]]:
    """A pattern matching any non-empty cue (never matching when there is none) and the cues
    longest first (stable): built once per cue list, not per item."""
    words = [c for c in cues if c]
    any_cue = re.compile(word_alternation(words)) if words else re.compile(r"(?!)")
    return any_cue, tuple(sorted(words, key=len, reverse=True))


def _covered_chars(text: str, longest_first: tuple[str, ...]) -> int:
    # Longest cues first, each character counted once: "条件限制" is not also "条件".
    covered = 0
    for cue in longest_first:
        count = text.count(cue)
        if count:  # most cues are absent: skip the copy replace() would make
            covered += len(cue) * count
            text = text.replace(cue, "\0" * len(cue))
    return covered


def extract_shortcomings(
    text: str, sections: list[Section], *, codebook: dict[str, Any] | None = None
) -> list[Item]:
    """Return the admitted problems of one report, one Item per enumerated item or sentence.

    Sections without roles (all "other") are given roles first with `assign_roles`.

    Example:
        >>> from reportmine.structure.headings import parse_sections
        >>> text = "总结\\n六、存在的问题\\n但也存在一些问题。一是参与积极性不高。二是缺乏专家引领。"
        >>> [i.text for i in extract_shortcomings(text, parse_sections(text))]
        ['参与积极性不高。', '缺乏专家引领。']
    """
    sections = _with_roles(text, sections)
    folded = fold_for_matching(text)  # cues are simplified; offsets are the same
    spans = _section_spans(folded, sections, "problems") + _problem_passages(folded, sections)
    spans = [s for s in spans if not _CUES.plan_start.search(folded[s[0]:s[1]])]
    items = _to_items(text, sections, spans)
    book = codebook if codebook is not None else load_shortcoming_codebook()
    cue_lists = _cue_lists(book)
    for item in items:  # as categorize_shortcoming(item.text, book); the fold works per character
        item.category = _best_code(folded[item.start:item.end], book["default"], cue_lists)
    return items


def extract_plans(text: str, sections: list[Section]) -> list[Item]:
    """Return the announced next steps of one report, one Item per enumerated item or sentence.

    Example:
        >>> from reportmine.structure.headings import parse_sections
        >>> text = "总结\\n一、做法\\n我们开展了读书活动。\\n今后，我们将加强骨干教师培养。"
        >>> [i.text for i in extract_plans(text, parse_sections(text))]
        ['今后，我们将加强骨干教师培养。']
    """
    sections = _with_roles(text, sections)
    folded = fold_for_matching(text)
    spans = _section_spans(folded, sections, "plans") + _plan_passages(folded, sections)
    return _to_items(text, sections, spans)


def _with_roles(text: str, sections: list[Section]) -> list[Section]:
    if sections and all(s.role == "other" for s in sections):
        return assign_roles(sections, text)
    return sections


def _to_items(text: str, sections: list[Section], spans: list[_Span]) -> list[Item]:
    """Sort, de-duplicate (overlapping spans keep the first) and number the spans."""
    items: list[Item] = []
    last_end = -1
    for start, end, marker in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < last_end or end <= start:
            continue
        last_end = end
        items.append(
            Item(
                item_no=len(items) + 1, text=text[start:end], start=start, end=end,
                section_id=_innermost(sections, start),
                marker=text[marker[0]:marker[1]] if marker else None,
            )
        )
    return items


def _innermost(sections: list[Section], offset: int) -> str | None:
    holding = [s for s in sections if s.start <= offset < s.end]
    return max(holding, key=lambda s: s.depth).section_id if holding else None


# --- sections of a role -------------------------------------------------------------------


def _section_spans(text: str, sections: list[Section], role: str) -> list[_Span]:
    """Items of the topmost sections of `role`, leaving out descendants of another role."""
    by_id = {s.section_id: s for s in sections}
    spans: list[_Span] = []
    for section in sections:
        parent = by_id.get(section.parent_id or "")
        if section.role != role or (parent is not None and parent.role == role):
            continue
        inside = [
            s for s in sections if section.start <= s.start and s.end <= section.end and s is not section
        ]
        excluded = [(s.start, s.end) for s in inside if s.role != role]
        subheadings = {
            s.start: s.title_end for s in inside if s.role == role and _is_bare_title(text, s)
        }
        spans += _region_items(text, section.title_end, section.end, excluded, subheadings, role)
    return spans


def _is_bare_title(text: str, section: Section) -> bool:
    # A sub-heading line without body ("（一）教师方面") organises items; it is not one.
    line_end = text.find("\n", section.start)
    line_end = len(text) if line_end < 0 else line_end
    return not text[section.title_end:line_end].strip() and len(section.title) <= 15


def _region_items(
    text: str, start: int, end: int, excluded: list[tuple[int, int]],
    subheadings: dict[int, int], role: str,
) -> list[_Span]:
    paragraphs = [
        (a, b) for a, b in _paragraphs(text, start, end)
        if a not in subheadings and not any(x <= a < y for x, y in excluded)
    ]
    if role == "problems":  # "存在的不足与今后打算": the problems end where the plans begin
        plan_at = [i for i, (a, b) in enumerate(paragraphs) if _CUES.plan_start.search(text[a:b])]
        paragraphs = paragraphs[: plan_at[0]] if plan_at else paragraphs
    # the first paragraph with items opens the list; its items are read once, not again below
    opening = next(((index, found) for index, (a, b) in enumerate(paragraphs)
                    if (found := _paragraph_items(text, a, b))), None)
    if opening is not None:
        return _enumerated_items(text, paragraphs, *opening)
    spans: list[_Span] = []
    for a, b in paragraphs:
        spans += [s for s in _sentences(text, a, b) if _keeps_sentence(text[s[0]:s[1]], role)]
    return spans


def _keeps_sentence(sentence: str, role: str) -> bool:
    if sentence.rstrip().endswith(("：", ":")) or _CUES.summary_start.search(sentence):
        return False
    if role == "problems":
        return bool(_CUES.problem_cue.search(sentence))
    return True


def _enumerated_items(
    text: str, paragraphs: list[tuple[int, int]], first: int, first_items: list[_Span]
) -> list[_Span]:
    """Items of a list opening with paragraph number `first` (its items `first_items`): the
    paragraphs before it are its lead, a plain paragraph after it ends it."""
    spans = list(first_items)
    for a, b in paragraphs[first + 1:]:
        found = _paragraph_items(text, a, b)
        if not found:
            break
        spans += found
    return spans


# --- paragraphs, sentences and markers ---------------------------------------------------------


def _paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of the lines in [start, end), joining a line broken mid-sentence."""
    current: tuple[int, int] | None = None
    for found in _LINE.finditer(text, start, end):
        a, b = _trim(text, found.start(), found.end())
        if a >= b:
            continue
        if current and text[current[1] - 1] not in _FINAL + "：:" and not match_marker(text[a:b]):
            current = (current[0], b)  # "……引领教师成\n长。"
            continue
        if current:
            yield current
        current = (a, b)
    if current:
        yield current


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _LEAD_PUNCT:
        start += 1
    while end > start and text[end - 1] in _TRAIL_PUNCT:
        end -= 1
    return start, end


def _sentences(text: str, start: int, end: int) -> list[_Span]:
    spans: list[_Span] = []
    for found in _SENTENCE.finditer(text, start, end):
        a, b = _trim(text, found.start(), found.end())
        if b - a >= 4:
            spans.append((a, b, None))
    return spans


def _paragraph_items(text: str, start: int, end: int) -> list[_Span]:
    """The enumerated items of one paragraph: an inline list, or the paragraph as one numbered item.

    "①……；②……；③……" is three items although it opens with a marker; "1、……一是……二是……"
    is one item, its inner list belonging to it.
    """
    chain = _inline_chain(text, start, end)
    if len(chain) >= 2 and (chain[0].start() == start or not match_marker(text[start:end])):
        return _inline_items(text, start, end, chain=chain)
    return _line_item(text, start, end)


def _line_item(text: str, start: int, end: int) -> list[_Span]:
    """The paragraph as one item when it opens with a numbering marker ("1、…", "（2）…", "二是…")."""
    found = match_marker(text[start:end])
    if found is not None:
        body_start, marker_end = start + found[1].end(), start + len(found[1].group().rstrip())
    else:
        inline = _INLINE.match(text, start, end)  # one 一是/其二/第三， item per line
        if inline is None or inline.group("fm") or inline.group("seq"):
            return []
        body_start = inline.end()
        marker_end = inline.start("marker") + len(inline.group("marker").rstrip("，,、：:"))
    a, b = _trim(text, body_start, end)
    return [(a, b, (start, marker_end))] if b - a >= 4 else []


def _inline_items(
    text: str, start: int, end: int, *, chain: list[re.Match[str]] | None = None
) -> list[_Span]:
    """Items of an inline enumeration 一是……二是…… inside one paragraph (lead text skipped).

    `chain` is `_inline_chain(text, start, end)` when the caller has it already.
    """
    chain = _inline_chain(text, start, end) if chain is None else chain
    if len(chain) < 2:
        return []
    spans: list[_Span] = []
    for index, found in enumerate(chain):
        if index + 1 < len(chain):
            item_end = chain[index + 1].start()
        else:
            item_end = _last_item_end(text, found.end(), end, spans)
        a, b = _trim(text, found.end(), item_end)
        if b - a >= 2:
            marker_end = found.start("marker") + len(found.group("marker").rstrip("，,、：:"))
            spans.append((a, b, (found.start("marker"), marker_end)))
    return spans


def _inline_chain(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The longest run of inline markers of one kind numbered 1, 2, 3 … when it has two or more
    (one marker is no enumeration, and callers use no shorter run), else []."""
    best: list[re.Match[str]] = []
    markers = list(_INLINE.finditer(text, start, end))  # scanned once, read once per kind
    if len(markers) < 2:  # three paragraphs in four: no kind needs to be read
        return best
    for kind, numerals in _INLINE_KINDS.items():
        chain: list[re.Match[str]] = []
        for found in markers:
            numeral = found.group(kind)
            if not numeral:
                continue
            if numerals in ("pair", "sequence"):
                ordinal = _WORD_ORDINALS[numeral] or (len(chain) + 1 if len(chain) >= 2 else -1)
            else:
                ordinal = parse_ordinal(numeral, numerals)
            if ordinal == len(chain) + 1:
                chain.append(found)
        if len(chain) > len(best):
            best = chain
    return best


def _last_item_end(text: str, start: int, end: int, earlier: list[_Span]) -> int:
    # The last item runs on while it is no longer than the earlier ones and no summary begins.
    longest = max((len(_sentences(text, a, b)) for a, b, _ in earlier), default=1)
    sentences = _sentences(text, start, end)
    if not sentences:
        return end
    item_end = sentences[0][1]
    for a, b, _ in sentences[1:longest]:
        sentence = text[a:b]
        if _CUES.summary_start.search(sentence) or _CUES.plan_start.search(sentence):
            break
        item_end = b
    return item_end


# --- passages without a heading ---------------------------------------------------------------


_PASSAGE_MAX_CHARS = 2000


def _problem_passages(text: str, sections: list[Section]) -> list[_Span]:
    """Items after a lead like "也存在一些不足：" / "存在的问题。其一，……" / "存在以下问题。" + numbered lines."""
    spans: list[_Span] = []
    for lead in _CUES.problem_lead.finditer(text):
        if any(s.start <= lead.start() < s.title_end for s in sections):
            continue  # a heading ("五、存在问题") is read through its section's role
        line_end = text.find("\n", lead.end())
        line_end = len(text) if line_end < 0 else line_end
        # A passage a lead announces is a few sentences; on a file that is one huge line, reading
        # to the end of the line after every lead would make the work quadratic.
        line_end = min(line_end, lead.end() + _PASSAGE_MAX_CHARS)
        rest_start, rest_end = _trim(text, lead.end(), line_end)
        if rest_end - rest_start < 4:
            spans += _following_list(text, line_end, sections)
            continue
        chain = _inline_items(text, rest_start, rest_end)
        if chain and chain[0][0] - rest_start <= 6:  # the list starts right after the lead
            spans += chain
        elif text[lead.end() - 1] in "：:":
            spans += _lead_sentences(text, rest_start, rest_end)
    return spans


def _lead_sentences(text: str, start: int, end: int) -> list[_Span]:
    # "……存在一些不足：部分教师参与不够主动。" — the sentences after the colon, up to a plan.
    spans: list[_Span] = []
    for span in _sentences(text, start, end):
        sentence = text[span[0]:span[1]]
        if _CUES.plan_start.search(sentence) or _CUES.summary_start.search(sentence):
            break
        if _keeps_sentence(sentence, "problems"):
            spans.append(span)
    return spans


def _following_list(text: str, offset: int, sections: list[Section]) -> list[_Span]:
    """Numbered lines that follow `offset`, up to the first line without a marker or a heading."""
    heading_starts = {s.start for s in sections}
    spans: list[_Span] = []
    for a, b in _paragraphs(text, offset, len(text)):
        found = _line_item(text, a, b)
        if not found or a in heading_starts:
            break
        spans += found
    return spans


def _plan_passages(text: str, sections: list[Section]) -> list[_Span]:
    """Closing "今后，我们将……" / "下一步，……" sentences and the lists they announce."""
    tops = [s.start for s in sections if s.depth == 1]
    zone_start = tops[-1] if tops else int(len(text) * 0.7)
    title_ends = {s.start: s.title_end for s in sections}
    spans: list[_Span] = []
    for a, b in _paragraphs(text, zone_start, len(text)):
        a = max(a, title_ends.get(a, a))  # the heading itself ("六、今后的努力方向") is no plan
        if _CUES.plan_word.search(text, a, b) is None:
            continue  # most paragraphs name no plan word: no sentence of them can start a plan
        sentences = _sentences(text, a, b)
        for index, (start, end, _) in enumerate(sentences):
            if _CUES.plan_start.search(text[start:end]):
                spans += _plan_passage(text, sentences[index:], b, sections)
                break
    return spans


def _plan_passage(
    text: str, sentences: list[_Span], paragraph_end: int, sections: list[Section]
) -> list[_Span]:
    """The items of one plan passage that opens with sentences[0]."""
    start, end, _ = sentences[0]
    chain = _inline_items(text, start, paragraph_end)
    if chain:
        return chain  # "下学期，我们将着重做好三方面的工作：一是……二是……"
    if text[end - 1] in "：:":
        return _following_list(text, paragraph_end, sections)
    # One item per sentence (annotation manual): the passage runs to the end of its paragraph
    # unless a closing summary begins ("我们相信，……").
    spans: list[_Span] = []
    for span in sentences:
        if _CUES.summary_start.search(text[span[0]:span[1]]):
            break
        spans.append(span)
    return spans
