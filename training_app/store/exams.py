"""Queries for attempts and answers: the exam's hot paths (start, save, submit) in as few statements as possible."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .db import HotRead, prebuilt
from .models import Answer, Assignment, Attempt, Campaign, DrawnPaper, ItemStat, UnitLawStat


def dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def get_assignment(session: Session, campaign_id: int, person_id: int) -> Assignment | None:
    return session.execute(
        select(Assignment).where(Assignment.campaign_id == campaign_id, Assignment.person_id == person_id)
    ).scalar_one_or_none()


def open_attempt(session: Session, assignment_id: int) -> Attempt | None:
    return session.execute(
        select(Attempt)
        .where(Attempt.assignment_id == assignment_id, Attempt.state == "in_progress")
        .order_by(Attempt.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def open_attempts_of_person(session: Session, person_id: int) -> list[Attempt]:
    return list(
        session.execute(
            select(Attempt)
            .where(Attempt.person_id == person_id, Attempt.state == "in_progress")
            .order_by(Attempt.started_at)
        ).scalars()
    )


def overdue_attempt_ids(
    session: Session, now: datetime, *, person_id: int | None = None, campaign_id: int | None = None, limit: int = 1000
) -> list[int]:
    q = select(Attempt.id).where(Attempt.state == "in_progress", Attempt.deadline_at <= now)
    if person_id is not None:
        q = q.where(Attempt.person_id == person_id)
    if campaign_id is not None:
        q = q.where(Attempt.campaign_id == campaign_id)
    return list(session.execute(q.order_by(Attempt.id).limit(limit)).scalars())


def finished_attempts(session: Session, assignment_id: int) -> list[Attempt]:
    return list(
        session.execute(
            select(Attempt)
            .where(Attempt.assignment_id == assignment_id, Attempt.state == "finished")
            .order_by(Attempt.number)
        ).scalars()
    )


def attempts_of(session: Session, person_id: int, campaign_id: int | None = None) -> list[Attempt]:
    q = select(Attempt).where(Attempt.person_id == person_id)
    if campaign_id is not None:
        q = q.where(Attempt.campaign_id == campaign_id)
    return list(session.execute(q.order_by(Attempt.started_at.desc())).scalars())


class AttemptStatus(NamedTuple):
    person_id: int
    state: str
    deadline_at: datetime
    paper: str


def lock_attempt(session: Session, attempt_id: int) -> AttemptStatus | None:
    """(person_id, state, deadline_at, paper) of an attempt, locked for this transaction on PostgreSQL
    (SQLite's BEGIN IMMEDIATE already holds the database's write lock)."""
    q = select(Attempt.person_id, Attempt.state, Attempt.deadline_at, Attempt.paper).where(Attempt.id == attempt_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    row = session.execute(q).first()
    return None if row is None else AttemptStatus(*row)


def set_flag(session: Session, *, attempt_id: int, slot: int, question_id: str, flagged: bool, now: datetime) -> None:
    ins = dialect_insert(session)(Answer).values(
        attempt_id=attempt_id,
        slot=slot,
        question_id=question_id,
        response=None,
        flagged=flagged,
        changes=0,
        first_saved_at=now,
        saved_at=now,
        seconds_spent=0.0,
    )
    session.execute(
        ins.on_conflict_do_update(index_elements=["attempt_id", "slot"], set_={"flagged": ins.excluded.flagged})
    )


def answers_of(session: Session, attempt_id: int) -> list[Answer]:
    return list(session.execute(select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.slot)).scalars())


def responses_of(session: Session, attempt_id: int) -> dict[int, str | None]:
    """slot -> saved response of an attempt's answer rows (what grading reads; no ORM objects)."""
    rows = session.connection().execute(select(Answer.slot, Answer.response).where(Answer.attempt_id == attempt_id))
    return {slot: response for slot, response in rows}


def finish_attempt(session: Session, attempt_id: int, now: datetime, finished_by: str) -> bool:
    """The one transition in_progress -> finished; False when another request already made it."""
    res = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.state == "in_progress")
        .values(state="finished", finished_at=now, finished_by=finished_by)
    )
    return res.rowcount == 1


# The grading writes run inside the submit's write transaction (on SQLite: the database's one write lock). Each is
# ONE statement over all rows (a CASE, a multi-row VALUES), not one execution per row: every execution step gives
# up Python's GIL, and on exam morning, with hundreds of sessions' threads waiting for it, each step back cost
# milliseconds while the lock was held (the 476-officer run's hand-in wave: `database is locked` past the busy
# timeout). benchmarks/README.md, "Exam day under load".


def store_grades(session: Session, attempt_id: int, fractions: dict[int, float]) -> None:
    if not fractions:
        return
    from sqlalchemy import case, literal

    table = Answer.__table__
    slots = sorted(fractions)
    stmt = (
        update(table)
        .where(and_(table.c.attempt_id == attempt_id, table.c.slot.in_(slots)))
        .values(fraction=case({s: literal(float(fractions[s])) for s in slots}, value=table.c.slot))
    )
    session.connection().execute(stmt)


def add_item_stats(session: Session, campaign_id: int, rows: list[dict]) -> None:
    """rows: {question_id, x, y, opt: index or list of indexes or None}; adds one attempt's contribution."""
    if not rows:
        return
    values = []
    # Rows in one global order (question id): concurrent submits then lock item_stat rows in the same order
    # and cannot deadlock on PostgreSQL.
    for r in sorted(rows, key=lambda r: r["question_id"]):
        v = {
            "campaign_id": campaign_id,
            "question_id": r["question_id"],
            "n": 1,
            "sx": r["x"],
            "sxx": r["x"] * r["x"],
            "sy": r["y"],
            "syy": r["y"] * r["y"],
            "sxy": r["x"] * r["y"],
            "blank": 0 if r["opts"] else 1,
        }
        for i in range(6):
            v[f"opt{i}"] = 1 if i in r["opts"] else 0
        values.append(v)
    _run_multirow(session, "item_stat", values, _ITEM_COLS)


_ITEM_COLS = ["campaign_id", "question_id", "n", "sx", "sxx", "sy", "syy", "sxy", "blank"] + [
    f"opt{i}" for i in range(6)
]
_LAW_COLS = ["campaign_id", "unit_id", "law_slug", "answered", "credit"]


_compiled_sql: dict[str, tuple[str, list[str] | None]] = {}


def _run_multirow(session: Session, which: str, rows: list[dict], cols: list[str]) -> None:
    """Execute the multi-row upsert from SQL compiled once per dialect, table and row count: SQLAlchemy does not
    cache the compiled form of a multi-row VALUES insert, and compiling its ~1,200 bind parameters cost ~10 ms of
    Python per hand-in, inside the write transaction."""
    conn = session.connection()
    key = f"{which}_{conn.dialect.name}_{len(rows)}"
    got = _compiled_sql.get(key)
    if got is None:
        compiled = _multirow_upsert(session, which, len(rows)).compile(dialect=conn.dialect)
        names = list(compiled.positiontup or []) if compiled.positional else None
        got = _compiled_sql[key] = (str(compiled), names)
    sql, names = got
    flat = _flat_params(rows, cols)
    conn.exec_driver_sql(sql, tuple(flat[n] for n in names) if names is not None else flat)


def _flat_params(rows: list[dict], cols: list[str]) -> dict:
    return {f"{c}_{i}": r[c] for i, r in enumerate(rows) for c in cols}


def _multirow_upsert(session: Session, which: str, n: int):
    """`INSERT ... VALUES (row 1), ..., (row n) ON CONFLICT DO UPDATE` adding to the sums, built once per dialect,
    table and row count with bind parameters (a statement built from values is compiled anew on every call)."""
    dialect = session.get_bind().dialect.name

    def build():
        from sqlalchemy import bindparam

        if which == "item_stat":
            table, cols, keys = ItemStat.__table__, _ITEM_COLS, ["campaign_id", "question_id"]
            adds = ["n", "sx", "sxx", "sy", "syy", "sxy", "blank"] + [f"opt{i}" for i in range(6)]
        else:
            table, cols, keys = UnitLawStat.__table__, _LAW_COLS, ["campaign_id", "unit_id", "law_slug"]
            adds = ["answered", "credit"]
        ins = dialect_insert(session)(table).values([{c: bindparam(f"{c}_{i}") for c in cols} for i in range(n)])
        return ins.on_conflict_do_update(index_elements=keys, set_={c: table.c[c] + ins.excluded[c] for c in adds})

    return _stmt(f"upsert_{which}_{dialect}_{n}", build)


def add_unit_law_stats(
    session: Session, campaign_id: int, unit_id: int | None, per_law: dict[str, tuple[int, float]]
) -> None:
    if unit_id is None or not per_law:
        return
    rows = [
        {"campaign_id": campaign_id, "unit_id": unit_id, "law_slug": law, "answered": n, "credit": c}
        for law, (n, c) in sorted(per_law.items())
    ]
    _run_multirow(session, "unit_law", rows, _LAW_COLS)


def update_assignment_after_grade(
    session: Session, assignment_id: int, *, grade: float | None, passed: bool, now: datetime
) -> None:
    a = session.get(Assignment, assignment_id)
    a.attempts_finished = (a.attempts_finished or 0) + 1
    a.grade = grade
    if a.completed_at is None:
        a.completed_at = now
    if passed and not a.passed:
        a.passed_at = now
    a.passed = passed
    session.add(a)


def get_assignment_by_id(session: Session, assignment_id: int) -> Assignment:
    return session.get(Assignment, assignment_id)


def unsynced_finished_attempts(session: Session, person_id: int | None = None) -> list[Attempt]:
    """Finished attempts whose wrong answers have not reached the 错题本 yet (of one person, or everyone's)."""
    q = select(Attempt).where(Attempt.state == "finished", Attempt.cards_synced.is_(False))
    if person_id is not None:
        q = q.where(Attempt.person_id == person_id)
    return list(session.execute(q.order_by(Attempt.id)).scalars())


def open_attempts_in_campaign(session: Session, campaign_id: int) -> list[Attempt]:
    return list(
        session.execute(
            select(Attempt).where(Attempt.campaign_id == campaign_id, Attempt.state == "in_progress")
        ).scalars()
    )


def finished_attempts_of_campaign(session: Session, campaign_id: int) -> list[Attempt]:
    """Every finished attempt of a campaign, by assignment and attempt number (the regrade's order)."""
    return list(
        session.execute(
            select(Attempt)
            .where(Attempt.campaign_id == campaign_id, Attempt.state == "finished")
            .order_by(Attempt.assignment_id, Attempt.number)
        ).scalars()
    )


def clear_campaign_stats(session: Session, campaign_id: int) -> None:
    """Delete a campaign's item statistics and per-unit law statistics (before they are rebuilt)."""
    from sqlalchemy import delete

    session.execute(delete(ItemStat).where(ItemStat.campaign_id == campaign_id))
    session.execute(delete(UnitLawStat).where(UnitLawStat.campaign_id == campaign_id))


# --- the hot paths, as single Core statements ------------------------------------------------------

_SAVE_SQL = """
INSERT INTO answer (attempt_id, slot, question_id, response, flagged, changes, first_saved_at, saved_at,
                    seconds_spent, client_id)
SELECT :attempt_id, :slot, :question_id, :response, {false}, 1, :now, :now, :seconds, :client_id
WHERE EXISTS (SELECT 1 FROM attempt WHERE id = :attempt_id AND person_id = :person_id
              AND state = 'in_progress' AND deadline_at > :now{lock})
ON CONFLICT (attempt_id, slot) DO UPDATE SET
    response = excluded.response, saved_at = excluded.saved_at, client_id = excluded.client_id,
    seconds_spent = answer.seconds_spent + excluded.seconds_spent, changes = answer.changes + 1
"""
_save_statements: dict[str, object] = {}


def _save_statement(dialect: str):
    stmt = _save_statements.get(dialect)
    if stmt is None:
        from sqlalchemy import DateTime, Float, Integer, String, bindparam, text

        pg = dialect == "postgresql"
        # On PostgreSQL the attempt row is share-locked: a concurrent submit (an UPDATE of that row) waits for
        # this save, or this save waits for the submit and then finds the attempt finished.
        sql = _SAVE_SQL.format(false="false" if pg else "0", lock=" FOR SHARE" if pg else "")
        stmt = text(sql).bindparams(
            bindparam("attempt_id", type_=Integer),
            bindparam("slot", type_=Integer),
            bindparam("question_id", type_=String),
            bindparam("response", type_=String),
            bindparam("now", type_=DateTime(timezone=True)),
            bindparam("seconds", type_=Float),
            bindparam("client_id", type_=String),
            bindparam("person_id", type_=Integer),
        )
        _save_statements[dialect] = stmt
    return stmt


def save_if_open(
    conn,
    *,
    attempt_id: int,
    person_id: int,
    slot: int,
    question_id: str,
    response: str | None,
    now: datetime,
    seconds: float,
    client_id: str | None,
) -> bool:
    """Upsert one answer only while the attempt is the person's, in progress and before its deadline:
    one statement. False when nothing was written (the caller asks why)."""
    res = conn.execute(
        _save_statement(conn.dialect.name),
        {
            "attempt_id": attempt_id,
            "slot": slot,
            "question_id": question_id,
            "response": response,
            "now": now,
            "seconds": seconds,
            "client_id": client_id,
            "person_id": person_id,
        },
    )
    return res.rowcount == 1


def attempt_status(conn, attempt_id: int) -> AttemptStatus | None:
    """(person_id, state, deadline_at, paper) — read when a save was refused, to say why."""
    row = conn.execute(
        select(Attempt.person_id, Attempt.state, Attempt.deadline_at, Attempt.paper).where(Attempt.id == attempt_id)
    ).first()
    return None if row is None else AttemptStatus(*row)


_stmt = prebuilt  # the hot paths' statements, built once per process (store.db)


def _start_context_stmt():
    from sqlalchemy import and_, bindparam

    return (
        select(
            Campaign.status,
            Campaign.opens_at,
            Campaign.closes_at,
            Campaign.time_limit_minutes,
            Campaign.attempts_allowed,
            Campaign.blueprint_id,
            Campaign.partial_credit,
            Assignment.id,
            Assignment.attempts_started,
            Assignment.extended_until,
            Attempt.id,
            Attempt.deadline_at,
            select(DrawnPaper.id)
            .where(DrawnPaper.campaign_id == Campaign.id, DrawnPaper.bank == bindparam("bank"))
            .limit(1)
            .exists()
            .label("drawn_available"),
        )
        .select_from(Campaign)
        .outerjoin(Assignment, and_(Assignment.campaign_id == Campaign.id, Assignment.person_id == bindparam("pid")))
        .outerjoin(Attempt, and_(Attempt.assignment_id == Assignment.id, Attempt.state == "in_progress"))
        .where(Campaign.id == bindparam("cid"))
        .limit(1)
    )


class StartContext(NamedTuple):
    """Everything starting an attempt needs (the columns of `_start_context_stmt`, in its order)."""

    status: str
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    attempts_allowed: int
    blueprint_id: str
    partial_credit: bool
    assignment_id: int | None  # None: the person is not in the campaign's audience
    attempts_started: int | None
    extended_until: datetime | None
    open_attempt_id: int | None  # an attempt in progress, if any
    open_deadline: datetime | None
    drawn_available: bool  # a paper drawn ahead from this bank is waiting (``claim_drawn_paper``)


def start_context(conn, campaign_id: int, person_id: int, bank: str) -> StartContext | None:
    """Everything starting an attempt needs, in one query: the campaign, the assignment, any open attempt, and
    whether a paper drawn ahead from the bank with fingerprint `bank` is waiting."""
    row = conn.execute(
        _stmt("start_context", _start_context_stmt), {"cid": campaign_id, "pid": person_id, "bank": bank}
    ).first()
    return None if row is None else StartContext(*row)


# --- papers drawn ahead --------------------------------------------------------------------------


class Drawn(NamedTuple):
    seed: int
    paper: str  # the frozen paper's JSON, as ``attempt.paper`` stores it
    max_score: float


def _claim_stmt():
    from sqlalchemy import bindparam, delete

    first = (
        select(DrawnPaper.id)
        .where(DrawnPaper.campaign_id == bindparam("cid"), DrawnPaper.bank == bindparam("bank"))
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL: two replicas starting at once take different papers
        .scalar_subquery()
    )
    return (
        delete(DrawnPaper)
        .where(DrawnPaper.id == first)
        .returning(DrawnPaper.seed, DrawnPaper.paper, DrawnPaper.max_score)
    )


def claim_drawn_paper(conn, campaign_id: int, bank: str) -> Drawn | None:
    """Take (delete and return) one paper drawn ahead for the campaign from bank `bank`; None when none waits.
    In the caller's write transaction, so the paper is taken only if the attempt is written."""
    row = conn.execute(_stmt("claim_drawn", _claim_stmt), {"cid": campaign_id, "bank": bank}).first()
    return None if row is None else Drawn(*row)


class PaperNeed(NamedTuple):
    status: str
    closes_at: datetime
    blueprint_id: str
    not_started: int  # assignments with no attempt yet
    waiting: int  # papers drawn ahead from this bank, not yet taken
    stale: int  # papers drawn ahead from other banks (never taken)


def paper_need(conn, campaign_id: int, bank: str) -> PaperNeed | None:
    """How many papers a campaign may still need drawn ahead: its assignments not started, less those waiting."""
    not_started = (
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.campaign_id == campaign_id, Assignment.attempts_started == 0)
        .scalar_subquery()
    )
    of_campaign = select(func.count()).select_from(DrawnPaper).where(DrawnPaper.campaign_id == campaign_id)
    waiting = of_campaign.where(DrawnPaper.bank == bank).scalar_subquery()
    stale = of_campaign.where(DrawnPaper.bank != bank).scalar_subquery()
    row = conn.execute(
        select(Campaign.status, Campaign.closes_at, Campaign.blueprint_id, not_started, waiting, stale).where(
            Campaign.id == campaign_id
        )
    ).first()
    return None if row is None else PaperNeed(*row)


def add_drawn_papers(conn, rows: list[dict]) -> None:
    """Papers drawn ahead: dicts of campaign_id, bank, seed, paper, max_score, drawn_at."""
    from sqlalchemy import insert

    if rows:
        conn.execute(insert(DrawnPaper), rows)


def drop_drawn_papers(conn, campaign_id: int, *, other_than_bank: str | None = None) -> int:
    """Delete a campaign's papers drawn ahead (all, or those of banks other than `other_than_bank`)."""
    from sqlalchemy import delete

    stmt = delete(DrawnPaper).where(DrawnPaper.campaign_id == campaign_id)
    if other_than_bank is not None:
        stmt = stmt.where(DrawnPaper.bank != other_than_bank)
    return conn.execute(stmt).rowcount or 0


def trim_drawn_papers(conn, campaign_id: int, bank: str, keep: int) -> int:
    """Delete a campaign's papers drawn ahead from bank `bank` beyond the first `keep` (more wait than officers
    who have not started: they started some other way, e.g. the demo's simulated history)."""
    from sqlalchemy import delete

    kept = (
        select(DrawnPaper.id)
        .where(DrawnPaper.campaign_id == campaign_id, DrawnPaper.bank == bank)
        .order_by(DrawnPaper.id)
        .limit(max(0, keep))
    )
    stmt = delete(DrawnPaper).where(
        DrawnPaper.campaign_id == campaign_id, DrawnPaper.bank == bank, DrawnPaper.id.not_in(kept)
    )
    return conn.execute(stmt).rowcount or 0


def drop_drawn_papers_of_ended(conn, now: datetime) -> int:
    """Delete the papers drawn ahead for campaigns closed or past their close (a personal extension still starts,
    drawing at the click)."""
    from sqlalchemy import delete, or_

    ended = select(Campaign.id).where(or_(Campaign.status != "published", Campaign.closes_at <= now))
    return conn.execute(delete(DrawnPaper).where(DrawnPaper.campaign_id.in_(ended))).rowcount or 0


def campaigns_open_for_papers(conn, now: datetime) -> list[int]:
    """Published campaigns not yet closed (the ones worth drawing papers ahead for), the soonest to open first."""
    return list(
        conn.execute(
            select(Campaign.id)
            .where(Campaign.status == "published", Campaign.closes_at > now)
            .order_by(Campaign.opens_at, Campaign.id)
        ).scalars()
    )


def insert_attempt(conn, values: dict) -> int:
    from sqlalchemy import insert

    return conn.execute(_stmt("insert_attempt", lambda: insert(Attempt).returning(Attempt.id)), values).scalar_one()


def _mark_started_stmt():
    from sqlalchemy import DateTime, bindparam
    from sqlalchemy import func as f

    return (
        update(Assignment)
        .where(Assignment.id == bindparam("aid"))
        .values(
            attempts_started=bindparam("n"),
            first_started_at=f.coalesce(Assignment.first_started_at, bindparam("now", type_=DateTime(timezone=True))),
        )
    )


def mark_started_core(conn, assignment_id: int, number: int, now: datetime) -> None:
    conn.execute(_stmt("mark_started", _mark_started_stmt), {"aid": assignment_id, "n": number, "now": now})


class Sheet(NamedTuple):
    """One click's read of an attempt: its owner, state and deadline; the slots answered and flagged; the
    question on screen's saved response and flag; and which browser session saved last, and when."""

    person_id: int
    state: str
    deadline_at: datetime
    answered: frozenset[int]
    flagged: frozenset[int]
    response: str | None
    is_flagged: bool
    last_client_id: str | None
    last_saved_at: datetime | None


def _sheet_stmt():
    from sqlalchemy import String, bindparam, case, literal_column
    from sqlalchemy import cast as sql_cast

    aid, slot = bindparam("aid"), bindparam("slot")
    comma = literal_column("','")  # in the SQL itself: a str separator is a parameter rendered only as it runs
    answered = func.aggregate_strings(
        case((and_(Answer.response.is_not(None), Answer.response != ""), sql_cast(Answer.slot, String))), comma
    )
    flagged = func.aggregate_strings(case((Answer.flagged.is_(True), sql_cast(Answer.slot, String))), comma)
    per_answer = (
        select(
            answered.label("answered"),
            flagged.label("flagged"),
            func.max(case((Answer.slot == slot, Answer.response))).label("response"),
            func.max(case((Answer.slot == slot, sql_cast(Answer.flagged, Integer)), else_=0)).label("is_flagged"),
        )
        .where(Answer.attempt_id == aid)
        .subquery()
    )
    last = (
        select(Answer.client_id, Answer.saved_at)
        .where(Answer.attempt_id == aid, Answer.client_id.is_not(None))
        .order_by(Answer.saved_at.desc())
        .limit(1)
        .subquery()
    )
    return (
        select(
            Attempt.person_id,
            Attempt.state,
            Attempt.deadline_at,
            per_answer.c.answered,
            per_answer.c.flagged,
            per_answer.c.response,
            per_answer.c.is_flagged,
            last.c.client_id,
            last.c.saved_at,
        )
        .select_from(Attempt)
        .join(per_answer, literal_column("1") == literal_column("1"))
        .outerjoin(last, literal_column("1") == literal_column("1"))
        .where(Attempt.id == aid)
    )


def _slots(text: str | None) -> frozenset[int]:
    return frozenset(int(x) for x in text.split(",") if x) if text else frozenset()


_SHEET = HotRead("sheet", _sheet_stmt)


def sheet(engine: Engine, attempt_id: int, slot: int) -> Sheet | None:
    """What one click on the exam page reads, in ONE statement returning one row (the answers are aggregated in
    the database: a result row per answer would give up the GIL at every row, 80 times a click late in an exam),
    straight on the driver (`db.HotRead`)."""
    rows = _SHEET.rows(engine, {"aid": attempt_id, "slot": slot})
    if not rows:
        return None
    row = rows[0]
    return Sheet(
        row[0],
        row[1],
        row[2],
        _slots(row[3]),
        _slots(row[4]),
        row[5],
        bool(row[6]),
        row[7],
        row[8],
    )


class Head(NamedTuple):
    """What the exam page's header needs of an attempt: its owner, state, number, times and campaign title."""

    person_id: int
    state: str
    number: int
    started_at: datetime
    deadline_at: datetime
    title: str


def _head_stmt():
    from sqlalchemy import bindparam

    return (
        select(
            Attempt.person_id, Attempt.state, Attempt.number, Attempt.started_at, Attempt.deadline_at, Campaign.title
        )
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .where(Attempt.id == bindparam("aid"))
    )


_HEAD = HotRead("head", _head_stmt)


def attempt_head(engine: Engine, attempt_id: int) -> Head | None:
    """One row: the exam page's header (a page load must not build the 80 question views to show a title),
    straight on the driver (`db.HotRead`)."""
    rows = _HEAD.rows(engine, {"aid": attempt_id})
    return Head(*rows[0]) if rows else None


def attempt_paper(conn, attempt_id: int) -> str | None:
    return conn.execute(select(Attempt.paper).where(Attempt.id == attempt_id)).scalar_one_or_none()
