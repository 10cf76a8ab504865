"""Queries for roster import records (undo)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from .models import RosterImport


def recent_imports(session: Session, *, limit: int = 50) -> list[RosterImport]:
    return list(session.execute(select(RosterImport).order_by(col(RosterImport.id).desc()).limit(limit)).scalars())


def imports_after(session: Session, import_id: int) -> list[RosterImport]:
    return list(
        session.execute(
            select(RosterImport).where(col(RosterImport.id) > import_id).order_by(col(RosterImport.id))
        ).scalars()
    )
