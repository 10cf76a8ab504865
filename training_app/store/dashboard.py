"""The coordinator's figures, each one SQL aggregate over the summary tables (never every answer)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Integer, case, cast, func, literal, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .db import HotRead, prebuilt
from .models import Assignment, ItemStat, Person, StudyTime, Unit, UnitLawStat


def _scope(q, scope_unit_id: int | None):
    return q.where(Assignment.unit_id == scope_unit_id) if scope_unit_id is not None else q


def _active(q):
    """Only people still on the roster count: a deactivated person's assignment stays as history."""
    return q.join(Person, Person.id == Assignment.person_id).where(Person.active.is_(True))


def headline(session: Session, campaign_id: int, scope_unit_id: int | None = None) -> dict:
    """Counts of active assignees, and the sum of the grades of those who finished (the service averages it)."""
    done = Assignment.attempts_finished > 0
    q = select(
        func.count(),
        func.sum(case((done, 1), else_=0)),
        func.sum(case((Assignment.passed, 1), else_=0)),
        func.sum(case((done, Assignment.grade), else_=None)),
        func.sum(case((Assignment.attempts_started == 0, 1), else_=0)),
    ).where(Assignment.campaign_id == campaign_id)
    n, completed, passed, total, not_started = session.execute(_scope(_active(q), scope_unit_id)).one()
    return {
        "eligible": int(n or 0),
        "completed": int(completed or 0),
        "passed": int(passed or 0),
        "grade_sum": float(total) if total is not None else None,
        "not_started": int(not_started or 0),
    }


def by_unit(session: Session, campaign_id: int, scope_unit_id: int | None = None) -> list[dict]:
    done = Assignment.attempts_finished > 0
    q = (
        select(
            Unit.id,
            Unit.name,
            Unit.kind,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((Assignment.passed, 1), else_=0)),
            func.sum(case((done, Assignment.grade), else_=None)),
            func.sum(case((Assignment.attempts_started == 0, 1), else_=0)),
        )
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.campaign_id == campaign_id)
        .group_by(Unit.id, Unit.name, Unit.kind)
    )
    rows = session.execute(_scope(_active(q), scope_unit_id)).all()
    return [
        {
            "unit_id": uid,
            "unit": name,
            "kind": kind,
            "eligible": int(n),
            "completed": int(c or 0),
            "passed": int(p or 0),
            "grade_sum": float(a) if a is not None else None,
            "not_started": int(ns or 0),
        }
        for uid, name, kind, n, c, p, a, ns in rows
    ]


def _people_stmt(scoped: bool, by_unit: bool, only: str | None, limited: bool, with_study: bool):
    from sqlalchemy import bindparam

    if with_study:
        studied = (
            select(func.coalesce(func.sum(StudyTime.seconds), 0))
            .where(
                StudyTime.person_id == Person.id,
                StudyTime.day >= bindparam("study_from"),
                StudyTime.day <= bindparam("study_to"),
            )
            .correlate(Person)
            .scalar_subquery()
        )
    else:
        studied = literal(0)
    q = (
        select(
            Person.id,
            Person.name,
            Person.account,
            Person.phone,
            Person.title,
            Unit.name,
            Assignment.attempts_started,
            Assignment.attempts_finished,
            Assignment.grade,
            Assignment.passed,
            Assignment.completed_at,
            Assignment.extended_until,
            studied,
        )
        .join(Person, Person.id == Assignment.person_id)
        .outerjoin(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.campaign_id == bindparam("cid"), Person.active.is_(True))
    )
    if scoped:
        q = q.where(Assignment.unit_id == bindparam("scope"))
    if by_unit:
        q = q.where(Assignment.unit_id == bindparam("unit"))
    if only == "not_started":
        q = q.where(Assignment.attempts_started == 0)
    elif only == "not_passed":
        q = q.where(Assignment.passed.is_(False))
    elif only == "not_completed":
        q = q.where(Assignment.attempts_finished == 0)
    q = q.order_by(Unit.name, Person.account)
    if limited:
        q = q.limit(bindparam("limit", type_=Integer))
    return q


PEOPLE_LISTS = ("not_started", "not_completed", "not_passed")  # the 督办清单's lists (`people(only=...)`)


def people(
    session: Session,
    campaign_id: int,
    *,
    unit_id: int | None = None,
    only: str | None = None,
    scope_unit_id: int | None = None,
    limit: int | None = None,
    study_from: date | None = None,
    study_to: date | None = None,
) -> list[dict]:
    """Per-person rows; only = 'not_started' | 'not_passed' | 'not_completed' for the 督办清单. With a study period,
    each row also carries the person's study seconds in it (a correlated sum on the study_time key, same query).
    The statement of each shape (scoped, one unit, which list, limited, with study time) is built once per process."""
    if only is not None and only not in PEOPLE_LISTS:
        raise ValueError(f"unknown list: {only}")
    with_study = study_from is not None and study_to is not None
    shape = (scope_unit_id is not None, unit_id is not None, only, bool(limit), with_study)
    stmt = prebuilt(f"dashboard.people:{shape}", lambda: _people_stmt(*shape))
    params: dict = {"cid": campaign_id, "scope": scope_unit_id, "unit": unit_id, "limit": limit}
    if with_study:
        params.update(study_from=study_from, study_to=study_to)
    out = []
    for (
        pid,
        name,
        account,
        phone,
        title,
        unit,
        started,
        finished,
        grade,
        passed,
        completed_at,
        ext,
        secs,
    ) in session.execute(stmt, {k: v for k, v in params.items() if v is not None}):
        status = "已合格" if passed else ("未合格" if finished else ("进行中" if started else "未参考"))
        out.append(
            {
                "person_id": pid,
                "name": name,
                "account": account,
                "phone": phone,
                "title": title,
                "unit": unit,
                "attempts": int(started or 0),
                "grade": grade,
                "passed": bool(passed),
                "status": status,
                "completed_at": completed_at,
                "extended_until": ext,
                "study_seconds": int(secs or 0),
            }
        )
    return out


def daily_completions(
    session: Session, campaign_id: int, tz_offset_hours: int = 8, scope_unit_id: int | None = None
) -> list[tuple[date, int]]:
    """First completions per local day. The offset is applied in Python (portable across databases)."""
    q = _active(
        select(Assignment.completed_at).where(
            Assignment.campaign_id == campaign_id, Assignment.completed_at.is_not(None)
        )
    )
    counts: dict[date, int] = {}
    for (ts,) in session.execute(_scope(q, scope_unit_id)):
        d = (ts + timedelta(hours=tz_offset_hours)).date()
        counts[d] = counts.get(d, 0) + 1
    return sorted(counts.items())


def grade_histogram(
    session: Session, campaign_id: int, bucket: int = 10, scope_unit_id: int | None = None
) -> list[tuple[int, int]]:
    b = cast(func.floor(Assignment.grade / bucket), Integer)
    q = (
        _active(select(b, func.count()))
        .where(Assignment.campaign_id == campaign_id, Assignment.attempts_finished > 0)
        .group_by(b)
        .order_by(b)
    )
    rows = session.execute(_scope(q, scope_unit_id)).all()
    merged: dict[int, int] = {}
    for k, n in rows:
        k = min(int(k or 0), 100 // bucket - 1)  # 100 joins the top bucket
        merged[k] = merged.get(k, 0) + int(n)
    return [(k * bucket, merged.get(k, 0)) for k in range(100 // bucket)]


def unit_law_accuracy(session: Session, campaign_id: int, scope_unit_id: int | None = None) -> list[dict]:
    q = (
        select(Unit.name, UnitLawStat.law_slug, UnitLawStat.answered, UnitLawStat.credit)
        .join(Unit, Unit.id == UnitLawStat.unit_id)
        .where(UnitLawStat.campaign_id == campaign_id)
    )
    if scope_unit_id is not None:
        q = q.where(UnitLawStat.unit_id == scope_unit_id)
    return [
        {"unit": u, "law": law, "answered": int(n), "accuracy": (c / n) if n else None}
        for u, law, n, c in session.execute(q)
    ]


def law_accuracy(session: Session, campaign_id: int, scope_unit_id: int | None = None) -> list[dict]:
    q = (
        select(UnitLawStat.law_slug, func.sum(UnitLawStat.answered), func.sum(UnitLawStat.credit))
        .where(UnitLawStat.campaign_id == campaign_id)
        .group_by(UnitLawStat.law_slug)
    )
    if scope_unit_id is not None:
        q = q.where(UnitLawStat.unit_id == scope_unit_id)
    return [
        {"law": law, "answered": int(n), "accuracy": float(c) / n if n else None} for law, n, c in session.execute(q)
    ]


def item_sums(session: Session, campaign_id: int) -> list[ItemStat]:
    return list(session.execute(select(ItemStat).where(ItemStat.campaign_id == campaign_id)).scalars())


def study_seconds_by_person(
    session: Session, start: date, end: date, *, unit_id: int | None = None, person_ids: list[int] | None = None
) -> dict[int, int]:
    q = (
        select(StudyTime.person_id, func.sum(StudyTime.seconds))
        .where(StudyTime.day >= start, StudyTime.day <= end)
        .group_by(StudyTime.person_id)
    )
    if unit_id is not None:
        q = q.join(Person, Person.id == StudyTime.person_id).where(Person.unit_id == unit_id)
    if person_ids is not None:
        q = q.where(StudyTime.person_id.in_(person_ids))
    return {pid: int(s or 0) for pid, s in session.execute(q)}


def study_by_unit(
    session: Session, start: date, end: date, target_seconds: int, scope_unit_id: int | None = None
) -> list[dict]:
    """Per unit: learners, hours, and how many reached the annual target (one aggregate over a per-person subquery)."""
    per_person = (
        select(StudyTime.person_id.label("pid"), func.sum(StudyTime.seconds).label("secs"))
        .where(StudyTime.day >= start, StudyTime.day <= end)
        .group_by(StudyTime.person_id)
        .subquery()
    )
    q = (
        select(
            Unit.id,
            Unit.name,
            func.count(Person.id),
            func.coalesce(func.sum(per_person.c.secs), 0),
            func.sum(case((per_person.c.secs >= target_seconds, 1), else_=0)),
        )
        .join(Person, Person.unit_id == Unit.id)
        .outerjoin(per_person, per_person.c.pid == Person.id)
        .where(
            Person.active.is_(True),
            Person.role.in_(("officer", "leader")),
            or_(Person.cert_status == "有效", Person.role == "leader"),
        )
        .group_by(Unit.id, Unit.name)
        .order_by(Unit.id)
    )
    if scope_unit_id is not None:
        q = q.where(Unit.id == scope_unit_id)
    return [
        {
            "unit_id": uid,
            "unit": name,
            "learners": int(n),
            "hours": round(int(secs or 0) / 3600, 1),
            "seconds": int(secs or 0),
            "reached": int(r or 0),
        }
        for uid, name, n, secs, r in session.execute(q)
    ]


def assignment_counts(session: Session) -> dict[int, int]:
    """Active assignees per campaign (to open the dashboards on the largest one)."""
    q = (
        select(Assignment.campaign_id, func.count())
        .join(Person, Person.id == Assignment.person_id)
        .where(Person.active.is_(True))
        .group_by(Assignment.campaign_id)
    )
    return {cid: int(n) for cid, n in session.execute(q)}


def _figures_version_stmt():
    from sqlalchemy import bindparam

    return select(
        func.count(),
        func.coalesce(func.sum(Assignment.attempts_started), 0),
        func.coalesce(func.sum(Assignment.attempts_finished), 0),
        func.max(Assignment.completed_at),
        func.max(Assignment.passed_at),
        func.coalesce(func.sum(Assignment.grade), 0),
    ).where(Assignment.campaign_id == bindparam("cid"))


_FIGURES_VERSION = HotRead("figures_version", _figures_version_stmt)


def figures_version(engine: Engine, campaign_id: int) -> str:
    """What changes when anyone of the campaign starts, hands in or is graded (one aggregate over its assignments,
    by the (campaign_id, unit_id) index): the key under which the page keeps its figures. One statement straight
    on the driver (`db.HotRead`): every run of 完成情况 reads it."""
    (row,) = _FIGURES_VERSION.rows(engine, {"cid": campaign_id})
    return "|".join(str(x) for x in row)
