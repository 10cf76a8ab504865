"""The sweep runs on its own trigger (CLI and a background thread in the server), never while a page draws."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.support.factory import district, make_campaign
from training_app.engine.deadlines import utcnow
from training_app.services import exams, jobs, learning


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
