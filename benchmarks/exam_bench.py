"""The exam's hot paths (start, save, submit) beside the bare statements they must write.

Everything here happens in a scratch campaign created for the run (``基准测试（运行中）``) over officers of the
dataset, and removed at the end (or at the start of the next run if this one was interrupted), so the dataset
stays as built. Ours and the floor alternate call by call on the same engine (the app's: same pool, same SQLite
pragmas), each on its own officers and attempts.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from training_app.bank.schema import LETTERS
from training_app.engine.deadlines import utcnow
from training_app.services import exams, papers
from training_app.services.common import Actor, App
from training_app.store.db import read_session, write_session
from training_app.store.models import (
    Answer,
    Assignment,
    Attempt,
    AuditLog,
    Campaign,
    Person,
    PracticeAnswer,
    ReviewCard,
    StudyMark,
    StudyTime,
    UserSession,
)

from . import dataset
from .measure import Figure, paired, summary

RUN_KEY = "run"
MARKED = {
    "audit_log": AuditLog,
    "user_session": UserSession,
    "review_card": ReviewCard,
    "study_time": StudyTime,
    "practice_answer": PracticeAnswer,
    "study_mark": StudyMark,
    "campaign": Campaign,
}
SCRATCH_TITLE = "基准测试（运行中）"


def log(msg: str) -> None:
    dataset.log(msg)


def _ins(engine: Engine):
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


# --- the scratch campaign ------------------------------------------------------------------------


def _campaign_tables(engine: Engine) -> list:
    """Tables with a campaign_id that exist in the database, children before parents."""
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    present = set(inspect(engine).get_table_names())
    return [
        t
        for t in reversed(SQLModel.metadata.sorted_tables)
        if "campaign_id" in t.c and t.name in present and t.name != "answer"
    ]


def cleanup(engine: Engine, url: str) -> None:
    """Remove everything a run added (it recorded the highest ids before it began)."""
    marks = dataset.get_meta(url, RUN_KEY)
    if not marks:
        return
    with engine.begin() as conn:
        scratch = select(Campaign.id).where(Campaign.id > marks["campaign"])
        conn.execute(
            delete(Answer).where(Answer.attempt_id.in_(select(Attempt.id).where(Attempt.campaign_id.in_(scratch))))
        )
        for table in _campaign_tables(engine):
            conn.execute(delete(table).where(table.c.campaign_id > marks["campaign"]))
        for name, model in MARKED.items():
            conn.execute(delete(model).where(model.id > marks[name]))
    dataset.set_meta(url, RUN_KEY, None)
    log("removed the previous run's scratch campaign and records")


def record_marks(engine: Engine, url: str) -> None:
    with engine.connect() as conn:
        marks = {
            name: int(conn.execute(select(func.coalesce(func.max(model.id), 0))).scalar())
            for name, model in MARKED.items()
        }
    dataset.set_meta(url, RUN_KEY, marks)


@dataclass
class Scratch:
    campaign_id: int
    ours: list[Actor]  # officers whose attempts go through the app
    bare: list[Actor]  # officers whose attempts go through the bare statements
    spare: list[Actor]  # for the exam page and the memory sessions
    assignment: dict[int, int]  # person id -> assignment id
    attempts_ours: list[int] = field(default_factory=list)
    attempts_bare: list[int] = field(default_factory=list)
    papers: dict[int, list[dict]] = field(default_factory=dict)


def make_scratch(app: App, ds: dataset.Dataset, pairs: int, spare: int) -> Scratch:
    """A published campaign of the annual exam assigned to 2 × pairs + spare officers of the dataset."""
    engine = app.engine
    now = utcnow()
    need = 2 * pairs + spare
    ids = list(range(ds.meta["first_officer_id"], ds.meta["last_officer_id"] + 1))
    chosen = sorted(random.Random(7).sample(ids, need))
    with write_session(engine) as s:
        c = Campaign(
            title=SCRATCH_TITLE,
            blueprint_id=dataset.BLUEPRINT,
            audience="units",
            audience_units="[]",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7),
            time_limit_minutes=60,
            pass_mark=60.0,
            attempts_allowed=2,
            grading_method="highest",
            review_policy="after_submit",
            partial_credit=False,
            status="published",
            year=now.year,
            created_by=2,
        )
        s.add(c)
        s.flush()
        cid = c.id
        people = s.execute(select(Person).where(Person.id.in_(chosen)).order_by(Person.id)).scalars().all()
        s.connection().execute(
            insert(Assignment.__table__),
            [
                {
                    "campaign_id": cid,
                    "person_id": p.id,
                    "unit_id": p.unit_id,
                    "attempts_started": 0,
                    "attempts_finished": 0,
                    "passed": False,
                }
                for p in people
            ],
        )
    with read_session(engine) as s:
        assignment = dict(
            s.execute(select(Assignment.person_id, Assignment.id).where(Assignment.campaign_id == cid)).all()
        )
    # What publishing does after assigning: draw ahead a paper for each of them (``services.papers``).
    drawn = papers.predraw(app, cid, limit=need)
    log(f"scratch campaign: {need} officers assigned, {drawn} papers drawn ahead")
    actors = [Actor(id=p.id, account=p.account, name=p.name, role=p.role, unit_id=p.unit_id) for p in people]
    rnd = random.Random(11)
    rnd.shuffle(actors)
    return Scratch(cid, actors[:pairs], actors[pairs : 2 * pairs], actors[2 * pairs :], assignment)


def response_for(spec: dict, k: int) -> str:
    if spec["type"] == "judge":
        return "T" if k % 2 == 0 else "F"
    if spec["type"] == "multiple":
        return "".join(sorted({LETTERS[k % spec["n"]], LETTERS[(k + 1) % spec["n"]]}))
    return LETTERS[k % spec["n"]]


# --- start ---------------------------------------------------------------------------------------


def bench_start(app: App, sc: Scratch) -> list[Figure]:
    """Two figures, half the officers each: the start as it is on exam day (a paper drawn ahead when the campaign
    was published is taken), and the start that must draw at the click (the bank changed since the papers were
    drawn, so none may be taken; also a second attempt). The same floor beside each."""
    engine = app.engine
    slots = exams.freeze_paper(app, dataset.BLUEPRINT, 12345)
    raw = json.dumps(slots, ensure_ascii=False, separators=(",", ":"))
    max_score = sum(x["points"] for x in slots)
    att, asg = Attempt.__table__, Assignment.__table__
    ins = insert(att)
    upd = (
        update(asg)
        .where(asg.c.id == bindparam("a_id"))
        .values(attempts_started=bindparam("n"), first_started_at=bindparam("at"))
    )
    half = len(sc.ours) // 2
    changed_bank = App(engine=engine, bank=replace(app.bank, fingerprint="bench-bank-changed"), settings=app.settings)

    def ours(the_app: App, offset: int):
        def go(i: int) -> None:
            r = exams.start_attempt(the_app, sc.ours[offset + i], sc.campaign_id)
            sc.attempts_ours.append(r.attempt_id)

        return go

    def floor(offset: int):
        def go(i: int) -> None:
            actor = sc.bare[offset + i]
            now = utcnow()
            with engine.begin() as conn:
                aid = conn.execute(
                    ins,
                    {
                        "campaign_id": sc.campaign_id,
                        "assignment_id": sc.assignment[actor.id],
                        "person_id": actor.id,
                        "number": 1,
                        "state": "in_progress",
                        "blueprint_id": dataset.BLUEPRINT,
                        "seed": 12345,
                        "paper": raw,
                        "partial_credit": False,
                        "started_at": now,
                        "deadline_at": now + timedelta(minutes=60),
                        "max_score": max_score,
                        "cards_synced": False,
                    },
                ).inserted_primary_key[0]
                conn.execute(upd, {"a_id": sc.assignment[actor.id], "n": 1, "at": now})
            sc.attempts_bare.append(aid)
            sc.papers[aid] = slots

        return go

    t_ahead, f_ahead = paired(half, ours(app, 0), floor(0))
    t_click, f_click = paired(len(sc.ours) - half, ours(changed_bank, half), floor(half))
    with read_session(engine) as s:
        for aid, paper in s.execute(select(Attempt.id, Attempt.paper).where(Attempt.id.in_(sc.attempts_ours))).all():
            sc.papers[aid] = json.loads(paper)
    return [
        Figure(
            "start attempt",
            t_ahead,
            f_ahead,
            target=3.0,
            what="services.exams.start_attempt (take a paper drawn ahead when the campaign was published, write the "
            "attempt) vs INSERT attempt + UPDATE assignment in one transaction",
        ),
        Figure(
            "start, drawn at the click",
            t_click,
            f_click,
            what="services.exams.start_attempt when no paper drawn ahead may be taken (the bank changed since, a "
            "second attempt): draw + freeze the paper at the click; same floor",
        ),
    ]


# --- save ----------------------------------------------------------------------------------------


def _upsert(engine: Engine):
    table = Answer.__table__
    at = bindparam("at", type_=table.c.saved_at.type)
    ins = _ins(engine)(table).values(
        attempt_id=bindparam("aid"),
        slot=bindparam("slot"),
        question_id=bindparam("qid"),
        response=bindparam("resp"),
        flagged=False,
        changes=1,
        first_saved_at=at,
        saved_at=at,
        seconds_spent=bindparam("secs"),
        client_id=None,
    )
    return ins.on_conflict_do_update(
        index_elements=["attempt_id", "slot"],
        set_={
            "response": ins.excluded.response,
            "saved_at": ins.excluded.saved_at,
            "changes": table.c.changes + 1,
            "seconds_spent": table.c.seconds_spent + ins.excluded.seconds_spent,
        },
    )


def bench_save(app: App, sc: Scratch) -> Figure:
    engine = app.engine
    stmt = _upsert(engine)
    n = len(sc.ours)
    plan = [1, 2, 1]  # two first answers, then a change of the first

    def ours(i: int) -> None:
        k = i % n
        aid = sc.attempts_ours[k]
        slot = plan[i // n]
        exams.save_answer(app, sc.ours[k], aid, slot, response_for(sc.papers[aid][slot - 1], i), seconds=5.0)

    def floor(i: int) -> None:
        k = i % n
        aid = sc.attempts_bare[k]
        slot = plan[i // n]
        spec = sc.papers[aid][slot - 1]
        with engine.begin() as conn:
            conn.execute(
                stmt,
                {
                    "aid": aid,
                    "slot": slot,
                    "qid": spec["qid"],
                    "resp": response_for(spec, i),
                    "at": utcnow(),
                    "secs": 5.0,
                },
            )

    t_ours, t_floor = paired(n * len(plan), ours, floor)
    return Figure(
        "save answer",
        t_ours,
        t_floor,
        target=2.0,
        what="services.exams.save_answer vs INSERT ... ON CONFLICT (attempt_id, slot) DO UPDATE in its own transaction",
    )


def _hammer(n_threads: int, make_op, duration: float) -> dict:
    """n_threads writers, each calling its op as fast as it can for `duration` seconds."""
    barrier = threading.Barrier(n_threads + 1)
    box: dict = {}
    results: list = [None] * n_threads

    def worker(t: int) -> None:
        op = make_op(t)
        lat, errors, first_error = [], 0, None
        barrier.wait()
        end = box["end"]
        i = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                op(i)
            except Exception as exc:  # noqa: BLE001 - counted, not fatal
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
            lat.append(time.perf_counter() - t0)
            i += 1
        results[t] = (lat, errors, first_error, time.perf_counter())

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(n_threads)]
    for th in threads:
        th.start()
    start = time.perf_counter()
    box["end"] = start + duration
    barrier.wait()
    for th in threads:
        th.join()
    finished = max(r[3] for r in results)
    lat = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    ok = len(lat) - errors
    elapsed = finished - start
    return {
        "saves": ok,
        "errors": errors,
        "elapsed": elapsed,
        "per_s": ok / elapsed,
        "latency": lat,
        "first_error": next((r[2] for r in results if r[2]), None),
    }


def bench_concurrent(app: App, sc: Scratch, threads: int, duration: float) -> Figure:
    engine = app.engine
    stmt = _upsert(engine)

    def ours_op(t: int):
        actor, aid = sc.ours[t], sc.attempts_ours[t]
        paper = sc.papers[aid]

        def op(i: int) -> None:
            slot = 1 + (i * 7 + t) % len(paper)
            exams.save_answer(app, actor, aid, slot, response_for(paper[slot - 1], i + t), seconds=3.0)

        return op

    def floor_op(t: int):
        aid = sc.attempts_bare[t]
        paper = sc.papers[aid]

        def op(i: int) -> None:
            slot = 1 + (i * 7 + t) % len(paper)
            spec = paper[slot - 1]
            with engine.begin() as conn:
                conn.execute(
                    stmt,
                    {
                        "aid": aid,
                        "slot": slot,
                        "qid": spec["qid"],
                        "resp": response_for(spec, i + t),
                        "at": utcnow(),
                        "secs": 3.0,
                    },
                )

        return op

    ours = _hammer(threads, ours_op, duration)
    floor = _hammer(threads, floor_op, duration)
    fig = Figure(
        f"save answer, {threads} writers",
        ours["latency"],
        floor["latency"],
        target=None,
        what=f"{threads} threads, each an officer saving into its own attempt for {duration:.0f} s: "
        "save_answer vs the bare upsert; ours_s/floor_s = wall time per completed save",
        ours_value=ours["elapsed"] / max(1, ours["saves"]),
        floor_value=floor["elapsed"] / max(1, floor["saves"]),
    )
    fig.extra = {
        "ours_saves_per_s": round(ours["per_s"], 1),
        "floor_saves_per_s": round(floor["per_s"], 1),
        "ours_errors": ours["errors"],
        "floor_errors": floor["errors"],
        "ours_saves": ours["saves"],
        "floor_saves": floor["saves"],
        "latency_ours": summary(ours["latency"]),
        "latency_floor": summary(floor["latency"]),
    }
    if ours["first_error"] or floor["first_error"]:
        fig.extra["first_error"] = {"ours": ours["first_error"], "floor": floor["first_error"]}
    return fig


# --- submit --------------------------------------------------------------------------------------


def fill_answers(app: App, sc: Scratch) -> None:
    """Every slot answered (about 70% right) before grading, for ours and the floor alike."""
    engine = app.engine
    table = Answer.__table__
    rnd = random.Random(3)
    now = utcnow()
    rows = []
    for aid in sc.attempts_ours + sc.attempts_bare:
        for spec in sc.papers[aid]:
            resp = spec["key"] if rnd.random() < 0.7 else response_for(spec, rnd.randrange(6))
            rows.append(
                {
                    "attempt_id": aid,
                    "slot": spec["slot"],
                    "question_id": spec["qid"],
                    "response": resp,
                    "flagged": False,
                    "changes": 1,
                    "first_saved_at": now,
                    "saved_at": now,
                    "seconds_spent": 20.0,
                    "client_id": None,
                }
            )
    with engine.begin() as conn:
        conn.execute(_ins(engine)(table).on_conflict_do_nothing(index_elements=["attempt_id", "slot"]), rows)


def bench_submit(app: App, sc: Scratch) -> Figure:
    engine = app.engine
    att = Attempt.__table__
    finish = (
        update(att)
        .where(att.c.id == bindparam("aid"), att.c.state == "in_progress")
        .values(state="finished", finished_at=bindparam("at"), finished_by="submit")
    )

    def ours(i: int) -> None:
        r = exams.submit_attempt(app, sc.ours[i], sc.attempts_ours[i])
        assert not r.already_finished

    def floor(i: int) -> None:
        with engine.begin() as conn:
            assert conn.execute(finish, {"aid": sc.attempts_bare[i], "at": utcnow()}).rowcount == 1

    t_ours, t_floor = paired(len(sc.ours), ours, floor)
    return Figure(
        "submit and grade",
        t_ours,
        t_floor,
        target=None,
        what="services.exams.submit_attempt (finish, grade 80 answers, update assignment, item_stat, "
        "unit_law_stat) vs UPDATE attempt SET state='finished' WHERE id=? AND state='in_progress'",
    )


def reopen_bare(app: App, sc: Scratch) -> None:
    """The floor's attempts were finished without grading: put them back, so that the scratch campaign's finished
    attempts are exactly those the app graded (the floor SQL is then checked against the grading code)."""
    att = Attempt.__table__
    with app.engine.begin() as conn:
        conn.execute(
            update(att)
            .where(att.c.id.in_(sc.attempts_bare))
            .values(state="in_progress", finished_at=None, finished_by=None)
        )
