"""Backup taken mid-exam restores every answer; an admin's personal-data export; masked phones elsewhere."""

import io
import subprocess
import sys

import openpyxl
import pytest

from tests.support.factory import district, make_person
from training_app.services import admin, exams, roster
from training_app.services.common import PermissionDenied


def test_backup_mid_exam_then_restore(sqlite_app, tmp_path):
    app = sqlite_app
    _, coord, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    for slot, resp in ((1, "A"), (2, "B"), (3, "C")):
        exams.save_answer(app, o, aid, slot, resp)
    deadline = exams.attempt_view(app, o, aid).deadline_at
    backup = tmp_path / "backup.db"
    admin.backup(app, backup)  # online: the app's engine is open and in use
    exams.save_answer(app, o, aid, 4, "D")  # after the backup
    app.engine.dispose()
    admin.restore(app.settings, backup)
    view = exams.attempt_view(app, o, aid)
    assert [q.chosen != [] for q in view.questions[:4]] == [True, True, True, False]
    assert view.deadline_at == deadline and view.state == "in_progress"


def test_backup_cli_and_restore_refuses_a_damaged_file(sqlite_app, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": str(sqlite_app.engine.url),
        "DEMO_MODE": "1",
        "QUESTION_BANK_DIR": str(sqlite_app.settings.question_bank_dir),
    }
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "backup", str(tmp_path / "b.db")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "restore", str(bad)], env=env, capture_output=True, text=True
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_person_export_is_admin_only_and_complete(app):
    _, coord, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    exams.save_answer(app, o, aid, 1, "A")
    exams.submit_attempt(app, o, aid)
    root = make_person(app, "root", role="admin", name="管理员")
    with pytest.raises(PermissionDenied):
        admin.person_export(app, coord, o.id)
    wb = openpyxl.load_workbook(io.BytesIO(admin.person_export(app, root, o.id)))
    assert {"个人信息", "考试记录", "答题记录", "练习记录", "错题本", "学时", "审计记录"} <= set(wb.sheetnames)
    header = [c.value for c in wb["个人信息"][1]]
    assert "password_hash" not in header and "account" in header
    assert wb["答题记录"].max_row == 2


def test_phones_masked_for_coordinators_not_admins(app):
    units, coord, officers, cid = district(app)
    make_person(app, "LN77777", unit_id=units[0], phone="13812340001")
    root = make_person(app, "root", role="admin", name="管理员")
    coord_view = {r["账号"]: r["手机"] for r in roster.list_people(app, coord)}
    admin_view = {r["账号"]: r["手机"] for r in roster.list_people(app, root)}
    assert coord_view["LN77777"] == "138****0001" and admin_view["LN77777"] == "13812340001"
