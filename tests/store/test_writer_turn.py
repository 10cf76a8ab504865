"""The writers of one process take turns on a process lock before they ask SQLite for its write lock: a waiting
writer is handed the turn when the last one ends, instead of polling SQLite's busy handler (sleeps up to 100 ms,
and no order among the waiters)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from training_app.store.db import DatabaseBusy, make_engine, write_connection, write_session


@pytest.fixture
def engine(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=5000)
    with e.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield e
    e.dispose()


def _begins(engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):
        if statement.startswith("BEGIN IMMEDIATE"):
            seen.append(threading.current_thread().name)

    return seen


def test_a_second_writer_waits_for_its_turn_before_asking_sqlite(engine):
    begins = _begins(engine)
    inside, release, done = threading.Event(), threading.Event(), threading.Event()

    def first():
        with write_connection(engine) as conn:
            conn.execute(text("INSERT INTO t (who) VALUES ('first')"))
            inside.set()
            release.wait(10)

    def second():
        with write_session(engine) as s:
            s.execute(text("INSERT INTO t (who) VALUES ('second')"))
        done.set()

    a = threading.Thread(target=first, name="first")
    b = threading.Thread(target=second, name="second")
    a.start()
    assert inside.wait(10)
    b.start()
    assert not done.wait(0.3)  # the second writer is waiting ...
    assert begins == ["first"]  # ... for its turn, not inside SQLite's busy handler
    release.set()
    a.join(10)
    b.join(10)
    assert done.is_set() and begins == ["first", "second"]
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT who FROM t ORDER BY id"))] == ["first", "second"]


def test_the_turn_is_handed_on_after_a_failed_write(engine):
    with pytest.raises(RuntimeError), write_connection(engine) as conn:
        conn.execute(text("INSERT INTO t (who) VALUES ('rolled back')"))
        raise RuntimeError("boom")
    with write_connection(engine) as conn:  # not left holding the turn
        conn.execute(text("INSERT INTO t (who) VALUES ('next')"))
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT who FROM t"))] == ["next"]


def test_a_writer_that_waits_past_the_busy_timeout_is_told_the_database_is_busy(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}", busy_timeout_ms=200)
    inside, release = threading.Event(), threading.Event()

    def holder():
        with write_connection(engine) as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)"))
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(10)
    try:
        with pytest.raises(DatabaseBusy), write_session(engine) as s:
            s.execute(text("SELECT 1"))
    finally:
        release.set()
        t.join(10)
        engine.dispose()
