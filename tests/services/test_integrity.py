"""Integrity signals on simulated attempts: a scripted fast attempt and a copied pair are flagged; the same
officers' normal attempts are not; two browsers at once are flagged; a dismissal is audited."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.factory import make_campaign, make_person, make_units
from training_app.engine.deadlines import utcnow
from training_app.services import exams, integrity
from training_app.store.db import read_session
from training_app.store.models import AuditLog


@pytest.fixture
def scene(app):
    units = make_units(app)
    coord = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    officers = [make_person(app, f"LN{i:05d}", unit_id=units[i % 3], name=f"执法员{i}") for i in range(1, 7)]
    cid = make_campaign(app, coord, attempts=3)
    return app, coord, officers, cid


def _wrong(q):
    return ("F" if q.answer == "T" else "T") if q.type == "judge" else ("A" if q.answer != "A" else "B")


def take(app, officer, cid, t0, *, seed, gap_seconds, wrong_slots=(), client="c1", alt_client=None):
    """An attempt answered on the server clock: one answer every gap_seconds."""
    aid = exams.start_attempt(app, officer, cid, now=t0, seed=seed).attempt_id
    view = exams.attempt_view(app, officer, aid, now=t0)
    t = t0
    for qv in view.questions:
        t += timedelta(seconds=gap_seconds)
        q = app.bank.questions[qv.qid]
        cl = alt_client if (alt_client and qv.slot % 2 == 0) else client
        exams.save_answer(
            app, officer, aid, qv.slot, _wrong(q) if qv.slot in wrong_slots else q.answer, now=t, client_id=cl
        )
    exams.submit_attempt(app, officer, aid, now=t + timedelta(seconds=5))
    return aid


def test_fast_attempt_is_flagged_normal_one_is_not(scene):
    app, coord, officers, cid = scene
    t0 = utcnow() - timedelta(hours=3)
    fast = take(app, officers[0], cid, t0, seed=1, gap_seconds=1.5)
    normal = take(app, officers[1], cid, t0, seed=2, gap_seconds=40, wrong_slots={1, 2})
    integrity.scan(app, coord, cid)
    flags = integrity.flags(app, coord, cid)
    assert [(f.kind, f.attempt_id) for f in flags] == [("fast", fast)]
    assert flags[0].evidence["median_seconds"] == 1.5 and flags[0].evidence["percent"] == 100.0
    assert all(f.attempt_id != normal for f in flags)
    assert integrity.scan(app, coord, cid) == 0  # no duplicates on a second scan


def test_copied_pair_is_flagged_and_an_honest_pair_is_not(scene):
    app, coord, officers, cid = scene
    t0 = utcnow() - timedelta(hours=3)
    wrong = {2, 3, 5, 8, 13, 17}
    a = take(app, officers[2], cid, t0, seed=7, gap_seconds=30, wrong_slots=wrong)
    b = take(app, officers[3], cid, t0 + timedelta(minutes=2), seed=7, gap_seconds=31, wrong_slots=wrong)
    # the same two officers, another day, honestly: different papers and different mistakes
    c = take(app, officers[2], cid, t0 + timedelta(hours=1), seed=8, gap_seconds=30, wrong_slots={1, 4})
    d = take(app, officers[3], cid, t0 + timedelta(hours=1), seed=9, gap_seconds=35, wrong_slots={6, 9})
    integrity.scan(app, coord, cid)
    copies = [f for f in integrity.flags(app, coord, cid) if f.kind == "copy"]
    assert len(copies) == 1
    f = copies[0]
    assert {f.attempt_id, int(f.evidence["answers"] and b)} == {a, b} or f.attempt_id in (a, b)
    assert f.evidence["identical_wrong"] == len(wrong) and f.evidence["common"] == 18
    assert not any(x.attempt_id in (c, d) for x in copies)


def test_two_browsers_at_once_is_flagged(scene):
    app, coord, officers, cid = scene
    t0 = utcnow() - timedelta(hours=3)
    two = take(app, officers[4], cid, t0, seed=3, gap_seconds=20, client="tab-a", alt_client="tab-b")
    one = take(app, officers[5], cid, t0, seed=4, gap_seconds=20, client="tab-c")
    integrity.scan(app, coord, cid)
    multi = [f for f in integrity.flags(app, coord, cid) if f.kind == "multi_browser"]
    assert [f.attempt_id for f in multi] == [two]
    assert multi[0].evidence["clients"] == 2 and multi[0].evidence["switches"] >= 3
    assert all(f.attempt_id != one for f in multi)


def test_dismiss_with_reason_is_audited(scene):
    app, coord, officers, cid = scene
    t0 = utcnow() - timedelta(hours=3)
    take(app, officers[0], cid, t0, seed=1, gap_seconds=1)
    integrity.scan(app, coord, cid)
    flag = integrity.flags(app, coord, cid)[0]
    with pytest.raises(Exception, match="排除理由"):
        integrity.dismiss(app, coord, flag.id, " ")
    integrity.dismiss(app, coord, flag.id, "本人为题库编写人员，熟悉题目")
    assert integrity.flags(app, coord, cid) == []
    kept = integrity.flags(app, coord, cid, include_dismissed=True)
    assert kept[0].dismissed and kept[0].dismiss_reason.startswith("本人")
    with read_session(app.engine) as s:
        row = s.execute(select(AuditLog).where(AuditLog.event == "integrity_dismiss")).scalar_one()
    assert json.loads(row.detail)["reason"].startswith("本人")
    from training_app.services.common import PermissionDenied

    with pytest.raises(PermissionDenied):
        integrity.scan(app, officers[0], cid)
