"""Admin use cases: the audit log (read, verify, purge), backup and restore."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from ..config import Settings
from ..engine import deadlines
from ..store import audit
from ..store.db import dispose_engines, read_session, write_session
from .common import Actor, App, ServiceError, require


def audit_records(app: App, actor: Actor, *, limit: int = 500, event: str | None = None) -> list[dict]:
    require(actor, "admin")
    with read_session(app.engine) as s:
        rows = audit.recent(s, limit, event)
    return [{"id": r.id, "at": deadlines.as_utc(r.at), "event": r.event, "actor": r.actor, "object": r.object,
             "outcome": r.outcome, "detail": r.detail} for r in rows]


def verify_audit(app: App, actor: Actor | None = None) -> tuple[bool, int, str]:
    if actor is not None:
        require(actor, "admin")
    with read_session(app.engine) as s:
        return audit.verify_chain(s)


def purge_audit(app: App, actor: Actor, *, older_than_days: int | None = None, now: datetime | None = None) -> int:
    """Only an admin, only records past the retention period; the purge itself is audited."""
    require(actor, "admin")
    days = older_than_days or app.settings.audit_retention_days
    if days < app.settings.audit_retention_days:
        raise ServiceError(f"审计记录至少保存 {app.settings.audit_retention_days} 天，不能清理更近的记录")
    now = now or deadlines.utcnow()
    cutoff = now - timedelta(days=days)
    with write_session(app.engine) as s:
        n, anchor = audit.purge_before(s, cutoff)
        audit.append(s, "audit_purge", actor_id=actor.id, actor=actor.account, obj="audit_log",
                     detail={"deleted": n, "before": cutoff.isoformat(), "anchor": anchor})
    return n


def _sqlite_path(url: str) -> Path:
    u = make_url(url)
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        raise ServiceError("backup/restore 命令只用于 SQLite；PostgreSQL 请使用 pg_dump / pg_restore（见 README）")
    return Path(u.database)


def backup(app: App, target: Path) -> None:
    """SQLite online backup: a consistent copy while the app keeps running."""
    src_path = _sqlite_path(app.settings.database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(src_path), timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    with write_session(app.engine) as s:
        audit.append(s, "backup", actor="cli", obj=str(target.name))


def restore(settings: Settings, source: Path) -> None:
    """Replace the SQLite database with a backup (stop the app first)."""
    dst_path = _sqlite_path(settings.database_url)
    if not source.is_file():
        raise ServiceError(f"备份文件不存在：{source}")
    check = sqlite3.connect(str(source))
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ServiceError("备份文件已损坏（integrity_check 未通过）")
    finally:
        check.close()
    dispose_engines()
    for suffix in ("-wal", "-shm"):
        p = Path(str(dst_path) + suffix)
        if p.exists():
            p.unlink()
    tmp = dst_path.with_suffix(".restoring")
    shutil.copyfile(source, tmp)
    tmp.replace(dst_path)
