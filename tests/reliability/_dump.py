"""A full dump of every table in the database, to prove that a refused operation wrote nothing."""

from __future__ import annotations

from sqlalchemy import MetaData, select

_schemas: dict[str, MetaData] = {}


def dump_all(engine) -> dict[str, list[tuple]]:
    """{table: every row as a tuple, in primary-key order} for every table the database holds (reflected, so a
    table added by a later migration is included without changing this)."""
    key = engine.url.render_as_string(hide_password=False)
    meta = _schemas.get(key)
    if meta is None:
        meta = _schemas[key] = MetaData()
        meta.reflect(bind=engine)
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order)).all()]
    assert "person" in out and "audit_log" in out, sorted(out)
    return out
