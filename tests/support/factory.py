"""Build people, units and campaigns for tests through the services (no hand-written rows)."""

from __future__ import annotations

from datetime import date, timedelta

from training_app.engine.deadlines import utcnow
from training_app.services import auth
from training_app.services.campaigns import CampaignInput, create_campaign, publish
from training_app.services.common import Actor
from training_app.store.db import write_session
from training_app.store.models import Person, Unit

PASSWORD = "Test@Pass2026"
_HASH = None


def pw_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = auth.hash_initial_password(PASSWORD)
    return _HASH


def make_units(app, names=("区市场监督管理局", "区城市管理行政执法局", "河西街道")) -> list[int]:
    with write_session(app.engine) as s:
        rows = [Unit(name=n, kind="town" if n.endswith("街道") else "enforcement") for n in names]
        s.add_all(rows)
        s.flush()
        return [u.id for u in rows]


def make_person(
    app,
    account: str,
    *,
    role: str = "officer",
    unit_id: int | None = None,
    name: str = "张三",
    cert_status: str | None = "有效",
    is_leader: bool = False,
    must_change: bool = False,
    cert_date: date | None = None,
    phone: str | None = None,
    scope_unit_id: int | None = None,
) -> Actor:
    with write_session(app.engine) as s:
        p = Person(
            account=account,
            name=name,
            role=role,
            unit_id=unit_id,
            cert_no=account if role == "officer" else None,
            cert_status=cert_status if role == "officer" else None,
            cert_date=cert_date or date(2020, 5, 1),
            is_leader=is_leader or role == "leader",
            password_hash=pw_hash(),
            must_change_password=must_change,
            phone=phone,
            scope_unit_id=scope_unit_id,
        )
        s.add(p)
        s.flush()
        return auth.actor_of(p)


def make_campaign(
    app,
    coordinator: Actor,
    *,
    blueprint: str = "small_exam",
    audience: str = "all_valid",
    minutes: int | None = None,
    attempts: int = 2,
    review: str = "after_submit",
    opens_ago_days: int = 1,
    closes_in_days: int = 10,
    grading: str = "highest",
    units: tuple[int, ...] = (),
) -> int:
    now = utcnow()
    cid = create_campaign(
        app,
        coordinator,
        CampaignInput(
            title="测试考试",
            blueprint_id=blueprint,
            audience=audience,
            opens_at=now - timedelta(days=opens_ago_days),
            closes_at=now + timedelta(days=closes_in_days),
            time_limit_minutes=minutes,
            attempts_allowed=attempts,
            review_policy=review,
            grading_method=grading,
            audience_units=units,
        ),
    )
    publish(app, coordinator, cid)
    return cid


def district(app, n_officers: int = 3):
    """(units, coordinator, officers, campaign id)."""
    units = make_units(app)
    coordinator = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    officers = [
        make_person(app, f"LN{i:05d}", unit_id=units[i % len(units)], name=f"执法员{i}")
        for i in range(1, n_officers + 1)
    ]
    cid = make_campaign(app, coordinator)
    return units, coordinator, officers, cid
