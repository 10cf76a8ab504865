"""The reads every page run makes, three ways on the district dataset: through a SQLAlchemy Connection (as they
were until finding 24), as a `db.HotRead` (straight on a pooled driver connection), and the bare driver with the
SQL already in hand (the floor).

    python -m benchmarks.hot_read [--scale district] [--n 3000]
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Callable

from sqlalchemy import text

from training_app.store import accounts, campaigns, dashboard, exams
from training_app.store.db import HotRead, make_engine, read_connection

from . import dataset


def _per_call_us(fn: Callable[[], object], n: int) -> float:
    for _ in range(min(200, n)):
        fn()
    best = float("inf")
    for _ in range(3):  # the best of three rounds: the least disturbed by the rest of the machine
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return best * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="district")
    ap.add_argument("--n", type=int, default=3000)
    args = ap.parse_args(argv)
    ds = dataset.ensure(args.scale)
    if not ds.is_sqlite:
        raise SystemExit("the floor here is sqlite3: run it on the SQLite dataset")
    engine = make_engine(ds.url)
    with engine.connect() as conn:
        token_hash = conn.execute(text("SELECT token_hash FROM user_session LIMIT 1")).scalar() or "none"
        attempt_id = conn.execute(text("SELECT max(id) FROM attempt")).scalar_one()
    reads: list[tuple[str, HotRead, dict]] = [
        ("login check (every page run)", accounts._SESSION_LOGIN, {"h": token_hash}),
        ("exam sheet (every click)", exams._SHEET, {"aid": attempt_id, "slot": 5}),
        ("coordinator's campaign list", campaigns._CHOICES, {}),
        ("完成情况's version (476 assignments)", dashboard._FIGURES_VERSION, {"cid": ds.current_campaign}),
    ]
    raw = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    print(f"{args.scale} on SQLite {sqlite3.sqlite_version}, {args.n} calls per figure, best of three rounds")
    print("| read | Connection | HotRead | bare driver | HotRead ÷ driver | Connection ÷ HotRead |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, hot, params in reads:
        stmt = hot._build()
        plan = hot._plan(engine.dialect)
        args_ = tuple({**plan.defaults, **params}[k] for k in plan.order or ())

        def through_connection(stmt=stmt, params=params):
            with read_connection(engine) as conn:
                return conn.execute(stmt, params).all()

        ours = _per_call_us(lambda hot=hot, params=params: hot.rows(engine, params), args.n)
        old = _per_call_us(through_connection, args.n)
        floor = _per_call_us(lambda plan=plan, a=args_: raw.execute(plan.sql, a).fetchall(), args.n)
        print(f"| {label} | {old:.1f} µs | {ours:.1f} µs | {floor:.1f} µs | {ours / floor:.2f}× | {old / ours:.2f}× |")
    raw.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
