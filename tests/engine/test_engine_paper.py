"""Paper assembly: meets the blueprint exactly, reproducible from its seed, fresh on a new seed."""

from collections import Counter

import pytest

from training_app.engine.paper import PaperError, assemble_paper, section_pool


def test_paper_meets_blueprint_exactly(small_bank):
    bp = small_bank.blueprints["small_exam"]
    for seed in range(50):
        paper = assemble_paper(small_bank, bp, seed)
        qs = [small_bank.questions[s.qid] for s in paper.slots]
        assert len(qs) == bp.question_count == 18
        assert len({q.id for q in qs}) == len(qs), "a question twice on one paper"
        assert Counter(q.type for q in qs) == {"single": 8, "multiple": 4, "judge": 6}
        # section 1: 5 single from law_a with difficulty 1:1, 2:2, 3:2 -- exactly
        law_a_single = [q for q in qs if q.type == "single" and q.law == "law_a"]
        law_b_single = [q for q in qs if q.type == "single" and q.law == "law_b"]
        assert len(law_a_single) == 5 and len(law_b_single) == 3
        assert Counter(q.difficulty for q in law_a_single) == {1: 1, 2: 2, 3: 2}
        assert paper.max_score == bp.total_points == 8 * 2 + 4 * 4 + 6 * 2
        # grouped by type in blueprint order
        assert [s.qtype for s in paper.slots] == ["single"] * 8 + ["multiple"] * 4 + ["judge"] * 6
        assert [s.slot for s in paper.slots] == list(range(1, 19))


def test_reproducible_from_seed_and_fresh_on_another(small_bank):
    bp = small_bank.blueprints["small_exam"]
    a, b = assemble_paper(small_bank, bp, 42), assemble_paper(small_bank, bp, 42)
    assert a == b
    others = {tuple((s.qid, s.order) for s in assemble_paper(small_bank, bp, seed).slots) for seed in range(20)}
    assert len(others) == 20


def test_options_are_a_permutation_and_judge_keeps_order(small_bank):
    paper = assemble_paper(small_bank, small_bank.blueprints["small_exam"], 7)
    for s in paper.slots:
        q = small_bank.questions[s.qid]
        if q.type == "judge":
            assert s.order == ()
        else:
            assert sorted(s.order) == list(range(len(q.options)))
        assert s.content_hash == q.content_hash


def test_unsatisfiable_blueprint_is_refused(small_bank):
    from dataclasses import replace

    bp = small_bank.blueprints["small_exam"]
    big = replace(bp, sections=(replace(bp.sections[0], count=99, difficulty=()),))
    with pytest.raises(PaperError, match="需要 99 题"):
        assemble_paper(small_bank, big, 1)
    hard = replace(bp, sections=(replace(bp.sections[0], count=30, difficulty=((3, 30),)),))
    with pytest.raises(PaperError, match="难度 3"):
        assemble_paper(small_bank, hard, 1)


def test_audience_filter(small_bank):
    bp = small_bank.blueprints["leaders_quiz"]
    for sec in bp.sections:
        assert {small_bank.laws[q.law].audience for q in section_pool(small_bank, sec)} <= {"leaders", "all"}
    paper = assemble_paper(small_bank, bp, 3)
    assert all(small_bank.questions[s.qid].law in ("law_a", "law_c") for s in paper.slots)


def test_questions_needing_review_are_left_out(small_bank):
    from dataclasses import replace

    flagged = {qid: replace(q, needs_review=True) if q.law == "law_b" else q for qid, q in small_bank.questions.items()}
    bank = replace(small_bank, questions=flagged)
    bp = bank.blueprints["small_exam"]
    with pytest.raises(PaperError):
        assemble_paper(bank, bp, 1)  # section 2 needs law_b singles
    pool = section_pool(bank, bp.sections[2])
    assert all(q.law != "law_b" for q in pool)


def _tiny_bank(n_single: int, n_judge: int):
    """A synthetic bank: n_single single and n_judge judge questions on one law, and no blueprint."""
    from training_app.bank.schema import Bank, LawEntry, Question, Source

    law = LawEntry("law_x", "某法", "某法", "法律", "all", "v1", "mx")
    qs = {}
    for qtype, n in (("single", n_single), ("judge", n_judge)):
        for i in range(n):
            qid = f"mx-{qtype[0]}{i:03d}-01"
            qs[qid] = Question(
                id=qid,
                type=qtype,
                stem=qid,
                options=("甲", "乙") if qtype == "single" else (),
                answer="A" if qtype == "single" else "T",
                explanation="-",
                sources=(Source("law_x", "某法", "某法", "原文", article=i + 1),),
                difficulty=2,
                tags=(),
                topics=(),
                law="law_x",
                checked_against=(("law_x", "v1"),),
                content_hash=qid,
                file="x.yaml",
                line=1,
            )
    return Bank(laws={"law_x": law}, topics={}, questions=qs, blueprints={})


def _blueprint(*sections):
    from training_app.bank.schema import Blueprint, BlueprintSection

    return Blueprint(
        id="bp",
        title="t",
        description="",
        audience="all",
        time_limit_minutes=10,
        pass_mark=60,
        points=(),
        sections=tuple(BlueprintSection(type=t, count=k) for t, k in sections),
    )


def test_overlap_of_a_section_drawing_k_of_n_is_k_over_n():
    from training_app.engine.paper import paper_overlap

    bank = _tiny_bank(10, 0)
    o = paper_overlap(bank, _blueprint(("single", 3)), pairs=3000)
    assert o.pairs == 3000 and o.mean == pytest.approx(3 / 10, abs=0.015)
    assert paper_overlap(bank, _blueprint(("single", 10))).mean == 1.0  # the whole pool: every paper the same
    assert paper_overlap(bank, _blueprint(("single", 3))) == paper_overlap(bank, _blueprint(("single", 3)))


def test_overlap_of_two_sections_weights_each_by_its_count():
    """2 of 4 singles (1 in common expected) and 4 of 16 judges (1 in common): 2 of 6 questions shared."""
    from training_app.engine.paper import paper_overlap

    bank = _tiny_bank(4, 16)
    o = paper_overlap(bank, _blueprint(("single", 2), ("judge", 4)), pairs=3000)
    assert o.mean == pytest.approx((2 * 2 / 4 + 4 * 4 / 16) / 6, abs=0.015)
    assert 0 < o.mean <= o.worst <= 1


def _draw_by_filtering(bank, bp, seed):
    """The draw as it was written before the prepared pools: each section filters its pool for what earlier
    sections took (the oracle that the prepared pools must match question for question)."""
    import random

    from training_app import qtypes
    from training_app.engine.paper import _type_order

    rng = random.Random(seed)
    used: set[str] = set()
    groups = {t: [] for t in _type_order(bp)}
    for section in bp.sections:
        free = [q for q in section_pool(bank, section) if q.id not in used]
        if section.difficulty:
            picked = []
            for level, n in section.difficulty:
                if n:
                    picked.extend(rng.sample([q for q in free if q.difficulty == level], n))
        else:
            picked = rng.sample(free, section.count)
        used.update(q.id for q in picked)
        for q in picked:
            groups[q.type].append(q)
    out = []
    for qs in groups.values():
        rng.shuffle(qs)
        for q in qs:
            idx = list(range(len(q.options))) if qtypes.is_choice(q.type) else []
            rng.shuffle(idx)
            out.append((q.id, tuple(idx)))
    return out


def test_prepared_pools_draw_what_filtering_draws_even_where_sections_overlap(small_bank):
    from dataclasses import replace

    from training_app.bank.schema import BlueprintSection

    bp = small_bank.blueprints["small_exam"]
    # A law's singles first, then singles of any law: the second section must not take the first one's questions.
    overlapping = replace(
        bp,
        sections=(
            BlueprintSection(type="single", count=2, laws=("law_a",)),
            BlueprintSection(type="single", count=4),
            *bp.sections[2:],
        ),
    )
    for blueprint in (bp, overlapping):
        for seed in range(40):
            paper = assemble_paper(small_bank, blueprint, seed)
            assert [(s.qid, s.order) for s in paper.slots] == _draw_by_filtering(small_bank, blueprint, seed)
            assert len({s.qid for s in paper.slots}) == len(paper.slots)


def test_the_frozen_draw_is_the_drawn_paper_frozen_and_its_json_reads_back(small_bank):
    import json

    from training_app.engine.paper import FrozenPaper, draw_frozen, freeze

    bp = small_bank.blueprints["small_exam"]
    for seed in range(20):
        frozen = draw_frozen(small_bank, bp, seed)
        assert frozen == freeze(small_bank, assemble_paper(small_bank, bp, seed))
        raw = frozen.dumps()
        assert json.loads(raw) == frozen.to_dicts()
        assert FrozenPaper.loads(raw) == frozen
        assert ", " not in raw and ": " not in raw  # compact, as stored
