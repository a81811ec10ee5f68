"""Compiled cue tables for metric extraction, built once from `resources/metrics.yaml`.

Each word list becomes one alternation (longest word first, so "教研组" wins over "教研" at the
same position) plus a dict from the matched word to what it means:

    >>> table = metric_cues()
    >>> table.level_of["市"], table.period_of["每两周"]
    ('city', '2weeks')
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportmine.text.patterns import word_alternation
from reportmine.vocab import load_vocab

__all__ = ["Cue", "Hit", "MetricCues", "metric_cues", "alternation", "BLOCKER", "WEAK", "GRADE", "TITLE"]

# Kinds of trigger words besides the metric categories.
BLOCKER = "blocker"  # contains a trigger word but is none ("教研组")
WEAK = "weak"  # research only next to a teachers' group or a frequency ("活动")
GRADE = "grade"  # an award grade word ("二等奖", "称号", "获奖")
TITLE = "title"  # an honour title ("教坛新秀") or a verb naming one ("被评为")


@dataclass(frozen=True)
class Cue:
    """What a trigger means: its kind (a category, grade, title …) and one attribute."""

    kind: str  # open_lesson | research_activity | publication | grade | title | weak | blocker
    value: str | None = None  # grade of a grade word, usual recipient of a title
    names_honour: bool = False  # a title verb ("被评为"): what follows is the honour
    compact: bool = False  # a compact frequency ("隔周一研"): period and count in the word


# A trigger match with its cue, looked up once per report and handed to every extractor of its
# clause (a plain tuple: built for every trigger of every report).
Hit = tuple[re.Match[str], Cue]


@dataclass(frozen=True)
class MetricCues:
    """All cue patterns and their meanings (see metrics.yaml for the words)."""

    triggers: re.Pattern[str]
    trigger_of: dict[str, Cue]
    pattern_cues: dict[str, Cue]  # named group of a compact frequency or split-word pattern → its cue
    category_units: dict[str, frozenset[str]]
    award_units: frozenset[str]
    title_count_units: frozenset[str]
    levels: re.Pattern[str]
    level_of: dict[str, str | None]
    people_after_level: re.Pattern[str]
    scope_levels: frozenset[str]
    award_people_after_level: re.Pattern[str]
    organizers: re.Pattern[str]
    organizer_of: dict[str, str | None]
    organizing_verbs: re.Pattern[str]
    teaching_verbs: re.Pattern[str]
    body_gap: re.Pattern[str]
    listed_subject: re.Pattern[str]
    rule_verbs: re.Pattern[str]
    object_markers: frozenset[str]
    subject_people: re.Pattern[str]
    sentence_ends: frozenset[str]
    destination_verbs: re.Pattern[str]
    event_units: frozenset[str]
    not_count_followers: re.Pattern[str]
    previous_marker: str
    previous_units: frozenset[str]
    periods: re.Pattern[str]
    period_of: dict[str, str]  # also the periods of compact frequencies ("一周一研")
    weekday_run: re.Pattern[str]
    compact_frequency: re.Pattern[str]
    schedule: re.Pattern[str]
    recipients: re.Pattern[str]
    recipient_of: dict[str, str | None]
    items: re.Pattern[str]
    item_recipient_of: dict[str, str]
    win_verbs: re.Pattern[str]
    split_verbs: re.Pattern[str]
    win_adverbs: re.Pattern[str]
    needs_win_verb: frozenset[str]
    making_verbs: re.Pattern[str]
    quoted_name: re.Pattern[str]
    quoted_honours: re.Pattern[str]
    future: re.Pattern[str]
    staff: re.Pattern[str]
    not_awards: re.Pattern[str]
    negative: re.Pattern[str]
    per_unit: re.Pattern[str]
    task_quota: re.Pattern[str]
    comparison: re.Pattern[str]
    student_activity: re.Pattern[str]
    not_count_prefixes: frozenset[str]
    article_counts: frozenset[str]
    count_object: re.Pattern[str]
    distribution: re.Pattern[str]
    respectively: re.Pattern[str]
    item_separators: tuple[str, ...]
    list_openers: re.Pattern[str]
    breakdown: re.Pattern[str]
    total: re.Pattern[str]
    approx_prefixes: re.Pattern[str]
    approx_qualifier_of: dict[str, str]
    single_lesson_verbs: re.Pattern[str]
    lesson_giver_units: frozenset[str]
    lesson_giver_verbs: re.Pattern[str]
    organizer_award_verbs: re.Pattern[str]

    def cue_of(self, match: re.Match[str]) -> Cue:
        """Return the cue of a match of `triggers` (a listed word or a split-word pattern)."""
        if match.lastgroup is not None:
            return self.pattern_cues[match.lastgroup]
        return self.trigger_of[match.group()]

    def hits(self, folded: str, start: int = 0, end: int | None = None) -> list[Hit]:
        """Return the trigger matches in `folded[start:end]` with their cues, blockers included."""
        # `cue_of` spelled out: one method call per trigger of every report was a tenth of the scan
        trigger_of, pattern_cues = self.trigger_of, self.pattern_cues
        return [(match, trigger_of[match.group()] if match.lastgroup is None else pattern_cues[match.lastgroup])
                for match in self.triggers.finditer(folded, start, len(folded) if end is None else end)]


def alternation(words: Any) -> str:
    """Return a regex that matches any of `words`, the longest one where several start at the
    same place (so "教研组" wins over "教研"); see `text.patterns.word_alternation`."""
    return word_alternation(words)


def _compile(words: Any) -> re.Pattern[str]:
    return re.compile(alternation(words))


@lru_cache(maxsize=1)
def metric_cues() -> MetricCues:
    """Return the compiled cue tables (cached: the YAML is read and compiled once)."""
    vocab = load_vocab("metrics.yaml")
    trigger_of = _trigger_table(vocab)
    triggers, pattern_cues = _trigger_pattern(vocab, trigger_of)
    level_of: dict[str, str | None] = dict(vocab["levels"])
    level_of.update({word: None for word in vocab["not_levels"]})
    awards, quantities = vocab["awards"], vocab["quantities"]
    approx_prefixes = set(quantities["approx_prefixes"]) - set(quantities["magnitude_only_prefixes"])
    return MetricCues(
        triggers=triggers,
        trigger_of=trigger_of,
        pattern_cues=pattern_cues,
        category_units={name: frozenset(spec["units"]) for name, spec in vocab["categories"].items()},
        award_units=frozenset(awards["units"]),
        title_count_units=frozenset(awards["title_count_units"]),
        levels=_compile(level_of),
        level_of=level_of,
        people_after_level=re.compile(
            rf"(?!{alternation(vocab['not_people'])})(?:{alternation(vocab['people_after_level'])})"),
        scope_levels=frozenset(vocab["scope_levels"]),
        award_people_after_level=re.compile(  # "片区教师获一等奖", not "市教师培训工作先进单位"
            rf"(?:{alternation(vocab['award_people_after_level'])})[^,;:。]{{0,4}}?"
            rf"(?:{alternation(awards['win_verbs'] + awards['title_verbs'])})"),
        organizers=_compile(vocab["organizers"]),
        organizer_of=dict(vocab["organizers"]),
        organizing_verbs=_compile(vocab["organizing_verbs"]),
        teaching_verbs=_teaching_verbs(vocab),
        listed_subject=re.compile(rf"(?:[^,;:。、]{{1,4}}(?:{alternation(vocab['item_separators'])}))+[^,;:。、]{{0,4}}"),
        body_gap=re.compile(rf"(?:、[^,;:。、]{{1,3}}?)*?(?:{alternation(vocab['body_gap_words'])})*"
                            rf"(?=(?:{alternation(trigger_of)}))"),
        rule_verbs=_compile(vocab["rule_verbs"]),
        object_markers=frozenset(vocab["object_markers"]),
        subject_people=_compile(vocab["subject_people"]),
        sentence_ends=frozenset(vocab["sentence_ends"]),
        destination_verbs=_compile(vocab["destination_verbs"]),
        event_units=frozenset(vocab["event_units"]),
        not_count_followers=_compile(vocab["not_count_followers"]),
        previous_marker=quantities["previous_marker"],
        previous_units=frozenset(quantities["previous_units"]),
        periods=_compile(vocab["periods"]),
        period_of=dict(vocab["periods"]) | dict(vocab["compact_frequency"]["periods"]),
        weekday_run=_weekday_run(vocab),
        compact_frequency=re.compile(_compact_frequency(vocab)),
        schedule=_compile(vocab["schedule_words"]),
        recipients=_compile(vocab["recipients"]),
        recipient_of=dict(vocab["recipients"]),
        items=_compile(vocab["items"]),
        item_recipient_of=dict(vocab["items"]),
        win_verbs=_compile(awards["win_verbs"] + awards["title_verbs"]),
        split_verbs=_compile(awards["split_verbs"]),
        win_adverbs=_compile(awards["win_adverbs"]),
        needs_win_verb=frozenset(awards["needs_win_verb"]),
        making_verbs=_compile(vocab["making_verbs"]),
        quoted_name=re.compile(_quoted_name(vocab)),
        quoted_honours=_quoted_honours(vocab),
        future=_compile(awards["future_words"]),
        staff=_compile(awards["staff_words"]),
        not_awards=_compile(awards["not_awards"]),
        negative=_compile(vocab["negative_contexts"]),
        per_unit=_compile(vocab["per_unit_words"]),
        task_quota=_task_quota(vocab),
        comparison=_comparison(vocab),
        student_activity=_compile(vocab["student_activity_words"]),
        not_count_prefixes=frozenset(quantities["not_count_prefixes"]),
        article_counts=frozenset(vocab["article_counts"]),
        count_object=_compile(vocab["count_objects"]),
        distribution=_distribution(vocab),
        respectively=_compile(vocab["respective_markers"]),
        item_separators=tuple(vocab["item_separators"]),
        list_openers=_compile(vocab["list_openers"]),
        breakdown=_compile(vocab["breakdown_markers"]),
        total=_compile(vocab["total_markers"]),
        approx_prefixes=_compile(approx_prefixes),
        approx_qualifier_of=dict(quantities["approx_prefixes"]),
        single_lesson_verbs=_compile(vocab["single_lesson_verbs"]),
        lesson_giver_units=frozenset(vocab["lesson_giver_units"]),
        lesson_giver_verbs=_compile(vocab["lesson_giver_verbs"]),
        organizer_award_verbs=_compile(awards["organizer_award_verbs"]),
    )


def _distribution(vocab: dict[str, Any]) -> re.Pattern[str]:
    """各 right before a count, maybe with a verb and its object: "各一次", "各上了一节",
    "各开设市级公开课一节", "各自完成了五六次" (searched with the count's start as end position)."""
    markers, verbs = vocab["distribution_markers"], alternation(vocab["distribution_verbs"])
    heads = re.escape("".join(sorted({marker[0] for marker in markers})))
    return re.compile(rf"(?:{alternation(markers)})(?:(?:{verbs})(?:[^,;:。{heads}]{{0,12}}?)?)?$")


def _quoted_name(vocab: dict[str, Any]) -> str:
    """A name in quotation marks, quotes included ("“省级绿色学校”")."""
    return "|".join(f"{re.escape(pair[0])}[^{re.escape(pair)}\\n]{{1,30}}{re.escape(pair[1])}"
                    for pair in vocab["quote_pairs"])


def _quoted_honours(vocab: dict[str, Any]) -> re.Pattern[str]:
    """A win verb, maybe an adverb, two or more quoted names (group "names"), maybe a title word:
    "获得“A”“B”等称号"."""
    awards = vocab["awards"]
    verbs = alternation(awards["win_verbs"] + awards["title_verbs"])
    joiners = alternation(vocab["quoted_list_joiners"])
    name = _quoted_name(vocab)
    titles = alternation(word for word, grade in awards["grades"].items() if grade == "title")
    return re.compile(rf"(?:{verbs})(?:{alternation(awards['win_adverbs'])})?"
                      rf"(?P<names>(?:{name})(?:(?:{joiners})?(?:{name}))+)(?:{joiners})?(?:{titles})?")


def _teaching_verbs(vocab: dict[str, Any]) -> re.Pattern[str]:
    """Teaching verbs, but not inside the words of `not_teaching` ("线上", "晚上")."""
    guards = "".join(f"(?<!{re.escape(word[:-1])})" for word in vocab["not_teaching"])
    return re.compile(rf"{guards}(?:{alternation(vocab['teaching_verbs'])})")


def _task_quota(vocab: dict[str, Any]) -> re.Pattern[str]:
    """"写两篇", "设计一份": a quota verb right before a small count of written work."""
    spec = vocab["task_quota"]
    return re.compile(rf"(?:{alternation(spec['verbs'])})(?:[一两二三四五六七八九十]|[0-9]{{1,2}})"
                      rf"(?:{alternation(spec['units'])})")


def _comparison(vocab: dict[str, Any]) -> re.Pattern[str]:
    """"比…还多": 比 and, later in the clause, 还 / 更 (searched within one clause)."""
    spec = vocab["comparison"]
    marker = spec["marker"]
    after = alternation(word[len(marker):] for word in spec["not_words"] if word.startswith(marker))
    before = [word[:-len(marker)] for word in spec["not_words"] if word.endswith(marker)]
    lookbehind = "".join(f"(?<!{re.escape(word)})" for word in before)
    return re.compile(rf"{lookbehind}{re.escape(marker)}(?!{after}).+?(?:{alternation(spec['intensifiers'])})")


def _weekday_run(vocab: dict[str, Any]) -> re.Pattern[str]:
    """"三、周五" or "二上午、周三下午" after 每周: the days (or half-days) named, confirmed by what
    follows (上午, 下午, 为 …)."""
    day = rf"(?:周|星期)?(?:{alternation(vocab['weekdays'])})"
    slot = rf"{day}(?:{alternation(vocab['day_times'])})?"
    return re.compile(rf"的?{slot}(?:[、,和及与]{slot})*(?={alternation(vocab['weekday_followers'])})")


def _compact_frequency(vocab: dict[str, Any]) -> str:
    """"隔周一研": groups period, times; the activity character must end the word."""
    spec = vocab["compact_frequency"]
    periods = alternation([*vocab["periods"], *spec["periods"]])
    return (rf"(?P<period>{periods})(?P<times>{alternation(spec['counts'])})"
            rf"(?:{alternation(spec['activities'])})(?!{alternation(spec['not_followed_by'])})")


def _trigger_table(vocab: dict[str, Any]) -> dict[str, Cue]:
    """Map every trigger word to its Cue; blockers override, other kinds never do."""
    table: dict[str, Cue] = {}
    awards = vocab["awards"]
    for word, grade in awards["grades"].items():
        table[word] = Cue(GRADE, grade)
    for word, recipient in awards["titles"].items():
        table.setdefault(word, Cue(TITLE, recipient or "unknown"))
    for word in awards["title_verbs"]:
        table.setdefault(word, Cue(TITLE, None, names_honour=True))
    for name, spec in vocab["categories"].items():
        for word in spec["terms"]:
            table.setdefault(word, Cue(name))
    for word in vocab["weak_research_terms"]:
        table.setdefault(word, Cue(WEAK))
    for word in vocab["blockers"]:
        table[word] = Cue(BLOCKER)
    return table


def _trigger_pattern(vocab: dict[str, Any], trigger_of: dict[str, Cue]) -> tuple[re.Pattern[str], dict[str, Cue]]:
    """The trigger pattern (compact frequencies, split-word patterns, then the words) and the cue
    of each of its named groups (a match outside every group is a word of `trigger_of`).

    The alternatives are grouped under their literal first character: "一(?:(?P<g0>周…一研)|等奖)
    |听(?:(?P<g3>…课)|(?P<g4>…)|评课|课)|…". A pattern that is a choice of literal characters
    lets the regex engine skip to the next possible start at C speed (a lookahead on the first
    characters still entered the matcher at every position: a third of the scan). At one position
    only the alternatives spelled with its character can match, and they keep their order, so the
    matches are exactly those of the plain "compact|patterns|words" alternation.
    """
    by_first: dict[str, list[str]] = {}
    cues: dict[str, Cue] = {}

    def add(first: str, rest: str, cue: Cue | None = None) -> None:
        if cue is not None:  # a named group tells the cue of the match (see MetricCues.cue_of)
            group = f"g{len(cues)}"
            cues[group] = cue
            rest = f"(?P<{group}>{rest})"
        by_first.setdefault(first, []).append(rest)

    compact = vocab["compact_frequency"]
    periods = [*vocab["periods"], *compact["periods"]]
    tail = (rf"(?:{alternation(compact['counts'])})(?:{alternation(compact['activities'])})"
            rf"(?!{alternation(compact['not_followed_by'])})")
    compact_cue = Cue("research_activity", compact=True)
    for first in sorted({word[0] for word in periods}):
        add(first, f"(?:{_rests(word for word in periods if word[0] == first)}){tail}", compact_cue)
    for name, spec in vocab["categories"].items():
        for pattern in spec.get("patterns") or []:
            add(*_split_first(pattern), Cue(name))
    for first in sorted({word[0] for word in trigger_of}):
        add(first, _rests(word for word in trigger_of if word[0] == first))
    source = "|".join(re.escape(first) + ("(?:" + "|".join(rests) + ")" if rests != [""] else "")
                      for first, rests in sorted(by_first.items()))
    return re.compile(source), cues


def _rests(words: Iterable[str]) -> str:
    """The longest-first alternation of what follows the common first character of `words`
    ("" when a word is that character alone and nothing longer starts with it)."""
    rests = {word[1:] for word in words}
    longer = rests - {""}
    if not longer:
        return ""
    return f"(?:{alternation(longer)})?" if "" in rests else alternation(longer)


def _split_first(pattern: str) -> tuple[str, str]:
    """Split a split-word pattern ("听[^…]{1,8}?课") into its literal first character and the rest;
    the pattern must start with a plain character and have no "|" outside brackets."""
    first, rest = pattern[:1], pattern[1:]
    if not first or re.escape(first) != first or rest[:1] in ("*", "+", "?", "{") or _top_level_bar(pattern):
        raise ValueError(f"a trigger pattern must start with a literal character and have no top-level |: {pattern!r}")
    return first, rest


def _top_level_bar(pattern: str) -> bool:
    """True when `pattern` has a "|" outside every group and character class."""
    depth, in_class, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False
