"""Validity of each must-know document: exams leave out questions citing a document not in force unless a
blueprint section names it; practice still offers them, with a note; the loader refuses unknown values."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from training_app.bank import BankError, load_bank
from training_app.engine.paper import assemble_paper, section_pool
from training_app.services import learning

# A law_a question that also cites law_c (so it depends on law_c too).
TWO_SOURCES = """law: law_a
checked_against: {law_a: '2020 修订', law_c: '2022 印发'}
questions:
  - id: ja-901-01
    type: single
    stem: 一道同时依据甲法和丙规定的题（ ）。
    options: [甲, 乙, 丙, 丁]
    answer: C
    explanation: 两者都有规定。
    sources:
      - {law: 中华人民共和国甲法, article: 1, quote: 第1条的原文}
      - {law: 丙规定, article: 2, quote: 第2条的原文}
    difficulty: 2
    tags: [测试]
"""
NAMED = """title: 点名丙规定
audience: all
time_limit_minutes: 20
pass_mark: 60
sections:
  - {type: single, count: 5, laws: [law_c]}
  - {type: single, count: 5, laws: [law_a, law_c]}
  - {type: judge, count: 8}
"""


def _set_validity(root: Path, slug: str, validity: str, note: str | None = "未核实是否仍然有效") -> None:
    mk = root / "must_know.yaml"
    text = mk.read_text(encoding="utf-8")
    prefix = {"law_a": "ja", "law_b": "yb", "law_c": "bc"}[slug]
    old = f"id_prefix: {prefix},\n   validity: in_force,"
    assert old in text
    extra = f" validity_note: {note}," if note else ""
    mk.write_text(text.replace(old, f"id_prefix: {prefix},\n   validity: {validity},{extra}"), encoding="utf-8")


@pytest.fixture
def unverified_bank_dir(tmp_path, small_bank_dir) -> Path:
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    _set_validity(root, "law_c", "unverified")
    (root / "laws" / "two_sources.yaml").write_text(TWO_SOURCES, encoding="utf-8")
    (root / "blueprints" / "named.yaml").write_text(NAMED, encoding="utf-8")
    return root


def test_law_exposes_its_validity(unverified_bank_dir):
    bank = load_bank(unverified_bank_dir)
    law_c = bank.laws["law_c"]
    assert (law_c.validity, law_c.in_force, law_c.validity_checked) == ("unverified", False, "2026-12-06")
    assert law_c.validity_note == "未核实是否仍然有效"
    assert law_c.validity_notice == "本题依据的《丙规定》现行效力未经核实，仅供学习参考"
    assert bank.laws["law_a"].in_force and bank.laws["law_a"].validity_notice == ""


def test_exam_draws_never_contain_a_question_on_a_document_not_in_force(unverified_bank_dir):
    bank = load_bank(unverified_bank_dir)
    on_c = {q.id for q in bank.questions.values() if any(s.law_slug == "law_c" for s in q.sources)}
    assert "ja-901-01" in on_c and len(on_c) == 37
    for bid in ("small_exam", "leaders_quiz"):
        for seed in range(200):
            paper = assemble_paper(bank, bank.blueprints[bid], seed)
            assert not {s.qid for s in paper.slots} & on_c, (bid, seed)
    # a section with laws: [law_a] does not take the law_a question that also cites law_c
    assert "ja-901-01" not in {q.id for q in section_pool(bank, bank.blueprints["small_exam"].sections[0])}


def test_a_section_that_names_the_document_draws_it(unverified_bank_dir):
    bank = load_bank(unverified_bank_dir)
    bp = bank.blueprints["named"]
    assert all(any(s.law_slug == "law_c" for s in q.sources) for q in section_pool(bank, bp.sections[0]))
    assert len(section_pool(bank, bp.sections[0])) == 13  # law_c's 12 singles and the two-source one
    assert "ja-901-01" in {q.id for q in section_pool(bank, bp.sections[1])}
    assert not any(q.law == "law_c" for q in section_pool(bank, bp.sections[2]))  # judge, names no law
    seen = set()
    for seed in range(100):
        qs = [bank.questions[s.qid] for s in assemble_paper(bank, bp, seed).slots]
        assert sum(q.law == "law_c" for q in qs if q.type == "judge") == 0
        assert sum(any(s.law_slug == "law_c" for s in q.sources) for q in qs if q.type == "single") >= 5
        seen.update(q.id for q in qs)
    assert "ja-901-01" in seen


def test_period_ended_is_left_out_of_exams_too(tmp_path, small_bank_dir):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    _set_validity(root, "law_b", "period_ended", "实施期限 2021－2025 年已届满")
    (root / "blueprints" / "small_exam.yaml").unlink()  # it names law_b (kept) but also draws law_b elsewhere
    bank = load_bank(root)
    assert bank.laws["law_b"].validity_notice == "本题依据的《乙条例》实施期限已届满，仅供学习参考"
    for seed in range(100):
        paper = assemble_paper(bank, bank.blueprints["leaders_quiz"], seed)
        assert all(bank.questions[s.qid].law != "law_b" for s in paper.slots)


def test_named_section_keeps_the_small_exam_satisfiable(tmp_path, small_bank_dir):
    """small_exam's second section names law_b: law_b singles stay drawable there while period_ended."""
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    _set_validity(root, "law_b", "period_ended", "期限届满")
    bank = load_bank(root)
    bp = bank.blueprints["small_exam"]
    for seed in range(50):
        qs = [bank.questions[s.qid] for s in assemble_paper(bank, bp, seed).slots]
        assert sum(q.law == "law_b" for q in qs) == 3  # exactly the named section's three


@pytest.mark.parametrize(
    "validity,note,message",
    [
        ("repealed", "已废止", "未知的现行效力 'repealed'"),
        ("unverified", None, "须在 validity_note 中写明原因"),
    ],
)
def test_loader_refuses_a_bad_validity_with_file_and_line(tmp_path, small_bank_dir, validity, note, message):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    _set_validity(root, "law_c", validity, note)
    with pytest.raises(BankError) as exc:
        load_bank(root)
    issue = next(i for i in exc.value.issues if message in i.message)
    assert (issue.file, issue.line, issue.qid) == ("bank/must_know.yaml", 6, "law_c"), str(issue)


def test_loader_requires_validity_and_the_date_checked(tmp_path, small_bank_dir):
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    mk = root / "must_know.yaml"
    text = mk.read_text(encoding="utf-8")
    text = text.replace("id_prefix: ja,\n   validity: in_force, validity_checked: 2026-12-06}", "id_prefix: ja}")
    text = text.replace(
        "id_prefix: yb,\n   validity: in_force, validity_checked: 2026-12-06}",
        "id_prefix: yb,\n   validity: in_force, validity_checked: 上周}",
    )
    mk.write_text(text, encoding="utf-8")
    with pytest.raises(BankError) as exc:
        load_bank(root)
    report = exc.value.report()
    assert "validity_note" not in report  # a missing validity is one problem, not two
    assert "bank/must_know.yaml:2: law_a: 缺少现行效力 validity（应为 in_force / period_ended / unverified）" in report
    assert "bank/must_know.yaml:2: law_a: validity_checked 应为核实现行效力的日期" in report
    assert "bank/must_know.yaml:3: law_b: validity_checked 应为核实现行效力的日期" in report


def test_practice_offers_the_question_with_a_note(sqlite_app, unverified_bank_dir):
    from tests.support.factory import make_person, make_units

    app = replace(sqlite_app, bank=load_bank(unverified_bank_dir))
    person = make_person(app, "LN00009", unit_id=make_units(app)[0])
    ids = learning.practice_set(app, person, law="law_c", n=50, seed=1)
    assert len(ids) == 37  # every law_c question, the two-source one included
    note = "本题依据的《丙规定》现行效力未经核实，仅供学习参考"
    assert learning.practice_notes(app, ids[0]) == [note]
    q = app.bank.questions[ids[0]]
    fb = learning.answer_practice(app, person, q.id, q.answer)
    assert fb.correct and fb.notes == [note]
    in_force = next(i for i in sorted(app.bank.questions) if app.bank.questions[i].law == "law_b")
    assert learning.practice_notes(app, in_force) == []
    assert learning.answer_practice(app, person, in_force, app.bank.questions[in_force].answer).notes == []
