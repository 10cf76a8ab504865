"""Reading attempts: the exam page's view of an attempt, the results list, where a returning officer lands.

Nothing here writes. An attempt past its deadline that the sweep has not closed yet is shown as it will be
closed: finished, graded from what was saved (``AttemptView.closed_at_deadline``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from .. import clock, qtypes
from ..engine import deadlines
from ..engine.paper import FrozenSlot
from ..store import exams as q
from ..store.db import read_connection, read_session
from ..store.models import Answer, Attempt, Campaign
from ..vocab import LEARNER_ROLES, AttemptState, FinishedBy
from . import papers
from .common import Actor, App, NotFound, PermissionDenied, require, row_id
from .grading import Graded, campaign_grade, grade_answers, review_open


@dataclass
class QuestionView:
    slot: int
    qid: str
    type: str
    type_label: str
    stem: str
    options: list[str]  # in the order shown
    chosen: list[int]  # positions chosen (0-based, in the order shown)
    flagged: bool
    points: float
    # Filled only when the review is open for a finished attempt:
    correct: list[int] = field(default_factory=list)
    fraction: float | None = None
    explanation: str = ""
    sources: list[tuple[str, str]] = field(default_factory=list)  # (label, quote)


@dataclass
class AttemptView:
    attempt_id: int
    campaign_id: int
    campaign_title: str
    number: int
    state: str
    started_at: datetime
    deadline_at: datetime
    seconds_left: int
    max_score: float
    score: float | None
    percent: float | None
    passed: bool | None
    pass_mark: float
    review_open: bool
    questions: list[QuestionView]
    last_client_id: str | None = None  # the browser session that saved last
    last_saved_at: datetime | None = None
    closed_at_deadline: bool = False  # past its deadline, shown graded; the sweep job writes the same grading

    def answered_elsewhere(
        self, client_id: str | None, now: datetime, *, since: datetime | None = None, within_seconds: int = 120
    ) -> bool:
        """Another browser session (another phone, another tab) saved an answer in the last two minutes, and after
        `since` (when this browser session opened the attempt: a reload is a new browser session, and the saves
        of the page it replaced are not "elsewhere")."""
        return bool(
            client_id
            and self.last_client_id
            and self.last_client_id != client_id
            and self.last_saved_at
            and (now - self.last_saved_at).total_seconds() < within_seconds
            and (since is None or self.last_saved_at > since)
        )

    @property
    def answered(self) -> int:
        return sum(1 for qv in self.questions if qv.chosen)

    @property
    def unanswered_slots(self) -> list[int]:
        return [qv.slot for qv in self.questions if not qv.chosen]

    @property
    def flagged_slots(self) -> list[int]:
        return [qv.slot for qv in self.questions if qv.flagged]


def attempt_view(app: App, actor: Actor, attempt_id: int, *, now: datetime | None = None) -> AttemptView:
    now = now or clock.utcnow()
    with read_session(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound("考试记录不存在")
        if attempt.person_id != actor.id and not actor.is_staff:
            raise PermissionDenied("不能查看他人的答卷")
        campaign = s.get(Campaign, attempt.campaign_id)
        assert campaign is not None
        answers = {a.slot: a for a in q.answers_of(s, attempt_id)}
        return _build_view(app, attempt, campaign, answers, now)


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    """In progress in the database but past its deadline: the sweep has not closed it yet."""
    return deadlines.is_overdue(attempt.state, attempt.deadline_at, now)


def _graded_at_deadline(app: App, attempt: Attempt, campaign: Campaign, answers: dict[int, Answer]) -> Graded:
    """An overdue attempt graded from what was saved, as the sweep will grade it (nothing written)."""
    paper = papers.cached(papers.db_key(app), row_id(attempt), attempt.paper)
    assert paper is not None
    return grade_answers(
        paper, answers, partial=attempt.partial_credit, max_score=attempt.max_score, pass_mark=campaign.pass_mark
    )


def campaign_grade_at_deadline(app: App, s: Session, attempt: Attempt, campaign: Campaign) -> tuple[float | None, bool]:
    """The campaign grade and its pass once the sweep has closed this overdue attempt (read in `s`, nothing
    written): what 我的学习 shows before the sweep comes by."""
    answers = {x.slot: x for x in q.answers_of(s, row_id(attempt))}
    return campaign_grade(s, attempt, campaign, _graded_at_deadline(app, attempt, campaign, answers).percent)


def _build_view(
    app: App, attempt: Attempt, campaign: Campaign, answers: dict[int, Answer], now: datetime
) -> AttemptView:
    paper = papers.cached(papers.db_key(app), row_id(attempt), attempt.paper)
    assert paper is not None
    state, score, percent, passed = attempt.state, attempt.score, attempt.percent, attempt.passed
    overdue = is_overdue(attempt, now)
    if overdue:  # shown as the sweep will close it: finished, graded from what was saved
        g = _graded_at_deadline(app, attempt, campaign, answers)
        state, score, percent, passed = AttemptState.FINISHED.value, g.score, g.percent, g.passed
    show_review = state == AttemptState.FINISHED and review_open(campaign, now)
    last = max((a for a in answers.values() if a.client_id), key=lambda a: clock.as_utc(a.saved_at), default=None)
    views = []
    for spec in paper:
        question = app.bank.questions.get(spec.qid)
        a = answers.get(spec.slot)
        response = a.response if a else None
        qv = _question_view(app, spec, response, bool(a and a.flagged))
        if show_review:
            qv.correct = qtypes.to_display(spec.qtype, spec.order, spec.key)
            qv.fraction = (
                a.fraction
                if a and a.fraction is not None
                else spec.mark(response, partial=attempt.partial_credit).fraction
            )
            if question:
                qv.explanation = question.explanation
                qv.sources = [(src.label, src.quote) for src in question.sources]
        views.append(qv)
    started_at, deadline_at = clock.as_utc(attempt.started_at), clock.as_utc(attempt.deadline_at)
    assert started_at is not None and deadline_at is not None
    return AttemptView(
        attempt_id=row_id(attempt),
        campaign_id=attempt.campaign_id,
        campaign_title=campaign.title,
        number=attempt.number,
        state=state,
        started_at=started_at,
        deadline_at=deadline_at,
        seconds_left=deadlines.seconds_left(attempt.deadline_at, now) if state == AttemptState.IN_PROGRESS else 0,
        max_score=attempt.max_score,
        score=score,
        percent=percent,
        passed=passed,
        pass_mark=campaign.pass_mark,
        review_open=show_review,
        questions=views,
        last_client_id=last.client_id if last else None,
        last_saved_at=clock.as_utc(last.saved_at) if last else None,
        closed_at_deadline=overdue,
    )


def _question_view(app: App, spec: FrozenSlot, response: str | None, flagged: bool) -> QuestionView:
    """One question as the officer sees it (options in the shown order, the choice in shown positions)."""
    question = app.bank.questions.get(spec.qid)
    if question is not None:
        bank_opts = qtypes.shown_options(spec.qtype, question.options)
    else:
        bank_opts = qtypes.shown_options(spec.qtype, [f"选项{qtypes.LETTERS[i]}" for i in range(spec.n)])
    return QuestionView(
        slot=spec.slot,
        qid=spec.qid,
        type=spec.qtype,
        type_label=qtypes.type_label(spec.qtype),
        stem=question.stem if question else "（本题已从题库移除）",
        options=[bank_opts[i] for i in spec.shown_order],
        chosen=qtypes.to_display(spec.qtype, spec.order, response),
        flagged=flagged,
        points=spec.points,
    )


@dataclass(frozen=True)
class AttemptHead:
    """The exam page's header for an attempt: read with one query, without the questions."""

    attempt_id: int
    campaign_title: str
    number: int
    in_progress: bool  # in progress and before its deadline
    started_at: datetime
    deadline_at: datetime
    seconds_left: int


def attempt_head(app: App, actor: Actor, attempt_id: int, *, now: datetime | None = None) -> AttemptHead:
    """The officer's own attempt's header (title, number, times); `in_progress` is False once it is finished or
    past its deadline (then the page shows the result from `attempt_view`)."""
    return _head(app, actor, attempt_id, now or clock.utcnow())


def _head(app: App, actor: Actor, attempt_id: int, now: datetime) -> AttemptHead:
    row = q.attempt_head(app.engine, attempt_id)
    if row is None:
        raise NotFound("考试记录不存在")
    if row.person_id != actor.id:
        raise PermissionDenied("不能查看他人的答卷")
    started_at, deadline_at = clock.as_utc(row.started_at), clock.as_utc(row.deadline_at)
    assert started_at is not None and deadline_at is not None
    live = deadlines.is_live(row.state, deadline_at, now)
    return AttemptHead(
        attempt_id=attempt_id,
        campaign_title=row.title,
        number=row.number,
        in_progress=live,
        started_at=started_at,
        deadline_at=deadline_at,
        seconds_left=deadlines.seconds_left(deadline_at, now) if live else 0,
    )


@dataclass(frozen=True)
class ExamSheet:
    """What one click on the exam page needs: the question on screen and each question's state (answered,
    flagged), read with two plain queries: not the 80 question views of `attempt_view`."""

    in_progress: bool  # in progress and before its deadline
    seconds_left: int
    total: int
    current: QuestionView
    answered_slots: frozenset[int]
    flagged: frozenset[int]
    last_client_id: str | None
    last_saved_at: datetime | None

    answered_elsewhere = AttemptView.answered_elsewhere

    @property
    def answered(self) -> int:
        return len(self.answered_slots)

    @property
    def unanswered_slots(self) -> list[int]:
        return [s for s in range(1, self.total + 1) if s not in self.answered_slots]

    @property
    def flagged_slots(self) -> list[int]:
        return sorted(self.flagged)


def exam_sheet(app: App, actor: Actor, attempt_id: int, slot: int, *, now: datetime | None = None) -> ExamSheet:
    """The exam page's view for one click: the officer's own attempt only; `slot` is clamped to the paper."""
    return _sheet(app, actor, attempt_id, slot, now or clock.utcnow())


def exam_page(
    app: App, actor: Actor, attempt_id: int, slot: int | None, *, now: datetime | None = None
) -> tuple[AttemptHead, ExamSheet | None]:
    """A whole run of the exam page: its header and, while the attempt is in progress, the sheet at `slot` (the
    first unanswered question when `slot` is None: a new browser session). Two one-row statements, each its own
    read (`db.HotRead`): a hand-in between them is a hand-in just after the page's read, and the sheet says it."""
    now = now or clock.utcnow()
    head = _head(app, actor, attempt_id, now)
    if not head.in_progress:
        return head, None
    sheet = _sheet(app, actor, attempt_id, slot or 1, now)
    if slot is None:
        unanswered = sheet.unanswered_slots
        if unanswered and unanswered[0] != sheet.current.slot:
            sheet = _sheet(app, actor, attempt_id, unanswered[0], now)
    return head, sheet


def _sheet(app: App, actor: Actor, attempt_id: int, slot: int, now: datetime) -> ExamSheet:
    db = papers.db_key(app)
    paper = papers.cached(db, attempt_id)
    if paper is None:  # frozen at the start: read once per process, whenever
        with read_connection(app.engine) as conn:
            raw = q.attempt_paper(conn, attempt_id)
        if raw is None:
            raise NotFound("考试记录不存在")
        paper = papers.cached(db, attempt_id, raw)
    assert paper is not None
    total = len(paper)
    slot = min(max(1, slot), max(total, 1))
    row = q.sheet(app.engine, attempt_id, slot)
    if row is None:
        raise NotFound("考试记录不存在")
    if row.person_id != actor.id:
        raise PermissionDenied("不能查看他人的答卷")
    spec = paper.at(slot)
    assert spec is not None
    live = deadlines.is_live(row.state, row.deadline_at, now)
    return ExamSheet(
        in_progress=live,
        seconds_left=deadlines.seconds_left(row.deadline_at, now) if live else 0,
        total=total,
        current=_question_view(app, spec, row.response, row.is_flagged),
        answered_slots=row.answered,
        flagged=row.flagged,
        last_client_id=row.last_client_id,
        last_saved_at=clock.as_utc(row.last_saved_at) if row.last_saved_at else None,
    )


def open_attempt_for(app: App, actor: Actor, *, now: datetime | None = None) -> int | None:
    """The actor's attempt in progress and before its deadline, if any (what a returning officer lands back in).
    One past its deadline is not offered: the sweep job closes it."""
    require(actor, *LEARNER_ROLES)
    now = now or clock.utcnow()
    with read_session(app.engine) as s:
        attempts = q.open_attempts_of_person(s, actor.id)
    live = [a for a in attempts if not deadlines.is_past(a.deadline_at, now)]
    return live[0].id if live else None


def slot_order(app: App, attempt_id: int, slot: int) -> tuple[int, ...]:
    """The option order of one slot as shown (from the frozen paper)."""
    paper = papers.cached(papers.db_key(app), attempt_id)
    if paper is None:
        with read_session(app.engine) as s:
            attempt = s.get(Attempt, attempt_id)
            if attempt is None:
                raise NotFound("考试记录不存在")
            paper = papers.cached(papers.db_key(app), attempt_id, attempt.paper)
    assert paper is not None
    spec = paper.at(slot)
    if spec is None:
        raise NotFound("题号不存在")
    return spec.shown_order


def my_results(app: App, actor: Actor, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """成绩: the actor's finished attempts, newest first (one past its deadline counts as finished by timeout)."""
    require(actor, *LEARNER_ROLES)
    now = now or clock.utcnow()
    with read_session(app.engine) as s:
        rows = []
        for a in q.attempts_of(s, actor.id):
            overdue = is_overdue(a, now)
            if a.state != AttemptState.FINISHED and not overdue:
                continue
            c = s.get(Campaign, a.campaign_id)
            assert c is not None
            percent, passed = a.percent, a.passed
            if overdue:
                g = _graded_at_deadline(app, a, c, {x.slot: x for x in q.answers_of(s, row_id(a))})
                percent, passed = g.percent, g.passed
            rows.append(
                {
                    "attempt_id": a.id,
                    "campaign": c.title,
                    "number": a.number,
                    "finished_at": clock.as_utc(a.finished_at if not overdue else a.deadline_at),
                    "percent": percent,
                    "passed": passed,
                    "finished_by": a.finished_by if not overdue else FinishedBy.TIMEOUT.value,
                    "review_open": review_open(c, now),
                }
            )
    return rows
