"""The real bank: every blueprint is satisfiable many times over, and no two questions are the same question."""

import difflib
import itertools
import re
from collections import Counter

import pytest

from training_app.bank.stats import bank_stats
from training_app.engine.paper import assemble_paper, paper_overlap

# Pairs that cite the same article with similar stems, read and kept because they test different points.
REVIEWED_DISTINCT = {
    frozenset({"xzfy-012-01", "fyssl-009-01"}),  # what is outside the scope vs what is inside (another list)
    frozenset({"cljz-s12-01", "cljz-s12-02"}),  # the unit's own benchmark vs a superior department's
    frozenset({"zfjd-006-01", "zfjd-006-02"}),  # who the supervision body is vs whether the 司法所 is
    frozenset({"gwycf-021-01", "gwycf-021-02"}),  # 行政处罚 (light) vs 行政强制措施 (serious)
}
_PUNCT = re.compile(r"[\s（）()，。、；：“”《》？?！!…·\-]")


def test_every_blueprint_meets_its_counts_in_200_draws(real_bank):
    for bp in real_bank.blueprints.values():
        seen = set()
        for seed in range(200):
            paper = assemble_paper(real_bank, bp, seed)
            qs = [real_bank.questions[s.qid] for s in paper.slots]
            assert len(qs) == bp.question_count == len({q.id for q in qs})
            for sec in bp.sections:
                if sec.type != "any":
                    assert Counter(q.type for q in qs)[sec.type] >= sec.count
            assert paper.max_score == pytest.approx(bp.total_points)
            assert not any(q.needs_review for q in qs)
            seen.add(frozenset(q.id for q in qs))
        assert len(seen) >= 190, f"{bp.id}: only {len(seen)} different papers in 200 draws"
    annual = real_bank.blueprints["annual_officer_exam"]
    assert (annual.question_count, annual.total_points, annual.time_limit_minutes, annual.pass_mark) == (
        80,
        100,
        60,
        60,
    )
    assert dict(annual.points) == {"single": 1.0, "multiple": 2.0, "judge": 1.0}


def test_leaders_blueprint_draws_from_the_leaders_list(real_bank):
    bp = real_bank.blueprints["leaders_must_know"]
    for seed in range(50):
        for s in assemble_paper(real_bank, bp, seed).slots:
            assert real_bank.laws[real_bank.questions[s.qid].law].audience in ("leaders", "all")


def test_no_two_questions_are_the_same_question(real_bank):
    by_article = {}
    for q in real_bank.questions.values():
        for s in q.sources:
            by_article.setdefault((s.law_slug, s.article, s.section), []).append(q)
    similar = []
    for group in by_article.values():
        for a, b in itertools.combinations(group, 2):
            ratio = difflib.SequenceMatcher(None, _PUNCT.sub("", a.stem), _PUNCT.sub("", b.stem)).ratio()
            if ratio > 0.75 and frozenset({a.id, b.id}) not in REVIEWED_DISTINCT:
                similar.append((a.id, b.id, round(ratio, 2)))
    assert not similar, f"near-duplicate questions to review: {sorted(set(similar))}"
    stems = Counter(_PUNCT.sub("", q.stem) for q in real_bank.questions.values())
    assert stems.most_common(1)[0][1] == 1


def test_bank_targets_are_met(real_bank):
    """Issue #14's targets (fails until the writers' questions are merged): >= 2000 questions, single >= 40%,
    multiple and judge >= 20% each, >= 400 case questions, >= 90% article coverage of each core text, >= 30
    questions per law (民法典, 生态环境法典 >= 40), >= 10 per topic, and two annual-exam papers sharing <= 15%."""
    overlaps = {
        bid: {"pairs": o.pairs, "mean": o.mean, "worst": o.worst}
        for bid, o in ((bid, paper_overlap(real_bank, bp)) for bid, bp in real_bank.blueprints.items())
    }
    stats = bank_stats(real_bank, overlaps=overlaps)
    assert stats["all_targets_met"], stats["shortfalls"]
    assert stats["total"] >= 2000 and stats["cases"] >= 400
    assert {t["type"]: t["share"] >= t["target_share"] for t in stats["types"]} == {
        "single": True,
        "multiple": True,
        "judge": True,
    }
    assert len(stats["coverage"]) == 8 and all(row["coverage"] >= 0.90 for row in stats["coverage"])
    assert all(
        row["questions"] >= (40 if row["slug"] in ("civil_code", "ecological_environment_code") else 30)
        for row in stats["laws"]
    )
    assert all(row["questions"] >= 10 for row in stats["topics"])
    assert overlaps["annual_officer_exam"]["mean"] <= 0.15


def test_answer_letters_are_spread(real_bank):
    singles = Counter(q.answer for q in real_bank.questions.values() if q.type == "single")
    assert min(singles.values()) / max(singles.values()) > 0.6, singles
    judges = Counter(q.answer for q in real_bank.questions.values() if q.type == "judge")
    assert min(judges.values()) / max(judges.values()) > 0.6, judges


def test_no_catch_all_options_and_no_repealed_law(real_bank):
    for q in real_bank.questions.values():
        assert not any("以上" in o and ("都" in o or "均" in o) for o in q.options), q.id
        assert all(s.law_slug != "environmental_protection_law" for s in q.sources)
