"""A full dump of every table, to prove that a refused operation wrote nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import SQLModel

import training_app.store.models  # noqa: F401 - registers every table on SQLModel.metadata
from training_app.store.db import read_session


def dump_all(engine) -> dict[str, list[tuple]]:
    """{table: every row as a tuple, ordered by primary key} for every table the app owns."""
    out: dict[str, list[tuple]] = {}
    with read_session(engine) as s:
        for table in SQLModel.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in s.execute(select(table).order_by(*order)).all()]
    return out


def row_counts(dump: dict[str, list[tuple]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in dump.items()}
