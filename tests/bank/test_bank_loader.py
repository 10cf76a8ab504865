"""The bank loader reports every problem with file, line, question id and reason; a broken bank loads nothing."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from training_app.bank import BankError, load_bank
from training_app.bank.maintain import stamp
from training_app.engine.paper import blueprint_issues
from training_app.services.common import load_checked_bank

GOOD_Q = """  - id: ja-001-99
    type: single
    stem: 一道好题（ ）。
    options: [甲, 乙, 丙, 丁]
    answer: B
    explanation: 因为条文如此。
    source: {law: 中华人民共和国甲法, article: 1, quote: 原文}
    difficulty: 2
    tags: [测试]
"""

# (file body, expected line, expected id, expected reason fragment)
BROKEN = {
    "broken_yaml": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n"
        + GOOD_Q
        + "  - id: ja-002-99\n    type: single\n    stem: [未闭合\n",
        15,
        "ja-002-99",
        "YAML 格式错误",
    ),
    "unknown_type": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n" + GOOD_Q.replace("single", "essay"),
        4,
        "ja-001-99",
        "未知题型 'essay'",
    ),
    "answer_not_among_options": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n" + GOOD_Q.replace("answer: B", "answer: E"),
        4,
        "ja-001-99",
        "答案 E 不在选项 A-D 之中",
    ),
    "missing_source": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n"
        + GOOD_Q.replace("    source: {law: 中华人民共和国甲法, article: 1, quote: 原文}\n", ""),
        4,
        "ja-001-99",
        "缺少法律依据 source",
    ),
    "source_names_no_law": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n" + GOOD_Q.replace("law: 中华人民共和国甲法, ", ""),
        10,
        "ja-001-99",
        "未写明法律名称",
    ),
    "source_unknown_law": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n"
        + GOOD_Q.replace("中华人民共和国甲法", "中华人民共和国丁法"),
        10,
        "ja-001-99",
        "《中华人民共和国丁法》不在应知应会清单中",
    ),
    "duplicate_id": (
        "law: law_a\nchecked_against: '2020 修订'\nquestions:\n" + GOOD_Q.replace("ja-001-99", "ja-001-01"),
        4,
        "ja-001-01",
        "id 重复",
    ),
}


def _bank_with(tmp_path: Path, small_bank_dir: Path, name: str, body: str) -> Path:
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    (root / "laws" / f"{name}.yaml").write_text(body, encoding="utf-8")
    return root


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_kind_of_broken_file_is_named(kind, tmp_path, small_bank_dir):
    body, line, qid, reason = BROKEN[kind]
    root = _bank_with(tmp_path, small_bank_dir, kind, body)
    with pytest.raises(BankError) as exc:
        load_bank(root)
    issues = [i for i in exc.value.issues if f"{kind}.yaml" in str(i)]
    assert issues, exc.value.report()
    first = issues[0]
    assert (first.line, first.qid) == (line, qid), str(first)
    assert reason in first.message
    # file:line: id: reason (a duplicate names both places)
    assert f"bank/laws/{kind}.yaml:{line}" in str(first)
    assert str(first).startswith(f"{first.file}:{line}: {qid}: ")


def test_every_problem_is_reported_at_once(tmp_path, small_bank_dir):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    for kind, (body, *_rest) in BROKEN.items():
        (root / "laws" / f"{kind}.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(BankError) as exc:
        load_bank(root)
    report = exc.value.report()
    assert all(f"{kind}.yaml:" in report for kind in BROKEN), report


def test_bank_check_cli_exit_codes(tmp_path, small_bank_dir):
    ok = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "bank", "check", str(small_bank_dir)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "题库检查通过" in ok.stdout
    body, line, qid, reason = BROKEN["answer_not_among_options"]
    root = _bank_with(tmp_path, small_bank_dir, "bad", body)
    bad = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "bank", "check", str(root)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert f"bank/laws/bad.yaml:{line}: {qid}: {reason}" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


def test_questions_on_a_revised_law_need_review_until_confirmed(tmp_path, small_bank_dir):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    mk = root / "must_know.yaml"
    mk.write_text(mk.read_text(encoding="utf-8").replace("version: 2021 公布", "version: 2026 修订"), encoding="utf-8")
    (root / "blueprints" / "small_exam.yaml").unlink()  # it draws law_b singles, now under review
    bank = load_bank(root)
    review = {q.id for q in bank.questions.values() if q.needs_review}
    assert review == {q.id for q in bank.questions.values() if q.law == "law_b"}
    assert all(not q.needs_review for q in bank.active_questions())
    changed = stamp(root, law="law_b")
    assert changed == {"laws/law_b.yaml": 1}
    assert not any(q.needs_review for q in load_bank(root).questions.values())


def test_unsatisfiable_blueprint_fails_the_check(tmp_path, small_bank_dir):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    (root / "blueprints" / "huge.yaml").write_text(
        "title: 太大\ntime_limit_minutes: 10\npass_mark: 60\nsections:\n  - {type: single, count: 500}\n",
        encoding="utf-8",
    )
    bank = load_bank(root)  # bank/ parses and validates the files; filling a blueprint is the engine's rule
    assert [i.qid for i in blueprint_issues(bank)] == ["huge"]
    with pytest.raises(BankError) as exc:
        load_checked_bank(root)  # what the app start, `bank check` and the workbook import run
    assert any(i.qid == "huge" and "无法满足" in i.message for i in exc.value.issues)


def test_real_bank_loads_and_meets_its_blueprints(real_bank):
    assert len(real_bank.questions) >= 60
    assert len({q.law for q in real_bank.questions.values()}) >= 6
    assert "annual_officer_exam" in real_bank.blueprints
    assert "environmental_protection_law" not in real_bank.laws  # repealed: 生态环境法典 replaced it
    assert blueprint_issues(real_bank) == []
