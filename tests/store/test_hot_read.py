"""`db.HotRead`: a single SELECT run straight on a pooled driver connection gives what the same statement gives
through a SQLAlchemy Connection (the column types' conversions included), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, bindparam, func, select
from sqlalchemy.exc import DBAPIError

from training_app.store.db import HotRead, make_engine, read_connection

meta = MetaData()
thing = Table(
    "hot_thing",
    meta,
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("kind", String(10)),
    Column("seen_at", DateTime),
    Column("active", Boolean),
)
ROWS = [
    {"id": 1, "name": "甲", "kind": "a", "seen_at": datetime(2026, 12, 6, 9, 5, 30, 123456), "active": True},
    {"id": 2, "name": "乙", "kind": "a", "seen_at": None, "active": False},
    {"id": 3, "name": "丙", "kind": "draft", "seen_at": datetime(2026, 1, 2, 3, 4, 5), "active": True},
]


@pytest.fixture
def engine(db_url):
    e = make_engine(db_url)
    meta.create_all(e)
    with e.begin() as conn:
        conn.execute(thing.insert(), ROWS)
    yield e
    e.dispose()


def _by_kind():
    # a parameter of the caller's, a literal of the statement's own ("draft") and converted column types
    return (
        select(thing.c.id, thing.c.name, thing.c.seen_at, thing.c.active)
        .where(thing.c.kind != "draft", thing.c.id >= bindparam("low"))
        .order_by(thing.c.id)
    )


def test_a_hot_read_gives_what_a_connection_gives(engine):
    hot = HotRead("test.by_kind", _by_kind)
    with read_connection(engine) as conn:
        expected = [tuple(r) for r in conn.execute(_by_kind(), {"low": 1})]
    got = hot.rows(engine, {"low": 1})
    assert got == expected
    assert got[0] == (1, "甲", datetime(2026, 12, 6, 9, 5, 30, 123456), True)
    assert got[1] == (2, "乙", None, False)
    assert [type(v) for v in got[0]] == [int, str, datetime, bool]
    assert hot.rows(engine, {"low": 2}) == [(2, "乙", None, False)]
    assert hot.rows(engine, {"low": 9}) == []


def test_an_aggregate_and_no_parameters(engine):
    hot = HotRead("test.agg", lambda: select(func.count(), func.max(thing.c.seen_at)).select_from(thing))
    assert hot.rows(engine) == [(3, datetime(2026, 12, 6, 9, 5, 30, 123456))]


def test_a_hot_read_sees_what_was_just_written_and_leaves_no_transaction_open(engine):
    hot = HotRead("test.by_kind", _by_kind)
    assert len(hot.rows(engine, {"low": 1})) == 2
    with engine.begin() as conn:
        conn.execute(thing.insert(), [{"id": 4, "name": "丁", "kind": "b", "seen_at": None, "active": True}])
    assert [r[0] for r in hot.rows(engine, {"low": 1})] == [1, 2, 4]
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # the pool hands back the same connection: no read transaction left open
        try:
            assert not raw.driver_connection.in_transaction
        finally:
            raw.close()


def test_a_failing_hot_read_raises_as_sqlalchemy_would(engine):
    missing = Table("hot_missing", MetaData(), Column("id", Integer))
    hot = HotRead("test.missing", lambda: select(missing.c.id))
    with pytest.raises(DBAPIError):
        hot.rows(engine)
    assert HotRead("test.by_kind", _by_kind).rows(engine, {"low": 3}) == []  # the pool still serves


def test_a_missing_parameter_is_refused(engine):
    with pytest.raises(KeyError):
        HotRead("test.by_kind", _by_kind).rows(engine, {})


def test_a_parameter_rendered_at_execution_is_refused_when_planned(engine):
    hot = HotRead("test.in_list", lambda: select(thing.c.id).where(thing.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="test.in_list"):
        hot.rows(engine, {"ids": [1, 2]})
