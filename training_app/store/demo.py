"""Queries for the demo district: wipe the database, read back the seeded roster, bulk-insert study time."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from ..vocab import LEARNER_ROLES
from .models import (
    Answer,
    Assignment,
    Attempt,
    AuditLog,
    Campaign,
    Certificate,
    DrawnPaper,
    IntegrityFlag,
    ItemStat,
    LoginThrottle,
    Person,
    PracticeAnswer,
    ReviewCard,
    RosterImport,
    StudyMark,
    StudyTime,
    Unit,
    UnitLawStat,
    UserSession,
)

# Children before parents, so the deletes never break a foreign key.
_WIPE_ORDER = (
    IntegrityFlag,
    Certificate,
    Answer,
    ItemStat,
    UnitLawStat,
    Attempt,
    Assignment,
    DrawnPaper,
    Campaign,
    ReviewCard,
    PracticeAnswer,
    StudyTime,
    StudyMark,
    UserSession,
    AuditLog,
    RosterImport,
    LoginThrottle,
    Person,
    Unit,
)


def delete_all(session: Session) -> None:
    """Every row of every table (``tests/store/test_demo_wipe.py`` checks that none is left out)."""
    for model in _WIPE_ORDER:
        session.execute(delete(model))


def person_with_account(session: Session, account: str) -> Person:
    return session.execute(select(Person).where(Person.account == account)).scalar_one()


def assignment_rows(session: Session, campaign_id: int) -> list[tuple[int, int, int | None]]:
    """(assignment id, person id, unit id) of every assignment in the campaign."""
    return list(
        session.execute(
            select(Assignment.id, Assignment.person_id, Assignment.unit_id).where(Assignment.campaign_id == campaign_id)
        ).all()
    )


def learner_ids(session: Session) -> list[int]:
    """Active officers and leaders whose certificate has not expired."""
    return list(
        session.execute(
            select(Person.id).where(
                Person.role.in_(LEARNER_ROLES),
                Person.active.is_(True),
                Person.cert_status.is_distinct_from("过期"),
            )
        ).scalars()
    )


def insert_study_times(session: Session, rows: list[dict]) -> None:
    session.connection().execute(StudyTime.__table__.insert(), rows)
