"""The coordinator's figures (services.dashboard) beside one hand-written SQL aggregate per figure over the raw
tables (person, attempt, answer, study_time) that computes the same numbers.

The roster of a campaign whose audience is all valid certificates is, in raw terms, the active officers and
leaders with a valid certificate; a unit is the person's unit; a question's law and points come from
``bench_question`` (the bank's question list, written by the dataset build, because the raw answer row only
names the question). Both sides' results are compared after the timing: ``check`` says whether they agree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, bindparam, select, text

from training_app.services import dashboard
from training_app.services.common import Actor, App
from training_app.store.models import Campaign

from .measure import Figure, paired

ELIGIBLE = "p.active = :yes AND p.role IN ('officer', 'leader') AND p.cert_status = '有效'"

PER_PERSON = """
    SELECT person_id, COUNT(*) AS started,
           SUM(CASE WHEN state = 'finished' THEN 1 ELSE 0 END) AS fin,
           MAX(CASE WHEN state = 'finished' THEN percent END) AS best
    FROM attempt WHERE campaign_id = :c GROUP BY person_id"""

SUMMARY = f"""
SELECT COUNT(*),
       SUM(CASE WHEN t.fin > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.best + 1e-9 >= :pass_mark THEN 1 ELSE 0 END),
       AVG(t.best),
       SUM(CASE WHEN t.person_id IS NULL THEN 1 ELSE 0 END)
FROM person p LEFT JOIN ({PER_PERSON}) t ON t.person_id = p.id
WHERE {ELIGIBLE}"""

UNITS = f"""
SELECT u.id, u.name, e.eligible, e.completed, e.passed, e.average, e.not_started, s.learners, s.reached
FROM unit u
JOIN (SELECT p.unit_id,
             COUNT(*) AS eligible,
             SUM(CASE WHEN t.fin > 0 THEN 1 ELSE 0 END) AS completed,
             SUM(CASE WHEN t.best + 1e-9 >= :pass_mark THEN 1 ELSE 0 END) AS passed,
             AVG(t.best) AS average,
             SUM(CASE WHEN t.person_id IS NULL THEN 1 ELSE 0 END) AS not_started
      FROM person p LEFT JOIN ({PER_PERSON}) t ON t.person_id = p.id
      WHERE {ELIGIBLE} GROUP BY p.unit_id) e ON e.unit_id = u.id
LEFT JOIN (SELECT p.unit_id, COUNT(*) AS learners, SUM(CASE WHEN st.secs >= :target THEN 1 ELSE 0 END) AS reached
           FROM person p
           LEFT JOIN (SELECT person_id, SUM(seconds) AS secs FROM study_time
                      WHERE day >= :d0 AND day <= :d1 GROUP BY person_id) st ON st.person_id = p.id
           WHERE p.active = :yes AND p.role IN ('officer', 'leader') AND (p.cert_status = '有效' OR p.role = 'leader')
           GROUP BY p.unit_id) s ON s.unit_id = u.id
ORDER BY CAST(e.completed AS FLOAT) / e.eligible, CAST(e.passed AS FLOAT) / e.eligible, u.name"""

NOT_STARTED = f"""
SELECT p.id, p.name, p.account, p.phone, p.title, u.name,
       (SELECT COALESCE(SUM(st.seconds), 0) FROM study_time st
        WHERE st.person_id = p.id AND st.day >= :d0 AND st.day <= :d1) AS study_seconds
FROM person p LEFT JOIN unit u ON u.id = p.unit_id
WHERE {ELIGIBLE} AND NOT EXISTS (SELECT 1 FROM attempt t WHERE t.person_id = p.id AND t.campaign_id = :c)
ORDER BY u.name, p.account"""

FINISHED_ANSWERS = """
    FROM answer a JOIN attempt t ON t.id = a.attempt_id JOIN bench_question q ON q.question_id = a.question_id"""

HEATMAP = f"""
SELECT u.name, q.law_slug, COUNT(*), SUM(COALESCE(a.fraction, 0))
{FINISHED_ANSWERS} JOIN person p ON p.id = t.person_id JOIN unit u ON u.id = p.unit_id
WHERE t.campaign_id = :c AND t.state = 'finished'
GROUP BY u.name, q.law_slug"""

# Option counts as services/exams.py _option_indexes counts them: a letter A-E is its position; a judge answer is
# option 0 ("T", 正确) or option 1 ("F", 错误). No question has six options, so "F" alone is a judge answer.
ITEMS = f"""
SELECT question_id, COUNT(*), SUM(x), SUM(x * x), SUM(y), SUM(y * y), SUM(x * y),
       SUM(CASE WHEN r LIKE '%A%' OR r = 'T' THEN 1 ELSE 0 END),
       SUM(CASE WHEN r LIKE '%B%' OR r = 'F' THEN 1 ELSE 0 END),
       SUM(CASE WHEN r LIKE '%C%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN r LIKE '%D%' THEN 1 ELSE 0 END),
       SUM(CASE WHEN r LIKE '%E%' THEN 1 ELSE 0 END),
       0,
       SUM(CASE WHEN r IS NULL OR r = '' THEN 1 ELSE 0 END)
FROM (SELECT a.question_id, a.response AS r, COALESCE(a.fraction, 0) AS x,
             t.score - q.points * COALESCE(a.fraction, 0) AS y
      {FINISHED_ANSWERS}
      WHERE t.campaign_id = :c AND t.state = 'finished') s
GROUP BY question_id"""


def _q(sql: str):
    return text(sql).bindparams(bindparam("d0", type_=Date), bindparam("d1", type_=Date)) if ":d0" in sql else text(sql)


def floor_query(app: App, sql: str, params: dict) -> list[tuple]:
    with app.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(_q(sql), params).all()]


def _close(a, b, tol=1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a)), abs(float(b)))


def check_items(app: App, campaign_id: int, rows: list[tuple]) -> str:
    """The floor's per-question sums against item_stat as the grading code left it."""
    from training_app.store import dashboard as dq
    from training_app.store.db import read_session

    with read_session(app.engine) as s:
        stored = {r.question_id: r for r in dq.item_sums(s, campaign_id)}
    got = {r[0]: r for r in rows}
    if set(stored) != set(got):
        return f"MISMATCH: {len(stored)} questions in item_stat, {len(got)} in the answers"
    bad = 0
    for qid, r in got.items():
        st = stored[qid]
        want = (
            st.n,
            st.sx,
            st.sxx,
            st.sy,
            st.syy,
            st.sxy,
            st.opt0,
            st.opt1,
            st.opt2,
            st.opt3,
            st.opt4,
            st.opt5,
            st.blank,
        )
        if not all(_close(x, y) for x, y in zip(r[1:], want)):
            bad += 1
    return "same numbers" if not bad else f"MISMATCH in {bad} of {len(got)} questions"


def check_heatmap(app: App, campaign_id: int, rows: list[tuple], heat: list[dict] | None = None) -> str:
    if heat is None:
        from training_app.store import dashboard as dq
        from training_app.store.db import read_session

        with read_session(app.engine) as s:
            heat = dq.unit_law_accuracy(s, campaign_id)
    ours = {(h["unit"], h["law"]): (h["answered"], h["accuracy"]) for h in heat}
    floor = {(u, law): (int(n), float(c) / n if n else None) for u, law, n, c in rows}
    if set(ours) != set(floor):
        return f"MISMATCH: {len(ours)} unit×law cells vs {len(floor)}"
    bad = sum(1 for k, (n, acc) in ours.items() if n != floor[k][0] or not _close(acc, floor[k][1]))
    return "same numbers" if not bad else f"MISMATCH in {bad} of {len(ours)} cells"


def run(app: App, coordinator: Actor, campaign_id: int, *, reps: int, budget_s: float) -> list[Figure]:
    with app.engine.connect() as conn:
        c = conn.execute(select(Campaign.year, Campaign.pass_mark).where(Campaign.id == campaign_id)).one()
    year = c.year
    days = {"d0": date(year, 1, 1), "d1": date(year, 12, 31)}
    target = int(app.settings.study_hours_target * 3600)
    base = {"c": campaign_id, "yes": True, "pass_mark": c.pass_mark}
    figures = []

    def measure(name: str, ours_fn, sql: str, params: dict, compare, what: str) -> None:
        res = {}

        def ours(_i):
            res["ours"] = ours_fn()

        def floor(_i):
            res["floor"] = floor_query(app, sql, params)

        t_ours, t_floor = paired(reps, ours, floor, budget_s=budget_s, min_n=3, warmup=1)
        figures.append(Figure(name, t_ours, t_floor, target=1.5, what=what, check=compare(res["ours"], res["floor"])))

    from training_app.services.figures import one_decimal, rate  # the app's one rounding rule

    def cmp_summary(o, f):
        n, done, passed, avg, ns = f[0]
        same = (
            o["eligible"] == n
            and o["completed"] == (done or 0)
            and o["passed"] == (passed or 0)
            and o["not_started"] == (ns or 0)
            and _close(o["average_score"], None if avg is None else one_decimal(float(avg)), 1e-9)
        )
        return "same numbers" if same else f"MISMATCH: {o} vs {f[0]}"

    measure(
        "dashboard: summary",
        lambda: dashboard.summary(app, coordinator, campaign_id),
        SUMMARY,
        base,
        cmp_summary,
        "services.dashboard.summary (assignment) vs COUNT/SUM/AVG over the roster joined to per-person attempts",
    )

    def cmp_units(o, f):
        ours = {
            r["unit_id"]: (
                r["eligible"],
                r["completed"],
                r["passed"],
                r["not_started"],
                r["average_score"],
                r["study_target_rate"],
            )
            for r in o
        }
        floor = {
            uid: (
                n,
                done or 0,
                p or 0,
                ns or 0,
                None if avg is None else one_decimal(float(avg)),
                rate(reached, learners),
            )
            for uid, _name, n, done, p, avg, ns, learners, reached in f
        }
        if set(ours) != set(floor):
            return f"MISMATCH: {len(ours)} units vs {len(floor)}"
        bad = sum(1 for k in ours if not all(_close(a, b) for a, b in zip(ours[k], floor[k])))
        return "same numbers" if not bad else f"MISMATCH in {bad} of {len(ours)} units"

    measure(
        "dashboard: units_table",
        lambda: dashboard.units_table(app, coordinator, campaign_id),
        UNITS,
        {**base, "target": target, **days},
        cmp_units,
        "services.dashboard.units_table (assignment + study_time) vs one statement: per-unit roster × attempts "
        "joined to per-unit study time",
    )

    def cmp_people(o, f):
        ours = [(r["person_id"], r.get("study_hours")) for r in o]
        floor = [(r[0], round(r[6] / 3600, 1)) for r in f]
        if "study_hours" not in (o[0] if o else {}):
            floor = [(pid, None) for pid, _ in floor]
        return "same numbers" if ours == floor else f"MISMATCH: {len(o)} people vs {len(f)}"

    measure(
        "dashboard: people(not_started)",
        lambda: dashboard.people(app, coordinator, campaign_id, only="not_started"),
        NOT_STARTED,
        {**base, **days},
        cmp_people,
        "services.dashboard.people(only='not_started') (assignment + study hours) vs the roster WHERE NOT EXISTS "
        "an attempt, with each one's study time this year",
    )

    measure(
        "dashboard: heatmap",
        lambda: dashboard.heatmap(app, coordinator, campaign_id),
        HEATMAP,
        {"c": campaign_id},
        lambda o, f: check_heatmap(app, campaign_id, f, o),
        "services.dashboard.heatmap (unit_law_stat) vs accuracy per unit × law from answers joined to attempts",
    )

    measure(
        "dashboard: item_analysis",
        lambda: dashboard.item_analysis(app, coordinator, campaign_id),
        ITEMS,
        {"c": campaign_id},
        lambda o, f: check_items(app, campaign_id, f),
        "services.dashboard.item_analysis (item_stat) vs facility/discrimination sums and option counts per "
        "question from answers",
    )
    return figures
