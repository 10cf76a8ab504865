"""The SQLModel tables and the Alembic migrations describe the same schema (alembic's compare_metadata on a
freshly migrated database, SQLite and PostgreSQL): a column added to a model without a migration, or a
migration that drifts from the model, fails here rather than on a deployed database."""

from __future__ import annotations

from pprint import pformat

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData
from sqlmodel import SQLModel

import training_app.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from training_app.store.db import make_engine
from training_app.store.migrate import upgrade


def _differences(url: str, metadata: MetaData = SQLModel.metadata) -> list:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(db_url):
    diff = _differences(db_url)
    assert diff == [], "models and migrations differ (write a migration):\n" + pformat(diff)


def test_the_check_sees_a_column_without_a_migration(sqlite_url):
    drifted = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["attempt"].append_column(Column("not_migrated", Integer))
    diff = _differences(sqlite_url, drifted)
    assert [(d[0], d[2], d[3].name) for d in diff] == [("add_column", "attempt", "not_migrated")]
