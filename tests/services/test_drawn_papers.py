"""Papers drawn ahead: publishing a campaign draws one paper per officer who has not started, a start takes one
instead of drawing at the click, each paper goes to one attempt only, and a paper of another bank is never taken.
On SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.factory import district, make_campaign, make_person
from training_app.engine.deadlines import utcnow
from training_app.engine.paper import FrozenPaper
from training_app.services import campaigns, exams, papers
from training_app.services.common import App
from training_app.store.db import read_session
from training_app.store.models import Attempt, DrawnPaper


def _waiting(app, cid, bank=None):
    with read_session(app.engine) as s:
        q = select(func.count()).select_from(DrawnPaper).where(DrawnPaper.campaign_id == cid)
        if bank is not None:
            q = q.where(DrawnPaper.bank == bank)
        return s.execute(q).scalar_one()


def _no_draw_at_the_click(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("a paper was drawn at the click although one was drawn ahead")

    monkeypatch.setattr(papers, "draw_paper", refuse)


def test_publishing_draws_one_paper_per_officer_and_a_start_takes_one_without_drawing(app, monkeypatch):
    _, _, officers, cid = district(app, n_officers=4)
    assert _waiting(app, cid, app.bank.fingerprint) == 4  # the coordinator is not in the audience
    with read_session(app.engine) as s:
        ahead = {d.seed: d.paper for d in s.execute(select(DrawnPaper)).scalars()}
    _no_draw_at_the_click(monkeypatch)
    started = [exams.start_attempt(app, o, cid).attempt_id for o in officers]
    assert _waiting(app, cid) == 0
    with read_session(app.engine) as s:
        rows = s.execute(select(Attempt).where(Attempt.id.in_(started))).scalars().all()
    # each attempt has one of the papers drawn ahead, with its seed, and no two have the same one
    assert sorted(a.seed for a in rows) == sorted(ahead)
    for a in rows:
        assert a.paper == ahead[a.seed]
        paper = FrozenPaper.loads(a.paper)
        assert len(paper) == 18 and a.max_score == paper.max_score == 44
    # the attempt works as any other: the view, a save and the grading read its paper
    o, aid = officers[0], started[0]
    view = exams.attempt_view(app, o, aid)
    key = app.bank.questions[view.questions[0].qid].answer
    exams.save_answer(app, o, aid, 1, key)
    assert exams.submit_attempt(app, o, aid).score == view.questions[0].points


def test_a_start_never_takes_a_paper_of_another_bank_and_the_top_up_replaces_them(app):
    _, _, officers, cid = district(app, n_officers=3)
    old = app.bank.fingerprint
    assert _waiting(app, cid, old) == 3
    changed = App(engine=app.engine, bank=replace(app.bank, fingerprint="a-newer-bank"), settings=app.settings)
    aid = exams.start_attempt(changed, officers[0], cid).attempt_id
    assert _waiting(app, cid, old) == 3  # not taken: drawn from the bank before the change
    with read_session(app.engine) as s:
        assert s.get(Attempt, aid).paper not in {d.paper for d in s.execute(select(DrawnPaper)).scalars()}
    assert papers.predraw(changed, cid) == 2  # the two who have not started; the stale three are gone
    assert _waiting(app, cid, old) == 0 and _waiting(app, cid, "a-newer-bank") == 2


def test_a_bank_with_problems_draws_nothing_ahead(app):
    _, coordinator, officers, _ = district(app, n_officers=2)
    broken = App(engine=app.engine, bank=replace(app.bank, fingerprint=""), settings=app.settings)
    cid = make_campaign(app, coordinator)
    assert papers.predraw(broken, cid) == 0
    assert exams.start_attempt(broken, officers[0], cid).attempt_id  # drawn at the click


def test_only_officers_not_started_get_a_paper_ahead_and_a_second_attempt_draws_at_the_click(app):
    _, _, officers, cid = district(app, n_officers=2)
    o = officers[0]
    first = exams.start_attempt(app, o, cid).attempt_id
    exams.submit_attempt(app, o, first)
    assert papers.predraw(app, cid) == 0  # one waits for the officer who has not started: enough
    assert _waiting(app, cid) == 1
    second = exams.start_attempt(app, o, cid)
    assert not second.resumed and second.attempt_id != first
    assert _waiting(app, cid) == 1  # still there for the other officer


def test_the_batch_limit_and_the_sweeps_top_up(app):
    _, coordinator, officers, cid = district(app, n_officers=5)
    with read_session(app.engine) as s:
        s.execute(DrawnPaper.__table__.delete())
        s.commit()
    assert papers.predraw(app, cid, limit=2) == 2
    assert _waiting(app, cid) == 2
    other = make_campaign(app, coordinator)  # published: its five were drawn by publish
    assert _waiting(app, other) == 5
    assert papers.predraw_open(app, limit=10) == 3  # the first campaign's rest; the other needs none
    assert _waiting(app, cid) == 5
    assert papers.predraw_open(app) == 0


def test_closing_a_campaign_drops_its_papers_and_a_closed_or_draft_one_draws_none(app):
    _, coordinator, officers, cid = district(app, n_officers=2)
    assert _waiting(app, cid) == 2
    campaigns.close(app, coordinator, cid)
    assert _waiting(app, cid) == 0
    assert papers.predraw(app, cid) == 0 and papers.predraw_open(app) == 0


def test_a_campaign_past_its_close_draws_none(app):
    _, coordinator, officers, cid = district(app, n_officers=2)
    assert papers.predraw(app, cid, now=utcnow() + timedelta(days=30)) == 0


def test_a_refresh_of_the_audience_draws_for_the_newly_assigned(app):
    units, coordinator, officers, cid = district(app, n_officers=2)
    make_person(app, "LN09001", unit_id=units[0], name="新来的执法员")
    assert campaigns.publish(app, coordinator, cid) == 1
    assert _waiting(app, cid) == 3


@pytest.mark.parametrize("n", [6])
def test_many_starts_at_once_each_take_a_different_paper(app, n):
    import threading

    _, _, officers, cid = district(app, n_officers=n)
    out: list[int] = []
    errors: list[BaseException] = []

    def go(o):
        try:
            out.append(exams.start_attempt(app, o, cid).attempt_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with read_session(app.engine) as s:
        seeds = s.execute(select(Attempt.seed).where(Attempt.id.in_(out))).scalars().all()
    assert len(out) == n and len(set(seeds)) == n
    assert _waiting(app, cid) == 0


def test_the_server_sweeper_tops_up_the_papers_drawn_ahead(sqlite_app):
    import time

    from training_app.services import jobs

    app = sqlite_app
    _, _, officers, cid = district(app, n_officers=3)
    with read_session(app.engine) as s:
        s.execute(DrawnPaper.__table__.delete())
        s.commit()
    sweeper = jobs.start_sweeper(lambda: app, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while _waiting(app, cid) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        jobs.stop_sweeper()
    assert sweeper.runs >= 1 and _waiting(app, cid) == 3


def test_the_top_up_deletes_the_papers_of_a_campaign_past_its_close(app):
    _, _, officers, cid = district(app, n_officers=2)
    assert _waiting(app, cid) == 2
    assert papers.predraw_open(app, now=utcnow() + timedelta(days=30)) == 0
    assert _waiting(app, cid) == 0


def test_papers_beyond_the_officers_not_started_are_trimmed(app):
    """The demo's simulated history (or any start that took no paper) leaves more waiting than can be taken."""
    from training_app.store.models import Assignment

    _, _, officers, cid = district(app, n_officers=4)
    with read_session(app.engine) as s:
        s.execute(
            Assignment.__table__.update()
            .where(Assignment.person_id.in_([o.id for o in officers[:3]]))
            .values(attempts_started=1)
        )
        s.commit()
    assert _waiting(app, cid) == 4
    assert papers.predraw(app, cid) == 0
    assert _waiting(app, cid) == 1
