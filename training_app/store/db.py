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
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
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


class HotRead:
    """One SELECT that nearly every page run makes (the login check; the exam sheet and header; 我的学习's exams; the
    coordinator's campaign list; the dashboard's version), run straight on a pooled driver connection.

    The statement is built and compiled once per process and dialect; its parameters and results go through the
    column types' own converters, as a `Connection` would convert them; what is skipped is a Connection's
    per-statement machinery (events, the compiled cache's key, the result object) and, on SQLite, the BEGIN and
    ROLLBACK around it: a single SELECT is its own read transaction there, and on PostgreSQL the pool's reset on
    return ends it. The login check went from about 80 µs to about 12 µs here (`python -m benchmarks.hot_read`;
    `benchmarks/README.md`, finding 24). For a single statement only: reads that must agree with each other stay in
    one `read_connection`; and no parameter rendered at execution (an IN list), which `_plan` refuses.
    """

    def __init__(self, name: str, build: Callable[[], Any]) -> None:
        self.name = name
        self._build = build
        self._plans: dict[str, _Plan] = {}
        self._results: dict[str, tuple[Callable[[Any], Any] | None, ...] | None] = {}

    def _plan(self, dialect: Any) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            stmt = self._build()
            compiled = stmt.compile(dialect=dialect)
            if "POSTCOMPILE" in compiled.string:  # rendered by a Connection as it runs: an IN list, a literal_execute
                raise ValueError(f"{self.name}: a parameter rendered at execution is not for a HotRead")
            names = compiled.bind_names  # each bound parameter -> its name in the compiled SQL
            converters = {}
            for bp, name in names.items():
                convert = bp.type.dialect_impl(dialect).bind_processor(dialect)
                if convert is not None:
                    converters[name] = convert
            plan = _Plan(
                sql=compiled.string,
                order=tuple(compiled.positiontup or ()) if compiled.positional else None,
                converters=converters,
                defaults={name: bp.effective_value for bp, name in names.items() if not bp.required},
                required=frozenset(name for bp, name in names.items() if bp.required),
                types=tuple(col.type.dialect_impl(dialect) for col in stmt.selected_columns),
            )
            self._plans[dialect.name] = plan
        return plan

    def rows(self, engine: Engine, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        plan = self._plan(engine.dialect)
        values = {**plan.defaults, **params} if params else dict(plan.defaults)
        missing = plan.required - values.keys()
        if missing:
            raise KeyError(f"{self.name}: no value for {', '.join(sorted(missing))}")
        for name, convert in plan.converters.items():
            values[name] = convert(values[name])
        args: Any = tuple(values[name] for name in plan.order) if plan.order is not None else values
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(plan.sql, args)
                fetched = cursor.fetchall()
                results = self._results.get(engine.dialect.name, ())
                if results == ():  # the first run: a column's converter may depend on the driver's type code
                    results = self._results[engine.dialect.name] = _converters(plan.types, cursor, engine.dialect)
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, raw.dbapi_connection, None):
                raw.invalidate(exc)
            raise DBAPIError.instance(
                plan.sql, args, exc, engine.dialect.loaded_dbapi.Error, dialect=engine.dialect
            ) from exc
        finally:
            raw.close()
        if results is None:
            return [tuple(row) for row in fetched]
        return [tuple(v if p is None else p(v) for p, v in zip(results, row, strict=True)) for row in fetched]


def _converters(types: tuple[Any, ...], cursor: Any, dialect: Any) -> tuple[Callable[[Any], Any] | None, ...] | None:
    """Each result column's converter, as a Connection's result would apply it (None: none converts anything)."""
    found = tuple(t.result_processor(dialect, d[1]) for t, d in zip(types, cursor.description, strict=True))
    return found if any(found) else None


class _Plan(NamedTuple):
    """A HotRead compiled for one dialect."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for a driver that takes them by position
    converters: dict[str, Callable[[Any], Any]]
    defaults: dict[str, Any]  # the statement's own literals
    required: frozenset[str]
    types: tuple[Any, ...]  # each result column's type for this dialect


_prebuilt: dict[str, object] = {}


def prebuilt(name: str, build: Callable[[], Any]) -> Any:
    """A statement of a hot path, built once per process under `name` (building one costs more than running it)."""
    stmt = _prebuilt.get(name)
    if stmt is None:
        stmt = _prebuilt[name] = build()
    return stmt
