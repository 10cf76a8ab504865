"""The bank loader under arbitrary YAML (hypothesis).

Whatever a question file (or a blueprint) holds, load_checked_bank either returns a bank or raises BankError, and
every issue names its place as ``file:line`` inside a file of the bank. No other exception escapes, and a
bank that loads contains exactly the fuzzed file's questions, each pointing back at its line.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import MUST_KNOW
from training_app.bank import BankError
from training_app.services.common import load_checked_bank

# FUZZ_EXAMPLES=2000 runs a deeper search than the default, which keeps the suite quick.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TYPES = ("single", "multiple", "judge")

VALID_QUESTION = {
    "id": "ja-001-01",
    "type": "single",
    "stem": "甲法第1条规定的事项（ ）。",
    "options": ["选项一", "选项二", "选项三", "选项四"],
    "answer": "B",
    "explanation": "依据条文。",
    "source": {"law": "中华人民共和国甲法", "article": 1, "quote": "第1条的原文"},
    "difficulty": 2,
    "tags": ["测试"],
    "topics": ["证据收集与执法程序"],
}
OTHER_FILE = """law: law_b
checked_against: '2021 公布'
questions:
  - id: yb-001-01
    type: judge
    stem: 乙条例第1条规定的事项。
    answer: true
    explanation: 依据条文。
    source: {law: 乙条例, article: 1, quote: 第1条的原文}
    difficulty: 1
"""
BLUEPRINT = {
    "title": "测验",
    "audience": "officers",
    "time_limit_minutes": 30,
    "pass_mark": 60,
    "points": {"single": 2, "judge": 2},
    "sections": [{"type": "judge", "count": 1, "laws": ["law_b"]}],
}


# --- strategies ----------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.sampled_from(
        [
            "single",
            "multiple",
            "judge",
            "A",
            "AC",
            "true",
            "第三十三条",
            "20-1",
            "law_a",
            "law_b",
            "中华人民共和国甲法",
            "乙条例",
            "证据收集与执法程序",
            "2020 修订",
            "",
            " ",
            "~",
            "null",
        ]
    ),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers(-3, 9), st.booleans()), inner, max_size=4),
    ),
    max_leaves=10,
)


@st.composite
def question(draw):
    """A valid question with a few fields deleted, replaced by arbitrary YAML, or added."""
    q = dict(VALID_QUESTION)
    q["type"] = draw(st.sampled_from(TYPES))
    if q["type"] == "judge":
        q.pop("options")
        q["answer"] = draw(st.booleans())
    elif q["type"] == "multiple":
        q["answer"] = ["A", "C"]
    q["id"] = f"ja-{draw(st.integers(1, 999)):03d}-0{draw(st.integers(1, 9))}"
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from([*VALID_QUESTION, "sources", "checked_against", "extra"]))
        action = draw(st.sampled_from(["delete", "replace", "replace"]))
        if action == "delete":
            q.pop(key, None)
        else:
            q[key] = draw(yaml_values)
    return q


@st.composite
def question_file(draw) -> str:
    doc: dict = {
        "law": "law_a",
        "checked_against": "2020 修订",
        "questions": draw(st.lists(question(), min_size=0, max_size=4)),
    }
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(["law", "checked_against", "questions", "topic"]))
        if draw(st.booleans()):
            doc.pop(key, None)
        else:
            doc[key] = draw(yaml_values)
    top = draw(st.one_of(st.just(doc), st.just(doc), st.just(doc), yaml_values))
    text = yaml.safe_dump(top, allow_unicode=True, sort_keys=False, default_flow_style=draw(st.booleans()))
    return draw(_damaged(text))


@st.composite
def _damaged(draw, text: str) -> str:
    """The text as written, or with a line dropped or doubled, or a few characters spliced in."""
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["none", "none", "drop", "double", "splice"]))
    if how in ("drop", "double") and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines[i : i + 1] = [] if how == "drop" else [lines[i], lines[i]]
        return "".join(lines)
    if how == "splice":
        i = draw(st.integers(0, len(text)))
        return (
            text[:i]
            + draw(
                st.text(st.sampled_from(list(":-[]{}#&*!|>'\"%@` \t\n?,") + ["\u3000", "é"]), min_size=1, max_size=4)
            )
            + text[i:]
        )
    return text


def _lines(path: Path) -> int:
    """An upper bound on the line numbers a file can have (YAML also breaks lines at \\x85, \\u2028, \\u2029)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    return max(1, len(text.splitlines())) + 1


# --- the checks ----------------------------------------------------------------------------------


@pytest.fixture
def bank_root(tmp_path):
    root = tmp_path / "bank"
    (root / "laws").mkdir(parents=True)
    (root / "must_know.yaml").write_text(MUST_KNOW, encoding="utf-8")
    (root / "laws" / "law_b.yaml").write_text(OTHER_FILE, encoding="utf-8")
    return root


def _load_and_check(root: Path):
    """load_checked_bank(root): a bank, or a BankError whose issues each name a file of the bank and a line in it.
    Any other exception is a crash, and fails the test (the crashes fuzzing found are fixed; their smallest
    inputs are the regression tests below)."""
    files = {str(p.relative_to(root.parent)): p for p in root.rglob("*") if p.is_file()}
    try:
        bank = load_checked_bank(root)  # what the app start and `training-app bank check` run
    except BankError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.file in files, (issue.file, sorted(files))
            assert 1 <= issue.line <= _lines(files[issue.file]), (str(issue), _lines(files[issue.file]))
            assert issue.message.strip()
            assert str(issue).startswith(f"{issue.file}:{issue.line}: ")
            assert str(issue) in str(exc) and str(issue) in exc.report()
        event("BankError")
        return None
    event("loaded")
    return bank


@FUZZ
@given(text=st.one_of(question_file(), st.text(max_size=200)))
def test_any_question_file_loads_or_names_the_place(bank_root, text):
    target = bank_root / "laws" / "law_a.yaml"
    target.write_text(text, encoding="utf-8")
    bank = _load_and_check(bank_root)
    if bank is not None:
        mine = [q for q in bank.questions.values() if q.file.endswith("law_a.yaml")]
        for q in mine:
            assert 1 <= q.line <= _lines(target)
            assert q.id in text


@FUZZ
@given(blob=st.binary(max_size=300))
def test_any_bytes_as_a_question_file_load_or_name_the_place(bank_root, blob):
    (bank_root / "laws" / "law_a.yaml").write_bytes(blob)
    _load_and_check(bank_root)


@st.composite
def blueprint_file(draw) -> str:
    doc = yaml.safe_load(yaml.safe_dump(BLUEPRINT))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*BLUEPRINT, "partial_credit", "description"]))
        if draw(st.integers(0, 3)) == 0:
            doc.pop(key, None)
        else:
            doc[key] = draw(yaml_values)
    if draw(st.booleans()):  # or fuzz inside the one section
        section = {"type": "judge", "count": 1}
        key = draw(st.sampled_from(["type", "count", "laws", "topics", "difficulty", "audience", "tags", "label"]))
        section[key] = draw(yaml_values)
        doc["sections"] = [section]
    return draw(_damaged(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)))


@FUZZ
@given(text=blueprint_file())
def test_any_blueprint_loads_or_names_the_place(bank_root, text):
    bp = bank_root / "blueprints"
    shutil.rmtree(bp, ignore_errors=True)
    bp.mkdir()
    (bp / "fuzz.yaml").write_text(text, encoding="utf-8")
    _load_and_check(bank_root)


# --- regression tests: the smallest input of each crash the fuzzing found ---------------------------------

QUESTION = """  - id: ja-001-01
    type: single
    stem: 甲法第1条规定的事项（ ）。
    options: [选项一, 选项二, 选项三, 选项四]
    answer: B
    explanation: 依据条文。
    source: {law: 中华人民共和国甲法, article: 1, quote: 第1条的原文}
    difficulty: 2
"""
HEAD = "law: law_a\nchecked_against: '2020 修订'\nquestions:\n"
BP = "title: 测验\ntime_limit_minutes: 30\npass_mark: 60\nsections: [{type: judge, count: 1, laws: [law_b]}]\n"
QUESTION_CRASHES = {
    "law-header-list": "law: [law_a]\nchecked_against: '2020 修订'\nquestions:\n" + QUESTION,
    "topic-header-list": "topic: [证据收集与执法程序]\nquestions:\n" + QUESTION,
    "topics-number": HEAD + QUESTION + "    topics: 5\n",
    "topics-true": HEAD + QUESTION + "    topics: true\n",
    "topics-nested-list": HEAD + QUESTION + "    topics: [[证据收集与执法程序]]\n",
}
BLUEPRINT_CRASHES = {
    "time-text": BP.replace("time_limit_minutes: 30", "time_limit_minutes: 三十"),
    "time-inf": BP.replace("time_limit_minutes: 30", "time_limit_minutes: .inf"),
    "pass-text": BP.replace("pass_mark: 60", "pass_mark: 六十"),
    "points-text": BP + "points: {judge: 两分}\n",
    "sections-number": BP.replace("sections: [{type: judge, count: 1, laws: [law_b]}]", "sections: 5"),
    "laws-number": BP.replace("laws: [law_b]", "laws: 5"),
    "laws-nested": BP.replace("laws: [law_b]", "laws: [[law_b]]"),
    "topics-number": BP.replace("laws: [law_b]", "topics: 5"),
    "audience-number": BP.replace("laws: [law_b]", "audience: 5"),
    "tags-number": BP.replace("laws: [law_b]", "tags: 5"),
    "difficulty-text": BP.replace("laws: [law_b]", "difficulty: {1: 一}"),
    "tags-nested": BP.replace("laws: [law_b]", "tags: [[案例分析]]"),
}


@pytest.mark.parametrize("text", list(QUESTION_CRASHES.values()), ids=list(QUESTION_CRASHES))
def test_known_question_file_crash(bank_root, text):
    (bank_root / "laws" / "law_a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BankError) as info:
        load_checked_bank(bank_root)
    assert all(i.file.endswith("laws/law_a.yaml") and i.line >= 1 for i in info.value.issues)


@pytest.mark.parametrize("text", list(BLUEPRINT_CRASHES.values()), ids=list(BLUEPRINT_CRASHES))
def test_known_blueprint_crash(bank_root, text):
    (bank_root / "blueprints").mkdir()
    (bank_root / "blueprints" / "fuzz.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BankError) as info:
        load_checked_bank(bank_root)
    assert all(i.file.endswith("blueprints/fuzz.yaml") and i.line >= 1 for i in info.value.issues)
