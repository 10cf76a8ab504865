"""Unit scope (等保 2.0 level 2, 访问控制): a coordinator limited to one unit is refused, by every service that
changes or reveals data, anything outside that unit; and cannot create or close district-wide campaigns."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.factory import PASSWORD, make_campaign, make_person, make_units
from training_app.engine.deadlines import utcnow
from training_app.services import auth, campaigns, certificates, dashboard, exams, integrity, reports, roster
from training_app.services.campaigns import CampaignInput
from training_app.services.common import PermissionDenied
from training_app.store.db import read_session, write_session
from training_app.store.models import Attempt, AuditLog, IntegrityFlag


def _pass(app, officer, cid):
    aid = exams.start_attempt(app, officer, cid, seed=11).attempt_id
    for qv in exams.attempt_view(app, officer, aid).questions:
        exams.save_answer(app, officer, aid, qv.slot, app.bank.questions[qv.qid].answer)
    assert exams.submit_attempt(app, officer, aid).passed
    return aid


@pytest.fixture
def scene(app):
    units = make_units(app)
    district_coord = make_person(app, "coord", role="coordinator", unit_id=units[0], name="区管理员")
    scoped = make_person(app, "coord2", role="coordinator", unit_id=units[2], scope_unit_id=units[2], name="街道管理员")
    mine = make_person(app, "LN00001", unit_id=units[2], name="本单位执法员")
    theirs = make_person(app, "LN00002", unit_id=units[0], name="他单位执法员")
    cid = make_campaign(app, district_coord)  # district-wide (all valid officers)
    _pass(app, mine, cid)
    _pass(app, theirs, cid)
    return app, units, district_coord, scoped, mine, theirs, cid


def test_scoped_coordinator_cannot_close_publish_regrade_or_scan_a_district_campaign(scene):
    app, _, _, scoped, *_, cid = scene
    for call in (
        lambda: campaigns.close(app, scoped, cid),
        lambda: campaigns.close_impact(app, scoped, cid),
        lambda: campaigns.publish(app, scoped, cid),
        lambda: campaigns.regrade_campaign(app, scoped, cid),
        lambda: integrity.scan(app, scoped, cid),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert campaigns.get_campaign(app, scoped, cid).status == "published"


def test_scoped_coordinator_creates_only_campaigns_of_their_unit(scene):
    app, units, _, scoped, *_ = scene
    now = utcnow()
    base = dict(title="街道考试", blueprint_id="small_exam", opens_at=now, closes_at=now + timedelta(days=3))
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(app, scoped, CampaignInput(audience="all_valid", **base))
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(
            app, scoped, CampaignInput(audience="units", audience_units=(units[0], units[2]), **base)
        )
    own = campaigns.create_campaign(app, scoped, CampaignInput(audience="units", audience_units=(units[2],), **base))
    assert campaigns.publish(app, scoped, own) == 1  # their own campaign: theirs to publish and close
    assert campaigns.close(app, scoped, own) == 0


def test_scoped_coordinator_cannot_extend_outside_the_unit(scene):
    app, units, _, scoped, mine, theirs, cid = scene
    until = utcnow() + timedelta(days=30)
    with pytest.raises(PermissionDenied):
        campaigns.extend(app, scoped, cid, until, unit_id=units[0])
    with pytest.raises(PermissionDenied):
        campaigns.extend(app, scoped, cid, until, person_id=theirs.id)
    assert campaigns.extend(app, scoped, cid, until, person_id=mine.id) == 1


def test_scoped_coordinator_cannot_revoke_or_issue_another_units_certificate(scene):
    app, _, _, scoped, mine, theirs, cid = scene
    other = certificates.issue(app, theirs, cid)
    with pytest.raises(PermissionDenied):
        certificates.revoke(app, scoped, other.serial, "测试撤销")
    assert certificates.verify(app, other.serial, other.code).valid
    with pytest.raises(PermissionDenied):
        certificates.issue(app, scoped, cid, theirs.id)
    own = certificates.issue(app, scoped, cid, mine.id)
    certificates.revoke(app, scoped, own.serial, "成绩有误")
    assert not certificates.verify(app, own.serial, own.code).valid


def test_scoped_coordinator_zip_and_exports_hold_only_their_unit(scene):
    app, units, _, scoped, mine, theirs, cid = scene
    with pytest.raises(PermissionDenied):
        certificates.certificates_zip(app, scoped, cid, unit_id=units[0])
    n, data = certificates.certificates_zip(app, scoped, cid)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert n == 1 and len(names) == 1 and mine.name in names[0] and theirs.name not in names[0]
    text = reports.supervision_csv(app, scoped, cid, "not_passed")[1].decode("utf-8-sig") + json.dumps(
        reports.campaign_report(app, scoped, cid), ensure_ascii=False
    )
    assert theirs.name not in text and "区市场监督管理局" not in text
    with pytest.raises(PermissionDenied):
        dashboard.people(app, scoped, cid, unit_id=units[0])


def test_scoped_coordinator_cannot_reset_unlock_or_deactivate_outside(scene):
    app, _, _, scoped, mine, theirs, _ = scene
    for call in (
        lambda: auth.set_password(app, scoped, theirs.id),
        lambda: auth.unlock(app, scoped, theirs.id),
        lambda: roster.deactivate_person(app, scoped, theirs.id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert auth.login(app, theirs.account, PASSWORD).token  # untouched
    assert auth.set_password(app, scoped, mine.id)


def test_scoped_coordinator_cannot_dismiss_another_units_integrity_flag(scene):
    app, _, district_coord, scoped, mine, theirs, cid = scene
    with write_session(app.engine) as s:  # a flag on the other unit's attempt
        aid = s.execute(select(Attempt.id).where(Attempt.person_id == theirs.id)).scalar_one()
        flag = IntegrityFlag(campaign_id=cid, attempt_id=aid, kind="fast", evidence="{}")
        s.add(flag)
        s.flush()
        fid = flag.id
    with pytest.raises(PermissionDenied):
        integrity.dismiss(app, scoped, fid, "误报")
    integrity.dismiss(app, district_coord, fid, "误报")


def test_only_an_admin_reopens_a_closed_campaign(scene):
    app, _, district_coord, scoped, *_, cid = scene
    admin = make_person(app, "admin1", role="admin", name="系统管理员")
    campaigns.close(app, district_coord, cid)
    until = utcnow() + timedelta(days=5)
    for actor in (district_coord, scoped):
        with pytest.raises(PermissionDenied):
            campaigns.reopen(app, actor, cid, until)
    campaigns.reopen(app, admin, cid, until)
    c = campaigns.get_campaign(app, admin, cid)
    assert c.status == "published"
    with read_session(app.engine) as s:
        assert s.execute(select(AuditLog).where(AuditLog.event == "campaign_reopen")).scalar_one()
