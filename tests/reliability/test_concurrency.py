"""Many officers at once, through the service layer only, on SQLite and on PostgreSQL.

The big test releases 200 officers at the same instant (a barrier): each starts an attempt at an
80-question paper (20 of them from two tabs at once), saves every answer with its own save_answer call
(some answers changed twice, some cleared on the way, a short pause before each as if reading the
question), and then all of them submit at the same instant
(20 with a double click: two threads at once). Afterwards the database must hold exactly the last answer
each officer gave, every attempt must be finished and graded exactly once, the grade must equal a
recomputation from the stored answers, and the summary tables must add up. Any exception in any thread
fails the test.

The smaller tests pin down the edges: a save after the submit or after the deadline is refused and changes
nothing; a save racing a submit is either stored and graded or refused, never stored after grading; two
tabs starting at once share one attempt.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import traceback
from datetime import timedelta

import pytest

from tests.conftest import make_test_app, write_small_bank
from tests.reliability._dump import dump_all
from tests.support.factory import district, make_campaign, make_person, make_units
from training_app.bank import load_bank
from training_app.engine.deadlines import utcnow
from training_app.services import dashboard, exams
from training_app.store.db import read_session
from training_app.store.models import Answer, Assignment, Attempt, ItemStat, UnitLawStat

N_OFFICERS = 200
N_QUESTIONS = 80
JOIN_TIMEOUT = 600  # seconds: a hung thread fails the test instead of hanging the run
# Each officer pauses before each save, like a (very fast) person reading the question: 200 officers then
# offer at most about 270 saves a second, near what the 2-core test machine serves (a real exam of 200
# officers offers about 10). STRESS_THINK=0,0 removes the pause and measures overload instead (about 700 saves
# a second): requests then queue, unfairly, on SQLite's write lock or PostgreSQL's connection pool, and some
# outwait their 30 s timeouts ("database is locked", QueuePool TimeoutError).
THINK_SECONDS = tuple(float(x) for x in os.environ.get("STRESS_THINK", "0.25,1.25").split(","))

STRESS_BLUEPRINT = """title: 八十题压力测试
audience: officers
time_limit_minutes: 120
pass_mark: 60
points: {single: 1, multiple: 2, judge: 1}
sections:
  - {type: single, count: 40}
  - {type: multiple, count: 20}
  - {type: judge, count: 20}
"""


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stress_bank_dir(tmp_path_factory):
    root = write_small_bank(tmp_path_factory.mktemp("stress_bank"), per_law=20)
    (root / "blueprints" / "stress80.yaml").write_text(STRESS_BLUEPRINT, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def stress_bank(stress_bank_dir):
    bank = load_bank(stress_bank_dir)
    assert sum(sec.count for sec in bank.blueprints["stress80"].sections) == N_QUESTIONS
    return bank


@pytest.fixture
def stress_app(db_url, stress_bank, stress_bank_dir, tmp_path):
    app = make_test_app(db_url, stress_bank, stress_bank_dir, tmp_path)
    yield app
    app.engine.dispose()


# --- responses -----------------------------------------------------------------------------------


def _wrong(qtype: str, key: str, rng: random.Random) -> str:
    if qtype == "judge":
        return "F" if key == "T" else "T"
    if qtype == "single":
        return rng.choice([c for c in "ABCD" if c != key])
    while True:
        r = "".join(sorted(rng.sample("ABCD", rng.randint(1, 4))))
        if r != key:
            return r


def _any(qtype: str, rng: random.Random) -> str | None:
    """Any valid response, or None (the officer cleared the answer)."""
    if rng.random() < 0.1:
        return None
    if qtype == "judge":
        return rng.choice("TF")
    if qtype == "single":
        return rng.choice("ABCD")
    return "".join(sorted(rng.sample("ABCD", rng.randint(1, 4))))


def _plan(app, view, rng: random.Random) -> dict[int, list[str | None]]:
    """slot -> the responses saved in order; the last one is never None and about 60% are right."""
    plan = {}
    for qv in view.questions:
        key = app.bank.questions[qv.qid].answer
        final = key if rng.random() < 0.6 else _wrong(qv.type, key, rng)
        plan[qv.slot] = [_any(qv.type, rng), _any(qv.type, rng), final] if rng.random() < 0.15 else [final]
    return plan


def _stored(app, attempt_id: int) -> dict[int, tuple[str | None, int]]:
    with read_session(app.engine) as s:
        return {a.slot: (a.response, a.changes) for a in s.query(Answer).filter_by(attempt_id=attempt_id)}


def _recompute(app, attempt: Attempt, stored: dict[int, str | None]) -> tuple[float, float, int]:
    """(score, max score, right answers) from the frozen paper, the bank's keys and the stored answers."""
    score = max_score = 0.0
    right = 0
    for spec in json.loads(attempt.paper):
        key = app.bank.questions[spec["qid"]].answer
        assert spec["key"] == key
        max_score += spec["points"]
        if stored.get(spec["slot"]) == key:
            score += spec["points"]
            right += 1
    return score, max_score, right


_EXC_LINE = re.compile(r"^([A-Za-z_]\w*\.)*[A-Za-z_]\w*(Error|Exception|Detected|Refused|Denied|NotFound)\b")


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._lock = threading.Lock()

    def add(self, who: str) -> None:
        with self._lock:
            self.items.append(f"{who}:\n{traceback.format_exc()}")

    def summary(self) -> str:
        """How many of each kind, then the first traceback."""
        kinds: dict[str, int] = {}
        for item in self.items:
            named = [ln for ln in item.splitlines() if _EXC_LINE.match(ln)]
            last = named[-1] if named else item.strip().splitlines()[-1]
            kinds[last[:160]] = kinds.get(last[:160], 0) + 1
        lines = [f"{len(self.items)} thread(s) failed:"] + [f"  {n} x {k}" for k, n in kinds.items()]
        return "\n".join(lines) + ("\nfirst:\n" + self.items[0] if self.items else "")


# --- 200 officers at once ------------------------------------------------------------------------


@pytest.mark.slow
def test_200_officers_start_save_submit_at_once(stress_app, capsys):
    app = stress_app
    units = make_units(app)
    coordinator = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    officers = [
        make_person(app, f"LN{i:05d}", unit_id=units[i % len(units)], name=f"执法员{i}") for i in range(N_OFFICERS)
    ]
    cid = make_campaign(app, coordinator, blueprint="stress80", attempts=1)

    double_submit = {i for i in range(N_OFFICERS) if i % 10 == 0}  # 20 double clicks on 交卷
    two_tabs = {i for i in range(N_OFFICERS) if i % 10 == 5}  # 20 officers open the exam in two tabs at once
    errors = _Errors()
    plans: dict[int, dict[int, list[str | None]]] = {}
    starts: dict[int, list[exams.StartResult]] = {}
    submits: dict[int, list[exams.Result]] = {}
    barrier = threading.Barrier(N_OFFICERS)
    submit_barrier = threading.Barrier(N_OFFICERS)

    def twice(fn, who: str) -> list:
        """fn() from two threads released together; both results."""
        pair = threading.Barrier(2)
        out: list = [None, None]

        def run(k: int) -> None:
            try:
                pair.wait(timeout=120)
                out[k] = fn()
            except BaseException:  # noqa: BLE001 - every exception is a failure, reported below
                errors.add(f"{who} (second thread)" if k else who)

        other = threading.Thread(target=run, args=(1,))
        other.start()
        run(0)
        other.join(JOIN_TIMEOUT)
        return out

    def officer(i: int) -> None:
        actor = officers[i]
        rng = random.Random(i)
        try:
            barrier.wait(timeout=300)
            if i in two_tabs:
                starts[i] = twice(lambda: exams.start_attempt(app, actor, cid), f"officer {i} start")
            else:
                starts[i] = [exams.start_attempt(app, actor, cid)]
            if None in starts[i]:
                raise RuntimeError("a tab failed to start (its traceback is reported separately)")
            attempt_id = starts[i][0].attempt_id
            view = exams.attempt_view(app, actor, attempt_id)
            plan = plans[i] = _plan(app, view, rng)
            for k in range(3):  # first every slot once, then the changes: as an officer revisits questions
                for slot, seq in plan.items():
                    if len(seq) > k:
                        time.sleep(rng.uniform(*THINK_SECONDS))  # reading the question
                        exams.save_answer(app, actor, attempt_id, slot, seq[k], seconds=rng.uniform(1, 30))
            # Everyone hands in at the same instant (the last minute before a deadline).
            submit_barrier.wait(timeout=JOIN_TIMEOUT)
            if i in double_submit:
                submits[i] = twice(lambda: exams.submit_attempt(app, actor, attempt_id), f"officer {i} submit")
            else:
                submits[i] = [exams.submit_attempt(app, actor, attempt_id)]
        except BaseException:  # noqa: BLE001
            errors.add(f"officer {i}")
            submit_barrier.abort()  # release the others: this run has failed already

    threads = [threading.Thread(target=officer, args=(i,), name=f"officer-{i}") for i in range(N_OFFICERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    elapsed = time.perf_counter() - t0
    assert not [t.name for t in threads if t.is_alive()], "threads still running"
    saves = sum(len(seq) for plan in plans.values() for seq in plan.values())
    with capsys.disabled():
        print(
            f"\n[{app.engine.dialect.name}] {N_OFFICERS} officers x {N_QUESTIONS} questions: {saves} saves, "
            f"{N_OFFICERS + len(double_submit)} submits in {elapsed:.1f} s"
        )

    # Zero exceptions of any kind (no "database is locked", no pool timeout, no deadlock).
    assert errors.items == [], errors.summary()
    assert len(plans) == len(submits) == N_OFFICERS

    with read_session(app.engine) as s:
        attempts = s.query(Attempt).filter_by(campaign_id=cid).all()
        assignments = {a.person_id: a for a in s.query(Assignment).filter_by(campaign_id=cid)}
        answers: dict[int, dict[int, Answer]] = {}
        for a in s.query(Answer):
            answers.setdefault(a.attempt_id, {})[a.slot] = a
        item_stats = {st.question_id: st for st in s.query(ItemStat).filter_by(campaign_id=cid)}
        law_stats = s.query(UnitLawStat).filter_by(campaign_id=cid).all()

    # One attempt per officer: two tabs at once never made a second one.
    assert len(attempts) == N_OFFICERS
    by_person = {a.person_id: a for a in attempts}
    assert len(by_person) == N_OFFICERS

    expected_n: dict[str, int] = {}
    expected_right: dict[str, int] = {}
    total_right = 0
    for i, actor in enumerate(officers):
        attempt = by_person[actor.id]
        assert [r.attempt_id for r in starts[i]] == [attempt.id] * len(starts[i]), f"officer {i}: two attempt ids"
        assert sorted(r.resumed for r in starts[i]) == [False] + [True] * (len(starts[i]) - 1)
        assert attempt.state == "finished" and attempt.finished_by == "submit" and attempt.number == 1

        # Zero lost answers: the table holds exactly the last response given in each slot, and every save
        # was counted (changes = number of saves: none overwritten by a stale write, none dropped).
        plan = plans[i]
        rows = answers.get(attempt.id, {})
        assert {slot: (a.response, a.changes) for slot, a in rows.items()} == {
            slot: (seq[-1], len(seq)) for slot, seq in plan.items()
        }, f"officer {i}: answers differ"
        assert len(rows) == N_QUESTIONS

        # Graded once, and the grade is what the stored answers are worth.
        score, max_score, right = _recompute(app, attempt, {slot: a.response for slot, a in rows.items()})
        total_right += right
        assert attempt.score == pytest.approx(score)
        assert attempt.max_score == pytest.approx(max_score) == 100  # 40 x 1 + 20 x 2 + 20 x 1
        assert attempt.percent == pytest.approx(round(100 * score / max_score, 2))
        assert attempt.passed == (attempt.percent >= 60)
        results = submits[i]
        assert sorted(r.already_finished for r in results) == [False] + [True] * (len(results) - 1), (
            f"officer {i}: graded {sum(not r.already_finished for r in results)} times"
        )
        assert all(r.score == pytest.approx(score) and r.percent == attempt.percent for r in results)
        for spec in json.loads(attempt.paper):
            a = rows[spec["slot"]]
            assert a.fraction == (1.0 if a.response == spec["key"] else 0.0)
            expected_n[spec["qid"]] = expected_n.get(spec["qid"], 0) + 1
            expected_right[spec["qid"]] = expected_right.get(spec["qid"], 0) + (a.response == spec["key"])

        assignment = assignments[actor.id]
        assert (assignment.attempts_started, assignment.attempts_finished) == (1, 1), f"officer {i}"
        assert assignment.grade == attempt.percent and assignment.passed == attempt.passed

    # The item statistics saw every answer exactly once.
    assert sum(st.n for st in item_stats.values()) == N_OFFICERS * N_QUESTIONS
    assert {qid: st.n for qid, st in item_stats.items()} == expected_n
    assert {qid: round(st.sx) for qid, st in item_stats.items()} == expected_right
    assert sum(st.blank for st in item_stats.values()) == 0
    assert sum(r.answered for r in law_stats) == N_OFFICERS * N_QUESTIONS
    assert sum(r.credit for r in law_stats) == pytest.approx(total_right)

    head = dashboard.summary(app, coordinator, cid)
    assert (head["eligible"], head["completed"], head["not_started"]) == (N_OFFICERS, N_OFFICERS, 0)
    assert head["passed"] == sum(a.passed for a in attempts)


# --- the edges -----------------------------------------------------------------------------------


def _exam_rows(app) -> dict:
    """Everything an exam writes (answers, attempts, assignments, summaries)."""
    dump = dump_all(app.engine)
    return {k: dump[k] for k in ("answer", "attempt", "assignment", "item_stat", "unit_law_stat")}


def test_save_after_submit_is_refused_and_changes_nothing(app):
    _, _, officers, cid = district(app)
    o = officers[0]
    aid = exams.start_attempt(app, o, cid).attempt_id
    exams.save_answer(app, o, aid, 1, "A")
    exams.save_answer(app, o, aid, 2, "B")
    first = exams.submit_attempt(app, o, aid)
    after_submit = _exam_rows(app)
    with pytest.raises(exams.AnswerRefused, match="已交卷"):
        exams.save_answer(app, o, aid, 1, "B")  # a change to an answered slot
    with pytest.raises(exams.AnswerRefused, match="已交卷"):
        exams.save_answer(app, o, aid, 3, "C")  # a slot never answered
    with pytest.raises(exams.AnswerRefused, match="已交卷"):
        exams.save_answer(app, o, aid, 2, None)  # a clear
    with pytest.raises(exams.AnswerRefused):
        exams.set_flag(app, o, aid, 4, True)
    assert _exam_rows(app) == after_submit
    again = exams.submit_attempt(app, o, aid)
    assert again.already_finished and (again.score, again.percent) == (first.score, first.percent)
    assert _exam_rows(app) == after_submit


def test_save_after_deadline_is_refused_and_changes_nothing(app):
    _, coordinator, officers, _ = district(app)
    cid = make_campaign(app, coordinator, minutes=30)
    o = officers[0]
    t0 = utcnow()
    aid = exams.start_attempt(app, o, cid, now=t0).attempt_id
    exams.save_answer(app, o, aid, 1, "A", now=t0 + timedelta(minutes=29, seconds=59))
    before = _exam_rows(app)
    late = t0 + timedelta(minutes=30, seconds=1)
    with pytest.raises(exams.AnswerRefused, match="截止时间"):
        exams.save_answer(app, o, aid, 1, "B", now=late)
    with pytest.raises(exams.AnswerRefused, match="截止时间"):
        exams.save_answer(app, o, aid, 2, "A", now=late)
    assert _exam_rows(app) == before  # the attempt is still open: only the sweep or a visit closes it
    closed = exams.close_overdue(app, campaign_id=cid, now=t0 + timedelta(minutes=31))
    assert closed == 1
    assert _stored(app, aid) == {1: ("A", 1)}


def test_two_tabs_starting_at_once_get_the_same_attempt(app):
    _, _, officers, cid = district(app, n_officers=20)
    errors = _Errors()
    results: dict[int, list] = {o.id: [None, None] for o in officers}
    barrier = threading.Barrier(2 * len(officers))  # every tab of every officer released at once

    def tab(o, k):
        try:
            barrier.wait(timeout=60)
            results[o.id][k] = exams.start_attempt(app, o, cid)
        except BaseException:  # noqa: BLE001
            errors.add(f"{o.account} tab {k}")

    threads = [threading.Thread(target=tab, args=(o, k)) for o in officers for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors.items == [], errors.summary()
    with read_session(app.engine) as s:
        attempts = {a.person_id: a for a in s.query(Attempt).filter_by(campaign_id=cid)}
        assignments = {a.person_id: a for a in s.query(Assignment).filter_by(campaign_id=cid)}
        n_attempts = s.query(Attempt).filter_by(campaign_id=cid).count()
    assert n_attempts == len(officers)
    for o in officers:
        a, b = results[o.id]
        assert a.attempt_id == b.attempt_id == attempts[o.id].id
        assert sorted([a.resumed, b.resumed]) == [False, True]
        assert assignments[o.id].attempts_started == 1


def test_save_racing_submit_is_either_graded_or_refused(app):
    """A save that lands in the same instant as the submit: stored and counted in the grade, or refused
    with AnswerRefused and not stored. Never stored after the grading."""
    _, _, officers, cid = district(app, n_officers=12)
    errors = _Errors()
    outcome: dict[int, dict] = {}

    def race(o, seed: int) -> None:
        rng = random.Random(seed)
        try:
            aid = exams.start_attempt(app, o, cid).attempt_id
            view = exams.attempt_view(app, o, aid)
            types = {qv.slot: qv.type for qv in view.questions}
            go = threading.Event()
            accepted: dict[int, str] = {}
            refused: list[str] = []

            def saver() -> None:
                try:
                    n = 0
                    while True:
                        slot = rng.choice(list(types))
                        resp = _any(types[slot], rng) or ("T" if types[slot] == "judge" else "A")
                        try:
                            exams.save_answer(app, o, aid, slot, resp)
                        except exams.AnswerRefused as exc:
                            refused.append(str(exc))
                            return
                        accepted[slot] = resp
                        n += 1
                        if n == 5:
                            go.set()  # the submit is released while saves keep coming
                        if n > 20000:
                            raise AssertionError("submit never landed")
                except BaseException:  # noqa: BLE001
                    go.set()
                    errors.add(f"{o.account} saver")

            t = threading.Thread(target=saver)
            t.start()
            go.wait(60)
            result = exams.submit_attempt(app, o, aid)
            t.join(120)
            outcome[o.id] = {"aid": aid, "accepted": accepted, "refused": refused, "result": result}
        except BaseException:  # noqa: BLE001
            errors.add(o.account)

    threads = [threading.Thread(target=race, args=(o, i)) for i, o in enumerate(officers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert errors.items == [], errors.summary()
    for o in officers:
        out = outcome[o.id]
        assert out["refused"] and "已交卷" in out["refused"][0]
        stored = _stored(app, out["aid"])
        # Every save that returned normally is in the table, and nothing else is.
        assert {slot: resp for slot, (resp, _) in stored.items()} == out["accepted"]
        with read_session(app.engine) as s:
            attempt = s.get(Attempt, out["aid"])
        score, _, _ = _recompute(app, attempt, {slot: resp for slot, (resp, _) in stored.items()})
        assert attempt.state == "finished"
        assert attempt.score == pytest.approx(score) == out["result"].score
    with read_session(app.engine) as s:
        assert sum(st.n for st in s.query(ItemStat).filter_by(campaign_id=cid)) == 18 * len(officers)
