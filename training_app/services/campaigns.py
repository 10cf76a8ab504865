"""培训任务: create from a blueprint, publish (assign the audience), extend, close."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ..engine import deadlines
from ..store import audit
from ..store import campaigns as cq
from ..store import exams as eq
from ..store.db import read_session, write_session
from ..store.models import Attempt, Campaign
from ..vocab import AUDIENCES, GRADING_METHODS, REVIEW_POLICIES, AssignmentStatus
from . import jobs, papers, views
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require
from .exams import regrade_campaign, submit_attempt  # noqa: F401 - regrade is offered on the campaigns page


@dataclass
class CampaignInput:
    title: str
    blueprint_id: str
    audience: str
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int | None = None
    pass_mark: float | None = None
    attempts_allowed: int = 2
    grading_method: str = "highest"
    review_policy: str = "after_submit"
    audience_units: tuple[int, ...] = ()
    partial_credit: bool | None = None
    year: int | None = None


class DuplicateCampaign(ServiceError):
    """A campaign of the same title already exists in the same year."""


def _validate(app: App, data: CampaignInput) -> None:
    problems = []
    if not data.title.strip():
        problems.append("请填写任务名称")
    if data.blueprint_id not in app.bank.blueprints:
        problems.append("组卷方案不存在")
    if data.audience not in AUDIENCES:
        problems.append("参训对象不正确")
    if data.audience == "units" and not data.audience_units:
        problems.append("请选择参训单位")
    if data.audience != "units" and data.audience_units:
        problems.append(
            "已选择了指定单位，但参训对象不是“指定单位”：只面向这些单位时请把参训对象改为“指定单位”，"
            "面向全区时请清空所选单位"
        )
    if deadlines.as_utc(data.closes_at) <= deadlines.as_utc(data.opens_at):
        problems.append("截止时间须晚于开始时间")
    if data.grading_method not in GRADING_METHODS:
        problems.append("成绩计算方式不正确")
    if data.review_policy not in REVIEW_POLICIES:
        problems.append("答案公布方式不正确")
    if data.attempts_allowed < 0:
        problems.append("考试次数不能为负")
    if data.time_limit_minutes is not None and data.time_limit_minutes <= 0:
        problems.append("考试时长须大于 0")
    if data.pass_mark is not None and not 0 <= data.pass_mark <= 100:
        problems.append("合格分须在 0-100 之间")
    if problems:
        raise ServiceError("；".join(problems))


def _owned(actor: Actor, c: Campaign, what: str) -> None:
    if not actor.owns_campaign(c.audience, json.loads(c.audience_units or "[]")):
        raise PermissionDenied(f"该培训任务的范围超出您管理的单位，无权{what}")


def _year(data: CampaignInput) -> int:
    return data.year or deadlines.as_utc(data.opens_at).year


def preview_audience(
    app: App, actor: Actor, audience: str, audience_units: tuple[int, ...] | list[int] = (), *, year: int | None = None
) -> int:
    """How many active people publishing a campaign with this audience would assign today (in the actor's scope)."""
    require(actor, "coordinator", "admin")
    if audience not in AUDIENCES:
        raise ServiceError("参训对象不正确")
    probe = Campaign(
        title="",
        blueprint_id="",
        audience=audience,
        audience_units=json.dumps(list(audience_units)),
        opens_at=deadlines.utcnow(),
        closes_at=deadlines.utcnow(),
        time_limit_minutes=1,
        pass_mark=0,
        status="draft",
        year=year or deadlines.utcnow().year,
    )
    with read_session(app.engine) as s:
        people = cq.eligible_people(s, probe)
    if actor.scope_unit_id is not None:
        people = [(p, u) for p, u in people if u == actor.scope_unit_id]
    return len(people)


def same_title_campaigns(app: App, actor: Actor, title: str, year: int) -> list[Campaign]:
    """Campaigns of the same year with the same title (a second 创建 would publish a duplicate)."""
    require(actor, "coordinator", "admin")
    wanted = title.strip()
    with read_session(app.engine) as s:
        return [c for c in cq.campaigns(s) if c.year == year and c.title.strip() == wanted]


def create_campaign(
    app: App, actor: Actor, data: CampaignInput, *, is_demo: bool = False, allow_duplicate: bool = True
) -> int:
    """Create a draft. With allow_duplicate=False a campaign of the same title in the same year is refused
    (the form asks first, then passes True)."""
    require(actor, "coordinator", "admin")
    _validate(app, data)
    if not actor.owns_campaign(data.audience, data.audience_units):
        raise PermissionDenied("单位管理员只能为本单位创建培训任务（参训对象选“指定单位”并只选本单位）")
    if not allow_duplicate and same_title_campaigns(app, actor, data.title, _year(data)):
        raise DuplicateCampaign(f"{_year(data)}年已有同名培训任务“{data.title.strip()}”")
    bp = app.bank.blueprints[data.blueprint_id]
    with write_session(app.engine) as s:
        c = Campaign(
            title=data.title.strip(),
            blueprint_id=data.blueprint_id,
            audience=data.audience,
            audience_units=json.dumps(list(data.audience_units)),
            opens_at=deadlines.as_utc(data.opens_at),
            closes_at=deadlines.as_utc(data.closes_at),
            time_limit_minutes=data.time_limit_minutes or bp.time_limit_minutes,
            pass_mark=data.pass_mark if data.pass_mark is not None else bp.pass_mark,
            attempts_allowed=data.attempts_allowed,
            grading_method=data.grading_method,
            review_policy=data.review_policy,
            partial_credit=bp.partial_credit if data.partial_credit is None else data.partial_credit,
            status="draft",
            year=data.year or deadlines.as_utc(data.opens_at).year,
            created_by=actor.id,
            is_demo=is_demo,
        )
        s.add(c)
        s.flush()
        audit.append(
            s,
            "campaign_create",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{c.id}",
            detail={"title": c.title, "blueprint": c.blueprint_id, "audience": c.audience},
        )
        return c.id


def publish(app: App, actor: Actor, campaign_id: int) -> int:
    """Publish a draft (or refresh a published campaign's audience): returns how many were newly assigned.
    Then draws ahead the papers of those who have not started (``papers.predraw``: a start then takes one)."""
    require(actor, "coordinator", "admin")
    added = _publish(app, actor, campaign_id)
    papers.predraw(app, campaign_id)
    return added


def _publish(app: App, actor: Actor, campaign_id: int) -> int:
    with write_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        _owned(actor, c, "发布")
        if c.status == "closed":
            raise ServiceError("任务已结束，不能再发布")
        people = cq.eligible_people(s, c)
        if actor.scope_unit_id is not None:
            people = [(p, u) for p, u in people if u == actor.scope_unit_id]
        added = cq.add_assignments(s, c.id, people)
        was = c.status
        c.status = "published"
        c.updated_at = deadlines.utcnow()
        s.add(c)
        audit.append(
            s,
            "campaign_publish" if was == "draft" else "campaign_refresh",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{c.id}",
            detail={"assigned": added},
        )
        return added


def extend(
    app: App,
    actor: Actor,
    campaign_id: int,
    until: datetime,
    *,
    person_id: int | None = None,
    unit_id: int | None = None,
) -> int:
    """Give a person or a unit until `until` (the personal close time)."""
    require(actor, "coordinator", "admin")
    if person_id is None and unit_id is None:
        raise ServiceError("请选择延期的人员或单位")
    if unit_id is not None and not actor.can_see_unit(unit_id):
        raise PermissionDenied("无权为该单位延期")
    with write_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        if person_id is not None:
            a = eq.get_assignment(s, campaign_id, person_id)
            if a is None:
                raise NotFound("该人员不在这项培训任务中")
            if not actor.can_see_unit(a.unit_id):
                raise PermissionDenied("无权为该人员延期")
        if person_id is None and unit_id is None:
            _owned(actor, c, "延期")
        if deadlines.as_utc(until) <= deadlines.as_utc(c.closes_at):
            raise ServiceError("延期时间须晚于任务截止时间")
        n = cq.extend(s, campaign_id, deadlines.as_utc(until), person_id=person_id, unit_id=unit_id)
        audit.append(
            s,
            "campaign_extend",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={
                "until": deadlines.as_utc(until).isoformat(),
                "person_id": person_id,
                "unit_id": unit_id,
                "rows": n,
            },
        )
        return n


@dataclass
class CloseImpact:
    """What closing a campaign now would do: said in the confirmation before it is done."""

    eligible: int
    finished: int  # at least one finished attempt
    in_progress: int  # an attempt open now: graded from what was saved
    not_started: int

    @property
    def unfinished(self) -> int:
        return self.eligible - self.finished


def close_impact(app: App, actor: Actor, campaign_id: int) -> CloseImpact:
    require(actor, "coordinator", "admin")
    with read_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        _owned(actor, c, "结束")
        eligible, finished, in_progress = cq.completion_counts(s, campaign_id)
    return CloseImpact(eligible, finished, in_progress, eligible - finished - in_progress)


def close(app: App, actor: Actor, campaign_id: int, *, now: datetime | None = None) -> int:
    """Close the campaign: open attempts are graded from what was saved. Returns how many were closed.
    An admin can reopen it (:func:`reopen`)."""
    require(actor, "coordinator", "admin")
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        _owned(actor, c, "结束")
        if c.status == "closed":
            raise ServiceError("任务已经结束")
        eligible, finished, in_progress = cq.completion_counts(s, campaign_id)
        c.status = "closed"
        if deadlines.as_utc(c.closes_at) > now:
            c.closes_at = now
        c.updated_at = now
        s.add(c)
        audit.append(
            s,
            "campaign_close",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={"eligible": eligible, "finished": finished, "in_progress": in_progress},
        )
    with read_session(app.engine) as s:
        ids = [a.id for a in eq.open_attempts_in_campaign(s, campaign_id)]
    for attempt_id in ids:
        submit_attempt(app, None, attempt_id, now=now, finished_by="timeout")
    papers.drop_drawn(app, campaign_id)
    return len(ids)


def reopen(app: App, actor: Actor, campaign_id: int, closes_at: datetime, *, now: datetime | None = None) -> None:
    """An admin reopens a closed campaign with a new deadline (audited). Attempts graded at the close stay
    graded; whoever has attempts left may start again until the new deadline."""
    require(actor, "admin")
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        if c.status != "closed":
            raise ServiceError("只有已结束的任务可以重新开放")
        if deadlines.as_utc(closes_at) <= now:
            raise ServiceError("新的截止时间须晚于现在")
        old = deadlines.as_utc(c.closes_at)
        c.status, c.closes_at, c.updated_at = "published", deadlines.as_utc(closes_at), now
        s.add(c)
        audit.append(
            s,
            "campaign_reopen",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={"old_closes_at": old.isoformat(), "closes_at": deadlines.as_utc(closes_at).isoformat()},
        )


def list_campaigns(app: App, actor: Actor) -> list[Campaign]:
    require(actor, "coordinator", "admin")
    with read_session(app.engine) as s:
        return cq.campaigns(s)


def campaign_choices(app: App, actor: Actor) -> list[cq.CampaignChoice]:
    """The campaigns a coordinator's page offers (all but drafts, newest first), as light rows."""
    require(actor, "coordinator", "admin")
    return cq.campaign_choices(app.engine)


def get_campaign(app: App, actor: Actor, campaign_id: int) -> Campaign:
    require(actor, "coordinator", "admin")
    with read_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
    if c is None:
        raise NotFound("培训任务不存在")
    return c


def sweep(
    app: App, actor: Actor | None = None, *, campaign_id: int | None = None, now: datetime | None = None
) -> jobs.SweepResult:
    """The sweep (``jobs.sweep``) run on a staff member's behalf: close and grade every attempt past its deadline,
    send the wrong answers of reviews opened since to the 错题本. No page calls it while it draws."""
    if actor is not None:
        require(actor, "coordinator", "admin")
    return jobs.sweep(app, campaign_id=campaign_id, now=now)


@dataclass
class MyExam:
    campaign_id: int
    title: str
    status: AssignmentStatus  # its Chinese label: vocab.ASSIGNMENT_STATUS_LABELS
    opens_at: datetime
    closes_at: datetime
    time_limit_minutes: int
    attempts_allowed: int
    attempts_started: int
    grade: float | None
    passed: bool
    open_attempt_id: int | None
    can_start: bool
    reason: str
    attempts_finished: int = 0
    pass_mark: float = 60.0
    blueprint_id: str = ""

    @property
    def attempts_left(self) -> int | None:
        """None: unlimited."""
        return None if not self.attempts_allowed else max(0, self.attempts_allowed - self.attempts_started)

    @property
    def failed(self) -> bool:
        """Finished at least once and not passed (the campaign's grade is below the pass mark)."""
        return self.attempts_finished > 0 and not self.passed


@dataclass
class ExamBrief:
    """What the start screen tells before the clock starts."""

    campaign_id: int
    title: str
    question_count: int
    by_type: dict[str, int]  # single/multiple/judge -> count
    points: dict[str, float]  # per type
    total_points: float
    time_limit_minutes: int
    attempts_allowed: int
    attempts_started: int
    pass_mark: float
    closes_at: datetime
    can_start: bool
    reason: str


def exam_brief(app: App, actor: Actor, campaign_id: int, *, now: datetime | None = None) -> ExamBrief:
    exam = next((e for e in my_exams(app, actor, now=now) if e.campaign_id == campaign_id), None)
    if exam is None:
        raise NotFound("您没有这项考试")
    bp = app.bank.blueprints[exam.blueprint_id]
    by_type: dict[str, int] = {}
    for sec in bp.sections:
        by_type[sec.type] = by_type.get(sec.type, 0) + sec.count
    points = dict(bp.points)
    return ExamBrief(
        campaign_id,
        exam.title,
        bp.question_count,
        by_type,
        points,
        bp.total_points,
        exam.time_limit_minutes,
        exam.attempts_allowed,
        exam.attempts_started,
        exam.pass_mark,
        exam.closes_at,
        exam.can_start,
        exam.reason,
    )


def my_exams(app: App, actor: Actor, *, now: datetime | None = None) -> list[MyExam]:
    """我的考试: assigned campaigns with status (not open, not started, in progress, done, overdue), deadline and
    best score. One statement (`store.campaigns.my_assignments`); an attempt past its deadline that the sweep has
    not closed yet is read whole, to show it as the sweep will grade it."""
    require(actor, "officer", "leader")
    now = now or deadlines.utcnow()
    out = []
    for a in cq.my_assignments(app.engine, actor.id):
        grade, passed, finished = a.grade, a.passed, a.attempts_finished
        open_id = a.open_attempt_id
        # (the statement's open attempt is the one in progress)
        if (
            open_id is not None
            and a.open_deadline_at is not None
            and deadlines.is_overdue(deadlines.IN_PROGRESS, a.open_deadline_at, now)
        ):
            # Past its deadline and not swept yet: shown as the sweep will close it, nothing written.
            with read_session(app.engine) as s:
                current, campaign = s.get(Attempt, open_id), s.get(Campaign, a.campaign_id)
                assert current is not None and campaign is not None
                grade, passed = views.campaign_grade_at_deadline(app, s, current, campaign)
            finished, open_id = finished + 1, None
        close_at = deadlines.personal_close(a.closes_at, a.extended_until)
        status = deadlines.assignment_state(
            now, a.opens_at, a.closes_at, a.extended_until, open_id is not None, finished
        )
        ok, reason = deadlines.can_start(
            now,
            a.opens_at,
            a.closes_at,
            a.extended_until,
            a.attempts_started,
            a.attempts_allowed,
            open_id is not None,
        )
        if a.status == "closed":
            ok, reason = False, "考试已结束"
        out.append(
            MyExam(
                a.campaign_id,
                a.title,
                status,
                deadlines.as_utc(a.opens_at),
                close_at,
                a.time_limit_minutes,
                a.attempts_allowed,
                a.attempts_started,
                grade,
                passed,
                open_id,
                ok,
                reason,
                finished,
                a.pass_mark,
                a.blueprint_id,
            )
        )
    return out


def my_cert_status(app: App, actor: Actor) -> str | None:
    """The officer's 执法证 status (有效/过期/注销), None for a leader or staff without one."""
    require(actor, "officer", "leader")
    with read_session(app.engine) as s:
        from ..store.models import Person

        p = s.get(Person, actor.id)
        return p.cert_status if p is not None and p.cert_no else None
