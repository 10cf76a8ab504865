"""Load and validate the question bank: every problem at once, each with file, line and question id.

The bank is a folder::

    must_know.yaml            the must-know list (laws) and the practice topics
    laws/<slug>.yaml          questions on one law:    {law: <slug>, checked_against: <version>, questions: [...]}
    practice/<name>.yaml      questions on one topic:  {topic: <name>, checked_against: {<slug>: <version>}, questions: [...]}
    blueprints/<id>.yaml      exam blueprints

A broken bank raises :class:`BankError` with the full list of :class:`BankIssue`; nothing half-loaded
is ever returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict, cast, overload

import yaml

from .schema import (
    AUDIENCES,
    CATEGORIES,
    JUDGE_FALSE,
    JUDGE_TRUE,
    LETTERS,
    QUESTION_TYPES,
    VALIDITY,
    ArticleKey,
    Bank,
    BankIssue,
    Blueprint,
    BlueprintSection,
    LawEntry,
    Question,
    Source,
    Topic,
    article_heading,
    article_sort_key,
    parse_article,
)

log = logging.getLogger(__name__)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LINE_KEY = "__line__"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
BANNED_OPTIONS = ("以上都对", "以上都不对", "以上均正确", "以上均不正确", "以上皆是", "以上皆非")

# The raw YAML. PyYAML has no type stubs here, so a parse is typed `object` where it leaves the parser
# (parse_yaml) and every value is narrowed with isinstance before use. A mapping's keys are strings, or
# integers (`difficulty: {1: n}`, `left_out: {12: ...}`); each mapping also carries its `__line__`.
RawMap = Mapping[object, object]


class _FileContext(TypedDict, total=False):
    """What a question file's header gives its questions."""

    topic: str
    checked_against: dict[str, str]


class BankError(Exception):
    def __init__(self, issues: list[BankIssue]):
        self.issues = issues
        super().__init__(f"{len(issues)} problem(s) in the question bank:\n" + "\n".join(str(i) for i in issues))

    def report(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class _LineLoader(_Loader):  # type: ignore[misc, valid-type]
    """A safe YAML loader that records each mapping's 1-based line under ``__line__``."""


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
    # PyYAML's loader and node are untyped (no stubs): this is the raw-parse boundary.
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=deep)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def parse_yaml(path: Path, root: Path, issues: list[BankIssue]) -> object:
    """Parse one file with line numbers; a syntax or encoding error becomes an issue (and None)."""
    name = _rel(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        issues.append(BankIssue(name, 1, "", f"文件不是 UTF-8 编码（{exc.reason}）"))
        return None
    try:
        parsed: object = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
        return parsed
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed bracket's line); the problem
        # mark is where the parser gave up (often the end of the file).
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context:
            problem = f"{context}: {problem}"
        issues.append(BankIssue(name, line, _qid_near(text, line), f"YAML 格式错误：{problem}"))
        return None


def _qid_near(text: str, line: int) -> str:
    """The id of the question nearest above a broken line, to name it in the report."""
    lines = text.splitlines()[: max(line, 1)]
    for raw in reversed(lines):
        m = re.match(r"\s*-?\s*id:\s*['\"]?([A-Za-z0-9-]+)", raw)
        if m:
            return m[1]
    return ""


def strip_lines(value: object) -> object:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def _as_map(value: object) -> RawMap | None:
    """A raw YAML mapping, or None when the value is something else."""
    return value if isinstance(value, dict) else None


def _line(value: RawMap, default: int = 1) -> int:
    """The 1-based line the loader recorded for a mapping."""
    line = value.get(LINE_KEY, default)
    return line if isinstance(line, int) else default


def _level(value: object) -> int | None:
    """A difficulty level 1, 2 or 3 (as `in (1, 2, 3)` compares it: 1.0 and true count as 1); None otherwise."""
    return next((n for n in (1, 2, 3) if value == n), None)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _str_list(value: object) -> list[str] | None:
    """A list of strings (None or missing is an empty list); None when the value has another shape."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return [x.strip() for x in value]
    return None


@overload
def _number(value: object, *, integer: Literal[True]) -> int | None: ...
@overload
def _number(value: object, *, integer: Literal[False] = False) -> float | None: ...


def _number(value: object, *, integer: bool = False) -> float | int | None:
    """A finite number (not a bool); None otherwise."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if integer and (not float(value).is_integer()):
        return None
    return int(value) if integer else float(value)


# --- must-know list -----------------------------------------------------------------------------


def load_must_know(root: Path, issues: list[BankIssue]) -> tuple[dict[str, LawEntry], dict[str, Topic]]:
    path = root / "must_know.yaml"
    name = _rel(path, root)
    laws: dict[str, LawEntry] = {}
    topics: dict[str, Topic] = {}
    if not path.is_file():
        issues.append(BankIssue(name, 1, "", "缺少应知应会清单 must_know.yaml"))
        return laws, topics
    parsed = parse_yaml(path, root, issues)
    if parsed is None:
        return laws, topics
    data = _as_map(parsed)
    raw_laws = data.get("laws") if data is not None else None
    if data is None or not isinstance(raw_laws, list):
        issues.append(BankIssue(name, 1, "", "must_know.yaml 应包含 laws: 列表"))
        return laws, topics
    prefixes: dict[str, str] = {}
    for raw_entry in raw_laws:
        entry = _as_map(raw_entry)
        if entry is None:
            issues.append(BankIssue(name, 1, "", "清单条目应为映射"))
            continue
        line = _line(entry)
        slug = _text(entry.get("slug"))
        missing = [
            k
            for k in ("slug", "title", "short_title", "category", "audience", "version", "id_prefix")
            if not _text(entry.get(k))
        ]
        if missing:
            issues.append(BankIssue(name, line, slug, f"清单条目缺少字段：{', '.join(missing)}"))
            continue
        category, audience = str(entry["category"]), str(entry["audience"])  # strings: `missing` checked that
        if category not in CATEGORIES:
            issues.append(BankIssue(name, line, slug, f"未知类别 {category!r}（应为 {'/'.join(CATEGORIES)}）"))
        if audience not in AUDIENCES:
            issues.append(BankIssue(name, line, slug, f"未知适用对象 {audience!r}（应为 leaders/officers/all）"))
        if slug in laws:
            issues.append(BankIssue(name, line, slug, "清单中重复的 slug"))
            continue
        prefix = _text(entry["id_prefix"])
        if prefix in prefixes:
            issues.append(BankIssue(name, line, slug, f"id_prefix {prefix!r} 已被 {prefixes[prefix]} 使用"))
        prefixes[prefix] = slug
        validity, checked, validity_note, articles = _validity(entry, name, line, slug, issues)
        laws[slug] = LawEntry(
            slug=slug,
            title=_text(entry["title"]),
            short_title=_text(entry["short_title"]),
            category=category,
            audience=audience,
            version=str(entry["version"]).strip(),
            id_prefix=prefix,
            cited_by=_text(entry.get("cited_by")) or "article",
            note=_text(entry.get("note")),
            validity=validity,
            validity_checked=checked,
            validity_note=validity_note,
            articles=articles,
        )
    # `topics:` is iterated as written (not checked to be a list), as it always was.
    for raw_topic in cast(Iterable[object], data.get("topics") or []):
        topic = _as_map(raw_topic)
        if topic is None or not _text(topic.get("name")) or not _text(topic.get("key")):
            issues.append(BankIssue(name, _line(topic) if topic is not None else 1, "", "专题条目应有 name 和 key"))
            continue
        topics[_text(topic["name"])] = Topic(_text(topic["name"]), _text(topic["key"]), _text(topic.get("description")))
    return laws, topics


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _validity(
    entry: RawMap, name: str, line: int, slug: str, issues: list[BankIssue]
) -> tuple[str, str, str, int | None]:
    """(validity, validity_checked, validity_note, articles) of a must-know entry; problems become issues."""
    import datetime

    raw_validity = entry.get("validity")
    validity = raw_validity if isinstance(raw_validity, str) and raw_validity in VALIDITY else None
    if validity is None:
        what = "缺少现行效力 validity" if raw_validity is None else f"未知的现行效力 {raw_validity!r}"
        issues.append(BankIssue(name, line, slug, f"{what}（应为 {' / '.join(VALIDITY)}）"))
    raw_checked = entry.get("validity_checked")
    checked = raw_checked.isoformat() if isinstance(raw_checked, datetime.date) else _text(raw_checked)
    if not _DATE_RE.match(checked):
        issues.append(BankIssue(name, line, slug, "validity_checked 应为核实现行效力的日期，如 2026-12-06"))
    note = _text(entry.get("validity_note"))
    if validity not in (None, "in_force") and not note:
        issues.append(BankIssue(name, line, slug, f"现行效力为 {validity} 时须在 validity_note 中写明原因"))
    articles: int | None = None
    if entry.get("articles") is not None:
        n = _number(entry["articles"], integer=True)
        if n is None or n <= 0:
            issues.append(BankIssue(name, line, slug, "articles（条文数）应为正整数"))
        else:
            articles = int(n)
    return validity or "unverified", checked, note, articles


def law_index(laws: dict[str, LawEntry]) -> dict[str, str]:
    """Every name a source may use for a law -> its slug."""
    index: dict[str, str] = {}
    for law in laws.values():
        for name in (law.slug, law.title, law.short_title, law.title.removeprefix("中华人民共和国")):
            index[name] = law.slug
    return index


# --- questions ----------------------------------------------------------------------------------


def _canonical_answer(qtype: str, raw: object, n_options: int) -> tuple[str | None, str | None]:
    """(canonical answer, problem)."""
    letters = LETTERS[:n_options]
    if qtype == "judge":
        if isinstance(raw, bool):
            return (JUDGE_TRUE if raw else JUDGE_FALSE), None
        if isinstance(raw, str) and raw.strip() in {"正确", "对", "T", "true", "True"}:
            return JUDGE_TRUE, None
        if isinstance(raw, str) and raw.strip() in {"错误", "错", "F", "false", "False"}:
            return JUDGE_FALSE, None
        return None, f"判断题的答案应为 true 或 false，而不是 {raw!r}"
    if qtype == "single":
        if not isinstance(raw, str) or len(raw.strip()) != 1:
            return None, f"单选题的答案应为一个字母，而不是 {raw!r}"
        key = raw.strip().upper()
        if key not in letters:
            return None, f"答案 {key} 不在选项 {letters[0]}-{letters[-1]} 之中"
        return key, None
    # multiple
    if isinstance(raw, str):
        raw = list(raw.replace(",", "").replace(" ", ""))
    if not isinstance(raw, list) or not all(isinstance(x, str) and len(x.strip()) == 1 for x in raw):
        return None, f"多选题的答案应为字母列表，如 [A, C]，而不是 {raw!r}"
    keys = sorted({x.strip().upper() for x in raw})
    bad = [k for k in keys if k not in letters]
    if bad:
        return None, f"答案 {','.join(bad)} 不在选项 {letters[0]}-{letters[-1]} 之中"
    if len(keys) < 2:
        return None, "多选题至少应有两个正确选项"
    if len(keys) != len(raw):
        return None, "多选题答案中有重复的字母"
    return "".join(keys), None


def content_hash(qtype: str, stem: str, options: Iterable[str], answer: str, sources: Iterable[Source]) -> str:
    payload = json.dumps(
        [qtype, stem, list(options), answer, [[s.law_slug, str(s.article), s.section, s.quote] for s in sources]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _parse_sources(
    q: RawMap,
    name: str,
    line: int,
    qid: str,
    laws: Mapping[str, LawEntry],
    index: Mapping[str, str],
    issues: list[BankIssue],
) -> list[Source]:
    raw = q.get("sources") if q.get("sources") is not None else q.get("source")
    if raw is None:
        issues.append(BankIssue(name, line, qid, "缺少法律依据 source"))
        return []
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        issues.append(BankIssue(name, line, qid, "法律依据 sources 为空"))
        return []
    out: list[Source] = []
    for raw_item in items:
        item = _as_map(raw_item)
        if item is None:
            issues.append(BankIssue(name, line, qid, "法律依据应为 {law, article, quote} 映射"))
            continue
        sline = _line(item, line)
        law_name = _text(item.get("law"))
        if not law_name:
            issues.append(BankIssue(name, sline, qid, "法律依据未写明法律名称 law"))
            continue
        slug = index.get(law_name)
        if slug is None:
            issues.append(BankIssue(name, sline, qid, f"法律依据中的《{law_name}》不在应知应会清单中"))
            continue
        law = laws[slug]
        quote = _text(item.get("quote"))
        if not quote:
            issues.append(BankIssue(name, sline, qid, "法律依据缺少原文摘录 quote"))
            continue
        article: ArticleKey | None = None
        section: str | None = None
        if item.get("article") is not None:
            try:
                article = parse_article(item["article"])
            except ValueError:
                issues.append(BankIssue(name, sline, qid, f"无法识别的条文序号 {item['article']!r}"))
                continue
        elif item.get("section") is not None:
            section = str(item["section"]).strip()
        else:
            what = "section（章节或条目）" if law.cited_by == "section" else "article（条）"
            issues.append(BankIssue(name, sline, qid, f"法律依据缺少 {what}"))
            continue
        out.append(
            Source(
                law_slug=slug,
                law_title=law.title,
                short_title=law.short_title,
                quote=quote,
                article=article,
                section=section,
            )
        )
    return out


def checked_map(value: object, default_law: str | None) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, str | int | float) and default_law:
        return {default_law: str(value).strip()}
    return {}


def _parse_question(
    raw_q: object,
    name: str,
    file_ctx: _FileContext,
    laws: Mapping[str, LawEntry],
    index: Mapping[str, str],
    topics: Mapping[str, Topic],
    issues: list[BankIssue],
) -> Question | None:
    q = _as_map(raw_q)
    if q is None:
        issues.append(BankIssue(name, 1, "", "题目应为映射（以 - id: 开头）"))
        return None
    line = _line(q)
    qid = _text(q.get("id")) if not isinstance(q.get("id"), int) else str(q["id"])
    errors_before = len(issues)
    if not qid:
        issues.append(BankIssue(name, line, "", "题目缺少 id"))
    elif not ID_RE.match(qid):
        issues.append(BankIssue(name, line, qid, "id 只能由小写字母、数字和连字符组成（3-64 个字符）"))
    qtype = q.get("type")
    if not isinstance(qtype, str) or qtype not in QUESTION_TYPES:
        issues.append(BankIssue(name, line, qid, f"未知题型 {qtype!r}（应为 single/multiple/judge）"))
        return None
    stem = _text(q.get("stem"))
    if not stem:
        issues.append(BankIssue(name, line, qid, "题干 stem 为空"))
    options: tuple[str, ...] = ()
    if qtype == "judge":
        if q.get("options"):
            issues.append(BankIssue(name, line, qid, "判断题不应有 options"))
    else:
        raw_opts = q.get("options")
        if not isinstance(raw_opts, list) or not (2 <= len(raw_opts) <= 6):
            issues.append(BankIssue(name, line, qid, "选择题应有 2-6 个选项 options"))
            return None
        options = tuple(str(o).strip() if o is not None else "" for o in raw_opts)
        if any(not o for o in options):
            issues.append(BankIssue(name, line, qid, "选项不能为空"))
        if len(set(options)) != len(options):
            issues.append(BankIssue(name, line, qid, "选项有重复"))
        for o in options:
            if any(b in o for b in BANNED_OPTIONS):
                issues.append(BankIssue(name, line, qid, f"选项不得使用“{o}”这类兜底表述"))
    if "answer" not in q:
        issues.append(BankIssue(name, line, qid, "缺少答案 answer"))
        return None
    answer, problem = _canonical_answer(qtype, q.get("answer"), len(options))
    if problem:
        issues.append(BankIssue(name, line, qid, problem))
    explanation = _text(q.get("explanation"))
    if not explanation:
        issues.append(BankIssue(name, line, qid, "缺少解析 explanation"))
    difficulty = q.get("difficulty")
    level = _level(difficulty)
    if level is None:
        issues.append(BankIssue(name, line, qid, f"难度 difficulty 应为 1、2 或 3，而不是 {difficulty!r}"))
    tags = _str_list(q.get("tags"))
    if tags is None:
        issues.append(BankIssue(name, line, qid, "tags 应为文字列表，如 [首违不罚]"))
        tags = []
    q_topics = _str_list(q.get("topics"))
    if q_topics is None:
        issues.append(BankIssue(name, line, qid, "topics 应为专题名称列表"))
        q_topics = []
    if file_ctx.get("topic") and file_ctx["topic"] not in q_topics:
        q_topics.insert(0, file_ctx["topic"])
    for t in q_topics:
        if t not in topics:
            issues.append(BankIssue(name, line, qid, f"未知专题 {t!r}（专题列在 must_know.yaml 的 topics 中）"))
    sources = _parse_sources(q, name, line, qid, laws, index, issues)
    checked = dict(file_ctx.get("checked_against", {}))
    checked.update(checked_map(q.get("checked_against"), sources[0].law_slug if sources else None))
    for slug in dict.fromkeys(s.law_slug for s in sources):
        if slug not in checked:
            issues.append(
                BankIssue(name, line, qid, f"未记录核对所依据的《{laws[slug].short_title}》版本（checked_against）")
            )
    if len(issues) > errors_before or not sources or answer is None or level is None:
        return None
    needs_review = any(checked.get(s.law_slug) != laws[s.law_slug].version for s in sources)
    return Question(
        id=qid,
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        explanation=explanation,
        sources=tuple(sources),
        difficulty=level,
        tags=tuple(str(t) for t in tags),
        topics=tuple(dict.fromkeys(q_topics)),
        law=sources[0].law_slug,
        checked_against=tuple(sorted((s.law_slug, checked[s.law_slug]) for s in sources)),
        content_hash=content_hash(qtype, stem, options, answer, sources),
        file=name,
        line=line,
        needs_review=needs_review,
    )


def _key_lines(path: Path, start: int) -> dict[str, int]:
    """The 1-based line of each key of the block mapping that starts at line `start` (keys as written)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: dict[str, int] = {}
    indent = None
    for n in range(start - 1, len(lines)):
        raw = lines[n]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        width = len(raw) - len(raw.lstrip())
        if indent is None:
            indent = width
        if width < indent:
            break
        if width == indent and (m := re.match(r"\s*(['\"]?)([^:'\"]+)\1\s*:", raw)):
            out.setdefault(m[2].strip(), n + 1)
    return out


def _parse_left_out(
    data: RawMap, path: Path, root: Path, law: LawEntry | None, issues: list[BankIssue]
) -> dict[ArticleKey, str] | None:
    """A law file's `left_out: {<article>: <reason>}`: the articles that state no testable rule."""
    name = _rel(path, root)
    raw = _as_map(data["left_out"])
    line = _line(raw, _line(data)) if raw is not None else _key_lines(path, 1).get("left_out", 1)
    if law is None:
        issues.append(BankIssue(name, line, "", "left_out 只能写在一部法律的题目文件（文件头有 law:）中"))
        return None
    if raw is None:
        issues.append(BankIssue(name, line, "", "left_out 应为 {条文序号: 不出题的理由} 映射"))
        return None
    if law.cited_by != "article" or not law.articles:
        issues.append(
            BankIssue(
                name, line, "", f"《{law.short_title}》在 must_know.yaml 中未记录条文数 articles，无法核对 left_out"
            )
        )
        return None
    where = _key_lines(path, line)
    out: dict[ArticleKey, str] = {}
    for key, reason in raw.items():
        if key == LINE_KEY:
            continue
        kline = where.get(str(key), line)
        try:
            article = parse_article(key)
        except ValueError:
            issues.append(BankIssue(name, kline, "", f"left_out 中无法识别的条文序号 {key!r}"))
            continue
        main = article if isinstance(article, int) else int(str(article).split("-")[0])
        if not 1 <= main <= law.articles:
            issues.append(
                BankIssue(
                    name,
                    kline,
                    "",
                    f"left_out 中的{article_heading(article)}超出《{law.short_title}》的条文范围 1-{law.articles}",
                )
            )
            continue
        if not _text(reason):
            issues.append(BankIssue(name, kline, "", f"left_out 中{article_heading(article)}缺少不出题的理由"))
            continue
        if article in out:
            issues.append(BankIssue(name, kline, "", f"left_out 中{article_heading(article)}重复"))
            continue
        out[article] = _text(reason)
    return dict(sorted(out.items(), key=lambda kv: article_sort_key(kv[0])))


def _load_question_file(
    path: Path,
    root: Path,
    laws: Mapping[str, LawEntry],
    index: Mapping[str, str],
    topics: Mapping[str, Topic],
    issues: list[BankIssue],
    left_out: dict[str, dict[ArticleKey, str]] | None = None,
) -> list[Question]:
    name = _rel(path, root)
    parsed = parse_yaml(path, root, issues)
    if parsed is None:
        return []
    data = _as_map(parsed)
    questions = data.get("questions") if data is not None else None
    if data is None or not isinstance(questions, list):
        issues.append(BankIssue(name, 1, "", "题目文件应为映射，并包含 questions: 列表"))
        return []
    ctx: _FileContext = {}
    law = data.get("law")
    topic = data.get("topic")
    if not isinstance(law, str | None) or not isinstance(topic, str | None):
        issues.append(BankIssue(name, _line(data), "", "文件头的 law: / topic: 应为一个名称"))
        return []
    if law is not None and law not in laws:
        issues.append(BankIssue(name, _line(data), "", f"文件头的 law: {law!r} 不在应知应会清单中"))
        return []
    if topic is not None:
        if topic not in topics:
            issues.append(BankIssue(name, 1, "", f"文件头的 topic: {topic!r} 不是已定义的专题"))
            return []
        ctx["topic"] = topic
    ctx["checked_against"] = checked_map(data.get("checked_against"), law)
    if "left_out" in data:
        parsed_left_out = _parse_left_out(data, path, root, laws.get(law) if law else None, issues)
        if parsed_left_out is not None and left_out is not None and law:
            if law in left_out:
                issues.append(
                    BankIssue(name, _line(data), "", f"《{laws[law].short_title}》的 left_out 已在另一个文件中给出")
                )
            else:
                left_out[law] = parsed_left_out
    out: list[Question] = []
    for q in questions:
        question = _parse_question(q, name, ctx, laws, index, topics, issues)
        if question is not None:
            out.append(question)
    return out


# --- blueprints ---------------------------------------------------------------------------------


def _load_blueprint(
    path: Path, root: Path, laws: Mapping[str, LawEntry], topics: Mapping[str, Topic], issues: list[BankIssue]
) -> Blueprint | None:
    name = _rel(path, root)
    parsed = parse_yaml(path, root, issues)
    if parsed is None:
        return None
    bid = path.stem
    data = _as_map(parsed)
    if data is None:
        issues.append(BankIssue(name, 1, bid, "组卷方案应为映射"))
        return None
    before = len(issues)
    line = _line(data)
    for key in ("title", "time_limit_minutes", "pass_mark", "sections"):
        if data.get(key) in (None, ""):
            issues.append(BankIssue(name, line, bid, f"组卷方案缺少 {key}"))
    if len(issues) > before:
        return None
    if not isinstance(data["title"], str):
        issues.append(BankIssue(name, line, bid, "title 应为文字"))
    minutes = _number(data["time_limit_minutes"], integer=True)
    if minutes is None or not 1 <= minutes <= 600:
        issues.append(BankIssue(name, line, bid, "time_limit_minutes 应为 1-600 的整数（分钟）"))
    pass_mark = _number(data["pass_mark"])
    if pass_mark is None or not 0 <= pass_mark <= 100:
        issues.append(BankIssue(name, line, bid, "pass_mark 应为 0-100 的数（百分制）"))
    if not isinstance(data.get("partial_credit", False), bool) or not isinstance(data.get("practice", False), bool):
        issues.append(BankIssue(name, line, bid, "partial_credit / practice 应为 true 或 false"))
    raw_points = data.get("points") or {}
    points_map = _as_map(raw_points)
    # each value as a number (None when it is not one), LINE_KEY left out
    point_values = {k: _number(v) for k, v in points_map.items() if k != LINE_KEY} if points_map is not None else {}
    points: dict[str, float] = {}
    if points_map is None or any(
        not isinstance(k, str) or k not in QUESTION_TYPES or v is None or v <= 0 for k, v in point_values.items()
    ):
        issues.append(BankIssue(name, line, bid, "points 应为 {single: 1, multiple: 2, judge: 1} 形式，分值为正数"))
    else:
        points = {str(k): v for k, v in point_values.items() if v is not None}
    raw_sections = data["sections"]
    if not isinstance(raw_sections, list):
        issues.append(BankIssue(name, line, bid, "sections 应为列表"))
        raw_sections = []
    sections: list[BlueprintSection] = []
    for raw_sec in raw_sections:
        sec = _as_map(raw_sec)
        if sec is None:
            issues.append(BankIssue(name, line, bid, "sections 的条目应为映射"))
            continue
        sline = _line(sec, line)
        stype = sec.get("type")
        if not isinstance(stype, str) or stype not in (*QUESTION_TYPES, "any"):
            issues.append(BankIssue(name, sline, bid, f"未知题型 {stype!r}（应为 single/multiple/judge/any）"))
            continue
        count = _number(sec.get("count"), integer=True)
        if count is None or count <= 0:
            issues.append(BankIssue(name, sline, bid, "count 应为正整数"))
            continue
        lists = {key: _str_list(sec.get(key)) for key in ("laws", "topics", "tags", "audience")}
        bad = [key for key, v in lists.items() if v is None]
        if bad:
            issues.append(BankIssue(name, sline, bid, f"{'、'.join(bad)} 应为文字列表"))
            continue
        sec_laws, sec_topics, sec_tags, sec_audience = (
            lists[key] or [] for key in ("laws", "topics", "tags", "audience")
        )
        for slug in sec_laws:
            if slug not in laws:
                issues.append(BankIssue(name, sline, bid, f"laws 中的 {slug!r} 不在应知应会清单中"))
        for t in sec_topics:
            if t not in topics:
                issues.append(BankIssue(name, sline, bid, f"未知专题 {t!r}"))
        diff = sec.get("difficulty") or {}
        diff_map = _as_map(diff)
        # (level, count) as written, each None when it is not a level 1-3 / an integer; None when not a mapping
        diff_items = (
            [(_level(k), _number(v, integer=True)) for k, v in diff_map.items() if k != LINE_KEY]
            if diff_map is not None
            else None
        )
        difficulty: list[tuple[int, int]] = []
        for level, n in diff_items or []:
            if level is not None and n is not None and n >= 0:
                difficulty.append((level, n))
        if diff and (diff_items is None or len(difficulty) < len(diff_items) or sum(n for _, n in difficulty) != count):
            issues.append(BankIssue(name, sline, bid, "difficulty 应为 {1: n, 2: n, 3: n}，且合计等于 count"))
            difficulty = []
        for a in sec_audience:
            if a not in AUDIENCES:
                issues.append(BankIssue(name, sline, bid, f"未知适用对象 {a!r}"))
        sections.append(
            BlueprintSection(
                type=stype,
                count=count,
                laws=tuple(sec_laws),
                topics=tuple(sec_topics),
                tags=tuple(sec_tags),
                audience=tuple(sec_audience),
                difficulty=tuple(sorted(difficulty)),
                label=_text(sec.get("label")),
            )
        )
    if not sections and len(issues) == before:
        issues.append(BankIssue(name, line, bid, "组卷方案没有任何 sections"))
    if any(sec.type == "any" for sec in sections):
        values = {float(points.get(t, 1.0)) for t in QUESTION_TYPES}
        if len(values) > 1:
            issues.append(BankIssue(name, line, bid, "含 type: any 的组卷方案须给各题型相同的分值"))
    if len(issues) > before or minutes is None or pass_mark is None:  # (a missing one is an issue already)
        return None
    return Blueprint(
        id=bid,
        title=_text(data["title"]),
        description=_text(data.get("description")),
        audience=_text(data.get("audience")) or "officers",
        time_limit_minutes=int(minutes),
        pass_mark=float(pass_mark),
        points=tuple(sorted(points.items())),
        sections=tuple(sections),
        partial_credit=bool(data.get("partial_credit", False)),
        practice=bool(data.get("practice", False)),
        file=name,
    )


# --- the whole bank -----------------------------------------------------------------------------


def _fingerprint(root: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def question_files(root: Path) -> list[Path]:
    files = [*root.rglob("*.yaml"), *root.rglob("*.yml")]
    return sorted(p for p in files if p.name != "must_know.yaml" and "blueprints" not in p.relative_to(root).parts)


def load_bank(root: str | Path) -> Bank:
    """Parse and validate the whole bank; raise BankError listing every problem.

    Whether the questions can fill each blueprint is a rule of paper assembly, checked outside bank/ (which
    knows nothing of the engine): ``engine.paper.blueprint_issues``, run by ``services.common.load_checked_bank``
    for the app start, ``training-app bank check`` and the workbook import."""
    root = Path(root)
    issues: list[BankIssue] = []
    if not root.is_dir():
        raise BankError([BankIssue(str(root), 1, "", "题库目录不存在")])
    laws, topics = load_must_know(root, issues)
    index = law_index(laws)
    questions: dict[str, Question] = {}
    files = question_files(root)
    left_out: dict[str, dict[ArticleKey, str]] = {}
    for path in files:
        for q in _load_question_file(path, root, laws, index, topics, issues, left_out):
            if q.id in questions:
                other = questions[q.id]
                issues.append(BankIssue(q.file, q.line, q.id, f"id 重复：{other.file}:{other.line} 已使用"))
                continue
            questions[q.id] = q
    blueprints: dict[str, Blueprint] = {}
    bp_files = sorted((root / "blueprints").glob("*.yaml")) if (root / "blueprints").is_dir() else []
    for path in bp_files:
        bp = _load_blueprint(path, root, laws, topics, issues)
        if bp is not None:
            blueprints[bp.id] = bp
    by_law: dict[str, list[str]] = {}
    by_topic: dict[str, list[str]] = {}
    for q in questions.values():
        by_law.setdefault(q.law, []).append(q.id)
        for t in q.topics:
            by_topic.setdefault(t, []).append(q.id)
    bank = Bank(
        laws=laws,
        topics=topics,
        questions=questions,
        blueprints=blueprints,
        fingerprint=_fingerprint(root, [root / "must_know.yaml", *files, *bp_files]) if not issues else "",
        by_law={k: tuple(v) for k, v in by_law.items()},
        by_topic={k: tuple(v) for k, v in by_topic.items()},
        left_out=left_out,
    )
    if issues:
        raise BankError(issues)
    log.info("question bank loaded: %d questions, %d laws, %d blueprints", len(questions), len(laws), len(blueprints))
    return bank


def raw_questions(root: Path) -> list[dict[str, Any]]:
    """Every question as plain dicts (for export), with its file context."""
    out: list[dict[str, Any]] = []
    for path in question_files(root):
        # the raw parse, as written (PyYAML is untyped; a question's fields are whatever the file holds)
        data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
        for q in data.get("questions", []):
            out.append({"__file__": str(path.relative_to(root)), **q})
    return out
