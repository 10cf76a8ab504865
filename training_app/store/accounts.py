"""Queries for units, people and login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .db import HotRead
from .models import LoginThrottle, Person, Unit, UserSession


def person_by_account(session: Session, account: str) -> Person | None:
    return session.execute(select(Person).where(Person.account == account)).scalar_one_or_none()


def person_by_cert(session: Session, cert_no: str) -> Person | None:
    return session.execute(select(Person).where(Person.cert_no == cert_no)).scalar_one_or_none()


def people_with_cert_no(session: Session) -> list[Person]:
    return list(session.execute(select(Person).where(Person.cert_no.is_not(None))).scalars())


def people(
    session: Session,
    *,
    unit_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    search: str | None = None,
    limit: int | None = None,
) -> list[Person]:
    q = select(Person)
    if unit_id is not None:
        q = q.where(Person.unit_id == unit_id)
    if role is not None:
        q = q.where(Person.role == role)
    if active is not None:
        q = q.where(Person.active.is_(active))
    if search:
        like = f"%{search}%"
        q = q.where((Person.name.like(like)) | (Person.account.like(like)))
    q = q.order_by(Person.unit_id, Person.account)
    if limit:
        q = q.limit(limit)
    return list(session.execute(q).scalars())


def units(session: Session, *, active_only: bool = False) -> list[Unit]:
    q = select(Unit).order_by(Unit.kind, Unit.id)
    if active_only:
        q = q.where(Unit.active.is_(True))
    return list(session.execute(q).scalars())


def unit_by_name(session: Session, name: str) -> Unit | None:
    return session.execute(select(Unit).where(Unit.name == name)).scalar_one_or_none()


def count_people(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Person)).scalar_one()


def add_session(session: Session, person_id: int, token_hash: str, now: datetime) -> UserSession:
    row = UserSession(token_hash=token_hash, person_id=person_id, created_at=now, last_seen_at=now)
    session.add(row)
    return row


def session_by_token(session: Session, token_hash: str) -> UserSession | None:
    return session.execute(select(UserSession).where(UserSession.token_hash == token_hash)).scalar_one_or_none()


class SessionLogin(NamedTuple):
    """A login and its person, as every page run checks it (`auth.resume`)."""

    ended_at: datetime | None
    last_seen_at: datetime
    id: int  # the person's (so that ``auth.actor_of`` reads this row as it reads a Person)
    account: str
    name: str
    role: str
    unit_id: int | None
    scope_unit_id: int | None
    active: bool


def _session_login_stmt():
    from sqlalchemy import bindparam

    return (
        select(
            UserSession.ended_at,
            UserSession.last_seen_at,
            Person.id,
            Person.account,
            Person.name,
            Person.role,
            Person.unit_id,
            Person.scope_unit_id,
            Person.active,
        )
        .join(Person, Person.id == UserSession.person_id)
        .where(UserSession.token_hash == bindparam("h"))
    )


_SESSION_LOGIN = HotRead("session_login", _session_login_stmt)


def session_login(engine: Engine, token_hash: str) -> SessionLogin | None:
    """One row, one statement straight on the driver (`db.HotRead`): every page run checks its login, so this is
    the hottest read there is."""
    rows = _SESSION_LOGIN.rows(engine, {"h": token_hash})
    return SessionLogin(*rows[0]) if rows else None


def end_sessions_of(
    session: Session, person_id: int, now: datetime, reason: str, *, except_id: int | None = None
) -> int:
    q = update(UserSession).where(UserSession.person_id == person_id, UserSession.ended_at.is_(None))
    if except_id is not None:
        q = q.where(UserSession.id != except_id)
    return session.execute(q.values(ended_at=now, end_reason=reason)).rowcount


# --- login throttles --------------------------------------------------------------------------------


def throttle_rows(session: Session, keys: list[str], *, for_update: bool = False) -> dict[str, LoginThrottle]:
    q = select(LoginThrottle).where(LoginThrottle.key.in_(keys))
    if for_update and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return {r.key: r for r in session.execute(q).scalars()}


def clear_throttles(session: Session, *, keys: list[str] = (), prefix: str | None = None) -> int:
    n = 0
    if keys:
        n += session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(list(keys)))).rowcount
    if prefix:
        n += session.execute(
            delete(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True))
        ).rowcount
    return n


def active_blocks(session: Session, now: datetime) -> list[LoginThrottle]:
    return list(
        session.execute(
            select(LoginThrottle).where(LoginThrottle.blocked_until > now).order_by(LoginThrottle.blocked_until.desc())
        ).scalars()
    )


def blocked_accounts(session: Session, accounts: list[str], now: datetime) -> set[str]:
    """Which of these accounts are locked now (everywhere, or from at least one address)."""
    if not accounts:
        return set()
    rows = session.execute(
        select(LoginThrottle.key).where(LoginThrottle.blocked_until > now, LoginThrottle.kind.in_(("account", "pair")))
    ).scalars()
    wanted = {a.lower() for a in accounts}
    out = set()
    for key in rows:
        acct = key.split(":", 1)[1].split("|", 1)[0]
        if acct in wanted:
            out.add(acct)
    return out
