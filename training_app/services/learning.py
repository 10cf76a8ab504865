"""Practice (immediate feedback), the wrong-answer book (FSRS), study (学法) and study hours (学时)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .. import clock, qtypes
from ..bank.schema import Question, article_sort_key
from ..engine.review import review as fsrs_review
from ..store import reviews as rs
from ..store.db import read_session, write_session
from ..vocab import LEARNER_ROLES, STAFF_ROLES
from .common import Actor, App, NotFound, ServiceError, require

LEARNERS = LEARNER_ROLES
KINDS = ("reading", "practice", "exam")
KIND_LABELS = {"reading": "学法", "practice": "练习", "exam": "考试"}


def local_today(app: App, now: datetime | None = None) -> date:
    return clock.local_day(app.settings.timezone, now)


def end_of_local_day(app: App, now: datetime | None = None) -> datetime:
    return clock.local_day_end(app.settings.timezone, now)


# --- practice ------------------------------------------------------------------------------------


def practice_pool(app: App, *, law: str | None = None, topic: str | None = None) -> list[Question]:
    qs = app.bank.active_questions()
    if law:
        qs = [q for q in qs if any(s.law_slug == law for s in q.sources)]
    if topic:
        qs = [q for q in qs if topic in q.topics]
    return sorted(qs, key=lambda q: q.id)


STRONG_ACCURACY = 0.9


def weak_laws(app: App, actor: Actor, *, limit: int = 3, min_answered: int = 3) -> list[tuple[str, float, int]]:
    """我的薄弱点: (law slug, accuracy, answered) for the laws where this person's accuracy is lowest
    (at least `min_answered` answers, and below 90%: a law answered almost always right is not a weak point)."""
    require(actor, *LEARNERS)
    with read_session(app.engine) as s:
        stats = {k: list(v) for k, v in rs.practice_accuracy_by_law(s, actor.id).items()}
        for qid, frac in rs.exam_answers_of_person(s, actor.id):
            question = app.bank.questions.get(qid)
            if question is None:
                continue
            entry = stats.setdefault(question.law, [0, 0])
            entry[0] += 1
            entry[1] += frac
    rows = [
        (law, c / n, n)
        for law, (n, c) in stats.items()
        if n >= min_answered and law in app.bank.laws and c / n < STRONG_ACCURACY
    ]
    rows.sort(key=lambda r: (r[1], -r[2]))
    return rows[:limit]


def practice_set(
    app: App,
    actor: Actor,
    *,
    law: str | None = None,
    topic: str | None = None,
    weak: bool = False,
    n: int = 10,
    seed: int | None = None,
) -> list[str]:
    require(actor, *LEARNERS)
    if weak:
        laws = [w[0] for w in weak_laws(app, actor)]
        if not laws:
            raise ServiceError("暂未发现薄弱点：需要在某部法律上至少答 3 题且正确率低于 90%；请先完成几组练习")
        pool = [q for q in app.bank.active_questions() if q.law in laws]
    else:
        pool = practice_pool(app, law=law, topic=topic)
    if not pool:
        raise ServiceError("所选范围暂无题目")
    rng = random.Random(seed)
    ids = [q.id for q in pool]
    rng.shuffle(ids)
    return ids[:n]


@dataclass
class Feedback:
    correct: bool
    correct_answer: str  # canonical
    explanation: str
    sources: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. the cited document's validity is unverified


def practice_notes(app: App, question_id: str) -> list[str]:
    """Notes to show with a practice question: one per cited document not in force (exams leave such questions
    out; practice offers them for study), e.g. "本题依据的《…》现行效力未经核实，仅供学习参考"."""
    question = app.bank.questions.get(question_id)
    if question is None:
        raise NotFound("题目不存在")
    return list(app.bank.validity_notes(question))


def answer_practice(
    app: App,
    actor: Actor,
    question_id: str,
    response: str | None,
    *,
    mode: str = "practice",
    now: datetime | None = None,
    seconds: float = 0.0,
) -> Feedback:
    """Mark at once; a wrong answer goes to the 错题本 (Again), a right one on a book card is Good."""
    require(actor, *LEARNERS)
    question = app.bank.questions.get(question_id)
    if question is None:
        raise NotFound("题目不存在")
    now = now or clock.utcnow()
    try:
        canonical = qtypes.normalize_response(question.type, response, len(question.options))
    except ValueError as exc:
        raise ServiceError("答案格式不正确") from exc
    if canonical is None:
        raise ServiceError("请先选择答案")
    correct = qtypes.fraction(question.type, question.answer, canonical) == 1.0  # practice: all or nothing
    with write_session(app.engine) as s:
        rs.add_practice_answer(
            s,
            person_id=actor.id,
            question_id=question_id,
            law_slug=question.law,
            mode=mode,
            response=canonical,
            correct=correct,
            answered_at=now,
        )
        if correct:
            rs.record_right(s, actor.id, question_id, now, review=fsrs_review)
        else:
            rs.record_wrong(s, actor.id, question_id, now, source=mode, review=fsrs_review)
        if seconds > 0:
            rs.add_study_seconds(
                s,
                actor.id,
                local_today(app, now),
                "practice",
                int(min(seconds, app.settings.study_session_cap_minutes * 60)),
            )
    return Feedback(
        correct,
        question.answer,
        question.explanation,
        [(x.label, x.quote) for x in question.sources],
        list(app.bank.validity_notes(question)),
    )


def start_of_local_day(app: App, now: datetime | None = None) -> datetime:
    return end_of_local_day(app, now) - timedelta(days=1)


def due_reviews(app: App, actor: Actor, *, now: datetime | None = None) -> list[str]:
    """今日复习: question ids of cards due by the end of today (local time) and not yet reviewed today."""
    require(actor, *LEARNERS)
    with read_session(app.engine) as s:
        cards = rs.due_cards(s, actor.id, start_of_local_day(app, now), end_of_local_day(app, now))
    return [c.question_id for c in cards if c.question_id in app.bank.questions]


def count_due_reviews(app: App, actor: Actor, *, now: datetime | None = None) -> int:
    require(actor, *LEARNERS)
    with read_session(app.engine) as s:
        return rs.count_due(s, actor.id, start_of_local_day(app, now), end_of_local_day(app, now))


def review_book(app: App, actor: Actor) -> list[dict]:
    require(actor, *LEARNERS)
    with read_session(app.engine) as s:
        cards = rs.all_cards(s, actor.id)
    out = []
    for c in cards:
        q = app.bank.questions.get(c.question_id)
        if q is None:
            continue
        out.append(
            {
                "question_id": c.question_id,
                "law": app.bank.laws[q.law].short_title,
                "stem": q.stem,
                "due_at": clock.as_utc(c.due_at),
                "reviews": c.reviews,
                "lapses": c.lapses,
                "type": q.type,
                "options": list(q.display_options),
                "answer": q.answer,
                "explanation": q.explanation,
                "sources": [(src.label, src.quote) for src in q.sources],
            }
        )
    return out


# --- study (学法) ---------------------------------------------------------------------------------


@dataclass
class ArticleCard:
    locator: str
    heading: str
    quotes: list[str]
    question_ids: list[str]
    studied: bool


def must_know_for(app: App, actor: Actor) -> list:
    """The must-know entries for this person's audience (leaders see the leaders' list too)."""
    require(actor, *LEARNERS)
    wanted = {"all", "leaders"} if actor.role == "leader" else {"all", "officers"}
    return [law for law in app.bank.laws.values() if law.audience in wanted]


def law_articles(app: App, actor: Actor, law_slug: str) -> list[ArticleCard]:
    """The law's key articles: the quotes the bank cites, grouped by article, with the 已学 mark."""
    require(actor, *LEARNERS)
    if law_slug not in app.bank.laws:
        raise NotFound("法律不在应知应会清单中")
    groups: dict[str, dict] = {}
    for q in app.bank.questions.values():
        for src in q.sources:
            if src.law_slug != law_slug:
                continue
            g = groups.setdefault(src.locator, {"heading": src.where, "quotes": [], "qids": [], "key": src.article})
            if src.quote not in g["quotes"]:
                g["quotes"].append(src.quote)
            g["qids"].append(q.id)
    with read_session(app.engine) as s:
        marks = rs.study_marks(s, actor.id, law_slug)
    cards = [
        ArticleCard(loc, g["heading"], g["quotes"], g["qids"], (law_slug, loc) in marks) for loc, g in groups.items()
    ]
    cards.sort(
        key=lambda c: (
            article_sort_key(groups[c.locator]["key"]) if groups[c.locator]["key"] is not None else (10**6, c.heading)
        )
    )
    return cards


def set_studied(
    app: App, actor: Actor, law_slug: str, locator: str, studied: bool, *, now: datetime | None = None
) -> None:
    require(actor, *LEARNERS)
    with write_session(app.engine) as s:
        rs.set_study_mark(s, actor.id, law_slug, locator, studied, now or clock.utcnow())


def record_study_time(app: App, actor: Actor, kind: str, seconds: float, *, now: datetime | None = None) -> int:
    """Add study time, capped per call so an idle open tab does not count; returns the seconds counted."""
    require(actor, *LEARNERS)
    if kind not in KINDS:
        raise ServiceError("未知的学习类型")
    counted = int(max(0.0, min(float(seconds), app.settings.study_session_cap_minutes * 60)))
    if counted <= 0:
        return 0
    with write_session(app.engine) as s:
        rs.add_study_seconds(s, actor.id, local_today(app, now), kind, counted)
    return counted


@dataclass
class StudyHours:
    year: int
    hours: float
    target: float
    by_kind: dict[str, float]

    @property
    def ratio(self) -> float:
        return min(1.0, self.hours / self.target) if self.target else 1.0


def study_hours(app: App, actor: Actor, *, year: int | None = None, person_id: int | None = None) -> StudyHours:
    if person_id is not None and person_id != actor.id:
        require(actor, *STAFF_ROLES)
    else:
        require(actor, *LEARNERS, *STAFF_ROLES)
    pid = person_id or actor.id
    year = year or local_today(app).year
    with read_session(app.engine) as s:
        secs = rs.study_seconds(s, pid, date(year, 1, 1), date(year, 12, 31))
    by_kind = {k: round(secs.get(k, 0) / 3600, 2) for k in KINDS}
    return StudyHours(year, round(sum(secs.values()) / 3600, 2), app.settings.study_hours_target, by_kind)


def group_by_law(app: App, question_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for qid in question_ids:
        q = app.bank.questions.get(qid)
        if q:
            out[q.law].append(qid)
    return dict(out)
