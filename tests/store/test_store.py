"""Storage: migrations from empty, SQLite pragmas, BEGIN IMMEDIATE for writes, one clear line for a bad URL."""

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import inspect, text

from training_app.store.db import DatabaseUnavailable, check_connection, make_engine, write_session
from training_app.store.migrate import current_revision, head_revision, upgrade

TABLES = {
    "unit",
    "person",
    "user_session",
    "campaign",
    "assignment",
    "attempt",
    "answer",
    "item_stat",
    "unit_law_stat",
    "practice_answer",
    "review_card",
    "study_time",
    "study_mark",
    "audit_log",
}


def test_migrations_create_the_schema_on_an_empty_database(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    upgrade(engine)  # idempotent
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("answer")}
    assert ("attempt_id", "slot") in uniques
    engine.dispose()


def test_sqlite_pragmas(sqlite_url):
    engine = make_engine(sqlite_url, busy_timeout_ms=12345)
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12345


def test_write_sessions_begin_immediate(sqlite_url):
    """A write session takes the write lock at BEGIN: a second writer waits instead of failing later."""
    engine = make_engine(sqlite_url, busy_timeout_ms=5000)
    upgrade(engine)
    order = []
    first_in = threading.Event()

    def first():
        with write_session(engine) as s:
            s.execute(text("SELECT 1"))  # BEGIN IMMEDIATE already holds the lock
            first_in.set()
            time.sleep(0.5)
            s.execute(
                text(
                    "INSERT INTO unit (name, kind, is_demo, active, created_at) VALUES ('甲', 'town', 0, 1, '2026-01-01')"
                )
            )
            order.append("first")

    def second():
        first_in.wait()
        with write_session(engine) as s:
            s.execute(
                text(
                    "INSERT INTO unit (name, kind, is_demo, active, created_at) VALUES ('乙', 'town', 0, 1, '2026-01-01')"
                )
            )
            order.append("second")

    t1, t2 = threading.Thread(target=first), threading.Thread(target=second)
    t1.start(), t2.start()
    t1.join(), t2.join()
    assert order == ["first", "second"]


def test_foreign_keys_are_enforced(sqlite_url):
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with pytest.raises(IntegrityError):
        with write_session(engine) as s:
            s.execute(
                text(
                    "INSERT INTO study_mark (person_id, law_slug, locator, marked_at) VALUES (999, 'x', 'a:1', '2026-01-01')"
                )
            )


def test_unreachable_database_is_one_clear_line():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable) as exc:
        check_connection(engine)
    assert "无法连接数据库" in str(exc.value) and "\n" not in str(exc.value)
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "无法连接数据库" in r.stderr


def test_a_write_lock_held_past_the_busy_timeout_is_a_clear_busy_error(tmp_path):
    """On SQLite, a write that waited out the busy timeout raises DatabaseBusy (the exam page says "系统繁忙…请再选
    一次" and shows what is stored), from both write paths; nothing is written."""
    import sqlite3

    import pytest
    from sqlalchemy import text

    from training_app.store.db import DatabaseBusy, make_engine, write_connection, write_session

    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=200)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy):
            with write_connection(engine) as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(DatabaseBusy):
            with write_session(engine) as s:
                s.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        holder.rollback()
        holder.close()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()
