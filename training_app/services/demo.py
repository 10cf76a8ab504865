"""The demo district: a believable 柳南区-style roster with a year of activity (all marked as demo data).

11 towns and streets, 26 enforcement units, exactly 476 officers with valid certificates (some of them
certified this year), some expired and cancelled certificates, the units' leading cadres, a
coordinator and an admin; the annual officers' exam and the leaders' must-know quiz with simulated
attempts from officers of differing ability, so the dashboard tells a story: some units behind, some
laws weak, one question flagged by item analysis.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..engine import deadlines
from ..engine.deadlines import UTC
from ..store import audit
from ..store import demo as demo_store
from ..store.accounts import count_people
from ..store.db import read_session, write_session
from ..store.models import Campaign, Person, Unit
from . import auth, papers
from .attempts import save_answer, start_attempt, submit_attempt
from .campaigns import CampaignInput, create_campaign, publish
from .common import App, ServiceError

log = logging.getLogger(__name__)

TOWNS = [
    "河西街道",
    "南站街道",
    "鹅山街道",
    "柳南街道",
    "柳石街道",
    "银山街道",
    "潭西街道",
    "南环街道",
    "太阳村镇",
    "洛满镇",
    "流山镇",
]
UNITS = [
    "区市场监督管理局",
    "区城市管理行政执法局",
    "区应急管理局",
    "区交通运输局",
    "区农业农村局",
    "区水利局",
    "区卫生健康局",
    "区教育局",
    "区文化广电体育和旅游局",
    "区住房和城乡建设局",
    "区民政局",
    "区人力资源和社会保障局",
    "区商务和工业信息化局",
    "区发展和改革局",
    "区财政局",
    "区审计局",
    "区统计局",
    "区林业局",
    "区司法局",
    "区退役军人事务局",
    "区医疗保障局",
    "区自然资源综合执法大队",
    "区消防救援大队",
    "区烟草专卖执法中队",
    "区生态环境执法中队",
    "区交通运输综合行政执法大队",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蒙莫黎陆蓝"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国红玲斌波海宁鹏宇浩凯琳晨欣怡思远志坚春秋"
TITLES = ["科员", "一级科员", "四级主任科员", "三级主任科员", "执法队员", "中队长", "副中队长", "股长"]
OFFICER_CAMPAIGN = "annual_officer_exam"
LEADER_CAMPAIGN = "leaders_must_know"
DEMO_YEAR = 2026
VALID_OFFICERS = 476


@dataclass
class DemoLogin:
    account: str
    name: str
    role: str
    unit: str
    password: str


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _officer_counts(n: int, units: int, rng: random.Random) -> list[int]:
    weights = [rng.uniform(0.5, 2.0) for _ in range(units)]
    weights[0] *= 3  # 市场监管
    weights[1] *= 3  # 城管执法
    total = sum(weights)
    counts = [max(3, int(n * w / total)) for w in weights]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < n:
        counts[rng.randrange(units)] += 1
    return counts


def is_seeded(app: App) -> bool:
    with read_session(app.engine) as s:
        return count_people(s) > 0


def reset(app: App) -> None:
    with write_session(app.engine) as s:
        demo_store.delete_all(s)


def seed_demo(
    app: App,
    *,
    password: str | None = None,
    officers: int = VALID_OFFICERS,
    seed: int = 20261128,
    now: datetime | None = None,
    simulate: bool = True,
) -> list[DemoLogin]:
    """Build the demo district. Refuses a non-empty database (the caller offers --reset)."""
    if is_seeded(app):
        raise ServiceError("数据库中已有数据；如需重建演示数据，请使用 --reset")
    if password is not None:
        auth.check_password_rules(password)
    rng = random.Random(seed)
    now = now or deadlines.utcnow()
    logins: list[DemoLogin] = []
    # One shared password (a load test's, a demo's): one full hash for every account, as after each officer's
    # first login; its upgrade at every account's first login would be a cost production does not have then.
    shared_hash = auth.hash_password(password) if password else None

    def pw_hash() -> tuple[str, str]:
        if password:
            return password, shared_hash
        pw = auth.random_password()
        return pw, auth.hash_initial_password(pw)

    with write_session(app.engine) as s:
        unit_rows = [Unit(name=n, kind="enforcement", is_demo=True) for n in UNITS] + [
            Unit(name=n, kind="town", is_demo=True) for n in TOWNS
        ]
        s.add_all(unit_rows)
        s.flush()
        unit_ids = [u.id for u in unit_rows]
        unit_names = {u.id: u.name for u in unit_rows}
        pw, h = pw_hash()
        s.add(
            Person(
                account="admin",
                name="系统管理员（演示）",
                role="admin",
                password_hash=h,
                must_change_password=False,
                password_changed_at=now,
                is_demo=True,
            )
        )
        logins.append(DemoLogin("admin", "系统管理员（演示）", "admin", "", pw))
        pw, h = pw_hash()
        coordinator_unit = unit_ids[UNITS.index("区司法局")]
        s.add(
            Person(
                account="coordinator",
                name="区司法局培训管理员",
                role="coordinator",
                unit_id=coordinator_unit,
                password_hash=h,
                must_change_password=False,
                password_changed_at=now,
                is_demo=True,
            )
        )
        logins.append(DemoLogin("coordinator", "区司法局培训管理员", "coordinator", "区司法局", pw))
        # Leading cadres: one per unit.
        for i, uid in enumerate(unit_ids, start=1):
            pw, h = pw_hash()
            acct = f"ld{i:03d}"
            nm = _name(rng)
            s.add(
                Person(
                    account=acct,
                    name=nm,
                    role="leader",
                    unit_id=uid,
                    is_leader=True,
                    title="主要负责人" if i % 2 else "分管负责人",
                    password_hash=h,
                    must_change_password=False,
                    password_changed_at=now,
                    is_demo=True,
                    phone=f"138{rng.randrange(10**8):08d}",
                )
            )
            logins.append(DemoLogin(acct, nm, "leader", unit_names[uid], pw))
        counts = _officer_counts(officers, len(unit_ids), rng)
        serial = 0
        new_this_year = max(1, officers // 16)
        for uid, n in zip(unit_ids, counts):
            for _ in range(n):
                serial += 1
                cert = f"LN{DEMO_YEAR % 100:02d}{serial:05d}"
                this_year = serial % 16 == 0 and new_this_year > 0
                cert_date = (
                    date(DEMO_YEAR, rng.randint(1, 9), rng.randint(1, 28))
                    if this_year
                    else date(rng.randint(2018, DEMO_YEAR - 1), rng.randint(1, 12), rng.randint(1, 28))
                )
                pw, h = pw_hash()
                nm = _name(rng)
                s.add(
                    Person(
                        account=cert,
                        name=nm,
                        role="officer",
                        unit_id=uid,
                        cert_no=cert,
                        cert_status="有效",
                        cert_date=cert_date,
                        title=rng.choice(TITLES),
                        phone=f"13{rng.randint(0, 9)}{rng.randrange(10**8):08d}",
                        password_hash=h,
                        must_change_password=False,
                        password_changed_at=now,
                        is_demo=True,
                    )
                )
                logins.append(DemoLogin(cert, nm, "officer", unit_names[uid], pw))
        # Expired and cancelled certificates (not in any campaign's audience).
        for j in range(24):
            serial += 1
            cert = f"LN{DEMO_YEAR % 100:02d}{serial:05d}"
            uid = rng.choice(unit_ids)
            pw, h = pw_hash()
            nm = _name(rng)
            s.add(
                Person(
                    account=cert,
                    name=nm,
                    role="officer",
                    unit_id=uid,
                    cert_no=cert,
                    cert_status="过期" if j % 3 else "注销",
                    cert_date=date(rng.randint(2012, 2019), 6, 1),
                    title=rng.choice(TITLES),
                    password_hash=h,
                    must_change_password=False,
                    password_changed_at=now,
                    is_demo=True,
                )
            )
            logins.append(DemoLogin(cert, nm, "officer", unit_names[uid], pw))
        audit.append(s, "seed_demo", actor="cli", obj="database", detail={"officers": officers})

    coordinator = _actor(app, "coordinator")
    year_start = datetime(DEMO_YEAR, 1, 1, tzinfo=UTC)
    opens = min(now - timedelta(days=20), datetime(DEMO_YEAR, 11, 1, 1, 0, tzinfo=UTC))
    closes = max(now + timedelta(days=22), datetime(DEMO_YEAR, 12, 20, 10, 0, tzinfo=UTC))
    campaign_ids = []
    if OFFICER_CAMPAIGN in app.bank.blueprints:
        cid = create_campaign(
            app,
            coordinator,
            CampaignInput(
                title=f"{DEMO_YEAR}年度行政执法人员法律知识考试",
                blueprint_id=OFFICER_CAMPAIGN,
                audience="all_valid",
                opens_at=opens,
                closes_at=closes,
                attempts_allowed=2,
                review_policy="after_submit",
                year=DEMO_YEAR,
            ),
            is_demo=True,
        )
        publish(app, coordinator, cid)
        campaign_ids.append(cid)
    if LEADER_CAMPAIGN in app.bank.blueprints:
        cid = create_campaign(
            app,
            coordinator,
            CampaignInput(
                title=f"{DEMO_YEAR}年领导干部应知应会法律法规测试",
                blueprint_id=LEADER_CAMPAIGN,
                audience="leaders",
                opens_at=opens,
                closes_at=closes,
                attempts_allowed=3,
                review_policy="after_submit",
                year=DEMO_YEAR,
            ),
            is_demo=True,
        )
        publish(app, coordinator, cid)
        campaign_ids.append(cid)
    if simulate:
        for cid in campaign_ids:
            simulate_campaign(app, cid, rng, now=now)
            papers.predraw(app, cid)  # the simulated history started most of them: their papers drawn ahead go
        simulate_study(app, rng, start=year_start, now=now)
    return logins


def _actor(app: App, account: str):
    with read_session(app.engine) as s:
        p = demo_store.person_with_account(s, account)
    return auth.actor_of(p)


def simulate_campaign(
    app: App, campaign_id: int, rng: random.Random, *, now: datetime, completion_by_unit: dict[int, float] | None = None
) -> int:
    """Simulated attempts: each officer has an ability; each unit a completion rate; one question is
    answered wrong by the strongest officers (so item analysis flags it)."""
    with read_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        rows = demo_store.assignment_rows(s, campaign_id)
    units = sorted({u for _, _, u in rows if u is not None})
    urng = random.Random(campaign_id * 7919)
    completion = completion_by_unit or {}
    unit_ability = {}
    for i, u in enumerate(units):
        completion.setdefault(u, 0.35 + 0.15 * urng.random() if i % 12 == 4 else 0.86 + 0.14 * urng.random())
        unit_ability[u] = urng.uniform(-0.6, 0.8)
    law_ease = {law: urng.uniform(-0.9, 0.9) for law in app.bank.laws}
    law_ease["state_compensation_law"] = -1.2  # the law everyone gets wrong
    trap_qid = None
    window = max(1.0, (now - deadlines.as_utc(c.opens_at)).total_seconds())
    done = 0
    with read_session(app.engine) as s:
        actors = {pid: auth.actor_of(s.get(Person, pid)) for _, pid, _ in rows}
    # Through the public use cases, as an officer would: start, save each answer as given, submit.
    for _assignment_id, person_id, unit_id in rows:
        if rng.random() > completion.get(unit_id, 0.8):
            continue
        actor = actors[person_id]
        ability = rng.gauss(unit_ability.get(unit_id, 0.0), 0.7)
        start = deadlines.as_utc(c.opens_at) + timedelta(seconds=rng.uniform(0, window * 0.95))
        attempt_id = start_attempt(app, actor, campaign_id, now=start, seed=rng.randrange(2**31)).attempt_id
        paper = papers.cached(papers.db_key(app), attempt_id)
        assert paper is not None
        deadline = deadlines.attempt_deadline(start, c.time_limit_minutes, c.closes_at)
        if trap_qid is None:
            trap_qid = paper.slots[len(paper) // 2].qid
        t = start
        for spec in paper:
            q = app.bank.questions[spec.qid]
            p_right = 1 / (1 + math.exp(-(0.9 + ability + law_ease.get(q.law, 0) - 0.5 * (q.difficulty - 2))))
            if spec.qid == trap_qid:
                p_right = 0.15 if ability > 0.3 else 0.8  # the "bad question": strong officers miss it
            keys = q.option_keys()
            if rng.random() < p_right:
                response = q.answer
            elif q.type == "multiple":
                response = "".join(sorted(rng.sample(keys, rng.randint(1, len(keys)))))
                if response == q.answer:
                    response = response[:-1] or keys[0]
            else:
                response = rng.choice([k for k in keys if k != q.answer])
            if rng.random() < 0.02:
                response = None
            secs = rng.uniform(8, 60)
            t += timedelta(seconds=secs)
            if t >= deadline:
                break  # time is up: the rest stays blank
            if response is not None:
                save_answer(app, actor, attempt_id, spec.slot, response, seconds=secs, now=t)
        submit_attempt(app, actor, attempt_id, now=min(t, deadline))
        done += 1
    log.info("campaign %s: %d simulated attempts", campaign_id, done)
    return done


def simulate_study(app: App, rng: random.Random, *, start: datetime, now: datetime) -> None:
    """A year of study time (reading, practice) for the learners."""
    with read_session(app.engine) as s:
        people = demo_store.learner_ids(s)
    days = max(1, (now.date() - start.date()).days)
    rows = []
    for pid in people:
        diligence = rng.uniform(0.5, 1.4)
        n_days = int(rng.uniform(25, 90) * diligence)
        chosen = sorted(set(rng.randrange(days) for _ in range(n_days)))
        for d in chosen:
            day = start.date() + timedelta(days=d)
            rows.append(
                {
                    "person_id": pid,
                    "day": day,
                    "kind": rng.choice(("reading", "practice", "reading")),
                    "seconds": int(rng.uniform(30, 100) * 60),
                }
            )
    with write_session(app.engine) as s:
        seen = set()
        unique = []
        for r in rows:
            k = (r["person_id"], r["day"], r["kind"])
            if k not in seen:
                seen.add(k)
                unique.append(r)
        if unique:
            demo_store.insert_study_times(s, unique)


def write_credentials(path: str, logins: list[DemoLogin]) -> None:
    """Demo logins as .xlsx (or .csv/.txt by extension)."""
    import pandas as pd

    from .exports import neutralize_frame

    df = pd.DataFrame(
        [{"账号": x.account, "姓名": x.name, "角色": x.role, "单位": x.unit, "密码": x.password} for x in logins]
    )
    if path.endswith(".xlsx"):
        neutralize_frame(df).to_excel(path, index=False)
    else:
        neutralize_frame(df).to_csv(path, index=False, encoding="utf-8-sig")
