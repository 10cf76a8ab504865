"""The coordinator's figures: the summary tables agree with a recomputation from raw answers, item statistics
match values worked out by hand, the demo district has 476 eligible officers, and the CLI report says so."""

import json
import subprocess
import sys

import openpyxl
import pytest
from sqlalchemy import select

from tests.support.factory import district, make_person
from training_app.engine import stats
from training_app.services import dashboard, exams, reports
from training_app.services.common import PermissionDenied
from training_app.store.db import read_session
from training_app.store.models import Answer, Attempt


def _take(app, officer, cid, right_slots):
    aid = exams.start_attempt(app, officer, cid, seed=7).attempt_id  # same seed: the same paper for everyone
    view = exams.attempt_view(app, officer, aid)
    for qv in view.questions:
        key = app.bank.questions[qv.qid].answer
        if qv.slot in right_slots:
            exams.save_answer(app, officer, aid, qv.slot, key)
        elif qv.type == "judge":
            exams.save_answer(app, officer, aid, qv.slot, "F" if key == "T" else "T")
        elif qv.type == "single":
            exams.save_answer(app, officer, aid, qv.slot, "A" if key != "A" else "B")
        else:
            exams.save_answer(app, officer, aid, qv.slot, "B")
    return exams.submit_attempt(app, officer, aid), view


def test_item_statistics_against_a_hand_worked_fixture(app):
    """Five officers, the same paper; slot 1 answered right by officers 1, 2 and 4 (x = 1,1,0,1,0)."""
    units, coord, officers, cid = district(app, n_officers=5)
    plan = [{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 5, 6, 7, 8}, {2, 3}, {1, 2, 3, 4, 5, 6, 7}, {2}]
    views = [_take(app, o, cid, right)[1] for o, right in zip(officers, plan)]
    qid = views[0].questions[0].qid
    assert all(v.questions[0].qid == qid for v in views)
    rows = {r.question_id: r for r in dashboard.item_analysis(app, coord, cid)}
    row = rows[qid]
    assert row.attempts == 5
    assert row.facility == pytest.approx(0.6)
    # the rest of the test for each officer, recomputed from raw answers in the database
    with read_session(app.engine) as s:
        ys = []
        for o in officers:
            att = s.execute(select(Attempt).where(Attempt.person_id == o.id)).scalar_one()
            pts = {spec["slot"]: spec["points"] for spec in json.loads(att.paper)}
            ans = s.execute(select(Answer).where(Answer.attempt_id == att.id)).scalars().all()
            ys.append(sum(pts[a.slot] * a.fraction for a in ans if a.slot != 1))
    xs = [1, 1, 0, 1, 0]
    assert row.discrimination == pytest.approx(stats.pearson(xs, ys))
    assert row.discrimination > 0.5
    chosen = {label[0]: n for label, n, _ in row.options}
    assert sum(chosen.values()) == 5 and row.blank == 0


def test_summary_and_units_and_people(app):
    units, coord, officers, cid = district(app, n_officers=6)
    _take(app, officers[0], cid, set(range(1, 19)))  # all right: 100
    _take(app, officers[1], cid, set())  # all wrong: 0
    exams.start_attempt(app, officers[2], cid)  # in progress
    s = dashboard.summary(app, coord, cid)
    assert (s["eligible"], s["completed"], s["passed"], s["not_started"]) == (6, 2, 1, 3)
    assert s["completion_rate"] == 0.333 and s["average_score"] == 50.0  # one rule: three decimals, half up
    table = dashboard.units_table(app, coord, cid)
    assert sum(u["eligible"] for u in table) == 6
    assert [u["completion_rate"] for u in table] == sorted(u["completion_rate"] for u in table)  # laggards first
    todo = dashboard.people(app, coord, cid, only="not_started")
    assert {p["account"] for p in todo} == {o.account for o in officers[3:]}
    statuses = {p["account"]: p["status"] for p in dashboard.people(app, coord, cid)}
    assert statuses[officers[0].account] == "已合格" and statuses[officers[1].account] == "未合格"
    assert statuses[officers[2].account] == "进行中" and statuses[officers[3].account] == "未参考"
    hist = dict(dashboard.histogram(app, coord, cid))
    assert hist[0] == 1 and hist[90] == 1


def test_each_shape_of_the_people_list_filters_what_the_whole_list_shows(app):
    """The per-person list keeps one statement per shape (which list, one unit, a scope, a limit): each shape's rows
    are exactly the whole list's rows that it asks for, in the same order, whichever shape ran first."""
    units, coord, officers, cid = district(app, n_officers=9)
    _take(app, officers[0], cid, set(range(1, 19)))  # passed
    _take(app, officers[1], cid, set())  # failed
    exams.start_attempt(app, officers[2], cid)  # in progress
    scoped = make_person(app, "coord-scope", role="coordinator", unit_id=units[1], scope_unit_id=units[1], name="局")
    everyone = dashboard.people(app, coord, cid)
    unit_of = {p.account: p.unit_id for p in officers}
    wanted = {
        "not_started": lambda p: p["attempts"] == 0,
        "not_passed": lambda p: not p["passed"],
        "not_completed": lambda p: p["status"] in ("进行中", "未参考"),
        None: lambda p: True,
    }
    for only, keep in wanted.items():
        rows = [p for p in everyone if keep(p)]
        assert dashboard.people(app, coord, cid, only=only) == rows, only
        assert dashboard.people(app, coord, cid, only=only, limit=2) == rows[:2], only
        in_unit = [p for p in rows if unit_of.get(p["account"]) == units[1]]
        assert dashboard.people(app, coord, cid, only=only, unit_id=units[1]) == in_unit, only
        assert dashboard.people(app, scoped, cid, only=only) == in_unit, only
    with pytest.raises(ValueError):
        dashboard.people(app, coord, cid, only="everyone")


def test_officer_refused_every_dashboard_call(app):
    units, coord, officers, cid = district(app)
    o = officers[0]
    for call in (
        dashboard.summary,
        dashboard.units_table,
        dashboard.people,
        dashboard.trend,
        dashboard.histogram,
        dashboard.heatmap,
        dashboard.item_analysis,
        reports.campaign_report,
        reports.campaign_workbook,
    ):
        with pytest.raises(PermissionDenied):
            call(app, o, cid)


def test_unit_scoped_coordinator_sees_only_their_unit(app):
    units, coord, officers, cid = district(app, n_officers=6)
    scoped = make_person(app, "coord-hx", role="coordinator", unit_id=units[2], scope_unit_id=units[2], name="街道")
    s = dashboard.summary(app, scoped, cid)
    assert s["eligible"] == 2
    assert {u["unit_id"] for u in dashboard.units_table(app, scoped, cid)} == {units[2]}
    with pytest.raises(PermissionDenied):
        dashboard.people(app, scoped, cid, unit_id=units[0])


def test_workbook_sheets_and_formula_neutralised(app):
    from training_app.store.db import write_session
    from training_app.store.models import Person

    units, coord, officers, cid = district(app)
    with write_session(app.engine) as s:
        p = s.get(Person, officers[0].id)
        p.name = '=HYPERLINK("http://x")'
        p.phone = "13812340001"
        s.add(p)
    _take(app, officers[0], cid, {1, 2})
    data = reports.campaign_workbook(app, coord, cid)
    import io

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["汇总", "按单位", "人员明细", "督办清单", "试题分析", "诚信提示"]
    cells = [c.value for row in wb["人员明细"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "138****0001" in cells and "13812340001" not in cells  # masked for a coordinator


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo district, seeded once through the CLI."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp}/demo.db",
        "DEMO_MODE": "1",
        "PYTHONPATH": str(__import__("tests.conftest", fromlist=["REPO"]).REPO),  # this checkout's code
        "QUESTION_BANK_DIR": str(__import__("tests.conftest", fromlist=["REAL_BANK"]).REAL_BANK),
    }
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "training_app.cli",
            "seed-demo",
            "--password",
            "Demo@Pass2026",
            "--credentials-out",
            str(tmp / "logins.csv"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp,
    )
    assert r.returncode == 0, r.stderr
    return env, tmp


def test_demo_report_json_eligible_476(demo_db):
    env, tmp = demo_db
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "report", "--campaign", "1", "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp,
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["eligible"] == 476
    for key in ("completed", "passed", "completion_rate", "pass_rate", "average_score", "by_unit"):
        assert key in rep
    assert 0 < rep["completed"] < 476 and len(rep["by_unit"]) == 37
    assert rep["lagging_units"], "the demo story has some units behind"
    assert "476名" in rep["paragraph"]
    x = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "report", "--campaign", "1", "--xlsx", str(tmp / "r.xlsx")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp,
    )
    assert x.returncode == 0 and (tmp / "r.xlsx").stat().st_size > 5000


def test_demo_seed_is_idempotent_and_writes_logins(demo_db):
    env, tmp = demo_db
    import csv

    rows = list(csv.DictReader(open(tmp / "logins.csv", encoding="utf-8-sig")))
    assert {r["角色"] for r in rows} == {"admin", "coordinator", "leader", "officer"}
    assert all(r["密码"] == "Demo@Pass2026" for r in rows)
    again = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "seed-demo"], env=env, capture_output=True, text=True, cwd=tmp
    )
    assert again.returncode == 0 and "未作改动" in again.stdout


def test_the_figures_version_moves_with_starts_hand_ins_and_grades(app):
    """The dashboard recomputes its figures when the version moves: a start, a hand-in (graded) and a regrade move
    it; reading does not."""
    from tests.support.factory import district
    from training_app.services import dashboard, exams

    _, coordinator, officers, cid = district(app)
    v0 = dashboard.version(app, coordinator, cid)
    assert dashboard.version(app, coordinator, cid) == v0
    aid = exams.start_attempt(app, officers[0], cid).attempt_id
    v1 = dashboard.version(app, coordinator, cid)
    assert v1 != v0
    exams.save_answer(app, officers[0], aid, 1, "A")
    assert dashboard.version(app, coordinator, cid) == v1  # an answer changes no figure of the page
    exams.submit_attempt(app, officers[0], aid)
    assert dashboard.version(app, coordinator, cid) != v1
