"""Attempt states and deadlines, kept on the server; times are aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

IN_PROGRESS, FINISHED = "in_progress", "finished"

STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE, STATUS_OVERDUE, STATUS_NOT_OPEN = (
    "未开始", "进行中", "已完成", "已逾期", "未开放")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime | None) -> datetime | None:
    """Databases may hand back naive datetimes: they are UTC by convention."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def personal_close(closes_at: datetime, extended_until: datetime | None) -> datetime:
    closes_at = as_utc(closes_at)
    extended_until = as_utc(extended_until)
    return max(closes_at, extended_until) if extended_until else closes_at


def attempt_deadline(started_at: datetime, time_limit_minutes: int, closes_at: datetime,
                     extended_until: datetime | None = None) -> datetime:
    """The earlier of start + time limit and the campaign's (personal) close time."""
    limit_end = as_utc(started_at) + timedelta(minutes=time_limit_minutes)
    return min(limit_end, personal_close(closes_at, extended_until))


def is_past(deadline: datetime, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= as_utc(deadline)


def seconds_left(deadline: datetime, now: datetime | None = None) -> int:
    return max(0, int((as_utc(deadline) - (now or utcnow())).total_seconds()))


def can_start(now: datetime, opens_at: datetime, closes_at: datetime, extended_until: datetime | None,
              attempts_used: int, attempts_allowed: int, has_open_attempt: bool) -> tuple[bool, str]:
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


def assignment_status(now: datetime, opens_at: datetime, closes_at: datetime, extended_until: datetime | None,
                      has_open_attempt: bool, finished_attempts: int) -> str:
    if has_open_attempt:
        return STATUS_IN_PROGRESS
    if finished_attempts > 0:
        return STATUS_DONE
    if now < as_utc(opens_at):
        return STATUS_NOT_OPEN
    if now >= personal_close(closes_at, extended_until):
        return STATUS_OVERDUE
    return STATUS_NOT_STARTED
