"""Queries for one person's complete record (the admin's personal-data export)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from .models import (
    Answer,
    Assignment,
    Attempt,
    AuditLog,
    Campaign,
    PracticeAnswer,
    ReviewCard,
    StudyMark,
    StudyTime,
    UserSession,
)


def attempts_of_person(session: Session, person_id: int) -> list[Attempt]:
    return list(session.execute(select(Attempt).where(col(Attempt.person_id) == person_id)).scalars())


def assignments_of_person(session: Session, person_id: int) -> list[Assignment]:
    return list(session.execute(select(Assignment).where(col(Assignment.person_id) == person_id)).scalars())


def answers_of_attempts(session: Session, attempt_ids: list[int]) -> list[Answer]:
    return list(session.execute(select(Answer).where(col(Answer.attempt_id).in_(attempt_ids or [-1]))).scalars())


def practice_answers_of_person(session: Session, person_id: int) -> list[PracticeAnswer]:
    return list(session.execute(select(PracticeAnswer).where(col(PracticeAnswer.person_id) == person_id)).scalars())


def review_cards_of_person(session: Session, person_id: int) -> list[ReviewCard]:
    return list(session.execute(select(ReviewCard).where(col(ReviewCard.person_id) == person_id)).scalars())


def study_times_of_person(session: Session, person_id: int) -> list[StudyTime]:
    return list(session.execute(select(StudyTime).where(col(StudyTime.person_id) == person_id)).scalars())


def study_marks_of_person(session: Session, person_id: int) -> list[StudyMark]:
    return list(session.execute(select(StudyMark).where(col(StudyMark.person_id) == person_id)).scalars())


def sessions_of_person(session: Session, person_id: int) -> list[UserSession]:
    return list(session.execute(select(UserSession).where(col(UserSession.person_id) == person_id)).scalars())


def audit_records_of_actor(session: Session, person_id: int) -> list[AuditLog]:
    return list(session.execute(select(AuditLog).where(col(AuditLog.actor_id) == person_id)).scalars())


def campaign_titles(session: Session) -> dict[int, str]:
    return {c.id: c.title for c in session.execute(select(Campaign)).scalars()}
