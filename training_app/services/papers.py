"""Frozen papers: drawn once when an attempt starts, cached per process (a paper never changes once written,
except by a regrade, which evicts it)."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from sqlmodel import Session

from ..engine.paper import FrozenPaper, draw_frozen
from .common import App, ServiceError

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
