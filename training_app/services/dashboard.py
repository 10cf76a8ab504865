"""完成情况: the coordinator's figures for one campaign, from SQL aggregates over summary tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..bank.schema import LETTERS, TYPE_LABELS
from ..engine import stats
from ..store import dashboard as dq
from ..store.db import read_session
from ..store.models import Campaign
from .common import Actor, App, NotFound, PermissionDenied, require
from .exports import mask_phone
from .figures import mean, one_decimal, rate

STAFF = ("coordinator", "admin")
MIN_ATTEMPTS_FOR_FLAGS = stats.MIN_ATTEMPTS_FOR_FLAGS  # answers a question needs before it may be flagged (试题分析)


def _campaign(s, actor: Actor, campaign_id: int) -> Campaign:
    """The campaign, read in the figure's own session (one round trip fewer per figure)."""
    require(actor, *STAFF)
    c = s.get(Campaign, campaign_id)
    if c is None:
        raise NotFound("培训任务不存在")
    return c


_rate = rate  # one rounding rule (services/figures.py)


def _figures(h: dict) -> dict:
    """The rates of one row of counts, each defined by its name:
    completion_rate = 参考/应参训; pass_rate = 合格/参考; pass_rate_of_eligible = 合格/应参训."""
    h["completion_rate"] = rate(h["completed"], h["eligible"])
    h["pass_rate"] = rate(h["passed"], h["completed"])
    h["pass_rate_of_eligible"] = rate(h["passed"], h["eligible"])
    h["average_score"] = mean(h.pop("grade_sum"), h["completed"])
    return h


def version(app: App, actor: Actor, campaign_id: int) -> tuple:
    """Changes whenever a figure of the campaign can change through the exam (a start, a hand-in, a grading,
    a regrade): the page recomputes its figures only then (and at least once a minute, for roster and study time)."""
    require(actor, *STAFF)
    return (str(app.engine.url), campaign_id, actor.scope_unit_id, dq.figures_version(app.engine, campaign_id))


def summary(app: App, actor: Actor, campaign_id: int) -> dict:
    """Counts over the active people assigned (a deactivated person no longer counts)."""
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        c = _campaign(s, actor, campaign_id)
        h = dq.headline(s, campaign_id, actor.scope_unit_id)
    _figures(h)
    h["title"] = c.title
    h["pass_mark"] = c.pass_mark
    h["audience"] = c.audience
    h["year"] = c.year
    return h


def units_table(app: App, actor: Actor, campaign_id: int, *, year: int | None = None) -> list[dict]:
    """Per unit, laggards first (lowest completion rate, then lowest pass rate)."""
    require(actor, *STAFF)
    target = int(app.settings.study_hours_target * 3600)
    with read_session(app.engine) as s:
        c = _campaign(s, actor, campaign_id)
        year = year or c.year
        rows = dq.by_unit(s, campaign_id, actor.scope_unit_id)
        study = {
            r["unit_id"]: r
            for r in dq.study_by_unit(s, date(year, 1, 1), date(year, 12, 31), target, actor.scope_unit_id)
        }
    for r in rows:
        _figures(r)
        st = study.get(r["unit_id"])
        r["study_target_rate"] = _rate(st["reached"], st["learners"]) if st else None
    rows.sort(key=lambda r: (r["completion_rate"] or 0, r["pass_rate"] or 0, r["unit"]))
    return rows


def study_year(app: App, actor: Actor, year: int) -> dict:
    """The year's 学时 of the people who must study (active, valid certificate, or a leader) against the target."""
    require(actor, *STAFF)
    target = app.settings.study_hours_target
    with read_session(app.engine) as s:
        rows = dq.study_by_unit(s, date(year, 1, 1), date(year, 12, 31), int(target * 3600), actor.scope_unit_id)
    learners = sum(r["learners"] for r in rows)
    seconds = sum(r["seconds"] for r in rows)
    reached = sum(r["reached"] for r in rows)
    return {
        "learners": learners,
        "hours": one_decimal(seconds / 3600),
        "average_hours": mean(seconds / 3600, learners),
        "target": target,
        "reached": reached,
        "reached_rate": rate(reached, learners),
    }


def people(
    app: App,
    actor: Actor,
    campaign_id: int,
    *,
    unit_id: int | None = None,
    only: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Per-person rows with this year's study hours (phones masked except for admins)."""
    require(actor, *STAFF)
    if unit_id is not None and not actor.can_see_unit(unit_id):
        raise PermissionDenied("无权查看该单位的人员")
    with read_session(app.engine) as s:
        c = _campaign(s, actor, campaign_id)
        rows = dq.people(
            s,
            campaign_id,
            unit_id=unit_id,
            only=only,
            scope_unit_id=actor.scope_unit_id,
            limit=limit,
            study_from=date(c.year, 1, 1),
            study_to=date(c.year, 12, 31),
        )
    for r in rows:
        r["phone"] = r["phone"] if actor.role == "admin" else mask_phone(r["phone"])
        r["study_hours"] = one_decimal(r.pop("study_seconds") / 3600)
        r["study_target_met"] = r["study_hours"] >= app.settings.study_hours_target
    return rows


def trend(app: App, actor: Actor, campaign_id: int) -> list[tuple[date, int]]:
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        _campaign(s, actor, campaign_id)
        return dq.daily_completions(s, campaign_id, scope_unit_id=actor.scope_unit_id)


def histogram(app: App, actor: Actor, campaign_id: int) -> list[tuple[int, int]]:
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        _campaign(s, actor, campaign_id)
        return dq.grade_histogram(s, campaign_id, scope_unit_id=actor.scope_unit_id)


def heatmap(app: App, actor: Actor, campaign_id: int) -> list[dict]:
    """Unit × law accuracy, with the law's short title."""
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        _campaign(s, actor, campaign_id)
        rows = dq.unit_law_accuracy(s, campaign_id, actor.scope_unit_id)
    for r in rows:
        law = app.bank.laws.get(r["law"])
        r["law_title"] = law.short_title if law else r["law"]
    return rows


def weakest_laws(app: App, actor: Actor, campaign_id: int, n: int = 5, min_answered: int = 20) -> list[dict]:
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        _campaign(s, actor, campaign_id)
        rows = dq.law_accuracy(s, campaign_id, actor.scope_unit_id)
    rows = [r for r in rows if r["answered"] >= min_answered and r["accuracy"] is not None]
    for r in rows:
        law = app.bank.laws.get(r["law"])
        r["law_title"] = law.short_title if law else r["law"]
    return sorted(rows, key=lambda r: r["accuracy"])[:n]


@dataclass
class ItemRow:
    question_id: str
    law: str
    type: str
    stem: str
    attempts: int
    facility: float | None
    discrimination: float | None
    options: list[tuple[str, int, bool]]  # (label, count, is_key)
    blank: int
    flags: list[str]


def item_analysis(app: App, actor: Actor, campaign_id: int) -> list[ItemRow]:
    """Moodle-style item statistics; flagged questions first."""
    require(actor, *STAFF)
    with read_session(app.engine) as s:
        _campaign(s, actor, campaign_id)
        sums = dq.item_sums(s, campaign_id)
    out = []
    for r in sums:
        q = app.bank.questions.get(r.question_id)
        sums_ = stats.ItemSums(r.n, r.sx, r.sxx, r.sy, r.syy, r.sxy)
        fac, disc = stats.facility(sums_), stats.discrimination(sums_)
        counts = [r.opt0, r.opt1, r.opt2, r.opt3, r.opt4, r.opt5]
        if q is None:
            options, law, qtype, stem = [], "", "", "（已从题库移除）"
        elif q.type == "judge":
            options = [("正确", counts[0], q.answer == "T"), ("错误", counts[1], q.answer == "F")]
            law, qtype, stem = app.bank.laws[q.law].short_title, TYPE_LABELS[q.type], q.stem
        else:
            options = [(f"{LETTERS[i]}. {o}", counts[i], LETTERS[i] in q.answer) for i, o in enumerate(q.options)]
            law, qtype, stem = app.bank.laws[q.law].short_title, TYPE_LABELS[q.type], q.stem
        out.append(
            ItemRow(r.question_id, law, qtype, stem, r.n, fac, disc, options, r.blank, stats.item_flags(r.n, fac, disc))
        )
    out.sort(key=lambda x: (not x.flags, x.discrimination if x.discrimination is not None else 1.0))
    return out


class CampaignLike(Protocol):
    """A campaign row or a ``store.campaigns.CampaignChoice``: what choosing the default campaign reads."""

    @property
    def id(self) -> int | None: ...

    @property
    def status(self) -> str: ...

    @property
    def audience(self) -> str: ...


def default_campaign(app: App, actor: Actor, campaigns: Sequence[CampaignLike]) -> int | None:
    """The campaign a dashboard opens on: the largest open (published) campaign of officers (not the leaders'
    test), then the largest open one, then the newest of those given."""
    require(actor, *STAFF)
    if not campaigns:
        return None
    with read_session(app.engine) as s:
        counts = dq.assignment_counts(s)

    def rank(c: CampaignLike) -> tuple:
        return (c.status == "published", c.audience != "leaders", counts.get(c.id, 0), c.id)

    return max(campaigns, key=rank).id
