"""The question-type rules (training_app.qtypes): the one place every path maps, normalises and grades answers."""

from __future__ import annotations

import pytest

from training_app import qtypes
from training_app.engine import scoring
from training_app.engine.paper import FrozenPaper, FrozenSlot


def test_judge_true_false_is_option_0_and_1_everywhere():
    assert qtypes.option_keys("judge", 0) == ("T", "F")
    assert qtypes.shown_options("judge", ()) == ("正确", "错误")
    assert qtypes.display_order("judge", ()) == (0, 1)
    assert qtypes.option_indexes("judge", "T") == [0] and qtypes.option_indexes("judge", "F") == [1]
    assert qtypes.to_display("judge", (), "F") == [1]
    assert qtypes.to_canonical("judge", (0, 1), [0]) == "T" and qtypes.to_canonical("judge", (0, 1), [1]) == "F"
    assert qtypes.option_label("judge", 1, "错误") == "错误"


def test_a_sixth_option_f_is_not_a_judge_false():
    assert qtypes.option_indexes("single", "F") == [5]
    assert qtypes.normalize_response("single", "f", 6) == "F"
    with pytest.raises(ValueError):
        qtypes.normalize_response("single", "F", 4)


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (2, 0, 3, 1), (3, 2, 1, 0)])
def test_shown_positions_and_canonical_letters_round_trip(order):
    for response in ("A", "B", "AC", "BD", "ABCD"):
        shown = qtypes.to_display("multiple", order, response)
        assert qtypes.to_canonical("multiple", order, shown) == response
    assert qtypes.to_canonical("single", order, []) is None
    assert qtypes.option_label("single", 2, "x") == "C. x"


def test_marks_and_the_pass_check():
    assert qtypes.mark("multiple", "AC", "A", 4.0, partial=True) == qtypes.Mark(0.5, 2.0)
    assert qtypes.mark("multiple", "AC", "AB", 4.0, partial=True) == qtypes.Mark(0.0, 0.0)
    assert qtypes.mark("single", "B", None, 2.0) == qtypes.Mark(0.0, 0.0)
    assert scoring.grade is qtypes.grade  # the tested function is the one grading calls (through FrozenSlot.mark)
    assert qtypes.passes(59.999999999, 60) and not qtypes.passes(59.99, 60) and not qtypes.passes(None, 60)
    assert scoring.passed(12, 20, 60) and not scoring.passed(11.9, 20, 60)


def test_a_frozen_slot_grades_with_the_same_rule():
    s = FrozenSlot(
        slot=1, qid="q", qtype="multiple", order=(1, 0, 2, 3), points=4.0, content_hash="h", key="AC", law="l", n=4
    )
    for response in (None, "A", "AC", "ABC"):
        assert s.mark(response, partial=True).earned == qtypes.grade("multiple", "AC", response, 4.0, partial=True)


def test_the_frozen_paper_reads_every_stored_shape():
    # today's shape, an old row without law and n, a judge slot without order, and unknown keys
    raw = (
        '[{"slot":1,"qid":"a","type":"single","order":[2,0,1,3],"points":2,"hash":"h1","key":"B","law":"x","n":4},'
        '{"slot":2,"qid":"b","type":"multiple","order":[1,0,2],"points":4.0,"hash":"h2","key":"AC"},'
        '{"slot":3,"qid":"c","type":"judge","points":2,"hash":"h3","key":"F","n":0,"extra":1}]'
    )
    paper = FrozenPaper.loads(raw)
    assert [s.n for s in paper] == [4, 3, 0] and paper.at(2).law == "" and paper.at(3).order == ()
    assert paper.at(3).shown_order == (0, 1) and paper.at(1).shown_order == (2, 0, 1, 3)
    assert paper.max_score == 8.0 and paper.at(0) is None and paper.at(4) is None
    assert FrozenPaper.loads(paper.dumps()) == paper
