"""Queries for certificates (合格证书)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from .models import Assignment, Certificate


def certificate_of(session: Session, campaign_id: int, person_id: int) -> Certificate | None:
    return session.execute(
        select(Certificate).where(Certificate.campaign_id == campaign_id, Certificate.person_id == person_id)
    ).scalar_one_or_none()


def certificate_by_serial(session: Session, serial: str) -> Certificate | None:
    return session.execute(select(Certificate).where(Certificate.serial == serial)).scalar_one_or_none()


def count_certificates(session: Session, campaign_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(Certificate).where(Certificate.campaign_id == campaign_id)
    ).scalar_one()


def passed_people(session: Session, campaign_id: int, unit_id: int | None = None) -> list[int]:
    """Person ids with a pass in the campaign (in one unit when unit_id is given)."""
    q = select(Assignment.person_id).where(Assignment.campaign_id == campaign_id, Assignment.passed.is_(True))
    if unit_id is not None:
        q = q.where(Assignment.unit_id == unit_id)
    return list(session.execute(q).scalars())
