"""The question bank as an Excel workbook: export everything, import all-or-nothing, and the bank loads identically."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from tests.conftest import REAL_BANK
from training_app.bank import load_bank
from training_app.bank.loader import question_files
from training_app.bank.xlsx import XlsxImportError, export_xlsx, import_xlsx

QUESTION_FIELDS = (
    "id",
    "type",
    "stem",
    "options",
    "answer",
    "explanation",
    "sources",
    "difficulty",
    "tags",
    "topics",
    "checked_against",
    "content_hash",
    "law",
    "needs_review",
)


# --- helpers ------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_bank(a, b):
    assert list(a.questions) == list(b.questions)
    for qid, q in a.questions.items():
        other = b.questions[qid]
        for f in QUESTION_FIELDS:
            assert getattr(other, f) == getattr(q, f), (qid, f)
        assert Path(other.file).parts[1:] == Path(q.file).parts[1:], qid  # same file inside the bank
    strip = lambda bp: dataclasses.replace(bp, file="")  # noqa: E731 - file names the bank folder
    assert {k: strip(v) for k, v in a.blueprints.items()} == {k: strip(v) for k, v in b.blueprints.items()}
    assert a.laws == b.laws
    assert a.topics == b.topics
    assert a.by_law == b.by_law and a.by_topic == b.by_topic
    assert a.left_out == b.left_out


class Sheet:
    """The 题库 sheet of a workbook, cells addressed by row number and column title."""

    def __init__(self, path: Path):
        self.wb = load_workbook(path)
        self.ws = self.wb["题库"]
        self.cols = {c.value: c.column for c in self.ws[1] if c.value}

    def get(self, row: int, title: str):
        return self.ws.cell(row=row, column=self.cols[title]).value

    def set(self, row: int, title: str, value) -> None:
        self.ws.cell(row=row, column=self.cols[title]).value = value

    def cell(self, row: int, title: str):
        return self.ws.cell(row=row, column=self.cols[title])

    def row_of(self, qid: str) -> int:
        for r in range(2, self.ws.max_row + 1):
            if self.get(r, "编号") == qid:
                return r
        raise KeyError(qid)

    def first_row(self, start: int, **want) -> int:
        for r in range(start, self.ws.max_row + 1):
            if all(self.get(r, k) == v for k, v in want.items()):
                return r
        raise LookupError(want)

    def save(self, path: Path) -> Path:
        self.wb.save(path)
        return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xlsx") / "bank.xlsx"
    n = export_xlsx(REAL_BANK, out)
    assert n == len(load_bank(REAL_BANK).questions)
    return out


@pytest.fixture
def bank_copy(tmp_path) -> Path:
    return Path(shutil.copytree(REAL_BANK, tmp_path / "bank"))


# --- export -------------------------------------------------------------------------------------


def test_export_holds_every_question_readably(exported, real_bank):
    sheet = Sheet(exported)
    ws = sheet.ws
    assert ws.max_row == len(real_bank.questions) + 1
    for title in (
        "编号",
        "题型",
        "题干",
        "选项A",
        "选项F",
        "答案",
        "解析",
        "依据1法律",
        "依据1条款",
        "依据1原文",
        "难度",
        "标签",
        "专题",
        "所在文件",
        "文件法律",
        "文件专题",
        "核对版本",
    ):
        assert title in sheet.cols
    assert ws.freeze_panes == "B2"
    assert sheet.cell(2, "题干").alignment.wrap_text and sheet.cell(2, "依据1原文").alignment.wrap_text
    assert ws.column_dimensions[sheet.cell(1, "题干").column_letter].width >= 40

    # every question once, with its file and the text a reviewer needs
    ids = [sheet.get(r, "编号") for r in range(2, ws.max_row + 1)]
    assert sorted(ids) == sorted(real_bank.questions)
    q = real_bank.questions["xzcf-009-01"]
    r = sheet.row_of(q.id)
    assert sheet.get(r, "题型") == "多选题" and sheet.get(r, "答案") == "BCE"
    assert sheet.get(r, "题干") == q.stem and sheet.get(r, "选项A") == q.options[0]
    assert sheet.get(r, "依据1条款") == "第九条" and sheet.get(r, "依据1原文") == q.sources[0].quote
    assert sheet.get(r, "所在文件") == "laws/administrative_penalty_law.yaml"
    assert sheet.get(r, "核对版本") == "行政处罚法：" + dict(q.checked_against)["administrative_penalty_law"]

    # a question with several sources shows each in its own group of columns
    multi = next(q for q in real_bank.questions.values() if len(q.sources) >= 2)
    r = sheet.row_of(multi.id)
    assert sheet.get(r, "依据2原文") == multi.sources[1].quote
    # a section-cited source shows the section as written
    sec = next(q for q in real_bank.questions.values() if q.sources[0].section)
    assert sheet.get(sheet.row_of(sec.id), "依据1条款") == sec.sources[0].section
    judge = next(q for q in real_bank.questions.values() if q.type == "judge")
    assert sheet.get(sheet.row_of(judge.id), "答案") == ("正确" if judge.answer == "T" else "错误")


# --- round trip ---------------------------------------------------------------------------------


def test_round_trip_real_bank_loads_identically_and_leaves_files_alone(exported, bank_copy, real_bank):
    before = snapshot(bank_copy)
    assert import_xlsx(exported, bank_copy) == len(real_bank.questions)
    assert_same_bank(real_bank, load_bank(bank_copy))
    assert snapshot(bank_copy) == before  # nothing changed, so no file was rewritten


@pytest.mark.parametrize("which", ["real", "small"])
def test_rewriting_every_file_from_the_workbook_rebuilds_the_bank(which, tmp_path, small_bank_dir):
    src = REAL_BANK if which == "real" else small_bank_dir
    xlsx = tmp_path / "bank.xlsx"
    export_xlsx(src, xlsx)
    bank = Path(shutil.copytree(src, tmp_path / "bank"))
    for p in question_files(bank):
        p.unlink()
    import_xlsx(xlsx, bank)
    assert_same_bank(load_bank(src), load_bank(bank))

    # the written files: UTF-8, header first, the bank's key order, short lists in flow style
    for p in question_files(bank):
        text = p.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        keys = list(data)
        assert keys[-1] == "questions" and set(keys[:-1]) <= {"law", "topic", "checked_against", "left_out"}
        order = [
            "id",
            "type",
            "stem",
            "options",
            "answer",
            "explanation",
            "source",
            "sources",
            "difficulty",
            "tags",
            "topics",
        ]
        for q in data["questions"]:
            assert list(q) == [k for k in order if k in q]
        assert "\\u" not in text
    text = (bank / "laws" / f"{'administrative_penalty_law' if which == 'real' else 'law_a'}.yaml").read_text("utf-8")
    assert "    options: [" in text and "    tags: [" in text and "checked_against: {" in text

    # and the rebuilt bank exports to the very same workbook cells
    again = tmp_path / "again.xlsx"
    export_xlsx(bank, again)
    a, b = load_workbook(xlsx)["题库"], load_workbook(again)["题库"]
    assert [[c.value for c in row] for row in a.iter_rows()] == [[c.value for c in row] for row in b.iter_rows()]


EXOTIC = """topic: 证据收集与执法程序
checked_against: {law_a: 2020 修订, law_b: 2021 公布}
questions:
  - id: p-zj-01
    type: multiple
    stem: 甲法与乙条例的规定（ ）。
    options: [一, 二, 三]
    answer: AC
    explanation: 解析一。
    sources:
      - {law: 甲法, article: 第二十条之一, quote: 原文一}
      - {law: 乙条例, section: '33', quote: 原文二}
      - {law: 中华人民共和国甲法, section: （三）, quote: 原文三}
    difficulty: 3
    tags: [案例分析, 证据]
  - id: p-zj-02
    type: judge
    stem: 乙条例第五条的规定。
    answer: 正确
    explanation: 解析二。
    source: {law: 乙条例, article: 5, quote: 原文四}
    difficulty: 1
    checked_against: 2021 公布
  - id: p-zj-03
    type: single
    stem: "=开头的题干（ ）。"
    options: ["-1", "+2", "@3"]
    answer: b
    explanation: "'=带引号的解析"
    source: {law: 乙条例, section: 章节：一, quote: 原文五}
    difficulty: 2
    tags: []
    topics: [证据收集与执法程序]
"""


def test_unusual_but_valid_files_round_trip_exactly(tmp_path, small_bank_dir):
    """Sections and articles on laws cited either way, a section that reads like an article, answers written
    as text, scalar and per-question checked_against, formula-looking text."""
    src = Path(shutil.copytree(small_bank_dir, tmp_path / "src"))
    mk = src / "must_know.yaml"
    mk.write_text(
        mk.read_text(encoding="utf-8").replace("id_prefix: yb,", "id_prefix: yb, cited_by: section,"), encoding="utf-8"
    )
    (src / "practice").mkdir()
    (src / "practice" / "evidence.yaml").write_text(EXOTIC, encoding="utf-8")
    original = load_bank(src)
    assert original.laws["law_b"].cited_by == "section"

    xlsx = tmp_path / "exotic.xlsx"
    export_xlsx(src, xlsx)
    sheet = Sheet(xlsx)
    r1, r2, r3 = (sheet.row_of(f"p-zj-0{i}") for i in (1, 2, 3))
    assert [sheet.get(r1, f"依据{i}条款") for i in (1, 2, 3)] == ["第二十条之一", "章节：33", "章节：（三）"]
    assert sheet.get(r2, "依据1条款") == "第五条" and sheet.get(r2, "本题核对版本") == "乙条例：2021 公布"
    assert sheet.get(r3, "依据1条款") == "章节：章节：一"
    assert sheet.get(r3, "题干").startswith("'=") and sheet.get(r3, "解析") == "''=带引号的解析"
    assert sheet.get(sheet.row_of("ja-001-01"), "核对版本") == "甲法：2020 修订"  # a scalar in the file

    bank = Path(shutil.copytree(src, tmp_path / "bank"))
    for p in question_files(bank):
        p.unlink()
    import_xlsx(xlsx, bank)
    rebuilt = load_bank(bank)
    assert_same_bank(original, rebuilt)
    q = rebuilt.questions["p-zj-01"]
    assert [(s.article, s.section) for s in q.sources] == [("20-1", None), (None, "33"), (None, "（三）")]
    assert rebuilt.questions["p-zj-03"].explanation == "'=带引号的解析"
    # the unchanged source bank takes the same workbook without a single byte changing
    before = snapshot(src)
    import_xlsx(xlsx, src)
    assert snapshot(src) == before


# --- bad rows -----------------------------------------------------------------------------------


def test_bad_rows_are_all_reported_with_row_numbers_and_nothing_changes(exported, bank_copy, tmp_path):
    sheet = Sheet(exported)
    r_answer = sheet.first_row(5, 题型="单选题")
    n_options = sum(1 for c in "ABCDEF" if sheet.get(r_answer, f"选项{c}"))
    wrong = "ABCDEF"[n_options]
    sheet.set(r_answer, "答案", wrong)
    sheet.set(9, "题干", "")
    sheet.set(12, "依据1法律", "中华人民共和国虚构法")
    bad = sheet.save(tmp_path / "bad.xlsx")
    before = snapshot(bank_copy)

    with pytest.raises(XlsxImportError) as info:
        import_xlsx(bad, bank_copy)
    problems = info.value.problems
    assert {row for row, _ in problems} == {r_answer, 9, 12}
    assert any(row == r_answer and f"答案 {wrong} 不在选项" in why for row, why in problems)
    assert any(row == 9 and "题干 stem 为空" in why for row, why in problems)
    assert any(row == 12 and "《中华人民共和国虚构法》不在应知应会清单中" in why for row, why in problems)
    lines = info.value.report().splitlines()
    assert len(lines) == len(problems)
    assert any(line.startswith("第 9 行：") and "题干" in line for line in lines)
    assert any(line.startswith(f"第 {r_answer} 行：") for line in lines)
    assert snapshot(bank_copy) == before


def test_sheet_level_problems_are_reported_with_the_loader_problems(exported, bank_copy, tmp_path):
    sheet = Sheet(exported)
    r = sheet.first_row(2, 题型="判断题")
    sheet.set(r, "题型", "问答题")
    sheet.set(r + 1, "所在文件", "../outside.yaml")
    sheet.cell(r + 2, "解析").value = "=1+1"  # typed in Excel: a formula, not text
    r_header = sheet.first_row(r + 3, 所在文件=sheet.get(r + 3, "所在文件"))
    sheet.set(r_header, "核对版本", "行政处罚法：1996 版")
    dup_of = sheet.row_of("xzcf-010-01")
    dup = sheet.ws.max_row + 1
    for title, col in sheet.cols.items():
        sheet.ws.cell(row=dup, column=col).value = sheet.get(dup_of, title)
    before = snapshot(bank_copy)
    with pytest.raises(XlsxImportError) as info:
        import_xlsx(sheet.save(tmp_path / "bad.xlsx"), bank_copy)
    by_row = {}
    for row, why in info.value.problems:
        by_row.setdefault(row, []).append(why)
    assert by_row[r] == ["题型应为 单选题、多选题 或 判断题，而不是 '问答题'"]  # no second, English-only message
    assert any("不是题目文件的相对路径" in why for why in by_row[r + 1])
    assert any("“解析”是公式" in why for why in by_row[r + 2])
    assert any("文件头" in why and "不一致" in why for why in by_row[r_header])
    assert by_row[dup] == [f"id 重复：第 {dup_of} 行 已使用"]
    assert snapshot(bank_copy) == before


def test_questions_cannot_be_deleted_by_import(exported, bank_copy, tmp_path):
    sheet = Sheet(exported)
    qid = sheet.get(7, "编号")
    sheet.ws.delete_rows(7)
    before = snapshot(bank_copy)
    with pytest.raises(XlsxImportError) as info:
        import_xlsx(sheet.save(tmp_path / "deleted.xlsx"), bank_copy)
    assert len(info.value.problems) == 1
    row, why = info.value.problems[0]
    assert row == 0 and qid in why and "不能删除" in why
    assert info.value.report().startswith("全表：")
    assert snapshot(bank_copy) == before


# --- edits --------------------------------------------------------------------------------------


def test_an_edited_explanation_is_imported_and_only_its_file_changes(exported, bank_copy, tmp_path, real_bank):
    sheet = Sheet(exported)
    qid = "xzcf-010-01"
    r = sheet.row_of(qid)
    new = "限制人身自由的行政处罚只能由法律设定（第十条第二款），行政法规、地方性法规、规章均不能设定。"
    sheet.set(r, "解析", new)
    before = snapshot(bank_copy)
    import_xlsx(sheet.save(tmp_path / "edited.xlsx"), bank_copy)

    bank = load_bank(bank_copy)
    assert bank.questions[qid].explanation == new
    old = real_bank.questions[qid]
    assert bank.questions[qid].content_hash == old.content_hash  # the explanation is not part of the content hash
    for other in real_bank.questions.values():
        if other.id != qid:
            assert bank.questions[other.id].explanation == other.explanation
    after = snapshot(bank_copy)
    assert [k for k in before if before[k] != after[k]] == ["laws/administrative_penalty_law.yaml"]
    text = after["laws/administrative_penalty_law.yaml"].decode("utf-8")
    assert text.startswith("law: administrative_penalty_law\nchecked_against: {administrative_penalty_law: ")
    assert f"explanation: {new}" in text


def test_a_new_row_adds_a_question(exported, bank_copy, tmp_path):
    sheet = Sheet(exported)
    src = sheet.row_of("xzcf-010-01")
    new_row = sheet.ws.max_row + 1
    for title, col in sheet.cols.items():
        sheet.ws.cell(row=new_row, column=col).value = sheet.get(src, title)
    sheet.set(new_row, "编号", "xzcf-010-99")
    sheet.set(new_row, "题干", "根据《行政处罚法》，可以设定限制人身自由的行政处罚的是（ ）。")
    sheet.set(new_row, "依据1条款", "10")
    import_xlsx(sheet.save(tmp_path / "added.xlsx"), bank_copy)
    q = load_bank(bank_copy).questions["xzcf-010-99"]
    assert q.stem.startswith("根据《行政处罚法》，可以设定") and q.sources[0].article == 10
    assert q.file.endswith("laws/administrative_penalty_law.yaml")


def test_formula_looking_text_round_trips(tmp_path, real_bank):
    bank = Path(shutil.copytree(REAL_BANK, tmp_path / "bank"))
    path = bank / "laws" / "administrative_penalty_law.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    q = next(q for q in data["questions"] if q["type"] == "single")
    q["stem"] = "=SUM(A1:A2) 这样的内容出现在题干开头，是否构成行政处罚？（ ）"
    q["options"][0] = "-罚款五千元"
    q["options"][1] = "'=已经带单引号的文字"
    q["explanation"] = "@解析以 @ 开头。"
    q["source"]["quote"] = "+原文以加号开头。"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    expected = load_bank(bank).questions[q["id"]]

    xlsx = tmp_path / "formula.xlsx"
    export_xlsx(bank, xlsx)
    sheet = Sheet(xlsx)
    r = sheet.row_of(q["id"])
    for title, value in (("题干", "'=SUM"), ("选项A", "'-"), ("选项B", "''="), ("解析", "'@"), ("依据1原文", "'+")):
        cell = sheet.cell(r, title)
        assert cell.data_type == "s" and cell.value.startswith(value), title

    # into the bank that holds them: nothing to change
    before = snapshot(bank)
    import_xlsx(xlsx, bank)
    assert snapshot(bank) == before
    # into a fresh copy of the real bank: the text arrives exactly, apostrophes removed
    fresh = Path(shutil.copytree(REAL_BANK, tmp_path / "fresh"))
    import_xlsx(xlsx, fresh)
    got = load_bank(fresh).questions[q["id"]]
    assert got.stem == expected.stem and got.stem.startswith("=SUM")
    assert got.options == expected.options and got.options[:2] == ("-罚款五千元", "'=已经带单引号的文字")
    assert got.explanation == "@解析以 @ 开头。" and got.sources[0].quote == "+原文以加号开头。"
    assert got.content_hash == expected.content_hash
    others = {k: v for k, v in load_bank(fresh).questions.items() if k != q["id"]}
    assert all(v.content_hash == real_bank.questions[k].content_hash for k, v in others.items())


# --- command line -------------------------------------------------------------------------------


def test_cli_export_and_import(bank_copy, tmp_path):
    xlsx = tmp_path / "cli.xlsx"
    run = lambda *a: subprocess.run(
        [sys.executable, "-m", "training_app.cli", "bank", *a],  # noqa: E731
        capture_output=True,
        text=True,
        timeout=120,
    )
    r = run("export-xlsx", str(xlsx), "--dir", str(bank_copy))
    assert r.returncode == 0, r.stderr
    assert "已导出" in r.stdout and xlsx.is_file()
    sheet = Sheet(xlsx)
    sheet.set(3, "难度", 7)
    before = snapshot(bank_copy)
    r = run("import-xlsx", str(sheet.save(tmp_path / "bad.xlsx")), "--dir", str(bank_copy))
    assert r.returncode == 1
    assert "第 3 行：难度 difficulty 应为 1、2 或 3，而不是 7" in r.stdout
    assert "题库未改动" in r.stderr
    assert snapshot(bank_copy) == before


def test_import_keeps_a_law_files_left_out(tmp_path, small_bank_dir):
    """left_out is not in the workbook: rewriting the file from an edited workbook keeps it."""
    src = Path(shutil.copytree(small_bank_dir, tmp_path / "src"))
    mk = src / "must_know.yaml"
    mk.write_text(
        mk.read_text(encoding="utf-8").replace("id_prefix: ja,", "id_prefix: ja, articles: 40,"), encoding="utf-8"
    )
    law_a = src / "laws" / "law_a.yaml"
    lines = law_a.read_text(encoding="utf-8").splitlines(keepends=True)
    law_a.write_text(
        "".join(lines[:2]) + "left_out:\n  1: 立法目的\n  40: 施行日期\n" + "".join(lines[2:]), encoding="utf-8"
    )
    xlsx = tmp_path / "bank.xlsx"
    export_xlsx(src, xlsx)
    sheet = Sheet(xlsx)
    sheet.set(sheet.row_of("ja-001-01"), "解析", "改写后的解析。")
    import_xlsx(sheet.save(tmp_path / "edited.xlsx"), src)
    bank = load_bank(src)
    assert bank.questions["ja-001-01"].explanation == "改写后的解析。"
    assert bank.left_out == {"law_a": {1: "立法目的", 40: "施行日期"}}
    assert "left_out:\n  1: 立法目的\n  40: 施行日期\nquestions:\n" in law_a.read_text(encoding="utf-8")
