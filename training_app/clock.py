"""The clock, in one place: aware UTC datetimes in the database and the code, local days for people.

Times are stored in UTC; a person's "today" (study hours, reviews due today) is the calendar day in the
deployment's time zone (``Settings.timezone``, Asia/Shanghai by default).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo

__all__ = ["UTC", "as_utc", "local_day", "local_day_end", "to_local", "utcnow", "zone"]


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


@overload
def as_utc(dt: datetime) -> datetime: ...
@overload
def as_utc(dt: None) -> None: ...
def as_utc(dt: datetime | None) -> datetime | None:
    """Databases may hand back naive datetimes: they are UTC by convention."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(dt: datetime, tz: str) -> datetime:
    """An instant in the local time zone `tz` (naive input is UTC)."""
    return as_utc(dt).astimezone(zone(tz))


def local_day(tz: str, now: datetime | None = None) -> date:
    """The calendar day it is (or was at `now`) in the time zone `tz`."""
    return to_local(now or utcnow(), tz).date()


def local_day_end(tz: str, now: datetime | None = None) -> datetime:
    """The end of `now`'s local day in `tz` (the local midnight starting the next day), in UTC."""
    local = to_local(now or utcnow(), tz)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone(tz)).astimezone(UTC)
