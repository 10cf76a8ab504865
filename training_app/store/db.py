"""Engine and sessions: one engine per process and URL, short sessions per unit of work.

SQLite gets WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for every write session, so
concurrent writers queue on the lock instead of failing with "database is locked" mid-transaction. The writers of
one process also queue on a lock of their own (`_writer_turn`) before they ask SQLite for its write lock: SQLite's
busy handler polls with sleeps growing to 100 ms, so a writer that finds the database locked may sleep long after
it was freed and let later writers pass it; a process lock hands the turn on the moment it is released.
PostgreSQL runs at READ COMMITTED; the write paths that race (start, submit) are guarded by unique
constraints and conditional updates checked by row count.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseBusy(RuntimeError):
    """SQLite's write lock stayed taken past the busy timeout: nothing was written; the user may try again."""


def _busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig if exc.orig is not None else exc)


class DatabaseUnavailable(RuntimeError):
    """The database named by DATABASE_URL cannot be reached: one clear line for the operator."""


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for the message
        return "<unparseable DATABASE_URL>"


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:  # the driver's DBAPI connection (untyped)
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


# SQLite engine -> (this process's writer lock, how long a writer waits for it: the busy timeout)
_writer_locks: weakref.WeakKeyDictionary[Engine, tuple[threading.Lock, float]] = weakref.WeakKeyDictionary()


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """This process's turn to write to a SQLite database (nothing on PostgreSQL, whose locks are per row). Another
    process (the CLI's sweep, a backup) still queues on SQLite's own lock and busy timeout."""
    entry = _writer_locks.get(engine)
    if entry is None:
        yield
        return
    lock, timeout_s = entry
    if not lock.acquire(timeout=timeout_s):
        raise DatabaseBusy("database is locked (this process's writers queued past the busy timeout)")
    try:
        yield
    finally:
        lock.release()


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, busy_timeout_ms: int = 30000, echo: bool = False
) -> Engine:
    """A new engine (tests use this directly; the app uses :func:`get_engine`)."""
    if url.startswith("sqlite"):
        u = make_url(url)
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections to a SQLite file are cheap and writers queue on the database lock (busy_timeout), not on
        # the pool: allow many, so a burst of sessions never times out waiting for a pooled connection.
        engine = create_engine(
            url,
            echo=echo,
            pool_size=max(pool_size, 10),
            max_overflow=max(max_overflow, 200),
            pool_timeout=120,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )
        _sqlite_setup(engine, busy_timeout_ms)
        _writer_locks[engine] = (threading.Lock(), busy_timeout_ms / 1000)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, pool_recycle=1800
    )


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for a URL (default: the configured one)."""
    from ..config import get_settings

    settings = get_settings()
    url = url or settings.database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(
                url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            )
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with one line when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise DatabaseUnavailable(f"无法连接数据库 {_describe(str(engine.url))}：{reason}") from None
    except Exception as exc:  # noqa: BLE001 - a driver missing, a bad URL: still one line
        raise DatabaseUnavailable(f"无法连接数据库 {_describe(str(engine.url))}：{type(exc).__name__}: {exc}") from None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One short write transaction: BEGIN IMMEDIATE on SQLite; commit on success, rollback on error."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with _writer_turn(engine), Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if _busy(exc):
                raise DatabaseBusy("database is locked") from exc
            raise
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection in one write transaction (the exam's hot paths: no ORM unit of work)."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    try:
        with _writer_turn(engine), bind.begin() as conn:
            yield conn
    except OperationalError as exc:
        if _busy(exc):
            raise DatabaseBusy("database is locked") from exc
        raise


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


_prebuilt: dict[str, object] = {}


def prebuilt(name: str, build: Callable[[], Any]) -> Any:
    """A statement of a hot path, built once per process under `name` (building one costs more than running it)."""
    stmt = _prebuilt.get(name)
    if stmt is None:
        stmt = _prebuilt[name] = build()
    return stmt
