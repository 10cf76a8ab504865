"""考试诚信: scan a campaign's finished attempts for integrity signals; coordinators review and dismiss them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..engine import deadlines
from ..engine import integrity as rules
from ..store import audit
from ..store import integrity as flag_store
from ..store.db import read_session, write_session
from ..store.models import Assignment, Attempt, Campaign, IntegrityFlag, Person, Unit
from ..vocab import STAFF_ROLES
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require

KIND_LABELS = {
    "fast": "答题过快且得分高",
    "copy": "答案高度雷同（含相同错误答案）",
    "multi_browser": "同一答卷在两个浏览器同时作答",
}


def _records(s, campaign_id: int) -> list[rules.AttemptRecord]:
    attempts = {a.id: a for a in flag_store.finished_attempts(s, campaign_id)}
    recs = {
        aid: rules.AttemptRecord(
            aid, a.person_id, deadlines.as_utc(a.started_at), deadlines.as_utc(a.finished_at), a.percent or 0.0
        )
        for aid, a in attempts.items()
    }
    rows = flag_store.finished_answer_rows(s, campaign_id)
    for aid, slot, qid, resp, frac, first, saved, client in rows:
        recs[aid].answers.append(
            rules.AnswerEvent(
                slot, qid, resp, (frac or 0) >= 1.0, deadlines.as_utc(first), deadlines.as_utc(saved), client
            )
        )
    return list(recs.values())


def scan(app: App, actor: Actor, campaign_id: int) -> int:
    """Compute the signals and store new flags (a dismissed flag stays dismissed). Returns flags added."""
    require(actor, *STAFF_ROLES)
    cfg = app.settings
    with read_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        if not actor.owns_campaign(c.audience, json.loads(c.audience_units or "[]")):
            raise PermissionDenied("该培训任务的范围超出您管理的单位，无权运行诚信检查")
        records = _records(s, campaign_id)
    found: list[dict] = []
    for r in records:
        ev = rules.fast_signal(
            r, max_median_seconds=cfg.integrity_fast_median_seconds, min_score=cfg.integrity_fast_min_score
        )
        if ev:
            found.append({"attempt_id": r.attempt_id, "kind": "fast", "other_attempt_id": 0, "evidence": ev})
        ev = rules.multi_browser_signal(r)
        if ev:
            found.append({"attempt_id": r.attempt_id, "kind": "multi_browser", "other_attempt_id": 0, "evidence": ev})
    for a_id, b_id, ev in rules.copy_signals(
        records,
        min_common=cfg.integrity_copy_min_common,
        min_share=cfg.integrity_copy_min_share,
        min_wrong=cfg.integrity_copy_min_wrong,
        window=timedelta(minutes=cfg.integrity_copy_window_minutes),
    ):
        found.append({"attempt_id": a_id, "kind": "copy", "other_attempt_id": b_id, "evidence": ev})
    if not found:
        return 0
    now = deadlines.utcnow()
    with write_session(app.engine) as s:
        before = flag_store.count_flags(s, campaign_id)
        flag_store.add_flags(
            s,
            [
                {
                    "campaign_id": campaign_id,
                    "attempt_id": f["attempt_id"],
                    "kind": f["kind"],
                    "other_attempt_id": f["other_attempt_id"],
                    "evidence": json.dumps(f["evidence"], ensure_ascii=False),
                    "created_at": now,
                }
                for f in found
            ],
        )
        added = flag_store.count_flags(s, campaign_id) - before
        audit.append(
            s,
            "integrity_scan",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={"signals": len(found)},
        )
    return added


@dataclass
class FlagView:
    id: int
    kind: str
    label: str
    attempt_id: int
    person: str
    account: str
    unit: str
    other: str
    evidence: dict
    created_at: datetime
    dismissed: bool
    dismiss_reason: str


def flags(app: App, actor: Actor, campaign_id: int, *, include_dismissed: bool = False) -> list[FlagView]:
    require(actor, *STAFF_ROLES)
    with read_session(app.engine) as s:
        rows = flag_store.flags_of_campaign(s, campaign_id, include_dismissed=include_dismissed)
        out = []
        for f in rows:
            att = s.get(Attempt, f.attempt_id)
            p = s.get(Person, att.person_id)
            a = flag_store.assignment_by_id(s, att.assignment_id)
            if not actor.can_see_unit(a.unit_id):
                continue
            unit = s.get(Unit, a.unit_id) if a.unit_id else None
            other = ""
            if f.other_attempt_id:
                oatt = s.get(Attempt, f.other_attempt_id)
                op = s.get(Person, oatt.person_id)
                other = f"{op.name}（{op.account}）"
            out.append(
                FlagView(
                    f.id,
                    f.kind,
                    KIND_LABELS[f.kind],
                    f.attempt_id,
                    p.name,
                    p.account,
                    unit.name if unit else "",
                    other,
                    json.loads(f.evidence),
                    deadlines.as_utc(f.created_at),
                    f.dismissed_at is not None,
                    f.dismiss_reason or "",
                )
            )
    return out


def dismiss(app: App, actor: Actor, flag_id: int, reason: str) -> None:
    require(actor, *STAFF_ROLES)
    if not reason or not reason.strip():
        raise ServiceError("请填写排除理由")
    with write_session(app.engine) as s:
        f = s.get(IntegrityFlag, flag_id)
        if f is None:
            raise NotFound("提示不存在")
        att = s.get(Attempt, f.attempt_id)
        a = s.get(Assignment, att.assignment_id)
        if not actor.can_see_unit(a.unit_id):
            raise PermissionDenied("无权处理该提示")
        f.dismissed_at, f.dismissed_by, f.dismiss_reason = deadlines.utcnow(), actor.id, reason.strip()[:500]
        s.add(f)
        audit.append(
            s,
            "integrity_dismiss",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"integrity_flag:{flag_id}",
            detail={"kind": f.kind, "attempt_id": f.attempt_id, "reason": reason.strip()[:500]},
        )
