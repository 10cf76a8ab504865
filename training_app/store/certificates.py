"""Queries for certificates (合格证书)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlmodel import Session

from .models import Assignment, Certificate, Person, Unit


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


@dataclass
class CertificateRow:
    person: Person
    unit: str | None
    passed: bool
    grade: float | None
    certificate: Certificate | None


def certificate_rows(session: Session, campaign_id: int, person_ids: list[int]) -> list[CertificateRow]:
    """For each person of the campaign in person_ids: the person, unit name, result and certificate (if any),
    in one query, ordered by unit and account."""
    if not person_ids:
        return []
    q = (
        select(Person, Unit.name, Assignment.passed, Assignment.grade, Certificate)
        .join(Assignment, Assignment.person_id == Person.id)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .outerjoin(Certificate, and_(Certificate.person_id == Person.id, Certificate.campaign_id == campaign_id))
        .where(Assignment.campaign_id == campaign_id, Person.id.in_(person_ids))
        .order_by(Unit.name, Person.account)
    )
    return [CertificateRow(p, u, bool(passed), grade, cert) for p, u, passed, grade, cert in session.execute(q)]
