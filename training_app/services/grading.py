"""Grading: an attempt's score from its saved answers, the campaign grade, the summaries the dashboard reads,
the 错题本 cards of wrong answers once the review opens, and regrading after a key was corrected.

Every mark comes from ``qtypes.mark`` through ``FrozenSlot.mark``: the rule the tests check is the rule that grades.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from .. import clock, qtypes
from ..engine import deadlines, scoring
from ..engine.paper import FrozenPaper
from ..engine.review import review as fsrs_review
from ..store import audit as audit_store
from ..store import exams as q
from ..store import reviews as review_store
from ..store.db import read_session, write_session
from ..store.models import Answer, Assignment, Attempt, Campaign
from ..vocab import LEARNER_ROLES, STAFF_ROLES, FinishedBy
from . import papers
from .common import Actor, App, NotFound, PermissionDenied, require, row_id

log = logging.getLogger(__name__)


def review_open(campaign: Campaign, now: datetime) -> bool:
    """May an officer see the right answers and explanations of a finished attempt of this campaign now?"""
    return deadlines.review_open(campaign.review_policy, campaign.status, campaign.closes_at, now)


@dataclass
class Result:
    attempt_id: int
    score: float
    max_score: float
    percent: float
    passed: bool
    already_finished: bool = False
    finished_by: str = FinishedBy.SUBMIT
    cards_added: int = 0  # wrong answers sent to the 错题本 by this submit (its review opened at once)


@dataclass(frozen=True)
class Graded:
    """An attempt graded from its saved answers (nothing written)."""

    score: float
    percent: float
    passed: bool
    fractions: dict[int, float]  # slot -> fraction
    earned: dict[int, float]  # slot -> points


def grade_answers(
    paper: FrozenPaper, answers: dict[int, Answer], *, partial: bool, max_score: float, pass_mark: float
) -> Graded:
    """Grade every slot of a paper from the saved answers (pure: the read side of an overdue attempt uses it too)."""
    return grade_responses(
        paper,
        {slot: a.response for slot, a in answers.items()},
        partial=partial,
        max_score=max_score,
        pass_mark=pass_mark,
    )


def grade_responses(
    paper: FrozenPaper, responses: Mapping[int, str | None], *, partial: bool, max_score: float, pass_mark: float
) -> Graded:
    """Grade every slot of a paper from slot -> saved response (pure)."""
    fractions: dict[int, float] = {}
    earned: dict[int, float] = {}
    for s in paper:
        m = s.mark(responses.get(s.slot), partial=partial)
        fractions[s.slot], earned[s.slot] = m.fraction, m.earned
    score = round(sum(earned.values()), 4)
    return Graded(
        score, scoring.to_percent(score, max_score), scoring.passed(score, max_score, pass_mark), fractions, earned
    )


def _summaries(
    paper: FrozenPaper, responses: Mapping[int, str | None], g: Graded
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, float]]]:
    """One attempt's contribution to the item statistics (a row per question) and the unit × law accuracy."""
    rows: list[dict[str, Any]] = []
    per_law: dict[str, tuple[int, float]] = {}
    for spec in paper:
        x = g.fractions[spec.slot]
        rows.append(
            {
                "question_id": spec.qid,
                "x": x,
                "y": g.score - g.earned[spec.slot],
                "opts": qtypes.option_indexes(spec.qtype, responses.get(spec.slot)),
            }
        )
        n, c = per_law.get(spec.law, (0, 0.0))
        per_law[spec.law] = (n + 1, c + x)
    return rows, per_law


def _score_attempt(
    s: Session,
    attempt: Attempt,
    campaign: Campaign,
    paper: FrozenPaper,
    unit_id: int | None,
    answers: dict[int, Answer],
) -> Graded:
    """Grade every slot from the stored answers, record the fractions and the attempt's score, and add the
    attempt's contribution to the campaign's item statistics and unit × law accuracy (the regrade)."""
    responses = {slot: a.response for slot, a in answers.items()}
    g = grade_responses(
        paper, responses, partial=attempt.partial_credit, max_score=attempt.max_score, pass_mark=campaign.pass_mark
    )
    attempt.score, attempt.percent, attempt.passed = g.score, g.percent, g.passed
    s.add(attempt)
    q.store_grades(s, row_id(attempt), {slot: f for slot, f in g.fractions.items() if slot in answers})
    rows, per_law = _summaries(paper, responses, g)
    q.add_item_stats(s, row_id(campaign), rows)
    q.add_unit_law_stats(s, row_id(campaign), unit_id, per_law)
    return g


def campaign_grade(s: Session, attempt: Attempt, campaign: Campaign, percent: float) -> tuple[float | None, bool]:
    """The campaign grade and its pass once `attempt` is finished with `percent`: the person's other finished
    attempts combined with this one, last, by the campaign's grading method (reads only)."""
    previous = [
        a.percent for a in q.finished_attempts(s, attempt.assignment_id) if a.id != attempt.id and a.percent is not None
    ]
    grade = scoring.combine_scores([*previous, percent], campaign.grading_method)
    return grade, scoring.grade_passes(grade, campaign.pass_mark)


@dataclass(frozen=True)
class Prepared:
    """An attempt's grading computed from what was read (nothing written): done before the hand-in takes the
    write lock, and checked inside it against what is stored then (`grade_finished`)."""

    responses: dict[int, str | None]
    graded: Graded
    stat_rows: list[dict[str, Any]]
    per_law: dict[str, tuple[int, float]]
    wrong: list[str]  # answered and not fully right: the 错题本's questions
    had_cards: frozenset[str]  # of `wrong`, those with a card already
    new_cards: dict[str, tuple[str, datetime]]  # of `wrong`, the rest: question id -> (new card JSON, due)


def prepare_grading(
    s: Session, attempt: Attempt, campaign: Campaign, paper: FrozenPaper, now: datetime, *, with_cards: bool
) -> Prepared:
    """Read an attempt's answers (and, when its review opens now, which wrong questions have cards) and grade."""
    responses = q.responses_of(s, row_id(attempt))
    g = grade_responses(
        paper, responses, partial=attempt.partial_credit, max_score=attempt.max_score, pass_mark=campaign.pass_mark
    )
    rows, per_law = _summaries(paper, responses, g)
    wrong = [spec.qid for spec in paper if g.fractions[spec.slot] < 1.0 and responses.get(spec.slot)]
    had = review_store.card_question_ids(s, attempt.person_id, wrong) if with_cards else frozenset()
    new = {qid: fsrs_review(None, False, now) for qid in wrong if qid not in had} if with_cards else {}
    return Prepared(responses, g, rows, per_law, wrong, had, new)


def grade_finished(
    s: Session, attempt: Attempt, campaign: Campaign, now: datetime, *, prepared: Prepared | None = None
) -> Result:
    """Grade an attempt that has just been finished, in the finishing transaction: its score, the campaign grade
    over the person's finished attempts, and — when the review opens at once — its wrong answers to the 错题本.

    `prepared` is the grading computed before the transaction; it is used when the answers (and the cards) read
    now are the ones it was computed from, else the grading is computed again here. Either way what is written
    is the grading of what is stored when the attempt is finished."""
    paper = papers.cached(papers.session_db_key(s), row_id(attempt), attempt.paper)
    assert paper is not None
    with_cards = review_open(campaign, now)
    if (
        prepared is None
        or q.responses_of(s, row_id(attempt)) != prepared.responses
        or (with_cards and review_store.card_question_ids(s, attempt.person_id, prepared.wrong) != prepared.had_cards)
    ):
        prepared = prepare_grading(s, attempt, campaign, paper, now, with_cards=with_cards)
    g = prepared.graded
    q.store_grades(s, row_id(attempt), {slot: f for slot, f in g.fractions.items() if slot in prepared.responses})
    assignment = q.get_assignment_by_id(s, attempt.assignment_id)
    q.add_item_stats(s, row_id(campaign), prepared.stat_rows)
    q.add_unit_law_stats(s, row_id(campaign), assignment.unit_id, prepared.per_law)
    grade, passed = campaign_grade(s, attempt, campaign, g.percent)
    q.update_assignment_after_grade(s, attempt.assignment_id, grade=grade, passed=passed, now=now)
    if with_cards:
        review_store.add_new_cards(s, attempt.person_id, prepared.new_cards, now, source="exam")
        if prepared.had_cards:  # questions already in the 错题本: reviewed with Again (rare during an exam)
            existing = review_store.cards_for(s, attempt.person_id, sorted(prepared.had_cards))
            for qid in sorted(prepared.had_cards):
                review_store.record_wrong(
                    s, attempt.person_id, qid, now, source="exam", review=fsrs_review, card=existing[qid]
                )
    attempt.score, attempt.percent, attempt.passed = g.score, g.percent, g.passed
    if with_cards:
        attempt.cards_synced = True
    s.add(attempt)
    return Result(
        row_id(attempt),
        g.score,
        attempt.max_score,
        g.percent,
        g.passed,
        finished_by=attempt.finished_by or FinishedBy.SUBMIT,
        cards_added=len(prepared.wrong) if with_cards else 0,
    )


def _cards_for_wrong(
    s: Session,
    attempt: Attempt,
    paper: FrozenPaper,
    answers: dict[int, Answer],
    fractions: dict[int, float],
    now: datetime,
) -> int:
    """Answered-and-wrong questions go to the 错题本. A question left blank is not a mistake: it is not added
    (an officer who ran out of time would otherwise find dozens of cards 'due today' they never saw)."""
    wrong = [
        spec.qid
        for spec in paper
        if fractions[spec.slot] < 1.0 and spec.slot in answers and answers[spec.slot].response
    ]
    existing = review_store.cards_for(s, attempt.person_id, wrong)
    for qid in wrong:
        review_store.record_wrong(
            s,
            attempt.person_id,
            qid,
            now,
            source="exam",
            review=fsrs_review,
            card=existing.get(qid),
            known_missing=qid not in existing,
        )
    attempt.cards_synced = True
    s.add(attempt)
    return len(wrong)


def _sync_cards(app: App, person_id: int | None, now: datetime) -> int:
    added = 0
    with read_session(app.engine) as s:
        if not q.unsynced_finished_attempts(s, person_id):
            return 0
    with write_session(app.engine) as s:
        for attempt in q.unsynced_finished_attempts(s, person_id):
            campaign = s.get(Campaign, attempt.campaign_id)
            if campaign is None or not review_open(campaign, now):
                continue
            paper = papers.cached(papers.db_key(app), row_id(attempt), attempt.paper)
            assert paper is not None
            answers = {a.slot: a for a in q.answers_of(s, row_id(attempt))}
            fractions = {
                spec.slot: spec.mark(
                    answers[spec.slot].response if spec.slot in answers else None, partial=attempt.partial_credit
                ).fraction
                for spec in paper
            }
            added += _cards_for_wrong(s, attempt, paper, answers, fractions, now)
    return added


def sync_exam_cards(app: App, actor: Actor, *, now: datetime | None = None) -> int:
    """Copy the actor's wrong exam answers to the 错题本 for attempts whose review has opened (after submit,
    or after close). Submitting does it at once when the review opens then; the sweep job does it for
    reviews that open later."""
    require(actor, *LEARNER_ROLES)
    return _sync_cards(app, actor.id, now or clock.utcnow())


def sync_open_reviews(app: App, *, now: datetime | None = None) -> int:
    """The sweep job's half for the 错题本: every finished attempt whose review has opened since (after close)."""
    return _sync_cards(app, None, now or clock.utcnow())


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
    require(actor, *STAFF_ROLES)
    now = now or clock.utcnow()
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
            paper, changed = FrozenPaper.loads(attempt.paper).with_current_keys(app.bank)
            changed_q |= changed
            attempt.paper = paper.dumps()
            papers.forget(papers.db_key(app), row_id(attempt))
            before = attempt.score
            s.flush()
            assignment = s.get(Assignment, attempt.assignment_id)
            answers = {a.slot: a for a in q.answers_of(s, row_id(attempt))}
            unit_id = assignment.unit_id if assignment else None
            if _score_attempt(s, attempt, campaign, paper, unit_id, answers).score != before:
                changed_scores += 1
            by_assignment.setdefault(attempt.assignment_id, []).append(attempt.percent or 0.0)
        for assignment_id, percents in by_assignment.items():
            a = s.get(Assignment, assignment_id)
            if a is None:
                continue
            grade = scoring.combine_scores(percents, campaign.grading_method)
            passed = scoring.grade_passes(grade, campaign.pass_mark)
            if a.passed and not passed:
                now_failed += 1
            a.grade, a.passed = grade, passed
            if passed and a.passed_at is None:
                a.passed_at = now
            s.add(a)
        audit_store.append(
            s,
            "regrade",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={
                "attempts": len(attempts),
                "questions": sorted(changed_q),
                "changed_scores": changed_scores,
                "now_failed": now_failed,
            },
        )
    return RegradeResult(len(attempts), sorted(changed_q), changed_scores, now_failed)
