"""Exams with deferred feedback: start a frozen paper, save each answer as it is given, submit once.

Rules (Moodle's question engine is the model): a paper is drawn when the attempt starts and frozen in
the attempt with each question's key and content hash; every answer is a row written the moment it is
chosen; the deadline lives on the server; ``in_progress -> finished`` happens once, by a conditional
update checked by row count, so a double click or a second tab grades once.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock

from sqlalchemy.exc import IntegrityError

from ..bank.schema import LETTERS, TYPE_LABELS
from ..engine import deadlines, scoring
from ..engine.paper import assemble_paper
from ..engine.review import review as fsrs_review
from ..store import exams as q
from ..store import reviews as review_store
from ..store.db import read_connection, read_session, write_connection, write_session
from ..store.models import Attempt, Campaign
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require

log = logging.getLogger(__name__)


class AnswerRefused(ServiceError):
    """A save that arrived after the submit or the deadline: nothing was written."""


# --- the frozen paper, cached per attempt (it never changes once written) ------------------------

_paper_cache: OrderedDict[tuple[str, int], list[dict]] = OrderedDict()
_paper_lock = Lock()
_PAPER_CACHE_SIZE = 4096


def _paper(db: str, attempt_id: int, raw: str | None = None) -> list[dict] | None:
    """The parsed paper of an attempt in database `db` (its URL): cached, since a paper never changes
    once written (a regrade evicts it)."""
    key = (db, attempt_id)
    with _paper_lock:
        slots = _paper_cache.get(key)
        if slots is not None:
            _paper_cache.move_to_end(key)
            return slots
    if raw is None:
        return None
    slots = json.loads(raw)
    with _paper_lock:
        _paper_cache[key] = slots
        while len(_paper_cache) > _PAPER_CACHE_SIZE:
            _paper_cache.popitem(last=False)
    return slots


def _db(app: App) -> str:
    return str(app.engine.url)


def freeze_paper(app: App, blueprint_id: str, seed: int) -> list[dict]:
    """The paper as stored: each slot with its key and law, so grading never depends on later bank edits."""
    bp = app.bank.blueprints.get(blueprint_id)
    if bp is None:
        raise ServiceError(f"组卷方案 {blueprint_id} 不存在")
    paper = assemble_paper(app.bank, bp, seed)
    out = []
    for s in paper.slots:
        question = app.bank.questions[s.qid]
        d = s.to_dict()
        d["key"] = question.answer
        d["law"] = question.law
        d["n"] = len(question.options)
        out.append(d)
    return out


def review_open(campaign: Campaign, now: datetime) -> bool:
    if campaign.review_policy == "after_submit":
        return True
    if campaign.review_policy == "after_close":
        return campaign.status == "closed" or now >= deadlines.as_utc(campaign.closes_at)
    return False


# --- start ---------------------------------------------------------------------------------------

@dataclass
class StartResult:
    attempt_id: int
    resumed: bool


def start_attempt(app: App, actor: Actor, campaign_id: int, *, now: datetime | None = None,
                  seed: int | None = None) -> StartResult:
    """Start (or resume) the actor's attempt at a campaign's exam: one read, then one write transaction."""
    require(actor, "officer", "leader")
    now = now or deadlines.utcnow()
    with read_connection(app.engine) as conn:
        ctx = q.start_context(conn, campaign_id, actor.id)
    if ctx is None or ctx[0] == "draft":
        raise NotFound("考试不存在或尚未发布")
    (status, opens_at, closes_at, minutes, allowed, blueprint_id, partial, assignment_id, started, extended,
     open_id, open_deadline) = ctx
    if assignment_id is None:
        raise PermissionDenied("您不在本次考试的参考人员名单中")
    if open_id is not None:
        if not deadlines.is_past(open_deadline, now):
            return StartResult(open_id, resumed=True)
        submit_attempt(app, None, open_id, now=now, finished_by="timeout")  # graded from what was saved
        return start_attempt(app, actor, campaign_id, now=now, seed=seed)
    if status == "closed":
        raise ServiceError("考试已结束")
    ok, reason = deadlines.can_start(now, opens_at, closes_at, extended, started, allowed, False)
    if not ok:
        raise ServiceError(reason)
    number = started + 1
    deadline = deadlines.attempt_deadline(now, minutes, closes_at, extended)
    seed = secrets.randbits(31) if seed is None else seed
    slots = freeze_paper(app, blueprint_id, seed)
    raw = json.dumps(slots, ensure_ascii=False, separators=(",", ":"))
    try:
        with write_connection(app.engine) as conn:
            attempt_id = q.insert_attempt(conn, {
                "campaign_id": campaign_id, "assignment_id": assignment_id, "person_id": actor.id, "number": number,
                "state": "in_progress", "blueprint_id": blueprint_id, "seed": seed, "paper": raw,
                "partial_credit": partial, "started_at": now, "deadline_at": deadline,
                "max_score": sum(x["points"] for x in slots), "cards_synced": False})
            q.mark_started_core(conn, assignment_id, number, now)
    except IntegrityError:
        # Two tabs started at the same moment: the other one won; resume its attempt.
        with read_session(app.engine) as s:
            current = q.open_attempt(s, assignment_id)
        if current is None:
            raise ServiceError("考试机会已用完或考试已开始，请刷新页面") from None
        return StartResult(current.id, resumed=True)
    _paper(_db(app), attempt_id, raw)
    log.info("attempt %s started (campaign %s, person %s)", attempt_id, campaign_id, actor.id)
    return StartResult(attempt_id, resumed=False)


# --- save ----------------------------------------------------------------------------------------

def _refusal(state: str) -> str:
    return "本次考试已交卷，答案未保存" if state == "finished" else "考试已结束，答案未保存"


def save_answer(app: App, actor: Actor, attempt_id: int, slot: int, response: str | None, *,
                seconds: float = 0.0, client_id: str | None = None, now: datetime | None = None) -> None:
    """Write one answer now. ``response`` is canonical ("B", "AC", "T") or None to clear.

    One statement in one short transaction: the upsert itself checks that the attempt is the actor's, in
    progress and before its deadline, so a save after the submit or the deadline writes nothing."""
    require(actor, "officer", "leader")
    now = now or deadlines.utcnow()
    seconds = max(0.0, min(float(seconds or 0.0), 3600.0))
    slots = _paper(_db(app), attempt_id)
    if slots is None:
        with read_connection(app.engine) as conn:
            row = q.attempt_status(conn, attempt_id)
        if row is None:
            raise NotFound("考试记录不存在")
        if row.person_id != actor.id:
            raise PermissionDenied("不能修改他人的答卷")
        slots = _paper(_db(app), attempt_id, row.paper)
    if not 1 <= slot <= len(slots):
        raise ServiceError("题号不存在")
    spec = slots[slot - 1]
    try:
        canonical = scoring.normalize_response(spec["type"], response, spec["n"])
    except ValueError as exc:
        raise ServiceError("答案格式不正确") from exc
    with write_connection(app.engine) as conn:
        if q.save_if_open(conn, attempt_id=attempt_id, person_id=actor.id, slot=slot, question_id=spec["qid"],
                          response=canonical, now=now, seconds=seconds, client_id=client_id):
            return
        row = q.attempt_status(conn, attempt_id)
    if row is None:
        raise NotFound("考试记录不存在")
    if row.person_id != actor.id:
        raise PermissionDenied("不能修改他人的答卷")
    if row.state != "in_progress":
        raise AnswerRefused(_refusal(row.state))
    raise AnswerRefused("已超过考试截止时间，答案未保存；系统将按已保存的答案评分")


def set_flag(app: App, actor: Actor, attempt_id: int, slot: int, flagged: bool, *, now: datetime | None = None) -> None:
    require(actor, "officer", "leader")
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        row = q.lock_attempt(s, attempt_id)
        if row is None:
            raise NotFound("考试记录不存在")
        if row.person_id != actor.id:
            raise PermissionDenied("不能修改他人的答卷")
        if row.state != "in_progress" or deadlines.is_past(row.deadline_at, now):
            raise AnswerRefused(_refusal(row.state))
        slots = _paper(_db(app), attempt_id, row.paper)
        if not 1 <= slot <= len(slots):
            raise ServiceError("题号不存在")
        q.set_flag(s, attempt_id=attempt_id, slot=slot, question_id=slots[slot - 1]["qid"], flagged=flagged, now=now)


# --- submit and grade ----------------------------------------------------------------------------

@dataclass
class Result:
    attempt_id: int
    score: float
    max_score: float
    percent: float
    passed: bool
    already_finished: bool = False
    finished_by: str = "submit"


def _option_indexes(qtype: str, response: str | None) -> list[int]:
    """Which options a response chose, by bank index (judge: 0 = 正确, 1 = 错误)."""
    if not response:
        return []
    if qtype == "judge":
        return [0 if response == "T" else 1]
    return [LETTERS.index(ch) for ch in response]


def _score_attempt(s, attempt: Attempt, campaign: Campaign, slots: list[dict], unit_id: int | None) -> float:
    """Grade every slot from the stored answers, record the fractions and the attempt's score, and add the
    attempt's contribution to the campaign's item statistics and unit × law accuracy. Returns the score."""
    answers = {a.slot: a for a in q.answers_of(s, attempt.id)}
    fractions: dict[int, float] = {}
    earned: dict[int, float] = {}
    for spec in slots:
        a = answers.get(spec["slot"])
        f = scoring.fraction(spec["type"], spec["key"], a.response if a else None, partial=attempt.partial_credit)
        fractions[spec["slot"]] = f
        earned[spec["slot"]] = round(spec["points"] * f, 4)
    score = round(sum(earned.values()), 4)
    attempt.score = score
    attempt.percent = scoring.to_percent(score, attempt.max_score)
    attempt.passed = scoring.passed(score, attempt.max_score, campaign.pass_mark)
    s.add(attempt)
    q.store_grades(s, attempt.id, {slot: f for slot, f in fractions.items() if slot in answers})
    rows, per_law = [], {}
    for spec in slots:
        a = answers.get(spec["slot"])
        response = a.response if a else None
        opts = _option_indexes(spec["type"], response)
        x = fractions[spec["slot"]]
        rows.append({"question_id": spec["qid"], "x": x, "y": score - earned[spec["slot"]], "opts": opts})
        n, c = per_law.get(spec["law"], (0, 0.0))
        per_law[spec["law"]] = (n + 1, c + x)
    q.add_item_stats(s, campaign.id, rows)
    q.add_unit_law_stats(s, campaign.id, unit_id, per_law)
    return score


def _grade_in_session(s, attempt: Attempt, campaign: Campaign, now: datetime) -> Result:
    slots = _paper(str(s.get_bind().url), attempt.id, attempt.paper)
    assignment = q.get_assignment_by_id(s, attempt.assignment_id)
    score = _score_attempt(s, attempt, campaign, slots, assignment.unit_id)
    percent, passed = attempt.percent, attempt.passed
    # The campaign grade over finished attempts, by the campaign's grading method.
    previous = [a.percent for a in q.finished_attempts(s, attempt.assignment_id) if a.id != attempt.id and a.percent is not None]
    grade = scoring.combine_scores([*previous, percent], campaign.grading_method)
    q.update_assignment_after_grade(s, attempt.assignment_id, grade=grade,
                                    passed=grade is not None and grade + 1e-9 >= campaign.pass_mark, now=now)
    # Wrong answers reach the 错题本 through sync_exam_cards once the review opens (kept off this hot path).
    return Result(attempt.id, score, attempt.max_score, percent, passed, finished_by=attempt.finished_by or "submit")


def _cards_for_wrong(s, attempt: Attempt, slots, answers, fractions, now) -> int:
    """Answered-and-wrong questions go to the 错题本. A question left blank is not a mistake: it is not added
    (an officer who ran out of time would otherwise find dozens of cards 'due today' they never saw)."""
    wrong = [spec["qid"] for spec in slots if fractions[spec["slot"]] < 1.0
             and spec["slot"] in answers and answers[spec["slot"]].response]
    existing = review_store.cards_for(s, attempt.person_id, wrong)
    for qid in wrong:
        review_store.record_wrong(s, attempt.person_id, qid, now, source="exam", review=fsrs_review,
                                  card=existing.get(qid), known_missing=qid not in existing)
    attempt.cards_synced = True
    s.add(attempt)
    return len(wrong)


def submit_attempt(app: App, actor: Actor | None, attempt_id: int, *, now: datetime | None = None,
                   finished_by: str = "submit") -> Result:
    """Finish and grade once. A second call returns the first grading (already_finished=True)."""
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound("考试记录不存在")
        if actor is not None and attempt.person_id != actor.id:
            raise PermissionDenied("不能提交他人的答卷")
        if not q.finish_attempt(s, attempt_id, now, finished_by):
            s.refresh(attempt)
            return Result(attempt.id, attempt.score or 0.0, attempt.max_score, attempt.percent or 0.0,
                          bool(attempt.passed), already_finished=True, finished_by=attempt.finished_by or "")
        s.refresh(attempt)
        campaign = s.get(Campaign, attempt.campaign_id)
        result = _grade_in_session(s, attempt, campaign, now)
    log.info("attempt %s finished by %s: %.1f/%.1f", attempt_id, finished_by, result.score, result.max_score)
    return result


def close_overdue(app: App, *, person_id: int | None = None, campaign_id: int | None = None,
                  now: datetime | None = None) -> int:
    """Close and grade attempts past their deadline from what was saved (the sweep)."""
    now = now or deadlines.utcnow()
    with read_session(app.engine) as s:
        ids = q.overdue_attempt_ids(s, now, person_id=person_id, campaign_id=campaign_id)
    closed = 0
    for attempt_id in ids:
        r = submit_attempt(app, None, attempt_id, now=now, finished_by="timeout")
        closed += 0 if r.already_finished else 1
    return closed


# --- reading an attempt --------------------------------------------------------------------------

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

    def answered_elsewhere(self, client_id: str | None, now: datetime, *, within_seconds: int = 120) -> bool:
        """Another browser session (another phone, another tab) saved an answer in the last two minutes."""
        return bool(client_id and self.last_client_id and self.last_client_id != client_id and self.last_saved_at
                    and (now - self.last_saved_at).total_seconds() < within_seconds)

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
    now = now or deadlines.utcnow()
    with read_session(app.engine) as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None:
            raise NotFound("考试记录不存在")
        if attempt.person_id != actor.id and not actor.is_staff:
            raise PermissionDenied("不能查看他人的答卷")
        if attempt.state == "in_progress" and deadlines.is_past(attempt.deadline_at, now):
            pass  # graded below, outside this read
        else:
            campaign = s.get(Campaign, attempt.campaign_id)
            answers = {a.slot: a for a in q.answers_of(s, attempt_id)}
            return _build_view(app, attempt, campaign, answers, now)
    submit_attempt(app, None, attempt_id, now=now, finished_by="timeout")
    return attempt_view(app, actor, attempt_id, now=now)


def _build_view(app: App, attempt: Attempt, campaign: Campaign, answers: dict, now: datetime) -> AttemptView:
    slots = _paper(_db(app), attempt.id, attempt.paper)
    show_review = attempt.state == "finished" and review_open(campaign, now)
    last = max((a for a in answers.values() if a.client_id), key=lambda a: deadlines.as_utc(a.saved_at), default=None)
    views = []
    for spec in slots:
        question = app.bank.questions.get(spec["qid"])
        a = answers.get(spec["slot"])
        order = tuple(spec["order"]) if spec["type"] != "judge" else (0, 1)
        if spec["type"] == "judge":
            options = ["正确", "错误"]
            chosen = [] if not (a and a.response) else [0 if a.response == "T" else 1]
            correct = [0 if spec["key"] == "T" else 1]
        else:
            bank_opts = question.options if question else tuple(f"选项{LETTERS[i]}" for i in range(spec["n"]))
            options = [bank_opts[i] for i in order]
            chosen = scoring.canonical_to_display(order, a.response if a else None)
            correct = scoring.canonical_to_display(order, spec["key"])
        qv = QuestionView(
            slot=spec["slot"], qid=spec["qid"], type=spec["type"], type_label=TYPE_LABELS[spec["type"]],
            stem=question.stem if question else "（本题已从题库移除）", options=options, chosen=chosen,
            flagged=bool(a and a.flagged), points=spec["points"],
        )
        if show_review:
            qv.correct = correct
            qv.fraction = (a.fraction if a and a.fraction is not None
                           else scoring.fraction(spec["type"], spec["key"], a.response if a else None,
                                                 partial=attempt.partial_credit))
            if question:
                qv.explanation = question.explanation
                qv.sources = [(src.label, src.quote) for src in question.sources]
        views.append(qv)
    return AttemptView(
        attempt_id=attempt.id, campaign_id=attempt.campaign_id, campaign_title=campaign.title, number=attempt.number,
        state=attempt.state, started_at=deadlines.as_utc(attempt.started_at),
        deadline_at=deadlines.as_utc(attempt.deadline_at),
        seconds_left=deadlines.seconds_left(attempt.deadline_at, now) if attempt.state == "in_progress" else 0,
        max_score=attempt.max_score, score=attempt.score, percent=attempt.percent, passed=attempt.passed,
        pass_mark=campaign.pass_mark, review_open=show_review, questions=views,
        last_client_id=last.client_id if last else None,
        last_saved_at=deadlines.as_utc(last.saved_at) if last else None,
    )


def sync_exam_cards(app: App, actor: Actor, *, now: datetime | None = None) -> int:
    """Copy wrong exam answers to the 错题本 for attempts whose review has opened (after submit, or after close)."""
    require(actor, "officer", "leader")
    now = now or deadlines.utcnow()
    added = 0
    with read_session(app.engine) as s:
        if not q.unsynced_finished_attempts(s, actor.id):
            return 0
    with write_session(app.engine) as s:
        for attempt in q.unsynced_finished_attempts(s, actor.id):
            campaign = s.get(Campaign, attempt.campaign_id)
            if not review_open(campaign, now):
                continue
            slots = _paper(_db(app), attempt.id, attempt.paper)
            answers = {a.slot: a for a in q.answers_of(s, attempt.id)}
            fractions = {spec["slot"]: scoring.fraction(spec["type"], spec["key"],
                                                        answers[spec["slot"]].response if spec["slot"] in answers else None,
                                                        partial=attempt.partial_credit) for spec in slots}
            added += _cards_for_wrong(s, attempt, slots, answers, fractions, now)
    return added


def open_attempt_for(app: App, actor: Actor) -> int | None:
    """The actor's attempt in progress, if any (what a returning officer lands back in)."""
    require(actor, "officer", "leader")
    close_overdue(app, person_id=actor.id)
    with read_session(app.engine) as s:
        attempts = q.open_attempts_of_person(s, actor.id)
    return attempts[0].id if attempts else None


def slot_order(app: App, attempt_id: int, slot: int) -> tuple[int, ...]:
    """The option order of one slot (from the frozen paper)."""
    slots = _paper(_db(app), attempt_id)
    if slots is None:
        with read_session(app.engine) as s:
            slots = _paper(_db(app), attempt_id, s.get(Attempt, attempt_id).paper)
    spec = slots[slot - 1]
    return tuple(spec["order"]) if spec["type"] != "judge" else (0, 1)


def my_results(app: App, actor: Actor) -> list[dict]:
    """成绩: the actor's finished attempts, newest first."""
    require(actor, "officer", "leader")
    with read_session(app.engine) as s:
        rows = []
        for a in q.attempts_of(s, actor.id):
            if a.state != "finished":
                continue
            c = s.get(Campaign, a.campaign_id)
            rows.append({"attempt_id": a.id, "campaign": c.title, "number": a.number,
                         "finished_at": deadlines.as_utc(a.finished_at), "percent": a.percent, "passed": a.passed,
                         "finished_by": a.finished_by, "review_open": review_open(c, deadlines.utcnow())})
    return rows


# --- regrade -------------------------------------------------------------------------------------

@dataclass
class RegradeResult:
    attempts: int
    changed_questions: list[str]
    changed_scores: int
    now_failed: int


def regrade_campaign(app: App, actor: Actor, campaign_id: int, *, now: datetime | None = None) -> RegradeResult:
    """After a question was corrected in the bank: regrade every finished attempt with the current keys of
    the questions whose content changed, recompute each result, the summaries and item statistics.
    A pass that becomes a fail invalidates the certificate (certificates check the result)."""
    from ..store import audit as audit_store
    from ..store.models import Assignment

    require(actor, "coordinator", "admin")
    now = now or deadlines.utcnow()
    changed_q: set[str] = set()
    changed_scores = 0
    now_failed = 0
    with write_session(app.engine) as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound("培训任务不存在")
        if not actor.owns_campaign(campaign.audience, json.loads(campaign.audience_units or "[]")):
            raise PermissionDenied("该培训任务的范围超出您管理的单位，无权重新判分")
        attempts = q.finished_attempts_of_campaign(s, campaign_id)
        q.clear_campaign_stats(s, campaign_id)
        by_assignment: dict[int, list[float]] = {}
        for attempt in attempts:
            slots = json.loads(attempt.paper)
            for spec in slots:
                question = app.bank.questions.get(spec["qid"])
                if question is not None and question.content_hash != spec["hash"] and question.type == spec["type"] \
                        and len(question.options) == spec["n"]:
                    spec["key"], spec["hash"], spec["law"] = question.answer, question.content_hash, question.law
                    changed_q.add(spec["qid"])
            attempt.paper = json.dumps(slots, ensure_ascii=False, separators=(",", ":"))
            with _paper_lock:
                _paper_cache.pop((_db(app), attempt.id), None)
            before = attempt.score
            s.flush()
            assignment = s.get(Assignment, attempt.assignment_id)
            if _score_attempt(s, attempt, campaign, slots, assignment.unit_id) != before:
                changed_scores += 1
            by_assignment.setdefault(attempt.assignment_id, []).append(attempt.percent)
        for assignment_id, percents in by_assignment.items():
            a = s.get(Assignment, assignment_id)
            grade = scoring.combine_scores(percents, campaign.grading_method)
            passed = grade is not None and grade + 1e-9 >= campaign.pass_mark
            if a.passed and not passed:
                now_failed += 1
            a.grade, a.passed = grade, passed
            if passed and a.passed_at is None:
                a.passed_at = now
            s.add(a)
        audit_store.append(s, "regrade", actor_id=actor.id, actor=actor.account, obj=f"campaign:{campaign_id}",
                           detail={"attempts": len(attempts), "questions": sorted(changed_q),
                                   "changed_scores": changed_scores, "now_failed": now_failed})
    return RegradeResult(len(attempts), sorted(changed_q), changed_scores, now_failed)
