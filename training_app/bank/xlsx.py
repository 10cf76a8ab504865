"""The question bank as an Excel workbook, for legal staff to review: export, and an all-or-nothing import.

``export_xlsx`` writes one row per question (sheet 题库) holding everything the YAML files hold: the file, its
header (law / topic / checked_against), and every field of the question, with one group of columns per source
(依据1法律, 依据1条款, 依据1原文, 依据2…). A second sheet (填写说明) explains the columns.

``import_xlsx`` turns the rows back into question files in a temporary copy of the bank and validates that copy
with :func:`load_bank` — the very rules ``training-app bank check`` applies — then maps every problem back to its
sheet row. Any problem: nothing is written and :class:`XlsxImportError` lists them all. No problem: the files
whose content changed are rewritten (unchanged files keep their bytes, comments and layout), and the bank loads
exactly as the workbook says.

Rules of the sheet (also on the 填写说明 sheet):

- rows are read by column title, so columns may be reordered and extra columns (审核意见 …) are ignored;
- questions cannot be deleted by import (attempts refer to question ids forever); new rows add questions;
- a file's header cells (文件法律, 文件专题, 核对版本) must be the same on every row of that file;
- 条款 holds an article (第三十三条, 33, 第二十条之一) or, for a law cited by section, the section text;
  ``章节：…`` forces a section;
- text that a spreadsheet would read as a formula (= + - @ …) is exported with a leading apostrophe, which
  the import removes again.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, cast

import yaml

from ..textsafe import neutralize
from .loader import (
    BankError,
    RawMap,
    checked_map,
    law_index,
    load_bank,
    load_must_know,
    parse_yaml,
    question_files,
    strip_lines,
)
from .schema import LETTERS, TYPE_LABELS, Bank, BankIssue, LawEntry, article_heading, parse_article

SHEET = "题库"
HELP_SHEET = "填写说明"
LEFT_OUT_SHEET = "不出题条文"  # a law file's left_out: 文件, 条, 理由

# column titles
C_ID, C_TYPE, C_STEM, C_ANSWER, C_EXPL = "编号", "题型", "题干", "答案", "解析"
C_DIFF, C_TAGS, C_TOPICS = "难度", "标签", "专题"
C_FILE, C_FLAW, C_FTOPIC, C_FCHECKED, C_QCHECKED = "所在文件", "文件法律", "文件专题", "核对版本", "本题核对版本"
OPTION_COLS = tuple(f"选项{c}" for c in LETTERS)
SRC_PARTS = ("法律", "条款", "原文")
_SRC_RE = re.compile(r"^依据(\d+)(法律|条款|原文)$")
_OPT_RE = re.compile(r"^选项([A-Z])$")
REQUIRED = (C_ID, C_TYPE, C_STEM, C_ANSWER, C_EXPL, C_DIFF, C_FILE)
_KNOWN = {*REQUIRED, C_TAGS, C_TOPICS, C_FLAW, C_FTOPIC, C_FCHECKED, C_QCHECKED}

SECTION_PREFIX = "章节："
_SECTION_PREFIXES = ("章节：", "章节:")
_LIST_SPLIT = re.compile(r"[、,，;；\n]+")
_ANSWER_SPLIT = re.compile(r"[\s、,，;；/]+")
_FILE_RE = re.compile(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*\.ya?ml$")
_LABEL_TO_TYPE = {
    **{v: k for k, v in TYPE_LABELS.items()},
    **{v.removesuffix("题"): k for k, v in TYPE_LABELS.items()},
    **{k: k for k in TYPE_LABELS},
}
_TRUE = {"正确", "对", "√", "T", "TRUE", "是"}
_FALSE = {"错误", "错", "×", "F", "FALSE", "否"}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _RawFile(TypedDict, total=False):
    """A question file as parsed, as far as _read_files checks it (the loader judges the rest): a mapping whose
    questions are mappings. The other fields are as written; the export copies them, the import keeps left_out."""

    questions: list[dict[str, object]]
    law: object
    topic: object
    checked_against: object
    left_out: object


class XlsxImportError(Exception):
    """Every problem of a workbook at once; row 0 means the workbook as a whole (e.g. a missing question)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = sorted(dict.fromkeys(problems), key=lambda p: p[0])
        super().__init__(f"{len(self.problems)} problem(s) in the workbook:\n" + self.report())

    def report(self) -> str:
        return "\n".join(f"第 {row} 行：{reason}" if row else f"全表：{reason}" for row, reason in self.problems)


# --- formula neutralisation (bijective) ---------------------------------------------------------


def _is_formula(text: str) -> bool:
    return neutralize(text) != text


def _is_escaped(text: str) -> bool:
    """An apostrophe in front of something that is a formula or is itself escaped."""
    return text.startswith("'") and (_is_formula(text[1:]) or _is_escaped(text[1:]))


def _escape(value: object) -> object:
    if isinstance(value, str) and (_is_formula(value) or _is_escaped(value)):
        return "'" + value  # neutralize() for formulas; one more apostrophe keeps the mapping reversible
    return value


def _unescape(text: str) -> str:
    return text[1:] if _is_escaped(text) else text


# --- export -------------------------------------------------------------------------------------


def _read_files(root: Path) -> list[tuple[str, _RawFile]]:
    """(relative path, parsed file) for every question file; a file that does not parse is a BankError."""
    issues: list[BankIssue] = []
    out: list[tuple[str, _RawFile]] = []
    for path in question_files(root):
        data: object
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
        except (yaml.YAMLError, UnicodeDecodeError):
            data = parse_yaml(path, root, issues)  # names the problem with its line
            if data is None:
                continue
            data = strip_lines(data)
        questions = data.get("questions") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or not isinstance(questions, list)
            or not all(isinstance(q, dict) for q in questions)
        ):
            issues.append(
                BankIssue(
                    str(path.relative_to(root)), 1, "", "题目文件应为映射，并包含 questions: 列表（每题一个映射）"
                )
            )
            continue
        out.append((path.relative_to(root).as_posix(), cast(_RawFile, data)))  # the shape checked just above
    if issues:
        raise BankError(issues)
    return out


def _laws(root: Path) -> tuple[dict[str, LawEntry], dict[str, str]]:
    laws, _topics = load_must_know(root, [])
    return laws, law_index(laws)


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(value: object) -> int:
    """int() of a raw YAML scalar (an article number); TypeError, as int() raises it, for anything else."""
    if isinstance(value, int | float | str):
        return int(value)
    raise TypeError(f"int() argument must be a string or a real number, not {type(value).__name__!r}")


def _left_out_items(data: _RawFile) -> list[tuple[object, object]]:
    """The (article, reason) pairs of a file's left_out as written; none when it has none."""
    raw = data.get("left_out") or {}
    if not isinstance(raw, dict):
        raise TypeError(f"left_out should be a mapping, not {type(raw).__name__!r}")  # the loader reports it
    return list(raw.items())


def _law_name(value: object) -> str | None:
    """A file header's law as checked_map takes it; a law that is not a name (the loader's to report) as text."""
    return str(value) if value else None


def _checked_cell(value: object, default_law: str | None, laws: Mapping[str, LawEntry]) -> str:
    mapping = checked_map(value, default_law)
    return "\n".join(f"{laws[k].short_title if k in laws else k}：{v}" for k, v in mapping.items())


def _article_cell(src: RawMap, laws: Mapping[str, LawEntry], index: Mapping[str, str]) -> str:
    slug = index.get(_str(src.get("law")).strip())
    if src.get("article") is not None:
        try:
            return article_heading(parse_article(src["article"]))
        except ValueError:
            return _str(src["article"])
    if src.get("section") is not None:
        text = _str(src["section"])
        by_section = slug is not None and laws[slug].cited_by == "section"
        # plain only where the import reads it back as this section: a law cited by section, and text that
        # reads neither as an article nor as an explicit section
        return (
            text
            if by_section and not _is_article(text) and not text.startswith(_SECTION_PREFIXES)
            else SECTION_PREFIX + text
        )
    return ""


def _is_article(text: str) -> bool:
    try:
        parse_article(text)
    except ValueError:
        return False
    return True


def _answer_cell(qtype: object, raw: object) -> str:
    if qtype == "judge":
        if isinstance(raw, bool):
            return "正确" if raw else "错误"
        return _str(raw)
    if isinstance(raw, list):
        return "".join(_str(x) for x in raw)
    return _str(raw)


def _sources_of(q: Mapping[str, object]) -> list[object]:
    raw = q.get("sources") if q.get("sources") is not None else q.get("source")
    if raw is None:
        return []
    return raw if isinstance(raw, list) else [raw]


def _rows_of_file(
    rel: str, data: _RawFile, laws: Mapping[str, LawEntry], index: Mapping[str, str]
) -> list[dict[str, str | int]]:
    """The cells (column title -> value) of every question of one file, as the export writes them."""
    header = {
        C_FILE: rel,
        C_FLAW: _str(data.get("law")),
        C_FTOPIC: _str(data.get("topic")),
        C_FCHECKED: _checked_cell(data.get("checked_against"), _law_name(data.get("law")), laws),
    }
    rows: list[dict[str, str | int]] = []
    for q in data["questions"]:
        qtype = q.get("type")
        row: dict[str, str | int] = {
            C_ID: _str(q.get("id")),
            # (`in` first: an unhashable type fails here as the lookup always did; a key found is that string)
            C_TYPE: TYPE_LABELS[str(qtype)] if qtype in TYPE_LABELS else _str(qtype),
            C_STEM: _str(q.get("stem")),
        }
        raw_options = q.get("options")
        options = raw_options if isinstance(raw_options, list) else []
        for col, opt in zip(OPTION_COLS, options, strict=False):
            row[col] = _str(opt)
        row[C_ANSWER] = _answer_cell(qtype, q.get("answer"))
        row[C_EXPL] = _str(q.get("explanation"))
        sources = _sources_of(q)
        for n, src in enumerate(sources, start=1):
            if isinstance(src, dict):
                row[f"依据{n}法律"] = _str(src.get("law"))
                row[f"依据{n}条款"] = _article_cell(src, laws, index)
                row[f"依据{n}原文"] = _str(src.get("quote"))
        diff = q.get("difficulty")
        row[C_DIFF] = diff if isinstance(diff, int) and not isinstance(diff, bool) else _str(diff)
        tags = q.get("tags")
        row[C_TAGS] = "、".join(_str(t) for t in (tags or [])) if isinstance(tags, list) else _str(tags)
        # topics are iterated as written, whatever they are (the loader reports a non-list)
        row[C_TOPICS] = "、".join(_str(t) for t in cast(Iterable[object], q.get("topics") or []))
        if q.get("checked_against") is not None:
            first: RawMap = sources[0] if sources and isinstance(sources[0], dict) else {}
            row[C_QCHECKED] = _checked_cell(q["checked_against"], index.get(_str(first.get("law")).strip()), laws)
        row.update(header)
        rows.append(row)
    return rows


def _columns(n_sources: int, per_question_checked: bool) -> list[str]:
    cols = [C_ID, C_TYPE, C_STEM, *OPTION_COLS, C_ANSWER, C_EXPL]
    for n in range(1, max(n_sources, 1) + 1):
        cols += [f"依据{n}{part}" for part in SRC_PARTS]
    cols += [C_DIFF, C_TAGS, C_TOPICS, C_FILE, C_FLAW, C_FTOPIC, C_FCHECKED]
    if per_question_checked:
        cols.append(C_QCHECKED)
    return cols


def _width(col: str) -> float:
    if col in (C_STEM, C_EXPL) or col.endswith("原文"):
        return 50
    if col in OPTION_COLS:
        return 22
    if col.endswith("法律") and col != C_FLAW:
        return 24
    return {
        C_ID: 16,
        C_TYPE: 8,
        C_ANSWER: 8,
        C_DIFF: 6,
        C_TAGS: 20,
        C_TOPICS: 20,
        C_FILE: 34,
        C_FLAW: 24,
        C_FTOPIC: 18,
        C_FCHECKED: 36,
        C_QCHECKED: 36,
    }.get(col, 14)


HELP = [
    ("本工作簿由 training-app bank export-xlsx 导出，审核修改后用 training-app bank import-xlsx 导回。", ""),
    ("导入规则", "所有行都通过校验才会写入题库；只要有一行有问题，题库一个字也不改，并逐行列出问题（第 N 行：原因）。"),
    ("列", "按第一行的列名读取：列的顺序可以调整，可以增加“审核意见”等其他列（导入时忽略）。"),
    (C_ID, "题目编号，永久不变（考试记录按编号引用）。不能通过导入删除题目；新增一行即新增一道题。"),
    (C_TYPE, "单选题、多选题或判断题。"),
    ("选项A-选项F", "选择题 2-6 个选项，从 A 起连续填写；判断题不填。"),
    (C_ANSWER, "单选题一个字母（B）；多选题两个以上字母（ACD，也可写 A、C、D）；判断题填“正确”或“错误”。"),
    (
        "依据N法律 / 依据N条款 / 依据N原文",
        "每个法律依据一组；依据可以有多组（需要更多时照样增加“依据5法律”等列）。"
        "法律写全称或简称；条款写“第三十三条”或“第二十条之一”，按章节引用的文件写章节序号，写“章节：……”强制按章节处理；原文逐字摘录。",
    ),
    (C_DIFF, "1、2 或 3（1 记忆，2 理解，3 综合运用或案例）。"),
    (f"{C_TAGS} / {C_TOPICS}", "多个之间用顿号“、”分隔；专题须是应知应会清单中已定义的专题。"),
    (C_FILE, "题目所在的题库文件，如 laws/administrative_penalty_law.yaml。"),
    (
        f"{C_FLAW} / {C_FTOPIC} / {C_FCHECKED}",
        "所在文件的文件头，同一文件的每一行必须相同。核对版本每行一部法律：“法律简称：版本”。",
    ),
    ("公式", "以 = + - @ 开头的文字在导出时前面加了英文单引号'，防止被当作公式；导入时自动去掉，请保留。"),
]


def export_xlsx(bank_dir: Path, out: Path) -> int:
    """Write every question of the bank to ``out``; returns the number of questions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    root = Path(bank_dir)
    laws, index = _laws(root)
    rows = [row for rel, data in _read_files(root) for row in _rows_of_file(rel, data, laws, index)]
    n_sources = max((int(m[1]) for row in rows for c in row if (m := _SRC_RE.match(c))), default=1)
    columns = _columns(n_sources, any(C_QCHECKED in row for row in rows))

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(columns)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    wrapped = {i for i, c in enumerate(columns) if c in (C_STEM, C_EXPL, *OPTION_COLS) or c.endswith("原文")}
    for row in rows:
        ws.append([_escape(row.get(c)) if row.get(c) not in ("", None) else None for c in columns])
        for i, cell in enumerate(ws[ws.max_row]):
            cell.alignment = wrap if i in wrapped else top
            if columns[i] != C_DIFF:
                cell.number_format = "@"  # typed edits stay text (no dates, no formulas)
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(col)
    ws.freeze_panes = "B2"
    last = ws.max_row if ws.max_row > 1 else 2
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    for col, choices in ((C_TYPE, "单选题,多选题,判断题"), (C_DIFF, "1,2,3")):
        letter = get_column_letter(columns.index(col) + 1)
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        dv.add(f"{letter}2:{letter}{max(last, 2000)}")
        ws.add_data_validation(dv)

    lo_ws = wb.create_sheet(LEFT_OUT_SHEET)
    lo_ws.append(["文件", "条", "理由"])
    for cell in lo_ws[1]:
        cell.font, cell.fill = bold, fill
    for rel, data in _read_files(root):
        for article, reason in sorted(_left_out_items(data), key=lambda kv: _int(kv[0])):
            lo_ws.append([rel, _int(article), _escape(str(reason))])
    lo_ws.column_dimensions["A"].width = 60
    lo_ws.column_dimensions["C"].width = 60

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.append(["项目", "说明"])
    for cell in help_ws[1]:
        cell.font, cell.fill = bold, fill
    for item, text in HELP:
        help_ws.append([item, text])
        for cell in help_ws[help_ws.max_row]:
            cell.alignment = wrap
    help_ws.column_dimensions["A"].width = 30
    help_ws.column_dimensions["B"].width = 90

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return len(rows)


# --- reading the sheet --------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing .0, dates as ISO, formula escapes removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return _unescape(str(value).strip())


@dataclass
class _Sheet:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (sheet row, column -> text)
    problems: list[tuple[int, str]] = field(default_factory=list)


def _read_sheet(xlsx: Path) -> _Sheet:
    from openpyxl import load_workbook

    sheet = _Sheet()
    try:
        wb = load_workbook(xlsx)
    except Exception as exc:  # noqa: BLE001 - not a workbook, unreadable, missing
        sheet.problems.append((0, f"无法读取工作簿 {xlsx}：{exc}"))
        return sheet
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    it = ws.iter_rows()
    header_cells = next(it, ())
    titles: list[str | None] = []
    for cell in header_cells:
        title = _cell_text(cell.value) or None
        if title is not None and title in titles:
            sheet.problems.append((1, f"列名“{title}”重复"))
        titles.append(title)
    missing = [c for c in REQUIRED if c not in titles]
    if missing:
        sheet.problems.append((1, f"缺少列：{'、'.join(missing)}（第一行应为列名）"))
        return sheet
    for cells in it:
        values: dict[str, str] = {}
        formulas: list[str] = []
        for title, cell in zip(titles, cells, strict=False):
            if title is None:
                continue
            if cell.data_type == "f":
                formulas.append(title)
                continue
            values[title] = _cell_text(cell.value)
        row_no = cells[0].row
        if not any(v for t, v in values.items() if _known(t)) and not formulas:
            continue
        for title in formulas:
            sheet.problems.append((row_no, f"“{title}”是公式，不是文字（以 = 开头的文字请在前面加英文单引号'）"))
        sheet.rows.append((row_no, values))
    return sheet


# --- cells -> question file data ----------------------------------------------------------------


def _known(title: str) -> bool:
    return title in _KNOWN or bool(_SRC_RE.match(title) or _OPT_RE.match(title))


def _split_list(text: str) -> list[str]:
    return [t.strip() for t in _LIST_SPLIT.split(text) if t.strip()]


def _parse_checked(text: str, index: Mapping[str, str]) -> tuple[dict[str, str] | None, str | None]:
    out: dict[str, str] = {}
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        m = re.match(r"^([^:：]+)[:：](.*)$", line)
        if not m or not m[1].strip() or not m[2].strip():
            return None, f"核对版本应每行一部法律，写作“法律简称：版本”，而不是 {line!r}"
        name = m[1].strip()
        out[index.get(name, name)] = m[2].strip()
    return out, None


def _parse_answer(qtype: str | None, text: str) -> bool | str | list[str]:
    if qtype == "judge":
        if text.upper() in _TRUE:
            return True
        if text.upper() in _FALSE:
            return False
        return text
    if qtype == "multiple":
        parts = [p for p in _ANSWER_SPLIT.split(text) if p]
        letters = [ch for p in parts for ch in (p if p.isascii() and p.isalpha() else [p])]
        return [x.upper() for x in letters]
    return text.upper() if len(text) == 1 else text


def _parse_difficulty(text: str) -> int | str:
    return int(text) if re.fullmatch(r"\d+", text) else text


def _parse_source(
    law: str, where: str, quote: str, laws: Mapping[str, LawEntry], index: Mapping[str, str]
) -> dict[str, object]:
    src: dict[str, object] = {}
    if law:
        src["law"] = law
    slug = index.get(law)
    if where:
        if where.startswith(_SECTION_PREFIXES):
            src["section"] = where[len(SECTION_PREFIX) :].strip()
        elif slug is not None and laws[slug].cited_by == "section" and not _is_article(where):
            src["section"] = where
        else:
            try:
                src["article"] = parse_article(where)
            except ValueError:
                src["article"] = where  # the loader names the problem
    if quote:
        src["quote"] = quote
    return src


def _question(
    cells: dict[str, str], laws: Mapping[str, LawEntry], index: Mapping[str, str]
) -> tuple[dict[str, object], list[str]]:
    """One row as the question mapping the YAML file holds (key order as in the bank), and the row's
    sheet-level problems; everything else is left for the loader to judge."""
    problems: list[str] = []
    q: dict[str, object] = {}
    if cells.get(C_ID):
        q["id"] = cells[C_ID]
    label = cells.get(C_TYPE, "")
    qtype = _LABEL_TO_TYPE.get(label) or _LABEL_TO_TYPE.get(label.lower())
    if qtype is None:
        problems.append(f"题型应为 单选题、多选题 或 判断题，而不是 {label!r}")
    q["type"] = qtype or label
    q["stem"] = cells.get(C_STEM, "")
    option_cols = sorted((m[1], c) for c in cells if (m := _OPT_RE.match(c)))
    options = [cells[c] for _, c in option_cols]
    while options and not options[-1]:
        options.pop()
    if options:
        q["options"] = _Flow(options)
    if cells.get(C_ANSWER):
        answer = _parse_answer(qtype, cells[C_ANSWER])
        q["answer"] = _Flow(answer) if isinstance(answer, list) else answer
    if cells.get(C_EXPL):
        q["explanation"] = cells[C_EXPL]
    groups: dict[int, dict[str, str]] = {}
    for c, v in cells.items():
        if (m := _SRC_RE.match(c)) and v:
            groups.setdefault(int(m[1]), {})[m[2]] = v
    sources = [
        _parse_source(g.get("法律", ""), g.get("条款", ""), g.get("原文", ""), laws, index)
        for _, g in sorted(groups.items())
    ]
    if len(sources) == 1:
        q["source"] = sources[0]
    elif sources:
        q["sources"] = sources
    if cells.get(C_DIFF):
        q["difficulty"] = _parse_difficulty(cells[C_DIFF])
    q["tags"] = _Flow(_split_list(cells.get(C_TAGS, "")))
    topics = _split_list(cells.get(C_TOPICS, ""))
    if topics:
        q["topics"] = _Flow(topics)
    if cells.get(C_QCHECKED):
        checked, problem = _parse_checked(cells[C_QCHECKED], index)
        if problem:
            problems.append(f"{C_QCHECKED}：{problem}")
        elif checked is not None:  # (always, without a problem)
            q["checked_against"] = _FlowMap(checked)
    return q, problems


def _header(cells: dict[str, str], index: Mapping[str, str]) -> tuple[dict[str, object], str | None]:
    h: dict[str, object] = {}
    if cells.get(C_FLAW):
        h["law"] = cells[C_FLAW]
    if cells.get(C_FTOPIC):
        h["topic"] = cells[C_FTOPIC]
    if cells.get(C_FCHECKED):
        checked, problem = _parse_checked(cells[C_FCHECKED], index)
        if problem:
            return h, f"{C_FCHECKED}：{problem}"
        if checked is not None:  # (always, without a problem)
            h["checked_against"] = _FlowMap(checked)
    return h, None


def _file_problem(rel: str) -> str | None:
    if not rel:
        return f"缺少{C_FILE}（如 laws/administrative_penalty_law.yaml）"
    parts = rel.split("/")
    if (
        not _FILE_RE.match(rel)
        or ".." in parts
        or parts[0] == "blueprints"
        or "blueprints" in parts
        or parts[-1] == "must_know.yaml"
    ):
        return f"{C_FILE} {rel!r} 不是题目文件的相对路径（如 laws/administrative_penalty_law.yaml）"
    return None


# --- YAML writing -------------------------------------------------------------------------------


class _Flow(list[object]):
    """A list written in flow style: [A, C]."""


class _FlowMap(dict[str, object]):
    """A mapping written in flow style: {slug: version}."""


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no type stubs here: its classes are Any
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002 - "  - id:"
        super().increase_indent(flow, False)


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def _dump(data: Mapping[str, object]) -> str:
    text: str = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    seen = False
    for line in lines:
        if line.startswith("  - id:"):
            if seen:
                out.append("\n")
            seen = True
        out.append(line)
    return "".join(out)


def _key(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False, default=str)


def _question_lines(text: str) -> list[int]:
    """1-based start line of each question of a file (as the loader numbers them)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if getattr(k, "value", None) == "questions" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


# --- import -------------------------------------------------------------------------------------


@dataclass
class _File:
    header: dict[str, object]
    header_row: int
    rows: list[int] = field(default_factory=list)
    questions: list[dict[str, object]] = field(default_factory=list)

    def data(self) -> dict[str, object]:
        return {**self.header, "questions": self.questions}


def _group(
    rows: Iterable[tuple[int, dict[str, str]]],
    laws: Mapping[str, LawEntry],
    index: Mapping[str, str],
    problems: list[tuple[int, str]],
) -> dict[str, _File]:
    files: dict[str, _File] = {}
    header_key: dict[str, str] = {}
    for row_no, cells in rows:
        q, row_problems = _question(cells, laws, index)
        problems += [(row_no, p) for p in row_problems]
        rel = cells.get(C_FILE, "").replace("\\", "/").removeprefix("./")
        if (p := _file_problem(rel)) is not None:
            problems.append((row_no, p))
            continue
        header, p = _header(cells, index)
        if p is not None:
            problems.append((row_no, p))
        if rel not in files:
            files[rel] = _File(header, row_no)
            header_key[rel] = _key(header)
        elif _key(header) != header_key[rel]:
            problems.append(
                (
                    row_no,
                    f"文件头（{C_FLAW}、{C_FTOPIC}、{C_FCHECKED}）与同一文件 {rel} 的第 "
                    f"{files[rel].header_row} 行不一致",
                )
            )
        files[rel].rows.append(row_no)
        files[rel].questions.append(q)
    return files


# File-level keys the workbook does not carry (left_out: the articles of a law that state no testable rule):
# an import keeps them from the file it rewrites.
_YAML_ONLY = ("left_out",)


def _read_left_out(xlsx: Path) -> dict[str, dict[int, str]] | None:
    """The 不出题条文 sheet as {file: {article: reason}}, or None for a workbook without it (then each file keeps
    its own left_out)."""
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True, data_only=True)
    try:
        if LEFT_OUT_SHEET not in wb.sheetnames:
            return None
        out: dict[str, dict[int, str]] = {}
        for i, row in enumerate(wb[LEFT_OUT_SHEET].iter_rows(values_only=True)):
            if i == 0 or not row or row[0] in (None, ""):
                continue
            rel, article, reason = (list(row) + [None, None, None])[:3]
            out.setdefault(_cell_text(rel), {})[int(_cell_text(article))] = _cell_text(reason)
        return out
    finally:
        wb.close()


def _keep_yaml_only(
    data: dict[str, object], old: _RawFile | None, left_out: dict[int, str] | None = None
) -> dict[str, object]:
    kept: dict[str, object] = {k: old.get(k) for k in _YAML_ONLY if old and k in old}
    if left_out:
        kept["left_out"] = left_out
    if not kept:
        return data
    head = {k: v for k, v in data.items() if k != "questions"}
    return {**head, **kept, "questions": data["questions"]}


def import_xlsx(xlsx: Path, bank_dir: Path, *, load: Callable[[Path], Bank] = load_bank) -> int:
    """Validate every row, then rewrite the question files that changed; returns the number of questions.

    `load` validates the rewritten bank (the CLI passes ``services.common.load_checked_bank``, which also checks
    that every blueprint can still be filled). Raises :class:`XlsxImportError` (and changes nothing) when any
    row has a problem."""
    root = Path(bank_dir)
    sheet = _read_sheet(Path(xlsx))
    problems = list(sheet.problems)
    if not sheet.rows and not problems:
        problems.append((0, "工作簿中没有题目"))
    if problems and not sheet.rows:
        raise XlsxImportError(problems)
    laws, index = _laws(root)
    files = _group(sheet.rows, laws, index, problems)
    try:
        sheet_left_out = _read_left_out(Path(xlsx))
    except (ValueError, TypeError):
        sheet_left_out = None
        problems.append((0, f"“{LEFT_OUT_SHEET}”工作表的条号应为数字"))
    type_rows = {r for r, p in problems if p.startswith("题型应为")}

    # What the bank holds now, in the same shape (so that unchanged files are recognised and left alone).
    try:
        existing = dict(_read_files(root))
    except BankError:
        existing = {}
    sheet_ids = {cells.get(C_ID, "") for _, cells in sheet.rows}
    for rel, data in existing.items():
        for q in data["questions"]:
            qid = _str(q.get("id")).strip()
            if qid and qid not in sheet_ids:
                problems.append(
                    (
                        0,
                        f"题库中的题目 {qid}（{rel}）不在表格中：导入不能删除题目（考试记录按编号引用题目），"
                        "如确需删除请直接修改题库文件",
                    )
                )

    with tempfile.TemporaryDirectory(prefix="bank-import-") as tmp:
        work = Path(tmp) / "bank"
        shutil.copytree(root, work)
        changed: dict[str, str] = {}
        for rel, f in files.items():
            if rel in existing:
                old_rows = [
                    {k: _cell_text(_escape(v)) for k, v in r.items()}  # as the sheet reads them
                    for r in _rows_of_file(rel, existing[rel], laws, index)
                ]
                old = _group([(0, r) for r in old_rows], laws, index, [])
                same_left_out = (
                    sheet_left_out is None
                    or rel not in sheet_left_out
                    or {_int(k): v for k, v in _left_out_items(existing[rel])} == sheet_left_out[rel]
                )
                if rel in old and _key(old[rel].data()) == _key(f.data()) and same_left_out:
                    continue
            lo = sheet_left_out.get(rel) if sheet_left_out is not None else None
            changed[rel] = _dump(_keep_yaml_only(f.data(), existing.get(rel), lo))
        for rel, data in existing.items():  # every question of a file moved elsewhere: keep the header only
            if rel not in files and data["questions"]:
                head: dict[str, object] = {
                    k: (_FlowMap(v) if k == "checked_against" and isinstance(v, dict) else v)
                    for k, v in data.items()
                    if k != "questions"
                }
                changed[rel] = _dump(head | {"questions": []})
        for rel, text in changed.items():
            target = work / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

        try:
            load(work)
        except BankError as exc:
            problems += _map_issues(exc.issues, work, files, type_rows)
        if problems:
            raise XlsxImportError(problems)
        _write(root, {rel: (work / rel).read_bytes() for rel in changed}, load)
    return len(sheet.rows)


def _map_issues(
    issues: list[BankIssue], work: Path, files: dict[str, _File], type_rows: set[int]
) -> list[tuple[int, str]]:
    lines = {rel: _question_lines((work / rel).read_text(encoding="utf-8")) for rel in files}
    prefix = work.name + "/"

    def locate(file: str, line: int) -> tuple[int, str, bool]:
        rel = file.replace("\\", "/").removeprefix(prefix)
        if rel not in files:
            return 0, rel, True
        i = bisect.bisect_right(lines[rel], line) - 1
        if i < 0 or i >= len(files[rel].rows):
            return files[rel].rows[0], rel, True
        return files[rel].rows[i], rel, False

    def other_rows(message: str) -> str:
        def sub(m: re.Match[str]) -> str:
            row, rel, whole = locate(m[1], int(m[2]))
            return f"第 {row} 行" if row and not whole else f"{rel}:{m[2]}"

        return re.sub(r"([A-Za-z0-9_./\\-]+\.ya?ml):(\d+)", sub, message)

    out: list[tuple[int, str]] = []
    for issue in issues:
        row, rel, whole = locate(issue.file, issue.line)
        if row in type_rows and issue.message.startswith("未知题型"):
            continue
        message = other_rows(issue.message)
        if row == 0:
            out.append((0, f"{rel}:{issue.line}: {issue.qid or '-'}: {message}"))
        elif whole:
            out.append((row, f"{rel} 的文件头：{message}"))
        else:
            out.append((row, message))
    return out


def _write(root: Path, contents: dict[str, bytes], load: Callable[[Path], Bank] = load_bank) -> None:
    """Replace each file atomically; if the bank then fails to load, put every file back as it was."""
    if not contents:
        return
    before = {rel: (root / rel).read_bytes() if (root / rel).exists() else None for rel in contents}
    try:
        for rel, data in contents.items():
            _atomic_write(root / rel, data)
        load(root)
    except BaseException:
        for rel, old in before.items():
            if old is None:
                (root / rel).unlink(missing_ok=True)
            else:
                _atomic_write(root / rel, old)
        raise


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
