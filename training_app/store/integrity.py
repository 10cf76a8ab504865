"""Queries for integrity signals (考试诚信): a campaign's finished answers in, flags out."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from .exams import dialect_insert
from .models import Answer, Assignment, Attempt, IntegrityFlag


def finished_attempts(session: Session, campaign_id: int) -> list[Attempt]:
    return list(
        session.execute(
            select(Attempt).where(Attempt.campaign_id == campaign_id, Attempt.state == "finished")
        ).scalars()
    )


def finished_answer_rows(session: Session, campaign_id: int) -> list[tuple]:
    """(attempt_id, slot, question_id, response, fraction, first_saved_at, saved_at, client_id) of every answer
    in the campaign's finished attempts."""
    return list(
        session.execute(
            select(
                Answer.attempt_id,
                Answer.slot,
                Answer.question_id,
                Answer.response,
                Answer.fraction,
                Answer.first_saved_at,
                Answer.saved_at,
                Answer.client_id,
            )
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.campaign_id == campaign_id, Attempt.state == "finished")
        ).all()
    )


def count_flags(session: Session, campaign_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(IntegrityFlag).where(IntegrityFlag.campaign_id == campaign_id)
    ).scalar_one()


def add_flags(session: Session, rows: list[dict]) -> None:
    """Insert flags (column values); one that already exists (same attempt, kind, other attempt) is kept as it is."""
    ins = dialect_insert(session)(IntegrityFlag.__table__)
    session.connection().execute(
        ins.on_conflict_do_nothing(index_elements=["attempt_id", "kind", "other_attempt_id"]), rows
    )


def flags_of_campaign(session: Session, campaign_id: int, *, include_dismissed: bool = False) -> list[IntegrityFlag]:
    q = select(IntegrityFlag).where(IntegrityFlag.campaign_id == campaign_id).order_by(IntegrityFlag.id)
    if not include_dismissed:
        q = q.where(IntegrityFlag.dismissed_at.is_(None))
    return list(session.execute(q).scalars())


def assignment_by_id(session: Session, assignment_id: int) -> Assignment:
    return session.execute(select(Assignment).where(Assignment.id == assignment_id)).scalar_one()
