"""SQLModel tables. Alembic owns the schema (store/migrations); times are stored in UTC.

Summary tables (``assignment``, ``item_stat``, ``unit_law_stat``) are kept up to date in the same
transaction as the attempt they summarise, so the coordinator's dashboard costs what the number of
officers costs, not the number of answers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..clock import utcnow


def _ts(**kw: Any) -> Any:  # as sqlmodel.Field: Any, standing in for the column's value in the class body
    return Field(sa_type=DateTime(timezone=True), **kw)


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    kind: str = Field(default="enforcement", max_length=20)
    is_demo: bool = False
    active: bool = True
    created_at: datetime = _ts(default_factory=utcnow)


class Person(SQLModel, table=True):
    """An officer, leading cadre, coordinator or admin. Officers log in with their 执法证号."""

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=50)
    role: str = Field(default="officer", max_length=20, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    cert_no: str | None = Field(default=None, max_length=64, unique=True)
    cert_status: str | None = Field(default=None, max_length=10)
    cert_date: date | None = None
    title: str | None = Field(default=None, max_length=100)
    is_leader: bool = False
    phone: str | None = Field(default=None, max_length=20)
    active: bool = Field(default=True, index=True)
    scope_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    password_hash: str | None = Field(default=None, max_length=255)
    must_change_password: bool = True
    password_changed_at: datetime | None = _ts(default=None)
    failed_logins: int = 0
    lock_count: int = 0
    locked_until: datetime | None = _ts(default=None)
    last_login_at: datetime | None = _ts(default=None)
    is_demo: bool = False
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A login. The token itself lives only in the browser session; the table keeps its hash."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)
    last_seen_at: datetime = _ts(default_factory=utcnow)
    ended_at: datetime | None = _ts(default=None)
    end_reason: str | None = Field(default=None, max_length=20)


class Campaign(SQLModel, table=True):
    """A 培训任务: one exam from a blueprint for an audience, open for a window."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    blueprint_id: str = Field(max_length=100)
    audience: str = Field(default="all_valid", max_length=20)
    audience_units: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    opens_at: datetime = _ts()
    closes_at: datetime = _ts()
    time_limit_minutes: int = 60
    pass_mark: float = 60.0
    attempts_allowed: int = 2
    grading_method: str = Field(default="highest", max_length=20)
    review_policy: str = Field(default="after_submit", max_length=20)
    partial_credit: bool = False
    status: str = Field(default="draft", max_length=20, index=True)
    year: int = Field(default=2026, index=True)
    is_demo: bool = False
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """One eligible person in one campaign, with their running result (the dashboard's summary row)."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "person_id", name="uq_assignment_campaign_person"),
        Index("ix_assignment_campaign_unit", "campaign_id", "unit_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    extended_until: datetime | None = _ts(default=None)
    attempts_started: int = 0
    attempts_finished: int = 0
    grade: float | None = None  # percent, by the campaign's grading method
    passed: bool = False
    first_started_at: datetime | None = _ts(default=None)
    completed_at: datetime | None = _ts(default=None)
    passed_at: datetime | None = _ts(default=None)


class Attempt(SQLModel, table=True):
    """One frozen paper taken once. ``paper`` is the JSON list of slots (question id, option order, hash)."""

    __table_args__ = (
        UniqueConstraint("assignment_id", "number", name="uq_attempt_assignment_number"),
        Index("ix_attempt_campaign_state", "campaign_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    assignment_id: int = Field(foreign_key="assignment.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    number: int = 1
    state: str = Field(default="in_progress", max_length=20)
    blueprint_id: str = Field(max_length=100)
    seed: int = 0
    paper: str = Field(sa_column=Column(Text, nullable=False))
    partial_credit: bool = False
    started_at: datetime = _ts(default_factory=utcnow)
    deadline_at: datetime = _ts()
    finished_at: datetime | None = _ts(default=None)
    finished_by: str | None = Field(default=None, max_length=20)  # submit | timeout
    max_score: float = 0.0
    score: float | None = None
    percent: float | None = None
    passed: bool | None = None
    cards_synced: bool = False  # wrong answers copied to the 错题本 once the review opened
    client_id: str | None = Field(default=None, max_length=64)  # the browser session that last answered
    client_seen_at: datetime | None = _ts(default=None)


class DrawnPaper(SQLModel, table=True):
    """A paper drawn ahead for a published campaign (when it is published, and by the sweep): starting an exam
    takes one instead of drawing at the click. Drawn from the bank whose fingerprint is ``bank``; a paper of
    another bank is never taken (the bank changed since: the start draws afresh). Deleted when taken."""

    __tablename__ = "drawn_paper"
    __table_args__ = (Index("ix_drawn_paper_campaign_bank", "campaign_id", "bank"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    bank: str = Field(max_length=64)
    seed: int
    paper: str = Field(sa_column=Column(Text, nullable=False))
    max_score: float
    drawn_at: datetime = _ts(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """The latest response in one slot of one attempt, written the moment it is given."""

    __table_args__ = (UniqueConstraint("attempt_id", "slot", name="uq_answer_attempt_slot"),)
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id")
    slot: int
    question_id: str = Field(max_length=64, index=True)
    response: str | None = Field(default=None, max_length=8)
    flagged: bool = False
    changes: int = 0
    first_saved_at: datetime = _ts(default_factory=utcnow)
    saved_at: datetime = _ts(default_factory=utcnow)
    seconds_spent: float = 0.0
    client_id: str | None = Field(default=None, max_length=64)
    fraction: float | None = None


class ItemStat(SQLModel, table=True):
    """Per campaign and question, running sums for facility and discrimination, and option counts."""

    __tablename__ = "item_stat"
    __table_args__ = (UniqueConstraint("campaign_id", "question_id", name="uq_item_stat"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    question_id: str = Field(max_length=64)
    n: int = 0
    sx: float = 0.0
    sxx: float = 0.0
    sy: float = 0.0
    syy: float = 0.0
    sxy: float = 0.0
    opt0: int = 0
    opt1: int = 0
    opt2: int = 0
    opt3: int = 0
    opt4: int = 0
    opt5: int = 0
    blank: int = 0


class UnitLawStat(SQLModel, table=True):
    """Per campaign, unit and law: questions answered and credit earned (the heat map)."""

    __tablename__ = "unit_law_stat"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "law_slug", name="uq_unit_law_stat"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    unit_id: int = Field(foreign_key="unit.id")
    law_slug: str = Field(max_length=80)
    answered: int = 0
    credit: float = 0.0


class PracticeAnswer(SQLModel, table=True):
    """An answer given in practice or review (immediate feedback; never an exam score)."""

    __tablename__ = "practice_answer"
    __table_args__ = (Index("ix_practice_person_law", "person_id", "law_slug"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    question_id: str = Field(max_length=64)
    law_slug: str = Field(max_length=80)
    mode: str = Field(default="practice", max_length=20)  # practice | review
    response: str | None = Field(default=None, max_length=8)
    correct: bool = False
    answered_at: datetime = _ts(default_factory=utcnow)


class ReviewCard(SQLModel, table=True):
    """A 错题本 card scheduled with FSRS; ``card`` is the fsrs Card as JSON."""

    __tablename__ = "review_card"
    __table_args__ = (
        UniqueConstraint("person_id", "question_id", name="uq_review_card"),
        Index("ix_review_card_due", "person_id", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    question_id: str = Field(max_length=64)
    card: str = Field(sa_column=Column(Text, nullable=False))
    due_at: datetime = _ts(default_factory=utcnow)
    reviews: int = 0
    lapses: int = 0
    source: str = Field(default="practice", max_length=20)
    created_at: datetime = _ts(default_factory=utcnow)
    last_review_at: datetime | None = _ts(default=None)


class StudyTime(SQLModel, table=True):
    """Seconds of study per person, day (Asia/Shanghai) and kind (reading | practice | exam)."""

    __tablename__ = "study_time"
    __table_args__ = (UniqueConstraint("person_id", "day", "kind", name="uq_study_time"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    day: date
    kind: str = Field(max_length=20)
    seconds: int = 0


class StudyMark(SQLModel, table=True):
    """已学: a person marked an article of a must-know law as studied."""

    __tablename__ = "study_mark"
    __table_args__ = (UniqueConstraint("person_id", "law_slug", "locator", name="uq_study_mark"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    law_slug: str = Field(max_length=80)
    locator: str = Field(max_length=40)
    marked_at: datetime = _ts(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    """Append-only, hash-chained record of who did what, when, to what, and how it ended."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow, index=True)
    event: str = Field(max_length=40, index=True)
    actor_id: int | None = Field(default=None)
    actor: str = Field(default="", max_length=64)
    object: str = Field(default="", max_length=200)
    outcome: str = Field(default="ok", max_length=20)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class Certificate(SQLModel, table=True):
    """A 合格证书. The verification code is an HMAC of the serial under APP_SECRET: it is not stored."""

    __table_args__ = (UniqueConstraint("person_id", "campaign_id", name="uq_certificate_person_campaign"),)
    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=40, unique=True, index=True)
    person_id: int = Field(foreign_key="person.id")
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    score: float = 0.0
    issued_at: datetime = _ts(default_factory=utcnow)
    revoked_at: datetime | None = _ts(default=None)
    revoke_reason: str | None = Field(default=None, max_length=200)


class IntegrityFlag(SQLModel, table=True):
    """An exam integrity signal for a coordinator to look at (never an automatic punishment)."""

    __tablename__ = "integrity_flag"
    __table_args__ = (UniqueConstraint("attempt_id", "kind", "other_attempt_id", name="uq_integrity_flag"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    attempt_id: int = Field(foreign_key="attempt.id")
    kind: str = Field(max_length=20)  # fast | copy | multi_browser
    other_attempt_id: int = Field(default=0)  # the paired attempt for "copy"; 0 otherwise
    evidence: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    created_at: datetime = _ts(default_factory=utcnow)
    dismissed_at: datetime | None = _ts(default=None)
    dismissed_by: int | None = Field(default=None, foreign_key="person.id")
    dismiss_reason: str | None = Field(default=None, max_length=500)


class RosterImport(SQLModel, table=True):
    """One roster import, with the state of every person it touched before it ran (so it can be undone)."""

    __tablename__ = "roster_import"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor: str = Field(default="", max_length=64)
    filename: str = Field(default="", max_length=200)
    mode: str = Field(default="merge", max_length=20)  # merge | replace
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    units_created: int = 0
    # JSON list of {"person_id": id, "before": {field: value} | null (added by this import)}
    changes: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    undone_at: datetime | None = _ts(default=None)
    undone_by: int | None = Field(default=None, foreign_key="person.id")


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per typed account, per client address and per (address, account).

    Keyed by what was typed, not by the person, so an unknown account behaves exactly like a known one."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=10)  # account | ip | pair
    failures: int = 0
    first_failure_at: datetime | None = _ts(default=None)
    last_failure_at: datetime | None = _ts(default=None)
    blocked_until: datetime | None = _ts(default=None)
    block_count: int = 0
