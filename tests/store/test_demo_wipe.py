"""The demo reset (``seed-demo --reset``) empties every table, children before parents: a table added later
and left out of the wipe would make the reset fail on a foreign key (roster_import did, once an import had run)."""

from sqlmodel import SQLModel

import training_app.store.models  # noqa: F401 - registers the tables
from training_app.store.demo import _WIPE_ORDER


def test_the_demo_wipe_names_every_table_once():
    wiped = [m.__table__.name for m in _WIPE_ORDER]
    assert len(wiped) == len(set(wiped))
    assert set(wiped) == set(SQLModel.metadata.tables)


def test_the_demo_wipe_deletes_children_before_their_parents():
    position = {m.__table__.name: i for i, m in enumerate(_WIPE_ORDER)}
    for table in SQLModel.metadata.tables.values():
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent != table.name:
                assert position[table.name] < position[parent], f"{table.name} must be wiped before {parent}"
