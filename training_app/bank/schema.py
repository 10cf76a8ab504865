"""What the question bank holds: laws, questions, topics and blueprints (plain, frozen data)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..qtypes import JUDGE_FALSE as JUDGE_FALSE
from ..qtypes import JUDGE_TRUE as JUDGE_TRUE
from ..qtypes import LETTERS as LETTERS
from ..qtypes import option_keys, shown_options
from ..vocab import QUESTION_TYPE_LABELS
from ..vocab import QUESTION_TYPES as QUESTION_TYPES

TYPE_LABELS = QUESTION_TYPE_LABELS  # the name the bank tools use
AUDIENCES = ("leaders", "officers", "all")
CATEGORIES = ("宪法", "法律", "行政法规", "党内法规", "地方性法规", "地方政府规章", "规范性文件")
CASE_TAG = "案例分析"
# Whether a must-know document is in force (must_know.yaml `validity:`). Exams draw only on documents in force
# unless a blueprint section names the document in its `laws:`; practice offers every question, with a note.
VALIDITY = ("in_force", "period_ended", "unverified")
IN_FORCE = "in_force"
VALIDITY_LABELS = {"in_force": "现行有效", "period_ended": "实施期限已届满", "unverified": "现行效力未经核实"}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(text: str) -> int:
    """一百三十三 -> 133 (the numerals used in article headings)."""
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            raise ValueError(text)
    return total + current


def int_to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    parts: list[str] = []
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, unit_value)
        if q:
            parts.append(("" if (unit == "十" and q == 1 and not parts) else digits[q]) + unit)
        elif parts and n:
            if not parts[-1].endswith("零"):
                parts.append("零")
    if n:
        parts.append(digits[n])
    return "".join(parts)


ArticleKey = int | str


def parse_article(value: object) -> ArticleKey:
    """33, "33", "第三十三条", "20-1", "第二十条之一" -> 33 / "20-1"."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(value)
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if m := re.fullmatch(r"(\d+)-(\d+)", text):
        return f"{int(m[1])}-{int(m[2])}"
    if m := re.fullmatch(r"第([零〇一二两三四五六七八九十百千]+)条(?:之([零〇一二两三四五六七八九十]+))?", text):
        main = cn_to_int(m[1])
        return f"{main}-{cn_to_int(m[2])}" if m[2] else main
    raise ValueError(value)


def article_heading(key: ArticleKey) -> str:
    if isinstance(key, int):
        return f"第{int_to_cn(key)}条"
    main, sub = str(key).split("-")
    return f"第{int_to_cn(int(main))}条之{int_to_cn(int(sub))}"


def article_sort_key(key: ArticleKey | None) -> tuple[int, int | str]:
    if key is None:
        return (10**9, 0)
    if isinstance(key, int):
        return (key, 0)
    main, sub = str(key).split("-")
    return (int(main), int(sub))


@dataclass(frozen=True, slots=True)
class LawEntry:
    slug: str
    title: str
    short_title: str
    category: str
    audience: str
    version: str
    id_prefix: str
    cited_by: str = "article"  # article | section
    note: str = ""
    validity: str = IN_FORCE  # in_force | period_ended | unverified
    validity_checked: str = ""  # the date the validity was last checked (YYYY-MM-DD)
    validity_note: str = ""  # why (the source of the finding)
    articles: int | None = None  # number of articles of the official text (core texts: for article coverage)

    @property
    def display(self) -> str:
        return f"《{self.short_title}》"

    @property
    def in_force(self) -> bool:
        return self.validity == IN_FORCE

    @property
    def validity_notice(self) -> str:
        """The note a practice question on this document shows ("" when the document is in force)."""
        if self.in_force:
            return ""
        return f"本题依据的{self.display}{VALIDITY_LABELS.get(self.validity, self.validity)}，仅供学习参考"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    law_slug: str
    law_title: str
    short_title: str
    quote: str
    article: ArticleKey | None = None
    section: str | None = None

    @property
    def where(self) -> str:
        if self.article is not None:
            return article_heading(self.article)
        return f"{self.section}" if self.section else ""

    @property
    def label(self) -> str:
        return f"《{self.short_title}》{self.where}"

    @property
    def locator(self) -> str:
        """A stable key for grouping quotes by article (study page)."""
        return f"a:{self.article}" if self.article is not None else f"s:{self.section}"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: str
    stem: str
    options: tuple[str, ...]
    answer: str  # canonical: "B", "AC", "T", "F"
    explanation: str
    sources: tuple[Source, ...]
    difficulty: int
    tags: tuple[str, ...]
    topics: tuple[str, ...]
    law: str  # slug of the first source's law
    checked_against: tuple[tuple[str, str], ...]  # (slug, version) per cited law
    content_hash: str
    file: str
    line: int
    needs_review: bool = False  # a cited law moved to a new version since the question was checked

    @property
    def is_case(self) -> bool:
        return CASE_TAG in self.tags

    @property
    def display_options(self) -> tuple[str, ...]:
        return shown_options(self.type, self.options)

    def option_keys(self) -> tuple[str, ...]:
        """Canonical keys of the options, in bank order."""
        return option_keys(self.type, len(self.options))


@dataclass(frozen=True, slots=True)
class BlueprintSection:
    type: str
    count: int
    laws: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()  # law audiences allowed, e.g. ("leaders", "all")
    difficulty: tuple[tuple[int, int], ...] = ()  # ((1, 10), (2, 20), (3, 10)): exact counts per difficulty
    label: str = ""


@dataclass(frozen=True, slots=True)
class Blueprint:
    id: str
    title: str
    description: str
    audience: str  # officers | leaders | new_officers | all
    time_limit_minutes: int
    pass_mark: float
    points: tuple[tuple[str, float], ...]
    sections: tuple[BlueprintSection, ...]
    partial_credit: bool = False
    practice: bool = False
    file: str = ""

    def points_for(self, qtype: str) -> float:
        """Points of a question type ("any" sections need equal points for every type: the loader checks it)."""
        return dict(self.points).get("single" if qtype == "any" else qtype, 1.0)

    @property
    def question_count(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def total_points(self) -> float:
        return sum(s.count * self.points_for(s.type) for s in self.sections)


@dataclass(frozen=True, slots=True)
class BankIssue:
    file: str
    line: int
    qid: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.qid or '-'}: {self.message}"


@dataclass
class Bank:
    laws: dict[str, LawEntry]
    topics: dict[str, Topic]
    questions: dict[str, Question]
    blueprints: dict[str, Blueprint]
    fingerprint: str = ""
    by_law: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_topic: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per law file: {law slug: {article: reason}}, the articles that state no testable rule (article coverage).
    left_out: dict[str, dict[ArticleKey, str]] = field(default_factory=dict)
    # Section pools computed once per bank object (engine.paper.section_pool): the bank never changes in place.
    pool_cache: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def active_questions(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.needs_review]

    def law_of(self, question: Question) -> LawEntry:
        return self.laws[question.law]

    def not_in_force(self, question: Question) -> tuple[LawEntry, ...]:
        """The documents a question cites that are not in force (period ended or unverified), in citation order."""
        slugs = dict.fromkeys(s.law_slug for s in question.sources)
        return tuple(self.laws[s] for s in slugs if not self.laws[s].in_force)

    def validity_notes(self, question: Question) -> tuple[str, ...]:
        """The practice notes for a question citing documents not in force (empty when all are in force)."""
        return tuple(law.validity_notice for law in self.not_in_force(question))
