"""What every use case shares: the application context, the acting user, and refusals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine

from ..bank import Bank, load_bank
from ..bank import BankError as BankError  # what the app start may meet, for the UI to say so
from ..config import Settings, get_settings
from ..engine.paper import blueprint_issues
from ..store.db import DatabaseBusy as DatabaseBusy
from ..store.db import DatabaseUnavailable as DatabaseUnavailable
from ..store.db import get_engine
from ..vocab import LEARNER_ROLES as LEARNER_ROLES
from ..vocab import STAFF_ROLES as STAFF_ROLES
from ..vocab import Role

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal with a message fit to show the user (Chinese)."""


class PermissionDenied(ServiceError):
    def __init__(self, message: str = "无权访问"):
        super().__init__(message)


class NotFound(ServiceError):
    pass


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    account: str
    name: str
    role: str
    unit_id: int | None = None
    scope_unit_id: int | None = None  # a coordinator limited to one unit

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can_see_unit(self, unit_id: int | None) -> bool:
        if self.role == Role.ADMIN:
            return True
        if self.role == Role.COORDINATOR:
            return self.scope_unit_id is None or self.scope_unit_id == unit_id
        return False

    @property
    def is_scoped(self) -> bool:
        """A coordinator limited to one unit."""
        return self.role == Role.COORDINATOR and self.scope_unit_id is not None

    def owns_campaign(self, audience: str, audience_units: list[int] | tuple[int, ...]) -> bool:
        """May this actor change a campaign with this audience (close, reopen, regrade, publish)?
        A scoped coordinator only owns campaigns of their own unit alone."""
        if self.role == Role.ADMIN or (self.role == Role.COORDINATOR and self.scope_unit_id is None):
            return True
        return self.is_scoped and audience == "units" and list(audience_units) == [self.scope_unit_id]


class _Stored(Protocol):
    id: int | None


def row_id(row: _Stored) -> int:
    """The primary key of a stored row (SQLModel types it Optional: it is None only before the first flush)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has not been stored")
    return row.id


def require_unit(actor: Actor, unit_id: int | None, message: str = "无权操作您管理范围以外的人员或单位") -> None:
    if not actor.can_see_unit(unit_id):
        raise PermissionDenied(message)


def require(actor: Actor | None, *roles: str) -> Actor:
    if actor is None:
        raise PermissionDenied("请先登录")
    if actor.role not in roles:
        raise PermissionDenied("无权访问此功能")
    return actor


@dataclass
class App:
    """The process-wide context a use case runs in."""

    engine: Engine
    bank: Bank
    settings: Settings


def load_checked_bank(path: str | Path) -> Bank:
    """The bank, parsed and validated, and every blueprint fillable from it; else BankError naming each problem."""
    bank = load_bank(Path(path))
    issues = blueprint_issues(bank)
    if issues:
        raise BankError(issues)
    return bank


@lru_cache(maxsize=8)
def cached_bank(path: str, fingerprint_hint: float = 0.0) -> Bank:
    """Parse and validate the bank once per process (and per folder)."""
    return load_checked_bank(Path(path))


def make_app(settings: Settings | None = None, *, engine: Engine | None = None, bank: Bank | None = None) -> App:
    settings = settings or get_settings()
    return App(
        engine=engine or get_engine(settings.database_url),
        bank=bank or cached_bank(str(settings.question_bank_dir)),
        settings=settings,
    )
