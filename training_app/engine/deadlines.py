"""Attempt states and deadlines, kept on the server; times are aware UTC datetimes."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import UTC as UTC
from ..clock import as_utc as as_utc
from ..clock import utcnow as utcnow
from ..vocab import AssignmentStatus, AttemptState, CampaignStatus, ReviewPolicy

IN_PROGRESS, FINISHED = AttemptState.IN_PROGRESS, AttemptState.FINISHED


def personal_close(closes_at: datetime, extended_until: datetime | None) -> datetime:
    closes_at = as_utc(closes_at)
    extended_until = as_utc(extended_until)
    return max(closes_at, extended_until) if extended_until else closes_at


def attempt_deadline(
    started_at: datetime, time_limit_minutes: int, closes_at: datetime, extended_until: datetime | None = None
) -> datetime:
    """The earlier of start + time limit and the campaign's (personal) close time."""
    limit_end = as_utc(started_at) + timedelta(minutes=time_limit_minutes)
    return min(limit_end, personal_close(closes_at, extended_until))


def is_past(deadline: datetime, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= as_utc(deadline)


def is_live(state: str, deadline: datetime, now: datetime | None = None) -> bool:
    """An attempt that still takes answers: in progress and before its deadline."""
    return state == IN_PROGRESS and not is_past(deadline, now)


def is_overdue(state: str, deadline: datetime, now: datetime | None = None) -> bool:
    """In progress in the database but past its deadline: the sweep has not closed it yet (it grades it from what
    was saved; a page shows it as the sweep will)."""
    return state == IN_PROGRESS and is_past(deadline, now)


def seconds_left(deadline: datetime, now: datetime | None = None) -> int:
    return max(0, int((as_utc(deadline) - (now or utcnow())).total_seconds()))


def can_start(
    now: datetime,
    opens_at: datetime,
    closes_at: datetime,
    extended_until: datetime | None,
    attempts_used: int,
    attempts_allowed: int,
    has_open_attempt: bool,
) -> tuple[bool, str]:
    """(allowed, reason in Chinese for the officer)."""
    if has_open_attempt:
        return False, "已有进行中的考试，请继续作答"
    if now < as_utc(opens_at):
        return False, "考试尚未开放"
    if now >= personal_close(closes_at, extended_until):
        return False, "考试已截止"
    if attempts_allowed > 0 and attempts_used >= attempts_allowed:
        return False, f"已用完 {attempts_allowed} 次考试机会"
    return True, ""


def assignment_state(
    now: datetime,
    opens_at: datetime,
    closes_at: datetime,
    extended_until: datetime | None,
    has_open_attempt: bool,
    finished_attempts: int,
) -> AssignmentStatus:
    """Where an assigned person stands in a campaign (its Chinese label: vocab.ASSIGNMENT_STATUS_LABELS)."""
    if has_open_attempt:
        return AssignmentStatus.IN_PROGRESS
    if finished_attempts > 0:
        return AssignmentStatus.DONE
    if now < as_utc(opens_at):
        return AssignmentStatus.NOT_OPEN
    if now >= personal_close(closes_at, extended_until):
        return AssignmentStatus.OVERDUE
    return AssignmentStatus.NOT_STARTED


def review_open(policy: str, campaign_status: str, closes_at: datetime, now: datetime) -> bool:
    """May an officer see the right answers of a finished attempt: at once (after_submit), once the campaign
    has closed (after_close), or never (none)."""
    if policy == ReviewPolicy.AFTER_SUBMIT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return campaign_status == CampaignStatus.CLOSED or now >= as_utc(closes_at)
    return False
