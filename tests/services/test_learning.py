"""Practice with immediate feedback, the FSRS wrong-answer book, study marks and study hours."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factory import make_person, make_units
from training_app.engine.deadlines import as_utc
from training_app.services import learning
from training_app.services.common import PermissionDenied, ServiceError


@pytest.fixture
def learner(app):
    units = make_units(app)
    return (
        app,
        make_person(app, "LN00001", unit_id=units[0]),
        make_person(app, "coord", role="coordinator", unit_id=units[0]),
    )


def _wrong(q):
    if q.type == "judge":
        return "F" if q.answer == "T" else "T"
    return "A" if q.answer != "A" else "B"


def test_practice_marks_at_once_and_fills_the_book(learner):
    app, o, _ = learner
    ids = learning.practice_set(app, o, law="law_a", n=5, seed=1)
    assert len(ids) == 5 and all(app.bank.questions[i].law == "law_a" for i in ids)
    q = app.bank.questions[ids[0]]
    fb = learning.answer_practice(app, o, q.id, _wrong(q))
    assert not fb.correct and fb.correct_answer == q.answer and fb.explanation and fb.sources[0][1]
    assert learning.due_reviews(app, o) == [q.id]
    right = learning.answer_practice(app, o, ids[1], app.bank.questions[ids[1]].answer)
    assert right.correct and learning.due_reviews(app, o) == [q.id]  # a right answer on a new question makes no card
    with pytest.raises(ServiceError):
        learning.answer_practice(app, o, q.id, "")


def test_a_card_answered_right_moves_further_out(learner):
    app, o, _ = learner
    q = app.bank.questions[sorted(app.bank.questions)[0]]
    t0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai: "today" is a whole day here
    learning.answer_practice(app, o, q.id, _wrong(q), now=t0)
    book = learning.review_book(app, o)
    first_due = book[0]["due_at"]
    learning.answer_practice(app, o, q.id, q.answer, mode="review", now=first_due)
    learning.answer_practice(app, o, q.id, q.answer, mode="review", now=first_due + timedelta(minutes=15))
    later = learning.review_book(app, o)[0]
    assert later["reviews"] == 3 and later["lapses"] == 1
    assert as_utc(later["due_at"]) - (first_due + timedelta(minutes=15)) >= timedelta(days=1)
    assert learning.due_reviews(app, o, now=first_due + timedelta(minutes=16)) == []
    assert learning.due_reviews(app, o, now=as_utc(later["due_at"])) == [q.id]


def test_practice_by_topic_and_weak_points(learner):
    app, o, _ = learner
    ids = learning.practice_set(app, o, topic="证据收集与执法程序", n=50)
    assert ids and all("证据收集与执法程序" in app.bank.questions[i].topics for i in ids)
    with pytest.raises(ServiceError, match="薄弱点"):
        learning.practice_set(app, o, weak=True)
    for qid in [i for i in sorted(app.bank.questions) if app.bank.questions[i].law == "law_b"][:4]:
        learning.answer_practice(app, o, qid, _wrong(app.bank.questions[qid]))
    for qid in [i for i in sorted(app.bank.questions) if app.bank.questions[i].law == "law_a"][:4]:
        learning.answer_practice(app, o, qid, app.bank.questions[qid].answer)
    weak = learning.weak_laws(app, o)
    assert weak[0][0] == "law_b" and weak[0][1] == 0.0
    assert all(app.bank.questions[i].law == "law_b" for i in learning.practice_set(app, o, weak=True, n=5))


def test_study_marks_and_articles(learner):
    app, o, _ = learner
    cards = learning.law_articles(app, o, "law_a")
    assert cards and cards[0].heading == "第一条" and cards[0].quotes == ["第1条的原文"]
    learning.set_studied(app, o, "law_a", cards[0].locator, True)
    assert learning.law_articles(app, o, "law_a")[0].studied
    learning.set_studied(app, o, "law_a", cards[0].locator, False)
    assert not learning.law_articles(app, o, "law_a")[0].studied
    # officers see the officers' and everyone's laws; leaders the leaders' too
    assert {law.slug for law in learning.must_know_for(app, o)} == {"law_a", "law_b"}


def test_study_hours_capped_and_summed(learner):
    app, o, coord = learner
    assert learning.record_study_time(app, o, "reading", 600) == 600
    assert learning.record_study_time(app, o, "reading", 10 * 3600) == 20 * 60  # an idle tab counts the cap at most
    assert learning.record_study_time(app, o, "exam", -5) == 0
    hours = learning.study_hours(app, o)
    assert hours.hours == pytest.approx((600 + 1200) / 3600, abs=0.01) and hours.target == 60
    assert learning.study_hours(app, coord, person_id=o.id).hours == hours.hours
    other = make_person(app, "LN00002")
    with pytest.raises(PermissionDenied):
        learning.study_hours(app, other, person_id=o.id)
    with pytest.raises(PermissionDenied):
        learning.practice_set(app, coord, law="law_a")
