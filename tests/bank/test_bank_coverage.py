"""Article coverage of the core enforcement texts: article counts in must_know.yaml (checked against the official
texts when ../shared is present), each law file's left_out, and what `bank stats` makes of them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHARED
from training_app.bank import BankError, load_bank
from training_app.bank.stats import CORE_TEXTS, article_coverage, bank_stats

# The law-text corpus: ../shared/laws next to the repository (LAWTEXT_DIR, as lawtext.py reads it, overrides).
LAWS = Path(os.environ.get("LAWTEXT_DIR") or SHARED / "laws")
LAWTEXT = LAWS.parent / "tools" / "lawtext.py"
needs_shared = pytest.mark.skipif(
    not (LAWS / "MANIFEST.yaml").is_file() or not LAWTEXT.is_file(),
    reason="../shared (the law-text corpus) is not present",
)


def _with_articles(root: Path, n: int = 40) -> None:
    mk = root / "must_know.yaml"
    text = mk.read_text(encoding="utf-8")
    mk.write_text(text.replace("id_prefix: ja,", f"id_prefix: ja, articles: {n},"), encoding="utf-8")


def _with_left_out(root: Path, body: str, file: str = "laws/law_a.yaml") -> None:
    path = root / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + body + "".join(lines[2:]), encoding="utf-8")


@pytest.fixture
def bank_root(tmp_path, small_bank_dir) -> Path:
    root = tmp_path / "bank"
    shutil.copytree(small_bank_dir, root)
    return root


def test_left_out_is_parsed_into_the_bank_and_counted(bank_root):
    _with_articles(bank_root)
    _with_left_out(bank_root, "left_out:\n  1: 立法目的\n  '40': 施行日期\n")
    bank = load_bank(bank_root)
    assert bank.laws["law_a"].articles == 40
    assert bank.left_out == {"law_a": {1: "立法目的", 40: "施行日期"}}
    # law_a's questions cite articles 1-36: testable 2-39 (38), covered 2-36 (35)
    (row,) = article_coverage(bank, slugs=("law_a",))
    assert (row["articles"], row["left_out"], row["testable"], row["covered"]) == (40, 2, 38, 35)
    assert row["coverage"] == round(35 / 38, 4) and row["met"] and row["uncovered"] == [37, 38, 39]
    assert row["left_out_but_cited"] == ["1"]


def test_coverage_below_target_and_missing_counts_are_shortfalls(bank_root):
    _with_articles(bank_root, 80)
    bank = load_bank(bank_root)
    (row,) = article_coverage(bank, slugs=("law_a",))
    assert row["coverage"] == 0.45 and not row["met"] and len(row["uncovered"]) == 44
    (row_b,) = article_coverage(bank, slugs=("law_b",))
    assert row_b["coverage"] is None and not row_b["met"]


# (left_out body inserted at line 3 of laws/law_a.yaml, must_know articles, line, message fragment)
BAD_LEFT_OUT = {
    "out_of_range": (
        "left_out:\n  1: 立法目的\n  41: 不存在的条文\n",
        40,
        5,
        "left_out 中的第四十一条超出《甲法》的条文范围 1-40",
    ),
    "no_reason": ("left_out:\n  1: 立法目的\n  2: ''\n", 40, 5, "left_out 中第二条缺少不出题的理由"),
    "bad_key": ("left_out:\n  第一条: 立法目的\n  第x条: 无法识别\n", 40, 5, "无法识别的条文序号 '第x条'"),
    "duplicate": ("left_out:\n  1: 立法目的\n  第一条: 又写了一次\n", 40, 5, "left_out 中第一条重复"),
    "not_a_mapping": ("left_out: [1, 2]\n", 40, 3, "left_out 应为 {条文序号: 不出题的理由} 映射"),
    "no_article_count": ("left_out:\n  1: 立法目的\n", None, 4, "未记录条文数 articles"),
}


@pytest.mark.parametrize("kind", sorted(BAD_LEFT_OUT))
def test_a_bad_left_out_is_named_with_file_and_line(bank_root, kind):
    body, articles, line, message = BAD_LEFT_OUT[kind]
    if articles:
        _with_articles(bank_root, articles)
    _with_left_out(bank_root, body)
    with pytest.raises(BankError) as exc:
        load_bank(bank_root)
    issue = next((i for i in exc.value.issues if message in i.message), None)
    assert issue is not None, exc.value.report()
    assert (issue.file, issue.line) == ("bank/laws/law_a.yaml", line), str(issue)
    assert str(issue).startswith(f"bank/laws/law_a.yaml:{line}: -: ")


def test_left_out_only_in_a_law_file(bank_root):
    (bank_root / "practice").mkdir()
    (bank_root / "practice" / "evidence.yaml").write_text(
        "topic: 证据收集与执法程序\nchecked_against: {law_a: '2020 修订'}\nleft_out:\n  1: 立法目的\nquestions: []\n",
        encoding="utf-8",
    )
    with pytest.raises(BankError) as exc:
        load_bank(bank_root)
    assert "bank/practice/evidence.yaml:4: -: left_out 只能写在一部法律的题目文件" in exc.value.report()


def test_every_core_text_records_its_article_count(real_bank):
    for slug in CORE_TEXTS:
        assert real_bank.laws[slug].articles, slug
    rows = {r["slug"]: r for r in bank_stats(real_bank)["coverage"]}
    assert set(rows) == set(CORE_TEXTS) and all(r["coverage"] is not None for r in rows.values())


def test_real_bank_validity_follows_the_documented_findings(real_bank):
    laws = real_bank.laws
    assert laws["guangxi_admin_enforcement_supervision_measures"].validity == "unverified"
    assert laws["rule_of_law_government_outline_2021_2025"].validity == "period_ended"
    others = [
        law
        for slug, law in laws.items()
        if slug not in ("guangxi_admin_enforcement_supervision_measures", "rule_of_law_government_outline_2021_2025")
    ]
    assert all(law.validity == "in_force" for law in others)
    assert all(law.validity_checked == "2026-12-06" and law.validity_note for law in laws.values())


@needs_shared
def test_article_counts_match_the_official_texts(real_bank):
    out = subprocess.run(
        [sys.executable, str(LAWTEXT), "--dir", str(LAWS), "stats"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    counts = {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in out.splitlines())
        if len(parts) >= 2 and parts[1].isdigit()
    }
    manifest = {e["slug"]: e for e in yaml.safe_load((LAWS / "MANIFEST.yaml").read_text(encoding="utf-8"))["laws"]}
    for slug, law in real_bank.laws.items():
        if law.articles is not None:
            assert law.articles == counts[slug] == manifest[slug]["article_count"], slug


@needs_shared
def test_validity_agrees_with_the_corpus_manifest(real_bank):
    manifest = {e["slug"]: e for e in yaml.safe_load((LAWS / "MANIFEST.yaml").read_text(encoding="utf-8"))["laws"]}
    for slug, law in real_bank.laws.items():
        status = manifest[slug]["status"]
        assert status != "repealed", slug
        # "current" in the corpus is in force here; anything else is not
        assert law.in_force == (status == "current"), (slug, status, law.validity)
