"""Roster import: a good file, each kind of bad row, GBK, and a re-import that moves and deactivates people
without losing their history."""

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.support.factory import make_campaign, make_person, make_units
from training_app.services import exams, roster
from training_app.services.common import PermissionDenied
from training_app.store.db import read_session
from training_app.store.models import Assignment, Attempt, AuditLog, Person, Unit

HEADER = "姓名,执法证号,单位,证件状态,发证日期,职务,是否领导干部,手机"
ROWS = [
    "王伟,LN2600001,区市场监督管理局,有效,2024-03-15,科员,否,13800000001",
    "李娜,LN2600002,区市场监督管理局,有效,2023/7/1,执法队员,否,",
    "张强,LN2600003,河西街道,有效,2022年5月9日,副主任,是,13900000003",
    "刘敏,LN2600004,区城市管理行政执法局,过期,2015-01-01,科员,否,",
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


@pytest.fixture
def setup(app):
    units = make_units(app)
    coordinator = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    return app, coordinator, units


def _counts(app):
    with read_session(app.engine) as s:
        return {
            m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Person, Unit, Assignment, Attempt)
        }


def test_good_file_preview_then_import(setup):
    app, coord, _ = setup
    plan = roster.preview(app, coord, csv_bytes(ROWS), "名册.csv")
    assert [r.cert_no for r in plan.add] == ["LN2600001", "LN2600002", "LN2600003", "LN2600004"]
    assert plan.encoding == "UTF-8" and not plan.change and not plan.deactivate
    assert _counts(app)["Person"] == 1  # a preview writes nothing
    result = roster.import_roster(app, coord, csv_bytes(ROWS), "名册.csv")
    assert (result.added, result.changed, result.deactivated) == (4, 0, 0)
    assert len(result.credentials) == 4 and all(len(c["初始密码"]) >= 8 for c in result.credentials)
    with read_session(app.engine) as s:
        p = s.execute(select(Person).where(Person.cert_no == "LN2600003")).scalar_one()
        assert p.account == "LN2600003" and p.is_leader and p.must_change_password and p.phone == "13900000003"
        assert p.password_hash.startswith("$argon2id$")
        assert all(c["初始密码"] not in (p.password_hash or "") for c in result.credentials)
        assert s.execute(select(AuditLog).where(AuditLog.event == "roster_import")).scalar_one()
    # the new officer can log in with the initial password, and must change it
    from training_app.services import auth

    pw = next(c["初始密码"] for c in result.credentials if c["账号"] == "LN2600001")
    assert auth.login(app, "LN2600001", pw).must_change_password


BAD = [
    ("王伟,LN2600001,区市场监督管理局,有效,2024-03-15,科员,否,", "与第 2 行重复", "duplicate 执法证号"),
    ("赵六,LN2600009,不存在的局,有效,2024-03-15,科员,否,", "单位“不存在的局”不存在", "unknown unit"),
    (",LN2600010,区市场监督管理局,有效,2024-03-15,科员,否,", "姓名为空", "empty name"),
    ("钱七,LN2600011,区市场监督管理局,有效,2024-13-45,科员,否,", "发证日期“2024-13-45”不是有效日期", "bad date"),
    ("孙八,LN2600012,区市场监督管理局,暂停,2024-03-15,科员,否,", "证件状态“暂停”不正确", "unknown status"),
]


@pytest.mark.parametrize("row,message,_kind", BAD, ids=[b[2] for b in BAD])
def test_each_kind_of_bad_row_imports_nothing(setup, row, message, _kind):
    app, coord, _ = setup
    before = _counts(app)
    data = csv_bytes([*ROWS[:3], row, ROWS[3]])
    with pytest.raises(roster.RosterError) as exc:
        roster.import_roster(app, coord, data, "名册.csv")
    assert any(r == 5 and message in m for r, m in exc.value.problems), exc.value.problems
    assert _counts(app) == before


def test_every_bad_row_is_listed(setup):
    app, coord, _ = setup
    data = csv_bytes([*ROWS, *[b[0] for b in BAD]])
    with pytest.raises(roster.RosterError) as exc:
        roster.preview(app, coord, data, "名册.csv")
    # the first pass finds row-level problems; unknown units are found once the rows themselves are clean
    rows = {r for r, _ in exc.value.problems}
    assert {6, 8, 9, 10} <= rows


def test_gbk_file_is_detected(setup):
    app, coord, _ = setup
    result = roster.import_roster(app, coord, csv_bytes(ROWS, encoding="gbk"), "名册.csv")
    assert result.added == 4
    with read_session(app.engine) as s:
        assert s.execute(select(Person.name).where(Person.cert_no == "LN2600002")).scalar_one() == "李娜"


def test_xlsx_roster(setup):
    app, coord, _ = setup
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for r in ROWS:
        ws.append(r.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    assert roster.import_roster(app, coord, buf.getvalue(), "名册.xlsx").added == 4


def test_reimport_moves_a_person_and_deactivates_one_keeping_history(setup):
    app, coord, units = setup
    roster.import_roster(app, coord, csv_bytes(ROWS), "名册.csv")
    cid = make_campaign(app, coord)
    with read_session(app.engine) as s:
        wang = s.execute(select(Person).where(Person.cert_no == "LN2600001")).scalar_one()
        li = s.execute(select(Person).where(Person.cert_no == "LN2600002")).scalar_one()
    from training_app.services.auth import actor_of

    aid = exams.start_attempt(app, actor_of(li), cid).attempt_id
    exams.save_answer(app, actor_of(li), aid, 1, "A")
    exams.submit_attempt(app, actor_of(li), aid)
    moved = ROWS[0].replace("区市场监督管理局", "区城市管理行政执法局")
    plan = roster.preview(app, coord, csv_bytes([moved, ROWS[2], ROWS[3]]), "名册2.csv", mode="replace")
    assert [(r.cert_no, d) for r, d in plan.change] == [("LN2600001", ["单位 区市场监督管理局→区城市管理行政执法局"])]
    assert [d[0] for d in plan.deactivate] == ["LN2600002"]
    result = roster.import_roster(
        app, coord, csv_bytes([moved, ROWS[2], ROWS[3]]), "名册2.csv", mode="replace", confirm_deactivate=1
    )
    assert (result.added, result.changed, result.deactivated) == (0, 1, 1)
    with read_session(app.engine) as s:
        wang2 = s.get(Person, wang.id)
        assert wang2.unit_id == units[1]
        a = s.execute(
            select(Assignment).where(Assignment.person_id == wang.id, Assignment.campaign_id == cid)
        ).scalar_one()
        assert a.unit_id == units[1]  # the open campaign counts them in the new unit
        li2 = s.get(Person, li.id)
        assert not li2.active  # deactivated, not deleted
        assert s.execute(select(Attempt).where(Attempt.person_id == li.id)).scalar_one().state == "finished"
    # and they come back when they reappear
    result = roster.import_roster(app, coord, csv_bytes([moved, *ROWS[1:]]), "名册3.csv")
    assert result.changed == 1
    with read_session(app.engine) as s:
        assert s.get(Person, li.id).active


def test_unit_scoped_coordinator_and_officer_refused(setup):
    app, _, units = setup
    scoped = make_person(app, "coord2", role="coordinator", unit_id=units[2], scope_unit_id=units[2], name="街道管理员")
    with pytest.raises(roster.RosterError) as exc:
        roster.import_roster(app, scoped, csv_bytes(ROWS), "名册.csv")
    assert any("不在您的管理范围内" in m for _, m in exc.value.problems)
    officer = make_person(app, "LN0000001", unit_id=units[0])
    with pytest.raises(PermissionDenied):
        roster.preview(app, officer, csv_bytes(ROWS), "名册.csv")


def test_create_units_on_request(setup):
    app, coord, _ = setup
    rows = [*ROWS, "周九,LN2600020,太阳村镇,有效,2024-03-15,科员,否,"]
    with pytest.raises(roster.RosterError):
        roster.import_roster(app, coord, csv_bytes(rows), "名册.csv")
    result = roster.import_roster(app, coord, csv_bytes(rows), "名册.csv", create_units=True)
    assert result.units_created == 1
    with read_session(app.engine) as s:
        assert s.execute(select(Unit.kind).where(Unit.name == "太阳村镇")).scalar_one() == "town"


def test_missing_and_duplicate_headers(setup):
    app, coord, _ = setup
    with pytest.raises(roster.RosterError, match="缺少列"):
        roster.preview(app, coord, csv_bytes(ROWS, header="姓名,执法证号,单位"), "名册.csv")
    with pytest.raises(roster.RosterError, match="重复"):
        roster.preview(app, coord, csv_bytes(ROWS, header=HEADER + ",姓名"), "名册.csv")
