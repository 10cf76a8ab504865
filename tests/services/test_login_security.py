"""Logins as a security tester probes them: no account enumeration, every outcome audited (committed even
when the login fails), throttling by client address as well as by account, admin unlock."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.factory import PASSWORD, make_person, make_units
from training_app.engine.deadlines import utcnow
from training_app.services import auth
from training_app.services.auth import ClientInfo
from training_app.services.common import PermissionDenied
from training_app.store.db import read_session
from training_app.store.models import AuditLog

PHONE = "Mozilla/5.0 (Linux; Android 14) Mobile"


@pytest.fixture
def people(app):
    units = make_units(app)
    admin = make_person(app, "admin1", role="admin", name="系统管理员")
    officer = make_person(app, "LN00001", unit_id=units[0], name="王伟")
    other = make_person(app, "LN00002", unit_id=units[0], name="李娜")
    return app, admin, officer, other


def _logins(app):
    with read_session(app.engine) as s:
        return s.execute(select(AuditLog).where(AuditLog.event == "login").order_by(AuditLog.id)).scalars().all()


def _fail(app, account, password="Wrong@Pass1", *, address="10.0.0.5", now=None) -> str:
    with pytest.raises(auth.LoginFailed) as exc:
        auth.login(app, account, password, client=ClientInfo(address, PHONE), now=now)
    return str(exc.value)


def test_unknown_and_known_accounts_behave_identically_through_a_lockout(people):
    app, _, officer, _ = people
    t0 = utcnow()
    known = [_fail(app, officer.account, address="10.0.0.5", now=t0) for _ in range(6)]
    unknown = [_fail(app, "LN99999", address="10.0.0.6", now=t0) for _ in range(6)]
    assert known == unknown
    assert known[0].endswith("再输错 4 次，该账号将暂时锁定）")
    assert known[4] == known[5] == "登录失败次数过多，该账号已锁定，请 5 分钟后再试，或联系培训管理员解锁"
    # the locked account refuses even the right password, and says nothing different for the unknown one
    assert _fail(app, officer.account, PASSWORD, address="10.0.0.5", now=t0) == _fail(
        app, "LN99999", PASSWORD, address="10.0.0.6", now=t0
    )


def test_every_outcome_is_audited_even_when_the_login_fails(people):
    app, _, officer, _ = people
    t0 = utcnow()
    _fail(app, "nobody")  # unknown account
    for _ in range(5):
        _fail(app, officer.account, now=t0)
    _fail(app, officer.account, PASSWORD, now=t0)  # the refused correct password while locked
    auth.login(app, officer.account, PASSWORD, client=ClientInfo("10.0.0.9", PHONE))  # from another address
    rows = _logins(app)
    assert [(r.actor, r.outcome) for r in rows] == [("nobody", "fail")] + [(officer.account, "fail")] * 5 + [
        (officer.account, "locked"),
        (officer.account, "ok"),
    ]
    import json

    details = [json.loads(r.detail) for r in rows]
    assert details[0]["reason"] == "unknown" and details[1]["reason"] == "bad_password"
    assert all(d["user_agent"] == PHONE for d in details)
    assert [d["address"] for d in details] == ["10.0.0.5"] * 7 + ["10.0.0.9"]


def test_a_lock_from_one_address_does_not_lock_the_officer_out_everywhere(people):
    app, _, officer, _ = people
    t0 = utcnow()
    for _ in range(5):
        _fail(app, officer.account, address="203.0.113.7", now=t0)
    assert "锁定" in _fail(app, officer.account, PASSWORD, address="203.0.113.7", now=t0)
    res = auth.login(app, officer.account, PASSWORD, client=ClientInfo("10.0.0.9", PHONE), now=t0)
    assert res.token  # the officer's own phone still gets in


def test_an_address_that_fails_often_waits_then_is_blocked(people):
    app, _, officer, other = people
    cfg = app.settings
    t0 = utcnow()
    for i in range(cfg.login_ip_delay_after):
        _fail(app, f"guess{i}", now=t0)
    msg = _fail(app, officer.account, PASSWORD, now=t0)  # even a right password waits
    assert "过于频繁" in msg
    t = t0
    for i in range(cfg.login_ip_block_after - cfg.login_ip_delay_after):
        t += timedelta(seconds=61)
        _fail(app, f"again{i}", now=t)
    assert "本设备登录失败次数过多" in _fail(app, other.account, PASSWORD, now=t + timedelta(minutes=1))
    # another address is not affected
    assert auth.login(app, other.account, PASSWORD, client=ClientInfo("10.0.0.9", PHONE), now=t).token
    with read_session(app.engine) as s:
        events = s.execute(select(AuditLog.outcome).where(AuditLog.event == "login_throttle")).scalars().all()
    assert events == ["delayed", "blocked"]


def test_many_addresses_lock_the_account_everywhere_and_an_admin_lifts_it(people):
    app, admin, officer, _ = people
    t0 = utcnow()
    for i in range(app.settings.login_account_max_failures):
        _fail(app, officer.account, address=f"198.51.100.{i}", now=t0)
    assert "锁定" in _fail(app, officer.account, PASSWORD, address="10.0.0.9", now=t0)
    blocks = auth.login_blocks(app, admin, now=t0)
    everywhere = [b for b in blocks if b.kind == "account"]
    assert [b.account for b in everywhere] == [officer.account.lower()]
    with pytest.raises(PermissionDenied):
        auth.login_blocks(app, officer)
    auth.lift_block(app, admin, everywhere[0].key)
    assert auth.login(app, officer.account, PASSWORD, client=ClientInfo("10.0.0.9", PHONE), now=t0).token


def test_unlock_from_the_roster_clears_every_lock_of_the_account(people):
    app, admin, officer, _ = people
    t0 = utcnow()
    for _ in range(5):
        _fail(app, officer.account, now=t0)
    assert auth.locked_accounts(app, [officer.account], now=t0) == {officer.account.lower()}
    auth.unlock(app, admin, officer.id)
    assert auth.locked_accounts(app, [officer.account], now=t0) == set()
    assert auth.login(app, officer.account, PASSWORD, client=ClientInfo("10.0.0.5", PHONE), now=t0).token


@pytest.mark.parametrize(
    "peer,xff,trusted,expected",
    [
        ("10.0.0.2", "1.2.3.4", (), "10.0.0.2"),  # no trusted proxy: the header is ignored
        ("10.0.0.2", "1.2.3.4", ("10.0.0.0/24",), "1.2.3.4"),
        ("10.0.0.2", "6.6.6.6, 1.2.3.4", ("10.0.0.2",), "1.2.3.4"),  # a spoofed left-most hop is not believed
        ("10.0.0.2", "1.2.3.4, 10.0.0.3", ("10.0.0.0/24",), "1.2.3.4"),  # two proxies
        ("192.0.2.1", "1.2.3.4", ("10.0.0.0/24",), "192.0.2.1"),  # the peer is not a trusted proxy
    ],
)
def test_client_address_believes_forwarded_for_only_from_trusted_proxies(peer, xff, trusted, expected):
    assert auth.client_address(peer, xff, trusted) == expected


def test_password_change_ends_other_logins(people):
    app, _, officer, _ = people
    phone = auth.login(app, officer.account, PASSWORD)
    desk = auth.login(app, officer.account, PASSWORD)
    auth.change_password(app, phone.actor, PASSWORD, "New@Pass2026x", keep_token=phone.token)
    assert auth.resume(app, phone.token) is not None
    assert auth.resume(app, desk.token) is None


def test_the_password_is_verified_outside_the_write_lock(sqlite_app, monkeypatch):
    """On SQLite a write transaction holds the database's only write lock: an argon2 verify (tens of ms) inside it
    would queue every answer being saved behind every login on exam morning. While the password is being checked,
    another connection can still write."""
    import sqlite3

    app = sqlite_app
    units = make_units(app)
    officer = make_person(app, "LN00009", unit_id=units[0], name="赵六")
    path = app.engine.url.database
    real = auth._hasher
    writable = []

    class Probe:
        def verify(self, h, p):
            con = sqlite3.connect(path, timeout=0.2)
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
                writable.append(True)
            except sqlite3.OperationalError:
                writable.append(False)
            finally:
                con.close()
            return real.verify(h, p)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(auth, "_hasher", Probe())
    assert auth.login(app, officer.account, PASSWORD, client=ClientInfo("10.0.0.1", PHONE)).token
    with pytest.raises(auth.LoginFailed):
        auth.login(app, officer.account, "Wrong@Pass1", client=ClientInfo("10.0.0.1", PHONE))
    assert writable == [True, True]
