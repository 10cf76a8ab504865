"""The sweep runs on its own trigger (CLI and a background thread in the server), never while a page draws."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.support.factory import district, make_campaign
from training_app.engine.deadlines import utcnow
from training_app.services import campaigns, exams, jobs, learning
from training_app.services.common import PermissionDenied
from training_app.store.db import read_session
from training_app.store.models import Attempt
from training_app.vocab import AssignmentStatus


def test_sweep_closes_overdue_and_syncs_reviews_opened_since(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=10)
    t0 = utcnow()
    o = officers[0]
    aid = exams.start_attempt(app, o, cid, now=t0).attempt_id
    exams.save_answer(
        app,
        o,
        aid,
        1,
        "A" if app.bank.questions[exams.attempt_view(app, o, aid).questions[0].qid].answer != "A" else "B",
        now=t0,
    )
    # past the deadline, before the sweep: shown closed and graded, nothing written
    view = exams.attempt_view(app, o, aid, now=t0 + timedelta(minutes=11))
    assert view.state == "finished" and view.closed_at_deadline and view.score == 0.0
    assert exams.open_attempt_for(app, o, now=t0 + timedelta(minutes=11)) is None
    assert [r["finished_by"] for r in exams.my_results(app, o, now=t0 + timedelta(minutes=11))] == ["timeout"]
    assert exams.attempt_view(app, o, aid, now=t0).state == "in_progress"  # still open in the database
    r = jobs.sweep(app, now=t0 + timedelta(minutes=11))
    assert r == jobs.SweepResult(closed=1, cards=0)
    assert len(learning.review_book(app, o)) == 1  # closing it graded it and sent the wrong answer on
    assert jobs.sweep(app, now=t0 + timedelta(minutes=12)) == jobs.SweepResult(0, 0)
    view = exams.attempt_view(app, o, aid)
    assert view.state == "finished" and not view.closed_at_deadline


def test_the_sweeper_thread_runs_once_per_process(sqlite_app):
    calls = []

    def get_app():
        calls.append(1)
        return sqlite_app

    s1 = jobs.start_sweeper(get_app, interval=0.05)
    try:
        assert jobs.start_sweeper(get_app, interval=0.05) is s1
        deadline = time.monotonic() + 10
        while s1.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert s1.runs >= 2 and s1.alive
    finally:
        jobs.stop_sweeper()
    assert not s1.alive


@contextmanager
def _writes(engine):
    """The INSERT / UPDATE / DELETE statements sent through `engine` while the block runs."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _state(app, attempt_id: int) -> str:
    with read_session(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        return attempt.state


def test_my_exams_shows_an_overdue_attempt_as_the_sweep_will_close_it_without_writing(app):
    """我的学习 draws from my_exams: an attempt past its deadline is shown finished and graded (the campaign grade
    combined over the attempts), yet nothing is written; after the sweep the page reads exactly the same."""
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=10, attempts=3, grading="average")
    t0 = utcnow()
    o = officers[0]
    first = exams.start_attempt(app, o, cid, now=t0).attempt_id
    for qv in exams.attempt_view(app, o, first, now=t0).questions:
        exams.save_answer(app, o, first, qv.slot, app.bank.questions[qv.qid].answer, now=t0)
    assert exams.submit_attempt(app, o, first, now=t0).percent == 100.0
    second = exams.start_attempt(app, o, cid, now=t0).attempt_id  # left unanswered, never submitted
    later = t0 + timedelta(minutes=11)

    with _writes(app.engine) as written:
        [before] = [e for e in campaigns.my_exams(app, o, now=later) if e.campaign_id == cid]
    assert written == []
    assert _state(app, second) == "in_progress"
    assert before.status == AssignmentStatus.DONE and before.open_attempt_id is None
    assert before.attempts_finished == 2 and before.grade == 50.0 and not before.passed and before.failed
    assert before.can_start and before.attempts_left == 1

    assert jobs.sweep(app, now=later).closed == 1
    assert _state(app, second) == "finished"
    [after] = [e for e in campaigns.my_exams(app, o, now=later) if e.campaign_id == cid]
    assert after == before


def test_campaigns_sweep_is_the_job_behind_a_staff_check(app):
    _, coordinator, officers, cid = district(app)
    with pytest.raises(PermissionDenied):
        campaigns.sweep(app, officers[0])
    assert campaigns.sweep(app, coordinator) == jobs.SweepResult(0, 0)
