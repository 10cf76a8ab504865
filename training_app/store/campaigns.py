"""Queries for campaigns and their assignments (who must take which exam)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, extract, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..vocab import LEARNER_ROLES
from .db import HotRead
from .exams import dialect_insert
from .models import Assignment, Attempt, Campaign, Person


def campaigns(session: Session, *, status: str | None = None, include_draft: bool = True) -> list[Campaign]:
    q = select(Campaign).order_by(Campaign.opens_at.desc(), Campaign.id.desc())
    if status:
        q = q.where(Campaign.status == status)
    elif not include_draft:
        q = q.where(Campaign.status != "draft")
    return list(session.execute(q).scalars())


class CampaignChoice(NamedTuple):
    """What a campaign selector shows and a coordinator's page needs of the campaign picked."""

    id: int
    title: str
    status: str
    closes_at: datetime
    audience: str
    year: int


def _choices_stmt():
    return (
        select(Campaign.id, Campaign.title, Campaign.status, Campaign.closes_at, Campaign.audience, Campaign.year)
        .where(Campaign.status != "draft")
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
    )


_CHOICES = HotRead("campaign_choices", _choices_stmt)


def campaign_choices(engine: Engine) -> list[CampaignChoice]:
    """Every campaign but drafts, newest first (one statement straight on the driver, `db.HotRead`: each coordinator
    page's run reads it)."""
    return [CampaignChoice(*row) for row in _CHOICES.rows(engine)]


def eligible_people(session: Session, campaign: Campaign) -> list[tuple[int, int | None]]:
    """(person id, unit id) of everyone the campaign's audience names today."""
    q = select(Person.id, Person.unit_id).where(Person.active.is_(True), Person.role.in_(LEARNER_ROLES))
    if campaign.audience == "leaders":
        q = q.where(Person.is_leader.is_(True))
    else:
        q = q.where(Person.cert_status == "有效")
        if campaign.audience == "units":
            unit_ids = json.loads(campaign.audience_units or "[]")
            q = q.where(Person.unit_id.in_(unit_ids or [-1]))
        elif campaign.audience == "new_certified":
            q = q.where(extract("year", Person.cert_date) == campaign.year)
    return [(pid, uid) for pid, uid in session.execute(q).all()]


def add_assignments(session: Session, campaign_id: int, people: list[tuple[int, int | None]]) -> int:
    """Insert the missing assignments (idempotent)."""
    if not people:
        return 0
    existing = set(session.execute(select(Assignment.person_id).where(Assignment.campaign_id == campaign_id)).scalars())
    rows = [
        {
            "campaign_id": campaign_id,
            "person_id": pid,
            "unit_id": uid,
            "attempts_started": 0,
            "attempts_finished": 0,
            "passed": False,
        }
        for pid, uid in people
        if pid not in existing
    ]
    if rows:
        ins = dialect_insert(session)(Assignment.__table__)
        session.connection().execute(ins.on_conflict_do_nothing(index_elements=["campaign_id", "person_id"]), rows)
    return len(rows)


def sync_assignment_units(session: Session, person_id: int, unit_id: int | None) -> None:
    """A person moved unit: their open campaigns count them in the new unit (finished history stays)."""
    open_ids = select(Campaign.id).where(Campaign.status == "published")
    session.execute(
        update(Assignment)
        .where(Assignment.person_id == person_id, Assignment.campaign_id.in_(open_ids))
        .values(unit_id=unit_id)
    )


class MyAssignment(NamedTuple):
    """One of a person's assignments with its campaign and its attempt in progress (if any), as 我的学习 and the
    start screen need them: plain columns, not the ORM rows (an attempt row carries its whole frozen paper)."""

    assignment_id: int
    attempts_started: int
    attempts_finished: int
    grade: float | None
    passed: bool
    extended_until: datetime | None
    campaign_id: int
    title: str
    status: str
    blueprint_id: str
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    attempts_allowed: int
    pass_mark: float
    open_attempt_id: int | None  # the newest attempt in progress
    open_deadline_at: datetime | None


def _my_assignments_stmt():
    from sqlalchemy import bindparam

    def newest_open(column):
        return (
            select(column)
            .where(Attempt.assignment_id == Assignment.id, Attempt.state == "in_progress")
            .order_by(Attempt.number.desc())
            .limit(1)
            .scalar_subquery()
        )

    return (
        select(
            Assignment.id,
            Assignment.attempts_started,
            Assignment.attempts_finished,
            Assignment.grade,
            Assignment.passed,
            Assignment.extended_until,
            Campaign.id,
            Campaign.title,
            Campaign.status,
            Campaign.blueprint_id,
            Campaign.opens_at,
            Campaign.closes_at,
            Campaign.time_limit_minutes,
            Campaign.attempts_allowed,
            Campaign.pass_mark,
            newest_open(Attempt.id),
            newest_open(Attempt.deadline_at),
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.person_id == bindparam("pid"), Campaign.status != "draft")
        .order_by(Campaign.closes_at.desc())
    )


_MY_ASSIGNMENTS = HotRead("campaigns.my_assignments", _my_assignments_stmt)


def my_assignments(engine: Engine, person_id: int) -> list[MyAssignment]:
    """A person's assignments of campaigns not in draft, the latest closing first, in one statement straight on
    the driver (`db.HotRead`: 我的学习 and the start screen read it in the exam-morning storm)."""
    return [MyAssignment(*row) for row in _MY_ASSIGNMENTS.rows(engine, {"pid": person_id})]


def extend(
    session: Session, campaign_id: int, until: datetime, *, person_id: int | None = None, unit_id: int | None = None
) -> int:
    q = update(Assignment).where(Assignment.campaign_id == campaign_id)
    if person_id is not None:
        q = q.where(Assignment.person_id == person_id)
    if unit_id is not None:
        q = q.where(Assignment.unit_id == unit_id)
    return session.execute(q.values(extended_until=until)).rowcount


def open_attempt_count(session: Session, campaign_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.campaign_id == campaign_id, Attempt.state == "in_progress")
    ).scalar_one()


def completion_counts(session: Session, campaign_id: int) -> tuple[int, int, int]:
    """(eligible active people, with a finished attempt, with an attempt open now) in a campaign."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Assignment.attempts_finished > 0, 1), else_=0)), 0))
        .select_from(Assignment)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.campaign_id == campaign_id, Person.active.is_(True))
    ).one()
    open_now = session.execute(
        select(func.count(func.distinct(Attempt.person_id)))
        .select_from(Attempt)
        .join(Person, Person.id == Attempt.person_id)
        .where(Attempt.campaign_id == campaign_id, Attempt.state == "in_progress", Person.active.is_(True))
    ).scalar_one()
    return int(row[0]), int(row[1]), int(open_now)
