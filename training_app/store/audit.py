"""The audit log: append-only and hash-chained (each record holds the hash of the one before)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlmodel import Session

from ..engine.deadlines import as_utc, utcnow
from .models import AuditLog

GENESIS = "0" * 64


def record_hash(prev_hash: str, at: datetime, event: str, actor: str, obj: str, outcome: str, detail: str) -> str:
    payload = json.dumps(
        [prev_hash, as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), event, actor, obj, outcome, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers never chain onto the same record."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7316001)"))
    # SQLite: write sessions start with BEGIN IMMEDIATE, which already serialises writers.


def append(
    session: Session,
    event: str,
    *,
    actor_id: int | None = None,
    actor: str = "",
    obj: str = "",
    outcome: str = "ok",
    detail: dict | str | None = None,
    at: datetime | None = None,
) -> AuditLog:
    _lock_chain(session)
    last = session.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    at = at or utcnow()
    detail_text = detail if isinstance(detail, str) else json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    row = AuditLog(
        at=at,
        event=event,
        actor_id=actor_id,
        actor=actor[:64],
        object=obj[:200],
        outcome=outcome,
        detail=detail_text,
        prev_hash=prev,
    )
    row.hash = record_hash(prev, at, event, row.actor, row.object, outcome, detail_text)
    session.add(row)
    session.flush()
    return row


def verify_chain(session: Session, batch: int = 5000) -> tuple[bool, int, str]:
    """(ok, records checked, problem). The problem names the first record that breaks the chain."""
    prev = None
    checked = 0
    last_id = 0
    while True:
        rows = (
            session.execute(select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch))
            .scalars()
            .all()
        )
        if not rows:
            return True, checked, ""
        for row in rows:
            if prev is not None and row.prev_hash != prev:
                return (
                    False,
                    checked,
                    (f"记录 #{row.id}（{row.event}）的前序哈希与上一条记录不符：其前面的记录被删除或改动"),
                )
            if prev is None and row.prev_hash != GENESIS and not _purge_anchor_exists(session, row.prev_hash):
                return False, checked, f"记录 #{row.id}（{row.event}）之前的记录被删除（且没有对应的清理记录）"
            expect = record_hash(row.prev_hash, row.at, row.event, row.actor, row.object, row.outcome, row.detail)
            if expect != row.hash:
                return (
                    False,
                    checked,
                    f"记录 #{row.id}（{row.event}，{as_utc(row.at):%Y-%m-%d %H:%M:%S} UTC）的内容被改动",
                )
            prev = row.hash
            checked += 1
            last_id = row.id
        session.expunge_all()


def _purge_anchor_exists(session: Session, prev_hash: str) -> bool:
    """After an audited purge, the first kept record chains onto a deleted one; the purge record names it."""
    rows = session.execute(select(AuditLog.detail).where(AuditLog.event == "audit_purge")).scalars()
    return any(json.loads(d or "{}").get("anchor") == prev_hash for d in rows)


def purge_before(session: Session, cutoff: datetime) -> tuple[int, str]:
    """Delete records older than cutoff; returns (count, anchor). The caller audits the purge with
    detail {"anchor": anchor}: the first kept record chains onto a deleted one, and verify accepts that
    break only when a purge record names it."""
    n = session.execute(select(func.count()).select_from(AuditLog).where(AuditLog.at < cutoff)).scalar_one()
    anchor = ""
    if n:
        first_kept = session.execute(
            select(AuditLog.prev_hash).where(AuditLog.at >= cutoff).order_by(AuditLog.id).limit(1)
        ).scalar()
        anchor = first_kept or ""
        session.execute(delete(AuditLog).where(AuditLog.at < cutoff))
    return n, anchor


def recent(session: Session, limit: int = 500, event: str | None = None) -> list[AuditLog]:
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if event:
        q = q.where(AuditLog.event == event)
    return list(session.execute(q).scalars())


def search(
    session: Session,
    *,
    limit: int = 500,
    event: str | None = None,
    outcome: str | None = None,
    person: str | None = None,
    accounts: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditLog]:
    """Newest first; ``person`` matches the actor's account (or what was typed at login) anywhere in it, or
    any of ``accounts`` exactly (the accounts of people whose name matched)."""
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if event:
        q = q.where(AuditLog.event == event)
    if outcome:
        q = q.where(AuditLog.outcome == outcome)
    if person:
        cond = AuditLog.actor.contains(person, autoescape=True)
        if accounts:
            cond = cond | AuditLog.actor.in_(accounts)
        q = q.where(cond)
    if since is not None:
        q = q.where(AuditLog.at >= since)
    if until is not None:
        q = q.where(AuditLog.at < until)
    return list(session.execute(q).scalars())
