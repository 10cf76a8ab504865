"""Admin use cases: the audit log (read, verify, purge), backup and restore."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from ..config import Settings
from ..engine import deadlines
from ..store import accounts as people_store
from ..store import audit
from ..store.db import dispose_engines, read_session, write_session
from ..vocab import audit_detail_text, audit_event_label, audit_outcome_label
from .common import Actor, App, ServiceError, require


@dataclass
class AuditFilter:
    person: str = ""  # account or name, contained in the actor
    event: str = ""
    outcome: str = ""
    since: date | None = None  # local dates, inclusive
    until: date | None = None


def audit_records(
    app: App, actor: Actor, *, limit: int = 500, event: str | None = None, filters: AuditFilter | None = None
) -> list[dict]:
    """Newest first, with events, outcomes and details in Chinese (the raw fields kept beside them)."""
    require(actor, "admin")
    f = filters or AuditFilter(event=event or "")
    zone = ZoneInfo(app.settings.timezone)
    since = datetime.combine(f.since, time(0, 0), tzinfo=zone) if f.since else None
    until = datetime.combine(f.until + timedelta(days=1), time(0, 0), tzinfo=zone) if f.until else None
    person = f.person.strip() or None
    with read_session(app.engine) as s:
        accounts = [p.account for p in people_store.people(s, search=person, limit=50)] if person else None
        rows = audit.search(
            s,
            limit=limit,
            event=f.event or None,
            outcome=f.outcome or None,
            person=person,
            accounts=accounts,
            since=since,
            until=until,
        )
    out = []
    for r in rows:
        try:
            detail = json.loads(r.detail or "{}")
        except ValueError:
            detail = {"detail": r.detail}
        out.append(
            {
                "id": r.id,
                "at": deadlines.as_utc(r.at),
                "event": r.event,
                "event_label": audit_event_label(r.event),
                "actor": r.actor,
                "object": r.object,
                "outcome": r.outcome,
                "outcome_label": audit_outcome_label(r.outcome),
                "detail": r.detail,
                "detail_text": audit_detail_text(detail) if isinstance(detail, dict) else str(detail),
            }
        )
    return out


def audit_frame_rows(app: App, records: list[dict]) -> list[dict]:
    """The rows as shown on the page and in the export."""
    zone = ZoneInfo(app.settings.timezone)
    return [
        {
            "时间": r["at"].astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            "事件": r["event_label"],
            "操作人": r["actor"],
            "对象": r["object"],
            "结果": r["outcome_label"],
            "详情": r["detail_text"],
        }
        for r in records
    ]


def audit_export(app: App, actor: Actor, filters: AuditFilter, *, limit: int = 50000) -> bytes:
    """The filtered records as CSV (utf-8-sig, formula-safe); the export itself is audited."""
    import pandas as pd

    from .exports import csv_bytes

    rows = audit_records(app, actor, limit=limit, filters=filters)
    data = csv_bytes(
        pd.DataFrame(audit_frame_rows(app, rows), columns=["时间", "事件", "操作人", "对象", "结果", "详情"])
    )
    with write_session(app.engine) as s:
        audit.append(
            s,
            "export",
            actor_id=actor.id,
            actor=actor.account,
            obj="audit_log",
            detail={"format": "csv", "count": len(rows)},
        )
    return data


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
        audit.append(
            s,
            "audit_purge",
            actor_id=actor.id,
            actor=actor.account,
            obj="audit_log",
            detail={"deleted": n, "before": cutoff.isoformat(), "anchor": anchor},
        )
    return n


def person_export(app: App, actor: Actor, person_id: int) -> bytes:
    """Everything held about one person, as one workbook (admins only; the export is audited)."""
    import pandas as pd

    from ..store import people_data
    from ..store.models import Person, Unit
    from .exports import workbook_bytes

    require(actor, "admin")

    def frame(rows, drop=()):
        data = [{k: v for k, v in r.model_dump().items() if k not in drop} for r in rows]
        for d in data:
            for k, v in d.items():
                if hasattr(v, "tzinfo") and v.tzinfo is not None:
                    d[k] = v.replace(tzinfo=None)
        return pd.DataFrame(data)

    with read_session(app.engine) as s:
        p = s.get(Person, person_id)
        if p is None:
            raise ServiceError("人员不存在")
        unit = s.get(Unit, p.unit_id) if p.unit_id else None
        attempts = people_data.attempts_of_person(s, person_id)
        ids = [a.id for a in attempts]
        sheets = {
            "个人信息": frame([p], drop=("password_hash",)).assign(单位=unit.name if unit else ""),
            "培训任务": frame(people_data.assignments_of_person(s, person_id)),
            "考试记录": frame(attempts, drop=("paper",)),
            "答题记录": frame(people_data.answers_of_attempts(s, ids)),
            "练习记录": frame(people_data.practice_answers_of_person(s, person_id)),
            "错题本": frame(people_data.review_cards_of_person(s, person_id), drop=("card",)),
            "学时": frame(people_data.study_times_of_person(s, person_id)),
            "已学条文": frame(people_data.study_marks_of_person(s, person_id)),
            "登录会话": frame(people_data.sessions_of_person(s, person_id), drop=("token_hash",)),
            "审计记录": frame(people_data.audit_records_of_actor(s, person_id)),
        }
        campaigns = people_data.campaign_titles(s)
    if not sheets["考试记录"].empty:
        sheets["考试记录"]["campaign"] = sheets["考试记录"]["campaign_id"].map(campaigns)
    data = workbook_bytes(sheets)
    with write_session(app.engine) as s:
        audit.append(s, "person_export", actor_id=actor.id, actor=actor.account, obj=f"person:{person_id}")
    return data


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
    check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ServiceError("备份文件已损坏（integrity_check 未通过）")
        check.execute("SELECT count(*) FROM attempt").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ServiceError(f"备份文件不是本平台的有效数据库（{exc}）") from None
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
