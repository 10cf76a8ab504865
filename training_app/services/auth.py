"""Accounts and logins: argon2id hashes, password rules, throttling and lockout, idle session expiry.

Unknown accounts cost one dummy verify so a login's timing does not tell whether the account exists.
Nothing here logs a password, a hash or a token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..engine import deadlines
from ..store import accounts as acc
from ..store import audit
from ..store.db import read_session, write_session
from ..store.models import Person
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require

log = logging.getLogger(__name__)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Initial passwords (random, 12 characters, about 70 bits, changed at first login) are hashed with a
# lighter argon2id profile so a roster of hundreds imports in seconds; `check_needs_rehash` upgrades
# every such hash to the full parameters at the next successful login.
_initial_hasher = PasswordHasher(time_cost=1, memory_cost=16384, parallelism=1)
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


class LoginFailed(ServiceError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_initial_password(password: str) -> str:
    """For random initial passwords only (see _initial_hasher)."""
    return _initial_hasher.hash(password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def password_problems(password: str, account: str = "", name: str = "") -> list[str]:
    """Why a password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < 8:
        problems.append("密码至少 8 位")
    classes = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if classes < 3:
        problems.append("密码须包含大写字母、小写字母、数字和符号中的至少三类")
    low = password.lower()
    if account and (low == account.lower() or account.lower() in low):
        problems.append("密码不能包含账号")
    if name and name in password:
        problems.append("密码不能包含姓名")
    if low in common_passwords():
        problems.append("密码过于常见，容易被猜到")
    return problems


def check_password_rules(password: str, account: str = "", name: str = "") -> None:
    problems = password_problems(password, account, name)
    if problems:
        raise ServiceError("；".join(problems))


def random_password(length: int = 12) -> str:
    """An initial password that meets the rules (no look-alike characters)."""
    lower, upper, digits, symbols = "abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "@#%+=?"
    while True:
        chars = [secrets.choice(lower), secrets.choice(upper), secrets.choice(digits), secrets.choice(symbols)]
        chars += [secrets.choice(lower + upper + digits) for _ in range(length - 4)]
        secrets.SystemRandom().shuffle(chars)
        while not chars[0].isalnum():  # never start with = + - @: a spreadsheet would take it for a formula
            chars.append(chars.pop(0))
        pw = "".join(chars)
        if not password_problems(pw):
            return pw


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(p: Person) -> Actor:
    return Actor(id=p.id, account=p.account, name=p.name, role=p.role, unit_id=p.unit_id, scope_unit_id=p.scope_unit_id)


@dataclass
class LoginResult:
    actor: Actor
    token: str
    must_change_password: bool
    password_expired: bool = False


def login(app: App, account: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Verify a login. Raises LoginFailed with a message that never tells which part was wrong."""
    now = now or deadlines.utcnow()
    account = (account or "").strip()
    s_cfg = app.settings
    with write_session(app.engine) as s:
        person = acc.person_by_account(s, account) if account else None
        if person is None or not person.active or not person.password_hash:
            try:
                _hasher.verify(_DUMMY_HASH, password or "x")
            except VerificationError:
                pass
            audit.append(s, "login", actor=account[:64], obj="account", outcome="fail", detail={"reason": "unknown"})
            raise LoginFailed("账号或密码错误")
        if person.locked_until and deadlines.as_utc(person.locked_until) > now:
            audit.append(s, "login", actor_id=person.id, actor=person.account, obj="account", outcome="locked")
            minutes = max(1, int((deadlines.as_utc(person.locked_until) - now).total_seconds() // 60) + 1)
            raise LoginFailed(f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试或联系培训管理员解锁")
        try:
            _hasher.verify(person.password_hash, password or "")
            ok = True
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            person.failed_logins += 1
            detail = {"failures": person.failed_logins}
            if person.failed_logins >= s_cfg.login_max_failures:
                minutes = s_cfg.lockout_base_minutes * (2 ** min(person.lock_count, 8))
                person.locked_until = now + timedelta(minutes=minutes)
                person.lock_count += 1
                person.failed_logins = 0
                audit.append(s, "lockout", actor_id=person.id, actor=person.account, obj=f"person:{person.id}",
                             outcome="locked", detail={"minutes": minutes})
            audit.append(s, "login", actor_id=person.id, actor=person.account, obj="account", outcome="fail", detail=detail)
            s.add(person)
            # The failure counts are committed even though we raise: commit first.
            s.commit()
            raise LoginFailed("账号或密码错误")
        if _hasher.check_needs_rehash(person.password_hash):
            person.password_hash = _hasher.hash(password)
        person.failed_logins = 0
        person.lock_count = 0
        person.locked_until = None
        person.last_login_at = now
        s.add(person)
        token = secrets.token_urlsafe(32)
        row = acc.add_session(s, person.id, _token_hash(token), now)
        s.flush()
        if s_cfg.single_session:
            acc.end_sessions_of(s, person.id, now, "replaced", except_id=row.id)
        audit.append(s, "login", actor_id=person.id, actor=person.account, obj="account", outcome="ok")
        expired = bool(s_cfg.password_max_age_days and person.password_changed_at and
                       now - deadlines.as_utc(person.password_changed_at) > timedelta(days=s_cfg.password_max_age_days))
        return LoginResult(actor_of(person), token, person.must_change_password, expired)


def resume(app: App, token: str | None, *, now: datetime | None = None, touch_every_seconds: int = 60) -> Actor | None:
    """The actor behind a session token, or None when it ended, expired by idling, or the account is inactive."""
    if not token:
        return None
    now = now or deadlines.utcnow()
    h = _token_hash(token)
    with read_session(app.engine) as s:
        row = acc.session_by_token(s, h)
        if row is None or row.ended_at is not None:
            return None
        person = s.get(Person, row.person_id)
        idle = now - deadlines.as_utc(row.last_seen_at)
        expired = idle > timedelta(minutes=app.settings.session_idle_minutes)
        stale = idle > timedelta(seconds=touch_every_seconds)
    if expired or person is None or not person.active:
        with write_session(app.engine) as s:
            row = acc.session_by_token(s, h)
            if row and row.ended_at is None:
                row.ended_at, row.end_reason = now, "idle" if expired else "inactive"
                s.add(row)
                audit.append(s, "logout", actor_id=row.person_id, actor=person.account if person else "",
                             obj="session", outcome="idle" if expired else "inactive")
        return None
    if stale:
        with write_session(app.engine) as s:
            row = acc.session_by_token(s, h)
            row.last_seen_at = now
            s.add(row)
    return actor_of(person)


def logout(app: App, token: str | None, *, now: datetime | None = None) -> None:
    if not token:
        return
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        row = acc.session_by_token(s, _token_hash(token))
        if row and row.ended_at is None:
            row.ended_at, row.end_reason = now, "logout"
            s.add(row)
            person = s.get(Person, row.person_id)
            audit.append(s, "logout", actor_id=row.person_id, actor=person.account if person else "", obj="session")


def change_password(app: App, actor: Actor, old: str, new: str, *, now: datetime | None = None) -> None:
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        person = s.get(Person, actor.id)
        try:
            _hasher.verify(person.password_hash or _DUMMY_HASH, old or "")
        except (VerificationError, InvalidHashError):
            audit.append(s, "password_change", actor_id=actor.id, actor=actor.account, obj=f"person:{actor.id}",
                         outcome="fail", detail={"reason": "old password wrong"})
            s.commit()
            raise ServiceError("原密码不正确") from None
        if new == old:
            raise ServiceError("新密码不能与原密码相同")
        check_password_rules(new, person.account, person.name)
        person.password_hash = _hasher.hash(new)
        person.must_change_password = False
        person.password_changed_at = now
        s.add(person)
        audit.append(s, "password_change", actor_id=actor.id, actor=actor.account, obj=f"person:{actor.id}")


def set_password(app: App, actor: Actor, person_id: int, *, must_change: bool = True,
                 now: datetime | None = None) -> str:
    """A coordinator resets someone's password: a new random one, shown once, to be changed at next login."""
    require(actor, "coordinator", "admin")
    now = now or deadlines.utcnow()
    pw = random_password()
    with write_session(app.engine) as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound("人员不存在")
        if not actor.can_see_unit(person.unit_id) or (person.role in ("coordinator", "admin") and actor.role != "admin"):
            raise PermissionDenied("无权重置该账号的密码")
        person.password_hash = _hasher.hash(pw)
        person.must_change_password = must_change
        person.password_changed_at = now
        person.failed_logins = 0
        person.locked_until = None
        s.add(person)
        acc.end_sessions_of(s, person.id, now, "password_reset")
        audit.append(s, "password_reset", actor_id=actor.id, actor=actor.account, obj=f"person:{person.id}")
    return pw


def unlock(app: App, actor: Actor, person_id: int, *, now: datetime | None = None) -> None:
    require(actor, "coordinator", "admin")
    with write_session(app.engine) as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound("人员不存在")
        if not actor.can_see_unit(person.unit_id):
            raise PermissionDenied("无权解锁该账号")
        person.failed_logins = 0
        person.lock_count = 0
        person.locked_until = None
        s.add(person)
        audit.append(s, "unlock", actor_id=actor.id, actor=actor.account, obj=f"person:{person.id}")


def create_staff(app: App, actor: Actor | None, account: str, name: str, role: str, password: str, *,
                 scope_unit_id: int | None = None, is_demo: bool = False, must_change: bool = False) -> int:
    """Create a coordinator or admin. actor None is the CLI's first-admin path (no admin exists yet)."""
    if role not in ("coordinator", "admin"):
        raise ServiceError("只能创建培训管理员或系统管理员账号")
    if actor is not None:
        require(actor, "admin")
    check_password_rules(password, account, name)
    with write_session(app.engine) as s:
        if acc.person_by_account(s, account):
            raise ServiceError(f"账号 {account} 已存在")
        if actor is None and acc.people(s, role="admin", limit=1) and not is_demo:
            raise PermissionDenied("已存在系统管理员；其他账号请由管理员在系统中创建")
        p = Person(account=account, name=name, role=role, scope_unit_id=scope_unit_id, password_hash=_hasher.hash(password),
                   must_change_password=must_change, password_changed_at=deadlines.utcnow(), is_demo=is_demo)
        s.add(p)
        s.flush()
        audit.append(s, "account_create", actor_id=actor.id if actor else None, actor=actor.account if actor else "cli",
                     obj=f"person:{p.id}", detail={"role": role, "account": account})
        return p.id


def get_person(app: App, person_id: int) -> Person:
    with read_session(app.engine) as s:
        p = s.get(Person, person_id)
        if p is None:
            raise NotFound("人员不存在")
        return p

