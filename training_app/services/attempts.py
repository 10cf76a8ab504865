"""Exams with deferred feedback: start a frozen paper, save each answer as it is given, submit once.

Rules (Moodle's question engine is the model): a paper is drawn when the attempt starts and frozen in
the attempt with each question's key and content hash; every answer is a row written the moment it is
chosen; the deadline lives on the server; ``in_progress -> finished`` happens once, by a conditional
update checked by row count, so a double click or a second tab grades once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from .. import clock, qtypes
from ..engine import deadlines
from ..store import exams as q
from ..store.db import read_connection, read_session, write_connection, write_session
from ..store.models import Attempt, Campaign
from ..vocab import LEARNER_ROLES, AttemptState, CampaignStatus, FinishedBy
from . import papers
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require, row_id
from .grading import Result, grade_finished, prepare_grading, review_open

log = logging.getLogger(__name__)


class AnswerRefused(ServiceError):
    """A save that arrived after the submit or the deadline: nothing was written."""


# --- start ---------------------------------------------------------------------------------------


@dataclass
class StartResult:
    attempt_id: int
    resumed: bool


def start_attempt(
    app: App, actor: Actor, campaign_id: int, *, now: datetime | None = None, seed: int | None = None
) -> StartResult:
    """Start (or resume) the actor's attempt at a campaign's exam: one read, then one write transaction."""
    require(actor, *LEARNER_ROLES)
    now = now or clock.utcnow()
    with read_connection(app.engine) as conn:
        ctx = q.start_context(conn, campaign_id, actor.id, app.bank.fingerprint)
    if ctx is None or ctx.status == CampaignStatus.DRAFT:
        raise NotFound("考试不存在或尚未发布")
    if ctx.assignment_id is None:
        raise PermissionDenied("您不在本次考试的参考人员名单中")
    if ctx.open_attempt_id is not None:
        assert ctx.open_deadline is not None
        if not deadlines.is_past(ctx.open_deadline, now):
            return StartResult(ctx.open_attempt_id, resumed=True)
        # Starting again after the deadline closes the old attempt, graded from what was saved.
        submit_attempt(app, None, ctx.open_attempt_id, now=now, finished_by=FinishedBy.TIMEOUT)
        return start_attempt(app, actor, campaign_id, now=now, seed=seed)
    if ctx.status == CampaignStatus.CLOSED:
        raise ServiceError("考试已结束")
    started = ctx.attempts_started or 0
    ok, reason = deadlines.can_start(
        now, ctx.opens_at, ctx.closes_at, ctx.extended_until, started, ctx.attempts_allowed, False
    )
    if not ok:
        raise ServiceError(reason)
    number = started + 1
    deadline = deadlines.attempt_deadline(now, ctx.time_limit_minutes, ctx.closes_at, ctx.extended_until)
    values = {
        "campaign_id": campaign_id,
        "assignment_id": ctx.assignment_id,
        "person_id": actor.id,
        "number": number,
        "state": AttemptState.IN_PROGRESS.value,
        "blueprint_id": ctx.blueprint_id,
        "partial_credit": ctx.partial_credit,
        "started_at": now,
        "deadline_at": deadline,
        "cards_synced": False,
    }
    try:
        attempt_id = None
        if ctx.drawn_available and seed is None and number == 1:
            # The usual case on exam day: take a paper drawn when the campaign was published (or by the sweep);
            # they are counted for first attempts, so a second attempt leaves them to those who have not started.
            with write_connection(app.engine) as conn:
                drawn = q.claim_drawn_paper(conn, campaign_id, app.bank.fingerprint)
                if drawn is not None:
                    attempt_id = q.insert_attempt(
                        conn, values | {"seed": drawn.seed, "paper": drawn.paper, "max_score": drawn.max_score}
                    )
                    q.mark_started_core(conn, ctx.assignment_id, number, now)
        if attempt_id is None:
            # None waits (the bank changed, more officers than were drawn for yet, a second attempt): draw now.
            seed = secrets.randbits(31) if seed is None else seed
            paper = papers.draw_paper(app, ctx.blueprint_id, seed)
            with write_connection(app.engine) as conn:
                attempt_id = q.insert_attempt(
                    conn, values | {"seed": seed, "paper": paper.dumps(), "max_score": paper.max_score}
                )
                q.mark_started_core(conn, ctx.assignment_id, number, now)
            papers.remember(papers.db_key(app), attempt_id, paper)
    except IntegrityError:
        # Two tabs started at the same moment: the other one won; resume its attempt.
        with read_session(app.engine) as s:
            current = q.open_attempt(s, ctx.assignment_id)
        if current is None:
            raise ServiceError("考试机会已用完或考试已开始，请刷新页面") from None
        return StartResult(row_id(current), resumed=True)
    log.info("attempt %s started (campaign %s, person %s)", attempt_id, campaign_id, actor.id)
    return StartResult(attempt_id, resumed=False)


# --- save ----------------------------------------------------------------------------------------


def _refusal(state: str) -> str:
    return "本次考试已交卷，答案未保存" if state == AttemptState.FINISHED else "考试已结束，答案未保存"


def save_answer(
    app: App,
    actor: Actor,
    attempt_id: int,
    slot: int,
    response: str | None,
    *,
    seconds: float = 0.0,
    client_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Write one answer now. ``response`` is canonical ("B", "AC", "T") or None to clear.

    One statement in one short transaction: the upsert itself checks that the attempt is the actor's, in
    progress and before its deadline, so a save after the submit or the deadline writes nothing."""
    require(actor, *LEARNER_ROLES)
    now = now or clock.utcnow()
    seconds = max(0.0, min(float(seconds or 0.0), 3600.0))
    paper = papers.cached(papers.db_key(app), attempt_id)
    if paper is None:
        with read_connection(app.engine) as conn:
            row = q.attempt_status(conn, attempt_id)
        if row is None:
            raise NotFound("考试记录不存在")
        if row.person_id != actor.id:
            raise PermissionDenied("不能修改他人的答卷")
        paper = papers.cached(papers.db_key(app), attempt_id, row.paper)
        assert paper is not None
    spec = paper.at(slot)
    if spec is None:
        raise ServiceError("题号不存在")
    try:
        canonical = qtypes.normalize_response(spec.qtype, response, spec.n)
    except ValueError as exc:
        raise ServiceError("答案格式不正确") from exc
    with write_connection(app.engine) as conn:
        if q.save_if_open(
            conn,
            attempt_id=attempt_id,
            person_id=actor.id,
            slot=slot,
            question_id=spec.qid,
            response=canonical,
            now=now,
            seconds=seconds,
            client_id=client_id,
        ):
            return
        row = q.attempt_status(conn, attempt_id)
    if row is None:
        raise NotFound("考试记录不存在")
    if row.person_id != actor.id:
        raise PermissionDenied("不能修改他人的答卷")
    if row.state != AttemptState.IN_PROGRESS:
        raise AnswerRefused(_refusal(row.state))
    raise AnswerRefused("已超过考试截止时间，答案未保存；系统将按已保存的答案评分")


def set_flag(app: App, actor: Actor, attempt_id: int, slot: int, flagged: bool, *, now: datetime | None = None) -> None:
    require(actor, *LEARNER_ROLES)
    now = now or clock.utcnow()
    with write_session(app.engine) as s:
        row = q.lock_attempt(s, attempt_id)
        if row is None:
            raise NotFound("考试记录不存在")
        if row.person_id != actor.id:
            raise PermissionDenied("不能修改他人的答卷")
        if not deadlines.is_live(row.state, row.deadline_at, now):
            raise AnswerRefused(_refusal(row.state))
        paper = papers.cached(papers.db_key(app), attempt_id, row.paper)
        assert paper is not None
        spec = paper.at(slot)
        if spec is None:
            raise ServiceError("题号不存在")
        q.set_flag(s, attempt_id=attempt_id, slot=slot, question_id=spec.qid, flagged=flagged, now=now)


# --- submit --------------------------------------------------------------------------------------


def submit_attempt(
    app: App, actor: Actor | None, attempt_id: int, *, now: datetime | None = None, finished_by: str = FinishedBy.SUBMIT
) -> Result:
    """Finish and grade once. A second call returns the first grading (already_finished=True). When the
    campaign's review opens at once, the wrong answers reach the 错题本 in the same transaction."""
    now = now or clock.utcnow()
    prepared = None
    with read_session(app.engine) as s:  # grade from what is saved now, before taking the write lock
        attempt = s.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound("考试记录不存在")
        if actor is not None and attempt.person_id != actor.id:
            raise PermissionDenied("不能提交他人的答卷")
        if attempt.state == AttemptState.IN_PROGRESS:
            campaign = s.get(Campaign, attempt.campaign_id)
            assert campaign is not None
            paper = papers.cached(papers.session_db_key(s), attempt_id, attempt.paper)
            assert paper is not None
            prepared = prepare_grading(s, attempt, campaign, paper, now, with_cards=review_open(campaign, now))
    # Inside the write transaction (on SQLite the database's one write lock): the state change and the writes; the
    # grading computed above is used if the answers are still the ones it read (grade_finished checks).
    with write_session(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        if not q.finish_attempt(s, attempt_id, now, str(finished_by)):
            s.refresh(attempt)
            return Result(
                attempt_id,
                attempt.score or 0.0,
                attempt.max_score,
                attempt.percent or 0.0,
                bool(attempt.passed),
                already_finished=True,
                finished_by=attempt.finished_by or "",
            )
        s.refresh(attempt)
        campaign = s.get(Campaign, attempt.campaign_id)
        assert campaign is not None
        result = grade_finished(s, attempt, campaign, now, prepared=prepared)
    log.info("attempt %s finished by %s: %.1f/%.1f", attempt_id, finished_by, result.score, result.max_score)
    return result


def close_overdue(
    app: App, *, person_id: int | None = None, campaign_id: int | None = None, now: datetime | None = None
) -> int:
    """Close and grade attempts past their deadline from what was saved (the sweep)."""
    now = now or clock.utcnow()
    with read_session(app.engine) as s:
        ids = q.overdue_attempt_ids(s, now, person_id=person_id, campaign_id=campaign_id)
    closed = 0
    for attempt_id in ids:
        r = submit_attempt(app, None, attempt_id, now=now, finished_by=FinishedBy.TIMEOUT)
        closed += 0 if r.already_finished else 1
    return closed
