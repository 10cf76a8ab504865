"""What a piece of code sends to the database: every statement through a Connection (its cursor events) and
every `db.HotRead` (which runs straight on the driver, past those events), in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from training_app.store import db


@contextmanager
def statements(engine, monkeypatch) -> Iterator[list[str]]:
    """Yields the list the statements are appended to; a HotRead appears as ``hot:<name> <its SQL>``."""
    seen: list[str] = []

    def spy(conn, cursor, statement, *args):
        seen.append(statement)

    hot_rows = db.HotRead.rows

    def hot(self, engine_, params=None):
        seen.append(f"hot:{self.name} {self._plan(engine_.dialect).sql}")
        return hot_rows(self, engine_, params)

    monkeypatch.setattr(db.HotRead, "rows", hot)
    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)
        monkeypatch.setattr(db.HotRead, "rows", hot_rows)
