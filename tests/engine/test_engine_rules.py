"""Scoring of each type, grading methods, deadlines, FSRS scheduling and item statistics."""

from datetime import UTC, datetime, timedelta

import pytest

from training_app.engine import deadlines, scoring, stats
from training_app.engine.review import review
from training_app.vocab import ASSIGNMENT_STATUS_LABELS, AssignmentStatus


def test_single_and_judge_all_or_nothing():
    assert scoring.grade("single", "B", "B", 1) == 1
    assert scoring.grade("single", "B", "C", 1) == 0
    assert scoring.grade("single", "B", None, 1) == 0
    assert scoring.grade("judge", "T", "T", 2) == 2
    assert scoring.grade("judge", "T", "F", 2) == 0


def test_multiple_all_or_nothing_by_default_and_partial_when_asked():
    assert scoring.grade("multiple", "ACD", "ACD", 2) == 2
    assert scoring.grade("multiple", "ACD", "AC", 2) == 0
    assert scoring.grade("multiple", "ACD", "AC", 3, partial=True) == 2
    assert scoring.grade("multiple", "ACD", "AB", 3, partial=True) == 0  # a wrong choice earns nothing
    assert scoring.grade("multiple", "ACD", "ABCD", 3, partial=True) == 0


def test_normalize_response():
    assert scoring.normalize_response("multiple", "ca", 4) == "AC"
    assert scoring.normalize_response("single", " b ", 4) == "B"
    assert scoring.normalize_response("single", "", 4) is None
    for bad in ("E", "AB"):
        with pytest.raises(ValueError):
            scoring.normalize_response("single", bad, 4)
    with pytest.raises(ValueError):
        scoring.normalize_response("judge", "A", 0)
    with pytest.raises(ValueError):
        scoring.normalize_response("multiple", "AA", 4)


def test_display_and_canonical_round_trip():
    order = (2, 0, 3, 1)  # shown A is bank C, shown B is bank A, ...
    assert scoring.display_to_canonical(order, [0]) == "C"
    assert scoring.display_to_canonical(order, [1, 3]) == "AB"
    assert scoring.canonical_to_display(order, "AB") == [1, 3]


@pytest.mark.parametrize("method,expected", [("highest", 80), ("first", 55), ("last", 70), ("average", 68.33)])
def test_grading_methods(method, expected):
    assert scoring.combine_scores([55, 80, 70], method) == expected


def test_pass_mark_on_percent():
    assert scoring.passed(60, 100, 60)
    assert not scoring.passed(59.5, 100, 60)
    assert scoring.passed(54, 90, 60)


T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_deadline_is_earlier_of_limit_and_close():
    close = T0 + timedelta(minutes=30)
    assert deadlines.attempt_deadline(T0, 60, close) == close
    assert deadlines.attempt_deadline(T0, 20, close) == T0 + timedelta(minutes=20)
    # a personal extension moves the close time, never beyond the time limit
    assert deadlines.attempt_deadline(T0, 60, close, T0 + timedelta(days=1)) == T0 + timedelta(minutes=60)


def test_naive_datetimes_are_utc():
    naive = datetime(2026, 11, 20, 8, 0)
    assert deadlines.as_utc(naive) == T0
    assert deadlines.is_past(naive, T0)
    assert not deadlines.is_past(naive, T0 - timedelta(seconds=1))


def test_live_and_overdue_at_the_deadline():
    deadline = T0 + timedelta(minutes=60)
    before, at = deadline - timedelta(seconds=1), deadline
    assert deadlines.is_live("in_progress", deadline, before) and not deadlines.is_overdue(
        "in_progress", deadline, before
    )
    # the deadline itself is past: no more answers, and the sweep closes it
    assert not deadlines.is_live("in_progress", deadline, at) and deadlines.is_overdue("in_progress", deadline, at)
    for now in (before, at):  # a finished attempt is neither, whatever the time
        assert not deadlines.is_live("finished", deadline, now) and not deadlines.is_overdue("finished", deadline, now)
    assert deadlines.is_overdue("in_progress", deadline.replace(tzinfo=None), at)  # naive times are UTC


def test_can_start_rules():
    opens, closes = T0, T0 + timedelta(days=1)
    assert deadlines.can_start(T0 + timedelta(hours=1), opens, closes, None, 0, 2, False) == (True, "")
    assert deadlines.can_start(T0 - timedelta(hours=1), opens, closes, None, 0, 2, False)[1] == "考试尚未开放"
    assert deadlines.can_start(closes, opens, closes, None, 0, 2, False)[1] == "考试已截止"
    assert deadlines.can_start(closes, opens, closes, closes + timedelta(hours=1), 0, 2, False)[0]
    assert "次考试机会" in deadlines.can_start(T0 + timedelta(hours=1), opens, closes, None, 2, 2, False)[1]
    assert deadlines.can_start(T0 + timedelta(hours=1), opens, closes, None, 5, 0, False)[0]  # 0 = unlimited


def test_assignment_state():
    opens, closes = T0, T0 + timedelta(days=1)
    now = T0 + timedelta(hours=1)
    assert (
        deadlines.assignment_state(T0 - timedelta(hours=1), opens, closes, None, False, 0) == AssignmentStatus.NOT_OPEN
    )
    assert deadlines.assignment_state(now, opens, closes, None, False, 0) == AssignmentStatus.NOT_STARTED
    assert deadlines.assignment_state(now, opens, closes, None, True, 0) == AssignmentStatus.IN_PROGRESS
    assert deadlines.assignment_state(now, opens, closes, None, False, 1) == AssignmentStatus.DONE
    assert deadlines.assignment_state(closes, opens, closes, None, False, 0) == AssignmentStatus.OVERDUE
    assert deadlines.assignment_state(closes, opens, closes, closes + timedelta(hours=1), False, 0) == (
        AssignmentStatus.NOT_STARTED
    )
    assert ASSIGNMENT_STATUS_LABELS[AssignmentStatus.OVERDUE] == "已逾期"  # the label 我的学习 shows


def test_fsrs_wrong_is_again_right_is_further_out():
    state, due1 = review(None, False, T0)
    assert due1 - T0 <= timedelta(minutes=10)
    state2, due2 = review(state, True, due1)
    state3, due3 = review(state2, True, due2)
    state4, due4 = review(state3, True, due3)
    assert due2 - due1 < due3 - due2 <= due4 - due3
    assert due4 - due3 >= timedelta(days=1)
    _, due_again = review(state4, False, due4)
    assert due_again - due4 < timedelta(days=1)


def test_item_statistics_by_hand():
    # Five attempts at one question (x = fraction) and the rest of the test (y):
    xs = [1, 1, 0, 1, 0]
    ys = [9, 8, 3, 7, 2]
    s = stats.ItemSums(
        5, sum(xs), sum(x * x for x in xs), sum(ys), sum(y * y for y in ys), sum(x * y for x, y in zip(xs, ys))
    )
    assert stats.facility(s) == pytest.approx(0.6)
    # By hand: mean x .6, mean y 5.8; cov = (0.4*3.2+0.4*2.2-0.6*-2.8+0.4*1.2-0.6*-3.8)/5 = 1.32
    # var x = .24, var y = 7.76; r = 1.32 / sqrt(.24*7.76) = 1.32 / 1.36470 = 0.96725
    assert stats.discrimination(s) == pytest.approx(0.96725, abs=1e-4)
    assert stats.pearson(xs, ys) == pytest.approx(0.96725, abs=1e-4)
    neg = stats.pearson([0, 0, 1, 1], [9, 8, 2, 1])
    assert neg < 0
    assert stats.item_flags(30, 0.5, -0.2) == ["区分度为负"]
    assert stats.item_flags(30, 0.97, 0.3) == ["过易"]
    assert stats.item_flags(30, 0.1, 0.1) == ["区分度偏低", "过难"]
    assert stats.item_flags(3, 0.1, -0.5) == []  # too few attempts to judge
    assert stats.discrimination(stats.ItemSums(3, 3, 3, 6, 14, 6)) is None  # everyone right: no variance
