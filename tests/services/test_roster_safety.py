"""A roster import cannot wipe the district: a short file adds and updates only; replacing the roster is an
explicit mode that asks for the number when it would deactivate many; every import can be undone; names that
could become paths are refused, and archive entries can never climb out of their folder."""

import io
import zipfile

import pytest
from sqlalchemy import func, select

from tests.support.factory import make_person, make_units
from training_app.services import auth, certificates, roster
from training_app.services.common import PermissionDenied, ServiceError
from training_app.store.db import read_session
from training_app.store.models import AuditLog, Person
from training_app.textsafe import safe_filename

HEADER = "姓名,执法证号,单位,证件状态,发证日期,职务,是否领导干部,手机"


def rows(n, start=1, unit="区市场监督管理局", title="科员"):
    return [f"执法员{i},LN{i:07d},{unit},有效,2024-03-15,{title},否," for i in range(start, start + n)]


def csv(lines) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8-sig")


@pytest.fixture
def district(app):
    units = make_units(app)
    coord = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    roster.import_roster(app, coord, csv(rows(100)), "全区名册.csv")
    return app, coord, units


def _active(app) -> int:
    with read_session(app.engine) as s:
        return s.execute(
            select(func.count()).select_from(Person).where(Person.active.is_(True), Person.role == "officer")
        ).scalar_one()


def test_a_short_file_adds_and_updates_and_deactivates_nobody(district):
    app, coord, _ = district
    short = [r.replace("科员", "副科长") for r in rows(5)] + rows(2, start=500)
    plan = roster.preview(app, coord, csv(short), "补充名册.csv")
    assert (len(plan.add), len(plan.change), len(plan.deactivate), plan.missing) == (2, 5, 0, 95)
    result = roster.import_roster(app, coord, csv(short), "补充名册.csv")
    assert (result.added, result.changed, result.deactivated) == (2, 5, 0)
    assert _active(app) == 102


def test_replacing_with_a_short_file_needs_the_number_typed(district):
    app, coord, _ = district
    plan = roster.preview(app, coord, csv(rows(20)), "名册.csv", mode="replace")
    assert len(plan.deactivate) == 80 and plan.needs_typed_confirmation
    with pytest.raises(ServiceError, match="请输入停用人数 80"):
        roster.import_roster(app, coord, csv(rows(20)), "名册.csv", mode="replace")
    with pytest.raises(ServiceError):
        roster.import_roster(app, coord, csv(rows(20)), "名册.csv", mode="replace", confirm_deactivate=79)
    assert _active(app) == 100  # nothing changed
    roster.import_roster(app, coord, csv(rows(20)), "名册.csv", mode="replace", confirm_deactivate=80)
    assert _active(app) == 20


def test_replacing_a_few_needs_no_typing(district):
    app, coord, _ = district
    plan = roster.preview(app, coord, csv(rows(97)), "名册.csv", mode="replace")
    assert len(plan.deactivate) == 3 and not plan.needs_typed_confirmation
    assert roster.import_roster(app, coord, csv(rows(97)), "名册.csv", mode="replace").deactivated == 3


def test_an_import_is_undone_person_by_person_and_audited(district):
    app, coord, units = district
    moved = [r.replace("区市场监督管理局", "河西街道") for r in rows(10)]
    result = roster.import_roster(
        app, coord, csv(moved + rows(3, start=900)), "错误名册.csv", mode="replace", confirm_deactivate=90
    )
    assert (result.added, result.changed, result.deactivated) == (3, 10, 90)
    officer = auth.login  # a deactivated officer cannot log in now
    with pytest.raises(auth.LoginFailed):
        officer(app, "LN0000050", "whatever")
    records = roster.list_imports(app, coord)
    assert records[0].id == result.import_id and records[0].can_undo
    assert roster.undo_import(app, coord, result.import_id) == 103
    with read_session(app.engine) as s:
        people = {p.cert_no: p for p in s.execute(select(Person).where(Person.role == "officer")).scalars()}
        assert s.execute(select(AuditLog).where(AuditLog.event == "roster_undo")).scalar_one()
    assert all(people[f"LN{i:07d}"].active and people[f"LN{i:07d}"].unit_id == units[0] for i in range(1, 101))
    assert not any(people[f"LN{i:07d}"].active for i in range(900, 903))  # added by the undone import
    with pytest.raises(ServiceError, match="已经撤销"):
        roster.undo_import(app, coord, result.import_id)


def test_an_older_import_waits_for_the_later_one_that_touched_the_same_people(district):
    app, coord, _ = district
    first = roster.import_roster(app, coord, csv([r.replace("科员", "副科长") for r in rows(5)]), "a.csv")
    second = roster.import_roster(app, coord, csv([r.replace("科员", "科长") for r in rows(5)]), "b.csv")
    assert not roster.list_imports(app, coord)[1].can_undo
    with pytest.raises(ServiceError, match=f"#{second.import_id}"):
        roster.undo_import(app, coord, first.import_id)
    roster.undo_import(app, coord, second.import_id)
    roster.undo_import(app, coord, first.import_id)
    with read_session(app.engine) as s:
        assert s.execute(select(Person.title).where(Person.cert_no == "LN0000001")).scalar_one() == "科员"


def test_a_scoped_coordinator_cannot_undo_a_district_import(district):
    app, coord, units = district
    scoped = make_person(app, "coord2", role="coordinator", unit_id=units[0], scope_unit_id=units[2], name="街道")
    rec = roster.list_imports(app, coord)[0]
    assert roster.list_imports(app, scoped) == []
    with pytest.raises(PermissionDenied):
        roster.undo_import(app, scoped, rec.id)


@pytest.mark.parametrize("bad", ["../../../tmp/zipslip", "区局/执法队", "..\\\\windows", "执法\x07队"])
def test_names_that_could_become_paths_are_refused_with_the_row(app, bad):
    units = make_units(app)
    coord = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    data = csv([*rows(2), f"王五,LN7654321,{bad},有效,2024-03-15,科员,否,"])
    with pytest.raises(roster.RosterError) as exc:
        roster.import_roster(app, coord, data, "名册.csv", create_units=True)
    assert [r for r, _ in exc.value.problems] == [4]
    data = csv([*rows(2), f"{bad},LN7654321,区市场监督管理局,有效,2024-03-15,科员,否,"])
    with pytest.raises(roster.RosterError) as exc:
        roster.import_roster(app, coord, data, "名册.csv")
    assert [r for r, _ in exc.value.problems] == [4]
    with pytest.raises(ServiceError):
        roster.add_unit(app, coord, bad, "enforcement")


@pytest.mark.parametrize("name", ["../../../tmp/zipslip", "..", "a/b\\c", "con:|?*\x01", "  .hidden"])
def test_safe_filename_never_climbs(name):
    out = safe_filename(name)
    assert "/" not in out and "\\" not in out and ".." not in out and not out.startswith((".", " ")) and out


def test_certificate_zip_entries_stay_in_their_folder(app):
    """Even a unit name that predates the import check (written straight to the database) stays inside."""
    from tests.support.factory import district as make_district
    from training_app.services import exams
    from training_app.store.db import write_session
    from training_app.store.models import Unit

    units, coord, officers, cid = make_district(app, n_officers=1)
    with write_session(app.engine) as s:
        s.get(Unit, officers[0].unit_id).name = "../../../tmp/zipslip"
    aid = exams.start_attempt(app, officers[0], cid, seed=11).attempt_id
    for qv in exams.attempt_view(app, officers[0], aid).questions:
        exams.save_answer(app, officers[0], aid, qv.slot, app.bank.questions[qv.qid].answer)
    exams.submit_attempt(app, officers[0], aid)
    _, data = certificates.certificates_zip(app, coord, cid)
    for entry in zipfile.ZipFile(io.BytesIO(data)).namelist():
        parts = entry.split("/")
        assert len(parts) == 2 and ".." not in entry and not entry.startswith("/"), entry
