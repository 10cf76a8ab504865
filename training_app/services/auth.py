"""Accounts and logins: argon2id hashes, password rules, throttling and lockout, idle session expiry.

Unknown accounts cost one dummy verify so a login's timing does not tell whether the account exists.
Nothing here logs a password, a hash or a token.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..engine import deadlines
from ..store import accounts as acc
from ..store import audit
from ..store.db import DatabaseBusy, read_session, write_session
from ..store.models import LoginThrottle, Person
from .common import STAFF_ROLES, Actor, App, NotFound, PermissionDenied, ServiceError, require

log = logging.getLogger(__name__)

# argon2id with OWASP's recommended parameters (Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1): about 20 ms
# of one core per verify. The library's default (RFC 9106's second option, m = 64 MiB, t = 3, p = 4) costs ~150 ms of
# CPU spread over every core; on exam morning, with most officers logging in within a minute, those verifies took
# the cores from the exam pages (benchmarks/README.md, "Exam day under load"). Hashes made with other parameters
# are upgraded at the next successful login (check_needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# At most (cores - 1) hashes at a time in a process: argon2 releases the GIL, so a storm of logins could otherwise
# take every core from the script runners; a login waits its turn instead of every page waiting for the logins.
_hash_slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))
# Initial passwords (random, 12 characters, about 70 bits, changed at first login) are hashed with a
# lighter argon2id profile so a roster of hundreds imports in seconds; `check_needs_rehash` upgrades
# every such hash to the full parameters at the next successful login.
_initial_hasher = PasswordHasher(time_cost=1, memory_cost=16384, parallelism=1)
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def _verify(stored: str, password: str) -> None:
    """argon2 verify (raises on a mismatch), one of the process's hash slots held."""
    with _hash_slots:
        _hasher.verify(stored, password)


def _hash(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


class LoginFailed(ServiceError):
    pass


def hash_password(password: str) -> str:
    return _hash(password)


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
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
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


def actor_of(p: Person | acc.SessionLogin) -> Actor:
    """The actor of a person row, or of a login's one-row read (``store.accounts.session_login``)."""
    return Actor(id=p.id, account=p.account, name=p.name, role=p.role, unit_id=p.unit_id, scope_unit_id=p.scope_unit_id)


@dataclass
class LoginResult:
    actor: Actor
    token: str
    must_change_password: bool
    password_expired: bool = False


@dataclass(frozen=True)
class ClientInfo:
    """Who is knocking: the client address (see :func:`client_address`) and the browser's user agent."""

    address: str = ""
    user_agent: str = ""


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address. X-Forwarded-For is believed only when the direct peer is a trusted proxy; then
    the right-most address in it that is not itself a trusted proxy is the client."""
    peer = (peer or "").strip()
    if not forwarded_for or not trusted_proxies or not _in_networks(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted_proxies):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _in_networks(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def _account_key(account: str) -> str:
    return account.strip().lower()[:64]


def _throttle_keys(account: str, address: str) -> tuple[str, str, str | None]:
    key = _account_key(account)
    return f"account:{key}", f"pair:{key}|{address}", (f"ip:{address}" if address else None)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((deadlines.as_utc(until) - now).total_seconds() / 60))


LOCKED_MESSAGE = "登录失败次数过多，该账号已锁定，请 {minutes} 分钟后再试，或联系培训管理员解锁"
WRONG_MESSAGE = "账号或密码错误"


def _wrong_message(left: int) -> str:
    return f"{WRONG_MESSAGE}（再输错 {left} 次，该账号将暂时锁定）" if left > 0 else WRONG_MESSAGE


def login(
    app: App, account: str, password: str, *, client: ClientInfo | None = None, now: datetime | None = None
) -> LoginResult:
    """Verify a login. Raises LoginFailed with a message that never tells whether the account exists.

    Every outcome is audited and committed on its own, with the client address and user agent. Failures are
    counted per typed account (whether it exists or not: the same messages and timing for both), per
    (account, address) and per address: five failures lock the account from that address (doubling), twenty
    from all addresses lock it everywhere, and an address that fails often waits longer before each try and
    is then blocked for a while. The correct password is refused while a lock holds."""
    now = now or deadlines.utcnow()
    client = client or ClientInfo()
    account = (account or "").strip()
    cfg = app.settings
    acct_key, pair_key, ip_key = _throttle_keys(account, client.address)
    keys = [k for k in (acct_key, pair_key, ip_key) if k]
    where = {"address": client.address[:64], "user_agent": client.user_agent[:200]}

    # 1. Read: the throttles and the account. Nothing slow happens inside a write transaction (on SQLite a
    #    write transaction holds the database's one write lock: an argon2 verify there would queue every
    #    officer's answer behind every login on exam morning).
    with read_session(app.engine) as s:
        rows = acc.throttle_rows(s, keys)
        person = acc.person_by_account(s, account) if account else None
        stored_hash = person.password_hash if person is not None else None
        usable = person is not None and person.active and bool(stored_hash)
        must_change = person is not None and person.must_change_password
    refusal: tuple[str, LoginFailed, dict] | None = None
    ip_row = rows.get(ip_key) if ip_key else None
    if ip_row is not None and ip_row.blocked_until and deadlines.as_utc(ip_row.blocked_until) > now:
        refusal = (
            "throttled",
            LoginFailed(f"本设备登录失败次数过多，请 {_minutes_left(ip_row.blocked_until, now)} 分钟后再试"),
            {"reason": "address_blocked"},
        )
    elif ip_row is not None and ip_row.failures >= cfg.login_ip_delay_after and ip_row.last_failure_at:
        wait = min(60, 2 ** (ip_row.failures - cfg.login_ip_delay_after))
        ready = deadlines.as_utc(ip_row.last_failure_at) + timedelta(seconds=wait)
        if ready > now:
            refusal = (
                "throttled",
                LoginFailed(f"登录尝试过于频繁，请 {max(1, int((ready - now).total_seconds()) + 1)} 秒后再试"),
                {"reason": "address_delay", "wait_seconds": wait},
            )
    if refusal is None:  # a locked account (from this address, or everywhere): the same whether it exists or not
        lock = max(
            (
                r.blocked_until
                for r in (rows.get(acct_key), rows.get(pair_key))
                if r is not None and r.blocked_until and deadlines.as_utc(r.blocked_until) > now
            ),
            default=None,
            key=deadlines.as_utc,
        )
        if lock is not None:
            refusal = ("locked", LoginFailed(LOCKED_MESSAGE.format(minutes=_minutes_left(lock, now))), {})

    # 2. Verify the password outside any transaction (a dummy verify for an unknown or unusable account).
    ok = False
    new_hash: str | None = None
    if refusal is None:
        try:
            _verify(stored_hash if usable else _DUMMY_HASH, password or "")
            ok = usable
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        # Upgrade a lighter hash to the full parameters, except an initial password's: the officer must replace it
        # before anything else (a full hash of the new one), so hashing the old one again would be wasted on the
        # login that costs most on exam morning (a roster's first logins).
        if ok and not must_change and _hasher.check_needs_rehash(stored_hash):
            new_hash = _hash(password)

    # 3. Write the outcome (committed on its own, also when the login fails).
    failure: LoginFailed | None = None
    result: LoginResult | None = None
    with write_session(app.engine) as s:
        person = acc.person_by_account(s, account) if account else None

        def _log(outcome: str, who: Person | None = None, **detail) -> None:
            audit.append(
                s,
                "login",
                actor_id=who.id if who else None,
                actor=account[:64],
                obj="account",
                outcome=outcome,
                detail={**where, **detail},
            )

        if refusal is not None:
            outcome, failure, detail = refusal
            _log(outcome, person if outcome == "locked" else None, **detail)
        elif not ok or person is None or not person.active or person.password_hash != stored_hash:
            reason = "unknown" if person is None else ("inactive" if not person.active else "bad_password")
            rows = acc.throttle_rows(s, keys, for_update=True)
            left = _record_failure(s, cfg, rows, acct_key, pair_key, ip_key, now, account)
            _log("fail", person if reason != "unknown" else None, reason=reason, tries_left=left)
            failure = LoginFailed(
                _wrong_message(left) if left else LOCKED_MESSAGE.format(minutes=cfg.lockout_base_minutes)
            )
            if left == 0:
                lock = max(
                    (r.blocked_until for r in rows.values() if r.kind != "ip" and r.blocked_until),
                    default=None,
                    key=deadlines.as_utc,
                )
                if lock is not None:
                    failure = LoginFailed(LOCKED_MESSAGE.format(minutes=_minutes_left(lock, now)))
        else:
            if new_hash is not None:
                person.password_hash = new_hash
            result = _start_session(s, cfg, person, now)
            acc.clear_throttles(s, keys=[acct_key, pair_key])
            _log("ok", person)
    if failure is not None:
        raise failure
    assert result is not None
    return result


def _record_failure(
    s, cfg, rows: dict, acct_key: str, pair_key: str, ip_key: str | None, now: datetime, account: str
) -> int:
    """Count a failure on the account, the (account, address) pair and the address; lock or block where a
    limit is reached (audited). Returns the tries left before this address's lock (0: locked now)."""
    window = timedelta(hours=1)

    def bump(key: str, kind: str) -> LoginThrottle:
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, kind=kind, failures=0, block_count=0)
            rows[key] = row
        if row.first_failure_at is None or now - deadlines.as_utc(row.first_failure_at) > window:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        row.last_failure_at = now
        s.add(row)
        return row

    pair = bump(pair_key, "pair")
    acct = bump(acct_key, "account")
    left = max(0, cfg.login_max_failures - pair.failures)
    if pair.failures >= cfg.login_max_failures:
        minutes = cfg.lockout_base_minutes * (2 ** min(pair.block_count, 8))
        pair.blocked_until, pair.block_count, pair.failures, pair.first_failure_at = (
            now + timedelta(minutes=minutes),
            pair.block_count + 1,
            0,
            None,
        )
        audit.append(
            s,
            "lockout",
            actor=account[:64],
            obj=f"login:{pair_key[:190]}",
            outcome="locked",
            detail={"scope": "address", "minutes": minutes},
        )
    if acct.failures >= cfg.login_account_max_failures:
        minutes = cfg.lockout_base_minutes * (2 ** min(acct.block_count, 8))
        acct.blocked_until, acct.block_count, acct.failures, acct.first_failure_at = (
            now + timedelta(minutes=minutes),
            acct.block_count + 1,
            0,
            None,
        )
        left = 0
        audit.append(
            s,
            "lockout",
            actor=account[:64],
            obj=f"login:{acct_key[:190]}",
            outcome="locked",
            detail={"scope": "everywhere", "minutes": minutes},
        )
    if ip_key:
        ip = bump(ip_key, "ip")
        if ip.failures >= cfg.login_ip_block_after:
            ip.blocked_until, ip.block_count, ip.failures, ip.first_failure_at = (
                now + timedelta(minutes=cfg.login_ip_block_minutes),
                ip.block_count + 1,
                0,
                None,
            )
            audit.append(
                s,
                "login_throttle",
                actor=account[:64],
                obj=f"login:{ip_key[:190]}",
                outcome="blocked",
                detail={"minutes": cfg.login_ip_block_minutes},
            )
        elif ip.failures == cfg.login_ip_delay_after:
            audit.append(
                s,
                "login_throttle",
                actor=account[:64],
                obj=f"login:{ip_key[:190]}",
                outcome="delayed",
                detail={"failures": ip.failures},
            )
    return left


def _start_session(s, cfg, person: Person, now: datetime) -> LoginResult:
    person.last_login_at = now
    s.add(person)
    token = new_session_token()
    row = acc.add_session(s, person.id, _token_hash(token), now)
    s.flush()
    if cfg.single_session:
        acc.end_sessions_of(s, person.id, now, "replaced", except_id=row.id)
    expired = bool(
        cfg.password_max_age_days
        and person.password_changed_at
        and now - deadlines.as_utc(person.password_changed_at) > timedelta(days=cfg.password_max_age_days)
    )
    return LoginResult(actor_of(person), token, person.must_change_password, expired)


def new_session_token() -> str:
    """256 random bits, URL-safe (kept by the browser in a cookie; the server stores only its SHA-256)."""
    return secrets.token_urlsafe(32)


def resume(app: App, token: str | None, *, now: datetime | None = None, touch_every_seconds: int = 60) -> Actor | None:
    """The actor behind a session token, or None when it ended, expired by idling, or the account is inactive."""
    if not token:
        return None
    now = now or deadlines.utcnow()
    h = _token_hash(token)
    login = acc.session_login(app.engine, h)  # the login and its person in one row
    if login is None or login.ended_at is not None:
        return None
    idle = now - deadlines.as_utc(login.last_seen_at)
    expired = idle > timedelta(minutes=app.settings.session_idle_minutes)
    stale = idle > timedelta(seconds=touch_every_seconds)
    if expired or not login.active:
        with write_session(app.engine) as s:
            row = acc.session_by_token(s, h)
            if row and row.ended_at is None:
                row.ended_at, row.end_reason = now, "idle" if expired else "inactive"
                s.add(row)
                audit.append(
                    s,
                    "logout",
                    actor_id=row.person_id,
                    actor=login.account,
                    obj="session",
                    outcome="idle" if expired else "inactive",
                )
        return None
    if stale:
        try:
            with write_session(app.engine) as s:
                row = acc.session_by_token(s, h)
                row.last_seen_at = now
                s.add(row)
        except DatabaseBusy:
            pass  # the "last seen" touch is best effort: the next run touches it (an exam-morning peak on SQLite)
    return actor_of(login)


def must_change_password(app: App, actor: Actor, *, now: datetime | None = None) -> bool:
    """Whether the person must change their password before anything else (initial, reset or expired)."""
    now = now or deadlines.utcnow()
    with read_session(app.engine) as s:
        p = s.get(Person, actor.id)
        if p is None:
            return False
        expired = bool(
            app.settings.password_max_age_days
            and p.password_changed_at
            and now - deadlines.as_utc(p.password_changed_at) > timedelta(days=app.settings.password_max_age_days)
        )
        return bool(p.must_change_password or expired)


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


def change_password(
    app: App, actor: Actor, old: str, new: str, *, keep_token: str | None = None, now: datetime | None = None
) -> None:
    """Change one's own password; every other login of the account ends (the one in ``keep_token`` stays)."""
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        person = s.get(Person, actor.id)
        try:
            _verify(person.password_hash or _DUMMY_HASH, old or "")
        except (VerificationError, InvalidHashError):
            audit.append(
                s,
                "password_change",
                actor_id=actor.id,
                actor=actor.account,
                obj=f"person:{actor.id}",
                outcome="fail",
                detail={"reason": "old password wrong"},
            )
            s.commit()
            raise ServiceError("原密码不正确") from None
        if new == old:
            raise ServiceError("新密码不能与原密码相同")
        check_password_rules(new, person.account, person.name)
        person.password_hash = _hash(new)
        person.must_change_password = False
        person.password_changed_at = now
        s.add(person)
        keep = acc.session_by_token(s, _token_hash(keep_token)) if keep_token else None
        ended = acc.end_sessions_of(s, person.id, now, "password_change", except_id=keep.id if keep else None)
        audit.append(
            s,
            "password_change",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"person:{actor.id}",
            detail={"other_sessions_ended": ended},
        )


def set_password(
    app: App, actor: Actor, person_id: int, *, must_change: bool = True, now: datetime | None = None
) -> str:
    """A coordinator resets someone's password: a new random one, shown once, to be changed at next login."""
    require(actor, *STAFF_ROLES)
    now = now or deadlines.utcnow()
    pw = random_password()
    with write_session(app.engine) as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound("人员不存在")
        if not actor.can_see_unit(person.unit_id) or (person.role in STAFF_ROLES and actor.role != "admin"):
            raise PermissionDenied("无权重置该账号的密码")
        person.password_hash = _hash(pw)
        person.must_change_password = must_change
        person.password_changed_at = now
        person.failed_logins = 0
        person.locked_until = None
        s.add(person)
        acc.end_sessions_of(s, person.id, now, "password_reset")
        audit.append(s, "password_reset", actor_id=actor.id, actor=actor.account, obj=f"person:{person.id}")
    return pw


def unlock(app: App, actor: Actor, person_id: int, *, now: datetime | None = None) -> None:
    require(actor, *STAFF_ROLES)
    with write_session(app.engine) as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound("人员不存在")
        if not actor.can_see_unit(person.unit_id) or (person.role in STAFF_ROLES and actor.role != "admin"):
            raise PermissionDenied("无权解锁该账号")
        key = _account_key(person.account)
        n = acc.clear_throttles(s, keys=[f"account:{key}"], prefix=f"pair:{key}|")
        person.failed_logins = 0
        person.lock_count = 0
        person.locked_until = None
        s.add(person)
        audit.append(
            s, "unlock", actor_id=actor.id, actor=actor.account, obj=f"person:{person.id}", detail={"cleared": n}
        )


@dataclass
class Block:
    key: str
    kind: str  # account | pair | ip
    account: str
    address: str
    blocked_until: datetime
    block_count: int


def login_blocks(app: App, actor: Actor, *, now: datetime | None = None) -> list[Block]:
    """Locks and address blocks in force now (admins)."""
    require(actor, "admin")
    now = now or deadlines.utcnow()
    with read_session(app.engine) as s:
        rows = acc.active_blocks(s, now)
    out = []
    for r in rows:
        body = r.key.split(":", 1)[1]
        account, address = (
            (body.split("|", 1) + [""])[:2] if r.kind == "pair" else ((body, "") if r.kind == "account" else ("", body))
        )
        out.append(Block(r.key, r.kind, account, address, deadlines.as_utc(r.blocked_until), r.block_count))
    return out


def lift_block(app: App, actor: Actor, key: str) -> None:
    """One-click unlock of a lock or an address block (admins; audited)."""
    require(actor, "admin")
    with write_session(app.engine) as s:
        n = acc.clear_throttles(s, keys=[key])
        if not n:
            raise NotFound("该锁定已解除或已到期")
        audit.append(s, "unlock", actor_id=actor.id, actor=actor.account, obj=f"login:{key[:190]}")


def locked_accounts(app: App, accounts: list[str], *, now: datetime | None = None) -> set[str]:
    """Which of these accounts are locked now (lower-cased), for the roster's 锁定 column."""
    now = now or deadlines.utcnow()
    with read_session(app.engine) as s:
        return acc.blocked_accounts(s, accounts, now)


def create_staff(
    app: App,
    actor: Actor | None,
    account: str,
    name: str,
    role: str,
    password: str,
    *,
    scope_unit_id: int | None = None,
    is_demo: bool = False,
    must_change: bool = False,
) -> int:
    """Create a coordinator or admin. actor None is the CLI's first-admin path (no admin exists yet)."""
    if role not in STAFF_ROLES:
        raise ServiceError("只能创建培训管理员或系统管理员账号")
    if actor is not None:
        require(actor, "admin")
    check_password_rules(password, account, name)
    with write_session(app.engine) as s:
        if acc.person_by_account(s, account):
            raise ServiceError(f"账号 {account} 已存在")
        if actor is None and acc.people(s, role="admin", limit=1) and not is_demo:
            raise PermissionDenied("已存在系统管理员；其他账号请由管理员在系统中创建")
        p = Person(
            account=account,
            name=name,
            role=role,
            scope_unit_id=scope_unit_id,
            password_hash=_hash(password),
            must_change_password=must_change,
            password_changed_at=deadlines.utcnow(),
            is_demo=is_demo,
        )
        s.add(p)
        s.flush()
        audit.append(
            s,
            "account_create",
            actor_id=actor.id if actor else None,
            actor=actor.account if actor else "cli",
            obj=f"person:{p.id}",
            detail={"role": role, "account": account},
        )
        return p.id


def get_person(app: App, person_id: int) -> Person:
    with read_session(app.engine) as s:
        p = s.get(Person, person_id)
        if p is None:
            raise NotFound("人员不存在")
        return p
