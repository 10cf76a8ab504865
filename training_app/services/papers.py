"""Frozen papers: drawn ahead for a published campaign (or when an attempt starts, if none waits), cached per
process once an attempt has one (a paper never changes once written, except by a regrade, which evicts it).

Drawing ahead: publishing a campaign draws one paper per assigned officer who has not started (up to
``PREDRAW_BATCH`` at a time; the sweep of each server process tops the rest up every minute), so that on exam day
a start takes a paper instead of drawing one at the click. Each paper is still drawn for one attempt only, from a
fresh random seed, and is deleted when taken; it is frozen from the bank with the fingerprint it records, and a
start never takes a paper of another bank (the bank changed since: it draws afresh, and the stale papers are
replaced at the next top-up)."""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from datetime import datetime
from threading import Lock
from typing import Any

from sqlmodel import Session

from .. import clock
from ..bank.schema import Blueprint
from ..engine.paper import FrozenPaper, PaperError, draw_frozen
from ..store import exams as q
from ..store.db import read_connection, write_connection
from ..vocab import CampaignStatus
from .common import App, ServiceError

log = logging.getLogger(__name__)

PREDRAW_BATCH = 2000  # papers drawn ahead in one go (about 0.5 s of one core); the sweep draws the rest

_cache: OrderedDict[tuple[str, int], FrozenPaper] = OrderedDict()
_lock = Lock()
_CACHE_SIZE = 4096


def db_key(app: App) -> str:
    """The cache's name for the app's database (its URL)."""
    return str(app.engine.url)


def session_db_key(session: Session) -> str:
    """The cache's name for the database a session is bound to."""
    return str(session.get_bind().engine.url)


def cached(db: str, attempt_id: int, raw: str | None = None) -> FrozenPaper | None:
    """The parsed paper of an attempt in database `db`: from the cache, else parsed from `raw` (the stored
    JSON) and cached; None when it is not cached and no `raw` was given."""
    key = (db, attempt_id)
    with _lock:
        paper = _cache.get(key)
        if paper is not None:
            _cache.move_to_end(key)
            return paper
    if raw is None:
        return None
    paper = FrozenPaper.loads(raw)
    with _lock:
        _cache[key] = paper
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return paper


def remember(db: str, attempt_id: int, paper: FrozenPaper) -> None:
    with _lock:
        _cache[(db, attempt_id)] = paper
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def forget(db: str, attempt_id: int) -> None:
    with _lock:
        _cache.pop((db, attempt_id), None)


def draw_paper(app: App, blueprint_id: str, seed: int) -> FrozenPaper:
    """A paper drawn from a blueprint, frozen with each question's key and law as the bank has them now."""
    bp = app.bank.blueprints.get(blueprint_id)
    if bp is None:
        raise ServiceError(f"组卷方案 {blueprint_id} 不存在")
    return draw_frozen(app.bank, bp, seed)


def freeze_paper(app: App, blueprint_id: str, seed: int) -> list[dict[str, Any]]:
    """The frozen paper as the JSON objects stored in ``attempt.paper`` (the benchmarks build datasets from it)."""
    return draw_paper(app, blueprint_id, seed).to_dicts()


# --- drawn ahead ---------------------------------------------------------------------------------


def predraw(app: App, campaign_id: int, *, limit: int = PREDRAW_BATCH, now: datetime | None = None) -> int:
    """Bring a published, unclosed campaign's papers drawn ahead to one per assigned officer who has not started:
    draw the missing ones (at most `limit`), delete those beyond (some started without taking one, e.g. the demo's
    simulated history) and those of other banks. Returns how many were drawn.

    Called by ``campaigns.publish`` (for a coordinator who was checked there) and by the sweep: no actor."""
    bank = app.bank.fingerprint
    if not bank:
        return 0  # a bank with problems has no fingerprint: starts draw at the click
    now = now or clock.utcnow()
    with read_connection(app.engine) as conn:
        need = q.paper_need(conn, campaign_id, bank)
    if need is None or need.status != CampaignStatus.PUBLISHED or clock.as_utc(need.closes_at) <= now:
        return 0
    wanted = max(0, min(need.not_started - need.waiting, limit))
    if not wanted and not need.stale and need.waiting <= need.not_started:
        return 0  # the usual sweep: nothing to do, nothing written
    bp = app.bank.blueprints.get(need.blueprint_id)
    rows = _drawn_rows(app, bp, campaign_id, wanted, now) if bp is not None and wanted else []
    with write_connection(app.engine) as conn:  # the need again: another process may have drawn meanwhile
        q.drop_drawn_papers(conn, campaign_id, other_than_bank=bank)
        again = q.paper_need(conn, campaign_id, bank)
        if again is None:
            return 0
        if again.waiting > again.not_started:
            q.trim_drawn_papers(conn, campaign_id, bank, again.not_started)
        rows = rows[: max(0, again.not_started - again.waiting)]
        q.add_drawn_papers(conn, rows)
    if rows:
        log.info("campaign %s: %d papers drawn ahead", campaign_id, len(rows))
    return len(rows)


def _drawn_rows(app: App, bp: Blueprint, campaign_id: int, n: int, now: datetime) -> list[dict[str, Any]]:
    """`n` papers drawn from the blueprint, each from its own random seed, as ``drawn_paper`` rows."""
    rows = []
    try:
        for _ in range(n):
            seed = secrets.randbits(31)
            paper = draw_frozen(app.bank, bp, seed)
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "bank": app.bank.fingerprint,
                    "seed": seed,
                    "paper": paper.dumps(),
                    "max_score": paper.max_score,
                    "drawn_at": now,
                }
            )
    except PaperError as exc:  # the bank cannot fill the blueprint: the start says so when it is tried
        log.warning("campaign %s: papers not drawn ahead: %s", campaign_id, exc)
        return []
    return rows


def predraw_open(app: App, *, limit: int = PREDRAW_BATCH, now: datetime | None = None) -> int:
    """The sweep's top-up: papers drawn ahead for every published campaign not yet closed, at most `limit` in all;
    and the papers of campaigns that have ended since, deleted."""
    now = now or clock.utcnow()
    with write_connection(app.engine) as conn:
        q.drop_drawn_papers_of_ended(conn, now)
    with read_connection(app.engine) as conn:
        ids = q.campaigns_open_for_papers(conn, now)
    drawn = 0
    for campaign_id in ids:
        drawn += predraw(app, campaign_id, limit=limit - drawn, now=now)
        if drawn >= limit:
            break
    return drawn


def drop_drawn(app: App, campaign_id: int) -> int:
    """A closed campaign's papers drawn ahead, deleted (nobody can start it any more)."""
    with write_connection(app.engine) as conn:
        return q.drop_drawn_papers(conn, campaign_id)
