"""Logins and accounts: argon2id, rehash, throttling and lockout, idle expiry, logout, password rules, audit."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.support.factory import PASSWORD, make_person, make_units
from tests.support.statements import statements
from training_app.engine.deadlines import utcnow
from training_app.services import admin, auth
from training_app.services.common import PermissionDenied, ServiceError
from training_app.store.db import read_session, write_session
from training_app.store.models import AuditLog, LoginThrottle, Person


@pytest.fixture
def people(app):
    units = make_units(app)
    coord = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    officer = make_person(app, "LN00001", unit_id=units[0], name="王伟")
    return app, coord, officer


def _events(app, event):
    with read_session(app.engine) as s:
        return s.execute(select(AuditLog).where(AuditLog.event == event).order_by(AuditLog.id)).scalars().all()


def test_login_ok_and_rehash_to_full_parameters(people):
    app, _, officer = people
    with read_session(app.engine) as s:
        before = s.get(Person, officer.id).password_hash
    assert "m=16384,t=1" in before  # the light profile used for initial passwords
    res = auth.login(app, officer.account, PASSWORD)
    assert res.actor.id == officer.id and res.token
    with read_session(app.engine) as s:
        after = s.get(Person, officer.id).password_hash
    assert after.startswith("$argon2id$") and "m=19456,t=2,p=1" in after  # upgraded at login
    assert auth.resume(app, res.token).id == officer.id


def test_wrong_password_and_unknown_account_say_the_same(people):
    app, _, officer = people
    with pytest.raises(auth.LoginFailed) as a:
        auth.login(app, officer.account, "Wrong@Pass1")
    with pytest.raises(auth.LoginFailed) as b:
        auth.login(app, "nobody", "Wrong@Pass1")
    assert str(a.value) == str(b.value) == "账号或密码错误（再输错 4 次，该账号将暂时锁定）"


def test_unknown_account_costs_a_verify(people, monkeypatch):
    """No timing oracle: an unknown account runs one argon2 verify, like a known one."""
    app, _, _ = people
    calls = []
    real = auth._hasher

    class Spy:
        def verify(self, h, p):
            calls.append(h)
            return real.verify(h, p)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(auth, "_hasher", Spy())
    with pytest.raises(auth.LoginFailed):
        auth.login(app, "nobody", "x")
    assert calls == [auth._DUMMY_HASH]


def test_lockout_after_five_failures_growing_and_unlock(people):
    app, coord, officer = people
    t0 = utcnow()
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            auth.login(app, officer.account, "Wrong@Pass1", now=t0)
    with pytest.raises(auth.LoginFailed, match="已锁定"):
        auth.login(app, officer.account, PASSWORD, now=t0 + timedelta(minutes=1))
    assert auth.login(app, officer.account, PASSWORD, now=t0 + timedelta(minutes=6)).token
    # a second lockout lasts longer (10 minutes)... no: success reset the lock count; lock again twice
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            auth.login(app, officer.account, "Wrong@Pass1", now=t0 + timedelta(minutes=7))
    for _ in range(5):
        with pytest.raises(auth.LoginFailed):
            auth.login(app, officer.account, "Wrong@Pass1", now=t0 + timedelta(minutes=13))
    with read_session(app.engine) as s:
        p = s.execute(select(LoginThrottle).where(LoginThrottle.key == f"pair:{officer.account.lower()}|")).scalar_one()
        from training_app.engine.deadlines import as_utc

        assert as_utc(p.blocked_until) - (t0 + timedelta(minutes=13)) == timedelta(minutes=10)
    auth.unlock(app, coord, officer.id)
    assert auth.login(app, officer.account, PASSWORD, now=t0 + timedelta(minutes=14)).token
    assert len(_events(app, "lockout")) == 3
    fails = [e for e in _events(app, "login") if e.outcome == "fail"]
    assert len(fails) == 15
    assert _events(app, "unlock")


def test_idle_session_expires_and_logout_ends_it(people):
    app, _, officer = people
    t0 = utcnow()
    res = auth.login(app, officer.account, PASSWORD, now=t0)
    assert auth.resume(app, res.token, now=t0 + timedelta(minutes=29))
    assert auth.resume(app, res.token, now=t0 + timedelta(minutes=58))  # activity at 29 kept it alive
    assert auth.resume(app, res.token, now=t0 + timedelta(minutes=89)) is None  # idle for 31 minutes
    res2 = auth.login(app, officer.account, PASSWORD)
    auth.logout(app, res2.token)
    assert auth.resume(app, res2.token) is None
    assert auth.resume(app, "not-a-token") is None


def test_a_page_run_checks_its_login_with_one_statement(people, monkeypatch):
    """Every page run of every officer checks its login: one SELECT of the login and its person, straight on the
    driver (`db.HotRead`; it was an ORM session with two, a fifth of an exam-page full run), and nothing else; a
    deactivated account still ends the login."""
    app, _, officer = people
    t0 = utcnow()
    res = auth.login(app, officer.account, PASSWORD, now=t0)
    with statements(app.engine, monkeypatch) as seen:
        actor = auth.resume(app, res.token, now=t0 + timedelta(seconds=5))
    assert actor == auth.actor_of(_person(app, officer.id))
    assert len(seen) == 1 and seen[0].startswith("hot:session_login SELECT"), seen
    with write_session(app.engine) as s:
        s.get(Person, officer.id).active = False
    assert auth.resume(app, res.token, now=t0 + timedelta(seconds=6)) is None
    assert [e.outcome for e in _events(app, "logout")][-1:] == ["inactive"]


def _person(app, person_id):
    with read_session(app.engine) as s:
        return s.get(Person, person_id)


def test_single_session_rule(people, small_bank, small_bank_dir, tmp_path):
    from tests.conftest import make_test_app

    app, _, officer = people
    strict = make_test_app(str(app.engine.url), small_bank, small_bank_dir, tmp_path, SINGLE_SESSION_PER_ACCOUNT=1)
    first = auth.login(strict, officer.account, PASSWORD)
    second = auth.login(strict, officer.account, PASSWORD)
    assert auth.resume(strict, first.token) is None and auth.resume(strict, second.token)


@pytest.mark.parametrize(
    "password,reason",
    [
        ("Ab1!", "至少 8 位"),
        ("abcdefgh1", "至少三类"),
        ("Password1!", "过于常见"),
        ("LN00001@Abc", "不能包含账号"),
        ("Aa123456", "过于常见"),
    ],
)
def test_weak_passwords_refused_with_reason(people, password, reason):
    app, _, officer = people
    with pytest.raises(ServiceError, match=reason):
        auth.change_password(app, officer, PASSWORD, password)


def test_change_password_and_reset(people):
    app, coord, officer = people
    with pytest.raises(ServiceError, match="原密码不正确"):
        auth.change_password(app, officer, "Wrong@Pass1", "Zhifa#Liunan2026")
    auth.change_password(app, officer, PASSWORD, "Zhifa#Liunan2026")
    assert auth.login(app, officer.account, "Zhifa#Liunan2026")
    pw = auth.set_password(app, coord, officer.id)
    assert not auth.password_problems(pw)
    res = auth.login(app, officer.account, pw)
    assert res.must_change_password
    with pytest.raises(PermissionDenied):
        auth.set_password(app, officer, coord.id)
    assert _events(app, "password_change") and _events(app, "password_reset")


def test_random_passwords_meet_the_rules():
    for _ in range(300):
        pw = auth.random_password()
        assert not auth.password_problems(pw)
        assert pw[0].isalnum()  # exported to Excel as it is, never mistaken for a formula


def test_no_password_hash_or_token_in_logs(people, caplog):
    app, coord, officer = people
    caplog.set_level(logging.DEBUG)
    res = auth.login(app, officer.account, PASSWORD)
    pw = auth.set_password(app, coord, officer.id)
    with read_session(app.engine) as s:
        h = s.get(Person, officer.id).password_hash
    logged = caplog.text + "".join(
        e.detail + e.object + e.actor for e in _events(app, "login") + _events(app, "password_reset")
    )
    for secret in (PASSWORD, pw, h, res.token):
        assert secret not in logged


def test_audit_chain_verifies_and_names_an_edited_row(people, tmp_path):
    import subprocess
    import sys

    app, coord, officer = people
    for _ in range(3):
        auth.login(app, officer.account, PASSWORD)
    ok, n, _ = admin.verify_audit(app)
    assert ok and n >= 3
    with write_session(app.engine) as s:
        target = s.execute(select(AuditLog).order_by(AuditLog.id).offset(1).limit(1)).scalar_one()
        s.execute(text("UPDATE audit_log SET outcome='fail' WHERE id=:i"), {"i": target.id})
    ok, n, problem = admin.verify_audit(app)
    assert not ok and f"#{target.id}" in problem and "改动" in problem
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": str(app.engine.url),
        "DEMO_MODE": "1",
        "QUESTION_BANK_DIR": str(app.settings.question_bank_dir),
    }
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "audit", "verify"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 1 and f"#{target.id}" in r.stdout


def test_audit_deleted_row_detected(people):
    app, _, officer = people
    for _ in range(4):
        auth.login(app, officer.account, PASSWORD)
    with write_session(app.engine) as s:
        ids = s.execute(select(AuditLog.id).order_by(AuditLog.id)).scalars().all()
        s.execute(text("DELETE FROM audit_log WHERE id=:i"), {"i": ids[2]})
    ok, _, problem = admin.verify_audit(app)
    assert not ok and f"#{ids[3]}" in problem


def test_audit_purge_only_admin_only_old_and_audited(people):
    app, coord, officer = people
    t_old = utcnow() - timedelta(days=400)
    with write_session(app.engine) as s:
        from training_app.store import audit

        for i in range(3):
            audit.append(s, "login", actor="old", at=t_old + timedelta(minutes=i))
    auth.login(app, officer.account, PASSWORD)
    admin_actor = make_person(app, "root", role="admin", name="管理员")
    with pytest.raises(PermissionDenied):
        admin.purge_audit(app, coord)
    with pytest.raises(ServiceError, match="至少保存 180 天"):
        admin.purge_audit(app, admin_actor, older_than_days=30)
    assert admin.purge_audit(app, admin_actor) == 3
    ok, _, problem = admin.verify_audit(app)
    assert ok, problem
    assert _events(app, "audit_purge")


def test_a_hash_with_the_old_default_parameters_is_moved_to_the_current_ones(people):
    """Hashes made before the parameters changed (argon2-cffi's default, m=64 MiB, t=3, p=4) keep working and are
    rewritten with the current ones at the next successful login."""
    from argon2 import PasswordHasher

    app, _, officer = people
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    with write_session(app.engine) as s:
        s.get(Person, officer.id).password_hash = old
    auth.login(app, officer.account, PASSWORD)
    with read_session(app.engine) as s:
        after = s.get(Person, officer.id).password_hash
    assert after != old and "m=19456,t=2,p=1" in after


def test_password_hashing_leaves_a_core_to_the_pages(monkeypatch):
    """No more than (cores - 1) argon2 computations run at once in a process (argon2 releases the GIL)."""
    import threading
    import time

    running, peak, lock = 0, 0, threading.Lock()
    real = auth._hasher

    class Slow:
        def verify(self, stored, password):
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return True

    monkeypatch.setattr(auth, "_hasher", Slow())
    threads = [threading.Thread(target=auth._verify, args=("h", "p")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(auth, "_hasher", real)
    assert 1 <= peak <= auth._hash_slots._initial_value


def test_a_busy_database_does_not_end_or_break_a_resumed_login(people, monkeypatch):
    """The "last seen" touch of a resumed login is best effort: when SQLite's write lock is taken past the busy
    timeout the login still resumes (no exception page on exam morning)."""
    from contextlib import contextmanager

    from training_app.store.db import DatabaseBusy

    app, _, officer = people
    token = auth.login(app, officer.account, PASSWORD).token

    @contextmanager
    def busy(engine):
        raise DatabaseBusy("database is locked")
        yield

    monkeypatch.setattr(auth, "write_session", busy)
    later = utcnow() + timedelta(minutes=5)
    assert auth.resume(app, token, now=later).id == officer.id


def test_an_initial_password_is_not_rehashed_at_the_login_that_must_replace_it(people, monkeypatch):
    """A roster's first login: the light hash of the initial password stays (the officer must set a new password
    first, hashed in full); hashing it again was one full argon2 hash per officer on exam morning."""
    app, _, officer = people
    with write_session(app.engine) as s:
        s.get(Person, officer.id).must_change_password = True
    with read_session(app.engine) as s:
        before = s.get(Person, officer.id).password_hash
    hashed = []
    real = auth._hash
    monkeypatch.setattr(auth, "_hash", lambda pw: hashed.append(1) or real(pw))
    res = auth.login(app, officer.account, PASSWORD)
    assert res.actor.id == officer.id and not hashed
    with read_session(app.engine) as s:
        assert s.get(Person, officer.id).password_hash == before
    assert auth.must_change_password(app, res.actor)
